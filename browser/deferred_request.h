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

#include "absl/status/statusor.h"
#include "net/network_stage.h"
#include "net/referrer.h"
#include "net/url.h"

namespace fetch_later::browser {

// A request's URL kept as its serialisation with "exclude fragment" set: all a
// pending deferred fetch needs of its URL ("total request length" counts this
// serialisation, and the fragment is never sent either). One string instead of
// a parsed net::Url; BrowserCore parses it again only when it hands the request
// to the network.
class SerializedUrl {
 public:
  // Implicit, so a request is still built as DeferredRequest{method, url}.
  SerializedUrl(const net::Url& url)  // NOLINT(google-explicit-constructor)
      : serialization_(url.Serialize(/*exclude_fragment=*/true)) {
    // Kept for as long as the request is pending: no spare capacity.
    serialization_.shrink_to_fit();
  }

  // The URL serialised with exclude fragment set to true.
  const std::string& Serialize() const { return serialization_; }
  // The URL again (parsing a URL's serialisation gives back the same URL).
  absl::StatusOr<net::Url> Parse() const {
    return net::Url::Parse(serialization_);
  }

 private:
  std::string serialization_;
};

struct DeferredRequest {
  std::string method = "GET";
  SerializedUrl url;
  // Fetch: request's "referrer": "no-referrer" (`no_referrer`), "client", or
  // a URL. Only a URL is counted by "total request length"; `referrer_url`
  // holds it already serialised.
  std::optional<std::string> referrer_url;
  // Fetch: request's "header list", in order, as (name, value) byte sequences,
  // including the headers the Request constructor added (e.g. Content-Type for
  // a string body).
  std::vector<std::pair<std::string, std::string>> headers;
  // Fetch: body's "length". nullopt for a null body; fetchLater refuses a body
  // with a null length (a ReadableStream) before it gets here.
  std::optional<uint64_t> body_length;
  // Not counted by "total request length" (added at fetch time or not part of
  // the request's bytes): the first hop's `Referer` value as the referrer
  // policy produced it when fetchLater() was called (informational: the
  // network stage computes the header for every hop), and
  // `RequestInit.retryOptions`.
  std::string referer_header;
  std::optional<net::RetryOptions> retry_options;
  // Fetch: request's mode, credentials mode and redirect mode, as the Request
  // constructor left them (RequestInit). Not counted by quota.
  net::RequestMode mode = net::RequestMode::kCors;
  net::CredentialsMode credentials = net::CredentialsMode::kSameOrigin;
  net::RedirectMode redirect = net::RedirectMode::kFollow;
  // Fetch: request's referrer is "no-referrer" (with `referrer_url` unset;
  // neither: "client"), and its "referrer policy" (kEmpty: the default). The
  // network stage determines every hop's `Referer` from them. Not counted by
  // quota.
  bool no_referrer = false;
  net::ReferrerPolicy referrer_policy = net::ReferrerPolicy::kEmpty;
  // The body bytes when the caller has them (the network stage sends them). May
  // be empty even when `body_length` is set: quota tests and benchmarks count
  // lengths only.
  std::string body;
};

// Fetch: "total request length".
uint64_t TotalRequestLength(const DeferredRequest& request);

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_REQUEST_H_
