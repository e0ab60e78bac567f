#include "net/fetch_header_rules.h"

#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace fetch_later::net {
namespace {

bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c)))
    return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsHttpWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

bool IsHttpToken(absl::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (!IsTokenChar(c))
      return false;
  }
  return true;
}

bool IsHeaderValue(absl::string_view s) {
  if (!s.empty() &&
      (IsHttpWhitespace(s.front()) || IsHttpWhitespace(s.back()))) {
    return false;
  }
  for (char c : s) {
    if (c == '\0' || c == '\n' || c == '\r')
      return false;
  }
  return true;
}

std::string NormalizeHeaderValue(absl::string_view s) {
  while (!s.empty() && IsHttpWhitespace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsHttpWhitespace(s.back()))
    s.remove_suffix(1);
  return std::string(s);
}

bool IsForbiddenMethod(absl::string_view method) {
  return absl::EqualsIgnoreCase(method, "CONNECT") ||
         absl::EqualsIgnoreCase(method, "TRACE") ||
         absl::EqualsIgnoreCase(method, "TRACK");
}

std::string NormalizeMethod(absl::string_view method) {
  for (absl::string_view m :
       {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}) {
    if (absl::EqualsIgnoreCase(method, m))
      return std::string(m);
  }
  return std::string(method);
}

// Fetch: "forbidden request-header".
bool IsForbiddenRequestHeader(absl::string_view name, absl::string_view value) {
  static constexpr std::array<absl::string_view, 21> kForbidden = {
      "accept-charset",
      "accept-encoding",
      "access-control-request-headers",
      "access-control-request-method",
      "access-control-request-private-network",
      "connection",
      "content-length",
      "cookie",
      "cookie2",
      "date",
      "dnt",
      "expect",
      "host",
      "keep-alive",
      "origin",
      "referer",
      "set-cookie",
      "te",
      "trailer",
      "transfer-encoding",
      "upgrade"};
  for (absl::string_view f : kForbidden) {
    if (absl::EqualsIgnoreCase(name, f))
      return true;
  }
  if (absl::EqualsIgnoreCase(name, "via"))
    return true;
  if (absl::StartsWithIgnoreCase(name, "proxy-") ||
      absl::StartsWithIgnoreCase(name, "sec-")) {
    return true;
  }
  // Step 2: X-HTTP-Method(-Override) / X-Method-Override naming a forbidden
  // method, after "getting, decoding, and splitting" the value
  // (comma-separated, whitespace-trimmed).
  if (absl::EqualsIgnoreCase(name, "x-http-method") ||
      absl::EqualsIgnoreCase(name, "x-http-method-override") ||
      absl::EqualsIgnoreCase(name, "x-method-override")) {
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      if (IsForbiddenMethod(NormalizeHeaderValue(part)))
        return true;
    }
  }
  return false;
}

}  // namespace fetch_later::net
