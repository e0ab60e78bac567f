// The retry scheduler on a FakeClock: no sockets, no threads. Each test plays
// the stage's part (start an attempt, report how it ended, fire the timer the
// scheduler asked for) and checks what the scheduler decides.
#include "net/retry_scheduler.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/network_error.h"
#include "net/origin.h"
#include "net/retry_policy.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using DueAction = RetryScheduler::DueAction;

NetworkIsolationKey Nik(const char* site) {
  const SchemefulSite s =
      SchemefulSite::Create(Origin::Create(*Url::Parse(site)));
  return NetworkIsolationKey{s, s};
}

NetworkError Refused() {
  return NetworkError::Make(NetworkErrorKind::kConnectionRefused, false,
                            "refused");
}

EffectiveRetryOptions Options(uint32_t max_attempts,
                              uint64_t initial_delay_ms = 1000,
                              double backoff_factor = 2.0,
                              uint64_t max_age_ms = 60'000,
                              bool retry_after_unload = false) {
  RetryOptions o;
  o.max_attempts = max_attempts;
  o.initial_delay_ms = initial_delay_ms;
  o.backoff_factor = backoff_factor;
  o.max_age_ms = max_age_ms;
  o.retry_after_unload = retry_after_unload;
  return ClampRetryOptions(o, RetryCaps());
}

class RetrySchedulerTest : public ::testing::Test {
 protected:
  RetrySchedulerTest() : scheduler_(MakeOptions(RetryCaps())) {}

  RetryScheduler::Options MakeOptions(RetryCaps caps) {
    RetryScheduler::Options options;
    options.caps = caps;
    options.clock = &clock_;
    options.jitter_for_testing = [] { return 0.0; };
    return options;
  }

  // Fails the attempt of `handle` now.
  RetryScheduler::FailureOutcome Fail(RetryScheduler& scheduler,
                                      uint64_t handle) {
    return scheduler.OnAttemptFailed(handle, Refused(), false, clock_.Now());
  }
  RetryScheduler::FailureOutcome Fail(uint64_t handle) {
    return Fail(scheduler_, handle);
  }

  // Moves the clock to `at` and fires the retry timer of `handle`.
  RetryScheduler::DueOutcome FireRetryTimerAt(uint64_t handle, absl::Time at) {
    clock_.Advance(at - clock_.Now());
    return scheduler_.OnRetryTimer(handle);
  }

  const NetworkIsolationKey nik_a_ = Nik("https://a.test");
  const NetworkIsolationKey nik_b_ = Nik("https://b.test");
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  RetryScheduler scheduler_;
};

// Explainer: "initialDelay, initialDelay * 2, initialDelay * 4, ..."; each
// retry is numbered for Retry-Attempt.
TEST_F(RetrySchedulerTest, BackoffScheduleAndRetryNumbers) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3), false);
  const absl::Time t0 = clock_.Now();
  RetryScheduler::Status first = scheduler_.OnAttemptStarted(1);
  EXPECT_EQ(first.state, RequestState::kInFlight);
  EXPECT_EQ(first.retries_started, 0u);
  for (uint32_t n = 1; n <= 3; ++n) {
    RetryScheduler::FailureOutcome failed = Fail(1);
    ASSERT_TRUE(failed.retry_at) << n << ": " << failed.decision;
    EXPECT_EQ(failed.status.state, RequestState::kRetryScheduled);
    EXPECT_EQ(failed.status.next_retry_at, failed.retry_at);
    EXPECT_EQ(*failed.retry_at - clock_.Now(), absl::Seconds(1 << (n - 1)));
    EXPECT_THAT(failed.decision, HasSubstr(absl::StrCat("retry ", n, " in")));
    RetryScheduler::DueOutcome due = FireRetryTimerAt(1, *failed.retry_at);
    ASSERT_EQ(due.action, DueAction::kStart);
    EXPECT_EQ(due.status.retries_started, n);
    // A second firing (a stale timer) does nothing.
    EXPECT_EQ(scheduler_.OnRetryTimer(1).action, DueAction::kNone);
    scheduler_.OnAttemptStarted(1);
  }
  RetryScheduler::FailureOutcome last = Fail(1);
  EXPECT_FALSE(last.retry_at);
  EXPECT_EQ(last.status.state, RequestState::kFailedPendingMaxAge);
  EXPECT_THAT(last.decision, HasSubstr("maxAttempts"));
  EXPECT_EQ(clock_.Now() - t0, absl::Seconds(1 + 2 + 4));
}

TEST_F(RetrySchedulerTest, SuccessEndsTheRequest) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3), false);
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::FailureOutcome failed = Fail(1);
  ASSERT_EQ(FireRetryTimerAt(1, *failed.retry_at).action, DueAction::kStart);
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::Status done = scheduler_.OnAttemptSucceeded(1);
  EXPECT_EQ(done.state, RequestState::kSucceeded);
  EXPECT_EQ(done.retries_started, 1u);
  EXPECT_FALSE(scheduler_.OnMaxAge(1).failed);  // final already
}

// Explainer: maxAge is "an overall time limit ... measured from the first
// failure"; the error is delivered at maxAge (SPEC-NOTES §3.3).
TEST_F(RetrySchedulerTest, MaxAgeRunsFromTheFirstFailure) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(10, 1000, 2.0, 5000), false);
  EXPECT_FALSE(scheduler_.OnAttemptStarted(1).max_age_deadline);
  clock_.Advance(absl::Seconds(3));  // a slow first attempt
  const absl::Time first_failure = clock_.Now();
  RetryScheduler::FailureOutcome failed = Fail(1);
  ASSERT_TRUE(failed.arm_max_age_at);
  EXPECT_EQ(*failed.arm_max_age_at, first_failure + absl::Seconds(5));
  EXPECT_EQ(failed.status.max_age_deadline, first_failure + absl::Seconds(5));
  // Retries at +1 s and +3 s after the first failure; the next would start
  // at +7 s, after maxAge.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(failed.retry_at) << failed.decision;
    ASSERT_EQ(FireRetryTimerAt(1, *failed.retry_at).action, DueAction::kStart);
    EXPECT_EQ(scheduler_.OnAttemptStarted(1).max_age_deadline,
              first_failure + absl::Seconds(5));
    failed = Fail(1);
    EXPECT_FALSE(failed.arm_max_age_at);  // armed once
  }
  EXPECT_FALSE(failed.retry_at);
  EXPECT_THAT(failed.decision, HasSubstr("maxAge"));
  EXPECT_EQ(failed.status.state, RequestState::kFailedPendingMaxAge);
  EXPECT_EQ(clock_.Now() - first_failure, absl::Seconds(3));
  clock_.Advance(absl::Seconds(2));
  RetryScheduler::MaxAgeOutcome expired = scheduler_.OnMaxAge(1);
  EXPECT_TRUE(expired.failed);
  EXPECT_EQ(expired.state_before, RequestState::kFailedPendingMaxAge);
  EXPECT_EQ(expired.status.state, RequestState::kFailed);
}

// The regression: the network refuses until 5 s and is back after;
// retryOptions {maxAttempts: 5, initialDelay: 1000, backoffFactor: 2,
// maxAge: 1500}; the clock is advanced in one step to 65 s. The retry timer
// (due at 1 s) fires at 65 s, after maxAge (1.5 s): nothing may start.
TEST_F(RetrySchedulerTest, ALateRetryTimerAfterMaxAgeStartsNothing) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(5, 1000, 2.0, 1500), false);
  const absl::Time t0 = clock_.Now();
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::FailureOutcome failed = Fail(1);  // refused at 0 s
  ASSERT_TRUE(failed.retry_at) << failed.decision;
  EXPECT_EQ(*failed.retry_at, t0 + absl::Seconds(1));
  EXPECT_EQ(failed.arm_max_age_at, t0 + absl::Milliseconds(1500));
  clock_.Advance(absl::Seconds(65));  // one step
  // The loop fires its due timers in order: the retry's, then maxAge's.
  RetryScheduler::DueOutcome due = scheduler_.OnRetryTimer(1);
  EXPECT_EQ(due.action, DueAction::kFail);
  EXPECT_EQ(due.state_before, RequestState::kRetryScheduled);
  EXPECT_EQ(due.status.state, RequestState::kFailed);
  EXPECT_EQ(due.status.retries_started, 0u);
  EXPECT_THAT(due.note, HasSubstr("maxAge"));
  EXPECT_FALSE(scheduler_.OnMaxAge(1).failed);  // already final
}

// The same at the deadline itself, for a timer and for a released waiter.
TEST_F(RetrySchedulerTest, NoRetryStartsAtTheDeadline) {
  scheduler_.Add(1, 1, nik_a_, "GET", Options(5, 1000, 1.0, 10'000), false);
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::FailureOutcome failed = Fail(1);
  ASSERT_TRUE(failed.retry_at);
  const absl::Time deadline = *failed.arm_max_age_at;
  ASSERT_EQ(FireRetryTimerAt(1, *failed.retry_at).action, DueAction::kWait);
  clock_.Advance(deadline - clock_.Now());  // exactly maxAge
  EXPECT_THAT(scheduler_.OnDocumentActive(nik_a_), ElementsAre(1));
  RetryScheduler::DueOutcome released = scheduler_.OnSameNikDocumentActive(1);
  EXPECT_EQ(released.action, DueAction::kFail);
  EXPECT_EQ(released.state_before, RequestState::kWaitingForSameNikDocument);
}

// SPEC-NOTES §3.3: no retry once maxAge passed, even for an attempt that was
// in flight when it did.
TEST_F(RetrySchedulerTest, MaxAgeDuringAnAttemptMakesItsFailureFinal) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3), false);
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::FailureOutcome first = Fail(1);
  ASSERT_TRUE(first.retry_at);
  ASSERT_EQ(FireRetryTimerAt(1, *first.retry_at).action, DueAction::kStart);
  scheduler_.OnAttemptStarted(1);
  clock_.Advance(*first.arm_max_age_at - clock_.Now());
  RetryScheduler::MaxAgeOutcome during = scheduler_.OnMaxAge(1);
  EXPECT_FALSE(during.failed);
  EXPECT_EQ(during.state_before, RequestState::kInFlight);
  RetryScheduler::FailureOutcome failed = Fail(1);
  EXPECT_FALSE(failed.retry_at);
  EXPECT_EQ(failed.status.state, RequestState::kFailed);
  EXPECT_THAT(failed.decision, HasSubstr("maxAge reached during the attempt"));
}

// Explainer ("20-30 per document"); counted per network isolation key
// (net/retry_policy.h).
TEST_F(RetrySchedulerTest, PerInitiatorCapCountsAcrossRequestsOfOneKey) {
  RetryCaps caps;
  caps.max_retries_per_initiator = 2;
  RetryScheduler scheduler(MakeOptions(caps));
  for (uint64_t handle : {1, 2, 3, 4})
    scheduler.Add(handle, handle, handle == 4 ? nik_b_ : nik_a_, "GET",
                  Options(5), false);
  std::vector<bool> granted;
  for (uint64_t handle : {1, 2, 3, 4}) {
    scheduler.OnAttemptStarted(handle);
    granted.push_back(Fail(scheduler, handle).retry_at.has_value());
  }
  EXPECT_THAT(granted, ElementsAre(true, true, false, true));
  EXPECT_THAT(Fail(scheduler, 3).decision, HasSubstr("per-initiator"));
}

// The gate, as a table: what a due retry does, by the initiator's fate, the
// request's retryAfterUnload and the documents with its key.
struct GateRow {
  const char* source;
  bool initiator_gone;
  bool retry_after_unload;
  int same_key_activations;    // OnDocumentActive(key) calls
  int same_key_deactivations;  // then OnDocumentInactive(key) calls
  bool active_other_key_document;
  DueAction expected;
};

TEST_F(RetrySchedulerTest, GateTable) {
  const GateRow rows[] = {
      {"explainer (issue text): an attempt after the first needs a fully "
       "active same-NIK document, initiator alive or not",
       false, false, 0, 0, false, DueAction::kWait},
      {"explainer: initiator alive, a same-NIK document is fully active", false,
       false, 1, 0, false, DueAction::kStart},
      {"explainer (issue text): an initiator in the bfcache does not count",
       false, false, 1, 1, false, DueAction::kWait},
      {"explainer: two documents, one went into the bfcache", false, false, 2,
       1, false, DueAction::kStart},
      {"explainer: retryAfterUnload false, initiator gone", true, false, 1, 0,
       false, DueAction::kGiveUp},
      {"explainer: after unload, a same-NIK document is fully active", true,
       true, 1, 0, false, DueAction::kStart},
      {"explainer: after unload, no same-NIK document: wait", true, true, 0, 0,
       false, DueAction::kWait},
      {"explainer: another key's document does not count", true, true, 0, 0,
       true, DueAction::kWait},
      {"SPEC-NOTES §3.3: another key's document does not count, initiator "
       "alive",
       false, false, 0, 0, true, DueAction::kWait},
  };
  uint64_t handle = 0;
  for (const GateRow& row : rows) {
    SCOPED_TRACE(row.source);
    RetryScheduler scheduler(MakeOptions(RetryCaps()));
    ++handle;
    const NetworkIsolationKey key = Nik("https://gate.test");
    for (int i = 0; i < row.same_key_activations; ++i)
      scheduler.OnDocumentActive(key);
    for (int i = 0; i < row.same_key_deactivations; ++i)
      scheduler.OnDocumentInactive(key);
    if (row.active_other_key_document)
      scheduler.OnDocumentActive(nik_b_);
    scheduler.Add(handle, handle, key, "GET",
                  Options(3, 1000, 2.0, 60'000, row.retry_after_unload),
                  row.initiator_gone);
    scheduler.OnAttemptStarted(handle);
    RetryScheduler::FailureOutcome failed = Fail(scheduler, handle);
    if (row.initiator_gone && !row.retry_after_unload) {
      // Decided at the failure already (SPEC-NOTES §3.3: "the context is not
      // detached, or retry_after_unload is set").
      EXPECT_FALSE(failed.retry_at);
      EXPECT_THAT(failed.decision, HasSubstr("retryAfterUnload"));
      continue;
    }
    ASSERT_TRUE(failed.retry_at) << failed.decision;
    clock_.Advance(*failed.retry_at - clock_.Now());
    RetryScheduler::DueOutcome due = scheduler.OnRetryTimer(handle);
    EXPECT_EQ(due.action, row.expected) << due.note;
    if (row.expected == DueAction::kWait) {
      EXPECT_EQ(due.status.state, RequestState::kWaitingForSameNikDocument);
      EXPECT_EQ(due.status.retries_started, 0u);
      // A same-key document becoming fully active releases it.
      EXPECT_THAT(scheduler.OnDocumentActive(key), ElementsAre(handle));
      EXPECT_EQ(scheduler.OnSameNikDocumentActive(handle).action,
                DueAction::kStart);
    }
  }
}

// The bfcache case: the initiator's document goes into the bfcache
// (inactive) and is restored (active again).
TEST_F(RetrySchedulerTest, InitiatorInTheBfcacheThenRestored) {
  scheduler_.OnDocumentActive(nik_a_);
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3), false);
  scheduler_.OnAttemptStarted(1);
  RetryScheduler::FailureOutcome failed = Fail(1);
  ASSERT_TRUE(failed.retry_at);
  scheduler_.OnDocumentInactive(nik_a_);  // into the bfcache
  RetryScheduler::DueOutcome due = FireRetryTimerAt(1, *failed.retry_at);
  EXPECT_EQ(due.action, DueAction::kWait);
  EXPECT_THAT(due.note, HasSubstr("fully active document"));
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(scheduler_.OnDocumentActive(nik_a_), ElementsAre(1));  // back
  RetryScheduler::DueOutcome released = scheduler_.OnSameNikDocumentActive(1);
  EXPECT_EQ(released.action, DueAction::kStart);
  EXPECT_EQ(released.status.retries_started, 1u);
}

// Explainer: "it will wait until a document with the same network isolation
// key becomes fully active"; Chromium resumes on
// DidObserveNewlyActiveDocumentWithNIK.
TEST_F(RetrySchedulerTest, WaitingRetriesAreReleasedOldestFirstByTheirKey) {
  for (uint64_t handle : {3, 1, 2}) {
    scheduler_.Add(handle, handle, handle == 2 ? nik_b_ : nik_a_, "GET",
                   Options(3, 1000, 2.0, 60'000, true), true);
    scheduler_.OnAttemptStarted(handle);
    ASSERT_TRUE(Fail(handle).retry_at);
  }
  clock_.Advance(absl::Seconds(1));
  for (uint64_t handle : {3, 1, 2})
    EXPECT_EQ(scheduler_.OnRetryTimer(handle).action, DueAction::kWait);
  EXPECT_THAT(scheduler_.OnDocumentActive(nik_a_), ElementsAre(1, 3));
  // The loop releases them; a second release of the same handle (a second
  // document came meanwhile) finds it no longer waiting.
  RetryScheduler::DueOutcome due = scheduler_.OnSameNikDocumentActive(1);
  EXPECT_EQ(due.action, DueAction::kStart);
  EXPECT_EQ(due.status.retries_started, 1u);
  EXPECT_EQ(scheduler_.OnSameNikDocumentActive(1).action, DueAction::kNone);
  EXPECT_EQ(scheduler_.OnSameNikDocumentActive(3).action, DueAction::kStart);
  // Request 2 (key b) still waits; a released handle that failed again and was
  // rescheduled is not started early by a late release.
  EXPECT_EQ(scheduler_.GetStatus(2)->state,
            RequestState::kWaitingForSameNikDocument);
  scheduler_.OnAttemptStarted(1);
  ASSERT_TRUE(Fail(1).retry_at);
  EXPECT_EQ(scheduler_.OnSameNikDocumentActive(1).action, DueAction::kNone);
  EXPECT_EQ(scheduler_.GetStatus(1)->state, RequestState::kRetryScheduled);
  EXPECT_THAT(scheduler_.OnDocumentActive(nik_b_), ElementsAre(2));
}

// A document that went away (destroyed, or into the bfcache) no longer counts.
TEST_F(RetrySchedulerTest, DocumentCountsGoUpAndDown) {
  scheduler_.OnDocumentActive(nik_a_);
  scheduler_.OnDocumentActive(nik_a_);
  EXPECT_EQ(scheduler_.ActiveDocumentCount(nik_a_), 2);
  scheduler_.OnDocumentInactive(nik_a_);
  EXPECT_EQ(scheduler_.ActiveDocumentCount(nik_a_), 1);
  scheduler_.OnDocumentInactive(nik_a_);
  scheduler_.OnDocumentInactive(nik_a_);  // never below zero
  EXPECT_EQ(scheduler_.ActiveDocumentCount(nik_a_), 0);
  scheduler_.OnDocumentActive(nik_a_);
  EXPECT_EQ(scheduler_.ActiveDocumentCount(nik_a_), 1);

  scheduler_.OnDocumentInactive(nik_a_);
  scheduler_.Add(1, 1, nik_a_, "GET", Options(3, 1000, 2.0, 60'000, true),
                 true);
  scheduler_.OnAttemptStarted(1);
  ASSERT_TRUE(Fail(1).retry_at);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(scheduler_.OnRetryTimer(1).action, DueAction::kWait);
}

// OnInitiatorGone() reaches every request of that id; others keep going.
TEST_F(RetrySchedulerTest, InitiatorGoneAfterHandOver) {
  scheduler_.OnDocumentActive(nik_a_);  // the gate is open
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3), false);
  scheduler_.Add(2, 8, nik_a_, "GET", Options(3), false);
  for (uint64_t handle : {1, 2}) {
    scheduler_.OnAttemptStarted(handle);
    ASSERT_TRUE(Fail(handle).retry_at);
  }
  scheduler_.OnInitiatorGone(7);
  clock_.Advance(absl::Seconds(1));
  RetryScheduler::DueOutcome gone = scheduler_.OnRetryTimer(1);
  EXPECT_EQ(gone.action, DueAction::kGiveUp);
  EXPECT_EQ(gone.status.state, RequestState::kFailedPendingMaxAge);
  EXPECT_THAT(gone.note, HasSubstr("retryAfterUnload"));
  EXPECT_EQ(scheduler_.OnRetryTimer(2).action, DueAction::kStart);
}

// maxAge while waiting for the gate: the request fails; Remove() forgets it,
// so a later document releases nothing.
TEST_F(RetrySchedulerTest, MaxAgeWhileWaitingAndRemove) {
  scheduler_.Add(1, 7, nik_a_, "GET", Options(3, 1000, 2.0, 10'000, true),
                 true);
  scheduler_.OnAttemptStarted(1);
  ASSERT_TRUE(Fail(1).retry_at);
  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(scheduler_.OnRetryTimer(1).action, DueAction::kWait);
  clock_.Advance(absl::Seconds(9));
  RetryScheduler::MaxAgeOutcome expired = scheduler_.OnMaxAge(1);
  EXPECT_TRUE(expired.failed);
  EXPECT_EQ(expired.state_before, RequestState::kWaitingForSameNikDocument);
  EXPECT_TRUE(scheduler_.OnDocumentActive(nik_a_).empty());
  scheduler_.Remove(1);
  EXPECT_FALSE(scheduler_.GetStatus(1));
  EXPECT_EQ(scheduler_.OnSameNikDocumentActive(1).action, DueAction::kNone);
}

}  // namespace
}  // namespace fetch_later::net
