// libFuzzer target: the network stage's incremental HTTP/1.1 response parser
// (net/http1_response_parser.h), fed in chunks as a socket would deliver them.
// Input: an options byte, then (chunk length byte, bytes)* until the input ends.
// Checks: no crash; Feed() never claims more bytes than it was given; after an
// error every call returns an error; a completed response stays complete; the
// header block stays within its limit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "net/http1_response_parser.h"
#include "tests/fuzz/fuzz_input.h"

using fetch_later::net::Http1ResponseParser;

namespace {
[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fetch_later::fuzz::FuzzInput in(data, size);
  const uint8_t opts = in.Byte();
  Http1ResponseParser::Options options;
  options.head_request = opts & 1;
  options.keep_body = opts & 2;
  if (opts & 4) {  // small limits reach the limit paths with short inputs
    options.max_header_bytes = 64 + (opts >> 3);
    options.max_trailer_bytes = 32 + (opts >> 3);
  }
  Http1ResponseParser parser(options);
  bool failed = false;
  bool done = false;
  uint64_t fed = 0;
  while (!in.empty()) {
    // A zero length byte means "the rest in one chunk".
    std::string chunk = in.Bytes(255);
    if (chunk.empty())
      chunk = in.Rest();
    absl::StatusOr<size_t> used = parser.Feed(chunk);
    if (!used.ok()) {
      failed = true;
      if (used.status().message().empty())
        Fail("error without a message");
      break;
    }
    if (*used > chunk.size())
      Fail("Feed() used more bytes than it was given");
    if (*used < chunk.size() && !parser.done())
      Fail("Feed() stopped early without a complete response");
    fed += *used;
    if (done && !parser.done())
      Fail("a complete response became incomplete");
    done = parser.done();
    if (done)
      break;
  }
  if (failed) {
    if (parser.Feed("HTTP/1.1 200 OK\r\n\r\n").ok())
      Fail("a failed parser accepted more input");
    return 0;
  }
  if (!parser.done())
    (void)parser.OnEof();
  if (parser.done()) {
    const auto& r = parser.response();
    if (r.status_code < 100 || r.status_code > 999)
      Fail("status code outside 100..999");
    if (options.keep_body && parser.body().size() != r.body_bytes)
      Fail("kept body size differs from body_bytes");
    if (options.head_request && r.body_bytes != 0)
      Fail("a HEAD response has a body");
    (void)r.GetHeader("content-length");
  }
  if (parser.offset() < fed)
    Fail("offset() behind the bytes consumed");
  return 0;
}
