#include "net/https_network_stage.h"

#include <algorithm>
#include <deque>
#include <utility>

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

// Fetch: "HTTP-redirect fetch" — the only statuses the stage follows.
bool IsFollowedRedirect(int status) {
  return IsRedirectStatus(status);
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

struct HttpsNetworkStage::Impl {
  // One request handed to Send(), through all its attempts. Loop thread only.
  struct Job {
    explicit Job(OutgoingRequest request)
        : original(std::move(request)),
          url(original.url),
          key(MakePoolKey(original.url, original.network_isolation_key)) {}

    uint64_t seq = 0;
    OutgoingRequest original;
    std::optional<EffectiveRetryOptions> retry;
    bool initiator_gone = false;
    uint32_t retries_started = 0;
    absl::Time first_start;
    std::optional<absl::Time> max_age_deadline;
    RequestState state = RequestState::kInFlight;
    EventLoop::TimerId retry_timer = 0;
    EventLoop::TimerId max_age_timer = 0;
    std::optional<NetworkError> last_error;
    bool expired = false;  // maxAge passed while an attempt was in flight

    // The current attempt.
    uint64_t attempt_token =
        0;  // bumps per attempt: stale callbacks compare it
    EventLoop::TimerId attempt_timer = 0;
    Url url;
    std::string method;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    int redirects = 0;
    absl::Time attempt_started;
    PoolKey key;
    HttpsConnection* connection = nullptr;  // owned by the pool
    bool queued = false;
    bool connection_reused = false;
    uint64_t connection_id = 0;
    bool resent_on_fresh_connection = false;
  };

  struct Pool {
    std::vector<std::unique_ptr<HttpsConnection>> connections;
    std::deque<uint64_t> queue;  // job seqs waiting for a connection
  };

  Impl(Options opts,
       std::unique_ptr<TlsClientContext> tls_context,
       HostResolver host_resolver)
      : options(std::move(opts)),
        clock(options.clock ? options.clock : &real_clock),
        tls(std::move(tls_context)),
        resolver(std::move(host_resolver)),
        jitter(options.jitter_seed) {
    loop = std::make_unique<EventLoop>(clock);
  }

  // Runs `task` on the loop; WaitForIdle() counts it as busy until it has run.
  // Any thread.
  void PostCounted(std::function<void()> task) {
    {
      absl::MutexLock lock(&mu);
      ++busy;
    }
    loop->PostTask([this, task = std::move(task)] {
      task();  // an attempt it starts counts itself
      absl::MutexLock lock(&mu);
      --busy;
    });
  }

  // ---- Loop thread
  // ----------------------------------------------------------------------

  void StartJob(OutgoingRequest request) {
    auto job = std::make_unique<Job>(std::move(request));
    job->seq = next_seq++;
    job->initiator_gone = job->original.initiator_gone;
    if (job->original.retry_options) {
      job->retry =
          ClampRetryOptions(*job->original.retry_options, options.retry_caps);
    }
    job->first_start = clock->Now();
    if (job->retry) {
      job->max_age_deadline = job->first_start + job->retry->max_age;
      const uint64_t seq = job->seq;
      job->max_age_timer = loop->PostTaskAt(*job->max_age_deadline,
                                            [this, seq] { OnMaxAge(seq); });
    }
    Job* raw = job.get();
    jobs[raw->seq] = std::move(job);
    StartAttempt(raw);
  }

  void StartAttempt(Job* job) {
    ++job->attempt_token;
    job->url = job->original.url;
    job->method = job->original.method;
    job->body = job->original.body;
    job->headers.clear();
    for (const auto& header : job->original.headers) {
      // The stage owns Retry-Attempt (fetch-retry explainer); the caller cannot
      // set it.
      if (!absl::EqualsIgnoreCase(header.first, "retry-attempt"))
        job->headers.push_back(header);
    }
    if (job->retries_started > 0) {
      job->headers.emplace_back("Retry-Attempt",
                                absl::StrCat(job->retries_started));
    }
    job->redirects = 0;
    job->resent_on_fresh_connection = false;
    job->attempt_started = clock->Now();
    job->state = RequestState::kInFlight;
    {
      absl::MutexLock lock(&mu);
      ++busy;
    }
    PublishStatus(job, "");
    const uint64_t seq = job->seq, token = job->attempt_token;
    job->attempt_timer = loop->PostTaskAfterRealDelay(
        options.attempt_timeout,
        [this, seq, token] { OnAttemptTimeout(seq, token); });
    StartHop(job);
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
    job->key = MakePoolKey(job->url, job->original.network_isolation_key);
    AcquireConnection(job, /*force_new=*/false);
  }

  void AcquireConnection(Job* job, bool force_new) {
    Pool& pool = pools[job->key];
    if (!force_new) {
      for (auto& conn : pool.connections) {
        if (conn->idle()) {
          SendOn(job, conn.get(), /*reused=*/true);
          return;
        }
      }
    }
    if (pool.connections.size() >= options.max_connections_per_pool) {
      job->queued = true;
      pool.queue.push_back(job->seq);
      return;
    }
    absl::StatusOr<std::vector<IpEndpoint>> endpoints =
        resolver.Resolve(*job->url.host(), job->key.port);
    if (!endpoints.ok()) {
      FinishAttempt(
          job, std::nullopt,
          NetworkError::Make(NetworkErrorKind::kDnsFailure, false,
                             std::string(endpoints.status().message())));
      return;
    }
    auto owned = std::make_unique<HttpsConnection>(
        loop.get(), tls.get(), next_connection_id++, *job->url.host());
    HttpsConnection* conn = owned.get();
    pool.connections.push_back(std::move(owned));
    CountConnections(job->key);
    job->connection = conn;
    job->connection_id = conn->id();
    job->connection_reused = false;
    const PoolKey key = job->key;
    conn->SetIdleCloseCallback([this, key, conn] {
      RemoveConnection(key, conn);
      DispatchQueued(key);
    });
    const uint64_t seq = job->seq, token = job->attempt_token;
    conn->Connect(
        std::move(*endpoints),
        [this, seq, token, conn, key](std::optional<NetworkError> error) {
          Job* job = FindJob(seq, token);
          if (error) {
            RemoveConnection(key, conn);
            if (job) {
              job->connection = nullptr;
              FinishAttempt(job, std::nullopt, std::move(*error));
            }
            DispatchQueued(key);
            return;
          }
          if (job) {
            SendOn(job, conn, /*reused=*/false);
          } else {
            DispatchQueued(
                key);  // the job timed out meanwhile; others may use it
          }
        });
  }

  void SendOn(Job* job, HttpsConnection* conn, bool reused) {
    job->queued = false;
    job->connection = conn;
    job->connection_reused = reused;
    job->connection_id = conn->id();
    absl::StatusOr<std::string> bytes =
        SerializeRequest(job->method, job->url, job->headers, job->body,
                         HostHeaderValue(job->url));
    if (!bytes.ok()) {
      // Nothing was written: the connection stays idle for the next queued
      // request.
      job->connection = nullptr;
      const PoolKey key = job->key;
      FinishAttempt(job, std::nullopt,
                    NetworkError::Make(NetworkErrorKind::kInvalidRequest, false,
                                       std::string(bytes.status().message())));
      DispatchQueued(key);
      return;
    }
    const uint64_t seq = job->seq, token = job->attempt_token;
    const PoolKey key = job->key;
    conn->SendRequest(
        std::move(*bytes), job->method == "HEAD",
        [this, seq, token, conn, key](HttpsConnection::Result result) {
          OnResponse(seq, token, conn, key, std::move(result));
        });
  }

  void OnResponse(uint64_t seq,
                  uint64_t token,
                  HttpsConnection* conn,
                  const PoolKey& key,
                  HttpsConnection::Result result) {
    if (conn->closed())
      RemoveConnection(key, conn);
    Job* job = FindJob(seq, token);
    if (job == nullptr) {
      DispatchQueued(key);
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
        DispatchQueued(key);
        return;
      }
      FinishAttempt(job, std::nullopt, std::move(*result.error));
      DispatchQueued(key);
      return;
    }
    if (IsFollowedRedirect(result.status_code) && result.location) {
      absl::StatusOr<RedirectStep> step =
          ComputeRedirect({job->method, job->body, job->headers}, job->url,
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
        StartHop(job);
      }
      DispatchQueued(key);
      return;
    }
    FinishAttempt(job, result.status_code, std::nullopt);
    DispatchQueued(key);
  }

  void OnAttemptTimeout(uint64_t seq, uint64_t token) {
    Job* job = FindJob(seq, token);
    if (job == nullptr || job->state != RequestState::kInFlight)
      return;
    job->attempt_timer = 0;
    bool server_reached = false;
    const PoolKey key = job->key;
    if (job->connection != nullptr) {
      server_reached = job->connection->tcp_connected();
      HttpsConnection* conn = job->connection;
      job->connection = nullptr;
      conn->Close();
      RemoveConnection(key, conn);
    }
    FinishAttempt(
        job, std::nullopt,
        NetworkError::Make(
            NetworkErrorKind::kTimedOut, server_reached,
            absl::StrCat("no complete response within ",
                         absl::FormatDuration(options.attempt_timeout),
                         server_reached ? "" : " (not connected)")));
    DispatchQueued(key);
  }

  // Hands idle or newly allowed connections to queued jobs of `key`.
  void DispatchQueued(const PoolKey& key) {
    auto it = pools.find(key);
    if (it == pools.end())
      return;
    Pool& pool = it->second;
    while (!pool.queue.empty()) {
      HttpsConnection* idle = nullptr;
      for (auto& conn : pool.connections) {
        if (conn->idle()) {
          idle = conn.get();
          break;
        }
      }
      if (idle == nullptr &&
          pool.connections.size() >= options.max_connections_per_pool)
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

  void RemoveConnection(const PoolKey& key, HttpsConnection* conn) {
    auto it = pools.find(key);
    if (it == pools.end())
      return;
    auto& conns = it->second.connections;
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
    CountConnections(key);
  }

  void CountConnections(const PoolKey& key) {
    const size_t n = pools[key].connections.size();
    absl::MutexLock lock(&mu);
    const std::string k = key.ToString();
    open_connections[k] = n;
    peak_connections[k] = std::max(peak_connections[k], n);
  }

  Job* FindJob(uint64_t seq, uint64_t token) {
    auto it = jobs.find(seq);
    if (it == jobs.end() || it->second->attempt_token != token)
      return nullptr;
    return it->second.get();
  }

  // Ends the current attempt with a response (`http_status`) or `error`, then
  // decides what next.
  void FinishAttempt(Job* job,
                     std::optional<int> http_status,
                     std::optional<NetworkError> error) {
    loop->CancelTimer(job->attempt_timer);
    job->attempt_timer = 0;
    if (job->queued) {
      auto& queue = pools[job->key].queue;
      queue.erase(std::remove(queue.begin(), queue.end(), job->seq),
                  queue.end());
      job->queued = false;
    }
    ++job->attempt_token;  // late callbacks for this attempt are ignored from
                           // now on
    AttemptRecord record;
    record.request_id = job->original.id;
    record.retry_attempt = job->retries_started;
    record.method = job->method;
    record.url = job->url.Serialize(/*exclude_fragment=*/true);
    record.redirects = job->redirects;
    record.http_status = http_status;
    record.error = error;
    record.connection_reused = job->connection_reused;
    record.connection_id = job->connection_id;
    record.started_at = job->attempt_started;
    record.finished_at = clock->Now();
    job->connection_id = 0;
    job->connection_reused = false;

    std::string note;
    if (http_status) {
      job->state = RequestState::kSucceeded;
    } else {
      job->last_error = error;
      if (!job->retry) {
        job->state = RequestState::kFailed;
        record.retry_decision = "no retryOptions: final";
      } else if (job->expired) {
        job->state = RequestState::kFailed;
        record.retry_decision = "maxAge reached during the attempt: final";
      } else {
        const NetworkIsolationKey& nik = job->original.network_isolation_key;
        RetryContext context;
        context.error = *error;
        context.method = job->original.method;
        context.retries_done = job->retries_started;
        context.initiator_retries = initiator_retries[nik];
        context.max_retries_per_initiator =
            options.retry_caps.max_retries_per_initiator;
        context.saw_redirect = job->redirects > 0;
        context.initiator_gone = job->initiator_gone;
        context.age = record.finished_at - job->first_start;
        const double unit = options.jitter_for_testing
                                ? options.jitter_for_testing()
                                : jitter.NextUnit();
        context.next_delay =
            BackoffDelay(*job->retry, job->retries_started + 1, unit);
        RetryDecision decision = DecideRetry(*job->retry, context);
        record.retry_decision = decision.reason;
        if (decision.retry) {
          ++initiator_retries[nik];
          const absl::Time due = record.finished_at + context.next_delay;
          job->state = RequestState::kRetryScheduled;
          const uint64_t seq = job->seq;
          job->retry_timer =
              loop->PostTaskAt(due, [this, seq] { OnRetryTimer(seq); });
          record.retry_decision =
              absl::StrCat("retry ", job->retries_started + 1, " in ",
                           absl::FormatDuration(context.next_delay));
          PublishStatus(job, "", due);
        } else {
          job->state = RequestState::kFailedPendingMaxAge;
          note = decision.reason;
        }
      }
    }
    // Publish the request's status before the attempt record, so an observer
    // that saw the record (or idleness) also sees the status it led to. `job`
    // may be destroyed here.
    if (job->state == RequestState::kSucceeded ||
        job->state == RequestState::kFailed) {
      Finalize(job, http_status, note);
    } else if (job->state == RequestState::kFailedPendingMaxAge) {
      PublishStatus(job, note);
    }
    absl::MutexLock lock(&mu);
    attempts.push_back(std::move(record));
    --busy;
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
    if (job->initiator_gone) {
      if (!job->retry->retry_after_unload) {
        job->state = RequestState::kFailedPendingMaxAge;
        PublishStatus(job,
                      "the initiator is gone and retryAfterUnload is false");
        return;
      }
      // Explainer: a retry after unload runs only while a same-NIK document is
      // fully active.
      auto docs = active_documents.find(job->original.network_isolation_key);
      if (docs == active_documents.end() || docs->second <= 0) {
        job->state = RequestState::kWaitingForSameNikDocument;
        PublishStatus(
            job,
            "waiting for a fully active document with the same network "
            "isolation key");
        return;
      }
    }
    ++job->retries_started;
    StartAttempt(job);
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
    const std::string note = absl::StrCat(
        "maxAge reached in state \"", RequestStateName(job->state),
        "\"; surfacing ", job->last_error ? job->last_error->ToString() : "");
    loop->CancelTimer(job->retry_timer);
    job->retry_timer = 0;
    job->state = RequestState::kFailed;
    Finalize(job, std::nullopt, note);
  }

  void Finalize(Job* job,
                std::optional<int> http_status,
                const std::string& note) {
    loop->CancelTimer(job->retry_timer);
    loop->CancelTimer(job->max_age_timer);
    PublishStatus(job, note, std::nullopt, http_status);
    jobs.erase(job->seq);
  }

  void DocumentActive(const NetworkIsolationKey& key) {
    ++active_documents[key];
    std::vector<Job*> released;
    for (auto& [seq, job] : jobs) {
      if (job->state == RequestState::kWaitingForSameNikDocument &&
          job->original.network_isolation_key == key) {
        released.push_back(job.get());
      }
    }
    // Oldest first.
    std::sort(released.begin(), released.end(),
              [](const Job* a, const Job* b) { return a->seq < b->seq; });
    for (Job* job : released)
      MaybeStartRetry(job);
  }

  void DocumentInactive(const NetworkIsolationKey& key) {
    auto it = active_documents.find(key);
    if (it == active_documents.end())
      return;
    if (--it->second <= 0)
      active_documents.erase(it);
  }

  void InitiatorGone(uint64_t request_id) {
    for (auto& [seq, job] : jobs) {
      if (job->original.id == request_id)
        job->initiator_gone = true;
    }
  }

  void PublishStatus(Job* job,
                     const std::string& note,
                     std::optional<absl::Time> next_retry_at = std::nullopt,
                     std::optional<int> http_status = std::nullopt) {
    RequestStatus status;
    status.request_id = job->original.id;
    status.state = job->state;
    status.retries_started = job->retries_started;
    status.next_retry_at = next_retry_at;
    status.max_age_deadline = job->max_age_deadline;
    status.last_error = job->last_error;
    status.http_status = http_status;
    status.note = note;
    absl::MutexLock lock(&mu);
    statuses[job->original.id] = std::move(status);
  }

  // ---- State
  // ----------------------------------------------------------------------------

  const Options options;
  RealClock real_clock;
  const Clock* const clock;
  const std::unique_ptr<TlsClientContext> tls;
  const HostResolver resolver;
  std::unique_ptr<EventLoop>
      loop;  // declared after what its tasks use; stopped first

  // Loop thread only.
  JitterSource jitter;
  uint64_t next_seq = 1;
  uint64_t next_connection_id = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Job>> jobs;
  absl::node_hash_map<PoolKey, Pool> pools;
  absl::flat_hash_map<NetworkIsolationKey, int> active_documents;
  // Per-initiator retry cap, counted per network isolation key (see
  // net/retry_policy.h).
  absl::flat_hash_map<NetworkIsolationKey, uint32_t> initiator_retries;

  // Observability, any thread.
  mutable absl::Mutex mu;
  std::vector<AttemptRecord> attempts ABSL_GUARDED_BY(mu);
  int64_t busy ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<uint64_t, RequestStatus> statuses ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, size_t> open_connections ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, size_t> peak_connections ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::unique_ptr<HttpsNetworkStage>> HttpsNetworkStage::Create(
    Options options) {
  if (options.max_connections_per_pool == 0) {
    return absl::InvalidArgumentError(
        "max_connections_per_pool must be at least 1");
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
  // Stop the loop first: from then on nothing runs concurrently, and
  // connections can be closed from this thread.
  impl_->loop->Stop();
  impl_->jobs.clear();
  impl_->pools.clear();
}

void HttpsNetworkStage::Send(OutgoingRequest request) {
  auto shared = std::make_shared<OutgoingRequest>(std::move(request));
  Impl* impl = impl_.get();
  impl->PostCounted([impl, shared] { impl->StartJob(std::move(*shared)); });
}

void HttpsNetworkStage::OnDocumentActive(const NetworkIsolationKey& key) {
  Impl* impl = impl_.get();
  impl->PostCounted([impl, key] { impl->DocumentActive(key); });
}

void HttpsNetworkStage::OnDocumentInactive(const NetworkIsolationKey& key) {
  Impl* impl = impl_.get();
  impl->PostCounted([impl, key] { impl->DocumentInactive(key); });
}

void HttpsNetworkStage::OnInitiatorGone(uint64_t request_id) {
  Impl* impl = impl_.get();
  impl->PostCounted([impl, request_id] { impl->InitiatorGone(request_id); });
}

std::vector<HttpsNetworkStage::AttemptRecord> HttpsNetworkStage::attempts()
    const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->attempts;
}

size_t HttpsNetworkStage::WaitForAttempts(size_t count,
                                          absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto enough = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(impl_->mu) {
    return impl_->attempts.size() >= count;
  };
  impl_->mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return impl_->attempts.size();
}

bool HttpsNetworkStage::WaitForIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(impl_->mu) {
    return impl_->busy == 0;
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
  auto it = impl_->open_connections.find(MakePoolKey(url, key).ToString());
  return it == impl_->open_connections.end() ? 0 : it->second;
}

size_t HttpsNetworkStage::PeakConnectionCount(
    const Url& url,
    const NetworkIsolationKey& key) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->peak_connections.find(MakePoolKey(url, key).ToString());
  return it == impl_->peak_connections.end() ? 0 : it->second;
}

size_t HttpsNetworkStage::TotalOpenConnections() const {
  absl::MutexLock lock(&impl_->mu);
  size_t total = 0;
  for (const auto& [key, n] : impl_->open_connections)
    total += n;
  return total;
}

}  // namespace fetch_later::net
