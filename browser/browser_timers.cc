#include "browser/browser_timers.h"

#include <algorithm>
#include <optional>

namespace fetch_later::browser {

BrowserTimers::BrowserTimers(const net::Clock* clock,
                             net::FakeClock* fake_clock,
                             FrameTree* frame_tree,
                             PageScriptRunner* scripts)
    : clock_(clock),
      fake_clock_(fake_clock),
      frame_tree_(frame_tree),
      scripts_(scripts) {
  if (fake_clock_ == nullptr)
    thread_ = std::thread([this] { TimerLoop(); });
}

BrowserTimers::~BrowserTimers() {
  Stop();
}

void BrowserTimers::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable())
    thread_.join();
}

void BrowserTimers::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    // The deadlines are asked for without the lock (the frame tree and the
    // script runner take their own).
    mu_.Unlock();
    std::optional<absl::Time> deadline = frame_tree_->NextTimerDeadline();
    if (std::optional<absl::Time> page_timer = scripts_->NextTimerDeadline())
      deadline = deadline ? std::min(*deadline, *page_timer) : *page_timer;
    mu_.Lock();
    auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return wakeup_ || stopping_;
    };
    if (!deadline) {
      mu_.Await(absl::Condition(&woken));
    } else if (*deadline > clock_->Now()) {
      mu_.AwaitWithDeadline(absl::Condition(&woken), *deadline);
    }
    wakeup_ = false;
    if (stopping_)
      break;
    mu_.Unlock();
    frame_tree_->ProcessDueDeferredFetches();
    scripts_->RunDueTimers();
    mu_.Lock();
  }
}

void BrowserTimers::Wake() {
  absl::MutexLock lock(&mu_);
  wakeup_ = true;
}

void BrowserTimers::RunDueFrameTreeTimers() {
  frame_tree_->ProcessDueDeferredFetches();
}

absl::Status BrowserTimers::AdvanceClock(absl::Duration by) {
  if (fake_clock_ == nullptr)
    return absl::FailedPreconditionError("this browser runs on real time");
  if (by < absl::ZeroDuration())
    return absl::InvalidArgumentError("time cannot go back");
  // Browser timers (activateAfter) and page timers (setTimeout) run in time
  // order: the clock stops at each page timer on the way.
  const absl::Time target = fake_clock_->Now() + by;
  // A page that keeps re-arming a 0 ms timer cannot hold the clock forever.
  constexpr int kMaxStops = 10000;
  for (int stops = 0; stops < kMaxStops; ++stops) {
    std::optional<absl::Time> at = scripts_->NextTimerDeadline();
    if (!at || *at > target)
      break;
    if (*at > fake_clock_->Now())
      fake_clock_->Advance(*at - fake_clock_->Now());
    RunDueFrameTreeTimers();
    scripts_->RunDueTimers();
  }
  if (target > fake_clock_->Now())
    fake_clock_->Advance(target - fake_clock_->Now());
  RunDueFrameTreeTimers();
  scripts_->RunDueTimers();
  return absl::OkStatus();
}

}  // namespace fetch_later::browser
