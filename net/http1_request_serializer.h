// Serialises one HTTP/1.1 request (RFC 9112) for the HTTPS network stage.
//
//   absl::StatusOr<std::string> bytes = SerializeRequest(
//       "POST", *Url::Parse("https://a.test/beacon?i=1"), {{"Content-Type",
//       "text/plain"}}, "hello", HostHeaderValue(url));
//   // "POST /beacon?i=1 HTTP/1.1\r\nHost: a.test\r\nConnection:
//   keep-alive\r\n"
//   // "User-Agent: fetchLater-prototype/1.0\r\nContent-Type: text/plain\r\n"
//   // "Content-Length: 5\r\n\r\nhello"
//
// The request target is origin-form (Url::PathForRequest(): path and query,
// never the fragment). The serializer adds Host, `Connection: keep-alive`, the
// User-Agent and, when there is a body or the method is POST or PUT,
// Content-Length. The header list comes from the renderer and is not trusted: a
// header name that is not a token, a name or value containing CR, LF or NUL,
// and any header that would change the message framing or connection (Host,
// Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade, TE,
// Trailer, Proxy-Connection) are refused with an error naming the header; an
// author User-Agent is dropped (ours is sent, as Chromium does).
#ifndef NET_HTTP1_REQUEST_SERIALIZER_H_
#define NET_HTTP1_REQUEST_SERIALIZER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/url.h"

namespace fetch_later::net {

inline constexpr char kUserAgent[] = "fetchLater-prototype/1.0";

// The Host header for `url`: host, plus ":port" when the port is not the
// scheme's default.
std::string HostHeaderValue(const Url& url);

absl::StatusOr<std::string> SerializeRequest(
    absl::string_view method,
    const Url& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::string_view body,
    absl::string_view host_header);

}  // namespace fetch_later::net

#endif  // NET_HTTP1_REQUEST_SERIALIZER_H_
