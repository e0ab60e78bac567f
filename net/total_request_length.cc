#include "net/total_request_length.h"

namespace fetch_later::net {

// Fetch: "total request length".
uint64_t TotalRequestLength(
    absl::string_view url_serialization,
    absl::string_view referrer_serialization,
    absl::Span<const std::pair<std::string, std::string>> header_list,
    uint64_t body_length) {
  // Step 1: the URL, serialised with exclude fragment set to true.
  uint64_t total = url_serialization.size();
  // Step 2: the referrer, serialised. A referrer of "client" or "no-referrer"
  // is not a URL and adds nothing (Chromium counts 12 bytes for
  // "about:client": SPEC-NOTES 2.4).
  total += referrer_serialization.size();
  // Step 3: every header's name and value lengths; separators are not counted.
  for (const auto& [name, value] : header_list)
    total += name.size() + value.size();
  // Step 4: the body's length; a null body counts 0.
  total += body_length;
  return total;
}

}  // namespace fetch_later::net
