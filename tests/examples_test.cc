// Every scenario in examples/ run through the real multi-process shell path
// (browser and renderer processes, HTTPS to a local collector): each must meet
// all of its expectations. And the shell binary itself: exit 0 on success, 2
// with a message naming the step and field for an invalid scenario, before
// anything is sent.
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/scenario_file_test_support.h"
#include "tools/browser_process.h"

namespace fetch_later::testing {
namespace {

class ExampleScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ExampleScenarioTest, MeetsItsExpectations) {
  ExpectScenarioFileMeetsItsExpectations(GetParam());
}

INSTANTIATE_TEST_SUITE_P(Examples,
                         ExampleScenarioTest,
                         ::testing::ValuesIn(ScenarioFilesIn("examples")),
                         ScenarioFileTestName);

TEST(ExamplesTest, ThereAreAtLeastTwenty) {
  EXPECT_GE(ScenarioFilesIn("examples").size(), 20u);
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
