#include "browser/deferred_request.h"

#include "net/total_request_length.h"

namespace fetch_later::browser {

// Fetch: "total request length". SerializedUrl keeps the URL serialised with
// exclude fragment set to true; only a referrer that is a URL is counted.
uint64_t TotalRequestLength(const DeferredRequest& request) {
  return net::TotalRequestLength(
      request.url.Serialize(), request.referrer_url.value_or(""),
      request.headers, request.body_length.value_or(0));
}

}  // namespace fetch_later::browser
