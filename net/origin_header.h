// Fetch: "append a request `Origin` header", as a pure function of one hop of
// a request, so the rule's table is testable without a server.
//
//   std::optional<std::string> origin = RequestOriginHeader(
//       {.method = "POST", .response_tainting_cors = false,
//        .serialized_origin = "https://a.test",
//        .origin = a_origin, .current_url = b_url,
//        .referrer_policy = ReferrerPolicy::kSameOrigin});
//   *origin;  // "null": same-origin policy, cross-origin URL
//
// The HTTPS network stage calls this for every hop it sends (and for every
// CORS preflight, whose tainting is "cors").
#ifndef NET_ORIGIN_HEADER_H_
#define NET_ORIGIN_HEADER_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "net/origin.h"
#include "net/referrer.h"
#include "net/request_modes.h"
#include "net/url.h"

namespace fetch_later::net {

struct OriginHeaderInput {
  absl::string_view method;
  // The request's response tainting is "cors".
  bool response_tainting_cors = false;
  // Fetch: "byte-serializing a request origin": "null" once the request's
  // tainted origin flag is set, else the origin's serialization.
  absl::string_view serialized_origin;
  const Origin* origin = nullptr;    // the request's origin; not null
  const Url* current_url = nullptr;  // not null
  // The request's referrer policy (kEmpty: the default, as main fetch step 7
  // leaves it when the policy container has none).
  ReferrerPolicy referrer_policy = ReferrerPolicy::kEmpty;
  // The request's mode (Fetch's default for a request is "no-cors").
  RequestMode mode = RequestMode::kNoCors;
};

// Fetch: "append a request `Origin` header": the value to send, or nullopt
// when the hop carries no Origin (a GET or HEAD that is not cors-tainted).
std::optional<std::string> RequestOriginHeader(const OriginHeaderInput& in);

}  // namespace fetch_later::net

#endif  // NET_ORIGIN_HEADER_H_
