// A gtest that runs a fuzz target's entry function over every file of the
// directories named on its command line (runfiles paths: the seed corpus and
// the regression inputs, i.e. crash files found earlier). Linked with g++ into
// the default build, so `bazel test //...` replays them without clang. A
// target's invariant violation aborts the process (the test fails, naming the
// file on stderr); each file is its own test case otherwise.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  return srcdir ? std::string(srcdir) + "/fetch_later/" + path : path;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(Runfile(dir), ec)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.')
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(FuzzReplayTest, EveryCorpusAndRegressionFileRuns) {
  const std::vector<std::string> args = ::testing::internal::GetArgvs();
  ASSERT_GE(args.size(), 2u) << "usage: replay_test CORPUS_DIR [REGRESSION_DIR]";
  size_t total = 0;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::vector<std::string> files = Files(args[i]);
    if (i == 1) {
      EXPECT_FALSE(files.empty()) << "empty seed corpus: " << args[i];
    }
    for (const std::string& f : files) {
      SCOPED_TRACE(f);
      std::ifstream in(f, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)),
                        std::istreambuf_iterator<char>());
      std::fprintf(stderr, "replay %s (%zu bytes)\n", f.c_str(), bytes.size());
      EXPECT_EQ(LLVMFuzzerTestOneInput(
                    reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                0);
      ++total;
    }
  }
  std::fprintf(stderr, "replayed %zu files\n", total);
}

}  // namespace
