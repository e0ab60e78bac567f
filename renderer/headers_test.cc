// Tests for the Fetch Headers object (renderer/headers.h): the name and value
// grammar, normalisation, guards and the forbidden request-headers.

#include "renderer/headers.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/fetch_header_rules.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(HeadersTest, NameAndValueGrammar) {
  struct Case {
    const char* source;
    const char* name;
    const char* value;
    bool ok;
  };
  const Case kCases[] = {
      {"Fetch: header name is a token", "X-Custom_1.~!", "v", true},
      {"Fetch: a space is not a tchar", "bad name", "v", false},
      {"Fetch: ':' is not a tchar", "a:b", "v", false},
      {"Fetch: empty name", "", "v", false},
      {"Fetch: non-ASCII is not a tchar", "caf\xC3\xA9", "v", false},
      {"Fetch: LF inside the value", "X-A", "a\nb", false},
      {"Fetch: CR inside the value", "X-A", "a\rb", false},
      {"Fetch: normalize strips outer CR/LF/tab/space", "X-A", "\r\n\t v \n",
       true},
      {"Fetch: empty value", "X-A", "", true},
  };
  for (const Case& c : kCases) {
    Headers headers(Headers::Guard::kRequest);
    JsStatus status = headers.Append(c.name, c.value);
    EXPECT_EQ(status.ok(), c.ok) << c.source;
    if (!status.ok()) {
      EXPECT_EQ(status.error().type, JsErrorType::kTypeError) << c.source;
    }
  }
  // Fetch: a NUL byte in the value.
  Headers headers(Headers::Guard::kRequest);
  JsStatus nul = headers.Append("X-A", absl::string_view("a\0b", 3));
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.error().type, JsErrorType::kTypeError);
}

TEST(HeadersTest, ValuesAreNormalised) {
  Headers headers(Headers::Guard::kRequest);
  ASSERT_TRUE(headers.Append("Content-Type", " \ttext/plain \r\n").ok());
  EXPECT_THAT(headers.list(), ElementsAre(Pair("Content-Type", "text/plain")));
}

TEST(HeadersTest, ForbiddenRequestHeadersAreIgnored) {
  struct Case {
    const char* source;
    const char* name;
    const char* value;
    bool forbidden;
  };
  const Case kCases[] = {
      {"Fetch forbidden list", "Accept-Charset", "utf-8", true},
      {"Fetch forbidden list", "accept-encoding", "gzip", true},
      {"Fetch forbidden list", "Access-Control-Request-Headers", "x", true},
      {"Fetch forbidden list", "Access-Control-Request-Method", "PUT", true},
      {"Fetch forbidden list", "Connection", "close", true},
      {"Fetch forbidden list", "CONTENT-LENGTH", "5", true},
      {"Fetch forbidden list", "Cookie", "a=b", true},
      {"Fetch forbidden list", "Cookie2", "a=b", true},
      {"Fetch forbidden list", "Date", "x", true},
      {"Fetch forbidden list", "DNT", "1", true},
      {"Fetch forbidden list", "Expect", "100-continue", true},
      {"Fetch forbidden list", "Host", "b.test", true},
      {"Fetch forbidden list", "Keep-Alive", "timeout=5", true},
      {"Fetch forbidden list", "Origin", "https://b.test", true},
      {"Fetch forbidden list", "Referer", "https://b.test/", true},
      {"Fetch forbidden list", "Set-Cookie", "a=b", true},
      {"Fetch forbidden list", "TE", "trailers", true},
      {"Fetch forbidden list", "Trailer", "x", true},
      {"Fetch forbidden list", "Transfer-Encoding", "chunked", true},
      {"Fetch forbidden list", "Upgrade", "websocket", true},
      {"Fetch forbidden list", "Via", "1.1 x", true},
      {"Fetch: proxy- prefix", "Proxy-Authorization", "x", true},
      {"Fetch: sec- prefix", "Sec-Fetch-Mode", "cors", true},
      {"Fetch: sec- prefix, any case", "sEc-Custom", "x", true},
      {"Fetch: X-HTTP-Method naming a forbidden method", "X-HTTP-Method",
       "TRACE", true},
      {"Fetch: X-HTTP-Method-Override, list with a forbidden method",
       "X-HTTP-Method-Override", "GET, connect", true},
      {"Fetch: X-Method-Override, case-insensitive method", "X-Method-Override",
       " track ", true},
      {"Fetch: X-HTTP-Method-Override naming an allowed method",
       "X-HTTP-Method-Override", "PATCH", false},
      {"Fetch: a quoted method is not the method", "X-HTTP-Method-Override",
       "\"TRACE\"", false},
      {"not forbidden: Proxy without dash", "Proxy", "x", false},
      {"not forbidden: Content-Type", "Content-Type", "text/plain", false},
      {"not forbidden: Accept", "Accept", "*/*", false},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(net::IsForbiddenRequestHeader(c.name, c.value), c.forbidden)
        << c.source << ": " << c.name;
    Headers headers(Headers::Guard::kRequest);
    ASSERT_TRUE(headers.Append(c.name, c.value).ok()) << c.source;
    ASSERT_TRUE(headers.Set(c.name, c.value).ok()) << c.source;
    EXPECT_EQ(headers.list().empty(), c.forbidden)
        << c.source << ": " << c.name;
    // Guard "none" (new Headers()) keeps them.
    Headers unguarded;
    ASSERT_TRUE(unguarded.Append(c.name, c.value).ok());
    EXPECT_EQ(unguarded.list().size(), 1u) << c.source;
  }
}

TEST(HeadersTest, AppendGetSetDeleteCombine) {
  Headers headers(Headers::Guard::kRequest);
  ASSERT_TRUE(headers.Append("X-A", "1").ok());
  ASSERT_TRUE(headers.Append("X-B", "b").ok());
  // Header list "append" reuses the casing of the name already in the list.
  ASSERT_TRUE(headers.Append("x-a", "2").ok());
  EXPECT_THAT(headers.list(), ElementsAre(Pair("X-A", "1"), Pair("X-B", "b"),
                                          Pair("X-A", "2")));
  // Header list "get" combines with ", ".
  JsResult<std::optional<std::string>> got = headers.Get("x-A");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, std::optional<std::string>("1, 2"));
  EXPECT_EQ(*headers.Get("X-C"), std::nullopt);
  EXPECT_TRUE(*headers.Has("x-b"));
  EXPECT_FALSE(headers.Get("bad name").ok());
  EXPECT_FALSE(headers.Has("bad name").ok());

  // "set" replaces the first and removes the rest, keeping the position.
  ASSERT_TRUE(headers.Set("x-a", "3").ok());
  EXPECT_THAT(headers.list(), ElementsAre(Pair("X-A", "3"), Pair("X-B", "b")));
  ASSERT_TRUE(headers.Set("X-New", "n").ok());
  EXPECT_THAT(headers.list(), ElementsAre(Pair("X-A", "3"), Pair("X-B", "b"),
                                          Pair("X-New", "n")));

  ASSERT_TRUE(headers.Delete("X-B").ok());
  EXPECT_THAT(headers.list(),
              ElementsAre(Pair("X-A", "3"), Pair("X-New", "n")));
  EXPECT_FALSE(headers.Delete("bad name").ok());
  // Deleting a forbidden name is ignored.
  ASSERT_TRUE(headers.Delete("Cookie").ok());
}

TEST(HeadersTest, ImmutableGuardThrows) {
  Headers headers(Headers::Guard::kImmutable);
  JsStatus status = headers.Append("X-A", "1");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().type, JsErrorType::kTypeError);
}

}  // namespace
}  // namespace fetch_later::renderer
