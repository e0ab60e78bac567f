#include "tools/scenario_runner.h"

#include <unistd.h>

#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/testing/https_test_server.h"
#include "tools/browser_process.h"
#include "tools/scenario/scenario_reader.h"

namespace fetch_later::tools {
namespace {

using scenario::Report;
using scenario::Scenario;
using scenario::SentRequest;
using scenario::Step;
using scenario::StepResult;

constexpr char kBfcacheNextUrl[] = "https://next-page.test/";

std::string HeaderValue(
    const google::protobuf::Map<std::string, std::string>& headers,
    absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name))
      return value;
  }
  return "";
}

const char* OutcomeName(ipc::JsOutcome outcome) {
  switch (outcome) {
    case ipc::JS_OK:
      return "OK";
    case ipc::JS_TYPE_ERROR:
      return "TYPE_ERROR";
    case ipc::JS_RANGE_ERROR:
      return "RANGE_ERROR";
    case ipc::JS_ABORT_ERROR:
      return "ABORT_ERROR";
    case ipc::JS_QUOTA_EXCEEDED_ERROR:
      return "QUOTA_EXCEEDED_ERROR";
    case ipc::JS_TERMINATED:
      return "TERMINATED";
    default:
      return "OTHER_ERROR";
  }
}

// What a page step threw (or OK), into the report's entry for its step.
void CopyOutcome(const ipc::StepResult& result, StepResult& r) {
  r.outcome = OutcomeName(result.outcome());
  r.message = result.message();
  if (result.has_quota())
    r.quota = static_cast<int64_t>(result.quota());
  if (result.has_requested())
    r.requested = static_cast<int64_t>(result.requested());
}

// "page.js:3:7: TypeError: message", as the report lists uncaught exceptions.
std::string DescribeScriptError(const ipc::ScriptError& error) {
  return absl::StrCat(
      error.source_url(), ":", error.line(), ":", error.column(), ": ",
      error.name().empty() ? "" : absl::StrCat(error.name(), ": "),
      error.message());
}

// The file's bytes; NotFound if it cannot be read.
absl::StatusOr<std::string> ReadScriptFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

net::testing::FaultMode ToFaultMode(scenario::SetNetwork::Mode mode) {
  switch (mode) {
    case scenario::SetNetwork::REFUSE:
      return net::testing::FaultMode::kRefuse;
    case scenario::SetNetwork::RESET:
      return net::testing::FaultMode::kReset;
    case scenario::SetNetwork::STALL:
      return net::testing::FaultMode::kStall;
    case scenario::SetNetwork::HTTP_500:
      return net::testing::FaultMode::kHttp500;
    case scenario::SetNetwork::TLS_FAIL:
      return net::testing::FaultMode::kTlsFail;
    default:
      return net::testing::FaultMode::kOk;
  }
}

// The page step that makes `s`'s fetchLater() call in the renderer.
ipc::PageFetchLater ToPageFetchLater(const scenario::FetchLater& s) {
  ipc::PageFetchLater call;
  call.set_url(s.url());
  if (!s.method().empty())
    call.set_method(s.method());
  if (s.has_body())
    *call.mutable_body() = s.body();
  for (const auto& [name, value] : s.headers()) {
    ipc::Header* h = call.add_headers();
    h->set_name(name);
    h->set_value(value);
  }
  if (s.has_referrer())
    call.set_referrer(s.referrer());
  if (!s.referrer_policy().empty())
    call.set_referrer_policy(s.referrer_policy());
  if (s.has_activate_after_ms())
    call.set_activate_after_ms(s.activate_after_ms());
  if (!s.signal().empty())
    call.set_signal(s.signal());
  if (s.has_retry_options())
    *call.mutable_retry_options() = s.retry_options();
  // RequestInit's enum strings as script would pass them ("" = absent).
  if (!s.mode().empty())
    call.set_mode(s.mode());
  if (!s.credentials().empty())
    call.set_credentials(s.credentials());
  if (!s.redirect().empty())
    call.set_redirect(s.redirect());
  return call;
}

// The collector's canned answer for a `respond` step (its headers in name
// order, so that the response does not depend on the map's order).
net::testing::ResponseRule ToResponseRule(const scenario::Respond& respond) {
  net::testing::ResponseRule rule;
  rule.url_prefix = respond.url_prefix();
  if (!respond.method().empty())
    rule.method = respond.method();
  rule.status = respond.status();
  std::map<std::string, std::string> sorted(respond.headers().begin(),
                                            respond.headers().end());
  rule.headers.assign(sorted.begin(), sorted.end());
  rule.body = respond.body();
  return rule;
}

struct Frame {
  uint64_t navigable = 0;
  std::string document_token;
  std::string parent;  // "" for top
  std::string url;
  std::string site;
};

// One run's state: the collector, the browser and the frame ids the scenario
// uses.
class Run {
 public:
  Run(const Scenario& scenario, const RunOptions& options)
      : scenario_(scenario), options_(options) {}

  absl::StatusOr<Report> Execute();

 private:
  void Say(std::string line) {
    if (options_.transcript)
      options_.transcript->push_back(std::move(line));
  }
  absl::Status Start();
  // Runs one step; a returned error is a failure of that step (the run goes
  // on).
  absl::Status RunStep(int index, const Step& step);
  // RunStep's handlers, one per step kind; `index` is the step's.
  absl::Status RunScriptStep(int index, const scenario::RunScript& step);
  absl::Status LoadScriptStep(int index, const scenario::LoadScript& step);
  absl::Status NavigateStep(const scenario::Navigate& step);
  absl::Status CreateIframeStep(const scenario::CreateIframe& step);
  absl::Status FetchLaterStep(int index, const scenario::FetchLater& step);
  absl::Status AbortStep(int index, const scenario::Abort& step);
  absl::Status NavigateIframeStep(const scenario::NavigateIframe& step);
  absl::Status RemoveIframeStep(int index, const scenario::RemoveIframe& step);
  absl::Status SetVisibilityStep(const scenario::SetVisibility& step);
  absl::Status EnterBfcacheStep(int index);
  absl::Status RestoreFromBfcacheStep(int index);
  absl::Status AdvanceTimeStep(int index, const scenario::AdvanceTime& step);
  // Moves the browser's virtual clock by `ms` and lets what its timers
  // released reach the network.
  absl::Status AdvanceVirtualClock(int64_t ms);
  absl::Status SetNetworkStep(int index, const scenario::SetNetwork& step);
  absl::Status RespondStep(int index, const scenario::Respond& step);
  absl::Status CrashRendererStep(int index,
                                 const scenario::CrashRenderer& step);
  absl::Status CloseTabStep(int index);
  // SCENARIOS.md "Browser lifetime": SIGTERM, SIGKILL, and a new process on
  // the same profile directory whose clock continues the run's.
  absl::Status ShutdownBrowserStep(int index);
  absl::Status CrashBrowserStep(int index);
  absl::Status StartBrowserStep(int index);
  absl::Status StartBrowser();
  // What the browser about to go refused, and the end of its process:
  // requests the collector has received so far were sent by it.
  void EndOfProcess();
  absl::Status Commit(const std::string& id,
                      const std::string& parent,
                      const ipc::Frame& frame,
                      const std::string& url);
  void ForgetDescendants(const std::string& id);
  // Navigates frame `id` (child of `parent`) as `request` says; its iframes are
  // gone.
  absl::Status NavigateFrame(const std::string& id,
                             std::string parent,
                             const ipc::NavigateRequest& request);
  absl::StatusOr<const Frame*> FindFrame(const std::string& id);
  // Runs `source` in `frame`'s document and records the step's result.
  absl::Status RunScript(int index,
                         const std::string& frame,
                         const std::string& source,
                         const std::string& source_url);
  // Collects what script did on the browser's initiative during step `index`
  // (lifecycle listeners, timers): console output goes to the step's report
  // entry, every uncaught exception is a failure.
  void TakeScriptReports(int index, const Step& step) {
    TakeScriptReports(index, scenario::StepKind(step));
  }
  // The same, the failures naming `what` happened.
  void TakeScriptReports(int index, const std::string& what);
  // SCENARIOS.md: "When the steps end, a tab that is still open is closed, as
  // by a final closeTab": its pagehide listeners run and its pending deferred
  // fetches are sent. Reported as step `index` (one past the last).
  void CloseTabAtEndOfSteps(int index);
  // The scenario's id for the frame whose document is `token` ("?" if none).
  std::string FrameIdFor(const std::string& token) const;
  StepResult& ResultFor(int index);
  ipc::BrowserControl::Stub& control() { return browser_->control(); }
  std::vector<SentRequest> CollectSent();
  // What the browser refused to put on the wire (BrowserControl.
  // TakeBlockedRequests), once the run has drained.
  std::vector<scenario::BlockedRequest> CollectBlocked();
  // The frame tree with what each frame may still queue ("available
  // deferred-fetch quota" with no reporting origin: its group's remaining pool,
  // at most 64 KiB).
  void SayQuota();
  int64_t VirtualMsAt(absl::Time wall) const;

  const Scenario& scenario_;
  const RunOptions& options_;
  std::unique_ptr<net::testing::TestCertificateAuthority> ca_;
  std::unique_ptr<net::testing::HttpsTestServer> collector_;
  std::unique_ptr<BrowserProcess> browser_;
  std::string temp_dir_;
  // The profile directory every browser process of the run shares (its
  // journal of deferred fetches).
  std::string profile_dir_;
  // The browser process number (1, 2, ...) and, per ended process, how many
  // requests the collector had received when it ended.
  int process_ = 0;
  std::vector<size_t> process_ends_;
  // Refusals collected before a browser process ended.
  std::vector<scenario::BlockedRequest> blocked_;
  // The run's start on the wall clock: the virtual clock of every browser
  // process is this plus `virtual_ms_`.
  absl::Time run_start_ = absl::Now();
  uint64_t tab_ = 0;
  std::map<std::string, Frame> frames_;
  // Frames of pages in the bfcache, restored by restoreFromBfcache.
  std::vector<std::map<std::string, Frame>> bfcache_;
  std::map<std::string, std::string> signals_;  // signal name -> document token
  // Signals an `abort` step named before any fetchLater passed them: the first
  // fetchLater that passes one gets its AbortController already aborted.
  std::set<std::string> aborted_before_use_;
  // Every document the run committed (token -> frame id), kept after the frame
  // is gone: reports about a closing tab's documents arrive after it closed.
  std::map<std::string, std::string> frame_ids_;
  std::vector<StepResult> results_;
  std::vector<std::string> failures_;
  // (wall time, virtual ms) at each advanceTime, to date arrivals in virtual
  // time.
  std::vector<std::pair<absl::Time, int64_t>> timeline_;
  int64_t virtual_ms_ = 0;
};

absl::Status Run::Start() {
  auto ca = net::testing::TestCertificateAuthority::Create();
  if (!ca.ok())
    return ca.status();
  ca_ = std::move(*ca);
  char dir[] = "/tmp/dfshXXXXXX";
  if (mkdtemp(dir) == nullptr)
    return absl::InternalError("mkdtemp failed");
  temp_dir_ = dir;
  absl::Status written = ca_->WriteRootPem(temp_dir_ + "/ca.pem");
  if (!written.ok())
    return written;
  collector_ = std::make_unique<net::testing::HttpsTestServer>(ca_.get());
  absl::Status started = collector_->Start();
  if (!started.ok())
    return started;
  profile_dir_ = temp_dir_ + "/profile";
  run_start_ = absl::Now();
  timeline_.push_back({run_start_, 0});
  return StartBrowser();
}

absl::Status Run::StartBrowser() {
  BrowserProcess::Options options;
  options.browser_binary = options_.browser_binary.empty()
                               ? RunfilesPath("browser/browser")
                               : options_.browser_binary;
  options.ca_file = temp_dir_ + "/ca.pem";
  options.host_resolver_rules =
      absl::StrCat("MAP * 127.0.0.1:", collector_->port());
  options.virtual_time = !options_.real_time;
  // SCENARIOS.md: virtual time is the run's, across restarts.
  options.virtual_time_start_ms = absl::ToUnixMillis(run_start_) + virtual_ms_;
  options.profile_dir = profile_dir_;
  auto browser = BrowserProcess::Start(options);
  if (!browser.ok())
    return browser.status();
  browser_ = std::move(*browser);
  ++process_;
  if (options_.on_browser_started)
    options_.on_browser_started(browser_->internals_url());
  Say(absl::StrCat("  browser process ", process_, " started (internals page ",
                   browser_->internals_url(), ")"));
  return absl::OkStatus();
}

void Run::EndOfProcess() {
  for (scenario::BlockedRequest& b : CollectBlocked())
    blocked_.push_back(std::move(b));
}

absl::Status Run::ShutdownBrowserStep(int index) {
  EndOfProcess();
  const int status = browser_->Terminate();
  browser_.reset();
  process_ends_.push_back(collector_->requests().size());
  frames_.clear();
  bfcache_.clear();
  tab_ = 0;
  Say(absl::StrCat("  step ", index, " shut the browser down (SIGTERM): exit ",
                   status));
  if (status != 0) {
    return absl::InternalError(
        absl::StrCat("the browser exited with status ", status));
  }
  return absl::OkStatus();
}

absl::Status Run::CrashBrowserStep(int index) {
  EndOfProcess();
  browser_->Kill();
  browser_.reset();
  process_ends_.push_back(collector_->requests().size());
  frames_.clear();
  bfcache_.clear();
  tab_ = 0;
  Say(absl::StrCat("  step ", index, " crash the browser (SIGKILL)"));
  return absl::OkStatus();
}

absl::Status Run::StartBrowserStep(int index) {
  Say(absl::StrCat("  step ", index, " start the browser again"));
  absl::Status started = StartBrowser();
  if (!started.ok())
    return started;
  // What it restored from the journal reaches the network before time moves.
  ipc::DrainRequest drain;
  drain.set_timeout_ms(10000);
  ipc::DrainResponse drained;
  grpc::ClientContext context;
  control().Drain(&context, drain, &drained);
  return absl::OkStatus();
}

absl::StatusOr<const Frame*> Run::FindFrame(const std::string& id) {
  auto it = frames_.find(id);
  if (it == frames_.end())
    return absl::NotFoundError(absl::StrCat("no frame \"", id, "\""));
  return &it->second;
}

absl::Status Run::Commit(const std::string& id,
                         const std::string& parent,
                         const ipc::Frame& frame,
                         const std::string& url) {
  frames_[id] = Frame{frame.navigable_id(), frame.document_token(), parent, url,
                      frame.site()};
  frame_ids_[frame.document_token()] = id;
  Say(absl::StrCat("  frame ", id, ": ", url, "  (renderer ", frame.site(),
                   ")"));
  return absl::OkStatus();
}

void Run::ForgetDescendants(const std::string& id) {
  std::vector<std::string> gone;
  for (const auto& [child, frame] : frames_) {
    if (frame.parent == id)
      gone.push_back(child);
  }
  for (const std::string& child : gone) {
    ForgetDescendants(child);
    frames_.erase(child);
  }
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok())
    return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

absl::Status Run::NavigateFrame(const std::string& id,
                                std::string parent,
                                const ipc::NavigateRequest& request) {
  ipc::Frame committed;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().Navigate(&context, request, &committed));
  if (!status.ok())
    return status;
  ForgetDescendants(id);
  return Commit(id, std::move(parent), committed, request.url());
}

absl::Status Run::RunScript(int index,
                            const std::string& frame_id,
                            const std::string& source,
                            const std::string& source_url) {
  auto frame = FindFrame(frame_id);
  if (!frame.ok())
    return frame.status();
  ipc::RunPageStepRequest request;
  request.set_document_token((*frame)->document_token);
  ipc::RunScript* script = request.mutable_step()->mutable_run_script();
  script->set_source(source);
  script->set_source_url(source_url);
  ipc::StepResult result;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().RunPageStep(&context, request, &result));
  if (!status.ok())
    return status;
  StepResult& r = ResultFor(index);
  CopyOutcome(result, r);
  Say(absl::StrCat("  step ", index, " script ", source_url, " in ", frame_id,
                   " -> ", r.outcome));
  for (const std::string& line : result.console()) {
    r.console.push_back(line);
    Say(absl::StrCat("    console ", line));
  }
  for (const ipc::ScriptError& error : result.errors()) {
    r.errors.push_back(DescribeScriptError(error));
    Say(absl::StrCat("    uncaught ", r.errors.back()));
  }
  return absl::OkStatus();
}

StepResult& Run::ResultFor(int index) {
  for (StepResult& r : results_) {
    if (r.index == index)
      return r;
  }
  results_.push_back(StepResult{index, "OK"});
  return results_.back();
}

std::string Run::FrameIdFor(const std::string& token) const {
  auto it = frame_ids_.find(token);
  return it == frame_ids_.end() ? "?" : it->second;
}

void Run::TakeScriptReports(int index, const std::string& what) {
  if (browser_ == nullptr)
    return;  // down between shutdownBrowser/crashBrowser and startBrowser
  ipc::ScriptReports reports;
  grpc::ClientContext context;
  if (!control().TakeScriptReports(&context, ipc::Empty(), &reports).ok())
    return;
  for (const ipc::ScriptReport& report : reports.reports()) {
    const std::string frame = FrameIdFor(report.document_token());
    StepResult& r = ResultFor(index);
    for (const std::string& line : report.result().console()) {
      r.console.push_back(line);
      Say(absl::StrCat("    console (", report.cause(), " in ", frame, ") ",
                       line));
    }
    for (const ipc::ScriptError& error : report.result().errors()) {
      r.errors.push_back(DescribeScriptError(error));
      failures_.push_back(absl::StrCat(
          "step ", index, " (", what, "): uncaught in ", report.cause(),
          " of frame ", frame, ": ", r.errors.back()));
      Say(failures_.back());
    }
    if (report.result().errors_size() == 0 &&
        report.result().outcome() != ipc::JS_OK) {
      // The renderer did not run the events (gone or too slow).
      failures_.push_back(absl::StrCat("step ", index, " (", what,
                                       "): ", report.cause(), " in frame ",
                                       frame, ": ", report.result().message()));
      Say(failures_.back());
    }
  }
}

// One handler per step kind: the `action` oneof's case picks it.
absl::Status Run::RunStep(int index, const Step& step) {
  switch (step.action_case()) {
    case Step::kRunScript:
      return RunScriptStep(index, step.run_script());
    case Step::kLoadScript:
      return LoadScriptStep(index, step.load_script());
    case Step::kNavigate:
      return NavigateStep(step.navigate());
    case Step::kCreateIframe:
      return CreateIframeStep(step.create_iframe());
    case Step::kFetchLater:
      return FetchLaterStep(index, step.fetch_later());
    case Step::kAbort:
      return AbortStep(index, step.abort());
    case Step::kNavigateIframe:
      return NavigateIframeStep(step.navigate_iframe());
    case Step::kRemoveIframe:
      return RemoveIframeStep(index, step.remove_iframe());
    case Step::kSetVisibility:
      return SetVisibilityStep(step.set_visibility());
    case Step::kEnterBfcache:
      return EnterBfcacheStep(index);
    case Step::kRestoreFromBfcache:
      return RestoreFromBfcacheStep(index);
    case Step::kAdvanceTime:
      return AdvanceTimeStep(index, step.advance_time());
    case Step::kSetNetwork:
      return SetNetworkStep(index, step.set_network());
    case Step::kCrashRenderer:
      return CrashRendererStep(index, step.crash_renderer());
    case Step::kCloseTab:
      return CloseTabStep(index);
    case Step::kRespond:
      return RespondStep(index, step.respond());
    case Step::kShutdownBrowser:
      return ShutdownBrowserStep(index);
    case Step::kCrashBrowser:
      return CrashBrowserStep(index);
    case Step::kStartBrowser:
      return StartBrowserStep(index);
    case Step::ACTION_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("a step with no action");
}

absl::Status Run::RunScriptStep(int index, const scenario::RunScript& step) {
  std::string name = "scenario";
  if (!options_.scenario_path.empty()) {
    name = options_.scenario_path.substr(options_.scenario_path.rfind('/') + 1);
  }
  return RunScript(index, step.frame(), step.source(),
                   absl::StrCat(name, "#step", index));
}

absl::Status Run::LoadScriptStep(int index, const scenario::LoadScript& step) {
  absl::StatusOr<std::string> source = ReadScriptFile(step.path());
  if (!source.ok())
    return source.status();
  return RunScript(index, step.frame(), *source, step.path());
}

absl::Status Run::NavigateStep(const scenario::Navigate& step) {
  if (step.frame() == "top" && tab_ == 0) {
    grpc::ClientContext context;
    ipc::CreateTabResponse tab;
    absl::Status created = FromGrpc(control().CreateTab(&context, {}, &tab));
    if (!created.ok())
      return created;
    tab_ = tab.navigable_id();
  }
  uint64_t navigable = tab_;
  std::string parent;
  if (step.frame() != "top") {
    auto frame = FindFrame(step.frame());
    if (!frame.ok())
      return frame.status();
    navigable = (*frame)->navigable;
    parent = (*frame)->parent;
  }
  ipc::NavigateRequest request;
  request.set_navigable_id(navigable);
  request.set_url(step.url());
  request.set_permissions_policy(
      HeaderValue(step.response_headers(), "Permissions-Policy"));
  if (std::string csp =
          HeaderValue(step.response_headers(), "Content-Security-Policy");
      !csp.empty()) {
    request.add_content_security_policy(std::move(csp));
  }
  return NavigateFrame(step.frame(), parent, request);
}

absl::Status Run::CreateIframeStep(const scenario::CreateIframe& step) {
  auto parent = FindFrame(step.parent());
  if (!parent.ok())
    return parent.status();
  ipc::CreateIframeRequest request;
  request.set_parent_document_token((*parent)->document_token);
  request.set_src(step.src());
  request.set_allow(step.allow());
  if (step.has_sandbox())
    request.set_sandbox(step.sandbox());
  if (!step.redirect_to().empty())
    request.add_redirects(step.redirect_to());
  request.set_permissions_policy(
      HeaderValue(step.response_headers(), "Permissions-Policy"));
  if (std::string csp =
          HeaderValue(step.response_headers(), "Content-Security-Policy");
      !csp.empty()) {
    request.add_content_security_policy(std::move(csp));
  }
  ipc::Frame frame;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().CreateIframe(&context, request, &frame));
  if (!status.ok())
    return status;
  return Commit(step.id(), step.parent(), frame,
                step.redirect_to().empty() ? step.src() : step.redirect_to());
}

absl::Status Run::FetchLaterStep(int index, const scenario::FetchLater& step) {
  auto frame = FindFrame(step.frame());
  if (!frame.ok())
    return frame.status();
  if (!step.signal().empty() && aborted_before_use_.erase(step.signal())) {
    // SCENARIOS.md: a signal exists from the first step that names it, so an
    // `abort` before any fetchLater passed it aborted it already: create the
    // controller in this document and abort it before the call (WPT "already
    // aborted signal": fetchLater throws AbortError).
    ipc::RunPageStepRequest abort;
    abort.set_document_token((*frame)->document_token);
    abort.mutable_step()->set_abort_signal(step.signal());
    ipc::StepResult aborted;
    grpc::ClientContext abort_context;
    absl::Status status =
        FromGrpc(control().RunPageStep(&abort_context, abort, &aborted));
    if (!status.ok())
      return status;
  }
  ipc::RunPageStepRequest request;
  request.set_document_token((*frame)->document_token);
  *request.mutable_step()->mutable_fetch_later() = ToPageFetchLater(step);
  if (!step.signal().empty())
    signals_[step.signal()] = (*frame)->document_token;
  ipc::StepResult result;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().RunPageStep(&context, request, &result));
  if (!status.ok())
    return status;
  StepResult r{index};
  CopyOutcome(result, r);
  Say(absl::StrCat("  step ", index, " fetchLater in ", step.frame(), " ",
                   step.url(), " -> ", r.outcome,
                   r.quota ? absl::StrCat(" (quota ", *r.quota, ", requested ",
                                          r.requested.value_or(0), ")")
                           : ""));
  results_.push_back(std::move(r));
  return absl::OkStatus();
}

absl::Status Run::AbortStep(int index, const scenario::Abort& step) {
  auto it = signals_.find(step.signal());
  if (it == signals_.end()) {
    // No fetchLater has passed it yet: it is aborted from its creation on.
    aborted_before_use_.insert(step.signal());
    Say(absl::StrCat("  step ", index, " abort ", step.signal(),
                     " (before any fetchLater passes it)"));
    return absl::OkStatus();
  }
  ipc::RunPageStepRequest request;
  request.set_document_token(it->second);
  request.mutable_step()->set_abort_signal(step.signal());
  ipc::StepResult result;
  grpc::ClientContext context;
  Say(absl::StrCat("  step ", index, " abort ", step.signal()));
  return FromGrpc(control().RunPageStep(&context, request, &result));
}

absl::Status Run::NavigateIframeStep(const scenario::NavigateIframe& step) {
  auto frame = FindFrame(step.id());
  if (!frame.ok())
    return frame.status();
  ipc::NavigateRequest request;
  request.set_navigable_id((*frame)->navigable);
  request.set_url(step.url());
  request.set_initiator(step.initiator() == "self" ? ipc::SELF : ipc::PARENT);
  return NavigateFrame(step.id(), (*frame)->parent, request);
}

absl::Status Run::RemoveIframeStep(int index,
                                   const scenario::RemoveIframe& step) {
  auto frame = FindFrame(step.id());
  if (!frame.ok())
    return frame.status();
  ipc::RemoveIframeRequest request;
  request.set_navigable_id((*frame)->navigable);
  ipc::Empty empty;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().RemoveIframe(&context, request, &empty));
  ForgetDescendants(step.id());
  frames_.erase(step.id());
  Say(absl::StrCat("  step ", index, " remove iframe ", step.id()));
  return status;
}

absl::Status Run::SetVisibilityStep(const scenario::SetVisibility& step) {
  ipc::SetVisibilityRequest request;
  request.set_navigable_id(tab_);
  request.set_hidden(step.hidden());
  ipc::Empty empty;
  grpc::ClientContext context;
  return FromGrpc(control().SetVisibility(&context, request, &empty));
}

absl::Status Run::EnterBfcacheStep(int index) {
  ipc::NavigateRequest request;
  request.set_navigable_id(tab_);
  request.set_url(kBfcacheNextUrl);
  request.set_enter_bfcache(true);
  ipc::Frame frame;
  grpc::ClientContext context;
  absl::Status status = FromGrpc(control().Navigate(&context, request, &frame));
  if (!status.ok())
    return status;
  bfcache_.push_back(std::move(frames_));
  frames_.clear();
  Say(absl::StrCat("  step ", index, " page enters the bfcache"));
  return Commit("top", "", frame, kBfcacheNextUrl);
}

absl::Status Run::RestoreFromBfcacheStep(int index) {
  if (bfcache_.empty())
    return absl::FailedPreconditionError("no page in the bfcache");
  ipc::NavigableRequest request;
  request.set_navigable_id(tab_);
  ipc::Frame frame;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().RestoreFromBfcache(&context, request, &frame));
  if (!status.ok())
    return status;
  frames_ = std::move(bfcache_.back());
  bfcache_.pop_back();
  Say(absl::StrCat("  step ", index, " page restored from the bfcache"));
  return absl::OkStatus();
}

absl::Status Run::AdvanceTimeStep(int index,
                                  const scenario::AdvanceTime& step) {
  const int64_t ms = step.ms();
  // What arrives from now on arrives at the new virtual time.
  timeline_.push_back({absl::Now(), virtual_ms_ + ms});
  if (options_.real_time) {
    absl::SleepFor(absl::Milliseconds(ms));
  } else if (browser_ == nullptr) {
    // The browser is down: only the run's clock moves (the next process
    // starts at it).
  } else if (absl::Status status = AdvanceVirtualClock(ms); !status.ok()) {
    return status;
  }
  virtual_ms_ += ms;
  Say(absl::StrCat("  step ", index, " time +", ms, " ms (now ", virtual_ms_,
                   " ms)"));
  return absl::OkStatus();
}

absl::Status Run::AdvanceVirtualClock(int64_t ms) {
  ipc::AdvanceClockRequest request;
  request.set_ms(static_cast<uint64_t>(ms));
  ipc::Empty empty;
  grpc::ClientContext context;
  absl::Status status =
      FromGrpc(control().AdvanceClock(&context, request, &empty));
  if (!status.ok())
    return status;
  // Let what the timers released reach the network before time moves on.
  ipc::DrainRequest drain;
  drain.set_timeout_ms(10000);
  ipc::DrainResponse drained;
  grpc::ClientContext drain_context;
  control().Drain(&drain_context, drain, &drained);
  return absl::OkStatus();
}

absl::Status Run::SetNetworkStep(int index, const scenario::SetNetwork& step) {
  collector_->SetMode(ToFaultMode(step.mode()));
  Say(absl::StrCat("  step ", index,
                   " network: ", scenario::SetNetwork::Mode_Name(step.mode())));
  return absl::OkStatus();
}

absl::Status Run::RespondStep(int index, const scenario::Respond& step) {
  collector_->Respond(ToResponseRule(step));
  Say(absl::StrCat("  step ", index, " collector answers ",
                   step.method().empty() ? "" : step.method() + " ",
                   step.url_prefix(), "* with ", step.status()));
  return absl::OkStatus();
}

absl::Status Run::CrashRendererStep(int index,
                                    const scenario::CrashRenderer& step) {
  auto frame = FindFrame(step.frame());
  if (!frame.ok())
    return frame.status();
  ipc::CrashRendererRequest request;
  request.set_document_token((*frame)->document_token);
  ipc::Empty empty;
  grpc::ClientContext context;
  Say(absl::StrCat("  step ", index, " crash the renderer of ", step.frame(),
                   " (", (*frame)->site, ")"));
  return FromGrpc(control().CrashRenderer(&context, request, &empty));
}

void Run::CloseTabAtEndOfSteps(int index) {
  if (tab_ == 0)
    return;
  Say(absl::StrCat("  end of steps: the tab is still open"));
  const std::string what = "end of steps: the open tab closes";
  absl::Status status = CloseTabStep(index);
  if (!status.ok()) {
    failures_.push_back(absl::StrCat("step ", index, " (", what,
                                     "): could not run: ", status.message()));
    Say(failures_.back());
  }
  TakeScriptReports(index, what);
}

absl::Status Run::CloseTabStep(int index) {
  SayQuota();
  ipc::NavigableRequest request;
  request.set_navigable_id(tab_);
  ipc::Empty empty;
  grpc::ClientContext context;
  absl::Status status = FromGrpc(control().CloseTab(&context, request, &empty));
  frames_.clear();
  tab_ = 0;
  Say(absl::StrCat("  step ", index, " close the tab"));
  return status;
}

void Run::SayQuota() {
  if (options_.transcript == nullptr)
    return;
  Say("  frames before the tab closes (available = what one more request may "
      "use):");
  std::function<void(const std::string&, int)> print =
      [&](const std::string& id, int depth) {
        const Frame& frame = frames_.at(id);
        ipc::QuotaRequest request;
        request.set_document_token(frame.document_token);
        ipc::QuotaResponse quota;
        grpc::ClientContext context;
        const bool ok =
            control().AvailableQuota(&context, request, &quota).ok();
        Say(absl::StrCat("    ", std::string(2 * depth, ' '), id, "  ",
                         frame.url, "  available ",
                         ok ? absl::StrCat(quota.available(), " B") : "?"));
        for (const auto& [child, f] : frames_) {
          if (f.parent == id)
            print(child, depth + 1);
        }
      };
  if (frames_.count("top"))
    print("top", 0);
}

int64_t Run::VirtualMsAt(absl::Time wall) const {
  int64_t ms = 0;
  for (const auto& [when, virtual_ms] : timeline_) {
    if (when <= wall)
      ms = virtual_ms;
  }
  if (options_.real_time)
    return absl::ToInt64Milliseconds(wall - timeline_.front().first);
  return ms;
}

std::vector<SentRequest> Run::CollectSent() {
  std::vector<SentRequest> sent;
  size_t index = 0;
  for (const auto& r : collector_->requests()) {
    SentRequest s;
    // The process that sent it: the first whose end came after it arrived.
    s.process = 1;
    for (size_t end : process_ends_) {
      if (index >= end)
        ++s.process;
    }
    ++index;
    s.method = r.method;
    s.url =
        absl::StrCat("https://", r.host.empty() ? r.sni : r.host, r.url_path);
    s.body_bytes = static_cast<int64_t>(r.body_bytes);
    // Repeated fields joined with ", ", as the collector's JSON lines do.
    for (const auto& [name, value] : r.headers) {
      auto [it, inserted] =
          s.headers.emplace(absl::AsciiStrToLower(name), value);
      if (!inserted)
        absl::StrAppend(&it->second, ", ", value);
    }
    s.preflight = scenario::IsCorsPreflight(s.method, s.headers);
    int retry = 0;
    auto attempt = s.headers.find("retry-attempt");
    if (attempt != s.headers.end() &&
        absl::SimpleAtoi(attempt->second, &retry)) {
      s.attempt = retry + 1;
    }
    s.at_ms = VirtualMsAt(r.received_at);
    sent.push_back(std::move(s));
  }
  return sent;
}

std::vector<scenario::BlockedRequest> Run::CollectBlocked() {
  std::vector<scenario::BlockedRequest> blocked;
  ipc::BlockedRequests response;
  grpc::ClientContext context;
  absl::Status status = FromGrpc(
      control().TakeBlockedRequests(&context, ipc::Empty(), &response));
  if (!status.ok()) {
    failures_.push_back(absl::StrCat("could not read the blocked requests: ",
                                     status.message()));
    return blocked;
  }
  for (const ipc::BlockedRequest& r : response.requests())
    blocked.push_back({r.url(), r.reason(), r.message()});
  return blocked;
}

absl::StatusOr<Report> Run::Execute() {
  absl::Status started = Start();
  if (!started.ok())
    return started;
  Say(absl::StrCat("scenario: ", scenario_.name()));
  for (int i = 0; i < scenario_.steps_size(); ++i) {
    const Step& step = scenario_.steps(i);
    absl::Status status = RunStep(i, step);
    if (!status.ok()) {
      failures_.push_back(absl::StrCat("step ", i, " (",
                                       scenario::StepKind(step),
                                       "): could not run: ", status.message()));
      Say(failures_.back());
    }
    TakeScriptReports(i, step);
  }
  if (browser_ != nullptr) {
    CloseTabAtEndOfSteps(scenario_.steps_size());
    // Drain, as after any step: everything handed to the network has finished
    // or waits for (virtual) time.
    ipc::DrainRequest drain;
    drain.set_timeout_ms(20000);
    ipc::DrainResponse drained;
    grpc::ClientContext context;
    control().Drain(&context, drain, &drained);
  }
  Report report;
  report.name = scenario_.name();
  report.steps = results_;
  report.sent = CollectSent();
  for (const auto& s : report.sent) {
    Say(absl::StrCat("  arrived: ", s.method, " ", s.url, "  ", s.body_bytes,
                     " body bytes, attempt ", s.attempt, ", at ", s.at_ms,
                     " ms", s.preflight ? " (CORS preflight)" : ""));
  }
  report.blocked = std::move(blocked_);
  if (browser_ != nullptr) {
    for (scenario::BlockedRequest& b : CollectBlocked())
      report.blocked.push_back(std::move(b));
  }
  for (const auto& b : report.blocked)
    Say(absl::StrCat("  blocked: ", b.url, "  ", b.reason, ": ", b.message));
  report.failures = failures_;
  for (std::string& f : scenario::CheckExpectations(
           scenario_, report.steps, report.sent, report.blocked)) {
    report.failures.push_back(std::move(f));
  }
  if (options_.keep_browser_running) {
    // --inspect: the caller looks at what the scenario left, then ends it.
    options_.keep_browser_running(
        browser_ != nullptr ? browser_->internals_url() : "");
  }
  if (browser_ != nullptr)
    browser_->Terminate();
  browser_.reset();
  collector_.reset();
  unlink((temp_dir_ + "/ca.pem").c_str());
  const std::string rm = absl::StrCat("rm -rf '", profile_dir_, "'");
  if (!profile_dir_.empty())
    (void)system(rm.c_str());
  rmdir(temp_dir_.c_str());
  return report;
}

}  // namespace

absl::StatusOr<Report> RunScenario(const Scenario& scenario,
                                   const RunOptions& options) {
  Run run(scenario, options);
  return run.Execute();
}

}  // namespace fetch_later::tools
