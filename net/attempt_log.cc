#include "net/attempt_log.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fetch_later::net {

std::string AttemptRecord::ToString() const {
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

AttemptRecord AttemptEntry::ToRecord() const {
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

AttemptLog::AttemptLog(const Clock* clock,
                       size_t max_attempt_records,
                       size_t max_finished_statuses,
                       size_t max_blocked_records)
    : clock_(clock),
      max_attempt_records_(max_attempt_records),
      max_finished_statuses_(max_finished_statuses),
      max_blocked_records_(max_blocked_records) {}

void AttemptLog::AddBusy(int64_t n) {
  busy_.fetch_add(n, std::memory_order_relaxed);
}

void AttemptLog::DoneBusy(int64_t n) {
  if (n == 0)
    return;
  if (busy_.fetch_sub(n, std::memory_order_acq_rel) == n) {
    // Idle now: let WaitForIdle() re-check its condition.
    absl::MutexLock lock(&mu_);
  }
}

void AttemptLog::Publish(RequestStatus status, AttemptEntry* attempt) {
  absl::MutexLock lock(&mu_);
  const uint64_t id = status.request_id;
  const bool final = IsFinalRequestState(status.state);
  statuses_.insert_or_assign(id, std::move(status));
  if (final) {
    finished_ids_.push_back(id);
    while (finished_ids_.size() > max_finished_statuses_) {
      auto it = statuses_.find(finished_ids_.front());
      if (it != statuses_.end() && IsFinalRequestState(it->second.state))
        statuses_.erase(it);
      finished_ids_.pop_front();
    }
  }
  if (attempt != nullptr) {
    attempt_log_.push_back(std::move(*attempt));
    ++attempts_recorded_;
    while (attempt_log_.size() > max_attempt_records_)
      attempt_log_.pop_front();
    // WaitForIdle() waiters re-check when `mu_` is released.
    busy_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void AttemptLog::CountConnections(const PoolKey& key, size_t open) {
  absl::MutexLock lock(&mu_);
  ConnectionCount& count = connection_counts_[key];
  count.open = open;
  count.peak = std::max(count.peak, open);
}

void AttemptLog::RecordBlocked(BlockedRecord record) {
  absl::MutexLock lock(&mu_);
  blocked_.push_back(std::move(record));
  while (blocked_.size() > max_blocked_records_)
    blocked_.pop_front();
}

std::vector<BlockedRecord> AttemptLog::blocked() const {
  absl::MutexLock lock(&mu_);
  return std::vector<BlockedRecord>(blocked_.begin(), blocked_.end());
}

std::vector<AttemptRecord> AttemptLog::attempts() const {
  std::vector<AttemptRecord> out;
  absl::MutexLock lock(&mu_);
  out.reserve(attempt_log_.size());
  for (const auto& entry : attempt_log_)
    out.push_back(entry.ToRecord());
  return out;
}

size_t AttemptLog::WaitForAttempts(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto enough = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return attempts_recorded_ >= count;
  };
  mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return attempts_recorded_;
}

bool AttemptLog::WaitForIdle(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  // Idle: nothing in flight, and no retry or maxAge whose time has come but
  // whose timer has not fired yet (a virtual clock may have just been moved
  // past it). An attempt in flight past its maxAge is busy already.
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (busy_.load(std::memory_order_acquire) != 0)
      return false;
    const absl::Time now = clock_->Now();
    for (const auto& [id, status] : statuses_) {
      if (status.state == RequestState::kRetryScheduled &&
          status.next_retry_at && *status.next_retry_at <= now) {
        return false;
      }
      if (status.state != RequestState::kInFlight &&
          !IsFinalRequestState(status.state) && status.max_age_deadline &&
          *status.max_age_deadline <= now) {
        return false;
      }
    }
    return true;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

std::optional<RequestStatus> AttemptLog::GetRequestStatus(
    uint64_t request_id) const {
  absl::MutexLock lock(&mu_);
  auto it = statuses_.find(request_id);
  if (it == statuses_.end())
    return std::nullopt;
  return it->second;
}

bool AttemptLog::WaitForRequestState(uint64_t request_id,
                                     RequestState state,
                                     absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, request_id, state]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = statuses_.find(request_id);
    return it != statuses_.end() && it->second.state == state;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

size_t AttemptLog::OpenConnectionCount(const PoolKey& key) const {
  absl::MutexLock lock(&mu_);
  auto it = connection_counts_.find(key);
  return it == connection_counts_.end() ? 0 : it->second.open;
}

size_t AttemptLog::PeakConnectionCount(const PoolKey& key) const {
  absl::MutexLock lock(&mu_);
  auto it = connection_counts_.find(key);
  return it == connection_counts_.end() ? 0 : it->second.peak;
}

size_t AttemptLog::TotalOpenConnections() const {
  absl::MutexLock lock(&mu_);
  size_t total = 0;
  for (const auto& [key, n] : connection_counts_)
    total += n.open;
  return total;
}

std::vector<RequestStatus> AttemptLog::UnfinishedRequests() const {
  std::vector<RequestStatus> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, status] : statuses_) {
      if (!IsFinalRequestState(status.state))
        out.push_back(status);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const RequestStatus& a, const RequestStatus& b) {
              return a.request_id < b.request_id;
            });
  return out;
}

std::vector<PoolInfo> AttemptLog::Pools() const {
  std::vector<PoolInfo> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, n] : connection_counts_)
      out.push_back(PoolInfo{key.ToString(), n.open, n.peak});
  }
  std::sort(out.begin(), out.end(),
            [](const PoolInfo& a, const PoolInfo& b) { return a.key < b.key; });
  return out;
}

}  // namespace fetch_later::net
