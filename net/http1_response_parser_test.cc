#include "net/http1_response_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::testing::HasSubstr;

struct ParseCase {
  const char* source;  // where the rule comes from
  std::string input;
  bool head_request = false;
  bool eof_after = false;  // call OnEof() after feeding everything
  // Expectations (for ok cases).
  int status = 0;
  uint64_t body_bytes = 0;
  std::string body;
  bool keep_alive = true;
  size_t consumed = std::string::npos;  // npos: all of the input
};

// Feeds `input` split at `split` (or whole when split == npos); returns the
// parser.
absl::Status FeedSplit(Http1ResponseParser& parser,
                       const std::string& input,
                       size_t split,
                       size_t* consumed) {
  *consumed = 0;
  std::vector<std::string> pieces;
  if (split == std::string::npos || split >= input.size()) {
    pieces.push_back(input);
  } else {
    pieces.push_back(input.substr(0, split));
    pieces.push_back(input.substr(split));
  }
  for (const std::string& piece : pieces) {
    if (parser.done())
      break;
    absl::StatusOr<size_t> used = parser.Feed(piece);
    if (!used.ok())
      return used.status();
    *consumed += *used;
  }
  return absl::OkStatus();
}

const std::vector<ParseCase>& OkCases() {
  static const auto* cases = new std::vector<ParseCase>{
      {"the test server's 204",
       "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", false, false,
       204, 0, "", true},
      {"RFC 9112 6.3 rule 5: Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
       "5\r\n\r\nhello",
       false, false, 200, 5, "hello", true},
      {"RFC 9112 7.1: chunked with extension and trailers",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n",
       false, false, 200, 12, "hello, world", true},
      {"RFC 9110 15.2: 100 Continue and 103 Early Hints are skipped",
       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: "
       "</a>\r\n\r\n"
       "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nerr",
       false, false, 500, 3, "err", true},
      {"RFC 9112 6.3 rule 8: close-delimited body",
       "HTTP/1.1 200 OK\r\n\r\nuntil the end", false, true, 200, 13,
       "until the end", false},
      {"RFC 9112 9.6: Connection: close",
       "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", false, false,
       204, 0, "", false},
      {"HTTP/1.0 is not persistent by default",
       "HTTP/1.0 204 No Content\r\n\r\n", false, false, 204, 0, "", false},
      {"HEAD: no body whatever Content-Length says",
       "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", true, false, 200, 0,
       "", true},
      {"304 has no body",
       "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false, false,
       304, 0, "", true},
      {"RFC 9112 5.2: obs-fold joined",
       "HTTP/1.1 204 No Content\r\nX-A: one\r\n  two\r\n\r\n", false, false,
       204, 0, "", true},
      {"bare LF line endings are tolerated",
       "HTTP/1.1 204 No Content\nX-A: b\n\n", false, false, 204, 0, "", true},
      {"bytes after the response are not consumed",
       "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200", false, false, 204, 0, "",
       true, 27},
      {"redirect with Location",
       "HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\n\r\n", false,
       false, 302, 0, "", true},
      {"TE and CL together: TE wins, no reuse",
       "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: "
       "chunked\r\n\r\n"
       "1\r\nx\r\n0\r\n\r\n",
       false, false, 200, 1, "x", false},
  };
  return *cases;
}

TEST(Http1ResponseParserTest, OkCasesAtEverySplit) {
  for (const ParseCase& c : OkCases()) {
    for (size_t split = 0; split <= c.input.size(); ++split) {
      SCOPED_TRACE(absl::StrCat(c.source, " split at ", split));
      Http1ResponseParser::Options options;
      options.head_request = c.head_request;
      options.keep_body = true;
      Http1ResponseParser parser(options);
      size_t consumed = 0;
      ASSERT_TRUE(FeedSplit(parser, c.input, split, &consumed).ok());
      if (c.eof_after) {
        EXPECT_FALSE(parser.done());
        ASSERT_TRUE(parser.OnEof().ok());
      }
      ASSERT_TRUE(parser.done());
      EXPECT_EQ(parser.response().status_code, c.status);
      EXPECT_EQ(parser.response().body_bytes, c.body_bytes);
      EXPECT_EQ(parser.body(), c.body);
      EXPECT_EQ(parser.response().keep_alive, c.keep_alive);
      EXPECT_EQ(consumed,
                c.consumed == std::string::npos ? c.input.size() : c.consumed);
    }
  }
}

TEST(Http1ResponseParserTest, ByteAtATime) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, "
      "chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  Http1ResponseParser parser({false, 64 * 1024, 64 * 1024, true});
  for (char ch : input)
    ASSERT_TRUE(parser.Feed(std::string(1, ch)).ok());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.body(), "abc");
}

TEST(Http1ResponseParserTest, HeadersAndTrailersAreKept) {
  Http1ResponseParser parser;
  ASSERT_TRUE(parser
                  .Feed("HTTP/1.1 200 OK\r\nX-A:  v1 \r\nX-Fold: a\r\n\tb\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n0\r\nT: 1\r\n\r\n")
                  .ok());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.response().GetHeader("x-a"), "v1");
  EXPECT_EQ(parser.response().GetHeader("X-FOLD"), "a b");
  ASSERT_EQ(parser.response().trailers.size(), 1u);
  EXPECT_EQ(parser.response().trailers[0].first, "T");
  EXPECT_EQ(parser.response().reason_phrase, "OK");
}

struct ErrorCase {
  const char* source;
  std::string input;
  bool eof_after;
  const char* message;  // substring of the error
  uint64_t offset;      // the offset the message must name
};

TEST(Http1ResponseParserTest, ErrorsNameTheOffset) {
  const std::vector<ErrorCase> cases = {
      {"not HTTP", "HTTP/2 200\r\n\r\n", false, "does not start with", 0},
      {"status code not digits", "HTTP/1.1 2x0 OK\r\n\r\n", false,
       "three digits", 10},
      {"header without colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", false,
       "no ':'", 17},
      {"space before colon (RFC 9112 5.1)",
       "HTTP/1.1 200 OK\r\nX-A : b\r\n\r\n", false, "not a token", 17},
      {"conflicting Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       false, "conflicting Content-Length", 55},
      {"negative Content-Length",
       "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false,
       "invalid Content-Length", 37},
      {"bad chunk size",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false,
       "not a hexadecimal", 47},
      {"chunk not followed by CRLF",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n",
       false, "not followed by CRLF", 51},
      {"truncated Content-Length body",
       "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true,
       "7 bytes of the Content-Length body missing", 42},
      {"empty response", "", true, "before any response byte", 0},
      {"101 without upgrade", "HTTP/1.1 101 Switching Protocols\r\n\r\n", false,
       "101", 34},
      {"NUL in a header value",
       std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27), false, "NUL", 21},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.source);
    Http1ResponseParser parser;
    absl::Status status;
    absl::StatusOr<size_t> used = parser.Feed(c.input);
    status = used.status();
    if (status.ok() && c.eof_after)
      status = parser.OnEof();
    ASSERT_FALSE(status.ok());
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message));
    EXPECT_THAT(std::string(status.message()),
                HasSubstr(absl::StrCat("offset ", c.offset, ")")));
    // Sticky: the same error again.
    EXPECT_EQ(parser.Feed("more").status(), parser.Feed("x").status());
  }
}

TEST(Http1ResponseParserTest, HeaderBlockLimitIs64KiB) {
  std::string big =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(70 * 1024, 'a') + "\r\n\r\n";
  Http1ResponseParser parser;
  absl::StatusOr<size_t> used = parser.Feed(big);
  ASSERT_FALSE(used.ok());
  EXPECT_THAT(std::string(used.status().message()), HasSubstr("65536 bytes"));
  EXPECT_THAT(std::string(used.status().message()), HasSubstr("offset 65536)"));

  // Just under the limit is fine, even fed in small pieces.
  std::string fits = "HTTP/1.1 204 No Content\r\nX-Big: ";
  fits += std::string(64 * 1024 - fits.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), 64u * 1024);
  Http1ResponseParser ok_parser;
  for (size_t i = 0; i < fits.size(); i += 1000) {
    ASSERT_TRUE(ok_parser.Feed(fits.substr(i, 1000)).ok()) << i;
  }
  EXPECT_TRUE(ok_parser.done());
}

TEST(Http1ResponseParserTest, ReceivedAnyBytes) {
  Http1ResponseParser parser;
  EXPECT_FALSE(parser.received_any_bytes());
  ASSERT_TRUE(parser.Feed("HTTP/1.1").ok());
  EXPECT_TRUE(parser.received_any_bytes());
  EXPECT_FALSE(parser.OnEof().ok());
}

}  // namespace
}  // namespace fetch_later::net
