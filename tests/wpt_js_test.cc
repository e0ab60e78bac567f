// The JavaScript scenarios: every scenario in tests/wpt_js/ (the WPT
// fetch-later tests ported to script pages run by our own testharness.js, and
// fetch() pages in the same style) and
// in examples/js/ (the seeds' JavaScript, run verbatim) run through the real
// multi-process browser, renderer script engine included; each must meet all
// of its expectations. And the negative cases in tests/wpt_js/negative/,
// which prove a script page can fail its scenario: an uncaught exception is a
// failure naming file:line:column, and so is a failed assertion reported by
// the harness's done().
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/scenario_file_test_support.h"
#include "tools/browser_process.h"

namespace fetch_later::testing {
namespace {

class WptJsScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WptJsScenarioTest, MeetsItsExpectations) {
  ExpectScenarioFileMeetsItsExpectations(GetParam());
}

INSTANTIATE_TEST_SUITE_P(WptJs,
                         WptJsScenarioTest,
                         ::testing::ValuesIn(ScenarioFilesIn("tests/wpt_js")),
                         ScenarioFileTestName);

INSTANTIATE_TEST_SUITE_P(ExamplesJs,
                         WptJsScenarioTest,
                         ::testing::ValuesIn(ScenarioFilesIn("examples/js")),
                         ScenarioFileTestName);

TEST(WptJsFilesTest, AreThere) {
  EXPECT_GE(ScenarioFilesIn("tests/wpt_js").size(), 8u);
  EXPECT_GE(ScenarioFilesIn("examples/js").size(), 5u);
}

// Runs a scenario in tests/wpt_js/negative/, which must fail.
struct NegativeRun {
  bool failed = false;  // the report has at least one failure
  // The failures, then each step's message and script errors: where the
  // report names the exception ("file:line:column: Name: message").
  std::string report;
  std::string account;  // everything, for the assertion messages
};
NegativeRun RunNegative(const std::string& file) {
  const std::string path = tools::RunfilesPath("tests/wpt_js/negative/" + file);
  absl::StatusOr<ScenarioFileRun> run = RunScenarioFile(path);
  if (!run.ok())
    return {false, "", "could not run: " + std::string(run.status().message())};
  NegativeRun result;
  result.failed = !run->report.failures.empty();
  result.report = absl::StrJoin(run->report.failures, "\n");
  for (const scenario::StepResult& step : run->report.steps) {
    absl::StrAppend(&result.report, "\n", step.message);
    for (const std::string& error : step.errors)
      absl::StrAppend(&result.report, "\n", error);
  }
  result.account = DescribeScenarioFileRun(*run);
  return result;
}

TEST(WptJsNegativeTest, UncaughtExceptionInRunScriptNamesStepLineAndColumn) {
  // The source's third line throws: "<file>#step1:3:<column>".
  const NegativeRun run = RunNegative("uncaught_in_run_script.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(
      absl::StrContains(run.report, "uncaught_in_run_script.json#step1:3:"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "thrown on purpose"))
      << run.account;
}

TEST(WptJsNegativeTest, UncaughtExceptionInLoadedScriptNamesFileAndLine) {
  // throws_on_line_5.js throws on its line 5.
  const NegativeRun run = RunNegative("uncaught_in_load_script.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "throws_on_line_5.js:5:"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "ReferenceError")) << run.account;
}

TEST(WptJsNegativeTest, UncaughtExceptionInEventListenerFailsTheScenario) {
  // The pagehide listener (line 2 of step 1's source) throws when the
  // enterBfcache step fires it.
  const NegativeRun run = RunNegative("uncaught_in_listener.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(
      absl::StrContains(run.report, "uncaught_in_listener.json#step1:2:"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "listener failed")) << run.account;
}

TEST(WptJsNegativeTest, UncaughtExceptionInTimerFailsTheScenario) {
  const NegativeRun run = RunNegative("uncaught_in_timer.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "uncaught_in_timer.json#step1:1:"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "timer failed")) << run.account;
}

TEST(WptJsNegativeTest, DoneReportsAFailedAssertion) {
  const NegativeRun run = RunNegative("done_reports_failure.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "deliberately failing test"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "expected 2, got 1"))
      << run.account;
  // The passing test in the same file is not listed as a failure.
  EXPECT_FALSE(absl::StrContains(run.report, "FAIL passing test"))
      << run.account;
}

TEST(WptJsNegativeTest, DoneReportsAnUnfinishedTest) {
  const NegativeRun run = RunNegative("done_reports_unfinished.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "NOT FINISHED never finishes"))
      << run.account;
}

TEST(WptJsNegativeTest, WrongExpectedOutcomeFails) {
  // A script expected to throw QuotaExceededError that throws nothing, and a
  // wrong expectSent count: both are failures.
  const NegativeRun run = RunNegative("wrong_expectations.json");
  EXPECT_TRUE(run.failed) << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "QUOTA_EXCEEDED_ERROR"))
      << run.account;
  EXPECT_TRUE(absl::StrContains(run.report, "expectSent[0]")) << run.account;
}

}  // namespace
}  // namespace fetch_later::testing
