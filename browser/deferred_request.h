// The browser's view of a request queued with fetchLater(): what "total request
// length" counts and what the network stage sends. The renderer's Request
// object is never trusted; the browser builds this from validated fields and
// computes the length itself.
#ifndef BROWSER_DEFERRED_REQUEST_H_
#define BROWSER_DEFERRED_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "net/network_stage.h"
#include "net/url.h"

namespace fetch_later::browser {

struct DeferredRequest {
  std::string method = "GET";
  net::Url url;
  // Fetch: request's "referrer": "no-referrer", "client", or a URL. Only a URL
  // is counted by "total request length"; `referrer_url` holds it already
  // serialised.
  std::optional<std::string> referrer_url;
  // Fetch: request's "header list", in order, as (name, value) byte sequences,
  // including the headers the Request constructor added (e.g. Content-Type for
  // a string body).
  std::vector<std::pair<std::string, std::string>> headers;
  // Fetch: body's "length". nullopt for a null body; fetchLater refuses a body
  // with a null length (a ReadableStream) before it gets here.
  std::optional<uint64_t> body_length;
  // Not counted by "total request length" (added at fetch time or not part of
  // the request's bytes): the `Referer` value the referrer policy produced, and
  // `RequestInit.retryOptions`.
  std::string referer_header;
  std::optional<net::RetryOptions> retry_options;
  // The body bytes when the caller has them (the network stage sends them). May
  // be empty even when `body_length` is set: quota tests and benchmarks count
  // lengths only.
  std::string body;
};

// Fetch: "total request length".
uint64_t TotalRequestLength(const DeferredRequest& request);

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_REQUEST_H_
