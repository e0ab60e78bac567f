// Every scenario in examples/ run through the real multi-process shell path
// (browser and renderer processes, HTTPS to a local collector): each must meet
// all of its expectations. And the shell binary itself: exit 0 on success, 2
// with a message naming the step and field for an invalid scenario, before
// anything is sent.
#include <dirent.h>
#include <sys/wait.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tools/browser_process.h"
#include "tools/scenario/report.h"
#include "tools/scenario/scenario_reader.h"
#include "tools/scenario_runner.h"

namespace fetch_later::testing {
namespace {

std::vector<std::string> ExampleFiles() {
  std::vector<std::string> files;
  const std::string dir = tools::RunfilesPath("examples");
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

class ExampleScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleScenarioTest, MeetsItsExpectations) {
  auto scenario = scenario::ReadScenarioFile(GetParam());
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  ASSERT_TRUE(scenario::ValidateScenario(*scenario).ok());
  std::vector<std::string> transcript;
  tools::RunOptions options;
  options.transcript = &transcript;
  auto report = tools::RunScenario(*scenario, options);
  ASSERT_TRUE(report.ok()) << report.status();
  std::string account;
  for (const auto& line : transcript)
    absl::StrAppend(&account, line, "\n");
  EXPECT_TRUE(report->failures.empty())
      << scenario->name() << "\n"
      << account << "failures:\n"
      << absl::StrJoin(report->failures, "\n");
}

INSTANTIATE_TEST_SUITE_P(Examples,
                         ExampleScenarioTest,
                         ::testing::ValuesIn(ExampleFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name =
                               info.param.substr(info.param.rfind('/') + 1);
                           for (char& c : name) {
                             if (!isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           }
                           return name;
                         });

TEST(ExamplesTest, ThereAreAtLeastTwenty) {
  EXPECT_GE(ExampleFiles().size(), 20u);
}

// Runs the shell binary; returns its exit status and its stderr.
std::pair<int, std::string> RunShell(const std::string& args) {
  const std::string command = absl::StrCat(tools::RunfilesPath("tools/shell"),
                                           " ", args, " 2>&1 >/dev/null");
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof(buffer), pipe))
    output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(ShellTest, InvalidScenarioExitsTwoNamingStepAndField) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/bad.json";
  FILE* f = fopen(path.c_str(), "w");
  fputs(R"({"name": "bad", "steps": [
      {"navigate": {"frame": "top", "url": "https://a.test/"}},
      {"fetchLater": {"frame": "nowhere", "url": "https://a.test/b"}}]})",
        f);
  fclose(f);
  auto [status, output] = RunShell("--scenario=" + path);
  EXPECT_EQ(status, 2) << output;
  EXPECT_TRUE(absl::StrContains(output, "step 1")) << output;
  EXPECT_TRUE(absl::StrContains(output, "frame")) << output;
}

TEST(ShellTest, DefaultRunMeetsItsExpectations) {
  auto [status, output] =
      RunShell("--report=" + ::testing::TempDir() + "/report.json");
  EXPECT_EQ(status, 0) << output;
  EXPECT_TRUE(absl::StrContains(output, "all 14 expectations held")) << output;
}

}  // namespace
}  // namespace fetch_later::testing
