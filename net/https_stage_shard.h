// The inside of HttpsNetworkStage (net/https_network_stage.h): the state its
// event loops share (HttpsStageContext) and one loop with the pools pinned to
// it and the requests whose current hop uses them (HttpsStageShard). Private
// to the :https_network_stage target.
//
// Thread model (see also net/https_network_stage.h, "Threads"):
//  - Each HttpsStageShard runs one EventLoop thread. Its jobs, pools and
//    connections are touched only there; its inbox (jobs handed over by
//    Send() or by another shard) is under `inbox_mu_`.
//  - HttpsStageContext is shared by every shard and the stage's callers: its
//    constant parts (options, TLS context, resolver) are read anywhere; the
//    pool-to-loop routing is under `route_mu_`; the RetryScheduler and the
//    AttemptLog lock themselves. Lock order: none is held while taking
//    another, except that the scheduler and the log read the clock (whose
//    FakeClock has its own leaf lock).
#ifndef NET_HTTPS_STAGE_SHARD_H_
#define NET_HTTPS_STAGE_SHARD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/attempt_log.h"
#include "net/blocked_reason.h"
#include "net/clock.h"
#include "net/connection_pool.h"
#include "net/cors.h"
#include "net/cors_preflight_cache.h"
#include "net/csp.h"
#include "net/event_loop.h"
#include "net/host_resolver.h"
#include "net/https_connection.h"
#include "net/https_network_stage.h"
#include "net/network_error.h"
#include "net/network_stage.h"
#include "net/pool_key.h"
#include "net/referrer.h"
#include "net/request_modes.h"
#include "net/retry_scheduler.h"
#include "net/tls_client_context.h"
#include "net/url.h"

namespace fetch_later::net {

class HttpsStageShard;

// One request handed to Send(), through all its attempts: the wire-level
// state of the current attempt (URL and headers of the current hop, its pool
// and connection, its timers). Its retry state is the RetryScheduler's, under
// the same number (`seq`). Owned by the shard whose loop runs its current
// attempt, and touched only on that loop.
struct HttpsStageJob {
  // Sets up the first attempt: taken from `request` when there will be no
  // retry (the original is never needed again), copied otherwise.
  HttpsStageJob(uint64_t job_seq, OutgoingRequest&& request, bool retries);

  const uint64_t seq;  // unique in the stage
  const uint64_t id;   // the browser's request id
  // The request has retryOptions (and so an entry in the RetryScheduler).
  const bool retries;
  const NetworkIsolationKey nik;
  // What every retry starts from (only for requests with retryOptions).
  std::unique_ptr<const OutgoingRequest> original;
  // Set for a request restored from the browser's journal: how it resumes.
  const std::optional<OutgoingRequest::Resumption> resumption;

  // What main fetch needs that never changes (net/network_stage.h,
  // OutgoingRequest): the request's origin (nullopt: from no document),
  // modes and the initiator's CSP list.
  const std::optional<Origin> origin;
  const RequestMode mode;
  const CredentialsMode credentials;
  const RedirectMode redirect_mode;
  const std::shared_ptr<const CspList> csp;

  std::optional<NetworkError> last_error;
  // Why the stage refused to put it (or a redirect or retry of it) on the wire.
  std::optional<BlockedReason> blocked_reason;
  // The refusal's details, for the outcome observer.
  std::string blocked_url;
  std::string blocked_message;
  std::optional<CspViolation> csp_violation;
  // Main fetch refused it (CSP, CORS, mode, redirect mode): final at once,
  // never retried.
  bool policy_failure = false;
  // NetworkStage::Cancel() ended it: final at once, never retried.
  bool cancelled = false;
  // The final response (status text, headers, kept body), for the outcome
  // observer; `cors_error` when a cors-tainted response failed the CORS
  // check (delivered, but a network error to the caller).
  std::string response_status_text;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string response_body;
  uint64_t response_body_length = 0;  // kept or not
  std::string response_url;           // the hop that answered
  std::optional<NetworkError> cors_error;
  EventLoop::TimerId retry_timer = 0;
  EventLoop::TimerId max_age_timer = 0;
  std::optional<absl::Time> max_age_deadline;  // when `max_age_timer` fires
  bool rearm_max_age_timer = false;            // moving to another loop

  // The current attempt.
  uint32_t retry_attempt = 0;  // 0: the first; N: Retry-Attempt: N
  uint64_t attempt_token = 0;  // bumps per attempt: stale callbacks compare it
  EventLoop::TimerId attempt_timer = 0;
  std::chrono::steady_clock::time_point attempt_deadline;
  Url url;
  std::string method;
  std::string body;
  // The request's header list (author headers and Content-Type); Referer,
  // Origin and Retry-Attempt are added per hop when it is serialised.
  std::vector<std::pair<std::string, std::string>> headers;
  int redirects = 0;
  // Main fetch state of the current attempt (a retry starts it again).
  // The referrer the next hop's is determined from (nullopt: no referrer),
  // and the referrer policy (a redirect's Referrer-Policy may change it).
  std::optional<StrippedReferrer> referrer;
  ReferrerPolicy referrer_policy = ReferrerPolicy::kEmpty;
  // Fetch: request's "response tainting" and "tainted origin flag".
  enum class Tainting : uint8_t { kBasic, kCors, kOpaque };
  Tainting tainting = Tainting::kBasic;
  bool tainted_origin = false;
  // The current hop passed main fetch's checks (CSP, mode), and what they
  // computed: the hop's Referer ("" none) and Origin values, and whether it
  // needs a CORS preflight (with its CORS-unsafe header names).
  bool hop_checked = false;
  std::string referer_value;
  std::optional<std::string> origin_value;
  bool needs_preflight = false;
  std::vector<std::string> unsafe_header_names;
  // The exchange in progress is this hop's CORS preflight, sent for
  // `preflight_key` (which the job then owns in the cache's in-flight set).
  bool sending_preflight = false;
  std::optional<CorsPreflightCache::Key> preflight_key;
  // The preflight is the one others with `preflight_key` wait for (it is in
  // the cache's in-flight set); false for a waiter's own after a shared one
  // failed.
  bool preflight_shared = false;
  absl::Time attempt_started;
  // The pool key of the current hop, computed once per URL (Send() computes
  // it for the original URL; a retry after no redirect reuses it).
  std::optional<PoolKey> key;
  ConnectionPool* pool = nullptr;         // in the owning shard
  HttpsConnection* connection = nullptr;  // owned by the pool
  bool queued = false;
  bool connection_reused = false;
  uint64_t connection_id = 0;
  bool resent_on_fresh_connection = false;
};

// What every shard of one stage shares. Created by HttpsNetworkStage::Create(),
// owned by the stage; it owns the shards, which it outlives (they are stopped
// first: see ~HttpsNetworkStage()).
class HttpsStageContext {
 public:
  HttpsStageContext(HttpsNetworkStage::Options options,
                    std::unique_ptr<TlsClientContext> tls,
                    HostResolver resolver);
  ~HttpsStageContext();
  HttpsStageContext(const HttpsStageContext&) = delete;  // Not copyable.
  HttpsStageContext& operator=(const HttpsStageContext&) = delete;

  const HttpsNetworkStage::Options& options() const { return options_; }
  const Clock* clock() const { return clock_; }
  TlsClientContext* tls() const { return tls_.get(); }
  const HostResolver& resolver() const { return resolver_; }
  RetryScheduler& scheduler() { return scheduler_; }
  AttemptLog& log() { return log_; }
  const AttemptLog& log() const { return log_; }
  uint64_t NextJobSeq() { return next_seq_.fetch_add(1); }

  // The outcome observer (NetworkStage::SetOutcomeObserver). Any thread.
  void SetOutcomeObserver(RequestOutcomeObserver observer);
  // Tells the observer, if any, how a request ended. Any thread; the
  // observer runs under a reader lock that only SetOutcomeObserver() waits
  // for.
  void ReportOutcome(const RequestOutcome& outcome);
  bool has_outcome_observer() const {
    return has_outcome_observer_.load(std::memory_order_acquire);
  }
  uint64_t NextConnectionId() { return next_connection_id_.fetch_add(1); }

  // Which requests are in the stage (handed to Send() and not yet finished),
  // so that a Cancel() that reaches no loop's jobs (the request is in a
  // loop's inbox, or moving to another loop) is not lost: the loop that gets
  // the job next sees it cancelled. Any thread.
  void TrackRequest(uint64_t request_id);
  void ForgetRequest(uint64_t request_id);
  // Marks a request in the stage as cancelled; false (nothing kept) for one
  // that is not (finished, or never sent).
  bool MarkCancelled(uint64_t request_id);
  bool IsCancelled(uint64_t request_id);

  size_t shard_count() const { return shards_.size(); }
  HttpsStageShard& shard(size_t index) { return *shards_[index]; }

  // The loop that owns the pool for `key`. A pool is pinned to a loop when it
  // is first used and never moves, so its FIFO queue and connection cap stay
  // in one place. New pools go round-robin rather than by hash: a burst to a
  // handful of origins (4 in the flush benchmark) must spread evenly over the
  // loops, which a hash of 4 keys onto 2 loops often does not (1/8 of the
  // time all four land on one). Any thread.
  size_t ShardFor(const PoolKey& key);
  // The loop for a new job: its first pool's, or any when it will be refused
  // without a socket (no `key`). Any thread.
  size_t ShardForNewJob(const HttpsStageJob& job);

  // Runs `fn(shard)` on every loop; WaitForIdle() counts each as busy until
  // it has run. Any thread.
  template <typename Fn>
  void Broadcast(Fn fn);

  // Stops every loop (joins its thread), then drops every job and pool. Called
  // once, by ~HttpsNetworkStage(), before anything else goes.
  void StopAll();

 private:
  size_t ShardForLocked(const PoolKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(route_mu_);

  const HttpsNetworkStage::Options options_;
  RealClock real_clock_;
  const Clock* const clock_;
  const std::unique_ptr<TlsClientContext> tls_;
  const HostResolver resolver_;
  std::atomic<uint64_t> next_seq_{1};
  std::atomic<uint64_t> next_connection_id_{1};

  RetryScheduler scheduler_;
  AttemptLog log_;

  // Held (shared) while the observer runs, so replacing it waits for calls
  // in progress.
  absl::Mutex outcome_mu_;
  RequestOutcomeObserver outcome_observer_ ABSL_GUARDED_BY(outcome_mu_);
  std::atomic<bool> has_outcome_observer_{false};

  // The requests in the stage (a count per id: tests may reuse one) and
  // those of them cancelled. A leaf lock.
  absl::Mutex requests_mu_;
  absl::flat_hash_map<uint64_t, int> live_requests_
      ABSL_GUARDED_BY(requests_mu_);
  absl::flat_hash_set<uint64_t> cancelled_requests_
      ABSL_GUARDED_BY(requests_mu_);

  // Which loop owns each pool.
  absl::Mutex route_mu_;
  absl::flat_hash_map<PoolKey, size_t> pool_shard_ ABSL_GUARDED_BY(route_mu_);
  size_t next_pool_shard_ ABSL_GUARDED_BY(route_mu_) = 0;

  // Last: stopped before anything above goes. Fixed after construction.
  std::vector<std::unique_ptr<HttpsStageShard>> shards_;
};

// One event loop and the pools (and so the jobs) pinned to it: runs each
// attempt from connection to response, follows redirects (moving the job to
// the loop of the next hop's pool), and carries out the RetryScheduler's
// decisions with this loop's timers. Created by HttpsStageContext (one per
// loop) and owned by it. Everything but Enqueue() runs on the loop thread.
class HttpsStageShard {
 public:
  HttpsStageShard(HttpsStageContext* context, size_t index);
  ~HttpsStageShard();
  HttpsStageShard(const HttpsStageShard&) = delete;  // Not copyable.
  HttpsStageShard& operator=(const HttpsStageShard&) = delete;

  EventLoop& loop() { return *loop_; }

  // Any thread. Hands `job` to this shard: new (`migrated` false: its first
  // attempt starts here) or moved here by a redirect (its current attempt
  // goes on here). One drain task per batch, not one task per job.
  void Enqueue(std::unique_ptr<HttpsStageJob> job, bool migrated);

  // Loop thread. A document with the request's network isolation key became
  // active: retry the listed jobs (RetryScheduler handles) that are here and
  // still waiting, oldest first.
  void ReleaseWaiting(const std::vector<uint64_t>& handles);

  // Loop thread. NetworkStage::Cancel(): ends this loop's jobs for request
  // `request_id`, if any (see CancelJob()).
  void Cancel(uint64_t request_id);

  // After the loop stopped (~HttpsNetworkStage()): drops every job, pool and
  // queued hand-over.
  void ClearAfterStop();

 private:
  struct Incoming {
    std::unique_ptr<HttpsStageJob> job;
    bool migrated = false;
  };
  using Job = HttpsStageJob;

  void DrainInbox();
  void StartJob(std::unique_ptr<Job> owned);
  void ResumeMigrated(std::unique_ptr<Job> owned);
  void StartAttempt(Job* job, bool first);
  void ArmAttemptTimer(Job* job);
  void ArmMaxAgeTimer(Job* job, absl::Time deadline);
  void StartHop(Job* job);
  // Fetch: "main fetch" for the current hop, after the HTTPS-only and bad
  // port checks: CSP (connect-src), mode and response tainting, and this
  // hop's Referer and Origin. False when the hop was refused (the attempt
  // is finished).
  bool MainFetchChecks(Job* job);
  // Fetch: "HTTP fetch" step 4.1: a hop that needs a CORS preflight sends
  // it (or, when `may_join`, waits for the one in flight for its key) unless
  // the cache already allows it; then the request itself.
  void PreflightThenSend(Job* job, bool may_join = true);
  // Opens a connection in `pool` (to `url`'s host) that no request waits
  // for yet: it is idle once connected, for the requests waiting for a
  // preflight.
  void Preconnect(ConnectionPool& pool, const Url& url);
  // The preflight `job` sent for its key answered (`result`).
  void OnPreflightResponse(Job* job, HttpsConnection::Result result);
  // Releases the requests that waited for the preflight for `key`: each
  // looks at the cache again; when the preflight `failed`, those the cache
  // does not allow send their own preflight (they do not share one again).
  void FinishPreflight(const CorsPreflightCache::Key& key, bool failed);
  // A request that waited for a preflight goes on (see FinishPreflight).
  void ResumeAfterPreflight(uint64_t seq, uint64_t token, bool own_preflight);
  // Fetch: "HTTP fetch" steps 4.4 and 6 for a redirect response of the current
  // hop: the CORS check, the redirect mode, then "HTTP-redirect fetch".
  void OnRedirect(Job* job, HttpsConnection::Result& result);
  // Main fetch refused the request (`reason`): records it like Block() and
  // ends the request at once (a policy failure is never retried).
  void BlockByPolicy(Job* job,
                     BlockedReason reason,
                     const Url& url,
                     std::string message,
                     std::optional<CspViolation> violation = std::nullopt);
  // The request's Fetch "byte-serialized origin" ("null" once tainted).
  std::string SerializedOrigin(const Job* job) const;
  // The header list of the current exchange as sent: the request's (or the
  // preflight's), then Referer, Origin and Retry-Attempt.
  std::vector<std::pair<std::string, std::string>> WireHeaders(
      const Job* job) const;
  // Tells the outcome observer how the request ended (it is final).
  void ReportFinalOutcome(Job* job, std::optional<int> http_status);
  // Keeps the final response of the current hop for the outcome.
  void KeepResponse(Job* job, HttpsConnection::Result& result);
  // Ends `job` now with a kAborted network error: its attempt in flight (its
  // connection closed if it was using one), or, between attempts, its
  // pending retry.
  void CancelJob(Job* job);
  void MigrateTo(Job* job, HttpsStageShard* to);
  void AcquireConnection(Job* job, bool force_new);
  void SendOn(Job* job, HttpsConnection* conn, bool reused);
  void OnResponse(uint64_t seq,
                  uint64_t token,
                  HttpsConnection* conn,
                  ConnectionPool& pool,
                  HttpsConnection::Result result);
  void OnAttemptTimeout(uint64_t seq, uint64_t token);
  // Records that the stage refuses to put `job`'s request to `url` on the
  // wire (for a redirect, `url` is the redirect's target) and tells the
  // observer. The caller then ends the attempt or the request.
  void Block(Job* job,
             BlockedReason reason,
             const Url& url,
             const std::string& method,
             std::string message);
  // Hands idle or newly allowed connections to queued jobs of `pool`.
  void DispatchQueued(ConnectionPool& pool);
  void RemoveConnection(ConnectionPool& pool, HttpsConnection* conn);
  Job* FindJob(uint64_t seq, uint64_t token);
  RequestStatus MakeStatus(const Job* job,
                           const RetryScheduler::Status& retry,
                           std::string note = {},
                           std::optional<int> http_status = {}) const;
  // Ends the current attempt with a response (`http_status`) or `error`, then
  // does what the RetryScheduler decides.
  void FinishAttempt(Job* job,
                     std::optional<int> http_status,
                     std::optional<NetworkError> error);
  // Tells the attempt observer how `record` ended (before it is published, so
  // an observer has seen it once the stage is idle).
  void ObserveFinishedAttempt(const AttemptEntry& record,
                              std::optional<absl::Time> next_retry_at);
  void OnRetryTimer(uint64_t seq);
  // Carries out the scheduler's answer for a due retry.
  void HandleDue(Job* job, const RetryScheduler::DueOutcome& due);
  void OnMaxAge(uint64_t seq);
  // A retry that waited for a same-NIK document reached maxAge (RETRY_GATE).
  void BlockRetryAtTheGate(Job* job);
  void EraseJob(Job* job);

  HttpsStageContext* const context_;  // not owned; owns this shard
  const size_t index_;
  // Declared first, destroyed last: connections and jobs unwatch on it.
  std::unique_ptr<EventLoop> loop_;

  absl::Mutex inbox_mu_;
  std::vector<Incoming> inbox_ ABSL_GUARDED_BY(inbox_mu_);

  // Loop thread only.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Job>> jobs_;
  absl::node_hash_map<PoolKey, ConnectionPool> pools_;  // the pools pinned here
  // The CORS-preflight cache of the keys whose pools are pinned here.
  CorsPreflightCache preflight_cache_;
};

template <typename Fn>
void HttpsStageContext::Broadcast(Fn fn) {
  log_.AddBusy(static_cast<int64_t>(shards_.size()));
  for (auto& shard : shards_) {
    HttpsStageShard* s = shard.get();
    s->loop().PostTask([this, s, fn] {
      fn(*s);
      log_.DoneBusy(1);
    });
  }
}

}  // namespace fetch_later::net

#endif  // NET_HTTPS_STAGE_SHARD_H_
