// The browser's real network stage: sends activated deferred fetches over HTTPS
// (BoringSSL, HTTP/1.1) and retries them per the fetch-retry explainer with the
// browser's caps.
//
//   HttpsNetworkStage::Options options;
//   options.ca_pem = ca.root_pem();  // default: the system CA bundle
//   options.host_resolver_rules = "MAP * 127.0.0.1:4433";
//   options.clock = &fake_clock;     // backoff and maxAge on virtual time
//   auto stage = *HttpsNetworkStage::Create(std::move(options));
//   stage->OnDocumentActive(nik);     // retries need a live same-NIK document
//   stage->Send(std::move(request));  // returns at once
//   stage->WaitForIdle(absl::Seconds(5));
//   stage->attempts();                // what happened, attempt by attempt
//
// Created once per browser process (tools/ and browser/ own it), destroyed at
// shutdown; pending requests and retries die with it. The public methods are
// thread-safe and return at once.
//
// Threads: N event loops (net/event_loop.h), one thread each, all started by
// Create(); no other threads. N = Options::event_loops, or by default
// min(hardware threads, 4). Why several: a flush burst (a tab closing with a
// thousand pending fetches) is CPU-bound on the client side — TLS handshakes
// and record encryption, loopback sends, bookkeeping — and on one loop the
// burst runs at one core's speed while the other cores idle. Why at most 4 by
// default: a burst goes to a handful of report collectors, so more loops than
// pools buy nothing, and the browser's other threads need the cores too.
// Each pool (scheme, host, port, NetworkIsolationKey) is pinned to one loop
// when first used (round-robin over new pools, so a few origins spread
// evenly), and that loop owns the pool's sockets, TLS sessions, FIFO queue and
// connection cap, and the requests (retry and maxAge timers included) whose
// current hop uses it; a redirect to a pool of another loop moves the request
// there. So per-pool ordering and the per-pool cap are as with one loop. The
// state shared by all loops is small and locked: the RetryScheduler (each
// request's retry state, the active-document counts, the per-initiator retry
// counts and the jitter source; OnDocumentActive() bumps the count and hands
// the requests waiting for that key to the loops that own them), which loop
// owns which pool, and the observability (AttemptLog).
//
// Policy, in the order a request meets it:
// clang-format off
//  - HTTPS only: no upgrade, no exception. A URL (or a redirect hop) that is
//    not https is refused (blocked: NOT_HTTPS, REDIRECT_NOT_HTTPS) and
//    recorded as a "not-https" network error without opening a socket — even
//    http://localhost, which fetchLater's "potentially trustworthy" rule would
//    accept: this stage has no plaintext code path at all, so none can be
//    reached by a confused or malicious caller.
//  - Fetch "bad port" (net/port_util.h) → "bad-port" network error, nothing
//    sent (blocked: BAD_PORT).
//  - Fetch "main fetch" for every hop of every attempt (README, "Main fetch
//    in the network stage"): the initiator's CSP connect-src (blocked: CSP),
//    mode "same-origin" (MODE_SAME_ORIGIN), "no-cors" with a redirect mode
//    other than "follow" (REDIRECT_MODE_ERROR), the hop's Referer and Origin,
//    and for a cross-origin cors request that is not CORS-safelisted a
//    preflight, cached per (network isolation key, origin, URL, credentials
//    mode) and shared by the requests that wait for it (CORS_PREFLIGHT). A
//    policy refusal is final at once, never retried.
//  - TLS 1.2+, SNI = the URL host, certificate chain and host name (or IP)
//    verification against the configured trust anchors; no switch to ignore
//    errors.
//  - Connections: HTTP/1.1 keep-alive, pooled per (scheme, host, port,
//    NetworkIsolationKey), so two partitions never share a socket; at most
//    `max_connections_per_pool` per key, further requests queue (FIFO). A
//    reused connection that fails before any response byte is retried once on
//    a fresh connection within the same attempt (the server may have closed it
//    while idle), as Chromium does.
//  - Responses are read, and the final one (status, headers, up to 1 MiB of
//    body) goes to the outcome observer. A cors-tainted response must pass
//    the CORS check (a redirect that fails it is blocked: CORS).
//    301/302/303/307/308 follow the redirect mode ("error": blocked
//    REDIRECT_MODE_ERROR; "manual": the redirect is the answer), up to 20
//    (the 21st is blocked: REDIRECT_LIMIT), each hop https-only; 303 (and
//    301/302 for POST) become GET without a body, a cross-origin hop drops
//    Authorization, a redirect's Referrer-Policy applies to the next hops
//    (Fetch "HTTP-redirect fetch").
//  - The per-attempt timeout (`attempt_timeout`, real time) covers waiting for
//    a pooled connection, connect, TLS, write, read and redirects.
//  - Retries (net/retry_scheduler.h, rules in net/retry_policy.h): only
//    transient network errors; from the ORIGINAL request (newest explainer),
//    with `Retry-Attempt: N` on retry N. Every retry fires only while a
//    document with the request's network isolation key is fully active
//    (OnDocumentActive(key) counted one that OnDocumentInactive(key) has not
//    taken back; a document in the bfcache does not count); otherwise it
//    waits ("waiting for same-NIK document") until one is, or is dropped at
//    maxAge (blocked: RETRY_GATE). When the initiator is gone a retry also
//    needs retryAfterUnload. For requests with
//    retryOptions, a failure becomes final only at maxAge (the explainer's
//    timing-leak rule); without retryOptions it is final at once.
// clang-format on
//
// Timers: backoff and maxAge run on `Options::clock` (a FakeClock in tests);
// socket deadlines run on real time.
//
// Files: this facade (https_network_stage.cc); the per-loop shard that runs
// attempts over its pools, main fetch per hop and its preflight cache
// (https_stage_shard.{h,cc}); the pools
// (connection_pool.{h,cc}); the retry decisions (retry_scheduler.{h,cc}); the
// attempt log and statuses (attempt_log.{h,cc}).
#ifndef NET_HTTPS_NETWORK_STAGE_H_
#define NET_HTTPS_NETWORK_STAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/attempt_log.h"
#include "net/clock.h"
#include "net/network_error.h"
#include "net/network_stage.h"
#include "net/retry_policy.h"
#include "net/retry_scheduler.h"
#include "net/tls_client_context.h"
#include "net/url.h"

namespace fetch_later::net {

class HttpsStageContext;

class HttpsNetworkStage : public NetworkStage {
 public:
  // The observability types (net/attempt_log.h) and the request states
  // (net/retry_scheduler.h), under the names callers know.
  using AttemptEvent = net::AttemptEvent;
  using AttemptRecord = net::AttemptRecord;
  using RequestState = net::RequestState;
  using RequestStatus = net::RequestStatus;
  using PoolInfo = net::PoolInfo;
  using BlockedRecord = net::BlockedRecord;

  struct Options {
    // Trust anchors: PEM text when non-empty, otherwise the bundle file.
    std::string ca_pem;
    std::string ca_bundle_path = kSystemCaBundlePath;
    // Chromium-style --host-resolver-rules (net/host_resolver.h); empty:
    // getaddrinfo.
    std::string host_resolver_rules;
    // Real time allowed for one attempt: connect, TLS, write, response,
    // redirects.
    absl::Duration attempt_timeout = absl::Seconds(30);
    // Connections per (scheme, host, port, network isolation key).
    size_t max_connections_per_pool = 6;
    RetryCaps retry_caps;
    // Event-loop threads; 0: DefaultEventLoopCount(). At most kMaxEventLoops.
    size_t event_loops = 0;
    // Observability bounds (memory stays flat under any load): attempts()
    // keeps the newest `max_attempt_records` attempts, and GetRequestStatus()
    // forgets finished (succeeded or failed) requests beyond the newest
    // `max_finished_statuses`, oldest first. Requests still pending are
    // always kept.
    size_t max_attempt_records = 10'000;
    size_t max_finished_statuses = 10'000;
    // blocked() keeps the newest `max_blocked_records` refusals.
    size_t max_blocked_records = 10'000;
    // The clock for retry backoff and maxAge; not owned, must outlive the
    // stage. Null: real time.
    const Clock* clock = nullptr;
    // Jitter: uniform numbers in [0, 1); null uses a JitterSource seeded with
    // `jitter_seed`.
    std::function<double()> jitter_for_testing;
    uint64_t jitter_seed = 0x6a1773;
    // Observability: told of every attempt's start and end, and of every
    // request the stage refuses to put on the wire (AttemptEvent), on the
    // stage's event-loop threads, so it must be thread-safe, cheap, and must
    // not call back into the stage. Null (the default): no event is built at
    // all.
    std::function<void(const AttemptEvent&)> attempt_observer;
  };

  static constexpr size_t kMaxAutoEventLoops = 4;
  static constexpr size_t kMaxEventLoops = 64;
  // min(std::thread::hardware_concurrency(), kMaxAutoEventLoops), at least 1.
  static size_t DefaultEventLoopCount();

  // Fails when the trust anchors cannot be loaded, the resolver rules do not
  // parse, or an option is out of range.
  static absl::StatusOr<std::unique_ptr<HttpsNetworkStage>> Create(
      Options options);
  ~HttpsNetworkStage() override;
  HttpsNetworkStage(const HttpsNetworkStage&) = delete;  // Not copyable.
  HttpsNetworkStage& operator=(const HttpsNetworkStage&) = delete;

  // NetworkStage. Thread-safe; return at once.
  void Send(OutgoingRequest request) override;
  void OnDocumentActive(const NetworkIsolationKey& key) override;
  void OnDocumentInactive(const NetworkIsolationKey& key) override;
  // The initiating document of request `request_id` is gone
  // (OutgoingRequest::initiator_gone becoming true after hand-over): later
  // retries need retryAfterUnload.
  void OnInitiatorGone(uint64_t request_id) override;
  // Tells `observer` each request's final outcome, on the stage's loops.
  void SetOutcomeObserver(RequestOutcomeObserver observer) override;
  // Ends request `request_id` on its loop (NetworkStage::Cancel()): its
  // attempt in flight stops (its connection is closed), a pending retry is
  // dropped; its status becomes failed ("cancelled") and its outcome a
  // kAborted network error.
  void Cancel(uint64_t request_id) override;

  // Observability (thread-safe).
  // The newest attempts (at most Options::max_attempt_records), oldest first.
  // Attempts of requests on different loops (different pools) are in the
  // order they ended.
  std::vector<AttemptRecord> attempts() const;
  // The newest requests the stage refused to put on the wire (at most
  // Options::max_blocked_records), oldest first: not https, a bad port, CSP,
  // CORS (preflight or a redirect's check), mode "same-origin", redirect mode
  // "error", a redirect to a URL that is not https, too many redirects, a
  // retry dropped at maxAge while it waited for a same-NIK document. Each is
  // also an AttemptEvent::Type::kBlocked and its request's RequestStatus says
  // why.
  std::vector<BlockedRecord> blocked() const;
  // Blocks until `count` attempts were recorded (ever, including any no
  // longer kept) or `timeout` passed; returns the count.
  size_t WaitForAttempts(size_t count, absl::Duration timeout) const;
  // Blocks until every call made so far (Send, OnDocumentActive, ...) has been
  // handled and no request is queued, connecting or waiting for a response
  // (retries scheduled for later and retries waiting for a same-NIK document
  // do not count; a retry or a maxAge whose time has come does), or `timeout`
  // passed; returns whether idle.
  bool WaitForIdle(absl::Duration timeout) const;
  // The latest status of request `request_id` (the browser's id), if the stage
  // has seen it (and, once finished, still keeps it: see
  // Options::max_finished_statuses).
  std::optional<RequestStatus> GetRequestStatus(uint64_t request_id) const;
  // Blocks until request `request_id` is in `state` or `timeout` passed;
  // returns whether it is.
  bool WaitForRequestState(uint64_t request_id,
                           RequestState state,
                           absl::Duration timeout) const;
  // Open connections in the pool for `url`'s (scheme, host, port) and `key`;
  // and the most that were ever open at once for that pool.
  size_t OpenConnectionCount(const Url& url,
                             const NetworkIsolationKey& key) const;
  size_t PeakConnectionCount(const Url& url,
                             const NetworkIsolationKey& key) const;
  size_t TotalOpenConnections() const;
  // The number of event-loop threads.
  size_t event_loop_count() const;

  // For the debug snapshot: the statuses of requests not yet finished
  // (neither succeeded nor failed), by ascending request id.
  std::vector<RequestStatus> UnfinishedRequests() const;
  // Every pool that ever had a connection, by key.
  std::vector<PoolInfo> Pools() const;

 private:
  explicit HttpsNetworkStage(std::unique_ptr<HttpsStageContext> context);
  std::unique_ptr<HttpsStageContext> context_;
};

}  // namespace fetch_later::net

#endif  // NET_HTTPS_NETWORK_STAGE_H_
