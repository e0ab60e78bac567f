// The report a scenario run prints (../shared/SCENARIOS.md, "Report"), and the
// check of a scenario's `expect` / `expectSent` against what happened.
//
//   Report report{.name = scenario.name()};
//   report.steps.push_back({.index = 2, .outcome = "QUOTA_EXCEEDED_ERROR",
//                           .quota = 8192, .requested = 9000});
//   report.sent = collector_requests;
//   report.failures = CheckExpectations(scenario, report.steps, report.sent);
//   std::cout << ReportToJson(report);
//   return report.failures.empty() ? 0 : 1;
//
// The runner fills these types; nothing here runs a scenario.
#ifndef TOOLS_SCENARIO_REPORT_H_
#define TOOLS_SCENARIO_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/scenario/scenario.pb.h"

namespace fetch_later::scenario {

// What one step did. There is one per `fetchLater` step; other steps may be
// listed too.
struct StepResult {
  // The step's 0-based index in Scenario.steps.
  int index = 0;
  // "OK", "TYPE_ERROR", "RANGE_ERROR", "ABORT_ERROR" or
  // "QUOTA_EXCEEDED_ERROR" for a fetchLater step (the names of
  // Expect.Outcome); a runner may use other words for other steps.
  std::string outcome;
  // QuotaExceededError.quota / .requested in bytes; absent when not known.
  std::optional<int64_t> quota;
  std::optional<int64_t> requested;
  // The exception's message, or a note; "" for none.
  std::string message;
  // Script steps: console output ("<level>: <text>") and every uncaught
  // exception ("file:line:column: Name: message"), in order.
  std::vector<std::string> console;
  std::vector<std::string> errors;
};

// One request the local collector received (every attempt is one entry).
struct SentRequest {
  std::string method;
  std::string url;  // serialised, as requested (no fragment)
  int64_t body_bytes = 0;
  // Lower-case header names; the JSON lists them in name order.
  std::map<std::string, std::string> headers;
  // 1 for the first attempt, 2 for the first retry, ...
  int attempt = 1;
  // Virtual (or, with --real-time, wall-clock) milliseconds since the run
  // started.
  int64_t at_ms = 0;
  // A CORS preflight: an OPTIONS request with Access-Control-Request-Method.
  bool preflight = false;
  // Which browser process sent it: 1 for the first, 2 after the first
  // restart, ... (SCENARIOS.md, "Browser lifetime").
  int process = 1;
};

// Whether a request with `method` and lower-case `headers` is a CORS
// preflight (SCENARIOS.md: `OPTIONS` with `Access-Control-Request-Method`).
bool IsCorsPreflight(const std::string& method,
                     const std::map<std::string, std::string>& headers);

// One request the browser refused to put on the wire.
struct BlockedRequest {
  // The refused URL (for a refused redirect, the redirect's target).
  std::string url;
  // CSP, CORS_PREFLIGHT, MODE_SAME_ORIGIN, REDIRECT_NOT_HTTPS, REDIRECT_LIMIT,
  // REDIRECT_MODE_ERROR, NOT_HTTPS, BAD_PORT, RETRY_GATE, EXPIRED or
  // IN_FLIGHT_AT_CRASH.
  std::string reason;
  // Readable: what was refused and which rule or header decided it.
  std::string message;
};

struct Report {
  std::string name;
  std::vector<StepResult> steps;
  std::vector<SentRequest> sent;
  std::vector<BlockedRequest> blocked;
  // One line per unmet expectation (see CheckExpectations()).
  std::vector<std::string> failures;
};

// The report as pretty-printed JSON (2-space indentation, a final newline):
// {"name", "steps": [{"index", "outcome", "quota", "requested", "message",
//                     "console", "errors"}],
//  "sent": [{"method", "url", "bodyBytes", "headers", "attempt", "atMs",
//            "preflight"}],
//  "blocked": [{"url", "reason", "message"}],
//  "failures": [...]}. `quota` and `requested` are left out when absent,
// `message`, `console` and `errors` when empty, `preflight` unless true.
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become
// U+FFFD.
std::string ReportToJson(const Report& report);

// One human-readable line per unmet expectation, in step order, then
// `expectSent` order, then `expectBlocked` order:
//   step 2 (fetchLater): expected QUOTA_EXCEEDED_ERROR, got OK
//   step 3 (runScript): expected OK, got TYPE_ERROR (page.js:4:9: TypeError: x)
//   step 2 (fetchLater): expected quota 8192, got 4096
//   step 2 (fetchLater): expected requested 9000, got none
//   step 2 (fetchLater): expected OK, got no result
//   expectSent[0] "https://collector.test/b": expected 1 request(s), got 0
//   expectSent[1] "https://c.test/" (method "GET", no header authorization,
//       header referer "https://a.test/"): expected 1 request(s), got 0; not
//       counted: POST https://c.test/x (method POST)
//   expectBlocked[0] "https://x.test/" (reason CSP): expected 1 blocked
//       request(s), got 0; not counted: https://x.test/a REDIRECT_LIMIT
//   step 4 (runScript): expected message containing "x", got "..."
// A step's `expect` is checked against the StepResult with its index (a
// `runScript` / `loadScript` step without one must have outcome OK). An
// `expectSent` entry counts the `sent` requests whose URL starts with its
// `urlPrefix` and that match its other fields: preflights only when it says
// `"preflight": true`, otherwise only the other requests; `method` exactly;
// each of `headers` (names compared case-insensitively) with exactly that
// value, or absent for null. An `expectBlocked` entry counts the `blocked`
// requests whose URL starts with its `urlPrefix`, for its `reason` ("" = any).
// The requests with the prefix that were not counted are named (at most 3),
// with why. Empty when everything held.
std::vector<std::string> CheckExpectations(
    const Scenario& scenario,
    const std::vector<StepResult>& steps,
    const std::vector<SentRequest>& sent,
    const std::vector<BlockedRequest>& blocked);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_REPORT_H_
