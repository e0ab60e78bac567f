#include "net/retry_scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fetch_later::net {

const char* RequestStateName(RequestState state) {
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

bool IsFinalRequestState(RequestState state) {
  return state == RequestState::kSucceeded || state == RequestState::kFailed;
}

RetryScheduler::RetryScheduler(Options options)
    : options_(std::move(options)), jitter_(options_.jitter_seed) {}

RetryScheduler::~RetryScheduler() = default;

void RetryScheduler::Add(uint64_t handle,
                         uint64_t request_id,
                         const NetworkIsolationKey& key,
                         std::string method,
                         const EffectiveRetryOptions& options,
                         bool initiator_gone) {
  Entry entry{request_id, key, std::move(method), options, initiator_gone};
  absl::MutexLock lock(&mu_);
  entries_.insert_or_assign(handle, std::move(entry));
  handles_by_request_id_[request_id].push_back(handle);
}

std::optional<absl::Time> RetryScheduler::Resume(
    uint64_t handle,
    uint32_t retries_started,
    std::optional<absl::Time> first_failure,
    bool retry_due) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Find(handle);
  if (entry == nullptr)
    return std::nullopt;
  entry->retries_started = retries_started;
  if (first_failure) {
    entry->first_failure = first_failure;
    entry->max_age_deadline = *first_failure + entry->options.max_age;
  }
  if (retry_due) {
    entry->next_retry_at = options_.clock->Now();
    SetState(handle, *entry, RequestState::kRetryScheduled);
  }
  return entry->max_age_deadline;
}

void RetryScheduler::Remove(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end())
    return;
  SetState(handle, it->second, RequestState::kFailed);  // leaves `waiting_`
  auto ids = handles_by_request_id_.find(it->second.request_id);
  if (ids != handles_by_request_id_.end()) {
    auto& v = ids->second;
    v.erase(std::remove(v.begin(), v.end(), handle), v.end());
    if (v.empty())
      handles_by_request_id_.erase(ids);
  }
  entries_.erase(it);
}

RetryScheduler::Entry* RetryScheduler::Find(uint64_t handle) {
  auto it = entries_.find(handle);
  return it == entries_.end() ? nullptr : &it->second;
}

RetryScheduler::Status RetryScheduler::StatusOf(const Entry& entry) {
  Status status;
  status.state = entry.state;
  status.retries_started = entry.retries_started;
  if (entry.state == RequestState::kRetryScheduled)
    status.next_retry_at = entry.next_retry_at;
  status.max_age_deadline = entry.max_age_deadline;
  return status;
}

void RetryScheduler::SetState(uint64_t handle,
                              Entry& entry,
                              RequestState state) {
  if (entry.state == RequestState::kWaitingForSameNikDocument &&
      state != RequestState::kWaitingForSameNikDocument) {
    auto it = waiting_.find(entry.key);
    if (it != waiting_.end()) {
      it->second.erase(handle);
      if (it->second.empty())
        waiting_.erase(it);
    }
  } else if (state == RequestState::kWaitingForSameNikDocument) {
    waiting_[entry.key].insert(handle);
  }
  entry.state = state;
}

RetryScheduler::Status RetryScheduler::OnAttemptStarted(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Find(handle);
  if (entry == nullptr)
    return Status{};
  SetState(handle, *entry, RequestState::kInFlight);
  return StatusOf(*entry);
}

RetryScheduler::FailureOutcome RetryScheduler::OnAttemptFailed(
    uint64_t handle,
    const NetworkError& error,
    bool saw_redirect,
    absl::Time failed_at) {
  absl::MutexLock lock(&mu_);
  FailureOutcome out;
  Entry* entry = Find(handle);
  if (entry == nullptr)
    return out;
  if (entry->expired) {
    SetState(handle, *entry, RequestState::kFailed);
    out.decision = "maxAge reached during the attempt: final";
    out.status = StatusOf(*entry);
    return out;
  }
  if (!entry->first_failure) {
    // Explainer: maxAge is "measured from the first failure".
    entry->first_failure = failed_at;
    entry->max_age_deadline = failed_at + entry->options.max_age;
    out.arm_max_age_at = entry->max_age_deadline;
  }
  RetryContext context;
  context.error = error;
  context.method = entry->method;
  context.retries_done = entry->retries_started;
  context.max_retries_per_initiator = options_.caps.max_retries_per_initiator;
  context.saw_redirect = saw_redirect;
  context.initiator_gone = entry->initiator_gone;
  context.age = failed_at - *entry->first_failure;
  // Read, decide and count under one lock: the per-initiator cap holds across
  // the stage's loops.
  uint32_t& granted = initiator_retries_[entry->key];
  context.initiator_retries = granted;
  const double unit = options_.jitter_for_testing
                          ? options_.jitter_for_testing()
                          : jitter_.NextUnit();
  context.next_delay =
      BackoffDelay(entry->options, entry->retries_started + 1, unit);
  RetryDecision decision = DecideRetry(entry->options, context);
  if (decision.retry) {
    ++granted;
    entry->next_retry_at = failed_at + context.next_delay;
    SetState(handle, *entry, RequestState::kRetryScheduled);
    out.retry_at = entry->next_retry_at;
    out.decision = absl::StrCat("retry ", entry->retries_started + 1, " in ",
                                absl::FormatDuration(context.next_delay));
  } else {
    SetState(handle, *entry, RequestState::kFailedPendingMaxAge);
    out.decision = std::move(decision.reason);
  }
  out.status = StatusOf(*entry);
  return out;
}

RetryScheduler::Status RetryScheduler::OnAttemptSucceeded(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Find(handle);
  if (entry == nullptr)
    return Status{RequestState::kSucceeded};
  SetState(handle, *entry, RequestState::kSucceeded);
  return StatusOf(*entry);
}

RetryScheduler::DueOutcome RetryScheduler::OnRetryTimer(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Find(handle);
  if (entry == nullptr || entry->state != RequestState::kRetryScheduled)
    return DueOutcome{};
  return MaybeStartRetry(handle, *entry);
}

RetryScheduler::DueOutcome RetryScheduler::OnSameNikDocumentActive(
    uint64_t handle) {
  absl::MutexLock lock(&mu_);
  Entry* entry = Find(handle);
  if (entry == nullptr ||
      entry->state != RequestState::kWaitingForSameNikDocument) {
    return DueOutcome{};
  }
  return MaybeStartRetry(handle, *entry);
}

RetryScheduler::DueOutcome RetryScheduler::MaybeStartRetry(uint64_t handle,
                                                           Entry& entry) {
  DueOutcome out;
  out.state_before = entry.state;
  // No attempt at or after maxAge, even when the timer (or the document that
  // releases the retry) comes late: a virtual clock moved in one jump fires
  // every timer at the new time.
  if (entry.max_age_deadline &&
      options_.clock->Now() >= *entry.max_age_deadline) {
    SetState(handle, entry, RequestState::kFailed);
    out.action = DueAction::kFail;
    out.note = absl::StrCat("maxAge reached before retry ",
                            entry.retries_started + 1, " could start");
    out.status = StatusOf(entry);
    return out;
  }
  if (entry.initiator_gone && !entry.options.retry_after_unload) {
    SetState(handle, entry, RequestState::kFailedPendingMaxAge);
    out.action = DueAction::kGiveUp;
    out.note = "the initiator is gone and retryAfterUnload is false";
    out.status = StatusOf(entry);
    return out;
  }
  // Explainer: an attempt after the first is made only while a fully active
  // document with the initiator's network isolation key exists (one in the
  // bfcache does not count: the browser reports it inactive); otherwise it
  // waits until one becomes fully active.
  if (!HasActiveDocument(entry.key)) {
    SetState(handle, entry, RequestState::kWaitingForSameNikDocument);
    out.action = DueAction::kWait;
    out.note =
        "waiting for a fully active document with the same network "
        "isolation key";
    out.status = StatusOf(entry);
    return out;
  }
  ++entry.retries_started;
  SetState(handle, entry, RequestState::kInFlight);
  out.action = DueAction::kStart;
  out.status = StatusOf(entry);
  return out;
}

RetryScheduler::MaxAgeOutcome RetryScheduler::OnMaxAge(uint64_t handle) {
  absl::MutexLock lock(&mu_);
  MaxAgeOutcome out;
  Entry* entry = Find(handle);
  if (entry == nullptr || IsFinalRequestState(entry->state))
    return out;
  out.state_before = entry->state;
  if (entry->state == RequestState::kInFlight) {
    entry->expired = true;  // the running attempt decides; no retry after it
    out.status = StatusOf(*entry);
    return out;
  }
  SetState(handle, *entry, RequestState::kFailed);
  out.failed = true;
  out.status = StatusOf(*entry);
  return out;
}

std::vector<uint64_t> RetryScheduler::OnDocumentActive(
    const NetworkIsolationKey& key) {
  absl::MutexLock lock(&mu_);
  ++active_documents_[key];
  auto it = waiting_.find(key);
  if (it == waiting_.end())
    return {};
  return std::vector<uint64_t>(it->second.begin(), it->second.end());
}

void RetryScheduler::OnDocumentInactive(const NetworkIsolationKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = active_documents_.find(key);
  if (it == active_documents_.end())
    return;
  if (--it->second <= 0)
    active_documents_.erase(it);
}

void RetryScheduler::OnInitiatorGone(uint64_t request_id) {
  absl::MutexLock lock(&mu_);
  auto it = handles_by_request_id_.find(request_id);
  if (it == handles_by_request_id_.end())
    return;
  for (uint64_t handle : it->second) {
    if (Entry* entry = Find(handle))
      entry->initiator_gone = true;
  }
}

std::optional<RetryScheduler::Status> RetryScheduler::GetStatus(
    uint64_t handle) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(handle);
  if (it == entries_.end())
    return std::nullopt;
  return StatusOf(it->second);
}

int RetryScheduler::ActiveDocumentCount(const NetworkIsolationKey& key) const {
  absl::MutexLock lock(&mu_);
  auto it = active_documents_.find(key);
  return it == active_documents_.end() ? 0 : it->second;
}

bool RetryScheduler::HasActiveDocument(const NetworkIsolationKey& key) const {
  auto it = active_documents_.find(key);
  return it != active_documents_.end() && it->second > 0;
}

}  // namespace fetch_later::net
