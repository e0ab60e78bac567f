// HttpsNetworkStage's facade: Create() checks the options and builds the
// shared context with its loops; the public methods route calls to the
// RetryScheduler, the AttemptLog and the shards (net/https_stage_shard.h).
#include "net/https_network_stage.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/host_resolver.h"
#include "net/https_stage_shard.h"
#include "net/pool_key.h"
#include "net/port_util.h"

namespace fetch_later::net {
namespace {

// Whether a hop to `url` would open a socket at all (the shard refuses the
// rest before looking for a pool).
bool UsesAPool(const Url& url) {
  if (url.scheme() != "https" || !url.host())
    return false;
  const std::optional<uint16_t> port = url.EffectivePort();
  return port && !IsBadPort(*port);
}

}  // namespace

size_t HttpsNetworkStage::DefaultEventLoopCount() {
  const unsigned hw = std::thread::hardware_concurrency();
  return std::clamp<size_t>(hw == 0 ? 1 : hw, 1, kMaxAutoEventLoops);
}

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
  if (options.max_attempt_records == 0 || options.max_finished_statuses == 0 ||
      options.max_blocked_records == 0) {
    return absl::InvalidArgumentError(
        "max_attempt_records, max_finished_statuses and max_blocked_records "
        "must be at least 1");
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
      new HttpsNetworkStage(std::make_unique<HttpsStageContext>(
          std::move(options), std::move(*tls), std::move(*resolver))));
}

HttpsNetworkStage::HttpsNetworkStage(std::unique_ptr<HttpsStageContext> context)
    : context_(std::move(context)) {}

// The context stops every loop before anything else goes.
HttpsNetworkStage::~HttpsNetworkStage() = default;

size_t HttpsNetworkStage::event_loop_count() const {
  return context_->shard_count();
}

void HttpsNetworkStage::Send(OutgoingRequest request) {
  HttpsStageContext& context = *context_;
  std::optional<EffectiveRetryOptions> retry;
  if (request.retry_options) {
    retry =
        ClampRetryOptions(*request.retry_options, context.options().retry_caps);
  }
  std::optional<PoolKey> key;
  if (UsesAPool(request.url))
    key = MakePoolKey(request.url, request.network_isolation_key);
  const uint64_t seq = context.NextJobSeq();
  if (retry) {
    // Registered before the job exists anywhere, so OnInitiatorGone() and
    // OnDocumentActive() calls from now on reach it.
    context.scheduler().Add(seq, request.id, request.network_isolation_key,
                            request.method, *retry, request.initiator_gone);
    if (const auto& resumed = request.resumption) {
      // A resent attempt is retry `attempts_started`, already started; a
      // due retry is started by the scheduler's gate, which counts it.
      const bool due =
          resumed->kind == OutgoingRequest::Resumption::Kind::kDueRetry;
      context.scheduler().Resume(
          seq, due ? resumed->attempts_started - 1 : resumed->attempts_started,
          resumed->first_failure, /*retry_due=*/due);
    }
  }
  context.TrackRequest(request.id);
  auto job = std::make_unique<HttpsStageJob>(seq, std::move(request),
                                             retry.has_value());
  job->key = std::move(key);
  context.log().AddBusy(1);  // until the loop has started it
  const size_t shard = context.ShardForNewJob(*job);
  context.shard(shard).Enqueue(std::move(job), /*migrated=*/false);
}

void HttpsNetworkStage::OnDocumentActive(const NetworkIsolationKey& key) {
  std::vector<uint64_t> released = context_->scheduler().OnDocumentActive(key);
  if (released.empty())
    return;
  // Release the waiting requests on the loops that own them (a waiting
  // request never moves between loops).
  context_->Broadcast([released = std::move(released)](HttpsStageShard& shard) {
    shard.ReleaseWaiting(released);
  });
}

void HttpsNetworkStage::OnDocumentInactive(const NetworkIsolationKey& key) {
  context_->scheduler().OnDocumentInactive(key);
}

void HttpsNetworkStage::SetOutcomeObserver(RequestOutcomeObserver observer) {
  context_->SetOutcomeObserver(std::move(observer));
}

void HttpsNetworkStage::Cancel(uint64_t request_id) {
  if (!context_->MarkCancelled(request_id))
    return;  // finished already, or never sent
  // The loop that owns the job ends it; one that gets it later (from an
  // inbox) sees the mark.
  context_->Broadcast(
      [request_id](HttpsStageShard& shard) { shard.Cancel(request_id); });
}

void HttpsNetworkStage::OnInitiatorGone(uint64_t request_id) {
  // Read by the request's loop when an attempt fails or a retry is due.
  context_->scheduler().OnInitiatorGone(request_id);
}

std::vector<HttpsNetworkStage::AttemptRecord> HttpsNetworkStage::attempts()
    const {
  return context_->log().attempts();
}

std::vector<HttpsNetworkStage::BlockedRecord> HttpsNetworkStage::blocked()
    const {
  return context_->log().blocked();
}

size_t HttpsNetworkStage::WaitForAttempts(size_t count,
                                          absl::Duration timeout) const {
  return context_->log().WaitForAttempts(count, timeout);
}

bool HttpsNetworkStage::WaitForIdle(absl::Duration timeout) const {
  return context_->log().WaitForIdle(timeout);
}

std::optional<HttpsNetworkStage::RequestStatus>
HttpsNetworkStage::GetRequestStatus(uint64_t request_id) const {
  return context_->log().GetRequestStatus(request_id);
}

bool HttpsNetworkStage::WaitForRequestState(uint64_t request_id,
                                            RequestState state,
                                            absl::Duration timeout) const {
  return context_->log().WaitForRequestState(request_id, state, timeout);
}

size_t HttpsNetworkStage::OpenConnectionCount(
    const Url& url,
    const NetworkIsolationKey& key) const {
  return context_->log().OpenConnectionCount(MakePoolKey(url, key));
}

size_t HttpsNetworkStage::PeakConnectionCount(
    const Url& url,
    const NetworkIsolationKey& key) const {
  return context_->log().PeakConnectionCount(MakePoolKey(url, key));
}

size_t HttpsNetworkStage::TotalOpenConnections() const {
  return context_->log().TotalOpenConnections();
}

std::vector<HttpsNetworkStage::RequestStatus>
HttpsNetworkStage::UnfinishedRequests() const {
  return context_->log().UnfinishedRequests();
}

std::vector<HttpsNetworkStage::PoolInfo> HttpsNetworkStage::Pools() const {
  return context_->log().Pools();
}

}  // namespace fetch_later::net
