#include "net/total_request_length.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

constexpr uint64_t KiB = 1024;
// Fetch: a deferred fetch's quota per reporting origin (64 KiB).
constexpr uint64_t kQuotaPerOrigin = 64 * KiB;

// A string of `n` bytes.
std::string Bytes(uint64_t n) {
  return std::string(n, 'x');
}

struct LengthCase {
  const char* source;
  std::string url;
  std::string referrer;
  HeaderList headers;
  uint64_t body_length;
  uint64_t expected;
};

// SPEC-NOTES 1.5: what counts, term by term.
TEST(TotalRequestLengthTest, CountsEachTermOnce) {
  const std::vector<LengthCase> cases = {
      {"1.5 step 1: the URL alone (GET, null body)",
       "https://a.test/beacon?i=1",
       "",
       {},
       0,
       25},
      {"1.5 step 2: a referrer URL counts in full",
       "https://a.test/beacon?i=1",
       "https://a.test/page",
       {},
       0,
       25 + 19},
      {"1.5 step 2: referrer '' (WPT's way to exclude it) counts 0",
       "https://a.test/",
       "",
       {},
       0,
       15},
      {"1.5 step 3: name + value bytes, no ': ' or CRLF",
       "https://a.test/",
       "",
       {{"X-Trace", "1"}, {"Accept", "*/*"}},
       0,
       15 + 7 + 1 + 6 + 3},
      {"1.5 step 3: the constructor's Content-Type for a string body is 36",
       "https://a.test/",
       "",
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       0,
       15 + 36},
      {"1.5 step 4: the body's length", "https://a.test/", "", {}, 20, 15 + 20},
      {"1.5 step 4: a null or empty body counts 0",
       "https://a.test/",
       "",
       {},
       0,
       15},
      {"WPT quota/max-payload: url + 36 + body fills 64 KiB exactly",
       "https://a.test/",
       "",
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       kQuotaPerOrigin - 15 - 36,
       kQuotaPerOrigin},
  };
  for (const LengthCase& c : cases) {
    EXPECT_EQ(TotalRequestLength(c.url, c.referrer, c.headers, c.body_length),
              c.expected)
        << c.source;
  }
}

// SPEC-NOTES 1.16: the spec's worked examples, each a single call that
// exceeds the 64 KiB per-origin quota.
TEST(TotalRequestLengthTest, SpecWorkedExamplesExceed64KiB) {
  const std::string origin = "https://a.example/";
  const std::vector<LengthCase> cases = {
      {"1.16: a 72 KiB URL",
       origin + Bytes(72 * KiB - origin.size()),
       "",
       {},
       0,
       72 * KiB},
      {"1.16: headers totalling more than 64 KiB",
       origin,
       "",
       {{"X-A", Bytes(32 * KiB)}, {"X-B", Bytes(32 * KiB)}},
       0,
       origin.size() + 3 + 32 * KiB + 3 + 32 * KiB},
      {"1.16: a 32 KiB URL plus more than 32 KiB of headers",
       origin + Bytes(32 * KiB - origin.size()),
       "",
       {{"X-A", Bytes(32 * KiB)}},
       0,
       32 * KiB + 3 + 32 * KiB},
      {"1.16: a POST body of more than 64 KiB",
       origin,
       "",
       {{"Content-Type", "text/plain;charset=UTF-8"}},
       64 * KiB + 1,
       origin.size() + 36 + 64 * KiB + 1},
      {"1.16: a 62 KiB URL with a 3 KiB referrer",
       origin + Bytes(62 * KiB - origin.size()),
       origin + Bytes(3 * KiB - origin.size()),
       {},
       0,
       65 * KiB},
  };
  for (const LengthCase& c : cases) {
    const uint64_t length =
        TotalRequestLength(c.url, c.referrer, c.headers, c.body_length);
    EXPECT_EQ(length, c.expected) << c.source;
    EXPECT_GT(length, kQuotaPerOrigin) << c.source;
  }
}

}  // namespace
}  // namespace fetch_later::net
