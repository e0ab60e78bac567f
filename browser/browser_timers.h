// BrowserTimers: runs the browser's two kinds of timers in time order: the
// frame tree's (activateAfter, and the bfcache / visibility ones that send
// deferred fetches) and the pages' (setTimeout, through PageScriptRunner). On a
// fake clock they run when the driver moves the clock (AdvanceClock, which
// stops at each page timer on the way); on the real clock a timer thread of
// its own sleeps until the earliest deadline or a wake-up and runs what came
// due.
//
// Created and owned by BrowserCore after the frame tree and the script runner,
// which must outlive it; Stop() (BrowserCore's destructor) ends the thread
// before either goes. Thread-safe. Its lock only guards the thread's wake-up
// flags: nothing is called with it held (the thread drops it to ask for the
// deadlines and to run timers). See browser_core.h for the lock order.
#ifndef BROWSER_BROWSER_TIMERS_H_
#define BROWSER_BROWSER_TIMERS_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/frame_tree.h"
#include "browser/page_script_runner.h"
#include "net/clock.h"

namespace fetch_later::browser {

class BrowserTimers {
 public:
  // `clock`, `frame_tree` and `scripts` (not owned) must outlive this.
  // `fake_clock` is `clock` when it is a FakeClock the driver moves (no timer
  // thread then), else null (a timer thread starts now).
  BrowserTimers(const net::Clock* clock,
                net::FakeClock* fake_clock,
                FrameTree* frame_tree,
                PageScriptRunner* scripts);
  ~BrowserTimers();                              // Stop()s.
  BrowserTimers(const BrowserTimers&) = delete;  // Not copyable.
  BrowserTimers& operator=(const BrowserTimers&) = delete;

  // Moves the fake clock by `by` and runs the timers that come due, in time
  // order. FailedPrecondition on the real clock, InvalidArgument for a
  // negative `by`.
  absl::Status AdvanceClock(absl::Duration by);
  // Runs the frame tree's timers that are due on the clock now.
  void RunDueFrameTreeTimers();
  // A new deadline may be the earliest: the timer thread recomputes it (no
  // effect without a timer thread).
  void Wake();
  // Ends the timer thread (idempotent). Timers no longer run by themselves.
  void Stop();

 private:
  // The real-time timer thread.
  void TimerLoop();

  const net::Clock* const clock_;     // Not owned.
  net::FakeClock* const fake_clock_;  // Not owned; may be null.
  FrameTree* const frame_tree_;       // Not owned.
  PageScriptRunner* const scripts_;   // Not owned.

  absl::Mutex mu_;
  bool wakeup_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_TIMERS_H_
