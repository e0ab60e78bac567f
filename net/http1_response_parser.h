// An incremental HTTP/1.1 response parser (RFC 9112), fed whatever byte chunks
// the socket returns. It knows nothing about sockets, so a fuzzer can drive it
// directly.
//
//   Http1ResponseParser parser({/*head_request=*/false});
//   absl::StatusOr<size_t> used = parser.Feed("HTTP/1.1 204 No
//   Content\r\n\r\n"); parser.done();                 // true
//   parser.response().status_code; // 204
//   parser.response().keep_alive;  // true: HTTP/1.1 without "Connection:
//   close"
//
// What it handles: the status line, header fields (obs-fold joined with one
// space), 1xx interim responses (skipped, except 101 which is an error: we
// never ask to upgrade), Content-Length, chunked transfer coding with chunk
// extensions and trailers, bodies with no framing (delimited by the connection
// closing: call OnEof()), responses without a body (HEAD, 204, 304). The body
// is counted, not kept (the network stage reads and discards it). Limits: the
// status line plus header block at most 64 KiB, trailers at most 64 KiB, a
// chunk-size line at most 1 KiB. Every error is an absl::InvalidArgumentError
// whose message names the stream offset of the offending byte and the rule it
// broke.
//
// Not thread-safe; one parser per response.
#ifndef NET_HTTP1_RESPONSE_PARSER_H_
#define NET_HTTP1_RESPONSE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

struct Http1Response {
  int http_minor_version = 1;  // HTTP/1.x
  int status_code = 0;
  std::string reason_phrase;
  // Header fields in order, names as received; values with surrounding
  // whitespace removed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> trailers;
  uint64_t body_bytes = 0;  // payload bytes after removing the chunked coding
  // Whether the connection may carry another request after this response.
  bool keep_alive = false;

  // The first value of header `name` (ASCII case-insensitive), if any.
  std::optional<std::string> GetHeader(absl::string_view name) const;
};

class Http1ResponseParser {
 public:
  struct Options {
    // The request was HEAD: the response has no body whatever its headers say.
    bool head_request = false;
    size_t max_header_bytes = 64 * 1024;
    size_t max_trailer_bytes = 64 * 1024;
    // Keep the body bytes in `body()`; otherwise they are only counted.
    bool keep_body = false;
    // With `keep_body`: keep at most this many bytes (the rest is counted).
    size_t max_kept_body_bytes = SIZE_MAX;
  };

  Http1ResponseParser() : Http1ResponseParser(Options()) {}
  explicit Http1ResponseParser(Options options);

  // Consumes bytes from `data` up to the end of the (final) response. Returns
  // how many bytes were used; fewer than data.size() only when the response is
  // complete (the rest belongs to whatever follows). After an error every call
  // returns the same error.
  absl::StatusOr<size_t> Feed(absl::string_view data);
  // The peer closed the connection. Completes a body that runs to the end of
  // the connection; anything else that is incomplete is an error naming the
  // offset.
  absl::Status OnEof();

  // A complete final response was parsed.
  bool done() const { return state_ == State::kDone; }
  // Any byte of a response was received (distinguishes "empty response" from
  // "truncated").
  bool received_any_bytes() const { return offset_ > 0; }
  // Total bytes consumed so far, across interim responses.
  uint64_t offset() const { return offset_; }
  const Http1Response& response() const { return response_; }
  const std::string& body() const { return body_; }

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kBodyContentLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyUntilClose,
    kDone,
    kError,
  };

  absl::Status Fail(uint64_t at, absl::string_view message);
  // Line-oriented states: `line` excludes the CRLF (or bare LF).
  absl::Status HandleStatusLine(absl::string_view line, uint64_t at);
  absl::Status HandleHeaderLine(absl::string_view line, uint64_t at);
  absl::Status HandleEndOfHeaders(uint64_t at);
  absl::Status HandleChunkSizeLine(absl::string_view line, uint64_t at);
  absl::Status HandleTrailerLine(absl::string_view line, uint64_t at);
  void AddBody(absl::string_view bytes);

  Options options_;
  State state_ = State::kStatusLine;
  absl::Status error_;
  uint64_t offset_ = 0;      // stream offset of the next byte
  std::string line_;         // the partial line being collected
  uint64_t line_start_ = 0;  // stream offset where line_ began
  size_t header_block_bytes_ =
      0;  // of the current response's status line + headers
  size_t trailer_bytes_ = 0;
  uint64_t remaining_ = 0;  // bytes left in a Content-Length body or chunk
  Http1Response response_;
  std::string body_;
  bool saw_any_header_ = false;
};

}  // namespace fetch_later::net

#endif  // NET_HTTP1_RESPONSE_PARSER_H_
