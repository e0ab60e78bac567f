// The one clock every timer in the browser reads (activateAfter, retry backoff,
// maxAge), so tests run on virtual time without sleeping.
#ifndef NET_CLOCK_H_
#define NET_CLOCK_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace fetch_later::net {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Virtual time that moves only when told to. Thread-safe. Observers run
// (without the clock's lock) after every Advance(), so event loops waiting on
// timers can wake up.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch()) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::vector<std::function<void()>> observers;
    {
      absl::MutexLock lock(&mu_);
      now_ += d;
      observers = observers_;
    }
    for (auto& observer : observers)
      observer();
  }
  void AddObserver(std::function<void()> observer) {
    absl::MutexLock lock(&mu_);
    observers_.push_back(std::move(observer));
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> observers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::net

#endif  // NET_CLOCK_H_
