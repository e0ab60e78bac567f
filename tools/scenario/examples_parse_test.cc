// The scenario files in examples/: all valid, at least 20 of them, each named
// after its source; and the deliberately invalid ones in examples/invalid/
// fail with their exact message.
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tools/scenario/scenario.pb.h"
#include "tools/scenario/scenario_reader.h"

namespace fetch_later::scenario {
namespace {

std::string ExamplesDir() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return absl::StrCat(srcdir != nullptr ? srcdir : ".",
                      "/fetch_later/examples");
}

std::vector<std::string> ScenarioFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() == ".json" ||
        entry.path().extension() == ".textproto") {
      files.push_back(path);
    }
  }
  return files;
}

TEST(ExamplesTest, EveryExampleParsesAndValidates) {
  const std::vector<std::string> files = ScenarioFiles(ExamplesDir());
  EXPECT_GE(files.size(), 20u);
  int textproto = 0;
  std::set<std::string> names;
  for (const std::string& path : files) {
    absl::StatusOr<Scenario> scenario = ReadScenarioFile(path);
    ASSERT_TRUE(scenario.ok()) << scenario.status();
    EXPECT_FALSE(scenario->name().empty()) << path;
    EXPECT_TRUE(names.insert(scenario->name()).second)
        << path << ": duplicate name";
    EXPECT_FALSE(scenario->steps().empty()) << path;
    if (std::filesystem::path(path).extension() == ".textproto")
      ++textproto;
  }
  EXPECT_GE(textproto, 2);
}

TEST(ExamplesTest, InvalidExamplesGiveTheirExactError) {
  const std::string dir = ExamplesDir() + "/invalid";
  struct Case {
    const char* file;
    const char* error;
  };
  for (const Case& c : {
           Case{"unknown_field.json",
                R"(step 1 (fetchLater): unknown field "bodyy")"},
           Case{"unknown_frame.json",
                R"(step 2 (fetchLater): field "frame": unknown frame "f2")"},
       }) {
    const std::string path = absl::StrCat(dir, "/", c.file);
    absl::StatusOr<Scenario> scenario = ReadScenarioFile(path);
    ASSERT_FALSE(scenario.ok()) << path;
    EXPECT_EQ(std::string(scenario.status().message()),
              absl::StrCat(path, ": ", c.error));
  }
  EXPECT_EQ(ScenarioFiles(dir).size(), 2u);
}

}  // namespace
}  // namespace fetch_later::scenario
