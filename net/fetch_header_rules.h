// Fetch's rules for request methods and headers, shared by the renderer (which
// applies them as the Request and Headers objects do) and the browser (which
// re-checks what a renderer sends: an honest renderer never sends what these
// reject).
#ifndef NET_FETCH_HEADER_RULES_H_
#define NET_FETCH_HEADER_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "net/http_token.h"  // Fetch: a method and a header name are tokens.

namespace fetch_later::net {

// Fetch: "header value": no leading/trailing HTTP whitespace, no 0x00, 0x0A,
// 0x0D.
bool IsHeaderValue(absl::string_view s);

// Fetch: "normalize" a header value (strip leading and trailing HTTP
// whitespace).
std::string NormalizeHeaderValue(absl::string_view s);

// Fetch: "forbidden method" (CONNECT, TRACE, TRACK; byte-case-insensitive).
bool IsForbiddenMethod(absl::string_view method);

// Fetch: "normalize" a method: byte-uppercase DELETE, GET, HEAD, OPTIONS, POST,
// PUT.
std::string NormalizeMethod(absl::string_view method);

// Fetch: "forbidden request-header" for (name, value): the fixed list
// (Accept-Charset, ..., Via), the `proxy-` and `sec-` prefixes, and
// X-HTTP-Method / X-HTTP-Method-Override / X-Method-Override whose value names
// a forbidden method.
bool IsForbiddenRequestHeader(absl::string_view name, absl::string_view value);

}  // namespace fetch_later::net

#endif  // NET_FETCH_HEADER_RULES_H_
