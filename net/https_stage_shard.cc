#include "net/https_stage_shard.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/http1_request_serializer.h"
#include "net/origin_header.h"
#include "net/port_util.h"
#include "net/redirect.h"

namespace fetch_later::net {

// ---- HttpsStageJob ----

HttpsStageJob::HttpsStageJob(uint64_t job_seq,
                             OutgoingRequest&& request,
                             bool with_retries)
    : seq(job_seq),
      id(request.id),
      retries(with_retries),
      nik(retries ? NetworkIsolationKey(request.network_isolation_key)
                  : std::move(request.network_isolation_key)),
      resumption(request.resumption),
      origin(request.origin),
      mode(request.mode),
      credentials(request.credentials),
      redirect_mode(request.redirect),
      csp(request.csp),
      url(retries ? Url(request.url) : Url(std::move(request.url))),
      referrer(request.referrer),
      referrer_policy(request.referrer_policy) {
  // The stage owns Retry-Attempt (fetch-retry explainer); the caller cannot
  // set it.
  auto& h = request.headers;
  h.erase(std::remove_if(h.begin(), h.end(),
                         [](const auto& header) {
                           return absl::EqualsIgnoreCase(header.first,
                                                         "retry-attempt");
                         }),
          h.end());
  if (retries) {
    method = request.method;
    body = request.body;
    headers = request.headers;
    original = std::make_unique<OutgoingRequest>(std::move(request));
  } else {
    method = std::move(request.method);
    body = std::move(request.body);
    headers = std::move(request.headers);
  }
}

// ---- HttpsStageContext ----

void HttpsStageContext::SetOutcomeObserver(RequestOutcomeObserver observer) {
  // The writer lock waits for calls in progress: once this returns, the old
  // observer is never called again (its owner may go away).
  absl::WriterMutexLock lock(&outcome_mu_);
  has_outcome_observer_.store(static_cast<bool>(observer),
                              std::memory_order_release);
  outcome_observer_ = std::move(observer);
}

void HttpsStageContext::ReportOutcome(const RequestOutcome& outcome) {
  // Loops call concurrently under the reader lock.
  absl::ReaderMutexLock lock(&outcome_mu_);
  if (outcome_observer_)
    outcome_observer_(outcome);
}

namespace {

RetryScheduler::Options SchedulerOptions(
    const HttpsNetworkStage::Options& options,
    const Clock* clock) {
  RetryScheduler::Options out;
  out.caps = options.retry_caps;
  out.clock = clock;
  out.jitter_for_testing = options.jitter_for_testing;
  out.jitter_seed = options.jitter_seed;
  return out;
}

}  // namespace

HttpsStageContext::HttpsStageContext(HttpsNetworkStage::Options options,
                                     std::unique_ptr<TlsClientContext> tls,
                                     HostResolver resolver)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &real_clock_),
      tls_(std::move(tls)),
      resolver_(std::move(resolver)),
      scheduler_(SchedulerOptions(options_, clock_)),
      log_(clock_,
           options_.max_attempt_records,
           options_.max_finished_statuses,
           options_.max_blocked_records) {
  const size_t n = options_.event_loops == 0
                       ? HttpsNetworkStage::DefaultEventLoopCount()
                       : options_.event_loops;
  for (size_t i = 0; i < n; ++i)
    shards_.push_back(std::make_unique<HttpsStageShard>(this, i));
}

HttpsStageContext::~HttpsStageContext() {
  StopAll();
}

void HttpsStageContext::TrackRequest(uint64_t request_id) {
  absl::MutexLock lock(&requests_mu_);
  ++live_requests_[request_id];
}

void HttpsStageContext::ForgetRequest(uint64_t request_id) {
  absl::MutexLock lock(&requests_mu_);
  auto it = live_requests_.find(request_id);
  if (it == live_requests_.end())
    return;
  if (--it->second > 0)
    return;
  live_requests_.erase(it);
  cancelled_requests_.erase(request_id);
}

bool HttpsStageContext::MarkCancelled(uint64_t request_id) {
  absl::MutexLock lock(&requests_mu_);
  if (!live_requests_.contains(request_id))
    return false;
  cancelled_requests_.insert(request_id);
  return true;
}

bool HttpsStageContext::IsCancelled(uint64_t request_id) {
  absl::MutexLock lock(&requests_mu_);
  return cancelled_requests_.contains(request_id);
}

size_t HttpsStageContext::ShardFor(const PoolKey& key) {
  if (shards_.size() == 1)
    return 0;
  absl::MutexLock lock(&route_mu_);
  return ShardForLocked(key);
}

size_t HttpsStageContext::ShardForLocked(const PoolKey& key) {
  auto [it, inserted] = pool_shard_.try_emplace(key, next_pool_shard_);
  if (inserted)
    next_pool_shard_ = (next_pool_shard_ + 1) % shards_.size();
  return it->second;
}

size_t HttpsStageContext::ShardForNewJob(const HttpsStageJob& job) {
  if (!job.key || shards_.size() == 1)
    return job.seq % shards_.size();
  absl::MutexLock lock(&route_mu_);
  return ShardForLocked(*job.key);
}

void HttpsStageContext::StopAll() {
  // Stop every loop first: from then on nothing runs concurrently, and
  // connections can be closed from this thread.
  for (auto& shard : shards_)
    shard->loop().Stop();
  for (auto& shard : shards_)
    shard->ClearAfterStop();
}

// ---- HttpsStageShard ----

HttpsStageShard::HttpsStageShard(HttpsStageContext* context, size_t index)
    : context_(context),
      index_(index),
      loop_(std::make_unique<EventLoop>(context->clock())) {}

HttpsStageShard::~HttpsStageShard() = default;

void HttpsStageShard::Enqueue(std::unique_ptr<Job> job, bool migrated) {
  bool post;
  {
    absl::MutexLock lock(&inbox_mu_);
    post = inbox_.empty();
    inbox_.push_back({std::move(job), migrated});
  }
  if (post)
    loop_->PostTask([this] { DrainInbox(); });
}

void HttpsStageShard::ClearAfterStop() {
  jobs_.clear();
  pools_.clear();
  absl::MutexLock lock(&inbox_mu_);
  inbox_.clear();
}

void HttpsStageShard::DrainInbox() {
  // A bounded batch per task, so sockets that became ready get served between
  // batches of a large burst.
  constexpr size_t kBatch = 64;
  std::vector<Incoming> batch;
  bool more;
  {
    absl::MutexLock lock(&inbox_mu_);
    const size_t n = std::min(kBatch, inbox_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i)
      batch.push_back(std::move(inbox_[i]));
    inbox_.erase(inbox_.begin(), inbox_.begin() + n);
    more = !inbox_.empty();
  }
  if (more)
    loop_->PostTask([this] { DrainInbox(); });
  int64_t started = 0;
  for (Incoming& in : batch) {
    if (in.migrated) {
      ResumeMigrated(std::move(in.job));
    } else {
      StartJob(std::move(in.job));
      ++started;
    }
  }
  context_->log().DoneBusy(started);  // Send() counted each new job
}

void HttpsStageShard::StartJob(std::unique_ptr<Job> owned) {
  Job* job = owned.get();
  jobs_[job->seq] = std::move(owned);
  // Cancelled before this loop had it: it ends before its first attempt.
  if (context_->IsCancelled(job->id)) {
    CancelJob(job);
    return;
  }
  if (job->resumption) {
    // Restored from the browser's journal after a restart (Send() told the
    // scheduler how far the request had got).
    const OutgoingRequest::Resumption& resumed = *job->resumption;
    if (job->retries) {
      if (std::optional<absl::Time> deadline =
              context_->scheduler().GetStatus(job->seq)->max_age_deadline) {
        ArmMaxAgeTimer(job, *deadline);
      }
    }
    if (resumed.kind == OutgoingRequest::Resumption::Kind::kDueRetry &&
        job->retries) {
      HandleDue(job, context_->scheduler().OnRetryTimer(job->seq));
      return;
    }
    job->retry_attempt = resumed.attempts_started;
  }
  StartAttempt(job, /*first=*/true);
}

void HttpsStageShard::StartAttempt(Job* job, bool first) {
  ++job->attempt_token;
  if (!first) {
    // Retries start again from the original request (newest explainer).
    const OutgoingRequest& original = *job->original;
    if (job->redirects > 0)
      job->key.reset();  // it was a redirect target's
    job->url = original.url;
    job->method = original.method;
    job->body = original.body;
    job->headers = original.headers;
    // Main fetch starts again too: every retry meets CSP, the mode rules and
    // CORS afresh.
    job->referrer = original.referrer;
    job->referrer_policy = original.referrer_policy;
    job->tainting = Job::Tainting::kBasic;
    job->tainted_origin = false;
    job->hop_checked = false;
  }
  job->redirects = 0;
  job->resent_on_fresh_connection = false;
  job->attempt_started = context_->clock()->Now();
  const RetryScheduler::Status retry =
      job->retries ? context_->scheduler().OnAttemptStarted(job->seq)
                   : RetryScheduler::Status{RequestState::kInFlight};
  context_->log().AddBusy(1);  // until FinishAttempt
  context_->log().Publish(MakeStatus(job, retry));
  if (context_->options().attempt_observer) {
    AttemptEvent event;
    event.type = AttemptEvent::Type::kStarted;
    event.request_id = job->id;
    event.retry_attempt = job->retry_attempt;
    event.method = &job->method;
    event.url = &job->url;
    context_->options().attempt_observer(event);
  }
  job->attempt_deadline =
      std::chrono::steady_clock::now() +
      absl::ToChronoNanoseconds(context_->options().attempt_timeout);
  ArmAttemptTimer(job);
  StartHop(job);
}

void HttpsStageShard::ArmAttemptTimer(Job* job) {
  const uint64_t seq = job->seq, token = job->attempt_token;
  const auto left = job->attempt_deadline - std::chrono::steady_clock::now();
  job->attempt_timer = loop_->PostTaskAfterRealDelay(
      absl::FromChrono(std::max<std::chrono::steady_clock::duration>(
          left, std::chrono::steady_clock::duration::zero())),
      [this, seq, token] { OnAttemptTimeout(seq, token); });
}

void HttpsStageShard::ArmMaxAgeTimer(Job* job, absl::Time deadline) {
  job->max_age_deadline = deadline;
  const uint64_t seq = job->seq;
  job->max_age_timer =
      loop_->PostTaskAt(deadline, [this, seq] { OnMaxAge(seq); });
}

void HttpsStageShard::StartHop(Job* job) {
  // HTTPS only: no upgrade, no exception (not even http://localhost).
  if (job->url.scheme() != "https") {
    NetworkError error = NetworkError::Make(
        NetworkErrorKind::kNotHttps, false,
        absl::StrCat("refused: ", job->url.Serialize(true),
                     " is not https (HTTPS only, no upgrade)"));
    Block(job,
          job->redirects > 0 ? BlockedReason::kRedirectNotHttps
                             : BlockedReason::kNotHttps,
          job->url, job->method,
          job->redirects > 0
              ? absl::StrCat("redirect ", job->redirects, " ", error.detail)
              : error.detail);
    FinishAttempt(job, std::nullopt, std::move(error));
    return;
  }
  const std::optional<uint16_t> port = job->url.EffectivePort();
  if (!job->url.host() || !port || IsBadPort(*port)) {
    NetworkError error =
        NetworkError::Make(NetworkErrorKind::kBadPort, false,
                           absl::StrCat("refused: port ", port.value_or(0),
                                        " is a Fetch bad port"));
    Block(job, BlockedReason::kBadPort, job->url, job->method, error.detail);
    FinishAttempt(job, std::nullopt, std::move(error));
    return;
  }
  if (!job->hop_checked) {
    if (!MainFetchChecks(job))
      return;
    job->hop_checked = true;
  }
  if (!job->key)
    job->key = MakePoolKey(job->url, job->nik);
  auto it = pools_.find(*job->key);
  if (it == pools_.end()) {
    const size_t owner = context_->ShardFor(*job->key);
    if (owner != index_) {
      // A redirect (or a retry after one) to a pool pinned to another loop:
      // the job moves there, so each pool stays on one loop.
      MigrateTo(job, &context_->shard(owner));
      return;
    }
    it = pools_
             .try_emplace(*job->key, *job->key,
                          context_->options().max_connections_per_pool)
             .first;
  }
  job->pool = &it->second;
  PreflightThenSend(job);
}

bool HttpsStageShard::MainFetchChecks(Job* job) {
  // Main fetch step 7 ("should request be blocked by Content Security
  // Policy"), for every hop: the initiator's CSP list, captured when
  // fetchLater() was called. 'self' is the list's self-origin (the document's
  // URL's origin, also for an opaque document origin).
  const Origin* self_origin = job->csp && job->csp->self_origin
                                  ? &*job->csp->self_origin
                                  : (job->origin ? &*job->origin : nullptr);
  if (job->csp && self_origin) {
    if (std::optional<CspViolation> violation = ShouldRequestBeBlockedByCsp(
            *job->csp, job->url, *self_origin, job->redirects)) {
      std::string message = absl::StrCat(
          "refused by Content-Security-Policy: ",
          job->redirects > 0 ? absl::StrCat("redirect ", job->redirects, " to ")
                             : std::string(),
          job->url.Serialize(true), " violates the directive \"",
          violation->violated_directive, "\" of \"", violation->original_policy,
          "\"");
      BlockByPolicy(job, BlockedReason::kCsp, job->url, std::move(message),
                    std::move(violation));
      return false;
    }
  }
  // Main fetch step 9: "determine request's referrer" for this hop; the
  // result becomes the request's referrer, which the next hop's is
  // determined from.
  job->referer_value.clear();
  if (job->referrer) {
    std::optional<Url> referrer = DetermineRequestReferrer(
        job->referrer_policy, *job->referrer, job->url);
    if (referrer) {
      job->referer_value = referrer->Serialize();
      job->referrer = StripReferrerSource(*referrer);
    } else {
      job->referrer.reset();  // "no-referrer" from now on
    }
  }
  job->needs_preflight = false;
  job->unsafe_header_names.clear();
  job->origin_value.reset();
  if (!job->origin)
    return true;  // from no document: sent as a same-origin request
  // Main fetch step 12.
  const bool same_origin = Origin::Create(job->url) == *job->origin;
  if (same_origin && job->tainting == Job::Tainting::kBasic) {
    // "basic": nothing more.
  } else if (job->mode == RequestMode::kSameOrigin) {
    BlockByPolicy(
        job, BlockedReason::kModeSameOrigin, job->url,
        absl::StrCat("refused: mode \"same-origin\" and ",
                     job->url.Serialize(true), " is not same origin with ",
                     job->origin->Serialize(),
                     job->redirects > 0
                         ? absl::StrCat(" (redirect ", job->redirects, ")")
                         : std::string()));
    return false;
  } else if (job->mode == RequestMode::kNoCors) {
    if (job->redirect_mode != RedirectMode::kFollow) {
      BlockByPolicy(job, BlockedReason::kRedirectModeError, job->url,
                    absl::StrCat("refused: mode \"no-cors\" needs redirect "
                                 "mode \"follow\", not \"",
                                 RedirectModeName(job->redirect_mode), "\""));
      return false;
    }
    job->tainting = Job::Tainting::kOpaque;
  } else {
    job->tainting = Job::Tainting::kCors;
    job->unsafe_header_names = CorsUnsafeRequestHeaderNames(job->headers);
    job->needs_preflight = !IsCorsSafelistedMethod(job->method) ||
                           !job->unsafe_header_names.empty();
  }
  // HTTP-network-or-cache fetch: "append a request `Origin` header".
  const std::string serialized = SerializedOrigin(job);
  job->origin_value = RequestOriginHeader(
      {job->method, job->tainting == Job::Tainting::kCors, serialized,
       &*job->origin, &job->url, job->referrer_policy, job->mode});
  return true;
}

std::string HttpsStageShard::SerializedOrigin(const Job* job) const {
  if (!job->origin || job->tainted_origin)
    return "null";
  return job->origin->Serialize();
}

void HttpsStageShard::PreflightThenSend(Job* job, bool may_join) {
  if (!job->needs_preflight) {
    AcquireConnection(job, /*force_new=*/false);
    return;
  }
  // Fetch: "create a new cache entry": the entry's origin is the
  // byte-serialized request origin (`null` once redirect-tainted).
  CorsPreflightCache::Key key{
      job->nik.ToDebugString(), SerializedOrigin(job),
      job->url.Serialize(/*exclude_fragment=*/true),
      /*credentials=*/job->credentials == CredentialsMode::kInclude};
  if (preflight_cache_.Allows(key, job->method, job->unsafe_header_names,
                              context_->clock()->Now())) {
    AcquireConnection(job, /*force_new=*/false);
    return;
  }
  if (may_join &&
      !preflight_cache_.StartOrJoin(key, {job->seq, job->attempt_token})) {
    // It waits for the preflight in flight (ResumeAfterPreflight). Meanwhile
    // it warms a connection for itself, so the burst behind a preflight does
    // not pay the handshakes after it.
    if (!job->pool->AtCapacity())
      Preconnect(*job->pool, job->url);
    return;
  }
  job->preflight_key = std::move(key);
  job->preflight_shared = may_join;
  job->sending_preflight = true;
  AcquireConnection(job, /*force_new=*/false);
}

void HttpsStageShard::Preconnect(ConnectionPool& pool, const Url& url) {
  absl::StatusOr<std::vector<IpEndpoint>> endpoints =
      context_->resolver().Resolve(*url.host(), pool.key().port);
  if (!endpoints.ok())
    return;  // the request meets the error itself
  HttpsConnection* conn = pool.Add(std::make_unique<HttpsConnection>(
      loop_.get(), context_->tls(), context_->NextConnectionId(), *url.host()));
  context_->log().CountConnections(pool.key(), pool.connection_count());
  ConnectionPool* p = &pool;
  conn->SetIdleCloseCallback([this, p, conn] {
    RemoveConnection(*p, conn);
    DispatchQueued(*p);
  });
  conn->Connect(std::move(*endpoints),
                [this, p, conn](std::optional<NetworkError> error) {
                  if (error)
                    RemoveConnection(*p, conn);
                  DispatchQueued(*p);
                });
}

void HttpsStageShard::OnPreflightResponse(Job* job,
                                          HttpsConnection::Result result) {
  job->sending_preflight = false;
  CorsPreflightCache::Key key = std::move(*job->preflight_key);
  job->preflight_key.reset();
  const bool shared = std::exchange(job->preflight_shared, false);
  // Fetch: "CORS-preflight fetch" step 7.
  absl::StatusOr<CorsPreflightResult> allowed =
      CheckCorsPreflightResponse(result.status_code, result.headers,
                                 SerializedOrigin(job), job->credentials);
  if (!allowed.ok()) {
    std::string message = absl::StrCat("refused: the CORS preflight for ",
                                       job->url.Serialize(true),
                                       " failed: ", allowed.status().message());
    if (shared)
      FinishPreflight(key, /*failed=*/true);
    BlockByPolicy(job, BlockedReason::kCorsPreflight, job->url,
                  std::move(message));
    return;
  }
  // Steps 7.5-7.7 before steps 7.8-7.13: an answer that does not allow the
  // request it was sent for is a network error and fills no cache entry.
  // Those who waited send their own.
  if (absl::Status allows = CorsPreflightAllows(
          *allowed, job->method, job->unsafe_header_names, job->credentials);
      !allows.ok()) {
    if (shared)
      FinishPreflight(key, /*failed=*/true);
    BlockByPolicy(
        job, BlockedReason::kCorsPreflight, job->url,
        absl::StrCat("refused: the CORS preflight for ",
                     job->url.Serialize(true),
                     " did not allow the request: ", allows.message()));
    return;
  }
  preflight_cache_.Store(key, *allowed, context_->clock()->Now());
  if (shared)
    FinishPreflight(key, /*failed=*/false);
  AcquireConnection(job, /*force_new=*/false);
}

void HttpsStageShard::FinishPreflight(const CorsPreflightCache::Key& key,
                                      bool failed) {
  for (const CorsPreflightCache::Waiter& w : preflight_cache_.Finish(key)) {
    // Later, from the loop: a waiter may send a preflight itself, which must
    // not happen inside this one's bookkeeping.
    loop_->PostTask([this, w, failed] {
      ResumeAfterPreflight(w.seq, w.token, /*own_preflight=*/failed);
    });
  }
}

void HttpsStageShard::ResumeAfterPreflight(uint64_t seq,
                                           uint64_t token,
                                           bool own_preflight) {
  Job* job = FindJob(seq, token);
  if (job == nullptr)
    return;  // its attempt ended meanwhile (timed out)
  // Fetch: "HTTP fetch" step 4.1: the cache may allow it now; otherwise it
  // sends a preflight. After a failed one, its own at once (not queued
  // behind another shared one): the answer to what it asks is its own.
  PreflightThenSend(job, /*may_join=*/!own_preflight);
}

void HttpsStageShard::BlockByPolicy(Job* job,
                                    BlockedReason reason,
                                    const Url& url,
                                    std::string message,
                                    std::optional<CspViolation> violation) {
  job->policy_failure = true;
  job->csp_violation = std::move(violation);
  NetworkError error = NetworkError::Make(NetworkErrorKind::kBlockedByPolicy,
                                          /*server_reached=*/false, message);
  Block(job, reason, url, job->method, std::move(message));
  FinishAttempt(job, std::nullopt, std::move(error));
}

std::vector<std::pair<std::string, std::string>> HttpsStageShard::WireHeaders(
    const Job* job) const {
  std::vector<std::pair<std::string, std::string>> headers =
      job->sending_preflight
          ? CorsPreflightRequestHeaders(job->method, job->unsafe_header_names)
          : job->headers;
  if (!job->referer_value.empty())
    headers.emplace_back("Referer", job->referer_value);
  if (job->origin_value)
    headers.emplace_back("Origin", *job->origin_value);
  // The stage owns Retry-Attempt (fetch-retry explainer); a preflight is not
  // the retried request.
  if (job->retry_attempt > 0 && !job->sending_preflight)
    headers.emplace_back("Retry-Attempt", absl::StrCat(job->retry_attempt));
  return headers;
}

void HttpsStageShard::MigrateTo(Job* job, HttpsStageShard* to) {
  loop_->CancelTimer(job->attempt_timer);
  job->attempt_timer = 0;
  job->rearm_max_age_timer = job->max_age_timer != 0;
  loop_->CancelTimer(job->max_age_timer);
  job->max_age_timer = 0;
  job->pool = nullptr;
  auto node = jobs_.extract(job->seq);
  to->Enqueue(std::move(node.mapped()), /*migrated=*/true);
}

void HttpsStageShard::ResumeMigrated(std::unique_ptr<Job> owned) {
  Job* job = owned.get();
  jobs_[job->seq] = std::move(owned);
  if (job->rearm_max_age_timer) {
    job->rearm_max_age_timer = false;
    ArmMaxAgeTimer(job, *job->max_age_deadline);
  }
  ArmAttemptTimer(job);
  // Cancelled while it moved here (its cancellation missed both loops).
  if (context_->IsCancelled(job->id)) {
    CancelJob(job);
    return;
  }
  StartHop(job);
}

void HttpsStageShard::AcquireConnection(Job* job, bool force_new) {
  ConnectionPool& pool = *job->pool;
  if (!force_new) {
    if (HttpsConnection* idle = pool.FindIdle()) {
      SendOn(job, idle, /*reused=*/true);
      return;
    }
  }
  if (pool.AtCapacity()) {
    job->queued = true;
    pool.Enqueue(job->seq);
    return;
  }
  absl::StatusOr<std::vector<IpEndpoint>> endpoints =
      context_->resolver().Resolve(*job->url.host(), pool.key().port);
  if (!endpoints.ok()) {
    FinishAttempt(
        job, std::nullopt,
        NetworkError::Make(NetworkErrorKind::kDnsFailure, false,
                           std::string(endpoints.status().message())));
    return;
  }
  HttpsConnection* conn = pool.Add(std::make_unique<HttpsConnection>(
      loop_.get(), context_->tls(), context_->NextConnectionId(),
      *job->url.host()));
  context_->log().CountConnections(pool.key(), pool.connection_count());
  job->connection = conn;
  job->connection_id = conn->id();
  job->connection_reused = false;
  ConnectionPool* p = &pool;
  conn->SetIdleCloseCallback([this, p, conn] {
    RemoveConnection(*p, conn);
    DispatchQueued(*p);
  });
  const uint64_t seq = job->seq, token = job->attempt_token;
  conn->Connect(std::move(*endpoints),
                [this, seq, token, conn, p](std::optional<NetworkError> error) {
                  Job* job = FindJob(seq, token);
                  if (error) {
                    RemoveConnection(*p, conn);
                    if (job) {
                      job->connection = nullptr;
                      FinishAttempt(job, std::nullopt, std::move(*error));
                    }
                    DispatchQueued(*p);
                    return;
                  }
                  if (job) {
                    SendOn(job, conn, /*reused=*/false);
                  } else {
                    // The job timed out meanwhile; others may use the
                    // connection.
                    DispatchQueued(*p);
                  }
                });
}

void HttpsStageShard::SendOn(Job* job, HttpsConnection* conn, bool reused) {
  job->queued = false;
  job->connection = conn;
  job->connection_reused = reused;
  job->connection_id = conn->id();
  ConnectionPool* p = job->pool;
  const bool preflight = job->sending_preflight;
  absl::StatusOr<std::string> bytes = SerializeRequest(
      preflight ? std::string("OPTIONS") : job->method, job->url,
      WireHeaders(job), preflight ? std::string() : job->body,
      HostHeaderValue(job->url));
  if (!bytes.ok()) {
    // Nothing was written: the connection stays idle for the next queued
    // request.
    job->connection = nullptr;
    FinishAttempt(job, std::nullopt,
                  NetworkError::Make(NetworkErrorKind::kInvalidRequest, false,
                                     std::string(bytes.status().message())));
    DispatchQueued(*p);
    return;
  }
  const uint64_t seq = job->seq, token = job->attempt_token;
  conn->SendRequest(
      std::move(*bytes), !preflight && job->method == "HEAD",
      [this, seq, token, conn, p](HttpsConnection::Result result) {
        OnResponse(seq, token, conn, *p, std::move(result));
      });
}

void HttpsStageShard::OnResponse(uint64_t seq,
                                 uint64_t token,
                                 HttpsConnection* conn,
                                 ConnectionPool& pool,
                                 HttpsConnection::Result result) {
  if (conn->closed())
    RemoveConnection(pool, conn);
  Job* job = FindJob(seq, token);
  if (job == nullptr) {
    DispatchQueued(pool);
    return;
  }
  job->connection = nullptr;
  if (result.error) {
    const NetworkErrorKind kind = result.error->kind;
    if (job->connection_reused && !result.response_bytes_received &&
        !job->resent_on_fresh_connection &&
        (kind == NetworkErrorKind::kConnectionReset ||
         kind == NetworkErrorKind::kConnectionClosed)) {
      // The server may have closed the idle connection just as we reused it:
      // try once more on a new connection, within the same attempt (Chromium
      // does the same for reused sockets).
      job->resent_on_fresh_connection = true;
      AcquireConnection(job, /*force_new=*/true);
      DispatchQueued(pool);
      return;
    }
    FinishAttempt(job, std::nullopt, std::move(*result.error));
    DispatchQueued(pool);
    return;
  }
  if (job->sending_preflight) {
    OnPreflightResponse(job, std::move(result));
    DispatchQueued(pool);
    return;
  }
  if (IsRedirectStatus(result.status_code)) {
    OnRedirect(job, result);  // may move the job to another shard
    DispatchQueued(pool);
    return;
  }
  // Fetch: "HTTP fetch" step 4.4: a cors-tainted response must pass the
  // CORS check. The request was delivered (no retry), but its caller gets a
  // network error.
  if (job->tainting == Job::Tainting::kCors) {
    if (absl::Status check =
            CorsCheck(result.headers, SerializedOrigin(job), job->credentials);
        !check.ok()) {
      job->cors_error = NetworkError::Make(
          NetworkErrorKind::kCorsFailed, true,
          absl::StrCat("the response of ", job->url.Serialize(true),
                       " failed the CORS check: ", check.message()));
    }
  }
  KeepResponse(job, result);
  FinishAttempt(job, result.status_code, std::nullopt);
  DispatchQueued(pool);
}

void HttpsStageShard::KeepResponse(Job* job, HttpsConnection::Result& result) {
  job->response_status_text = std::move(result.status_text);
  job->response_headers = std::move(result.headers);
  job->response_body = std::move(result.body);
  job->response_body_length = result.body_bytes;
  job->response_url = job->url.Serialize(/*exclude_fragment=*/true);
}

void HttpsStageShard::OnRedirect(Job* job, HttpsConnection::Result& result) {
  // Fetch: "HTTP fetch" step 4.4: the CORS check comes before following.
  if (job->tainting == Job::Tainting::kCors) {
    if (absl::Status check =
            CorsCheck(result.headers, SerializedOrigin(job), job->credentials);
        !check.ok()) {
      BlockByPolicy(
          job, BlockedReason::kCors, job->url,
          absl::StrCat("refused: the ", result.status_code,
                       " redirect response of ", job->url.Serialize(true),
                       " failed the CORS check: ", check.message()));
      return;
    }
  }
  // The redirect's target, when the Location parses.
  absl::StatusOr<Url> target =
      result.location ? Url::Parse(*result.location, &job->url)
                      : absl::StatusOr<Url>(absl::NotFoundError("no Location"));
  // Fetch: "HTTP fetch" step 6.3: the redirect mode.
  switch (job->redirect_mode) {
    case RedirectMode::kError:
      BlockByPolicy(
          job, BlockedReason::kRedirectModeError,
          target.ok() ? *target : job->url,
          absl::StrCat("refused: redirect mode \"error\" and ",
                       job->url.Serialize(true), " answered ",
                       result.status_code,
                       result.location ? absl::StrCat(" to ", *result.location)
                                       : std::string(" (no Location)")));
      return;
    case RedirectMode::kManual:
      // The redirect response ends the fetch (an opaque-redirect filtered
      // response); nothing further is sent.
      KeepResponse(job, result);
      FinishAttempt(job, result.status_code, std::nullopt);
      return;
    case RedirectMode::kFollow:
      break;
  }
  // Fetch: "HTTP-redirect fetch" steps 3-5: the "location URL". More than
  // one Location is failure: a network error naming the header.
  absl::StatusOr<std::optional<std::string>> location =
      ExtractLocation(result.headers);
  if (!location.ok()) {
    Block(job, BlockedReason::kRedirectNotHttps, job->url, job->method,
          absl::StrCat("refused: header Location of the ", result.status_code,
                       " response of ", job->url.Serialize(true), ": ",
                       location.status().message()));
    FinishAttempt(job, std::nullopt,
                  NetworkError::Make(NetworkErrorKind::kInvalidRedirect, true,
                                     std::string(location.status().message())));
    return;
  }
  // Step 4: no Location: the response is the answer.
  if (!*location) {
    KeepResponse(job, result);
    FinishAttempt(job, result.status_code, std::nullopt);
    return;
  }
  absl::StatusOr<RedirectStep> step =
      ComputeRedirect({job->method, job->body, job->headers}, job->url,
                      result.status_code, **location, job->redirects);
  if (!step.ok()) {
    const bool too_many = absl::IsOutOfRange(step.status());
    if (too_many) {
      // Fetch: "HTTP-redirect fetch" step 7.
      Block(job, BlockedReason::kRedirectLimit,
            target.ok() ? *target : job->url, job->method,
            absl::StrCat("refused: ", step.status().message()));
    } else {
      // A Location that does not parse, or names a scheme Fetch does not
      // follow (e.g. ftp:), which is not https either.
      Block(job, BlockedReason::kRedirectNotHttps,
            target.ok() ? *target : job->url, job->method,
            absl::StrCat("refused: header Location of the ", result.status_code,
                         " response of ", job->url.Serialize(true), ": ",
                         step.status().message()));
    }
    FinishAttempt(
        job, std::nullopt,
        NetworkError::Make(too_many ? NetworkErrorKind::kTooManyRedirects
                                    : NetworkErrorKind::kInvalidRedirect,
                           true, std::string(step.status().message())));
    return;
  }
  const Origin current_origin = Origin::Create(job->url);
  const Origin next_origin = Origin::Create(step->url);
  // Fetch: "HTTP-redirect fetch" step 13: a cross-origin hop loses the
  // CORS non-wildcard request-header names (Authorization).
  if (current_origin != next_origin) {
    auto& h = step->headers;
    h.erase(std::remove_if(h.begin(), h.end(),
                           [](const auto& header) {
                             return IsCorsNonWildcardRequestHeaderName(
                                 header.first);
                           }),
            h.end());
  }
  // Step 18 (the URL list grows) and Fetch's "redirect-taint": the origin
  // serializes as `null` once a request is redirected onward
  // from a URL that was itself cross-origin to the request's origin.
  if (job->origin && current_origin != next_origin &&
      *job->origin != current_origin) {
    job->tainted_origin = true;
  }
  // Step 19: "set request's referrer policy on redirect".
  if (std::optional<std::string> policy =
          GetHeader(result.headers, "Referrer-Policy")) {
    const ReferrerPolicy parsed = ParseReferrerPolicyHeader(*policy);
    if (parsed != ReferrerPolicy::kEmpty)
      job->referrer_policy = parsed;
  }
  ++job->redirects;
  job->url = std::move(step->url);
  job->method = std::move(step->method);
  job->body = std::move(step->body);
  job->headers = std::move(step->headers);
  job->key.reset();
  job->hop_checked = false;
  StartHop(job);  // step 22: main fetch again; may move the job
}

void HttpsStageShard::OnAttemptTimeout(uint64_t seq, uint64_t token) {
  Job* job = FindJob(seq, token);
  if (job == nullptr)
    return;
  job->attempt_timer = 0;
  bool server_reached = false;
  ConnectionPool* pool = job->pool;
  if (job->connection != nullptr) {
    server_reached = job->connection->tcp_connected();
    HttpsConnection* conn = job->connection;
    job->connection = nullptr;
    conn->Close();
    RemoveConnection(*pool, conn);
  }
  FinishAttempt(job, std::nullopt,
                NetworkError::Make(
                    NetworkErrorKind::kTimedOut, server_reached,
                    absl::StrCat("no complete response within ",
                                 absl::FormatDuration(
                                     context_->options().attempt_timeout),
                                 server_reached ? "" : " (not connected)")));
  if (pool != nullptr)
    DispatchQueued(*pool);
}

void HttpsStageShard::DispatchQueued(ConnectionPool& pool) {
  while (pool.HasQueued()) {
    HttpsConnection* idle = pool.FindIdle();
    if (idle == nullptr && pool.AtCapacity())
      return;
    const uint64_t seq = *pool.PopQueued();
    auto job_it = jobs_.find(seq);
    if (job_it == jobs_.end())
      continue;
    Job* job = job_it->second.get();
    job->queued = false;
    if (idle != nullptr) {
      SendOn(job, idle, /*reused=*/true);
    } else {
      AcquireConnection(job, /*force_new=*/true);
    }
  }
}

void HttpsStageShard::RemoveConnection(ConnectionPool& pool,
                                       HttpsConnection* conn) {
  pool.Remove(conn, loop_.get());
  context_->log().CountConnections(pool.key(), pool.connection_count());
}

void HttpsStageShard::Block(Job* job,
                            BlockedReason reason,
                            const Url& url,
                            const std::string& method,
                            std::string message) {
  job->blocked_reason = reason;
  job->blocked_url = url.Serialize(/*exclude_fragment=*/true);
  job->blocked_message = message;
  if (context_->options().attempt_observer) {
    AttemptEvent event;
    event.type = AttemptEvent::Type::kBlocked;
    event.request_id = job->id;
    // A retry dropped at the gate is the one after the last attempt.
    event.retry_attempt = reason == BlockedReason::kRetryGate
                              ? job->retry_attempt + 1
                              : job->retry_attempt;
    event.method = &method;
    event.url = &url;
    event.blocked_reason = reason;
    event.message = &message;
    context_->options().attempt_observer(event);
  }
  BlockedRecord record;
  record.request_id = job->id;
  record.reason = reason;
  record.url = job->blocked_url;
  record.message = std::move(message);
  record.at = context_->clock()->Now();
  context_->log().RecordBlocked(std::move(record));
}

HttpsStageJob* HttpsStageShard::FindJob(uint64_t seq, uint64_t token) {
  auto it = jobs_.find(seq);
  if (it == jobs_.end() || it->second->attempt_token != token)
    return nullptr;
  return it->second.get();
}

RequestStatus HttpsStageShard::MakeStatus(
    const Job* job,
    const RetryScheduler::Status& retry,
    std::string note,
    std::optional<int> http_status) const {
  RequestStatus status;
  status.request_id = job->id;
  status.state = retry.state;
  status.retries_started = retry.retries_started;
  status.next_retry_at = retry.next_retry_at;
  status.max_age_deadline = retry.max_age_deadline;
  status.last_error = job->last_error;
  status.http_status = http_status;
  status.blocked_reason = job->blocked_reason;
  status.note = std::move(note);
  return status;
}

void HttpsStageShard::FinishAttempt(Job* job,
                                    std::optional<int> http_status,
                                    std::optional<NetworkError> error) {
  loop_->CancelTimer(job->attempt_timer);
  job->attempt_timer = 0;
  if (job->queued) {
    job->pool->Dequeue(job->seq);
    job->queued = false;
  }
  if (job->preflight_key) {
    // Its preflight never answered (a network error or the attempt's
    // timeout): whoever waited for it looks at the cache again.
    CorsPreflightCache::Key key = std::move(*job->preflight_key);
    job->preflight_key.reset();
    if (std::exchange(job->preflight_shared, false))
      FinishPreflight(key, /*failed=*/false);
  }
  job->sending_preflight = false;
  ++job->attempt_token;  // late callbacks for this attempt are ignored
  AttemptEntry record;
  record.request_id = job->id;
  record.retry_attempt = job->retry_attempt;
  record.redirects = job->redirects;
  record.http_status = http_status;
  record.connection_reused = job->connection_reused;
  record.connection_id = job->connection_id;
  record.started_at = job->attempt_started;
  record.finished_at = context_->clock()->Now();
  job->connection_id = 0;
  job->connection_reused = false;

  RetryScheduler& scheduler = context_->scheduler();
  RequestStatus status;
  if (http_status) {
    status = MakeStatus(job,
                        job->retries
                            ? scheduler.OnAttemptSucceeded(job->seq)
                            : RetryScheduler::Status{RequestState::kSucceeded},
                        {}, http_status);
  } else {
    job->last_error = error;
    if (job->policy_failure) {
      // Main fetch refused it: final at once, never retried.
      record.retry_decision = "refused by policy: final (never retried)";
      status = MakeStatus(job, RetryScheduler::Status{RequestState::kFailed});
    } else if (job->cancelled) {
      record.retry_decision = "cancelled: final (never retried)";
      status = MakeStatus(job, RetryScheduler::Status{RequestState::kFailed},
                          "cancelled");
    } else if (!job->retries) {
      record.retry_decision = "no retryOptions: final";
      status = MakeStatus(job, RetryScheduler::Status{RequestState::kFailed});
    } else {
      RetryScheduler::FailureOutcome failed = scheduler.OnAttemptFailed(
          job->seq, *error, job->redirects > 0, record.finished_at);
      if (failed.arm_max_age_at)
        ArmMaxAgeTimer(job, *failed.arm_max_age_at);
      if (failed.retry_at) {
        const uint64_t seq = job->seq;
        job->retry_timer = loop_->PostTaskAt(
            *failed.retry_at, [this, seq] { OnRetryTimer(seq); });
      }
      // A request that was given up says why in its status.
      std::string note =
          failed.status.state == RequestState::kFailedPendingMaxAge
              ? failed.decision
              : std::string();
      record.retry_decision = std::move(failed.decision);
      status = MakeStatus(job, failed.status, std::move(note));
    }
  }
  record.error = std::move(error);
  // The attempt's URL and method are not used again (a retry starts from the
  // original): move them into the record.
  record.method = std::move(job->method);
  record.url.emplace(std::move(job->url));
  const bool final = IsFinalRequestState(status.state);
  if (final) {
    loop_->CancelTimer(job->retry_timer);
    loop_->CancelTimer(job->max_age_timer);
  }
  if (context_->options().attempt_observer)
    ObserveFinishedAttempt(record, status.next_retry_at);
  // The request's status, then the attempt record, then idleness, in one
  // step: an observer that saw the record (or idleness) also sees the status
  // it led to.
  // The outcome before the status: once the stage is idle, every final
  // outcome has been told.
  if (final)
    ReportFinalOutcome(job, http_status);
  context_->log().Publish(std::move(status), &record);
  if (final)
    EraseJob(job);
}

void HttpsStageShard::ReportFinalOutcome(Job* job,
                                         std::optional<int> http_status) {
  if (!context_->has_outcome_observer())
    return;
  RequestOutcome outcome;
  outcome.request_id = job->id;
  outcome.redirect_count = job->redirects;
  if (http_status && !job->cors_error) {
    outcome.kind = RequestOutcome::Kind::kResponse;
    outcome.status = *http_status;
    outcome.status_text = std::move(job->response_status_text);
    outcome.headers = std::move(job->response_headers);
    outcome.body = std::move(job->response_body);
    outcome.body_length = job->response_body_length;
    outcome.url = std::move(job->response_url);
    switch (job->tainting) {
      case Job::Tainting::kBasic:
        outcome.tainting = ResponseTainting::kBasic;
        break;
      case Job::Tainting::kCors:
        outcome.tainting = ResponseTainting::kCors;
        break;
      case Job::Tainting::kOpaque:
        outcome.tainting = ResponseTainting::kOpaque;
        break;
    }
  } else if (!http_status && job->blocked_reason) {
    outcome.kind = RequestOutcome::Kind::kBlocked;
    outcome.blocked_reason = job->blocked_reason;
    outcome.blocked_url = job->blocked_url;
    outcome.message = job->blocked_message;
    outcome.csp_violation = job->csp_violation;
  } else {
    outcome.kind = RequestOutcome::Kind::kNetworkError;
    outcome.error = http_status ? job->cors_error : job->last_error;
  }
  context_->ReportOutcome(outcome);
}

void HttpsStageShard::ObserveFinishedAttempt(
    const AttemptEntry& record,
    std::optional<absl::Time> next_retry_at) {
  const auto& observer = context_->options().attempt_observer;
  AttemptEvent event;
  event.request_id = record.request_id;
  event.retry_attempt = record.retry_attempt;
  event.method = &record.method;
  event.url = record.url ? &*record.url : nullptr;
  if (record.http_status) {
    event.type = AttemptEvent::Type::kSent;
    event.http_status = record.http_status;
    observer(event);
    return;
  }
  event.type = AttemptEvent::Type::kFailed;
  event.error = record.error ? &*record.error : nullptr;
  event.retry_decision = &record.retry_decision;
  observer(event);
  if (next_retry_at) {
    event.type = AttemptEvent::Type::kRetryScheduled;
    event.error = nullptr;
    event.retry_decision = nullptr;
    event.retry_delay = *next_retry_at - record.finished_at;
    observer(event);
  }
}

void HttpsStageShard::OnRetryTimer(uint64_t seq) {
  auto it = jobs_.find(seq);
  if (it == jobs_.end())
    return;
  Job* job = it->second.get();
  job->retry_timer = 0;
  HandleDue(job, context_->scheduler().OnRetryTimer(seq));
}

void HttpsStageShard::ReleaseWaiting(const std::vector<uint64_t>& handles) {
  // `handles` is oldest first; the jobs of other loops are not here.
  for (uint64_t handle : handles) {
    auto it = jobs_.find(handle);
    if (it == jobs_.end())
      continue;
    HandleDue(it->second.get(),
              context_->scheduler().OnSameNikDocumentActive(handle));
  }
}

void HttpsStageShard::HandleDue(Job* job,
                                const RetryScheduler::DueOutcome& due) {
  switch (due.action) {
    case RetryScheduler::DueAction::kNone:
      return;
    case RetryScheduler::DueAction::kGiveUp:
      context_->log().Publish(MakeStatus(job, due.status, due.note));
      return;
    case RetryScheduler::DueAction::kWait:
      if (context_->options().attempt_observer) {
        AttemptEvent event;
        event.type = AttemptEvent::Type::kWaitingForSameNikDocument;
        event.request_id = job->id;
        event.retry_attempt = due.status.retries_started + 1;
        context_->options().attempt_observer(event);
      }
      context_->log().Publish(MakeStatus(job, due.status, due.note));
      return;
    case RetryScheduler::DueAction::kStart:
      job->retry_attempt = due.status.retries_started;
      StartAttempt(job, /*first=*/false);
      return;
    case RetryScheduler::DueAction::kFail:
      // maxAge passed before the retry could start (its timer, or the
      // document releasing it, came late): the error is surfaced now.
      loop_->CancelTimer(job->max_age_timer);
      job->max_age_timer = 0;
      if (due.state_before == RequestState::kWaitingForSameNikDocument)
        BlockRetryAtTheGate(job);
      ReportFinalOutcome(job, std::nullopt);
      context_->log().Publish(MakeStatus(
          job, due.status,
          absl::StrCat(due.note, " (in state \"",
                       RequestStateName(due.state_before), "\"); surfacing ",
                       job->last_error ? job->last_error->ToString() : "")));
      EraseJob(job);
      return;
  }
}

void HttpsStageShard::OnMaxAge(uint64_t seq) {
  auto it = jobs_.find(seq);
  if (it == jobs_.end())
    return;
  Job* job = it->second.get();
  job->max_age_timer = 0;
  RetryScheduler::MaxAgeOutcome expired = context_->scheduler().OnMaxAge(seq);
  if (!expired.failed)
    return;  // an attempt in flight decides; no retry after it
  std::string note = absl::StrCat(
      "maxAge reached in state \"", RequestStateName(expired.state_before),
      "\"; surfacing ", job->last_error ? job->last_error->ToString() : "");
  loop_->CancelTimer(job->retry_timer);
  job->retry_timer = 0;
  if (expired.state_before == RequestState::kWaitingForSameNikDocument)
    BlockRetryAtTheGate(job);
  ReportFinalOutcome(job, std::nullopt);
  context_->log().Publish(MakeStatus(job, expired.status, std::move(note)));
  EraseJob(job);
}

void HttpsStageShard::BlockRetryAtTheGate(Job* job) {
  Block(job, BlockedReason::kRetryGate, job->original->url,
        job->original->method,
        absl::StrCat("retry ", job->retry_attempt + 1,
                     " dropped at maxAge: no fully active document with the "
                     "network isolation key ",
                     job->nik.ToDebugString(), " came while it waited"));
}

void HttpsStageShard::Cancel(uint64_t request_id) {
  std::vector<Job*> found;
  for (auto& [seq, job] : jobs_) {
    if (job->id == request_id)
      found.push_back(job.get());
  }
  for (Job* job : found)
    CancelJob(job);
}

void HttpsStageShard::CancelJob(Job* job) {
  job->cancelled = true;
  if (job->attempt_timer != 0) {
    // An attempt is in flight: it ends here. A connection in the middle of
    // its exchange cannot carry another request: it is closed.
    bool server_reached = false;
    ConnectionPool* pool = job->pool;
    if (job->connection != nullptr) {
      server_reached = job->connection->tcp_connected();
      HttpsConnection* conn = job->connection;
      job->connection = nullptr;
      conn->Close();
      RemoveConnection(*pool, conn);
    }
    FinishAttempt(job, std::nullopt,
                  NetworkError::Make(NetworkErrorKind::kAborted, server_reached,
                                     "cancelled by the browser"));
    if (pool != nullptr)
      DispatchQueued(*pool);
    return;
  }
  // Between attempts: a retry scheduled or waiting for a same-NIK document.
  loop_->CancelTimer(job->retry_timer);
  job->retry_timer = 0;
  loop_->CancelTimer(job->max_age_timer);
  job->max_age_timer = 0;
  job->last_error = NetworkError::Make(NetworkErrorKind::kAborted, false,
                                       "cancelled by the browser");
  ReportFinalOutcome(job, std::nullopt);
  context_->log().Publish(MakeStatus(
      job, RetryScheduler::Status{RequestState::kFailed}, "cancelled"));
  EraseJob(job);
}

void HttpsStageShard::EraseJob(Job* job) {
  if (job->retries)
    context_->scheduler().Remove(job->seq);
  context_->ForgetRequest(job->id);
  jobs_.erase(job->seq);
}

}  // namespace fetch_later::net
