#include "net/network_error.h"

namespace fetch_later::net {

const char* NetworkErrorKindName(NetworkErrorKind kind) {
  switch (kind) {
    case NetworkErrorKind::kNotHttps:
      return "not-https";
    case NetworkErrorKind::kBadPort:
      return "bad-port";
    case NetworkErrorKind::kInvalidRequest:
      return "invalid-request";
    case NetworkErrorKind::kBlockedByPolicy:
      return "blocked";
    case NetworkErrorKind::kCorsFailed:
      return "cors";
    case NetworkErrorKind::kDnsFailure:
      return "dns";
    case NetworkErrorKind::kConnectionRefused:
      return "refused";
    case NetworkErrorKind::kConnectionReset:
      return "reset";
    case NetworkErrorKind::kConnectionClosed:
      return "closed";
    case NetworkErrorKind::kTimedOut:
      return "timeout";
    case NetworkErrorKind::kTlsFailure:
      return "tls";
    case NetworkErrorKind::kTooManyRedirects:
      return "too-many-redirects";
    case NetworkErrorKind::kInvalidRedirect:
      return "invalid-redirect";
    case NetworkErrorKind::kInvalidResponse:
      return "invalid-response";
    case NetworkErrorKind::kInternal:
      return "internal";
    case NetworkErrorKind::kAborted:
      return "aborted";
  }
  return "unknown";
}

std::string NetworkError::ToString() const {
  std::string s = NetworkErrorKindName(kind);
  if (!detail.empty())
    s += ": " + detail;
  return s;
}

}  // namespace fetch_later::net
