// Page JavaScript end to end: scenarios with runScript steps run through the
// real browser and renderer processes (JavaScriptCore in the renderer, gRPC
// between them, HTTPS to a local collector), and the report says what the
// scripts did: outcomes, error locations, console output, what arrived when.
//
// The behaviours here are the plumbing's: the watchdog stops one document's
// runaway script while the renderer's other documents go on, lifecycle
// listeners run before the frame-tree change, page timers run on the virtual
// clock, fetch() sends at once, and an uncaught error anywhere is a failure.
// The Web IDL bindings are unit-tested in renderer/script; the WPT ports and
// the seeds' code are in tests/wpt_js and examples/js.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/scenario/report.h"
#include "tools/scenario/scenario_reader.h"
#include "tools/scenario_runner.h"

namespace fetch_later::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

// Runs a scenario given as JSON steps on https://a.test/ (top) and returns
// the report.
scenario::Report RunSteps(const std::string& steps_json) {
  const std::string text = absl::StrCat(
      R"({"name": "page script", "steps": [)"
      R"({"navigate": {"frame": "top", "url": "https://a.test/"}},)",
      steps_json, "]}");
  absl::StatusOr<scenario::Scenario> parsed =
      scenario::ParseScenario(text, scenario::ScenarioFormat::kJson);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(scenario::ValidateScenario(*parsed).ok())
      << scenario::ValidateScenario(*parsed);
  std::vector<std::string> transcript;
  tools::RunOptions options;
  options.transcript = &transcript;
  absl::StatusOr<scenario::Report> report =
      tools::RunScenario(*parsed, options);
  EXPECT_TRUE(report.ok()) << report.status();
  if (!report.ok())
    return {};
  // The run's account, for whoever reads a failing test's log.
  std::fprintf(stderr, "%s\n", absl::StrJoin(transcript, "\n").c_str());
  return *report;
}

std::vector<std::string> SentPaths(const scenario::Report& report) {
  std::vector<std::string> paths;
  for (const scenario::SentRequest& sent : report.sent)
    paths.push_back(sent.url.substr(sent.url.find('/', 8)));
  return paths;
}

const scenario::StepResult* StepAt(const scenario::Report& report, int index) {
  for (const scenario::StepResult& step : report.steps) {
    if (step.index == index)
      return &step;
  }
  return nullptr;
}

// The watchdog stops `while (true) {}` in an iframe; the top-level document,
// hosted by the same renderer process (same site), and the iframe itself go on
// working, and nothing already queued is lost.
TEST(PageScriptTest, WatchdogStopsOneDocumentsLoopNotTheRenderer) {
  scenario::Report report = RunSteps(R"json(
    {"createIframe": {"parent": "top", "id": "f1", "src": "https://a.test/child",
                      "allow": "deferred-fetch"}},
    {"runScript": {"frame": "top", "source": "fetchLater('/before')"
}
},
    {"runScript": {"frame": "f1", "source": "while (true) {}"},
     "expect": {"outcome": "TERMINATED"}},
    {"runScript": {"frame": "top", "source": "fetchLater('/top-after')"}},
    {"runScript": {"frame": "f1", "source": "fetchLater('/child-after')"}},
    {"closeTab": {}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  EXPECT_THAT(SentPaths(report), ::testing::UnorderedElementsAre(
                                     "/before", "/top-after", "/child-after"));
  const scenario::StepResult* stopped = StepAt(report, 3);
  ASSERT_NE(stopped, nullptr);
  EXPECT_EQ(stopped->outcome, "TERMINATED");
}

// A document's Content-Security-Policy (a createIframe step's responseHeaders)
// reaches the browser's policy container: what the parser ignored is printed
// in the document's console before its first script's output, and the
// network stage refuses the request its connect-src does not allow while the
// allowed one is sent.
TEST(PageScriptTest, ContentSecurityPolicyWarnsAndBlocks) {
  scenario::Report report = RunSteps(R"json(
    {"createIframe": {"parent": "top", "id": "f1", "src": "https://a.test/csp",
                      "allow": "deferred-fetch",
                      "responseHeaders": {"Content-Security-Policy":
                          "connect-src 'self' https://b.test:x"}}},
    {"runScript": {"frame": "f1",
                   "source": "fetchLater('https://c.test/blocked'); fetchLater('/allowed'); console.log('queued')"}},
    {"closeTab": {}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  const scenario::StepResult* step = StepAt(report, 2);
  ASSERT_NE(step, nullptr);
  ASSERT_GE(step->console.size(), 2u);
  EXPECT_THAT(step->console[0],
              HasSubstr("warn: Content-Security-Policy: the source expression "
                        "\"https://b.test:x\""));
  EXPECT_EQ(step->console.back(), "log: queued");
  EXPECT_THAT(SentPaths(report), ::testing::ElementsAre("/allowed"));
}

// HTML "report an exception": the script's name, line and column, the error's
// name and message; console output before the throw is kept.
TEST(PageScriptTest, UncaughtErrorsNameFileLineAndColumn) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top",
                   "source": "console.log('about to fail', 42);\n\n  notDefined();"},
     "expect": {"outcome": "OTHER_ERROR", "messageContains": "ReferenceError"}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  const scenario::StepResult* step = StepAt(report, 1);
  ASSERT_NE(step, nullptr);
  EXPECT_THAT(step->message, HasSubstr("scenario#step1:3:"));
  EXPECT_THAT(step->console, Contains(HasSubstr("about to fail 42")));
  ASSERT_EQ(step->errors.size(), 1u);
  EXPECT_THAT(step->errors[0], HasSubstr("notDefined"));
}

// A script step that throws without an `expect` fails the scenario.
TEST(PageScriptTest, AnUnexpectedThrowIsAFailure) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top", "source": "throw new TypeError('nope')"}})json");
  EXPECT_THAT(report.failures,
              Contains(HasSubstr("step 1 (runScript): expected OK, got "
                                 "TYPE_ERROR")));
}

// The pagehide listener runs while the document is still fully active, so its
// fetchLater() is queued, and the unload that follows sends it.
TEST(PageScriptTest, PagehideListenerQueuesBeforeTheTabCloses) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top", "source":
      "addEventListener('pagehide', (e) => { console.log('pagehide', e.persisted, document.visibilityState); fetchLater('/bye?persisted=' + e.persisted); });\naddEventListener('visibilitychange', () => console.log('now', document.visibilityState));"}},
    {"closeTab": {}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  EXPECT_THAT(SentPaths(report),
              ::testing::ElementsAre("/bye?persisted=false"));
  const scenario::StepResult* close = StepAt(report, 2);
  ASSERT_NE(close, nullptr);
  // pagehide, then the visibility state becomes hidden.
  EXPECT_THAT(
      close->console,
      ::testing::ElementsAre("log: pagehide false visible", "log: now hidden"));
}

// An uncaught error in a listener the browser's step fired is a failure that
// names the step, the event and the frame.
TEST(PageScriptTest, ListenerErrorsAreFailures) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top", "source":
      "addEventListener('visibilitychange', () => { throw new Error('listener broke'); });"}},
    {"setVisibility": {"hidden": true}})json");
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_THAT(report.failures[0],
              HasSubstr("step 2 (setVisibility): uncaught in visibilitychange "
                        "of frame top"));
  EXPECT_THAT(report.failures[0], HasSubstr("listener broke"));
}

// setTimeout runs on the browser's virtual clock, in order with activateAfter:
// the timer's fetchLater(activateAfter 0) arrives at 500 ms, not before.
TEST(PageScriptTest, TimersRunOnTheVirtualClock) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top", "source":
      "setTimeout(() => fetchLater('/timer', {activateAfter: 0}), 500);"}},
    {"advanceTime": {"ms": 499}},
    {"runScript": {"frame": "top", "source": "console.log('still waiting')"
}
},
    {"advanceTime": {"ms": 1}},
    {"advanceTime": {"ms": 1000}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  ASSERT_EQ(report.sent.size(), 1u);
  EXPECT_EQ(SentPaths(report)[0], "/timer");
  EXPECT_EQ(report.sent[0].at_ms, 500);
}

// fetch(): the browser sends it at once, with the page still open, and its
// promise resolves with the response once it came (in a task of its own, so
// what the callback logs is reported with the document's next step); a plain
// http: URL from this secure page is blocked as mixed content, a rejected
// promise nobody handled (reported when the task ends).
TEST(PageScriptTest, FetchSendsAtOnce) {
  scenario::Report report = RunSteps(R"json(
    {"runScript": {"frame": "top", "source":
      "fetch('/now', {method: 'POST', body: 'x', keepalive: true}).then((r) => console.log('accepted ' + r.status));"}},
    {"runScript": {"frame": "top", "source": "fetch('http://a.test/plain')"},
     "expect": {
  "outcome" : "TYPE_ERROR"
}
},
    {"advanceTime": {"ms": 0}},
    {"runScript": {"frame": "top", "source": "console.log('next')"}})json");
  EXPECT_THAT(report.failures, ::testing::IsEmpty());
  ASSERT_EQ(report.sent.size(), 1u);
  EXPECT_EQ(SentPaths(report)[0], "/now");
  EXPECT_EQ(report.sent[0].method, "POST");
  EXPECT_EQ(report.sent[0].at_ms, 0);
  std::vector<std::string> console;
  for (const scenario::StepResult& step : report.steps)
    console.insert(console.end(), step.console.begin(), step.console.end());
  EXPECT_THAT(console, Contains("log: accepted 204"));
  const scenario::StepResult* refused = StepAt(report, 2);
  ASSERT_NE(refused, nullptr);
  EXPECT_THAT(refused->message, HasSubstr("TypeError: fetch: "));
  EXPECT_THAT(refused->message, HasSubstr("mixed content"));
}

}  // namespace
}  // namespace fetch_later::testing
