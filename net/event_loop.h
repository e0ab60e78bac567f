// A single-threaded I/O event loop on its own thread: file-descriptor readiness
// (epoll), timers and tasks posted from any thread. The HTTPS network stage
// runs every socket, TLS state machine and retry timer on one EventLoop, so its
// state needs no locks.
//
//   EventLoop loop(&clock);                        // starts the thread
//   loop.PostTask([] { ... });                     // from any thread
//   loop.PostTaskAt(clock.Now() + absl::Seconds(1), [] { ... });   // on
//   `clock` time loop.PostTaskAfterRealDelay(absl::Milliseconds(200), [] { ...
//   });
//   // On the loop thread:
//   EventLoop::WatchId id = loop.Watch(fd, EventLoop::kReadable, [](int ready)
//   { ... }); loop.Unwatch(id); loop.Stop(); // joins; also done by the
//   destructor
//
// Why epoll and not libuv (or libevent): we need only fd readiness and timers
// on one thread; epoll plus an eventfd is ~300 lines with no new dependency
// (every library here comes from Debian and is wired into Bazel by hand), and
// it lets timers run on the injected Clock, which libuv's uv_now()-based timers
// cannot do.
//
// Two kinds of timers:
//  - PostTaskAt(): due at a time of the injected `Clock`. With a FakeClock the
//  loop registers an
//    observer, so FakeClock::Advance() wakes it through the eventfd and due
//    timers run; nothing sleeps. Policy timers (retry backoff, maxAge) use
//    these.
//  - PostTaskAfterRealDelay(): due after a real (monotonic) duration, whatever
//  the Clock is.
//    Socket deadlines (the per-attempt timeout) use these: a socket does not
//    run on virtual time.
//
// Cost: posting from the loop thread itself never writes the eventfd (the loop
// recomputes its wait before sleeping), and posting a task from another thread
// writes it only when the task queue was empty (an earlier post already woke
// the loop). CancelTimer() is O(log n): timers are indexed by id.
//
// Threading: PostTask*, CancelTimer and Stop may be called from any thread
// (Stop not from the loop thread). Watch/UpdateWatch/Unwatch only on the loop
// thread (or after Stop()). Callbacks run on the loop thread. Tasks and timers
// still pending at Stop() are destroyed without running. The loop thread blocks
// SIGPIPE, so a write to a dead socket fails with EPIPE instead.
#ifndef NET_EVENT_LOOP_H_
#define NET_EVENT_LOOP_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/clock.h"

namespace fetch_later::net {

class EventLoop {
 public:
  using WatchId = uint64_t;
  using TimerId = uint64_t;
  enum Interest : int { kReadable = 1, kWritable = 2 };
  // `ready` is a mask of Interest bits; errors and hang-ups are reported as
  // both bits so the callback's next read or write sees the error.
  using WatchCallback = std::function<void(int ready)>;

  // `clock` must outlive the loop. Starts the loop thread.
  explicit EventLoop(const Clock* clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;  // Not copyable.
  EventLoop& operator=(const EventLoop&) = delete;

  void PostTask(std::function<void()> task);
  // Runs `task` once `clock->Now() >= when`.
  TimerId PostTaskAt(absl::Time when, std::function<void()> task);
  // Runs `task` after `delay` of real (monotonic) time.
  TimerId PostTaskAfterRealDelay(absl::Duration delay,
                                 std::function<void()> task);
  // Cancels a timer that has not run yet; a no-op otherwise (0 is never a valid
  // id).
  void CancelTimer(TimerId id);

  WatchId Watch(int fd, int interest, WatchCallback callback);
  void UpdateWatch(WatchId id, int interest);
  void Unwatch(WatchId id);

  // Stops the loop and joins its thread. Idempotent.
  void Stop();
  bool IsLoopThread() const {
    return std::this_thread::get_id() ==
           loop_thread_id_.load(std::memory_order_acquire);
  }
  const Clock* clock() const { return clock_; }

 private:
  struct Wakeup;  // the eventfd, shared with FakeClock observers that may
                  // outlive the loop
  struct Timer {
    TimerId id;
    std::function<void()> task;
  };
  using ClockTimers = std::multimap<absl::Time, Timer>;
  using RealTimers =
      std::multimap<std::chrono::steady_clock::time_point, Timer>;
  // Where a pending timer lives, for CancelTimer().
  struct TimerRef {
    bool on_clock;
    ClockTimers::iterator clock_it;
    RealTimers::iterator real_it;
  };
  struct Watcher {
    int fd;
    int interest;
    WatchCallback callback;
  };

  void Run();
  void Wake();
  void CheckOnLoopThread() const;

  const Clock* const clock_;
  const bool
      clock_is_fake_;  // timers wait for FakeClock::Advance(), not real time
  std::shared_ptr<Wakeup> wakeup_;
  int epoll_fd_ = -1;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  TimerId next_timer_id_ ABSL_GUARDED_BY(mu_) = 1;
  ClockTimers clock_timers_ ABSL_GUARDED_BY(mu_);
  RealTimers real_timers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<TimerId, TimerRef> timer_index_ ABSL_GUARDED_BY(mu_);

  // Loop thread only.
  WatchId next_watch_id_ = 1;
  absl::flat_hash_map<WatchId, Watcher> watchers_;
  bool stopped_ = false;  // set after the thread was joined

  std::atomic<std::thread::id> loop_thread_id_{};
  std::thread thread_;
};

}  // namespace fetch_later::net

#endif  // NET_EVENT_LOOP_H_
