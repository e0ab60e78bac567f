#include "tools/scenario/scenario_validator.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "net/http_token.h"
#include "net/url.h"
#include "tools/scenario/error_text.h"

namespace fetch_later::scenario {
namespace {

namespace pb = ::google::protobuf;

constexpr int64_t kMaxBodySize = 16 * 1024 * 1024;

// The report's `blocked` reasons (../shared/SCENARIOS.md, "Additions"), and
// CORS (a redirect response failing the CORS check), which is beyond that
// list.
constexpr char kBlockedReasons[] =
    "CSP, CORS_PREFLIGHT, MODE_SAME_ORIGIN, REDIRECT_NOT_HTTPS, "
    "REDIRECT_LIMIT, "
    "REDIRECT_MODE_ERROR, NOT_HTTPS, BAD_PORT, CORS, RETRY_GATE, EXPIRED, "
    "IN_FLIGHT_AT_CRASH";

bool IsBlockedReason(absl::string_view reason) {
  for (absl::string_view known : absl::StrSplit(kBlockedReasons, ", ")) {
    if (reason == known)
      return true;
  }
  return false;
}

// Walks a scenario's steps in order, tracking the frames, signals and bfcache
// state the steps before have made; one per ValidateScenario() call.
class Validator {
 public:
  absl::Status Run(const Scenario& scenario) {
    for (int i = 0; i < scenario.steps_size(); ++i) {
      const Step& step = scenario.steps(i);
      index_ = i;
      prefix_ = StepPrefix(i, StepKind(step));
      if (absl::Status s = CheckStep(step); !s.ok())
        return s;
    }
    for (int i = 0; i < scenario.expect_sent_size(); ++i) {
      const ExpectSent& expect = scenario.expect_sent(i);
      const std::string prefix = absl::StrCat("expectSent[", i, "]");
      if (expect.url_prefix().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix, ": field \"urlPrefix\": empty"));
      }
      if (expect.count() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            prefix, ": field \"count\": ", expect.count(), " is negative"));
      }
      // Sorted, so that the first bad entry reported does not depend on
      // hashing.
      std::map<std::string, const pb::Value*> headers;
      for (const auto& [name, value] : expect.headers())
        headers[name] = &value;
      for (const auto& [name, value] : headers) {
        const std::string field =
            absl::StrCat(prefix, ": field \"headers[\"", name, "\"]\": ");
        if (!net::IsHttpToken(name)) {
          return absl::InvalidArgumentError(
              absl::StrCat(field, "not an HTTP token"));
        }
        if (value->kind_case() != pb::Value::kStringValue &&
            value->kind_case() != pb::Value::kNullValue) {
          return absl::InvalidArgumentError(
              absl::StrCat(field, "must be a string or null"));
        }
      }
      if (!expect.method().empty() && !net::IsHttpToken(expect.method())) {
        return absl::InvalidArgumentError(absl::StrCat(
            prefix, ": field \"method\": ", QuoteForMessage(expect.method()),
            " is not an HTTP token"));
      }
    }
    for (int i = 0; i < scenario.expect_blocked_size(); ++i) {
      const ExpectBlocked& expect = scenario.expect_blocked(i);
      const std::string prefix = absl::StrCat("expectBlocked[", i, "]");
      if (expect.url_prefix().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix, ": field \"urlPrefix\": empty"));
      }
      if (expect.count() < 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            prefix, ": field \"count\": ", expect.count(), " is negative"));
      }
      if (!expect.reason().empty() && !IsBlockedReason(expect.reason())) {
        return absl::InvalidArgumentError(
            absl::StrCat(prefix, ": field \"reason\": unknown reason ",
                         QuoteForMessage(expect.reason()), " (one of ",
                         kBlockedReasons, ")"));
      }
    }
    return absl::OkStatus();
  }

 private:
  struct Frame {
    std::string parent;  // "" for "top"
    std::optional<net::Url> url;
  };

  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(prefix_, ": ", what));
  }
  absl::Status FieldErr(absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix_, ": field \"", field, "\": ", what));
  }

  // `id` names a frame that exists now.
  absl::Status CheckFrame(absl::string_view field,
                          const std::string& id) const {
    if (id.empty())
      return FieldErr(field, "empty");
    if (frames_.count(id) != 0)
      return absl::OkStatus();
    if (auto gone = gone_at_.find(id); gone != gone_at_.end()) {
      return FieldErr(field, absl::StrCat("frame \"", id,
                                          "\" no longer exists (gone since "
                                          "step ",
                                          gone->second, ")"));
    }
    if (id == "top")
      return FieldErr(field,
                      "frame \"top\" has no document yet (navigate it "
                      "first)");
    return FieldErr(field, absl::StrCat("unknown frame \"", id, "\""));
  }

  absl::Status CheckIframe(absl::string_view field,
                           const std::string& id) const {
    if (id == "top")
      return FieldErr(field, "\"top\" is not an iframe");
    return CheckFrame(field, id);
  }

  absl::StatusOr<net::Url> ParseUrl(absl::string_view field,
                                    const std::string& url,
                                    const net::Url* base) const {
    if (url.empty())
      return FieldErr(field, "empty");
    absl::StatusOr<net::Url> parsed = net::Url::Parse(url, base);
    if (!parsed.ok())
      return FieldErr(field, parsed.status().message());
    return parsed;
  }

  absl::Status CheckResponseHeaders(
      const pb::Map<std::string, std::string>& headers) const {
    // Sorted, so that the first bad name reported does not depend on hashing.
    std::map<std::string, std::string> sorted(headers.begin(), headers.end());
    for (const auto& [name, value] : sorted) {
      if (!net::IsHttpToken(name)) {
        return FieldErr("responseHeaders",
                        absl::StrCat("header name ", QuoteForMessage(name),
                                     " is not an HTTP token"));
      }
    }
    return absl::OkStatus();
  }

  // Removes the frames inside `id`'s document (not `id` itself).
  void RemoveDescendants(const std::string& id) {
    bool removed = true;
    while (removed) {
      removed = false;
      for (auto it = frames_.begin(); it != frames_.end(); ++it) {
        if (it->second.parent == id ||
            (!it->second.parent.empty() &&
             frames_.count(it->second.parent) == 0)) {
          gone_at_[it->first] = index_;
          frames_.erase(it);
          removed = true;
          break;
        }
      }
    }
  }

  void RemoveFrame(const std::string& id) {
    RemoveDescendants(id);
    frames_.erase(id);
    gone_at_[id] = index_;
  }

  absl::Status CheckStep(const Step& step) {
    if (step.has_expect() && !step.has_fetch_later() &&
        !step.has_run_script() && !step.has_load_script()) {
      return FieldErr("expect",
                      "only fetchLater, runScript and loadScript steps take an "
                      "expect");
    }
    // SCENARIOS.md "Browser lifetime": while the browser is down, only these.
    if (browser_down_at_ && !step.has_advance_time() &&
        !step.has_set_network() && !step.has_respond() &&
        !step.has_start_browser() && !step.has_shutdown_browser() &&
        !step.has_crash_browser() &&
        step.action_case() != Step::ACTION_NOT_SET) {
      return Error(absl::StrCat(
          "the browser is down (since step ", *browser_down_at_,
          "): only advanceTime, setNetwork, respond and startBrowser are "
          "valid until startBrowser"));
    }
    switch (step.action_case()) {
      case Step::ACTION_NOT_SET:
        return Error(
            absl::StrCat("no action (give one of ", ActionNames(), ")"));
      case Step::kNavigate:
        return CheckNavigate(step.navigate());
      case Step::kCreateIframe:
        return CheckCreateIframe(step.create_iframe());
      case Step::kFetchLater:
        return CheckFetchLater(step);
      case Step::kAbort:
        // A signal exists from the first step that names it: an abort before
        // any fetchLater passes it is valid, and a later fetchLater with it
        // throws AbortError (WPT: "already aborted signal").
        if (step.abort().signal().empty())
          return FieldErr("signal", "empty");
        return absl::OkStatus();
      case Step::kNavigateIframe:
        return CheckNavigateIframe(step.navigate_iframe());
      case Step::kRemoveIframe:
        if (absl::Status s = CheckIframe("id", step.remove_iframe().id());
            !s.ok()) {
          return s;
        }
        RemoveFrame(step.remove_iframe().id());
        return absl::OkStatus();
      case Step::kSetVisibility:
        return absl::OkStatus();
      case Step::kEnterBfcache:
        if (frames_.count("top") == 0)
          return Error("no page in \"top\" to put in the bfcache");
        if (in_bfcache_)
          return Error("the page is already in the bfcache");
        in_bfcache_ = true;
        return absl::OkStatus();
      case Step::kRestoreFromBfcache:
        if (!in_bfcache_)
          return Error("no page is in the bfcache (no enterBfcache before)");
        in_bfcache_ = false;
        return absl::OkStatus();
      case Step::kAdvanceTime:
        if (step.advance_time().ms() < 0) {
          return FieldErr(
              "ms", absl::StrCat(step.advance_time().ms(), " is negative"));
        }
        return absl::OkStatus();
      case Step::kSetNetwork:
        if (!SetNetwork::Mode_IsValid(step.set_network().mode())) {
          return FieldErr(
              "mode", absl::StrCat("unknown mode ", step.set_network().mode()));
        }
        return absl::OkStatus();
      case Step::kCrashRenderer:
        return CheckFrame("frame", step.crash_renderer().frame());
      case Step::kRunScript:
        if (step.run_script().source().empty())
          return FieldErr("source", "empty");
        return CheckFrame("frame", step.run_script().frame());
      case Step::kLoadScript:
        if (step.load_script().path().empty())
          return FieldErr("path", "empty");
        return CheckFrame("frame", step.load_script().frame());
      case Step::kCloseTab:
        CloseEveryFrame();
        return absl::OkStatus();
      case Step::kRespond:
        return CheckRespond(step.respond());
      case Step::kShutdownBrowser:
      case Step::kCrashBrowser:
        if (browser_down_at_) {
          return Error(absl::StrCat("the browser is already down (since step ",
                                    *browser_down_at_, ")"));
        }
        CloseEveryFrame();
        browser_down_at_ = index_;
        return absl::OkStatus();
      case Step::kStartBrowser:
        if (!browser_down_at_) {
          return Error(
              "the browser is running (startBrowser follows shutdownBrowser "
              "or crashBrowser)");
        }
        browser_down_at_.reset();
        return absl::OkStatus();
    }
    return Error("unhandled action");
  }

  void CloseEveryFrame() {
    for (const auto& [id, frame] : frames_)
      gone_at_[id] = index_;
    frames_.clear();
    in_bfcache_ = false;
  }

  absl::Status CheckRespond(const Respond& respond) const {
    if (respond.url_prefix().empty())
      return FieldErr("urlPrefix", "empty");
    if (!respond.method().empty() && !net::IsHttpToken(respond.method())) {
      return FieldErr("method", absl::StrCat(QuoteForMessage(respond.method()),
                                             " is not an HTTP token"));
    }
    if (respond.status() < 100 || respond.status() > 599) {
      return FieldErr("status",
                      absl::StrCat(respond.status(), " is not 100 to 599"));
    }
    std::map<std::string, std::string> sorted(respond.headers().begin(),
                                              respond.headers().end());
    for (const auto& [name, value] : sorted) {
      if (!net::IsHttpToken(name)) {
        return FieldErr("headers",
                        absl::StrCat("header name ", QuoteForMessage(name),
                                     " is not an HTTP token"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckNavigate(const Navigate& navigate) {
    const std::string& id = navigate.frame();
    if (id != "top") {
      if (absl::Status s = CheckFrame("frame", id); !s.ok())
        return s;
    }
    absl::StatusOr<net::Url> url = ParseUrl("url", navigate.url(), nullptr);
    if (!url.ok())
      return url.status();
    if (absl::Status s = CheckResponseHeaders(navigate.response_headers());
        !s.ok()) {
      return s;
    }
    if (frames_.count(id) != 0)
      RemoveDescendants(id);
    Frame& frame = frames_[id];
    frame.url = *std::move(url);
    gone_at_.erase(id);
    return absl::OkStatus();
  }

  absl::Status CheckCreateIframe(const CreateIframe& create) {
    if (absl::Status s = CheckFrame("parent", create.parent()); !s.ok())
      return s;
    const std::string& id = create.id();
    if (id.empty())
      return FieldErr("id", "empty");
    if (id == "top")
      return FieldErr("id", "\"top\" is the top-level frame");
    if (frames_.count(id) != 0)
      return FieldErr("id", absl::StrCat("frame \"", id, "\" already exists"));
    const Frame& parent = frames_.at(create.parent());
    absl::StatusOr<net::Url> src =
        ParseUrl("src", create.src(), parent.url ? &*parent.url : nullptr);
    if (!src.ok())
      return src.status();
    net::Url url = *src;
    if (!create.redirect_to().empty()) {
      absl::StatusOr<net::Url> redirect =
          ParseUrl("redirectTo", create.redirect_to(), &*src);
      if (!redirect.ok())
        return redirect.status();
      url = *std::move(redirect);
    }
    if (absl::Status s = CheckResponseHeaders(create.response_headers());
        !s.ok()) {
      return s;
    }
    frames_[id] = Frame{create.parent(), std::move(url)};
    gone_at_.erase(id);
    return absl::OkStatus();
  }

  absl::Status CheckFetchLater(const Step& step) {
    const FetchLater& fetch = step.fetch_later();
    if (absl::Status s = CheckFrame("frame", fetch.frame()); !s.ok())
      return s;
    if (fetch.has_body()) {
      const ipc::PageBody& body = fetch.body();
      if (!ipc::PageBody::Type_IsValid(body.type()))
        return FieldErr("body.type",
                        absl::StrCat("unknown type ", body.type()));
      if (body.size() < 0)
        return FieldErr("body.size", absl::StrCat(body.size(), " is negative"));
      if (body.size() > kMaxBodySize) {
        return FieldErr("body.size",
                        absl::StrCat(body.size(), " is over the 16 MiB limit"));
      }
      if (body.type() == ipc::PageBody::NONE && body.size() != 0)
        return FieldErr("body.size", "a NONE body has size 0");
    }
    if (step.has_expect()) {
      const Expect& expect = step.expect();
      if (expect.has_outcome() && !Expect::Outcome_IsValid(expect.outcome())) {
        return FieldErr("expect.outcome",
                        absl::StrCat("unknown outcome ", expect.outcome()));
      }
      if (expect.has_quota() && expect.quota() < 0) {
        return FieldErr("expect.quota",
                        absl::StrCat(expect.quota(), " is negative"));
      }
      if (expect.has_requested() && expect.requested() < 0) {
        return FieldErr("expect.requested",
                        absl::StrCat(expect.requested(), " is negative"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CheckNavigateIframe(const NavigateIframe& navigate) {
    if (absl::Status s = CheckIframe("id", navigate.id()); !s.ok())
      return s;
    const std::string& initiator = navigate.initiator();
    if (initiator != "parent" && initiator != "self") {
      return FieldErr("initiator",
                      absl::StrCat("must be \"parent\" or \"self\", got ",
                                   QuoteForMessage(initiator)));
    }
    Frame& frame = frames_.at(navigate.id());
    const Frame& source =
        initiator == "parent" ? frames_.at(frame.parent) : frame;
    absl::StatusOr<net::Url> url =
        ParseUrl("url", navigate.url(), source.url ? &*source.url : nullptr);
    if (!url.ok())
      return url.status();
    RemoveDescendants(navigate.id());
    frames_.at(navigate.id()).url = *std::move(url);
    return absl::OkStatus();
  }

  int index_ = 0;
  std::string prefix_;
  std::map<std::string, Frame> frames_;
  std::map<std::string, int> gone_at_;  // frame id -> step it stopped existing
  bool in_bfcache_ = false;
  // The step that shut down or crashed the browser, until startBrowser.
  std::optional<int> browser_down_at_;
};

}  // namespace

absl::Status ValidateScenario(const Scenario& scenario) {
  return Validator().Run(scenario);
}

}  // namespace fetch_later::scenario
