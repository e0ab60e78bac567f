#include "net/origin_header.h"

namespace fetch_later::net {

std::optional<std::string> RequestOriginHeader(const OriginHeaderInput& in) {
  // Step 2.
  std::string serialized(in.serialized_origin);
  // Step 3: a cors-tainted request always says where it comes from.
  if (in.response_tainting_cors)
    return serialized;
  // Step 4: otherwise only a method that is neither GET nor HEAD.
  if (in.method == "GET" || in.method == "HEAD")
    return std::nullopt;
  // Step 4.1: the referrer policy's rule, unless the request's mode is "cors"
  // (a same-origin "cors" POST opted into sharing its origin).
  if (in.mode == RequestMode::kCors)
    return serialized;  // Step 4.2.
  ReferrerPolicy policy = in.referrer_policy == ReferrerPolicy::kEmpty
                              ? kDefaultReferrerPolicy
                              : in.referrer_policy;
  switch (policy) {
    case ReferrerPolicy::kNoReferrer:
      serialized = "null";
      break;
    case ReferrerPolicy::kNoReferrerWhenDowngrade:
    case ReferrerPolicy::kStrictOrigin:
    case ReferrerPolicy::kStrictOriginWhenCrossOrigin:
      // An https origin to a URL whose scheme is not https (a scheme test:
      // unlike Referrer Policy's downgrade rule, http://localhost counts).
      if (!in.origin->opaque() && in.origin->scheme() == "https" &&
          in.current_url->scheme() != "https") {
        serialized = "null";
      }
      break;
    case ReferrerPolicy::kSameOrigin:
      if (!in.origin->IsSameOriginWith(Origin::Create(*in.current_url)))
        serialized = "null";
      break;
    default:
      break;  // Do nothing.
  }
  return serialized;  // Step 4.2.
}

}  // namespace fetch_later::net
