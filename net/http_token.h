// The RFC 9110 "token" grammar, the one definition every HTTP parser,
// serialiser and Fetch rule here uses:
//
//   token = 1*tchar
//   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//
//   net::IsHttpToken("X-Trace");   // true
//   net::IsHttpToken("X Trace");   // false: SP is not a tchar
//
// Fetch calls a "method" and a "header name" tokens; HTTP/1.1 (RFC 9112) uses
// the same grammar for the request method and field names. Pure functions.
#ifndef NET_HTTP_TOKEN_H_
#define NET_HTTP_TOKEN_H_

#include "absl/strings/string_view.h"

namespace fetch_later::net {

// RFC 9110 section 5.6.2: "tchar".
bool IsHttpTokenChar(char c);

// RFC 9110 section 5.6.2: "token" (one or more tchars; "" is not a token).
bool IsHttpToken(absl::string_view s);

}  // namespace fetch_later::net

#endif  // NET_HTTP_TOKEN_H_
