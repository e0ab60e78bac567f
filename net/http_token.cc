#include "net/http_token.h"

#include "absl/strings/ascii.h"

namespace fetch_later::net {

// RFC 9110 section 5.6.2: "tchar".
bool IsHttpTokenChar(char c) {
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

// RFC 9110 section 5.6.2: "token".
bool IsHttpToken(absl::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (!IsHttpTokenChar(c))
      return false;
  }
  return true;
}

}  // namespace fetch_later::net
