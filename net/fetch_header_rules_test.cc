#include "net/fetch_header_rules.h"

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

struct HeaderCase {
  const char* name;
  const char* value;
  bool forbidden;
};

// Fetch: "forbidden request-header".
TEST(FetchHeaderRulesTest, ForbiddenRequestHeaders) {
  const HeaderCase cases[] = {
      {"Accept-Charset", "utf-8", true},
      {"accept-encoding", "gzip", true},
      {"Access-Control-Request-Headers", "x", true},
      {"Access-Control-Request-Method", "GET", true},
      {"Connection", "close", true},
      {"Content-Length", "4", true},
      {"Cookie", "a=b", true},
      {"Cookie2", "a", true},
      {"Date", "x", true},
      {"DNT", "1", true},
      {"Expect", "100-continue", true},
      {"Host", "evil.test", true},
      {"Keep-Alive", "1", true},
      {"Origin", "https://evil.test", true},
      {"Referer", "https://evil.test/", true},
      {"Set-Cookie", "a=b", true},
      {"TE", "trailers", true},
      {"Trailer", "x", true},
      {"Transfer-Encoding", "chunked", true},
      {"Upgrade", "h2c", true},
      {"Via", "1.1 x", true},
      {"Proxy-Authorization", "x", true},
      {"Sec-Fetch-Mode", "cors", true},
      {"sec-anything", "x", true},
      {"X-HTTP-Method-Override", "TRACE", true},
      {"X-HTTP-Method", "get, connect", true},
      {"X-Method-Override", " Track ", true},
      {"X-HTTP-Method-Override", "PATCH", false},
      {"Content-Type", "text/plain", false},
      {"X-Trace", "1", false},
      {"Accept", "*/*", false},
      {"Authorization", "Bearer x", false},
  };
  for (const HeaderCase& c : cases) {
    EXPECT_EQ(IsForbiddenRequestHeader(c.name, c.value), c.forbidden)
        << c.name << ": " << c.value;
  }
}

TEST(FetchHeaderRulesTest, ValuesAndMethods) {
  EXPECT_TRUE(IsHeaderValue(""));
  EXPECT_TRUE(IsHeaderValue("a b"));
  EXPECT_FALSE(IsHeaderValue(" a"));
  EXPECT_FALSE(IsHeaderValue("a\t"));
  EXPECT_FALSE(IsHeaderValue(std::string("a\0b", 3)));
  EXPECT_FALSE(IsHeaderValue("a\r\nInjected: 1"));
  EXPECT_EQ(NormalizeHeaderValue(" \t a b \r\n"), "a b");
  EXPECT_TRUE(IsForbiddenMethod("connect"));
  EXPECT_TRUE(IsForbiddenMethod("TRACE"));
  EXPECT_TRUE(IsForbiddenMethod("Track"));
  EXPECT_FALSE(IsForbiddenMethod("PATCH"));
  EXPECT_EQ(NormalizeMethod("post"), "POST");
  EXPECT_EQ(NormalizeMethod("dElEtE"), "DELETE");
  EXPECT_EQ(NormalizeMethod("patch"), "patch");  // not in the normalised set
}

}  // namespace
}  // namespace fetch_later::net
