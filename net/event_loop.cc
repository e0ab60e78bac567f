#include "net/event_loop.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace fetch_later::net {

// The loop's eventfd, shared (via shared_ptr) with FakeClock observers, which
// FakeClock keeps forever: after the loop is gone an observer finds `fd == -1`
// and does nothing.
struct EventLoop::Wakeup {
  absl::Mutex mu;
  int fd ABSL_GUARDED_BY(mu) = -1;

  void Signal() {
    absl::MutexLock lock(&mu);
    if (fd < 0)
      return;
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof(one));
    (void)n;  // EAGAIN: the counter is already non-zero, the loop will wake
              // anyway
  }
};

namespace {

[[noreturn]] void Die(const char* what) {
  std::perror(what);
  std::abort();
}

int ToEpollEvents(int interest) {
  int events = 0;
  if (interest & EventLoop::kReadable)
    events |= EPOLLIN;
  if (interest & EventLoop::kWritable)
    events |= EPOLLOUT;
  return events;
}

// Milliseconds for epoll_wait, rounded up so a timer never runs early.
int CeilMs(absl::Duration d) {
  if (d <= absl::ZeroDuration())
    return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

}  // namespace

EventLoop::EventLoop(const Clock* clock)
    : clock_(clock),
      clock_is_fake_(dynamic_cast<const FakeClock*>(clock) != nullptr),
      wakeup_(std::make_shared<Wakeup>()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0)
    Die("epoll_create1");
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0)
    Die("eventfd");
  {
    absl::MutexLock lock(&wakeup_->mu);
    wakeup_->fd = efd;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // watch id 0: the wakeup eventfd
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, efd, &ev) != 0)
    Die("epoll_ctl(eventfd)");
  if (clock_is_fake_) {
    // FakeClock::AddObserver is its only mutation and is thread-safe; the loop
    // does not otherwise modify the clock.
    std::weak_ptr<Wakeup> weak = wakeup_;
    const_cast<FakeClock*>(static_cast<const FakeClock*>(clock))
        ->AddObserver([weak] {
          if (auto w = weak.lock())
            w->Signal();
        });
  }
  thread_ = std::thread([this] { Run(); });
}

EventLoop::~EventLoop() {
  Stop();
  {
    absl::MutexLock lock(&wakeup_->mu);
    close(wakeup_->fd);
    wakeup_->fd = -1;
  }
  close(epoll_fd_);
}

void EventLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable())
      return;
    stopping_ = true;
  }
  if (IsLoopThread()) {
    std::fprintf(stderr, "EventLoop::Stop() called on the loop thread\n");
    std::abort();
  }
  Wake();
  if (thread_.joinable())
    thread_.join();
  loop_thread_id_.store(std::thread::id(), std::memory_order_release);
  stopped_ = true;
  // Destroyed outside the lock (declared before it): a task's captures may call
  // back into the loop (Unwatch).
  std::vector<std::function<void()>> tasks;
  ClockTimers clock_timers;
  RealTimers real_timers;
  absl::MutexLock lock(&mu_);
  tasks.swap(tasks_);
  clock_timers.swap(clock_timers_);
  real_timers.swap(real_timers_);
  timer_index_.clear();
}  // `lock` is released before the swapped-out work is destroyed

void EventLoop::Wake() {
  wakeup_->Signal();
}

void EventLoop::CheckOnLoopThread() const {
  if (!IsLoopThread() && !stopped_) {
    std::fprintf(stderr, "EventLoop: fd watch used off the loop thread\n");
    std::abort();
  }
}

void EventLoop::PostTask(std::function<void()> task) {
  bool wake;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_)
      return;
    // A non-empty queue means an earlier post already woke the loop (or the
    // loop has not yet looked at the queue); on the loop thread the loop looks
    // at the queue before it sleeps.
    wake = tasks_.empty() && !IsLoopThread();
    tasks_.push_back(std::move(task));
  }
  if (wake)
    Wake();
}

EventLoop::TimerId EventLoop::PostTaskAt(absl::Time when,
                                         std::function<void()> task) {
  TimerId id;
  {
    absl::MutexLock lock(&mu_);
    id = next_timer_id_++;
    if (stopping_)
      return id;
    auto it = clock_timers_.emplace(when, Timer{id, std::move(task)});
    timer_index_.emplace(id, TimerRef{true, it, {}});
  }
  // The loop thread recomputes its wait before it sleeps.
  if (!IsLoopThread())
    Wake();
  return id;
}

EventLoop::TimerId EventLoop::PostTaskAfterRealDelay(
    absl::Duration delay,
    std::function<void()> task) {
  auto when =
      std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(delay);
  TimerId id;
  {
    absl::MutexLock lock(&mu_);
    id = next_timer_id_++;
    if (stopping_)
      return id;
    auto it = real_timers_.emplace(when, Timer{id, std::move(task)});
    timer_index_.emplace(id, TimerRef{false, {}, it});
  }
  if (!IsLoopThread())
    Wake();
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  if (id == 0)
    return;
  std::function<void()> doomed;  // destroyed outside the lock
  absl::MutexLock lock(&mu_);
  auto ref = timer_index_.find(id);
  if (ref == timer_index_.end())
    return;
  if (ref->second.on_clock) {
    doomed = std::move(ref->second.clock_it->second.task);
    clock_timers_.erase(ref->second.clock_it);
  } else {
    doomed = std::move(ref->second.real_it->second.task);
    real_timers_.erase(ref->second.real_it);
  }
  timer_index_.erase(ref);
}

EventLoop::WatchId EventLoop::Watch(int fd,
                                    int interest,
                                    WatchCallback callback) {
  CheckOnLoopThread();
  WatchId id = next_watch_id_++;
  epoll_event ev{};
  ev.events = ToEpollEvents(interest);
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
    Die("epoll_ctl(ADD)");
  watchers_[id] = Watcher{fd, interest, std::move(callback)};
  return id;
}

void EventLoop::UpdateWatch(WatchId id, int interest) {
  CheckOnLoopThread();
  auto it = watchers_.find(id);
  if (it == watchers_.end() || it->second.interest == interest)
    return;
  it->second.interest = interest;
  epoll_event ev{};
  ev.events = ToEpollEvents(interest);
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, it->second.fd, &ev) != 0)
    Die("epoll_ctl(MOD)");
}

void EventLoop::Unwatch(WatchId id) {
  CheckOnLoopThread();
  auto it = watchers_.find(id);
  if (it == watchers_.end())
    return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watchers_.erase(it);
}

void EventLoop::Run() {
  // A write to a peer that has gone away raises SIGPIPE, which would kill the
  // process. The signal is thread-directed, so blocking it here turns it into
  // EPIPE for the loop thread only.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);
  loop_thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
  pthread_setname_np(pthread_self(), "event-loop");  // for top -H, perf
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (true) {
    // 1. Posted tasks, in order.
    std::vector<std::function<void()>> tasks;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_)
        return;
      tasks.swap(tasks_);
    }
    for (auto& task : tasks)
      task();
    tasks.clear();

    // 2. Due timers, one at a time so a timer may cancel or add others.
    while (true) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_)
          return;
        const absl::Time now = clock_->Now();
        const auto real_now = std::chrono::steady_clock::now();
        if (!clock_timers_.empty() && clock_timers_.begin()->first <= now) {
          timer_index_.erase(clock_timers_.begin()->second.id);
          task = std::move(clock_timers_.begin()->second.task);
          clock_timers_.erase(clock_timers_.begin());
        } else if (!real_timers_.empty() &&
                   real_timers_.begin()->first <= real_now) {
          timer_index_.erase(real_timers_.begin()->second.id);
          task = std::move(real_timers_.begin()->second.task);
          real_timers_.erase(real_timers_.begin());
        }
      }
      if (!task)
        break;
      task();
    }

    // 3. Wait for I/O, a wakeup or the next timer.
    int timeout_ms = -1;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_)
        return;
      if (!tasks_.empty()) {
        timeout_ms = 0;
      } else {
        auto consider = [&timeout_ms](int ms) {
          if (timeout_ms < 0 || ms < timeout_ms)
            timeout_ms = ms;
        };
        if (!clock_timers_.empty() && !clock_is_fake_) {
          consider(CeilMs(clock_timers_.begin()->first - clock_->Now()));
        }
        if (!real_timers_.empty()) {
          consider(CeilMs(absl::FromChrono(real_timers_.begin()->first -
                                           std::chrono::steady_clock::now())));
        }
      }
    }
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      Die("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const WatchId id = events[i].data.u64;
      if (id == 0) {
        absl::MutexLock lock(&wakeup_->mu);
        uint64_t value;
        ssize_t r = read(wakeup_->fd, &value, sizeof(value));
        (void)r;
        continue;
      }
      auto it = watchers_.find(id);
      if (it == watchers_.end())
        continue;  // unwatched by an earlier callback
      int ready = 0;
      if (events[i].events & EPOLLIN)
        ready |= kReadable;
      if (events[i].events & EPOLLOUT)
        ready |= kWritable;
      if (events[i].events & (EPOLLERR | EPOLLHUP))
        ready |= kReadable | kWritable;
      ready &= it->second.interest;
      if (ready == 0)
        continue;
      WatchCallback callback =
          it->second.callback;  // the callback may Unwatch itself
      callback(ready);
    }
  }
}

}  // namespace fetch_later::net
