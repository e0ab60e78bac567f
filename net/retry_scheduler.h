// The fetch-retry state machine and its gate, for every request the HTTPS
// network stage sends with `retryOptions` (fetch-retry explainer; Chromium's
// KeepAliveURLLoader keeps the same state per keepalive request). It decides,
// never acts: the stage asks it what to do when an attempt starts, fails or
// succeeds, when a retry timer or the maxAge timer fires, and when a document
// becomes active, and then arms the timers and puts bytes on the wire itself.
//
//   RetryScheduler::Options options;
//   options.clock = &clock;
//   RetryScheduler scheduler(std::move(options));
//   scheduler.OnDocumentActive(nik);        // the browser: a document is live
//   scheduler.Add(/*handle=*/1, /*request_id=*/7, nik, "GET",
//                 ClampRetryOptions(retry_options, RetryCaps()),
//                 /*initiator_gone=*/false);
//   scheduler.OnAttemptStarted(1);
//   auto failed = scheduler.OnAttemptFailed(1, error, false, clock.Now());
//   // Arm timers at failed.retry_at and failed.arm_max_age_at (the latter
//   // calls OnMaxAge(1)); at retry_at:
//   auto due = scheduler.OnRetryTimer(1);  // kStart, kWait, kGiveUp, kFail
//   // kWait: OnDocumentActive(nik) returns 1 among the released handles;
//   // the stage then calls OnSameNikDocumentActive(1).
//
// What it owns: per request, its state (below), retries started, maxAge
// deadline and whether maxAge passed mid-attempt; for all requests, the jitter
// source, the per-initiator retry counts and the per-network-isolation-key
// counts of fully active documents. The pure rules (caps, eligibility,
// backoff) are net/retry_policy.h's; this class applies them over time.
//
// Created and owned by the stage (one per HttpsNetworkStage), destroyed with
// it. Thread-safe: every method takes `mu_` and returns without calling out,
// except to read `Options::clock` and `Options::jitter_for_testing` (both
// must not call back into the scheduler). Who calls what, in the stage:
//  - Add(): the thread calling HttpsNetworkStage::Send().
//  - the per-request calls (OnAttempt*, OnRetryTimer, OnSameNikDocumentActive,
//    OnMaxAge, Remove): the event loop that owns the request at that moment.
//    A request runs on one loop at a time, so these are never concurrent for
//    one handle; the lock makes them safe against the calls below.
//  - OnDocumentActive/Inactive, OnInitiatorGone: any thread (the browser's).
// A release cannot be lost: a loop reads the document count and parks the
// request (kWaitingForSameNikDocument) under `mu_`, and OnDocumentActive()
// bumps the count and lists the parked requests under `mu_` too.
//
// Tests drive it directly on a FakeClock, without sockets or threads
// (net/retry_scheduler_test.cc).
#ifndef NET_RETRY_SCHEDULER_H_
#define NET_RETRY_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/clock.h"
#include "net/network_error.h"
#include "net/network_stage.h"
#include "net/retry_policy.h"

namespace fetch_later::net {

// Where a request is, from the stage's hand-over to its end. Requests without
// retryOptions only ever are kInFlight, then kSucceeded or kFailed.
enum class RequestState {
  // An attempt (the first or a retry) is running.
  kInFlight,
  // A retry will start when its backoff delay is over (Chromium:
  // RetryState::kRetryScheduled).
  kRetryScheduled,
  // A due retry waits for a fully active document with the request's network
  // isolation key: every retry needs one, whether or not the initiator is
  // still there (Chromium: kWaitingForSameNetworkIsolationKeyDocument).
  kWaitingForSameNikDocument,
  // Given up: no further retry; the last error is surfaced at maxAge (the
  // explainer's timing-leak rule).
  kFailedPendingMaxAge,
  // A response arrived (final).
  kSucceeded,
  // The error was surfaced (final).
  kFailed,
};

// "in flight", "retry scheduled", "waiting for same-NIK document", ...
const char* RequestStateName(RequestState state);
bool IsFinalRequestState(RequestState state);

class RetryScheduler {
 public:
  struct Options {
    RetryCaps caps;
    // Backoff, maxAge and the gate's deadlines; not owned, must not be null,
    // must outlive the scheduler.
    const Clock* clock = nullptr;
    // Jitter: uniform numbers in [0, 1); null uses a JitterSource seeded with
    // `jitter_seed`.
    std::function<double()> jitter_for_testing;
    uint64_t jitter_seed = 0x6a1773;
  };

  // A request's retry fields, as the stage publishes them (RequestStatus).
  struct Status {
    RequestState state = RequestState::kInFlight;
    uint32_t retries_started = 0;
    std::optional<absl::Time> next_retry_at;  // in kRetryScheduled
    std::optional<absl::Time> max_age_deadline;
  };

  // OnAttemptFailed()'s answer: kRetryScheduled (arm a timer at `retry_at`),
  // kFailedPendingMaxAge (wait for the maxAge timer) or kFailed (final now).
  struct FailureOutcome {
    Status status;
    // For the attempts log: "retry N in D", or why not.
    std::string decision;
    std::optional<absl::Time> retry_at;
    // Set at the first failure, when maxAge starts (explainer: "measured from
    // the first failure"): arm the maxAge timer for it.
    std::optional<absl::Time> arm_max_age_at;
  };

  // What to do with a retry whose time has come.
  enum class DueAction {
    kNone,    // nothing: the request is not (or no longer) in that state
    kStart,   // start retry `status.retries_started` now
    kWait,    // parked in kWaitingForSameNikDocument
    kGiveUp,  // kFailedPendingMaxAge: the rules forbid this retry
    kFail,    // kFailed now: maxAge has passed (the timer came late)
  };
  struct DueOutcome {
    DueAction action = DueAction::kNone;
    RequestState state_before = RequestState::kRetryScheduled;
    Status status;
    std::string note;  // kWait, kGiveUp, kFail: why
  };

  // OnMaxAge()'s answer.
  struct MaxAgeOutcome {
    // True: the request failed (final) now; false: nothing to do (an attempt
    // is in flight and will end final, or the request is unknown).
    bool failed = false;
    RequestState state_before = RequestState::kInFlight;
    Status status;
  };

  explicit RetryScheduler(Options options);
  ~RetryScheduler();
  RetryScheduler(const RetryScheduler&) = delete;  // Not copyable.
  RetryScheduler& operator=(const RetryScheduler&) = delete;

  // ---- Per request (the loop that owns the request; Add(): any thread) ----

  // Registers request `handle` (unique in the stage; the browser's
  // `request_id` may repeat) before its first attempt. `method` is the
  // original request's; `options` are already clamped.
  void Add(uint64_t handle,
           uint64_t request_id,
           const NetworkIsolationKey& key,
           std::string method,
           const EffectiveRetryOptions& options,
           bool initiator_gone);
  // Right after Add(): request `handle` was restored from the browser's
  // journal after a restart (OutgoingRequest::Resumption). It has started
  // `retries_started` retries already, its maxAge counts from
  // `first_failure`, and with `retry_due` it waits in kRetryScheduled for
  // the stage's OnRetryTimer() call (its retry is due now). Returns its
  // maxAge deadline, if it has one (the stage arms the maxAge timer for it).
  std::optional<absl::Time> Resume(uint64_t handle,
                                   uint32_t retries_started,
                                   std::optional<absl::Time> first_failure,
                                   bool retry_due);
  // Forgets `handle` (when the stage drops the request). No-op if unknown.
  void Remove(uint64_t handle);

  // An attempt (the first, or the retry OnRetryTimer() or
  // OnSameNikDocumentActive() said to start) begins.
  Status OnAttemptStarted(uint64_t handle);
  // The attempt ended with `error` at `failed_at` (the scheduler's clock);
  // `saw_redirect`: it followed a redirect. Decides the next retry
  // (SPEC-NOTES §3.3, DecideRetry()) and, when granted, counts it against the
  // per-initiator cap.
  FailureOutcome OnAttemptFailed(uint64_t handle,
                                 const NetworkError& error,
                                 bool saw_redirect,
                                 absl::Time failed_at);
  // A response arrived: kSucceeded.
  Status OnAttemptSucceeded(uint64_t handle);

  // The retry timer fired: start the retry (a fully active document with the
  // request's key exists; after unload, retryAfterUnload is needed too), wait
  // for such a document, give up, or fail because maxAge has passed (no
  // attempt ever starts at or after the deadline). kNone unless the request
  // is in kRetryScheduled.
  DueOutcome OnRetryTimer(uint64_t handle);
  // OnDocumentActive() listed `handle`: the same as OnRetryTimer(), but only
  // for a request in kWaitingForSameNikDocument (a listed request may have
  // moved on before its loop got here).
  DueOutcome OnSameNikDocumentActive(uint64_t handle);

  // The maxAge timer fired. An attempt in flight is marked so that its
  // failure is final; otherwise the request fails now.
  MaxAgeOutcome OnMaxAge(uint64_t handle);

  // ---- Any thread ----

  // A document with `key` became fully active. Returns the requests waiting
  // for such a document, oldest first; the caller hands each to its loop,
  // which calls OnSameNikDocumentActive().
  std::vector<uint64_t> OnDocumentActive(const NetworkIsolationKey& key);
  // A document with `key` stopped being fully active (destroyed, or in the
  // bfcache).
  void OnDocumentInactive(const NetworkIsolationKey& key);
  // The document that initiated `request_id` is gone: later retries need
  // retryAfterUnload.
  void OnInitiatorGone(uint64_t request_id);

  // The request's state, or nullopt if unknown (for tests and checks).
  std::optional<Status> GetStatus(uint64_t handle) const;
  // The number of fully active documents counted for `key`.
  int ActiveDocumentCount(const NetworkIsolationKey& key) const;

 private:
  struct Entry {
    uint64_t request_id = 0;
    NetworkIsolationKey key;
    std::string method;
    EffectiveRetryOptions options;
    bool initiator_gone = false;
    RequestState state = RequestState::kInFlight;
    uint32_t retries_started = 0;
    std::optional<absl::Time> first_failure;
    std::optional<absl::Time> next_retry_at;
    std::optional<absl::Time> max_age_deadline;
    // maxAge passed while an attempt was in flight: its failure is final.
    bool expired = false;
  };

  Entry* Find(uint64_t handle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static Status StatusOf(const Entry& entry);
  // Moves `entry` (`handle`) to `state`, keeping `waiting_` in step.
  void SetState(uint64_t handle, Entry& entry, RequestState state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The gate, then the start of the next retry (explainer: "retryAfterUnload"
  // and "Retrying After Unload"; SPEC-NOTES §3.3, "How a scheduled retry
  // runs").
  DueOutcome MaybeStartRetry(uint64_t handle, Entry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasActiveDocument(const NetworkIsolationKey& key) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Handles per browser request id, for OnInitiatorGone().
  absl::flat_hash_map<uint64_t, absl::InlinedVector<uint64_t, 1>>
      handles_by_request_id_ ABSL_GUARDED_BY(mu_);
  // The requests in kWaitingForSameNikDocument, per key, oldest first.
  absl::flat_hash_map<NetworkIsolationKey, std::set<uint64_t>> waiting_
      ABSL_GUARDED_BY(mu_);
  // Fully active documents per key (OnDocumentActive/Inactive).
  absl::flat_hash_map<NetworkIsolationKey, int> active_documents_
      ABSL_GUARDED_BY(mu_);
  // Retries granted per initiator, counted per network isolation key (see
  // net/retry_policy.h).
  absl::flat_hash_map<NetworkIsolationKey, uint32_t> initiator_retries_
      ABSL_GUARDED_BY(mu_);
  JitterSource jitter_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::net

#endif  // NET_RETRY_SCHEDULER_H_
