#include "tools/scenario/report.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "net/json_string.h"
#include "tools/scenario/scenario_reader.h"

namespace fetch_later::scenario {
namespace {

// RFC 8259 string, with quotes.
std::string Quote(absl::string_view s) {
  return net::JsonString(s);
}

// Appends `items` as a JSON array at `indent`, each produced by `write_item`
// (which appends one value at the given indent).
template <typename T, typename F>
void AppendArray(std::string* out,
                 const std::vector<T>& items,
                 const std::string& indent,
                 F write_item) {
  if (items.empty()) {
    *out += "[]";
    return;
  }
  *out += "[\n";
  const std::string inner = indent + "  ";
  for (size_t i = 0; i < items.size(); ++i) {
    *out += inner;
    write_item(items[i], inner);
    *out += i + 1 < items.size() ? ",\n" : "\n";
  }
  *out += indent + "]";
}

// An object's members, already rendered as values.
using Members = std::vector<std::pair<std::string, std::string>>;

void AppendObject(std::string* out,
                  const Members& members,
                  const std::string& indent) {
  if (members.empty()) {
    *out += "{}";
    return;
  }
  *out += "{\n";
  for (size_t i = 0; i < members.size(); ++i) {
    absl::StrAppend(out, indent, "  ", Quote(members[i].first), ": ",
                    members[i].second, i + 1 < members.size() ? ",\n" : "\n");
  }
  *out += indent + "}";
}

std::string StepJson(const StepResult& step, const std::string& indent) {
  Members members = {{"index", absl::StrCat(step.index)},
                     {"outcome", Quote(step.outcome)}};
  if (step.quota.has_value())
    members.emplace_back("quota", absl::StrCat(*step.quota));
  if (step.requested.has_value())
    members.emplace_back("requested", absl::StrCat(*step.requested));
  if (!step.message.empty())
    members.emplace_back("message", Quote(step.message));
  for (const auto& [name, lines] :
       {std::pair<const char*, const std::vector<std::string>*>{"console",
                                                                &step.console},
        {"errors", &step.errors}}) {
    if (lines->empty())
      continue;
    std::string array;
    AppendArray(&array, *lines, indent + "  ",
                [&](const std::string& line, const std::string&) {
                  array += Quote(line);
                });
    members.emplace_back(name, array);
  }
  std::string out;
  AppendObject(&out, members, indent);
  return out;
}

std::string BlockedJson(const BlockedRequest& blocked,
                        const std::string& indent) {
  std::string out;
  AppendObject(&out,
               {{"url", Quote(blocked.url)},
                {"reason", Quote(blocked.reason)},
                {"message", Quote(blocked.message)}},
               indent);
  return out;
}

std::string SentJson(const SentRequest& sent, const std::string& indent) {
  Members headers;
  for (const auto& [name, value] : sent.headers)
    headers.emplace_back(name, Quote(value));
  std::string headers_json;
  AppendObject(&headers_json, headers, indent + "  ");
  Members members = {{"method", Quote(sent.method)},
                     {"url", Quote(sent.url)},
                     {"bodyBytes", absl::StrCat(sent.body_bytes)},
                     {"headers", headers_json},
                     {"attempt", absl::StrCat(sent.attempt)},
                     {"atMs", absl::StrCat(sent.at_ms)}};
  if (sent.preflight)
    members.emplace_back("preflight", "true");
  members.emplace_back("process", absl::StrCat(sent.process));
  std::string out;
  AppendObject(&out, members, indent);
  return out;
}

std::string OptionalToString(const std::optional<int64_t>& value) {
  return value.has_value() ? absl::StrCat(*value) : "none";
}

// An expectSent entry's `headers`, by lower-cased name (sorted, so that
// failure lines do not depend on hashing).
std::map<std::string, const google::protobuf::Value*> ExpectedHeaders(
    const ExpectSent& expect) {
  std::map<std::string, const google::protobuf::Value*> headers;
  for (const auto& [name, value] : expect.headers())
    headers[absl::AsciiStrToLower(name)] = &value;
  return headers;
}

bool CountsPreflights(const ExpectSent& expect) {
  return expect.has_preflight() && expect.preflight();
}

// What `expect` asks beyond its URL prefix, for its failure line:
// ` (preflights, method "GET", no header authorization, header referer
// "https://a.test/")` (headers by name), or "".
std::string Qualifiers(const ExpectSent& expect) {
  std::vector<std::string> parts;
  if (CountsPreflights(expect))
    parts.push_back("preflights");
  if (!expect.method().empty())
    parts.push_back(absl::StrCat("method ", Quote(expect.method())));
  for (const auto& [name, value] : ExpectedHeaders(expect)) {
    parts.push_back(
        value->kind_case() == google::protobuf::Value::kNullValue
            ? absl::StrCat("no header ", name)
            : absl::StrCat("header ", name, " ", Quote(value->string_value())));
  }
  return parts.empty() ? ""
                       : absl::StrCat(" (", absl::StrJoin(parts, ", "), ")");
}

// Why `expect` does not count `request`, whose URL has its prefix; nullopt
// when it counts it.
std::optional<std::string> WhyNotCounted(const ExpectSent& expect,
                                         const SentRequest& request) {
  if (request.preflight != CountsPreflights(expect))
    return request.preflight ? "a preflight" : "not a preflight";
  if (!expect.method().empty() && request.method != expect.method())
    return absl::StrCat("method ", request.method);
  for (const auto& [name, value] : ExpectedHeaders(expect)) {
    auto it = request.headers.find(name);
    if (value->kind_case() == google::protobuf::Value::kNullValue) {
      if (it != request.headers.end())
        return absl::StrCat("header ", name, " ", Quote(it->second));
    } else if (it == request.headers.end()) {
      return absl::StrCat("no header ", name);
    } else if (it->second != value->string_value()) {
      return absl::StrCat("header ", name, " ", Quote(it->second));
    }
  }
  return std::nullopt;
}

// "; not counted: A, B, C and 2 more" for `not_counted` ("" when empty).
std::string NotCounted(const std::vector<std::string>& not_counted) {
  constexpr size_t kNamed = 3;
  if (not_counted.empty())
    return "";
  std::vector<std::string> named(
      not_counted.begin(),
      not_counted.begin() + std::min(kNamed, not_counted.size()));
  return absl::StrCat(
      "; not counted: ", absl::StrJoin(named, ", "),
      not_counted.size() > kNamed
          ? absl::StrCat(" and ", not_counted.size() - kNamed, " more")
          : "");
}

}  // namespace

bool IsCorsPreflight(const std::string& method,
                     const std::map<std::string, std::string>& headers) {
  return method == "OPTIONS" &&
         headers.count("access-control-request-method") > 0;
}

std::string ReportToJson(const Report& report) {
  std::string steps;
  AppendArray(&steps, report.steps, "  ",
              [&](const StepResult& step, const std::string& indent) {
                steps += StepJson(step, indent);
              });
  std::string sent;
  AppendArray(&sent, report.sent, "  ",
              [&](const SentRequest& request, const std::string& indent) {
                sent += SentJson(request, indent);
              });
  std::string blocked;
  AppendArray(&blocked, report.blocked, "  ",
              [&](const BlockedRequest& request, const std::string& indent) {
                blocked += BlockedJson(request, indent);
              });
  std::string failures;
  AppendArray(&failures, report.failures, "  ",
              [&](const std::string& failure, const std::string&) {
                failures += Quote(failure);
              });
  std::string out;
  AppendObject(&out,
               {{"name", Quote(report.name)},
                {"steps", steps},
                {"sent", sent},
                {"blocked", blocked},
                {"failures", failures}},
               "");
  out += "\n";
  return out;
}

std::vector<std::string> CheckExpectations(
    const Scenario& scenario,
    const std::vector<StepResult>& steps,
    const std::vector<SentRequest>& sent,
    const std::vector<BlockedRequest>& blocked) {
  std::vector<std::string> failures;
  for (int i = 0; i < scenario.steps_size(); ++i) {
    const Step& step = scenario.steps(i);
    const bool script = step.has_run_script() || step.has_load_script();
    if (!step.has_expect() && !script)
      continue;
    // A script must throw nothing unless its step says otherwise.
    Expect expect = step.expect();
    if (script && !expect.has_outcome())
      expect.set_outcome(Expect::OK);
    const std::string where =
        absl::StrCat("step ", i, " (", StepKind(step), "): ");
    const StepResult* result = nullptr;
    for (const StepResult& candidate : steps) {
      if (candidate.index == i) {
        result = &candidate;
        break;
      }
    }
    if (result == nullptr) {
      std::string expected = expect.has_outcome()
                                 ? Expect::Outcome_Name(expect.outcome())
                                 : "a result";
      failures.push_back(
          absl::StrCat(where, "expected ", expected, ", got no result"));
      continue;
    }
    if (expect.has_outcome() &&
        Expect::Outcome_Name(expect.outcome()) != result->outcome) {
      // What was thrown, when something was: for a script, where and what.
      failures.push_back(absl::StrCat(
          where, "expected ", Expect::Outcome_Name(expect.outcome()), ", got ",
          result->outcome,
          result->message.empty() ? ""
                                  : absl::StrCat(" (", result->message, ")")));
    }
    if (expect.has_quota() && result->quota != expect.quota()) {
      failures.push_back(absl::StrCat(where, "expected quota ", expect.quota(),
                                      ", got ",
                                      OptionalToString(result->quota)));
    }
    if (expect.has_requested() && result->requested != expect.requested()) {
      failures.push_back(absl::StrCat(where, "expected requested ",
                                      expect.requested(), ", got ",
                                      OptionalToString(result->requested)));
    }
    if (expect.has_message_contains() &&
        !absl::StrContains(result->message, expect.message_contains())) {
      failures.push_back(absl::StrCat(where, "expected message containing ",
                                      Quote(expect.message_contains()),
                                      ", got ", Quote(result->message)));
    }
  }
  for (int i = 0; i < scenario.expect_sent_size(); ++i) {
    const ExpectSent& expect = scenario.expect_sent(i);
    int64_t count = 0;
    std::vector<std::string> not_counted;
    for (const SentRequest& request : sent) {
      if (!absl::StartsWith(request.url, expect.url_prefix()))
        continue;
      if (std::optional<std::string> why = WhyNotCounted(expect, request)) {
        not_counted.push_back(
            absl::StrCat(request.method, " ", request.url, " (", *why, ")"));
      } else {
        ++count;
      }
    }
    if (count != expect.count()) {
      failures.push_back(absl::StrFormat(
          "expectSent[%d] %s%s: expected %d request(s), got %d%s", i,
          Quote(expect.url_prefix()), Qualifiers(expect), expect.count(), count,
          NotCounted(not_counted)));
    }
  }
  for (int i = 0; i < scenario.expect_blocked_size(); ++i) {
    const ExpectBlocked& expect = scenario.expect_blocked(i);
    int64_t count = 0;
    std::vector<std::string> not_counted;
    for (const BlockedRequest& request : blocked) {
      if (!absl::StartsWith(request.url, expect.url_prefix()))
        continue;
      if (expect.reason().empty() || request.reason == expect.reason())
        ++count;
      else
        not_counted.push_back(absl::StrCat(request.url, " ", request.reason));
    }
    if (count != expect.count()) {
      failures.push_back(absl::StrFormat(
          "expectBlocked[%d] %s%s: expected %d blocked request(s), got %d%s", i,
          Quote(expect.url_prefix()),
          expect.reason().empty()
              ? ""
              : absl::StrCat(" (reason ", expect.reason(), ")"),
          expect.count(), count, NotCounted(not_counted)));
    }
  }
  return failures;
}

}  // namespace fetch_later::scenario
