// The interface between the browser's deferred-fetch machinery and whatever
// puts requests on the wire. The browser hands each activated deferred fetch,
// and each fetch() a page calls, to a NetworkStage; the real one is the
// HTTPS-only sender on BoringSSL (net/https_network_stage.h), and tests may use
// RecordingNetworkStage (net/recording_network_stage.h).
//
// The browser also tells the stage which network isolation keys have a fully
// active document, because a retry (any attempt after the first) may only fire
// while such a document exists (fetch-retry explainer; Chromium's
// KeepAliveURLLoader waits in kWaitingForSameNetworkIsolationKeyDocument).
#ifndef NET_NETWORK_STAGE_H_
#define NET_NETWORK_STAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "net/blocked_reason.h"
#include "net/csp.h"
#include "net/network_error.h"
#include "net/origin.h"
#include "net/referrer.h"
#include "net/request_modes.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::net {

// Chromium's NetworkIsolationKey: (top-frame site, frame site). Requests with
// different keys never share a connection, and a retry waits for a live
// document with the same key.
struct NetworkIsolationKey {
  SchemefulSite top_frame_site;
  SchemefulSite frame_site;

  std::string ToDebugString() const {
    return top_frame_site.Serialize() + " " + frame_site.Serialize();
  }
  friend bool operator==(const NetworkIsolationKey& a,
                         const NetworkIsolationKey& b) {
    return a.top_frame_site == b.top_frame_site && a.frame_site == b.frame_site;
  }
  friend bool operator!=(const NetworkIsolationKey& a,
                         const NetworkIsolationKey& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const NetworkIsolationKey& k) {
    return H::combine(std::move(h), k.top_frame_site, k.frame_site);
  }
};

// `RequestInit.retryOptions` (fetch-retry explainer), as the renderer passed
// it. The stage clamps every value to its own caps; nothing here is trusted.
struct RetryOptions {
  uint32_t max_attempts = 0;                 // retries after the first attempt
  std::optional<uint64_t> initial_delay_ms;  // before the first retry
  std::optional<double> backoff_factor;      // delay multiplier per retry
  std::optional<uint64_t> max_age_ms;  // overall limit from the first failure
  bool retry_after_unload = false;
  bool retry_non_idempotent = false;
  bool retry_only_if_server_unreached = false;
};

// One request to send. Deferred fetches are keepalive with service-workers mode
// "none"; a fetch() may be either (the browser cancels one without keepalive
// when its document goes: Cancel()).
struct OutgoingRequest {
  // The browser's id for the request, unique in the stage: a deferred fetch's
  // id, or a fetch()'s (browser/fetch_records.h), for logs, tests, the
  // outcome and Cancel().
  uint64_t id = 0;
  std::string method;
  Url url;
  // The request's header list as counted by quota (Content-Type, author
  // headers) plus the Referer value, if any. The stage adds Host,
  // Content-Length, User-Agent at send time.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  NetworkIsolationKey network_isolation_key;
  std::optional<RetryOptions> retry_options;
  // Whether the initiating document is already gone (fetch-group termination)
  // when the request is handed over.
  bool initiator_gone = false;
  // Fetch: request's mode, credentials mode and redirect mode (RequestInit).
  RequestMode mode = RequestMode::kCors;
  CredentialsMode credentials = CredentialsMode::kSameOrigin;
  RedirectMode redirect = RedirectMode::kFollow;
  // What main fetch needs, set by the browser from its own record (never the
  // renderer's word):
  // Fetch: request's "origin", the initiating document's. nullopt only for a
  // request from no document (transport tests and tools): it is sent as a
  // same-origin request would be (no CORS, no Origin header).
  std::optional<Origin> origin;
  // Fetch: request's "referrer" with "client" already resolved to the
  // document's URL: that URL's (or the explicit referrer URL's) stripped
  // forms; nullopt for "no-referrer". The stage determines the `Referer` of
  // every hop from it ("determine request's referrer").
  std::optional<StrippedReferrer> referrer;
  // Fetch: request's "referrer policy" (kEmpty: the default policy).
  ReferrerPolicy referrer_policy = ReferrerPolicy::kEmpty;
  // The initiating document's CSP list, captured when fetchLater() was called
  // (the document may be gone when the request is sent); null: no policy.
  std::shared_ptr<const CspList> csp;

  // A request the browser restored from its journal after a restart, and how
  // far its earlier process had got with it; the stage goes on from there.
  struct Resumption {
    enum class Kind {
      // An attempt was on the wire when the browser went away: it is sent
      // again at once, as retry `attempts_started` (with that Retry-Attempt,
      // so the server can tell a possible duplicate), not held by the retry
      // gate: it is the interrupted attempt, not a new retry decision.
      kResendAttempt,
      // A retry had been granted and was waiting (backoff or the retry
      // gate): retry `attempts_started` is due now and meets the gate as any
      // retry does (retryAfterUnload, a fully active same-key document).
      // Only for a request with retry options.
      kDueRetry,
    };
    Kind kind = Kind::kResendAttempt;
    // Attempts the earlier process started (the first one included); >= 1.
    uint32_t attempts_started = 1;
    // When the first attempt failed (maxAge counts from it), if one did.
    std::optional<absl::Time> first_failure;
  };
  std::optional<Resumption> resumption;
};

// How a request handed to NetworkStage::Send() ended, once it is final (no
// retry will follow): a response, a network error, or a refusal to send.
struct RequestOutcome {
  enum class Kind { kResponse, kNetworkError, kBlocked };
  Kind kind = Kind::kResponse;
  uint64_t request_id = 0;  // OutgoingRequest::id
  // kResponse: the final response (for redirect mode "manual", the redirect).
  int status = 0;
  std::string status_text;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // at most 1 MiB of it
  // kResponse: the body's whole length (more than `body` holds when the
  // stage kept only its first 1 MiB).
  uint64_t body_length = 0;
  // kResponse: Fetch's response "URL": the URL of the hop that answered,
  // serialised without its fragment.
  std::string url;
  // kResponse: the request's "response tainting" when the response came,
  // which says what its caller may see of it (Fetch "main fetch" step 14:
  // basic, CORS or opaque filtered response).
  ResponseTainting tainting = ResponseTainting::kBasic;
  // kNetworkError (also a final response that failed the CORS check, and a
  // request cancelled by NetworkStage::Cancel(): NetworkErrorKind::kAborted).
  std::optional<NetworkError> error;
  // kBlocked: why, the refused URL (a redirect's target for a refused hop)
  // and a readable message; for kCsp the violation and the hop's redirect
  // count.
  std::optional<BlockedReason> blocked_reason;
  std::string blocked_url;
  std::string message;
  std::optional<CspViolation> csp_violation;
  int redirect_count = 0;
};

// Told of every request's outcome, on the stage's threads: must be
// thread-safe and cheap, and must not call back into the stage.
using RequestOutcomeObserver = std::function<void(const RequestOutcome&)>;

class NetworkStage {
 public:
  virtual ~NetworkStage() = default;
  // Takes `request` to send. Returns at once; the stage owns the request from
  // here on. The stage refuses (drops and records) anything that is not https.
  virtual void Send(OutgoingRequest request) = 0;
  // The document that initiated request `request_id` (handed over with
  // initiator_gone false) is gone: from now on its retries need
  // retryAfterUnload (and, as every retry, a fully active same-key document).
  virtual void OnInitiatorGone(uint64_t request_id) = 0;
  // A document with `key` became fully active / stopped being fully active
  // (destroyed, or entered the bfcache). Retries wait while no document of
  // their request's key is counted.
  virtual void OnDocumentActive(const NetworkIsolationKey& key) = 0;
  virtual void OnDocumentInactive(const NetworkIsolationKey& key) = 0;
  // From now on, tells `observer` how each request ended (replacing any
  // earlier observer; an empty one stops it). A stage that cannot tell
  // ignores it.
  virtual void SetOutcomeObserver(RequestOutcomeObserver observer) {}
  // Fetch: "terminate" the fetch of request `request_id` (its fetch group
  // was terminated: a fetch() without keepalive whose document is gone, or
  // an aborted one): whatever it is doing stops (a connection in the middle
  // of its exchange is closed), no retry follows, and its outcome is a
  // network error of kind kAborted. A request already finished (or never
  // handed over) is left alone. Returns at once. A stage that sends nothing
  // (or cannot cancel) ignores it.
  virtual void Cancel(uint64_t request_id) {}
};

}  // namespace fetch_later::net

#endif  // NET_NETWORK_STAGE_H_
