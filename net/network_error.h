// What went wrong with one attempt to send a request, in terms the retry policy
// understands.
//
//   NetworkError e = NetworkError::ConnectionRefused("connect(127.0.0.1:4433):
//   ..."); e.kind;            // NetworkErrorKind::kConnectionRefused
//   e.server_reached;  // false: no byte of the request can have reached the
//   server NetworkErrorKindName(e.kind);  // "refused"
//
// A value type, produced on the network stage's event-loop thread and copied
// into the attempts log.
#ifndef NET_NETWORK_ERROR_H_
#define NET_NETWORK_ERROR_H_

#include <string>
#include <utility>

namespace fetch_later::net {

enum class NetworkErrorKind {
  // Policy blocks, decided before any socket is opened (never retried).
  kNotHttps,         // the URL (or a redirect hop) is not https: HTTPS only, no
                     // upgrade
  kBadPort,          // Fetch "bad port"
  kInvalidRequest,   // a header the serializer refuses (CR/LF/NUL, framing
                     // headers)
  kBlockedByPolicy,  // main fetch refused it: CSP, CORS (preflight or check),
                     // mode "same-origin", redirect mode "error"
  kCorsFailed,       // the final response failed the CORS check: the request
                     // was delivered, the response is a network error
  // Transient network errors (the fetch-retry explainer's retryable set).
  kDnsFailure,         // the host did not resolve
  kConnectionRefused,  // connect() failed (ECONNREFUSED, or host/network
                       // unreachable)
  kConnectionReset,    // ECONNRESET / EPIPE after the connection was made
  kConnectionClosed,   // the server closed the connection before a complete
                       // response
  kTimedOut,           // the per-attempt timeout fired
  // Everything else (never retried).
  kTlsFailure,  // handshake failure, certificate chain or host name mismatch
  kTooManyRedirects,  // more than 20 redirects (Fetch "HTTP-redirect fetch"
                      // step 5)
  kInvalidRedirect,   // a Location that does not parse
  kInvalidResponse,   // the HTTP/1.1 response did not parse
  kInternal,          // socket(), SSL_new() ... failed
  // The caller cancelled the request (NetworkStage::Cancel(): Fetch
  // "terminate" a fetch whose fetch group was terminated); never retried.
  kAborted,
};

// Short, stable names for logs and tests: "not-https", "bad-port",
// "blocked", "cors", "dns",
// "refused", "reset", "closed", "timeout", "tls", "too-many-redirects",
// "invalid-redirect", "invalid-response", "invalid-request", "internal",
// "aborted".
const char* NetworkErrorKindName(NetworkErrorKind kind);

struct NetworkError {
  NetworkErrorKind kind = NetworkErrorKind::kInternal;
  // False only when the error guarantees that no byte of the request reached
  // the server (policy blocks, DNS failure, refused, a timeout before the TCP
  // connection was made).
  bool server_reached = true;
  std::string detail;  // human-readable, e.g. "connect(127.0.0.1:4433):
                       // Connection refused"

  static NetworkError Make(NetworkErrorKind kind,
                           bool server_reached,
                           std::string detail) {
    NetworkError e;
    e.kind = kind;
    e.server_reached = server_reached;
    e.detail = std::move(detail);
    return e;
  }
  std::string ToString() const;
};

}  // namespace fetch_later::net

#endif  // NET_NETWORK_ERROR_H_
