#include "net/http1_request_serializer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Url U(const char* s) {
  return *Url::Parse(s);
}

TEST(SerializeRequestTest, PostWithBody) {
  Url url = U("https://a.test/beacon?i=1#frag");
  absl::StatusOr<std::string> bytes =
      SerializeRequest("POST", url, {{"Content-Type", "text/plain"}}, "hello",
                       HostHeaderValue(url));
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(
      *bytes,
      "POST /beacon?i=1 HTTP/1.1\r\nHost: a.test\r\nConnection: keep-alive\r\n"
      "User-Agent: fetchLater-prototype/1.0\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\n\r\nhello");
}

TEST(SerializeRequestTest, GetHasNoContentLengthPostAlways) {
  Url url = U("https://a.test:8443/");
  EXPECT_EQ(HostHeaderValue(url), "a.test:8443");
  EXPECT_EQ(*SerializeRequest("GET", url, {}, "", "a.test:8443"),
            "GET / HTTP/1.1\r\nHost: a.test:8443\r\nConnection: keep-alive\r\n"
            "User-Agent: fetchLater-prototype/1.0\r\n\r\n");
  EXPECT_THAT(*SerializeRequest("POST", url, {}, "", "h"),
              HasSubstr("Content-Length: 0\r\n"));
  EXPECT_THAT(*SerializeRequest("PUT", url, {}, "", "h"),
              HasSubstr("Content-Length: 0\r\n"));
}

TEST(SerializeRequestTest, RefusesInjection) {
  Url url = U("https://a.test/");
  struct Row {
    const char* why;
    std::vector<std::pair<std::string, std::string>> headers;
    const char* message;
  };
  const std::vector<Row> rows = {
      {"CRLF in a value", {{"X-A", "a\r\nX-Evil: 1"}}, "CR, LF or NUL"},
      {"LF in a value", {{"X-A", "a\nb"}}, "CR, LF or NUL"},
      {"NUL in a value", {{"X-A", std::string("a\0b", 3)}}, "CR, LF or NUL"},
      {"CR in a name", {{"X-A\r", "b"}}, "not a token"},
      {"NUL in a name", {{std::string("X\0A", 3), "b"}}, "not a token"},
      {"empty name", {{"", "b"}}, "not a token"},
      {"Host is ours", {{"Host", "evil.test"}}, "set by the network stage"},
      {"Content-Length is ours",
       {{"content-length", "1"}},
       "set by the network stage"},
      {"Transfer-Encoding is ours",
       {{"Transfer-Encoding", "chunked"}},
       "set by the network"},
  };
  for (const Row& row : rows) {
    absl::StatusOr<std::string> bytes =
        SerializeRequest("GET", url, row.headers, "", "a.test");
    ASSERT_FALSE(bytes.ok()) << row.why;
    EXPECT_THAT(std::string(bytes.status().message()), HasSubstr(row.message))
        << row.why;
  }
  EXPECT_FALSE(SerializeRequest("GE T", url, {}, "", "a.test").ok());
  EXPECT_FALSE(SerializeRequest("GET", url, {}, "", "a.test\r\nX: y").ok());
}

TEST(SerializeRequestTest, AuthorUserAgentIsDropped) {
  Url url = U("https://a.test/");
  std::string bytes =
      *SerializeRequest("GET", url, {{"User-Agent", "evil"}}, "", "a.test");
  EXPECT_THAT(bytes, Not(HasSubstr("evil")));
  EXPECT_THAT(bytes, HasSubstr("User-Agent: fetchLater-prototype/1.0\r\n"));
}

}  // namespace
}  // namespace fetch_later::net
