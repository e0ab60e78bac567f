// Fetch: "total request length", the size a deferred fetch counts against the
// deferred-fetch quota. One definition for the renderer (which reports it to
// the browser with each fetchLater() call) and the browser (which computes it
// again from what it received and refuses a renderer whose count differs).
//
//   uint64_t length = net::TotalRequestLength(
//       url.Serialize(/*exclude_fragment=*/true),  // "https://a.test/" (15)
//       /*referrer_serialization=*/"",             // not a URL: counts 0
//       {{"Content-Type", "text/plain;charset=UTF-8"}},  // 12 + 24
//       /*body_length=*/5);
//   // length == 15 + 36 + 5
//
// Pure function; no I/O.
#ifndef NET_TOTAL_REQUEST_LENGTH_H_
#define NET_TOTAL_REQUEST_LENGTH_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace fetch_later::net {

// Fetch: "total request length", steps 1-4: the length of
// `url_serialization` (the request's URL serialised with exclude fragment set
// to true), plus that of `referrer_serialization` (the request's referrer
// serialised when it is a URL; "" for "client" and "no-referrer", which are
// not URLs and count nothing), plus every name and value in `header_list`
// (separators are not counted), plus `body_length` (0 for a null body).
uint64_t TotalRequestLength(
    absl::string_view url_serialization,
    absl::string_view referrer_serialization,
    absl::Span<const std::pair<std::string, std::string>> header_list,
    uint64_t body_length);

}  // namespace fetch_later::net

#endif  // NET_TOTAL_REQUEST_LENGTH_H_
