#include "net/https_network_stage.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <thread>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "net/event_loop.h"
#include "net/host_resolver.h"
#include "net/http1_request_serializer.h"
#include "net/https_connection.h"
#include "net/port_util.h"
#include "net/redirect.h"

namespace fetch_later::net {
namespace {

// The pool key: (scheme, host, port, network isolation key). Partitions never
// share a socket.
struct PoolKey {
  std::string scheme;
  std::string host;
  uint16_t port = 0;
  NetworkIsolationKey nik;

  std::string ToString() const {
    return absl::StrCat(scheme, "://", host, ":", port, " | ",
                        nik.ToDebugString());
  }
  friend bool operator==(const PoolKey& a, const PoolKey& b) {
    return a.scheme == b.scheme && a.host == b.host && a.port == b.port &&
           a.nik == b.nik;
  }
  template <typename H>
  friend H AbslHashValue(H h, const PoolKey& k) {
    return H::combine(std::move(h), k.scheme, k.host, k.port, k.nik);
  }
};

PoolKey MakePoolKey(const Url& url, const NetworkIsolationKey& nik) {
  return PoolKey{url.scheme(), url.host().value_or(""),
                 url.EffectivePort().value_or(0), nik};
}

// Whether a hop to `url` would open a socket at all (StartHop refuses the
// rest before looking for a pool).
bool UsesAPool(const Url& url) {
  if (url.scheme() != "https" || !url.host())
    return false;
  const std::optional<uint16_t> port = url.EffectivePort();
  return port && !IsBadPort(*port);
}

// Fetch: "HTTP-redirect fetch" — the only statuses the stage follows.
bool IsFollowedRedirect(int status) {
  return IsRedirectStatus(status);
}

bool IsFinal(HttpsNetworkStage::RequestState state) {
  return state == HttpsNetworkStage::RequestState::kSucceeded ||
         state == HttpsNetworkStage::RequestState::kFailed;
}

}  // namespace

const char* HttpsNetworkStage::RequestStateName(RequestState state) {
  switch (state) {
    case RequestState::kInFlight:
      return "in flight";
    case RequestState::kRetryScheduled:
      return "retry scheduled";
    case RequestState::kWaitingForSameNikDocument:
      return "waiting for same-NIK document";
    case RequestState::kFailedPendingMaxAge:
      return "failed, pending maxAge";
    case RequestState::kSucceeded:
      return "succeeded";
    case RequestState::kFailed:
      return "failed";
  }
  return "?";
}

std::string HttpsNetworkStage::AttemptRecord::ToString() const {
  std::string out = absl::StrCat("request ", request_id, " attempt ",
                                 retry_attempt, " ", method, " ", url);
  if (redirects > 0)
    absl::StrAppend(&out, " (after ", redirects, " redirects)");
  if (http_status)
    absl::StrAppend(&out, ": sent, status ", *http_status);
  if (error)
    absl::StrAppend(&out, ": network error ", error->ToString());
  if (connection_id != 0) {
    absl::StrAppend(&out, connection_reused ? " [reused" : " [new",
                    " connection ", connection_id, "]");
  }
  if (!retry_decision.empty())
    absl::StrAppend(&out, " → ", retry_decision);
  return out;
}

size_t HttpsNetworkStage::DefaultEventLoopCount() {
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp<size_t>(hw == 0 ? 1 : hw, 1, kMaxAutoEventLoops);
}

struct HttpsNetworkStage::Impl {
  struct Shard;
  struct Pool;

  // One request handed to Send(), through all its attempts. Owned by the shard
  // whose loop runs its current attempt (loop thread only), except
  // `initiator_gone`, which OnInitiatorGone() sets from any thread.
  struct Job {
    // Sets up the first attempt: taken from `request` when there will be no
    // retry (the original is never needed again), copied otherwise.
    Job(uint64_t job_seq,
        OutgoingRequest&& request,
        std::optional<EffectiveRetryOptions> retry_options)
        : seq(job_seq),
          id(request.id),
          retry(std::move(retry_options)),
          nik(retry ? NetworkIsolationKey(request.network_isolation_key)
                    : std::move(request.network_isolation_key)),
          initiator_gone(request.initiator_gone),
          url(retry ? Url(request.url) : Url(std::move(request.url))) {
      // The stage owns Retry-Attempt (fetch-retry explainer); the caller cannot
      // set it.
      auto& h = request.headers;
      h.erase(std::remove_if(h.begin(), h.end(),
                             [](const auto& header) {
                               return absl::EqualsIgnoreCase(header.first,
                                                             "retry-attempt");
                             }),
              h.end());
      if (retry) {
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

    const uint64_t seq;  // unique in the stage
    const uint64_t id;   // the browser's request id
    const std::optional<EffectiveRetryOptions> retry;
    const NetworkIsolationKey nik;
    // What every retry starts from (only for requests with retryOptions).
    std::unique_ptr<const OutgoingRequest> original;

    std::atomic<bool> initiator_gone;
    uint32_t retries_started = 0;
    absl::Time first_start;
    std::optional<absl::Time> max_age_deadline;
    RequestState state = RequestState::kInFlight;
    EventLoop::TimerId retry_timer = 0;
    EventLoop::TimerId max_age_timer = 0;
    bool rearm_max_age_timer = false;  // moving to another loop
    std::optional<NetworkError> last_error;
    bool expired = false;  // maxAge passed while an attempt was in flight

    // The current attempt.
    uint64_t attempt_token =
        0;  // bumps per attempt: stale callbacks compare it
    EventLoop::TimerId attempt_timer = 0;
    std::chrono::steady_clock::time_point attempt_deadline;
    Url url;
    std::string method;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    int redirects = 0;
    absl::Time attempt_started;
    // The pool key of the current hop, computed once per URL (Send() computes
    // it for the original URL; a retry after no redirect reuses it).
    std::optional<PoolKey> key;
    Pool* pool = nullptr;                   // in the owning shard
    HttpsConnection* connection = nullptr;  // owned by the pool
    bool queued = false;
    bool connection_reused = false;
    uint64_t connection_id = 0;
    bool resent_on_fresh_connection = false;
  };

  struct Pool {
    explicit Pool(PoolKey k) : key(std::move(k)) {}
    const PoolKey key;
    std::vector<std::unique_ptr<HttpsConnection>> connections;
    std::deque<uint64_t> queue;  // job seqs waiting for a connection
  };

  // An attempt as recorded on the hot path: no strings built (the URL is moved
  // from the finished attempt and serialised in attempts()).
  struct AttemptEntry {
    uint64_t request_id = 0;
    uint32_t retry_attempt = 0;
    std::string method;
    std::optional<Url> url;
    int redirects = 0;
    std::optional<int> http_status;
    std::optional<NetworkError> error;
    bool connection_reused = false;
    uint64_t connection_id = 0;
    absl::Time started_at;
    absl::Time finished_at;
    std::string retry_decision;

    AttemptRecord ToRecord() const {
      AttemptRecord r;
      r.request_id = request_id;
      r.retry_attempt = retry_attempt;
      r.method = method;
      if (url)
        r.url = url->Serialize(/*exclude_fragment=*/true);
      r.redirects = redirects;
      r.http_status = http_status;
      r.error = error;
      r.connection_reused = connection_reused;
      r.connection_id = connection_id;
      r.started_at = started_at;
      r.finished_at = finished_at;
      r.retry_decision = retry_decision;
      return r;
    }
  };

  // One event loop and the pools (and so the jobs) pinned to it. Everything
  // but the inbox is touched only on the loop thread.
  struct Shard {
    Shard(Impl* owner, size_t shard_index)
        : impl(owner),
          index(shard_index),
          loop(std::make_unique<EventLoop>(owner->clock)) {}

    // ---- Any thread ----

    // Hands `job` to this shard: new (StartJob) or moved here by a redirect
    // (ResumeMigrated). One drain task per batch, not one task per job.
    void Enqueue(std::unique_ptr<Job> job, bool migrated) {
      bool post;
      {
        absl::MutexLock lock(&inbox_mu);
        post = inbox.empty();
        inbox.push_back({std::move(job), migrated});
      }
      if (post)
        loop->PostTask([this] { DrainInbox(); });
    }

    // ---- Loop thread ----

    void DrainInbox() {
      // A bounded batch per task, so sockets that became ready get served
      // between batches of a large burst.
      constexpr size_t kBatch = 64;
      std::vector<Incoming> batch;
      bool more;
      {
        absl::MutexLock lock(&inbox_mu);
        const size_t n = std::min(kBatch, inbox.size());
        batch.reserve(n);
        for (size_t i = 0; i < n; ++i)
          batch.push_back(std::move(inbox[i]));
        inbox.erase(inbox.begin(), inbox.begin() + n);
        more = !inbox.empty();
      }
      if (more)
        loop->PostTask([this] { DrainInbox(); });
      int64_t started = 0;
      for (Incoming& in : batch) {
        if (in.migrated) {
          ResumeMigrated(std::move(in.job));
        } else {
          StartJob(std::move(in.job));
          ++started;
        }
      }
      impl->DoneBusy(started);  // Send() counted each new job
    }

    void StartJob(std::unique_ptr<Job> owned) {
      Job* job = owned.get();
      jobs[job->seq] = std::move(owned);
      job->first_start = impl->clock->Now();
      if (job->retry) {
        job->max_age_deadline = job->first_start + job->retry->max_age;
        const uint64_t seq = job->seq;
        job->max_age_timer = loop->PostTaskAt(*job->max_age_deadline,
                                              [this, seq] { OnMaxAge(seq); });
      }
      StartAttempt(job, /*first=*/true);
    }

    void StartAttempt(Job* job, bool first) {
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
        job->headers.emplace_back("Retry-Attempt",
                                  absl::StrCat(job->retries_started));
      }
      job->redirects = 0;
      job->resent_on_fresh_connection = false;
      job->attempt_started = impl->clock->Now();
      job->state = RequestState::kInFlight;
      impl->AddBusy(1);  // until FinishAttempt
      impl->Publish(MakeStatus(job));
      if (impl->options.attempt_observer) {
        AttemptEvent event;
        event.type = AttemptEvent::Type::kStarted;
        event.request_id = job->id;
        event.retry_attempt = job->retries_started;
        event.method = &job->method;
        event.url = &job->url;
        impl->options.attempt_observer(event);
      }
      job->attempt_deadline =
          std::chrono::steady_clock::now() +
          absl::ToChronoNanoseconds(impl->options.attempt_timeout);
      ArmAttemptTimer(job);
      StartHop(job);
    }

    void ArmAttemptTimer(Job* job) {
      const uint64_t seq = job->seq, token = job->attempt_token;
      const auto left =
          job->attempt_deadline - std::chrono::steady_clock::now();
      job->attempt_timer = loop->PostTaskAfterRealDelay(
          absl::FromChrono(std::max<std::chrono::steady_clock::duration>(
              left, std::chrono::steady_clock::duration::zero())),
          [this, seq, token] { OnAttemptTimeout(seq, token); });
    }

    void StartHop(Job* job) {
      // HTTPS only: no upgrade, no exception (not even http://localhost).
      if (job->url.scheme() != "https") {
        FinishAttempt(
            job, std::nullopt,
            NetworkError::Make(
                NetworkErrorKind::kNotHttps, false,
                absl::StrCat("refused: ", job->url.Serialize(true),
                             " is not https (HTTPS only, no upgrade)")));
        return;
      }
      const std::optional<uint16_t> port = job->url.EffectivePort();
      if (!job->url.host() || !port || IsBadPort(*port)) {
        FinishAttempt(
            job, std::nullopt,
            NetworkError::Make(NetworkErrorKind::kBadPort, false,
                               absl::StrCat("refused: port ", port.value_or(0),
                                            " is a Fetch bad port")));
        return;
      }
      if (!job->key)
        job->key = MakePoolKey(job->url, job->nik);
      auto it = pools.find(*job->key);
      if (it == pools.end()) {
        const size_t owner = impl->ShardFor(*job->key);
        if (owner != index) {
          // A redirect (or a retry after one) to a pool pinned to another
          // loop: the job moves there, so each pool stays on one loop.
          MigrateTo(job, impl->shards[owner].get());
          return;
        }
        it = pools.try_emplace(*job->key, *job->key).first;
      }
      job->pool = &it->second;
      AcquireConnection(job, /*force_new=*/false);
    }

    void MigrateTo(Job* job, Shard* to) {
      loop->CancelTimer(job->attempt_timer);
      job->attempt_timer = 0;
      job->rearm_max_age_timer = job->max_age_timer != 0;
      loop->CancelTimer(job->max_age_timer);
      job->max_age_timer = 0;
      job->pool = nullptr;
      auto node = jobs.extract(job->seq);
      to->Enqueue(std::move(node.mapped()), /*migrated=*/true);
    }

    void ResumeMigrated(std::unique_ptr<Job> owned) {
      Job* job = owned.get();
      jobs[job->seq] = std::move(owned);
      if (job->rearm_max_age_timer) {
        job->rearm_max_age_timer = false;
        const uint64_t seq = job->seq;
        job->max_age_timer = loop->PostTaskAt(*job->max_age_deadline,
                                              [this, seq] { OnMaxAge(seq); });
      }
      ArmAttemptTimer(job);
      StartHop(job);
    }

    void AcquireConnection(Job* job, bool force_new) {
      Pool& pool = *job->pool;
      if (!force_new) {
        for (auto& conn : pool.connections) {
          if (conn->idle()) {
            SendOn(job, conn.get(), /*reused=*/true);
            return;
          }
        }
      }
      if (pool.connections.size() >= impl->options.max_connections_per_pool) {
        job->queued = true;
        pool.queue.push_back(job->seq);
        return;
      }
      absl::StatusOr<std::vector<IpEndpoint>> endpoints =
          impl->resolver.Resolve(*job->url.host(), pool.key.port);
      if (!endpoints.ok()) {
        FinishAttempt(
            job, std::nullopt,
            NetworkError::Make(NetworkErrorKind::kDnsFailure, false,
                               std::string(endpoints.status().message())));
        return;
      }
      auto owned = std::make_unique<HttpsConnection>(
          loop.get(), impl->tls.get(), impl->next_connection_id.fetch_add(1),
          *job->url.host());
      HttpsConnection* conn = owned.get();
      pool.connections.push_back(std::move(owned));
      impl->CountConnections(pool);
      job->connection = conn;
      job->connection_id = conn->id();
      job->connection_reused = false;
      Pool* p = &pool;
      conn->SetIdleCloseCallback([this, p, conn] {
        RemoveConnection(*p, conn);
        DispatchQueued(*p);
      });
      const uint64_t seq = job->seq, token = job->attempt_token;
      conn->Connect(
          std::move(*endpoints),
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
              // The job timed out meanwhile; others may use the connection.
              DispatchQueued(*p);
            }
          });
    }

    void SendOn(Job* job, HttpsConnection* conn, bool reused) {
      job->queued = false;
      job->connection = conn;
      job->connection_reused = reused;
      job->connection_id = conn->id();
      Pool* p = job->pool;
      absl::StatusOr<std::string> bytes =
          SerializeRequest(job->method, job->url, job->headers, job->body,
                           HostHeaderValue(job->url));
      if (!bytes.ok()) {
        // Nothing was written: the connection stays idle for the next queued
        // request.
        job->connection = nullptr;
        FinishAttempt(
            job, std::nullopt,
            NetworkError::Make(NetworkErrorKind::kInvalidRequest, false,
                               std::string(bytes.status().message())));
        DispatchQueued(*p);
        return;
      }
      const uint64_t seq = job->seq, token = job->attempt_token;
      conn->SendRequest(
          std::move(*bytes), job->method == "HEAD",
          [this, seq, token, conn, p](HttpsConnection::Result result) {
            OnResponse(seq, token, conn, *p, std::move(result));
          });
    }

    void OnResponse(uint64_t seq,
                    uint64_t token,
                    HttpsConnection* conn,
                    Pool& pool,
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
          // The server may have closed the idle connection just as we reused
          // it: try once more on a new connection, within the same attempt
          // (Chromium does the same for reused sockets).
          job->resent_on_fresh_connection = true;
          AcquireConnection(job, /*force_new=*/true);
          DispatchQueued(pool);
          return;
        }
        FinishAttempt(job, std::nullopt, std::move(*result.error));
        DispatchQueued(pool);
        return;
      }
      if (IsFollowedRedirect(result.status_code) && result.location) {
        absl::StatusOr<RedirectStep> step = ComputeRedirect(
            {job->method, job->body, job->headers}, job->url,
            result.status_code, *result.location, job->redirects);
        if (!step.ok()) {
          const bool too_many = absl::IsOutOfRange(step.status());
          FinishAttempt(
              job, std::nullopt,
              NetworkError::Make(too_many ? NetworkErrorKind::kTooManyRedirects
                                          : NetworkErrorKind::kInvalidRedirect,
                                 true, std::string(step.status().message())));
        } else {
          ++job->redirects;
          job->url = std::move(step->url);
          job->method = std::move(step->method);
          job->body = std::move(step->body);
          job->headers = std::move(step->headers);
          job->key.reset();
          StartHop(job);  // may move the job to another shard
        }
        DispatchQueued(pool);
        return;
      }
      FinishAttempt(job, result.status_code, std::nullopt);
      DispatchQueued(pool);
    }

    void OnAttemptTimeout(uint64_t seq, uint64_t token) {
      Job* job = FindJob(seq, token);
      if (job == nullptr || job->state != RequestState::kInFlight)
        return;
      job->attempt_timer = 0;
      bool server_reached = false;
      Pool* pool = job->pool;
      if (job->connection != nullptr) {
        server_reached = job->connection->tcp_connected();
        HttpsConnection* conn = job->connection;
        job->connection = nullptr;
        conn->Close();
        RemoveConnection(*pool, conn);
      }
      FinishAttempt(
          job, std::nullopt,
          NetworkError::Make(
              NetworkErrorKind::kTimedOut, server_reached,
              absl::StrCat("no complete response within ",
                           absl::FormatDuration(impl->options.attempt_timeout),
                           server_reached ? "" : " (not connected)")));
      if (pool != nullptr)
        DispatchQueued(*pool);
    }

    // Hands idle or newly allowed connections to queued jobs of `pool`.
    void DispatchQueued(Pool& pool) {
      while (!pool.queue.empty()) {
        HttpsConnection* idle = nullptr;
        for (auto& conn : pool.connections) {
          if (conn->idle()) {
            idle = conn.get();
            break;
          }
        }
        if (idle == nullptr &&
            pool.connections.size() >= impl->options.max_connections_per_pool)
          return;
        const uint64_t seq = pool.queue.front();
        pool.queue.pop_front();
        auto job_it = jobs.find(seq);
        if (job_it == jobs.end())
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

    void RemoveConnection(Pool& pool, HttpsConnection* conn) {
      auto& conns = pool.connections;
      for (auto c = conns.begin(); c != conns.end(); ++c) {
        if (c->get() != conn)
          continue;
        std::shared_ptr<HttpsConnection> doomed(std::move(*c));
        conns.erase(c);
        doomed->Close();
        // Destroyed in a later task: we may be inside one of its callbacks.
        loop->PostTask([doomed] {});
        break;
      }
      impl->CountConnections(pool);
    }

    Job* FindJob(uint64_t seq, uint64_t token) {
      auto it = jobs.find(seq);
      if (it == jobs.end() || it->second->attempt_token != token)
        return nullptr;
      return it->second.get();
    }

    RequestStatus MakeStatus(const Job* job,
                             std::string note = {},
                             std::optional<absl::Time> next_retry_at = {},
                             std::optional<int> http_status = {}) {
      RequestStatus status;
      status.request_id = job->id;
      status.state = job->state;
      status.retries_started = job->retries_started;
      status.next_retry_at = next_retry_at;
      status.max_age_deadline = job->max_age_deadline;
      status.last_error = job->last_error;
      status.http_status = http_status;
      status.note = std::move(note);
      return status;
    }

    // Ends the current attempt with a response (`http_status`) or `error`,
    // then decides what next.
    void FinishAttempt(Job* job,
                       std::optional<int> http_status,
                       std::optional<NetworkError> error) {
      loop->CancelTimer(job->attempt_timer);
      job->attempt_timer = 0;
      if (job->queued) {
        auto& queue = job->pool->queue;
        queue.erase(std::remove(queue.begin(), queue.end(), job->seq),
                    queue.end());
        job->queued = false;
      }
      ++job->attempt_token;  // late callbacks for this attempt are ignored
      AttemptEntry record;
      record.request_id = job->id;
      record.retry_attempt = job->retries_started;
      record.redirects = job->redirects;
      record.http_status = http_status;
      record.connection_reused = job->connection_reused;
      record.connection_id = job->connection_id;
      record.started_at = job->attempt_started;
      record.finished_at = impl->clock->Now();
      job->connection_id = 0;
      job->connection_reused = false;

      std::optional<RequestStatus> status;
      if (http_status) {
        job->state = RequestState::kSucceeded;
        status = MakeStatus(job, {}, std::nullopt, http_status);
      } else {
        job->last_error = error;
        if (!job->retry) {
          job->state = RequestState::kFailed;
          record.retry_decision = "no retryOptions: final";
          status = MakeStatus(job);
        } else if (job->expired) {
          job->state = RequestState::kFailed;
          record.retry_decision = "maxAge reached during the attempt: final";
          status = MakeStatus(job);
        } else {
          RetryContext context;
          context.error = *error;
          context.method = job->original->method;
          context.retries_done = job->retries_started;
          context.max_retries_per_initiator =
              impl->options.retry_caps.max_retries_per_initiator;
          context.saw_redirect = job->redirects > 0;
          context.initiator_gone = job->initiator_gone.load();
          context.age = record.finished_at - job->first_start;
          RetryDecision decision;
          {
            // Read, decide and count under one lock: the per-initiator cap
            // holds across loops.
            absl::MutexLock lock(&impl->policy_mu);
            uint32_t& granted = impl->initiator_retries[job->nik];
            context.initiator_retries = granted;
            const double unit = impl->options.jitter_for_testing
                                    ? impl->options.jitter_for_testing()
                                    : impl->jitter.NextUnit();
            context.next_delay =
                BackoffDelay(*job->retry, job->retries_started + 1, unit);
            decision = DecideRetry(*job->retry, context);
            if (decision.retry)
              ++granted;
          }
          record.retry_decision = std::move(decision.reason);
          if (decision.retry) {
            const absl::Time due = record.finished_at + context.next_delay;
            job->state = RequestState::kRetryScheduled;
            const uint64_t seq = job->seq;
            job->retry_timer =
                loop->PostTaskAt(due, [this, seq] { OnRetryTimer(seq); });
            record.retry_decision =
                absl::StrCat("retry ", job->retries_started + 1, " in ",
                             absl::FormatDuration(context.next_delay));
            status = MakeStatus(job, {}, due);
          } else {
            job->state = RequestState::kFailedPendingMaxAge;
            status = MakeStatus(job, record.retry_decision);
          }
        }
      }
      record.error = std::move(error);
      // The attempt's URL and method are not used again (a retry starts from
      // the original): move them into the record.
      record.method = std::move(job->method);
      record.url.emplace(std::move(job->url));
      const bool final = IsFinal(job->state);
      if (final) {
        loop->CancelTimer(job->retry_timer);
        loop->CancelTimer(job->max_age_timer);
      }
      if (impl->options.attempt_observer)
        ObserveFinishedAttempt(record, status->next_retry_at);
      // The request's status, then the attempt record, then idleness, in one
      // step: an observer that saw the record (or idleness) also sees the
      // status it led to.
      impl->Publish(std::move(*status), &record);
      if (final)
        EraseJob(job);
    }

    // Tells the attempt observer how `record` ended (before it is published,
    // so an observer has seen it once the stage is idle).
    void ObserveFinishedAttempt(const AttemptEntry& record,
                                std::optional<absl::Time> next_retry_at) {
      AttemptEvent event;
      event.request_id = record.request_id;
      event.retry_attempt = record.retry_attempt;
      event.method = &record.method;
      event.url = record.url ? &*record.url : nullptr;
      if (record.http_status) {
        event.type = AttemptEvent::Type::kSent;
        event.http_status = record.http_status;
        impl->options.attempt_observer(event);
        return;
      }
      event.type = AttemptEvent::Type::kFailed;
      event.error = record.error ? &*record.error : nullptr;
      event.retry_decision = &record.retry_decision;
      impl->options.attempt_observer(event);
      if (next_retry_at) {
        event.type = AttemptEvent::Type::kRetryScheduled;
        event.error = nullptr;
        event.retry_decision = nullptr;
        event.retry_delay = *next_retry_at - record.finished_at;
        impl->options.attempt_observer(event);
      }
    }

    void OnRetryTimer(uint64_t seq) {
      auto it = jobs.find(seq);
      if (it == jobs.end())
        return;
      Job* job = it->second.get();
      job->retry_timer = 0;
      if (job->state != RequestState::kRetryScheduled)
        return;
      MaybeStartRetry(job);
    }

    // The retry is due: run it, or wait for a document with the same network
    // isolation key.
    void MaybeStartRetry(Job* job) {
      if (job->initiator_gone.load()) {
        if (!job->retry->retry_after_unload) {
          job->state = RequestState::kFailedPendingMaxAge;
          impl->Publish(MakeStatus(
              job, "the initiator is gone and retryAfterUnload is false"));
          return;
        }
        // Explainer: a retry after unload runs only while a same-NIK document
        // is fully active. The count is read and the job parked in one task of
        // this loop; OnDocumentActive() bumps the count before it posts the
        // release here, so the release cannot be missed.
        if (!impl->HasActiveDocument(job->nik)) {
          job->state = RequestState::kWaitingForSameNikDocument;
          if (impl->options.attempt_observer) {
            AttemptEvent event;
            event.type = AttemptEvent::Type::kWaitingForSameNikDocument;
            event.request_id = job->id;
            event.retry_attempt = job->retries_started + 1;
            impl->options.attempt_observer(event);
          }
          impl->Publish(
              MakeStatus(job,
                         "waiting for a fully active document with the same "
                         "network isolation key"));
          return;
        }
      }
      ++job->retries_started;
      StartAttempt(job, /*first=*/false);
    }

    void OnMaxAge(uint64_t seq) {
      auto it = jobs.find(seq);
      if (it == jobs.end())
        return;
      Job* job = it->second.get();
      job->max_age_timer = 0;
      if (job->state == RequestState::kInFlight) {
        job->expired = true;  // the running attempt decides; no retry after it
        return;
      }
      std::string note = absl::StrCat(
          "maxAge reached in state \"", RequestStateName(job->state),
          "\"; surfacing ", job->last_error ? job->last_error->ToString() : "");
      loop->CancelTimer(job->retry_timer);
      job->retry_timer = 0;
      job->state = RequestState::kFailed;
      impl->Publish(MakeStatus(job, std::move(note)));
      EraseJob(job);
    }

    void EraseJob(Job* job) {
      impl->Unregister(job);
      jobs.erase(job->seq);
    }

    // A document with `key` became active: release this loop's waiting jobs.
    void ReleaseWaiting(const NetworkIsolationKey& key) {
      std::vector<Job*> released;
      for (auto& [seq, job] : jobs) {
        if (job->state == RequestState::kWaitingForSameNikDocument &&
            job->nik == key) {
          released.push_back(job.get());
        }
      }
      // Oldest first.
      std::sort(released.begin(), released.end(),
                [](const Job* a, const Job* b) { return a->seq < b->seq; });
      for (Job* job : released)
        MaybeStartRetry(job);
    }

    struct Incoming {
      std::unique_ptr<Job> job;
      bool migrated = false;
    };

    Impl* const impl;
    const size_t index;
    // Declared first, destroyed last: connections and jobs unwatch on it.
    std::unique_ptr<EventLoop> loop;

    absl::Mutex inbox_mu;
    std::vector<Incoming> inbox ABSL_GUARDED_BY(inbox_mu);

    // Loop thread only.
    absl::flat_hash_map<uint64_t, std::unique_ptr<Job>> jobs;
    absl::node_hash_map<PoolKey, Pool> pools;  // the pools pinned here
  };

  Impl(Options opts,
       std::unique_ptr<TlsClientContext> tls_context,
       HostResolver host_resolver)
      : options(std::move(opts)),
        clock(options.clock ? options.clock : &real_clock),
        tls(std::move(tls_context)),
        resolver(std::move(host_resolver)),
        jitter(options.jitter_seed) {
    const size_t n = options.event_loops == 0 ? DefaultEventLoopCount()
                                              : options.event_loops;
    for (size_t i = 0; i < n; ++i)
      shards.push_back(std::make_unique<Shard>(this, i));
  }

  // ---- Any thread ----

  void AddBusy(int64_t n) { busy.fetch_add(n, std::memory_order_relaxed); }
  void DoneBusy(int64_t n) {
    if (n == 0)
      return;
    if (busy.fetch_sub(n, std::memory_order_acq_rel) == n) {
      // Idle now: let WaitForIdle() re-check its condition.
      absl::MutexLock lock(&mu);
    }
  }

  // Runs `fn(shard)` on every loop; WaitForIdle() counts each as busy until
  // it has run.
  template <typename Fn>
  void Broadcast(Fn fn) {
    AddBusy(static_cast<int64_t>(shards.size()));
    for (auto& shard : shards) {
      Shard* s = shard.get();
      s->loop->PostTask([this, s, fn] {
        fn(*s);
        DoneBusy(1);
      });
    }
  }

  // The loop that owns the pool for `key`. A pool is pinned to a loop when it
  // is first used and never moves, so its FIFO queue and connection cap stay
  // in one place. New pools go round-robin rather than by hash: a burst to a
  // handful of origins (4 in the flush benchmark) must spread evenly over the
  // loops, which a hash of 4 keys onto 2 loops often does not (1/8 of the
  // time all four land on one).
  size_t ShardFor(const PoolKey& key) {
    if (shards.size() == 1)
      return 0;
    absl::MutexLock lock(&route_mu);
    return ShardForLocked(key);
  }
  size_t ShardForLocked(const PoolKey& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(route_mu) {
    auto [it, inserted] = pool_shard.try_emplace(key, next_pool_shard);
    if (inserted)
      next_pool_shard = (next_pool_shard + 1) % shards.size();
    return it->second;
  }

  // A new job: registers it (for OnInitiatorGone) and returns the shard of
  // its first pool (any shard when it will be refused without a socket).
  size_t Register(Job* job) {
    absl::MutexLock lock(&route_mu);
    jobs_by_request_id[job->id].push_back(job);
    if (!job->key || shards.size() == 1)
      return job->seq % shards.size();
    return ShardForLocked(*job->key);
  }

  // Before `job` is destroyed (on its loop).
  void Unregister(Job* job) {
    absl::MutexLock lock(&route_mu);
    auto it = jobs_by_request_id.find(job->id);
    if (it == jobs_by_request_id.end())
      return;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), job), v.end());
    if (v.empty())
      jobs_by_request_id.erase(it);
  }

  bool HasActiveDocument(const NetworkIsolationKey& key) {
    absl::MutexLock lock(&policy_mu);
    auto docs = active_documents.find(key);
    return docs != active_documents.end() && docs->second > 0;
  }

  // Sets `status` and, when given, appends `attempt` (ending an attempt:
  // WaitForIdle() stops counting it) in one critical section.
  void Publish(RequestStatus status, AttemptEntry* attempt = nullptr) {
    absl::MutexLock lock(&mu);
    const uint64_t id = status.request_id;
    const bool final = IsFinal(status.state);
    statuses.insert_or_assign(id, std::move(status));
    if (final) {
      finished_ids.push_back(id);
      while (finished_ids.size() > options.max_finished_statuses) {
        auto it = statuses.find(finished_ids.front());
        if (it != statuses.end() && IsFinal(it->second.state))
          statuses.erase(it);
        finished_ids.pop_front();
      }
    }
    if (attempt != nullptr) {
      attempt_log.push_back(std::move(*attempt));
      ++attempts_recorded;
      while (attempt_log.size() > options.max_attempt_records)
        attempt_log.pop_front();
      // WaitForIdle() waiters re-check when `mu` is released.
      busy.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  void CountConnections(const Pool& pool) {
    const size_t n = pool.connections.size();
    absl::MutexLock lock(&mu);
    auto it = connection_counts.find(pool.key);
    if (it == connection_counts.end())
      it = connection_counts.try_emplace(pool.key).first;
    it->second.open = n;
    it->second.peak = std::max(it->second.peak, n);
  }

  // ---- State ----

  const Options options;
  RealClock real_clock;
  const Clock* const clock;
  const std::unique_ptr<TlsClientContext> tls;
  const HostResolver resolver;
  std::atomic<uint64_t> next_seq{1};
  std::atomic<uint64_t> next_connection_id{1};
  // Send()s not yet started, attempts in flight, broadcasts not yet run.
  std::atomic<int64_t> busy{0};

  // Which loop owns each pool; which jobs belong to each request id (for
  // OnInitiatorGone(), wherever the job's loop is).
  absl::Mutex route_mu;
  absl::flat_hash_map<PoolKey, size_t> pool_shard ABSL_GUARDED_BY(route_mu);
  size_t next_pool_shard ABSL_GUARDED_BY(route_mu) = 0;
  absl::flat_hash_map<uint64_t, absl::InlinedVector<Job*, 1>> jobs_by_request_id
      ABSL_GUARDED_BY(route_mu);

  // Retry policy state shared by every loop (touched only when an attempt
  // fails or a document comes or goes).
  absl::Mutex policy_mu;
  JitterSource jitter ABSL_GUARDED_BY(policy_mu);
  absl::flat_hash_map<NetworkIsolationKey, int> active_documents
      ABSL_GUARDED_BY(policy_mu);
  // Per-initiator retry cap, counted per network isolation key (see
  // net/retry_policy.h).
  absl::flat_hash_map<NetworkIsolationKey, uint32_t> initiator_retries
      ABSL_GUARDED_BY(policy_mu);

  // Observability, any thread.
  struct ConnectionCount {
    size_t open = 0;
    size_t peak = 0;
  };
  mutable absl::Mutex mu;
  std::deque<AttemptEntry> attempt_log ABSL_GUARDED_BY(mu);  // the newest
  uint64_t attempts_recorded ABSL_GUARDED_BY(mu) = 0;        // ever
  absl::flat_hash_map<uint64_t, RequestStatus> statuses ABSL_GUARDED_BY(mu);
  std::deque<uint64_t> finished_ids ABSL_GUARDED_BY(mu);  // oldest first
  absl::flat_hash_map<PoolKey, ConnectionCount> connection_counts
      ABSL_GUARDED_BY(mu);

  // Last: stopped (by the stage's destructor) before anything above goes.
  std::vector<std::unique_ptr<Shard>> shards;
};

absl::StatusOr<std::unique_ptr<HttpsNetworkStage>> HttpsNetworkStage::Create(
    Options options) {
  if (options.max_connections_per_pool == 0) {
    return absl::InvalidArgumentError(
        "max_connections_per_pool must be at least 1");
  }
  if (options.event_loops > kMaxEventLoops) {
    return absl::InvalidArgumentError(
        absl::StrCat("event_loops must be at most ", kMaxEventLoops));
  }
  if (options.max_attempt_records == 0 || options.max_finished_statuses == 0) {
    return absl::InvalidArgumentError(
        "max_attempt_records and max_finished_statuses must be at least 1");
  }
  TlsClientContext::Options tls_options;
  tls_options.ca_pem = options.ca_pem;
  tls_options.ca_bundle_path = options.ca_bundle_path;
  absl::StatusOr<std::unique_ptr<TlsClientContext>> tls =
      TlsClientContext::Create(tls_options);
  if (!tls.ok())
    return tls.status();
  absl::StatusOr<HostResolver> resolver =
      HostResolver::Create(options.host_resolver_rules);
  if (!resolver.ok())
    return resolver.status();
  return std::unique_ptr<HttpsNetworkStage>(
      new HttpsNetworkStage(std::make_unique<Impl>(
          std::move(options), std::move(*tls), std::move(*resolver))));
}

HttpsNetworkStage::HttpsNetworkStage(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

HttpsNetworkStage::~HttpsNetworkStage() {
  // Stop every loop first: from then on nothing runs concurrently, and
  // connections can be closed from this thread.
  for (auto& shard : impl_->shards)
    shard->loop->Stop();
  for (auto& shard : impl_->shards) {
    shard->jobs.clear();
    shard->pools.clear();
    absl::MutexLock lock(&shard->inbox_mu);
    shard->inbox.clear();
  }
}

size_t HttpsNetworkStage::event_loop_count() const {
  return impl_->shards.size();
}

void HttpsNetworkStage::Send(OutgoingRequest request) {
  Impl* impl = impl_.get();
  std::optional<EffectiveRetryOptions> retry;
  if (request.retry_options)
    retry = ClampRetryOptions(*request.retry_options, impl->options.retry_caps);
  std::optional<PoolKey> key;
  if (UsesAPool(request.url))
    key = MakePoolKey(request.url, request.network_isolation_key);
  auto job = std::make_unique<Impl::Job>(impl->next_seq.fetch_add(1),
                                         std::move(request), std::move(retry));
  job->key = std::move(key);
  impl->AddBusy(1);  // until the loop has started it
  const size_t shard = impl->Register(job.get());
  impl->shards[shard]->Enqueue(std::move(job), /*migrated=*/false);
}

void HttpsNetworkStage::OnDocumentActive(const NetworkIsolationKey& key) {
  Impl* impl = impl_.get();
  {
    absl::MutexLock lock(&impl->policy_mu);
    ++impl->active_documents[key];
  }
  // Then release the waiting jobs, on the loops that own them.
  impl->Broadcast([key](Impl::Shard& shard) { shard.ReleaseWaiting(key); });
}

void HttpsNetworkStage::OnDocumentInactive(const NetworkIsolationKey& key) {
  Impl* impl = impl_.get();
  absl::MutexLock lock(&impl->policy_mu);
  auto it = impl->active_documents.find(key);
  if (it == impl->active_documents.end())
    return;
  if (--it->second <= 0)
    impl->active_documents.erase(it);
}

void HttpsNetworkStage::OnInitiatorGone(uint64_t request_id) {
  Impl* impl = impl_.get();
  // Set on the job itself, wherever it is (even moving between loops); its
  // loop reads it when an attempt fails or a retry is due.
  absl::MutexLock lock(&impl->route_mu);
  auto it = impl->jobs_by_request_id.find(request_id);
  if (it == impl->jobs_by_request_id.end())
    return;
  for (Impl::Job* job : it->second)
    job->initiator_gone.store(true);
}

std::vector<HttpsNetworkStage::AttemptRecord> HttpsNetworkStage::attempts()
    const {
  std::vector<AttemptRecord> out;
  absl::MutexLock lock(&impl_->mu);
  out.reserve(impl_->attempt_log.size());
  for (const auto& entry : impl_->attempt_log)
    out.push_back(entry.ToRecord());
  return out;
}

size_t HttpsNetworkStage::WaitForAttempts(size_t count,
                                          absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto enough = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(impl_->mu) {
    return impl_->attempts_recorded >= count;
  };
  impl_->mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return impl_->attempts_recorded;
}

bool HttpsNetworkStage::WaitForIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  // Idle: nothing in flight, and no retry whose time has come but whose timer
  // has not fired yet (a virtual clock may have just been moved past it).
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(impl_->mu) {
    if (impl_->busy.load(std::memory_order_acquire) != 0)
      return false;
    const absl::Time now = impl_->clock->Now();
    for (const auto& [id, status] : impl_->statuses) {
      if (status.state == RequestState::kRetryScheduled &&
          status.next_retry_at && *status.next_retry_at <= now) {
        return false;
      }
    }
    return true;
  };
  return impl_->mu.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

std::optional<HttpsNetworkStage::RequestStatus>
HttpsNetworkStage::GetRequestStatus(uint64_t request_id) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->statuses.find(request_id);
  if (it == impl_->statuses.end())
    return std::nullopt;
  return it->second;
}

bool HttpsNetworkStage::WaitForRequestState(uint64_t request_id,
                                            RequestState state,
                                            absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto reached = [this, request_id,
                  state]() ABSL_SHARED_LOCKS_REQUIRED(impl_->mu) {
    auto it = impl_->statuses.find(request_id);
    return it != impl_->statuses.end() && it->second.state == state;
  };
  return impl_->mu.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

size_t HttpsNetworkStage::OpenConnectionCount(
    const Url& url,
    const NetworkIsolationKey& key) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->connection_counts.find(MakePoolKey(url, key));
  return it == impl_->connection_counts.end() ? 0 : it->second.open;
}

size_t HttpsNetworkStage::PeakConnectionCount(
    const Url& url,
    const NetworkIsolationKey& key) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->connection_counts.find(MakePoolKey(url, key));
  return it == impl_->connection_counts.end() ? 0 : it->second.peak;
}

size_t HttpsNetworkStage::TotalOpenConnections() const {
  absl::MutexLock lock(&impl_->mu);
  size_t total = 0;
  for (const auto& [key, n] : impl_->connection_counts)
    total += n.open;
  return total;
}

std::vector<HttpsNetworkStage::RequestStatus>
HttpsNetworkStage::UnfinishedRequests() const {
  std::vector<RequestStatus> out;
  {
    absl::MutexLock lock(&impl_->mu);
    for (const auto& [id, status] : impl_->statuses) {
      if (!IsFinal(status.state))
        out.push_back(status);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RequestStatus& a, const RequestStatus& b) {
              return a.request_id < b.request_id;
            });
  return out;
}

std::vector<HttpsNetworkStage::PoolInfo> HttpsNetworkStage::Pools() const {
  std::vector<PoolInfo> out;
  {
    absl::MutexLock lock(&impl_->mu);
    for (const auto& [key, n] : impl_->connection_counts)
      out.push_back(PoolInfo{key.ToString(), n.open, n.peak});
  }
  std::sort(out.begin(), out.end(),
            [](const PoolInfo& a, const PoolInfo& b) { return a.key < b.key; });
  return out;
}

}  // namespace fetch_later::net
