// Content Security Policy Level 3: source expressions and the one matcher for
// them, "does url match expression in origin with redirect count?". Used by
// CSP's `connect-src` / `default-src` (net/csp.h) and by Permissions Policy,
// whose allowlist members are permissions-source-expressions matched with the
// same algorithm (policy/permissions_policy.h).
//
//   absl::StatusOr<CspSourceExpression> e =
//       ParseCspSourceExpression("https://*.b.test:443/beacons/");
//   DoesUrlMatchExpressionInOrigin(*Url::Parse("https://x.b.test/beacons/1"),
//                                  *e, self_origin,
//                                  /*redirect_count=*/0);  // true
//
// Pure functions over net::Url and net::Origin; no I/O; thread-safe.
#ifndef NET_CSP_SOURCE_EXPRESSION_H_
#define NET_CSP_SOURCE_EXPRESSION_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {

// CSP: "source expression" (one member of a serialized source list).
struct CspSourceExpression {
  enum class Kind {
    kStar,     // "*"
    kScheme,   // scheme-source: "https:"
    kHost,     // host-source: [scheme "://"] host [":" port] [path]
    kSelf,     // keyword-source 'self'
    kNone,     // 'none' (only meaningful as the whole list)
    kKeyword,  // any other keyword, nonce or hash source: never matches a URL
  };
  Kind kind = Kind::kNone;
  // kScheme: the scheme; kHost: the scheme-part, "" when absent. Lower case.
  std::string scheme;
  // kHost: the host-part, lower case: "*", "*.b.test" or "b.test".
  std::string host;
  // kHost: the port-part: nullopt when absent, "*" or decimal digits.
  std::optional<std::string> port;
  // kHost: the path-part, "" when absent (as written, not yet decoded).
  std::string path;
  // The expression as written (for reports and debug strings).
  std::string text;
};

// CSP: "parse a source expression" per the source-expression grammar
// (scheme-source, host-source, keyword-source, nonce-source, hash-source and
// "*"). Keywords are matched ASCII case-insensitively. An expression that
// matches none of the productions is an InvalidArgumentError saying why.
absl::StatusOr<CspSourceExpression> ParseCspSourceExpression(
    absl::string_view text);

// CSP: "scheme-part matches" (`a` the expression's scheme, `b` the URL's):
// equal, or an upgrade (http -> https, ws -> wss/http/https, wss -> https).
bool CspSchemePartMatches(absl::string_view a, absl::string_view b);

// CSP: "does url match expression in origin with redirect count?". `origin`
// is the policy's self-origin (the document's origin). The path-part is only
// compared when `redirect_count` is 0 (CSP skips it after a redirect so a
// redirect does not leak the target's path).
bool DoesUrlMatchExpressionInOrigin(const Url& url,
                                    const CspSourceExpression& expression,
                                    const Origin& origin,
                                    int redirect_count);

}  // namespace fetch_later::net

#endif  // NET_CSP_SOURCE_EXPRESSION_H_
