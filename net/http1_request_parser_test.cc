#include "net/http1_request_parser.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Feeds `bytes` in chunks of `chunk` bytes (0: all at once) and returns how
// many bytes the parser used, or its first error.
absl::StatusOr<size_t> FeedInChunks(Http1RequestParser& parser,
                                    const std::string& bytes,
                                    size_t chunk = 0) {
  if (chunk == 0)
    chunk = bytes.size() + 1;
  size_t used_total = 0;
  for (size_t at = 0; at < bytes.size() && !parser.done(); at += chunk) {
    absl::StatusOr<size_t> used = parser.Feed(absl::string_view(bytes).substr(
        at, std::min(chunk, bytes.size() - at)));
    if (!used.ok())
      return used.status();
    used_total += *used;
  }
  return used_total;
}

TEST(Http1RequestParserTest, GetWithoutBody) {
  Http1RequestParser parser;
  const std::string bytes =
      "GET /beacon?i=1 HTTP/1.1\r\nHost: a.test\r\nX-Trace:  1 \r\n\r\n";
  absl::StatusOr<size_t> used = parser.Feed(bytes);
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_EQ(*used, bytes.size());
  ASSERT_TRUE(parser.done());
  EXPECT_TRUE(parser.head_complete());
  const Http1Request& r = parser.request();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/beacon?i=1");
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_THAT(r.headers,
              ElementsAre(Pair("Host", "a.test"), Pair("X-Trace", "1")));
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.expects_continue);
}

// Every way of cutting the bytes into chunks gives the same request.
TEST(Http1RequestParserTest, ChunkBoundariesDoNotMatter) {
  const std::string bytes =
      "\r\nPOST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\n1\r\n!\r\n0\r\nX-Sum: 6\r\n\r\n";
  for (size_t chunk : {1, 2, 3, 7, 64, 0}) {
    SCOPED_TRACE(chunk);
    Http1RequestParser parser;
    absl::StatusOr<size_t> used = FeedInChunks(parser, bytes, chunk);
    ASSERT_TRUE(used.ok()) << used.status();
    EXPECT_EQ(*used, bytes.size());
    ASSERT_TRUE(parser.done());
    EXPECT_EQ(parser.request().body, "hello!");
    EXPECT_THAT(parser.request().trailers, ElementsAre(Pair("X-Sum", "6")));
  }
}

// The bytes after a complete request belong to the next one.
TEST(Http1RequestParserTest, StopsAtTheEndOfTheRequest) {
  const std::string first = "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  const std::string second = "GET /b HTTP/1.1\n\n";  // bare LF line ends
  Http1RequestParser parser;
  absl::StatusOr<size_t> used = parser.Feed(first + second);
  ASSERT_TRUE(used.ok()) << used.status();
  EXPECT_EQ(*used, first.size());
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.TakeRequest().body, "abc");

  Http1RequestParser next;
  used = next.Feed(second);
  ASSERT_TRUE(used.ok()) << used.status();
  ASSERT_TRUE(next.done());
  EXPECT_EQ(next.request().target, "/b");
}

// The head is complete before the body arrives: a server answers
// "100 Continue" then.
TEST(Http1RequestParserTest, HeadCompleteBeforeTheBody) {
  Http1RequestParser parser;
  ASSERT_TRUE(parser
                  .Feed("PUT /u HTTP/1.1\r\nExpect: 100-continue\r\n"
                        "Content-Length: 4\r\n\r\n")
                  .ok());
  EXPECT_TRUE(parser.head_complete());
  EXPECT_FALSE(parser.done());
  EXPECT_TRUE(parser.request().expects_continue);
  ASSERT_TRUE(parser.Feed("da").ok());
  EXPECT_FALSE(parser.done());
  ASSERT_TRUE(parser.Feed("ta").ok());
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(parser.request().body, "data");
}

// RFC 9112 9.3 (persistence), 6.1 (Transfer-Encoding with Content-Length)
// and RFC 9110 10.1.1 (100-continue only with a body to come).
TEST(Http1RequestParserTest, PersistenceAndContinue) {
  struct Case {
    const char* source;
    std::string head;
    bool keep_alive;
    bool expects_continue;
  };
  const Case kCases[] = {
      {"9.3: HTTP/1.1 persists by default", "GET / HTTP/1.1\r\n", true, false},
      {"9.3: HTTP/1.1 with close", "GET / HTTP/1.1\r\nConnection: close\r\n",
       false, false},
      {"9.3: a connection option list",
       "GET / HTTP/1.1\r\nConnection: x, Close\r\n", false, false},
      {"9.3: HTTP/1.0 closes by default", "GET / HTTP/1.0\r\n", false, false},
      {"9.3: HTTP/1.0 with keep-alive",
       "GET / HTTP/1.0\r\nConnection: keep-alive\r\n", true, false},
      {"6.1: Transfer-Encoding and Content-Length: close afterwards",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n",
       false, false},
      {"10.1.1: 100-continue with a body",
       "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n", true,
       true},
      {"10.1.1: 100-continue with a chunked body",
       "POST / HTTP/1.1\r\nExpect: 100-continue\r\n"
       "Transfer-Encoding: gzip, chunked\r\n",
       true, true},
      {"10.1.1: no body, no 100 Continue",
       "GET / HTTP/1.1\r\nExpect: 100-continue\r\n", true, false},
  };
  for (const Case& c : kCases) {
    Http1RequestParser parser;
    absl::StatusOr<size_t> used = parser.Feed(c.head + "\r\n");
    ASSERT_TRUE(used.ok()) << c.source << ": " << used.status();
    ASSERT_TRUE(parser.head_complete()) << c.source;
    EXPECT_EQ(parser.request().keep_alive, c.keep_alive) << c.source;
    EXPECT_EQ(parser.request().expects_continue, c.expects_continue)
        << c.source;
  }
}

// Malformed requests: the status a server answers, and a message that says
// what is wrong and where (the stream offset of the line or byte).
TEST(Http1RequestParserTest, MalformedRequestsSayWhatAndWhere) {
  struct Case {
    const char* source;
    std::string bytes;
    int status;
    const char* message;
  };
  const Case kCases[] = {
      {"RFC 9112 3: three parts", "garbage\r\n\r\n", 400,
       "HTTP/1.1 request: request line \"garbage\" is not method SP "
       "request-target SP HTTP-version (at offset 0)"},
      {"RFC 9112 3: single SPs", "GET  / HTTP/1.1\r\n\r\n", 400,
       "HTTP/1.1 request: request line \"GET  / HTTP/1.1\" is not method SP "
       "request-target SP HTTP-version (at offset 0)"},
      {"RFC 9112 3: empty target after leading empty lines",
       "\r\n\r\nGET  HTTP/1.1\r\n\r\n", 400,
       "HTTP/1.1 request: request-target is empty (at offset 8)"},
      {"RFC 9110 9.1: the method is a token", "G(T / HTTP/1.1\r\n\r\n", 400,
       "HTTP/1.1 request: method \"G(T\" is not a token (at offset 0)"},
      {"RFC 9112 2.3: HTTP/1.x only", "GET / HTTP/2.0\r\n\r\n", 505,
       "HTTP/1.1 request: unsupported HTTP version \"HTTP/2.0\" (at offset "
       "6)"},
      {"RFC 9112 5.2: obs-fold", "GET / HTTP/1.1\r\nA: 1\r\n  2\r\n\r\n", 400,
       "HTTP/1.1 request: header line starts with whitespace (obsolete line "
       "folding is not accepted) (at offset 22)"},
      {"RFC 9112 5.1: no space before the colon",
       "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
       "HTTP/1.1 request: header line \"Host : a\" is not name \":\" value (at "
       "offset 16)"},
      {"RFC 9112 5: a field line has a colon", "GET / HTTP/1.1\r\nHost\r\n\r\n",
       400,
       "HTTP/1.1 request: header line \"Host\" is not name \":\" value (at "
       "offset 16)"},
      {"RFC 9110 5.5: NUL in a value",
       std::string("GET / HTTP/1.1\r\nA: x\0y\r\n\r\n", 26), 400,
       "HTTP/1.1 request: header \"A\" value contains NUL or CR (at offset "
       "20)"},
      {"RFC 9110 5.5: a bare CR in a value",
       "GET / HTTP/1.1\r\nA: x\ry\r\n\r\n", 400,
       "HTTP/1.1 request: header \"A\" value contains NUL or CR (at offset "
       "20)"},
      {"RFC 9110 8.6: Content-Length is digits",
       "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
       "HTTP/1.1 request: invalid Content-Length \"-1\" (at offset 17)"},
      {"RFC 9110 8.6: one Content-Length",
       "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
       "HTTP/1.1 request: conflicting Content-Length headers (at offset 36)"},
      {"RFC 9112 6.3 rule 4: chunked must be the final coding",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400,
       "HTTP/1.1 request: Transfer-Encoding without a final \"chunked\" coding "
       "(at offset 17)"},
      {"RFC 9112 7.1: chunk-size is hex",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
       "HTTP/1.1 request: invalid chunk-size line \"zz\" (at offset 47)"},
      {"RFC 9112 7.1: chunk data ends with CRLF",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400,
       "HTTP/1.1 request: chunk data is not followed by CRLF (at offset 51)"},
      {"RFC 9112 7.1.2: trailer fields are field lines",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad\r\n\r\n",
       400,
       "HTTP/1.1 request: trailer line \"bad\" is not name \":\" value (at "
       "offset 50)"},
  };
  for (const Case& c : kCases) {
    Http1RequestParser parser;
    absl::StatusOr<size_t> used = parser.Feed(c.bytes);
    ASSERT_FALSE(used.ok()) << c.source;
    EXPECT_EQ(used.status().code(), absl::StatusCode::kInvalidArgument)
        << c.source;
    EXPECT_EQ(std::string(used.status().message()), c.message) << c.source;
    EXPECT_EQ(parser.error_status_code(), c.status) << c.source;
    // The reason alone is the message without its prefix and offset.
    EXPECT_TRUE(absl::StartsWith(
        used.status().message(),
        absl::StrCat("HTTP/1.1 request: ", parser.error_reason(),
                     " (at offset ")))
        << c.source;
    EXPECT_FALSE(parser.done()) << c.source;
    // Errors are sticky.
    EXPECT_EQ(parser.Feed("GET / HTTP/1.1\r\n\r\n").status(), used.status())
        << c.source;
  }
}

// The limits: 431 for the head and the trailers, 413 for the body, 400 for a
// chunk-size line, each at the first byte over (the body's at its header or
// chunk-size line).
TEST(Http1RequestParserTest, Limits) {
  Http1RequestParser::Options options;
  options.max_header_bytes = 48;
  options.max_trailer_bytes = 8;
  options.max_body_bytes = 4;
  struct Case {
    const char* source;
    std::string bytes;
    int status;
    const char* message;
  };
  const Case kCases[] = {
      {"head over 48 bytes",
       "GET / HTTP/1.1\r\nX-Long: 0123456789abcdef0123456789abcdef\r\n", 431,
       "HTTP/1.1 request: request line and header section exceed 48 bytes (at "
       "offset 48)"},
      {"Content-Length over 4", "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
       413,
       "HTTP/1.1 request: Content-Length 5 exceeds 4 bytes (at offset 17)"},
      {"chunks over 4",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\n",
       413, "HTTP/1.1 request: chunked body exceeds 4 bytes (at offset 55)"},
      {"trailers over 8",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 12345\r\n",
       431, "HTTP/1.1 request: trailer section exceeds 8 bytes (at offset 58)"},
      {"chunk-size line over 1 KiB",
       "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" +
           std::string(2000, 'x'),
       400,
       "HTTP/1.1 request: chunk-size line exceeds 1024 bytes (at offset "
       "1071)"},
  };
  for (const Case& c : kCases) {
    Http1RequestParser parser(options);
    absl::StatusOr<size_t> used = FeedInChunks(parser, c.bytes, 5);
    ASSERT_FALSE(used.ok()) << c.source;
    EXPECT_EQ(std::string(used.status().message()), c.message) << c.source;
    EXPECT_EQ(parser.error_status_code(), c.status) << c.source;
  }
  // Exactly at the limit is fine.
  Http1RequestParser parser(options);
  ASSERT_TRUE(
      parser.Feed("POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd").ok());
  EXPECT_TRUE(parser.done());
}

// A server answers with the reason alone (the net/testing collector's 400
// body).
TEST(Http1RequestParserTest, ErrorReasonIsTheRuleAlone) {
  Http1RequestParser parser;
  ASSERT_FALSE(
      parser.Feed("POST / HTTP/1.1\r\nContent-Length: ten\r\n\r\n").ok());
  EXPECT_EQ(parser.error_reason(), "invalid Content-Length \"ten\"");
  EXPECT_EQ(parser.error_status_code(), 400);
}

TEST(Http1RequestParserTest, ReceivedAnyBytes) {
  Http1RequestParser parser;
  EXPECT_FALSE(parser.received_any_bytes());
  ASSERT_TRUE(parser.Feed("GE").ok());
  EXPECT_TRUE(parser.received_any_bytes());
  EXPECT_FALSE(parser.head_complete());
  EXPECT_EQ(parser.error_status_code(), 0);
  EXPECT_EQ(parser.error_reason(), "");
}

}  // namespace
}  // namespace fetch_later::net
