// An incremental HTTP/1.1 request parser (RFC 9112) for the servers this
// project runs itself: the local HTTPS collector (net/testing) and the
// browser's internals page. Fed whatever byte chunks the socket returns; it
// knows nothing about sockets, so a test drives it directly.
//
//   Http1RequestParser parser;
//   absl::StatusOr<size_t> used = parser.Feed(
//       "POST /b HTTP/1.1\r\nHost: a.test\r\nContent-Length: 2\r\n\r\nhi");
//   parser.done();                // true
//   parser.request().body;        // "hi"
//   parser.request().keep_alive;  // true: HTTP/1.1 without "Connection: close"
//
//   parser.Feed("GET / HTTP/2.0\r\n\r\n").status().message();
//   // "HTTP/1.1 request: unsupported HTTP version \"HTTP/2.0\" (at offset 6)"
//   parser.error_status_code();   // 505
//
// What it handles: empty lines before the request line (RFC 9112 2.2), CRLF or
// a bare LF as the line end, the request line (a method token, a target without
// spaces, HTTP/1.0 or HTTP/1.1), header fields (no obs-fold, no whitespace
// before the colon, no NUL or CR in a value), framing by Content-Length or by
// the chunked transfer coding (chunk extensions ignored, trailer fields kept),
// connection persistence and "Expect: 100-continue". Limits are Options.
//
// Every error is an absl::InvalidArgumentError whose message says which rule
// was broken and the stream offset of the line or byte that broke it;
// error_status_code() is the status a server answers it with (400, 413, 431 or
// 505) and error_reason() the rule alone, for the response body. After an
// error every Feed() returns the same error.
//
// Not thread-safe; one parser per request (the bytes Feed() does not use
// belong to the next request on the connection).
#ifndef NET_HTTP1_REQUEST_PARSER_H_
#define NET_HTTP1_REQUEST_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

// A request as it arrived: the request line, the fields as sent (names as
// received, values without surrounding whitespace) and the body with any
// chunked coding removed.
struct Http1Request {
  std::string method;
  std::string target;   // the request-target as sent ("/path?query")
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string body;
  // Whether the connection may carry another request after this one's
  // response (RFC 9112 9.3; never after Transfer-Encoding with
  // Content-Length, RFC 9112 6.1).
  bool keep_alive = true;
  // "Expect: 100-continue" with a body to come: the server sends
  // "HTTP/1.1 100 Continue" once the head is read (RFC 9110 10.1.1).
  bool expects_continue = false;
};

class Http1RequestParser {
 public:
  struct Options {
    // The request line and header section, line ends included (and any empty
    // lines before the request line). More: 431.
    size_t max_header_bytes = 64 * 1024;
    // The trailer section after a chunked body. More: 431.
    size_t max_trailer_bytes = 64 * 1024;
    // The body, after removing the chunked coding. More: 413.
    uint64_t max_body_bytes = 64ull * 1024 * 1024;
  };

  Http1RequestParser() : Http1RequestParser(Options()) {}
  explicit Http1RequestParser(Options options);

  // Consumes bytes from `data` up to the end of the request. Returns how many
  // were used: fewer than data.size() only when the request is complete (the
  // rest belongs to the next request).
  absl::StatusOr<size_t> Feed(absl::string_view data);

  // The request line and header fields were read: request() has them (but not
  // yet the body, unless done()).
  bool head_complete() const { return head_complete_; }
  // The whole request was read.
  bool done() const { return state_ == State::kDone; }
  // Any byte was fed (tells "the peer sent nothing" from "it stopped in the
  // middle").
  bool received_any_bytes() const { return offset_ > 0; }
  const Http1Request& request() const { return request_; }
  // Moves the request out; call once done().
  Http1Request TakeRequest() { return std::move(request_); }
  // After an error: 400 (malformed), 413 (body too large), 431 (header or
  // trailer section too large) or 505 (HTTP version). 0 without an error.
  int error_status_code() const { return error_status_code_; }
  // After an error: the rule that was broken, without the offset, for a
  // response body ("invalid Content-Length \"ten\""). Empty without an error.
  const std::string& error_reason() const { return error_reason_; }

 private:
  enum class State {
    kRequestLine,
    kHeaders,
    kBodyContentLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kDone,
    kError,
  };

  absl::Status Fail(int status_code, uint64_t at, absl::string_view message);
  // Consumes line bytes from `data` at `*i`; sets `*line` once a whole line
  // (without its line end) is collected.
  absl::Status CollectLine(absl::string_view data,
                           size_t* i,
                           std::string* line,
                           bool* complete);
  // Line-oriented states; `line` excludes the line end, `at` is its offset.
  absl::Status HandleLine(absl::string_view line, uint64_t at);
  absl::Status HandleRequestLine(absl::string_view line, uint64_t at);
  // A header or trailer field line into `fields`.
  absl::Status HandleFieldLine(
      absl::string_view line,
      uint64_t at,
      absl::string_view what,
      std::vector<std::pair<std::string, std::string>>* fields);
  // RFC 9112 6: the framing the header fields give the body.
  absl::Status HandleEndOfHeaders();
  absl::Status HandleChunkSizeLine(absl::string_view line, uint64_t at);

  const Options options_;
  State state_ = State::kRequestLine;
  absl::Status error_;
  int error_status_code_ = 0;
  std::string error_reason_;
  uint64_t offset_ = 0;      // stream offset of the next byte
  std::string line_;         // the partial line being collected
  uint64_t line_start_ = 0;  // stream offset where `line_` began
  size_t header_bytes_ = 0;  // of the head so far, line ends included
  size_t trailer_bytes_ = 0;
  uint64_t remaining_ = 0;  // bytes left in a Content-Length body or chunk
  bool head_complete_ = false;
  Http1Request request_;
  // The stream offset of each of `request_.headers`, for error messages.
  std::vector<uint64_t> header_offsets_;
};

}  // namespace fetch_later::net

#endif  // NET_HTTP1_REQUEST_PARSER_H_
