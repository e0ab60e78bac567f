#include "browser/deferred_request.h"

#include <string>

#include "gtest/gtest.h"

namespace fetch_later::browser {
namespace {

net::Url U(absl::string_view s) {
  return *net::Url::Parse(s);
}

struct LengthCase {
  const char* source;
  DeferredRequest request;
  uint64_t expected;
};

// Fetch: "total request length" (SPEC-NOTES 1.5 and 2.4).
TEST(TotalRequestLengthTest, CountsUrlReferrerHeadersAndBody) {
  const std::string url = "https://a.test/beacon?i=1";  // 25 bytes
  std::vector<LengthCase> cases = {
      {"URL only (GET, null body)", {"GET", U(url)}, 25},
      {"fragment is not counted", {"GET", U(url + "#frag")}, 25},
      {"explicit referrer URL counted in full, with its fragment",
       {"GET", U(url), std::string("https://a.test/page#x")},
       25 + 21},
      {"headers: name + value bytes, no separators",
       {"GET", U(url), std::nullopt, {{"X-Trace", "1"}, {"Accept", "*/*"}}},
       25 + 7 + 1 + 6 + 3},
      {"string body adds Content-Type text/plain;charset=UTF-8 (36 bytes)",
       {"POST",
        U(url),
        std::nullopt,
        {{"Content-Type", "text/plain;charset=UTF-8"}},
        20},
       25 + 36 + 20},
      {"empty body counts 0", {"POST", U(url), std::nullopt, {}, 0}, 25},
      {"method is not counted", {"DELETE", U(url)}, 25},
      {"URL serialised: default port dropped, host lower-cased",
       {"GET", U("https://A.TEST:443/beacon?i=1")},
       25},
  };
  for (const LengthCase& c : cases) {
    EXPECT_EQ(TotalRequestLength(c.request), c.expected) << c.source;
  }
}

// WPT quota/max-payload: body = 64 KiB - len(url) - 36 makes a request of
// exactly 65536.
TEST(TotalRequestLengthTest, WptMaxPayloadArithmetic) {
  DeferredRequest r{"POST", U("https://a.test/")};
  r.headers = {{"Content-Type", "text/plain;charset=UTF-8"}};
  r.body_length = 65536 - 15 - 36;
  EXPECT_EQ(TotalRequestLength(r), 65536u);
}

}  // namespace
}  // namespace fetch_later::browser
