// Fetch's filtered responses: what of a response its page may see. The
// network stage reports each final response whole (RequestOutcome); the
// browser hands a fetch() caller only the filtered response, chosen by the
// request's response tainting (Fetch "main fetch" step 14) and, for a
// redirect under redirect mode "manual", by "HTTP fetch" step 4.2:
//
//   basic            same origin: every header but `Set-Cookie`/`Set-Cookie2`
//   cors             another origin that passed the CORS check: only the
//                    CORS-safelisted response-header names and those the
//                    server exposed with `Access-Control-Expose-Headers`
//   opaque           "no-cors" to another origin: status 0, no status text,
//                    no headers, no URL, null body
//   opaqueredirect   a redirect under redirect mode "manual": likewise
//
//   absl::StatusOr<FilteredResponse> filtered = FilterResponse(
//       outcome, RedirectMode::kFollow, CredentialsMode::kSameOrigin);
//   filtered->type;     // FilteredResponseType::kCors
//   filtered->headers;  // {{"Content-Type", "text/plain"}}
//
// Pure functions; thread-safe.
#ifndef NET_RESPONSE_FILTER_H_
#define NET_RESPONSE_FILTER_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/network_stage.h"
#include "net/request_modes.h"

namespace fetch_later::net {

// Fetch: a Response's `type` ("basic", "cors", "opaque", "opaqueredirect").
enum class FilteredResponseType { kBasic, kCors, kOpaque, kOpaqueRedirect };

// The IDL ResponseType string of `type`.
absl::string_view FilteredResponseTypeName(FilteredResponseType type);

// Fetch: a filtered response as its page sees it.
struct FilteredResponse {
  FilteredResponseType type = FilteredResponseType::kBasic;
  // Fetch: response's "URL" (the last in its URL list), serialised without
  // its fragment; "" when the URL list is empty (opaque, opaqueredirect).
  std::string url;
  // Fetch: the URL list has more than one URL (the request was redirected);
  // false for an opaque filtered response (its URL list is empty).
  bool redirected = false;
  int status = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  // Null for an opaque or opaque-redirect filtered response.
  std::optional<std::string> body;
};

// Fetch: "forbidden response-header name": `Set-Cookie`, `Set-Cookie2`
// (byte-case-insensitive).
bool IsForbiddenResponseHeaderName(absl::string_view name);

// Fetch: "CORS-safelisted response-header name", given `exposed` (the
// response's CORS-exposed header-name list): `Cache-Control`,
// `Content-Language`, `Content-Length`, `Content-Type`, `Expires`,
// `Last-Modified`, `Pragma`, or a name in `exposed` that is not a forbidden
// response-header name.
bool IsCorsSafelistedResponseHeaderName(
    absl::string_view name,
    const std::vector<std::string>& exposed);

// Fetch: "main fetch" step 14.1: the CORS-exposed header-name list of a
// response with `headers` to a request with `credentials`: the names listed
// in `Access-Control-Expose-Headers` ("extracting header list values": a
// comma-separated list of tokens; an element that is not a token makes the
// whole value a failure, so nothing is exposed); when it lists `*` and the
// credentials mode is not "include", every header name of the response.
std::vector<std::string> CorsExposedHeaderNames(
    const std::vector<std::pair<std::string, std::string>>& headers,
    CredentialsMode credentials);

// The filtered response of `outcome` (which must be a kResponse), for a
// request with `redirect` and `credentials`. FailedPrecondition for another
// kind of outcome.
absl::StatusOr<FilteredResponse> FilterResponse(const RequestOutcome& outcome,
                                                RedirectMode redirect,
                                                CredentialsMode credentials);

}  // namespace fetch_later::net

#endif  // NET_RESPONSE_FILTER_H_
