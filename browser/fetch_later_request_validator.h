// The browser's re-check of a FetchLater (and a Fetch) message from an
// untrusted renderer. The renderer's fetchLater() already ran the Request
// constructor and method steps 1-9 (its fetch() the Request constructor and
// the checks before the network); an honest renderer never sends what this
// rejects, so every rejection is a bad message: its BadMessageReason names the
// check, its detail the field and the rule ("url: scheme \"ftp\" is not
// HTTP(S)"). These functions only validate; the renderer-facing handler
// (BrowserCore) reports.
#ifndef BROWSER_FETCH_LATER_REQUEST_VALIDATOR_H_
#define BROWSER_FETCH_LATER_REQUEST_VALIDATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/deferred_request.h"
#include "ipc/renderer_host.pb.h"
#include "net/csp.h"
#include "net/network_stage.h"
#include "net/origin.h"
#include "net/referrer.h"
#include "net/url.h"

namespace fetch_later::browser {

// What the browser knows about the calling document (never the renderer's
// word).
struct ClientFacts {
  net::Origin origin;
  // The document's URL stripped for use as a referrer ("client"); nullopt for
  // an opaque origin or a URL that gives no referrer.
  std::optional<net::StrippedReferrer> client_referrer;
  // HTML "is a secure context".
  bool secure_context = true;
  // What a fetch() from the document hands the network stage (main fetch
  // needs them; a deferred fetch takes them from the frame tree when it is
  // processed): its network isolation key, its policy container's CSP list
  // (null: none) and its URL (for a CSP violation report).
  net::NetworkIsolationKey network_isolation_key;
  std::shared_ptr<const net::CspList> csp_list;
  std::string document_url;
};

struct ValidatedFetchLater {
  DeferredRequest request;
  std::optional<absl::Duration> activate_after;
};

// On success the request's `referer_header` is the value the browser computed
// from the referrer policy, and its mode, credentials mode and redirect mode
// are the message's. Checks in order: method, mode / credentials / redirect
// (and a no-cors request's method), URL, referrer, headers (and what a no-cors
// request's guard would have dropped), body, activateAfter, retryOptions,
// total request length; the first failure is returned.
BadMessageOr<ValidatedFetchLater> ValidateFetchLaterRequest(
    const ipc::FetchLaterRequest& message,
    const ClientFacts& client);

// What a FetchRequest (fetch()) carries, checked.
struct ValidatedFetch {
  // The request as a deferred fetch's would be (no quota counts it).
  DeferredRequest request;
  // Fetch: request's "keepalive".
  bool keepalive = false;
};

// The browser's re-check of a FetchRequest from a renderer: the same checks
// as ValidateFetchLaterRequest() makes, in the same order and with the same
// reasons, up to the body (which may be up to MAX_FETCH_BODY_BYTES), except
// that the URL need be potentially trustworthy only from a secure context
// (kFetchMixedContent); then retryOptions (backoffFactor finite; only from a
// secure context; retryAfterUnload only with keepalive). No activateAfter,
// no total request length: a fetch() has no quota.
BadMessageOr<ValidatedFetch> ValidateFetchRequest(const ipc::FetchRequest& m,
                                                  const ClientFacts& client);

// The checks fetchLater() steps 7-8 make on a URL: parses, no credentials,
// HTTP(S), and potentially trustworthy. Shared with QueryQuota (the reasons
// are kFetchLaterUrl* for both).
BadMessageOr<net::Url> ValidateFetchLaterUrl(absl::string_view url);

}  // namespace fetch_later::browser

#endif  // BROWSER_FETCH_LATER_REQUEST_VALIDATOR_H_
