#include "browser/deferred_request.h"

namespace fetch_later::browser {

// Fetch: "total request length".
uint64_t TotalRequestLength(const DeferredRequest& request) {
  // Step 1: the URL serialised with exclude fragment set to true.
  // (SerializedUrl keeps exactly that serialisation.)
  uint64_t total = request.url.Serialize().size();
  // Step 2: the referrer, serialised. A referrer of "client" or "no-referrer"
  // is not a URL and adds nothing (Chromium counts 12 bytes for "about:client":
  // SPEC-NOTES 2.4).
  if (request.referrer_url)
    total += request.referrer_url->size();
  // Step 3: every header's name and value lengths; separators are not counted.
  for (const auto& [name, value] : request.headers)
    total += name.size() + value.size();
  // Step 4: the body's length; a null body counts 0.
  total += request.body_length.value_or(0);
  return total;
}

}  // namespace fetch_later::browser
