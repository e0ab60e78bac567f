// Annotating definitions of Debian's uninstrumented absl::Mutex, CondVar and
// Notification out-of-line members; see absl_mutex_annotations.h.
//
// Each definition below forwards to the real one in libabsl_synchronization
// and places the __tsan_mutex_* calls where absl/synchronization/mutex.cc
// (20220623 LTS) places its ABSL_TSAN_MUTEX_* macros. Between a pre_* and its
// post_* annotation ThreadSanitizer ignores this thread's memory accesses and
// synchronization, so everything Abseil does inside the real call is ignored,
// notably the waiters' Conditions it evaluates inside Unlock (possibly on the
// unlocking thread, after the release): mutex.cc's EvalConditionIgnored()
// hides exactly those from the race detector too.

#include "tools/tsan/absl_mutex_annotations.h"

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/base/config.h"
#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "tools/tsan/suppressions_txt.h"

namespace fetch_later::tsan {
namespace {

std::atomic<int64_t> g_annotated_calls{0};

// How many annotated absl operations this thread is inside. Abseil calls some
// of the functions defined here from others through its PLT (e.g.
// LockWhenWithTimeout calls LockWhenWithDeadline); only the outermost call is
// annotated, as in Abseil's own ThreadSanitizer build.
thread_local int t_depth = 0;

// FETCH_LATER_TSAN_ABSL_MUTEX_ANNOTATIONS=off forwards every call without
// annotating it: the control case of absl_mutex_annotations_test.cc, which
// shows that an absl::Mutex-guarded access is reported without this library.
bool AnnotationsEnabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("FETCH_LATER_TSAN_ABSL_MUTEX_ANNOTATIONS");
    return value == nullptr || std::strcmp(value, "off") != 0;
  }();
  return enabled;
}

// One absl operation on this thread: annotate() is true for the outermost one
// (when annotations are enabled), which is also counted.
class AnnotatedCall {
 public:
  AnnotatedCall() : annotate_(t_depth++ == 0 && AnnotationsEnabled()) {
    if (annotate_) {
      g_annotated_calls.fetch_add(1, std::memory_order_relaxed);
    }
  }
  AnnotatedCall(const AnnotatedCall&) = delete;
  AnnotatedCall& operator=(const AnnotatedCall&) = delete;
  ~AnnotatedCall() { --t_depth; }

  bool annotate() const { return annotate_; }

 private:
  const bool annotate_;
};

#define FETCH_LATER_TSAN_STR2(x) #x
#define FETCH_LATER_TSAN_STR(x) FETCH_LATER_TSAN_STR2(x)

// Returns the real definition of the absl member whose mangled name is
// "_ZN" `qualifiers` "4absl" <inline namespace> `nested_name`, from the
// libraries loaded after the executable (libabsl_synchronization). Aborts
// with a message when there is none: a silently missing forward would
// deadlock or skip the lock.
void* RealOrDie(const char* qualifiers, const char* nested_name) {
  std::string mangled = std::string("_ZN") + qualifiers + "4absl";
#if ABSL_OPTION_USE_INLINE_NAMESPACE
  const char* inline_namespace =
      FETCH_LATER_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  mangled += std::to_string(std::strlen(inline_namespace)) + inline_namespace;
#endif
  mangled += nested_name;
  void* real = dlsym(RTLD_NEXT, mangled.c_str());
  if (real == nullptr) {
    std::fprintf(stderr,
                 "//tools/tsan: no definition of %s after the executable\n",
                 mangled.c_str());
    std::abort();
  }
  return real;
}

template <typename Fn>
Fn Real(const char* nested_name) {
  return reinterpret_cast<Fn>(RealOrDie("", nested_name));
}

template <typename Fn>
Fn RealConst(const char* nested_name) {
  return reinterpret_cast<Fn>(RealOrDie("K", nested_name));
}

// Whether the calling thread holds `mu` exclusively (it holds it in some
// mode): the writer bit of the Mutex word, as CondVar::WaitCommon reads it.
bool HeldExclusively(const absl::Mutex* mu) {
  static_assert(sizeof(absl::Mutex) == sizeof(std::atomic<intptr_t>),
                "absl::Mutex is one word, `mu_`");
  constexpr intptr_t kMuWriter = 0x0008;  // absl/synchronization/mutex.cc
  return (reinterpret_cast<const std::atomic<intptr_t>*>(mu)->load(
              std::memory_order_relaxed) &
          kMuWriter) != 0;
}

// A lock operation (Lock, ReaderLock, LockWhen*, ReaderLockWhen*, *TryLock):
// `lock` returns whether it acquired `mu` (false only for a failed try-lock).
template <typename LockFn>
bool AnnotateLock(absl::Mutex* mu, unsigned flags, LockFn lock) {
  AnnotatedCall call;
  if (!call.annotate()) {
    return lock();
  }
  __tsan_mutex_pre_lock(mu, flags);
  const bool acquired = lock();
  __tsan_mutex_post_lock(
      mu, acquired ? flags : flags | __tsan_mutex_try_lock_failed, 0);
  return acquired;
}

// An unlock operation (Unlock, ReaderUnlock).
template <typename UnlockFn>
void AnnotateUnlock(absl::Mutex* mu, unsigned flags, UnlockFn unlock) {
  AnnotatedCall call;
  if (!call.annotate()) {
    unlock();
    return;
  }
  __tsan_mutex_pre_unlock(mu, flags);
  unlock();
  __tsan_mutex_post_unlock(mu, flags);
}

// Mutex::Await* and CondVar::Wait*: `wait` releases the held `mu` and
// re-acquires it before returning (Mutex::AwaitCommon, CondVar::WaitCommon).
template <typename WaitFn>
bool AnnotateWait(absl::Mutex* mu, WaitFn wait) {
  AnnotatedCall call;
  if (!call.annotate()) {
    return wait();
  }
  const unsigned flags = HeldExclusively(mu) ? 0 : __tsan_mutex_read_lock;
  __tsan_mutex_pre_unlock(mu, flags);
  const bool result = wait();
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

// CondVar::Signal and SignalAll.
template <typename SignalFn>
void AnnotateSignal(SignalFn signal) {
  AnnotatedCall call;
  if (!call.annotate()) {
    signal();
    return;
  }
  __tsan_mutex_pre_signal(nullptr, 0);
  signal();
  __tsan_mutex_post_signal(nullptr, 0);
}

// The address of Notification::notified_yet_ (notification.h: `Mutex mutex_;`
// then `std::atomic<bool> notified_yet_;`). Notify() releases on it and the
// waits acquire from it: the real ones read the flag in uninstrumented code,
// where a wait that finds it already set takes no lock.
void* NotifiedYet(const absl::Notification* notification) {
  static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex),
                "absl::Notification is a Mutex and a flag");
  return const_cast<char*>(reinterpret_cast<const char*>(notification)) +
         sizeof(absl::Mutex);
}

}  // namespace

int64_t AnnotatedCallsForTesting() {
  return g_annotated_calls.load(std::memory_order_relaxed);
}

}  // namespace fetch_later::tsan

// ThreadSanitizer's hook for built-in suppressions, read at start-up in
// addition to any `suppressions=` file in TSAN_OPTIONS: tools/tsan/
// suppressions.txt, so that every process of a test has them.
extern "C" const char* __tsan_default_suppressions() {
  return fetch_later::tsan::kSuppressions;
}

// The definitions below take the place of libabsl_synchronization's (same
// mangled names). Nested names are Itanium-mangled after "4absl<namespace>".
namespace absl {
ABSL_NAMESPACE_BEGIN

using ::fetch_later::tsan::AnnotateLock;
using ::fetch_later::tsan::AnnotateSignal;
using ::fetch_later::tsan::AnnotateUnlock;
using ::fetch_later::tsan::AnnotateWait;
using ::fetch_later::tsan::AnnotationsEnabled;
using ::fetch_later::tsan::NotifiedYet;
using ::fetch_later::tsan::Real;
using ::fetch_later::tsan::RealConst;

// Not wrapped: Mutex::~Mutex. Abseil's forgets only mutexes that the inline
// constructor registered, which it does not here (.bazelrc undefines
// __SANITIZE_THREAD__), as ThreadSanitizer never sees a std::mutex destroyed
// either; heap mutexes are forgotten when their memory is freed.

void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex4LockEv");
  AnnotateLock(this, 0, [&] {
    real(this);
    return true;
  });
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex10ReaderLockEv");
  AnnotateLock(this, __tsan_mutex_read_lock, [&] {
    real(this);
    return true;
  });
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex7TryLockEv");
  return AnnotateLock(this, __tsan_mutex_try_lock, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("5Mutex13ReaderTryLockEv");
  return AnnotateLock(this, __tsan_mutex_try_read_lock,
                      [&] { return real(this); });
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex6UnlockEv");
  AnnotateUnlock(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("5Mutex12ReaderUnlockEv");
  AnnotateUnlock(this, __tsan_mutex_read_lock, [&] { real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex8LockWhenERKNS0_9ConditionE");
  AnnotateLock(this, 0, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  bool result = false;
  AnnotateLock(this, 0, [&] {
    result = real(this, cond, timeout);
    return true;  // Held on return whether or not `cond` became true.
  });
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  bool result = false;
  AnnotateLock(this, 0, [&] {
    result = real(this, cond, deadline);
    return true;
  });
  return result;
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AnnotateLock(this, __tsan_mutex_read_lock, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  bool result = false;
  AnnotateLock(this, __tsan_mutex_read_lock, [&] {
    result = real(this, cond, timeout);
    return true;
  });
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  bool result = false;
  AnnotateLock(this, __tsan_mutex_read_lock, [&] {
    result = real(this, cond, deadline);
    return true;
  });
  return result;
}

// Mutex::Await returns at once when `cond` already holds. Evaluated here,
// outside the annotated region, its reads are checked as made under `this`
// (which the caller holds) instead of being ignored.
void Mutex::Await(const Condition& cond) {
  static const auto real = Real<void (*)(Mutex*, const Condition&)>(
      "5Mutex5AwaitERKNS0_9ConditionE");
  if (cond.Eval()) {
    return;
  }
  AnnotateWait(this, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  if (cond.Eval()) {
    return true;
  }
  return AnnotateWait(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  if (cond.Eval()) {
    return true;
  }
  return AnnotateWait(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  static const auto real =
      Real<void (*)(CondVar*, Mutex*)>("7CondVar4WaitEPNS0_5MutexE");
  AnnotateWait(mu, [&] {
    real(this, mu);
    return true;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AnnotateWait(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return AnnotateWait(mu, [&] { return real(this, mu, deadline); });
}

void CondVar::Signal() {
  static const auto real = Real<void (*)(CondVar*)>("7CondVar6SignalEv");
  AnnotateSignal([&] { real(this); });
}

void CondVar::SignalAll() {
  static const auto real = Real<void (*)(CondVar*)>("7CondVar9SignalAllEv");
  AnnotateSignal([&] { real(this); });
}

// Notify and the waits are not mutex operations of their own (the real ones
// lock `mutex_` through the definitions above); only the flag gets an edge.
void Notification::Notify() {
  static const auto real =
      Real<void (*)(Notification*)>("12Notification6NotifyEv");
  if (AnnotationsEnabled()) {
    __tsan_release(NotifiedYet(this));
  }
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real = RealConst<void (*)(const Notification*)>(
      "12Notification19WaitForNotificationEv");
  real(this);
  if (AnnotationsEnabled()) {
    __tsan_acquire(NotifiedYet(this));
  }
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = RealConst<bool (*)(const Notification*, Duration)>(
      "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified && AnnotationsEnabled()) {
    __tsan_acquire(NotifiedYet(this));
  }
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real = RealConst<bool (*)(const Notification*, Time)>(
      "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified && AnnotationsEnabled()) {
    __tsan_acquire(NotifiedYet(this));
  }
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
