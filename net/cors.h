// Fetch's CORS protocol, the pure parts: which requests are CORS-safelisted,
// what a CORS-preflight request carries, the "CORS check" of a response, and
// reading a preflight response's Access-Control-* answer. The HTTPS network
// stage runs these for every hop of a cross-origin `cors` request; the
// preflight cache (net/cors_preflight_cache.h) keeps the answers.
//
//   std::vector<std::string> unsafe = CorsUnsafeRequestHeaderNames(headers);
//   if (!IsCorsSafelistedMethod(method) || !unsafe.empty()) {
//     HeaderList preflight = CorsPreflightRequestHeaders(method, unsafe);
//     ... send OPTIONS, then:
//     absl::StatusOr<CorsPreflightResult> allowed = CheckCorsPreflightResponse(
//         status, response_headers, origin, credentials);
//   }
//
// Every failure is an absl::Status whose message names the header and the
// rule ("Access-Control-Allow-Origin \"https://x.test\" is not the request's
// origin https://a.test"). Pure functions; thread-safe.
#ifndef NET_CORS_H_
#define NET_CORS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/cors_safelist.h"
#include "net/origin.h"
#include "net/request_modes.h"

namespace fetch_later::net {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Fetch: the default max-age of a preflight answer without (or with an
// unreadable) `Access-Control-Max-Age` ("CORS-preflight fetch", step 7.9).
inline constexpr absl::Duration kDefaultCorsPreflightMaxAge = absl::Seconds(5);
// The "imposed limit on max-age" Fetch leaves to the user agent: Chromium's
// (services/network/cors/preflight_result.cc) two hours.
inline constexpr absl::Duration kMaxCorsPreflightMaxAge = absl::Hours(2);

// The safelists ("CORS-safelisted method", "CORS-safelisted request-header",
// "CORS-unsafe request-header names") are net/cors_safelist.h, shared with the
// renderer's Request constructor and the browser's re-validation.

// Fetch: "CORS non-wildcard request-header name" (`Authorization`): `*` in
// Access-Control-Allow-Headers never covers it.
bool IsCorsNonWildcardRequestHeaderName(absl::string_view name);

// Fetch: "CORS-preflight fetch" steps 2-4: the preflight's headers besides
// Origin and Referer (which the stage adds as for every hop): `Accept: */*`,
// `Access-Control-Request-Method`, and `Access-Control-Request-Headers` when
// `unsafe_header_names` is not empty.
HeaderList CorsPreflightRequestHeaders(
    absl::string_view method,
    const std::vector<std::string>& unsafe_header_names);

// Fetch: "CORS check" of a response to a request from `origin` with
// `credentials`: `Access-Control-Allow-Origin` is `*` (not with credentials
// "include") or exactly the serialized origin (`serialized_origin`, "null" for
// a tainted origin); with "include", `Access-Control-Allow-Credentials` is
// `true`.
absl::Status CorsCheck(const HeaderList& response_headers,
                       absl::string_view serialized_origin,
                       CredentialsMode credentials);

// What a successful preflight allows, as Fetch's CORS-preflight cache keeps
// it.
struct CorsPreflightResult {
  std::vector<std::string> methods;       // as sent (byte-case-sensitive)
  std::vector<std::string> header_names;  // lowercased
  absl::Duration max_age = kDefaultCorsPreflightMaxAge;
};

// Fetch: "CORS-preflight fetch" step 7: the response is ok (2xx) and passes
// the CORS check; its `Access-Control-Allow-Methods` and
// `Access-Control-Allow-Headers` parse as comma-separated lists of tokens
// (failure names the header and the offending element); max-age from
// `Access-Control-Max-Age` (delta-seconds; absent or unreadable:
// kDefaultCorsPreflightMaxAge), capped at kMaxCorsPreflightMaxAge.
absl::StatusOr<CorsPreflightResult> CheckCorsPreflightResponse(
    int status,
    const HeaderList& response_headers,
    absl::string_view serialized_origin,
    CredentialsMode credentials);

// Fetch: "CORS-preflight fetch" steps 7.5-7.7: whether `result` allows
// `method` and `unsafe_header_names` (a `*` counts as a wildcard only when
// `credentials` is not "include"; Authorization must be listed by name). The
// error names what is missing.
absl::Status CorsPreflightAllows(
    const CorsPreflightResult& result,
    absl::string_view method,
    const std::vector<std::string>& unsafe_header_names,
    CredentialsMode credentials);

// Fetch: header list "get" (values of every field named `name`, ASCII
// case-insensitively, joined with ", "); nullopt when there is none.
std::optional<std::string> GetHeader(const HeaderList& headers,
                                     absl::string_view name);

}  // namespace fetch_later::net

#endif  // NET_CORS_H_
