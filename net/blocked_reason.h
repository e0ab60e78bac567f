// Why the browser refused to put a request on the wire: the `reason` of a
// scenario report's `blocked` entry (../shared/SCENARIOS.md, "Additions"),
// spelled exactly as the report spells it.
//
//   BlockedReasonName(BlockedReason::kRedirectNotHttps);  //
//   "REDIRECT_NOT_HTTPS" BlockedReasonFromName("CSP"); // BlockedReason::kCsp
//
// The HTTPS network stage reports every reason but kExpired and
// kInFlightAtCrash (AttemptEvent::Type::kBlocked), which belong to the
// browser's lifetime.
#ifndef NET_BLOCKED_REASON_H_
#define NET_BLOCKED_REASON_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace fetch_later::net {

enum class BlockedReason {
  kCsp,                // Content-Security-Policy (connect-src) refused the URL
  kCorsPreflight,      // the CORS preflight failed or did not allow it
  kModeSameOrigin,     // mode "same-origin" and a cross-origin URL
  kRedirectNotHttps,   // a redirect to a URL that is not https
  kRedirectLimit,      // more than 20 redirects (Fetch "HTTP-redirect fetch")
  kRedirectModeError,  // a redirect with redirect mode "error"
  kNotHttps,           // the URL is not https (this browser sends HTTPS only)
  kBadPort,            // a Fetch "bad port"
  // A redirect response of a cors-tainted request failed the CORS check
  // (Fetch "HTTP fetch" checks before following). Beyond SCENARIOS.md's list.
  kCors,
  kRetryGate,        // a retry dropped at maxAge while waiting for a fully
                     // active document with its network isolation key
  kExpired,          // dropped because it expired before it could be sent
  kInFlightAtCrash,  // on the wire when the browser crashed
};

// "CSP", "CORS_PREFLIGHT", "MODE_SAME_ORIGIN", "REDIRECT_NOT_HTTPS",
// "REDIRECT_LIMIT", "REDIRECT_MODE_ERROR", "NOT_HTTPS", "BAD_PORT", "CORS",
// "RETRY_GATE", "EXPIRED", "IN_FLIGHT_AT_CRASH".
const char* BlockedReasonName(BlockedReason reason);
// The reason named `name` (exactly as BlockedReasonName() spells it), or
// nullopt.
std::optional<BlockedReason> BlockedReasonFromName(absl::string_view name);

}  // namespace fetch_later::net

#endif  // NET_BLOCKED_REASON_H_
