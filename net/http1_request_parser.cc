#include "net/http1_request_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/http_token.h"

namespace fetch_later::net {
namespace {

constexpr size_t kMaxChunkSizeLineBytes = 1024;
// A chunk size of more hex digits than this cannot be a body we accept.
constexpr size_t kMaxChunkSizeDigits = 15;

// RFC 9110 5.6.3: OWS is SP / HTAB.
absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool IsDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

bool IsHexDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isxdigit(static_cast<unsigned char>(c));
  });
}

}  // namespace

Http1RequestParser::Http1RequestParser(Options options) : options_(options) {}

absl::Status Http1RequestParser::Fail(int status_code,
                                      uint64_t at,
                                      absl::string_view message) {
  state_ = State::kError;
  error_status_code_ = status_code;
  error_reason_ = std::string(message);
  error_ = absl::InvalidArgumentError(
      absl::StrCat("HTTP/1.1 request: ", message, " (at offset ", at, ")"));
  return error_;
}

absl::StatusOr<size_t> Http1RequestParser::Feed(absl::string_view data) {
  if (state_ == State::kError)
    return error_;
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone) {
    if (state_ == State::kBodyContentLength || state_ == State::kChunkData) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
      request_.body.append(data.data() + i, n);
      i += n;
      offset_ += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        state_ =
            state_ == State::kChunkData ? State::kChunkDataEnd : State::kDone;
      }
      continue;
    }
    std::string line;
    bool complete = false;
    if (absl::Status s = CollectLine(data, &i, &line, &complete); !s.ok())
      return s;
    if (!complete)
      break;
    absl::string_view view(line);
    view.remove_suffix(1);  // '\n'
    if (!view.empty() && view.back() == '\r')
      view.remove_suffix(1);
    if (absl::Status s = HandleLine(view, line_start_); !s.ok())
      return s;
  }
  return i;
}

absl::Status Http1RequestParser::CollectLine(absl::string_view data,
                                             size_t* i,
                                             std::string* line,
                                             bool* complete) {
  // What is left of this state's limit, and what exceeding it means.
  size_t limit;
  int status_code;
  std::string what;
  switch (state_) {
    case State::kRequestLine:
    case State::kHeaders:
      limit = options_.max_header_bytes -
              std::min(options_.max_header_bytes, header_bytes_);
      status_code = 431;
      what = absl::StrCat("request line and header section exceed ",
                          options_.max_header_bytes, " bytes");
      break;
    case State::kTrailers:
      limit = options_.max_trailer_bytes -
              std::min(options_.max_trailer_bytes, trailer_bytes_);
      status_code = 431;
      what = absl::StrCat("trailer section exceeds ",
                          options_.max_trailer_bytes, " bytes");
      break;
    default:
      limit = kMaxChunkSizeLineBytes;
      status_code = 400;
      what = absl::StrCat("chunk-size line exceeds ", kMaxChunkSizeLineBytes,
                          " bytes");
      break;
  }
  const size_t newline = data.find('\n', *i);
  const size_t end =
      newline == absl::string_view::npos ? data.size() : newline + 1;
  const size_t length = end - *i;
  if (line_.size() + length > limit)
    return Fail(status_code, offset_ + (limit - line_.size()), what);
  if (line_.empty())
    line_start_ = offset_;
  line_.append(data.data() + *i, length);
  *i = end;
  offset_ += length;
  if (newline == absl::string_view::npos)
    return absl::OkStatus();
  if (state_ == State::kRequestLine || state_ == State::kHeaders) {
    header_bytes_ += line_.size();
  } else if (state_ == State::kTrailers) {
    trailer_bytes_ += line_.size();
  }
  *line = std::move(line_);
  line_.clear();
  *complete = true;
  return absl::OkStatus();
}

absl::Status Http1RequestParser::HandleLine(absl::string_view line,
                                            uint64_t at) {
  switch (state_) {
    case State::kRequestLine:
      return HandleRequestLine(line, at);
    case State::kHeaders:
      if (line.empty())
        return HandleEndOfHeaders();
      return HandleFieldLine(line, at, "header", &request_.headers);
    case State::kChunkSize:
      return HandleChunkSizeLine(line, at);
    case State::kChunkDataEnd:
      if (!line.empty())
        return Fail(400, at, "chunk data is not followed by CRLF");
      state_ = State::kChunkSize;
      return absl::OkStatus();
    case State::kTrailers:
      if (line.empty()) {
        state_ = State::kDone;
        return absl::OkStatus();
      }
      return HandleFieldLine(line, at, "trailer", &request_.trailers);
    default:
      return absl::OkStatus();
  }
}

// RFC 9112 3: request-line = method SP request-target SP HTTP-version.
absl::Status Http1RequestParser::HandleRequestLine(absl::string_view line,
                                                   uint64_t at) {
  // RFC 9112 2.2: a server SHOULD ignore at least one empty line received
  // before the request-line.
  if (line.empty())
    return absl::OkStatus();
  std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  if (parts.size() != 3) {
    return Fail(400, at,
                absl::StrCat("request line \"", absl::CEscape(line),
                             "\" is not method SP request-target SP "
                             "HTTP-version"));
  }
  const absl::string_view method = parts[0];
  const absl::string_view target = parts[1];
  const absl::string_view version = parts[2];
  if (!IsHttpToken(method)) {
    return Fail(
        400, at,
        absl::StrCat("method \"", absl::CEscape(method), "\" is not a token"));
  }
  const uint64_t target_at = at + method.size() + 1;
  if (target.empty())
    return Fail(400, target_at, "request-target is empty");
  const uint64_t version_at = target_at + target.size() + 1;
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Fail(505, version_at,
                absl::StrCat("unsupported HTTP version \"",
                             absl::CEscape(version), "\""));
  }
  request_.method = std::string(method);
  request_.target = std::string(target);
  request_.version = std::string(version);
  state_ = State::kHeaders;
  return absl::OkStatus();
}

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS.
absl::Status Http1RequestParser::HandleFieldLine(
    absl::string_view line,
    uint64_t at,
    absl::string_view what,
    std::vector<std::pair<std::string, std::string>>* fields) {
  // RFC 9112 5.2: a server rejects obs-fold with 400.
  if (line.front() == ' ' || line.front() == '\t') {
    return Fail(400, at,
                absl::StrCat(what,
                             " line starts with whitespace (obsolete line "
                             "folding is not accepted)"));
  }
  // RFC 9112 5.1: no whitespace between the name and the colon.
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsHttpToken(line.substr(0, colon))) {
    return Fail(400, at,
                absl::StrCat(what, " line \"", absl::CEscape(line),
                             "\" is not name \":\" value"));
  }
  // RFC 9110 5.5: a value with NUL or CR is rejected.
  const absl::string_view value = line.substr(colon + 1);
  const size_t bad = value.find_first_of(absl::string_view("\0\r", 2));
  if (bad != absl::string_view::npos) {
    return Fail(400, at + colon + 1 + bad,
                absl::StrCat(what, " \"", line.substr(0, colon),
                             "\" value contains NUL or CR"));
  }
  fields->emplace_back(std::string(line.substr(0, colon)),
                       std::string(TrimOws(value)));
  if (fields == &request_.headers)
    header_offsets_.push_back(at);
  return absl::OkStatus();
}

absl::Status Http1RequestParser::HandleEndOfHeaders() {
  bool chunked = false;
  bool has_transfer_encoding = false;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool expect_continue = false;
  uint64_t transfer_encoding_at = 0;
  uint64_t content_length_at = 0;
  for (size_t k = 0; k < request_.headers.size(); ++k) {
    const auto& [name, value] = request_.headers[k];
    const uint64_t at = header_offsets_[k];
    if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      transfer_encoding_at = at;
      has_transfer_encoding = true;
      std::vector<absl::string_view> codings =
          absl::StrSplit(value, ',', absl::SkipWhitespace());
      chunked = !codings.empty() &&
                absl::EqualsIgnoreCase(TrimOws(codings.back()), "chunked");
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      uint64_t n = 0;
      if (!IsDigits(value) || !absl::SimpleAtoi(value, &n)) {
        return Fail(400, at,
                    absl::StrCat("invalid Content-Length \"",
                                 absl::CEscape(value), "\""));
      }
      if (has_content_length && n != content_length)
        return Fail(400, at, "conflicting Content-Length headers");
      has_content_length = true;
      content_length = n;
      content_length_at = at;
    } else if (absl::EqualsIgnoreCase(name, "connection")) {
      for (absl::string_view option : absl::StrSplit(value, ',')) {
        option = TrimOws(option);
        connection_close |= absl::EqualsIgnoreCase(option, "close");
        connection_keep_alive |= absl::EqualsIgnoreCase(option, "keep-alive");
      }
    } else if (absl::EqualsIgnoreCase(name, "expect")) {
      expect_continue = absl::EqualsIgnoreCase(value, "100-continue");
    }
  }
  // RFC 9112 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with
  // "keep-alive".
  request_.keep_alive = request_.version == "HTTP/1.1" ? !connection_close
                                                       : connection_keep_alive;
  if (has_transfer_encoding) {
    // RFC 9112 6.3 rule 4: a request whose final coding is not chunked cannot
    // be framed.
    if (!chunked) {
      return Fail(400, transfer_encoding_at,
                  "Transfer-Encoding without a final \"chunked\" coding");
    }
    // RFC 9112 6.1: with both, Transfer-Encoding wins and the connection
    // closes afterwards (the message may be an attempt at smuggling).
    if (has_content_length)
      request_.keep_alive = false;
  } else if (content_length > options_.max_body_bytes) {
    return Fail(413, content_length_at,
                absl::StrCat("Content-Length ", content_length, " exceeds ",
                             options_.max_body_bytes, " bytes"));
  }
  request_.expects_continue =
      expect_continue && (chunked || content_length > 0);
  head_complete_ = true;
  if (chunked) {
    state_ = State::kChunkSize;
  } else if (content_length > 0) {
    remaining_ = content_length;
    state_ = State::kBodyContentLength;
  } else {
    state_ = State::kDone;
  }
  return absl::OkStatus();
}

// RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF; chunk-size = 1*HEXDIG. A chunk
// of size 0 is the last; trailer fields follow.
absl::Status Http1RequestParser::HandleChunkSizeLine(absl::string_view line,
                                                     uint64_t at) {
  const absl::string_view size_text =
      absl::StripAsciiWhitespace(line.substr(0, line.find(';')));
  uint64_t size = 0;
  if (size_text.size() > kMaxChunkSizeDigits || !IsHexDigits(size_text) ||
      !absl::SimpleHexAtoi(size_text, &size)) {
    return Fail(
        400, at,
        absl::StrCat("invalid chunk-size line \"", absl::CEscape(line), "\""));
  }
  if (size == 0) {
    state_ = State::kTrailers;
    return absl::OkStatus();
  }
  if (request_.body.size() + size > options_.max_body_bytes) {
    return Fail(413, at,
                absl::StrCat("chunked body exceeds ", options_.max_body_bytes,
                             " bytes"));
  }
  remaining_ = size;
  state_ = State::kChunkData;
  return absl::OkStatus();
}

}  // namespace fetch_later::net
