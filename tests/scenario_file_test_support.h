// Support for tests that run scenario files (../shared/SCENARIOS.md) found in
// a runfiles directory through the real multi-process browser, one gtest
// case per file:
//
//   class WptJsTest : public ::testing::TestWithParam<std::string> {};
//   TEST_P(WptJsTest, MeetsItsExpectations) {
//     ExpectScenarioFileMeetsItsExpectations(GetParam());
//   }
//   INSTANTIATE_TEST_SUITE_P(WptJs, WptJsTest,
//                            ::testing::ValuesIn(ScenarioFilesIn("tests/wpt_js")),
//                            ScenarioFileTestName);
//
// Used by examples_test.cc and wpt_js_test.cc. Header-only: it is a handful
// of small functions shared by two test binaries.
#ifndef TESTS_SCENARIO_FILE_TEST_SUPPORT_H_
#define TESTS_SCENARIO_FILE_TEST_SUPPORT_H_

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tools/browser_process.h"
#include "tools/scenario/report.h"
#include "tools/scenario/scenario_reader.h"
#include "tools/scenario_runner.h"

namespace fetch_later::testing {

// The scenario files (`*.json`, `*.textproto`) directly inside the runfiles
// directory `workspace_relative_dir` (e.g. "examples/js"), as full paths in
// name order. Subdirectories are not searched.
inline std::vector<std::string> ScenarioFilesIn(
    const std::string& workspace_relative_dir) {
  std::vector<std::string> files;
  const std::string dir = tools::RunfilesPath(workspace_relative_dir);
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* entry = readdir(d)) {
      const std::string name = entry->d_name;
      if (absl::EndsWith(name, ".json") || absl::EndsWith(name, ".textproto")) {
        files.push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// A gtest parameter name for a scenario file: its base name with every
// character that is not a letter or digit replaced by '_'.
inline std::string ScenarioFileTestName(
    const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(info.param.rfind('/') + 1);
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c)))
      c = '_';
  }
  return name;
}

// One run of a scenario file: the report and the runner's transcript (one
// line each).
struct ScenarioFileRun {
  std::string name;  // the scenario's `name`
  scenario::Report report;
  std::string transcript;
};

// Reads, validates and runs the scenario file at `path`. An error status
// means the file is invalid or the browser could not run it; unmet
// expectations are in `report.failures`.
inline absl::StatusOr<ScenarioFileRun> RunScenarioFile(
    const std::string& path) {
  absl::StatusOr<scenario::Scenario> scenario =
      scenario::ReadScenarioFile(path);
  if (!scenario.ok())
    return scenario.status();
  std::vector<std::string> transcript;
  tools::RunOptions options;
  options.scenario_path = path;
  options.transcript = &transcript;
  absl::StatusOr<scenario::Report> report =
      tools::RunScenario(*scenario, options);
  if (!report.ok())
    return report.status();
  ScenarioFileRun run;
  run.name = scenario->name();
  run.report = *std::move(report);
  for (const std::string& line : transcript)
    absl::StrAppend(&run.transcript, line, "\n");
  return run;
}

// Everything a failed scenario run shows: its name, the transcript, each
// step's outcome message, each script step's console output and errors, and
// the failures.
inline std::string DescribeScenarioFileRun(const ScenarioFileRun& run) {
  std::string text = absl::StrCat(run.name, "\n", run.transcript);
  for (const scenario::StepResult& step : run.report.steps) {
    if (!step.message.empty()) {
      absl::StrAppend(&text, "step ", step.index, " ", step.outcome, ": ",
                      step.message, "\n");
    }
    for (const std::string& line : step.console)
      absl::StrAppend(&text, "step ", step.index, " console: ", line, "\n");
    for (const std::string& line : step.errors)
      absl::StrAppend(&text, "step ", step.index, " error: ", line, "\n");
  }
  absl::StrAppend(&text, "failures:\n",
                  absl::StrJoin(run.report.failures, "\n"));
  return text;
}

// Runs the scenario file at `path` and expects every `expect` and
// `expectSent` in it to hold; on failure prints DescribeScenarioFileRun().
inline void ExpectScenarioFileMeetsItsExpectations(const std::string& path) {
  absl::StatusOr<ScenarioFileRun> run = RunScenarioFile(path);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_TRUE(run->report.failures.empty()) << DescribeScenarioFileRun(*run);
}

}  // namespace fetch_later::testing

#endif  // TESTS_SCENARIO_FILE_TEST_SUPPORT_H_
