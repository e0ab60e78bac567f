#include "net/http1_response_parser.h"

#include <algorithm>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/http_token.h"

namespace fetch_later::net {
namespace {

constexpr size_t kMaxChunkSizeLineBytes = 1024;

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Whether the comma-separated header `value` lists `token` (case-insensitive).
bool ListContainsToken(absl::string_view value, absl::string_view token) {
  for (absl::string_view item : absl::StrSplit(value, ',')) {
    if (absl::EqualsIgnoreCase(TrimOws(item), token))
      return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> Http1Response::GetHeader(
    absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return std::nullopt;
}

Http1ResponseParser::Http1ResponseParser(Options options) : options_(options) {}

absl::Status Http1ResponseParser::Fail(uint64_t at, absl::string_view message) {
  state_ = State::kError;
  error_ = absl::InvalidArgumentError(
      absl::StrCat("HTTP/1.1 response: ", message, " (at offset ", at, ")"));
  return error_;
}

absl::StatusOr<size_t> Http1ResponseParser::Feed(absl::string_view data) {
  if (state_ == State::kError)
    return error_;
  size_t i = 0;
  while (i < data.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kBodyContentLength:
      case State::kChunkData: {
        size_t n = static_cast<size_t>(std::min<uint64_t>(
            remaining_, static_cast<uint64_t>(data.size() - i)));
        AddBody(data.substr(i, n));
        i += n;
        offset_ += n;
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ =
              state_ == State::kChunkData ? State::kChunkDataEnd : State::kDone;
        }
        break;
      }
      case State::kBodyUntilClose: {
        AddBody(data.substr(i));
        offset_ += data.size() - i;
        i = data.size();
        break;
      }
      default: {
        // A line-oriented state: collect up to and including '\n'.
        size_t limit;
        absl::string_view what;
        switch (state_) {
          case State::kStatusLine:
          case State::kHeaders:
            limit = options_.max_header_bytes -
                    std::min(options_.max_header_bytes, header_block_bytes_);
            what = "status line and header block exceed the limit of ";
            break;
          case State::kTrailers:
            limit = options_.max_trailer_bytes -
                    std::min(options_.max_trailer_bytes, trailer_bytes_);
            what = "trailer section exceeds the limit of ";
            break;
          default:
            limit = kMaxChunkSizeLineBytes;
            what = "chunk-size line exceeds the limit of ";
            break;
        }
        size_t newline = data.find('\n', i);
        size_t end =
            newline == absl::string_view::npos ? data.size() : newline + 1;
        size_t len = end - i;
        if (line_.size() + len > limit) {
          size_t full_limit =
              state_ == State::kTrailers ? options_.max_trailer_bytes
              : state_ == State::kChunkSize || state_ == State::kChunkDataEnd
                  ? kMaxChunkSizeLineBytes
                  : options_.max_header_bytes;
          return Fail(offset_ + (limit - line_.size()),
                      absl::StrCat(what, full_limit, " bytes"));
        }
        if (line_.empty())
          line_start_ = offset_;
        line_.append(data.data() + i, len);
        i = end;
        offset_ += len;
        if (newline == absl::string_view::npos)
          break;
        // A complete line.
        if (state_ == State::kStatusLine || state_ == State::kHeaders) {
          header_block_bytes_ += line_.size();
        } else if (state_ == State::kTrailers) {
          trailer_bytes_ += line_.size();
        }
        std::string line = std::move(line_);
        line_.clear();
        absl::string_view view(line);
        view.remove_suffix(1);  // '\n'
        if (!view.empty() && view.back() == '\r')
          view.remove_suffix(1);
        absl::Status status;
        switch (state_) {
          case State::kStatusLine:
            status = HandleStatusLine(view, line_start_);
            break;
          case State::kHeaders:
            status = HandleHeaderLine(view, line_start_);
            break;
          case State::kChunkSize:
            status = HandleChunkSizeLine(view, line_start_);
            break;
          case State::kChunkDataEnd:
            if (!view.empty()) {
              status = Fail(line_start_, "chunk data is not followed by CRLF");
            } else {
              state_ = State::kChunkSize;
            }
            break;
          case State::kTrailers:
            status = HandleTrailerLine(view, line_start_);
            break;
          default:
            break;
        }
        if (!status.ok())
          return status;
        break;
      }
    }
  }
  return i;
}

absl::Status Http1ResponseParser::OnEof() {
  switch (state_) {
    case State::kDone:
      return absl::OkStatus();
    case State::kError:
      return error_;
    case State::kBodyUntilClose:
      state_ = State::kDone;
      return absl::OkStatus();
    case State::kStatusLine:
      if (offset_ == 0)
        return Fail(0, "connection closed before any response byte");
      return Fail(offset_, "connection closed inside the status line");
    case State::kHeaders:
      return Fail(offset_, "connection closed inside the header block");
    case State::kBodyContentLength:
      return Fail(offset_,
                  absl::StrCat("connection closed with ", remaining_,
                               " bytes of the Content-Length body missing"));
    default:
      return Fail(offset_, "connection closed inside the chunked body");
  }
}

absl::Status Http1ResponseParser::HandleStatusLine(absl::string_view line,
                                                   uint64_t at) {
  // RFC 9112 2.2: a client SHOULD ignore at least one empty line before the
  // status line.
  if (line.empty())
    return absl::OkStatus();
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]
  if (line.size() < 12 || !absl::StartsWith(line, "HTTP/1.") ||
      !absl::ascii_isdigit(static_cast<unsigned char>(line[7])) ||
      line[8] != ' ') {
    return Fail(at, "status line does not start with \"HTTP/1.x \"");
  }
  int code = 0;
  for (int k = 9; k < 12; ++k) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(line[k]))) {
      return Fail(at + k, "status code is not three digits");
    }
    code = code * 10 + (line[k] - '0');
  }
  if (line.size() > 12 && line[12] != ' ') {
    return Fail(at + 12, "status code is not followed by SP");
  }
  if (code < 100)
    return Fail(at + 9, "status code below 100");
  absl::string_view reason =
      line.size() > 13 ? line.substr(13) : absl::string_view();
  for (size_t k = 0; k < reason.size(); ++k) {
    if (reason[k] == '\0' || reason[k] == '\r') {
      return Fail(at + 13 + k, "reason phrase contains NUL or CR");
    }
  }
  response_ = Http1Response();
  response_.http_minor_version = line[7] - '0';
  response_.status_code = code;
  response_.reason_phrase = std::string(reason);
  saw_any_header_ = false;
  state_ = State::kHeaders;
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::HandleHeaderLine(absl::string_view line,
                                                   uint64_t at) {
  if (line.empty())
    return HandleEndOfHeaders(at);
  if (line.front() == ' ' || line.front() == '\t') {
    // RFC 9112 5.2: obs-fold; a user agent replaces it with SP.
    if (!saw_any_header_)
      return Fail(at, "header block starts with a continuation line");
    for (size_t k = 0; k < line.size(); ++k) {
      if (line[k] == '\0' || line[k] == '\r') {
        return Fail(at + k, "header value contains NUL or CR");
      }
    }
    std::string& value = response_.headers.back().second;
    absl::string_view more = TrimOws(line);
    if (!more.empty())
      absl::StrAppend(&value, value.empty() ? "" : " ", more);
    return absl::OkStatus();
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos)
    return Fail(at, "header line has no ':'");
  absl::string_view name = line.substr(0, colon);
  if (!IsHttpToken(name)) {
    return Fail(at, absl::StrCat("header name \"", absl::CEscape(name),
                                 "\" is not a token"));
  }
  absl::string_view value = line.substr(colon + 1);
  for (size_t k = 0; k < value.size(); ++k) {
    if (value[k] == '\0' || value[k] == '\r') {
      return Fail(at + colon + 1 + k, "header value contains NUL or CR");
    }
  }
  response_.headers.emplace_back(std::string(name),
                                 std::string(TrimOws(value)));
  saw_any_header_ = true;
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::HandleEndOfHeaders(uint64_t at) {
  const int code = response_.status_code;
  if (code >= 100 && code < 200) {
    if (code == 101)
      return Fail(at,
                  "101 Switching Protocols to a request that asked no upgrade");
    // An interim response: skip it and parse the next one (RFC 9110 15.2).
    state_ = State::kStatusLine;
    header_block_bytes_ = 0;
    return absl::OkStatus();
  }
  // Connection persistence, RFC 9112 9.3.
  bool close = false, keep_alive_token = false;
  std::vector<std::string> content_lengths;
  std::optional<std::string> transfer_encoding;
  for (const auto& [name, value] : response_.headers) {
    if (absl::EqualsIgnoreCase(name, "connection")) {
      close |= ListContainsToken(value, "close");
      keep_alive_token |= ListContainsToken(value, "keep-alive");
    } else if (absl::EqualsIgnoreCase(name, "content-length")) {
      for (absl::string_view v : absl::StrSplit(value, ',')) {
        content_lengths.emplace_back(TrimOws(v));
      }
    } else if (absl::EqualsIgnoreCase(name, "transfer-encoding")) {
      transfer_encoding = transfer_encoding
                              ? absl::StrCat(*transfer_encoding, ",", value)
                              : value;
    }
  }
  response_.keep_alive =
      !close && (response_.http_minor_version >= 1 || keep_alive_token);

  const bool no_body = options_.head_request || code == 204 || code == 304;
  if (transfer_encoding) {
    // RFC 9112 6.1: Transfer-Encoding overrides Content-Length; such a message
    // may be an attempt at request smuggling, so the connection is not reused.
    if (!content_lengths.empty())
      response_.keep_alive = false;
    if (no_body) {
      state_ = State::kDone;
      return absl::OkStatus();
    }
    std::vector<absl::string_view> codings =
        absl::StrSplit(*transfer_encoding, ',');
    if (absl::EqualsIgnoreCase(TrimOws(codings.back()), "chunked")) {
      state_ = State::kChunkSize;
    } else {
      // Not chunked last: the body runs to the end of the connection (RFC
      // 9112 6.3 rule 4).
      response_.keep_alive = false;
      state_ = State::kBodyUntilClose;
    }
    return absl::OkStatus();
  }
  if (!content_lengths.empty()) {
    const std::string& first = content_lengths.front();
    for (const std::string& v : content_lengths) {
      if (v != first)
        return Fail(at, "conflicting Content-Length values");
    }
    uint64_t length = 0;
    if (first.empty() || first.size() > 19 ||
        !std::all_of(first.begin(), first.end(),
                     [](char c) {
                       return absl::ascii_isdigit(
                           static_cast<unsigned char>(c));
                     }) ||
        !absl::SimpleAtoi(first, &length)) {
      return Fail(at, absl::StrCat("invalid Content-Length \"",
                                   absl::CEscape(first), "\""));
    }
    if (no_body || length == 0) {
      state_ = State::kDone;
      return absl::OkStatus();
    }
    remaining_ = length;
    state_ = State::kBodyContentLength;
    return absl::OkStatus();
  }
  if (no_body) {
    state_ = State::kDone;
    return absl::OkStatus();
  }
  // No framing: the body is delimited by the connection closing.
  response_.keep_alive = false;
  state_ = State::kBodyUntilClose;
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::HandleChunkSizeLine(absl::string_view line,
                                                      uint64_t at) {
  // chunk = chunk-size [ chunk-ext ] CRLF; chunk-size = 1*HEXDIG
  size_t k = 0;
  uint64_t size = 0;
  while (k < line.size() &&
         absl::ascii_isxdigit(static_cast<unsigned char>(line[k]))) {
    if (size > (std::numeric_limits<uint64_t>::max() >> 4)) {
      return Fail(at + k, "chunk size overflows 64 bits");
    }
    char c = absl::ascii_tolower(static_cast<unsigned char>(line[k]));
    size = size * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
    ++k;
  }
  if (k == 0)
    return Fail(at, "chunk size is not a hexadecimal number");
  absl::string_view rest = TrimOws(line.substr(k));
  if (!rest.empty() && rest.front() != ';') {
    return Fail(at + k, "unexpected bytes after the chunk size");
  }
  if (size == 0) {
    trailer_bytes_ = 0;
    state_ = State::kTrailers;
  } else {
    remaining_ = size;
    state_ = State::kChunkData;
  }
  return absl::OkStatus();
}

absl::Status Http1ResponseParser::HandleTrailerLine(absl::string_view line,
                                                    uint64_t at) {
  if (line.empty()) {
    state_ = State::kDone;
    return absl::OkStatus();
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos || !IsHttpToken(line.substr(0, colon))) {
    return Fail(at, "malformed trailer field");
  }
  absl::string_view value = line.substr(colon + 1);
  if (value.find('\0') != absl::string_view::npos) {
    return Fail(at, "trailer value contains NUL");
  }
  response_.trailers.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(TrimOws(value)));
  return absl::OkStatus();
}

void Http1ResponseParser::AddBody(absl::string_view bytes) {
  response_.body_bytes += bytes.size();
  if (options_.keep_body && body_.size() < options_.max_kept_body_bytes) {
    const size_t room = options_.max_kept_body_bytes - body_.size();
    body_.append(bytes.data(), std::min(room, bytes.size()));
  }
}

}  // namespace fetch_later::net
