// Proves the ThreadSanitizer setup of --config=tsan both ways.
//
// Each case runs in a child process (this binary again, one DISABLED_ test of
// AbslMutexAnnotationsChild selected), because a report ends the process that
// makes it (TSAN_OPTIONS=halt_on_error=1). A deliberate unsynchronized access
// is reported; accesses guarded by absl::Mutex, in every way this code base
// and gRPC use one, are not; and the same guarded accesses ARE reported when
// the annotations are switched off, so each child really has two threads
// touching the same memory with only an absl::Mutex between them.
#include <sanitizer/tsan_interface.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpc/support/sync.h"
#include "gtest/gtest.h"
#include "tools/tsan/absl_mutex_annotations.h"

extern char** environ;

namespace fetch_later::tsan {
namespace {

constexpr int kIterations = 1000;
// Long enough for the other thread to block in its wait first, so that the
// slow paths (a waiter's Condition evaluated inside the releasing thread's
// Unlock, a CondVar wake-up) run in most runs. The tests pass either way.
constexpr absl::Duration kLetTheWaiterBlock = absl::Milliseconds(50);

// ---- The children: run only through RunChild() --------------------------

struct Guarded {
  absl::Mutex mu;
  absl::CondVar cv;
  int value ABSL_GUARDED_BY(mu) = 0;
  bool ready ABSL_GUARDED_BY(mu) = false;
};

// Runs `body` on two threads at once.
template <typename Fn>
void OnTwoThreads(Fn body) {
  std::thread a(body);
  std::thread b(body);
  a.join();
  b.join();
}

// Runs `waiter` on a new thread and, after kLetTheWaiterBlock, `producer` on
// this one.
template <typename Waiter, typename Producer>
void WaiterAndProducer(Waiter waiter, Producer producer) {
  std::thread t(waiter);
  absl::SleepFor(kLetTheWaiterBlock);
  producer();
  t.join();
}

TEST(AbslMutexAnnotationsChild, DISABLED_UnguardedIncrement) {
  int counter = 0;
  OnTwoThreads([&] {
    for (int i = 0; i < kIterations; ++i)
      ++counter;  // The deliberate race.
  });
}

TEST(AbslMutexAnnotationsChild, DISABLED_MutexLock) {
  Guarded g;
  OnTwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::MutexLock lock(&g.mu);
      ++g.value;
    }
  });
}

TEST(AbslMutexAnnotationsChild, DISABLED_ReaderLock) {
  Guarded g;
  int sum = 0;
  std::thread writer([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::MutexLock lock(&g.mu);
      ++g.value;
    }
  });
  std::thread reader([&] {
    for (int i = 0; i < kIterations; ++i) {
      absl::ReaderMutexLock lock(&g.mu);
      sum += g.value;
    }
  });
  writer.join();
  reader.join();
}

TEST(AbslMutexAnnotationsChild, DISABLED_TryLock) {
  Guarded g;
  OnTwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) {
      while (!g.mu.TryLock()) {
      }
      ++g.value;
      g.mu.Unlock();
    }
  });
}

// The waiter's Condition reads `wanted`, which only the waiter wrote: when
// the waiter is blocked, Abseil evaluates it inside the producer's Unlock, on
// the producer's thread. Those reads must be invisible to the race detector.
TEST(AbslMutexAnnotationsChild, DISABLED_LockWhenConditionReadsWaiterState) {
  Guarded g;
  struct Wait {
    Guarded* g;
    int wanted;
  };
  WaiterAndProducer(
      [&] {
        Wait wait{&g, 0};
        wait.wanted = 42;
        g.mu.LockWhen(absl::Condition(
            +[](Wait* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              // Called by Abseil with `w->g->mu` held; the analysis cannot
              // see through absl::Condition's function pointer.
              return w->g->value == w->wanted;
            },
            &wait));
        g.value = 0;
        g.mu.Unlock();
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        g.value = 42;
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_LockWhenWithTimeout) {
  Guarded g;
  WaiterAndProducer(
      [&] {
        g.mu.LockWhenWithTimeout(absl::Condition(&g.ready), absl::Seconds(30));
        ++g.value;
        g.mu.Unlock();
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        ++g.value;
        g.ready = true;
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_Await) {
  Guarded g;
  WaiterAndProducer(
      [&] {
        absl::MutexLock lock(&g.mu);
        g.mu.Await(absl::Condition(&g.ready));
        ++g.value;
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        ++g.value;
        g.ready = true;
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_AwaitWithTimeout) {
  Guarded g;
  WaiterAndProducer(
      [&] {
        absl::MutexLock lock(&g.mu);
        g.mu.AwaitWithTimeout(absl::Condition(&g.ready), absl::Seconds(30));
        ++g.value;
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        ++g.value;
        g.ready = true;
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_CondVarSignal) {
  Guarded g;
  WaiterAndProducer(
      [&] {
        absl::MutexLock lock(&g.mu);
        while (!g.ready)
          g.cv.Wait(&g.mu);
        ++g.value;
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        ++g.value;
        g.ready = true;
        g.cv.Signal();
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_CondVarWaitWithTimeoutSignalAll) {
  Guarded g;
  WaiterAndProducer(
      [&] {
        absl::MutexLock lock(&g.mu);
        while (!g.ready)
          g.cv.WaitWithTimeout(&g.mu, absl::Seconds(30));
        ++g.value;
      },
      [&] {
        absl::MutexLock lock(&g.mu);
        ++g.value;
        g.ready = true;
        g.cv.SignalAll();
      });
}

TEST(AbslMutexAnnotationsChild, DISABLED_NotificationWait) {
  absl::Notification done;
  int value = 0;  // Written before Notify(), read after the wait.
  WaiterAndProducer(
      [&] {
        done.WaitForNotification();
        ++value;
      },
      [&] {
        ++value;
        done.Notify();
      });
}

// The inline fast path: HasBeenNotified() loads the flag in our code, without
// taking the Notification's mutex.
TEST(AbslMutexAnnotationsChild, DISABLED_NotificationHasBeenNotified) {
  absl::Notification done;
  int value = 0;
  std::thread t([&] {
    ++value;
    done.Notify();
  });
  while (!done.HasBeenNotified())
    absl::SleepFor(absl::Milliseconds(1));
  ++value;
  t.join();
}

// gRPC's own mutex: libgpr locks an absl::Mutex through its PLT.
TEST(AbslMutexAnnotationsChild, DISABLED_GprMutex) {
  gpr_mu mu;
  gpr_mu_init(&mu);
  int value = 0;
  OnTwoThreads([&] {
    for (int i = 0; i < kIterations; ++i) {
      gpr_mu_lock(&mu);
      ++value;
      gpr_mu_unlock(&mu);
    }
  });
  gpr_mu_destroy(&mu);
}

// ---- The parent -----------------------------------------------------------

struct ChildResult {
  int exit_code = -1;  // 128 + signal for a child killed by a signal
  std::string output;  // stdout and stderr
};

// Runs AbslMutexAnnotationsChild.DISABLED_`name` in a new process of this
// binary; `annotations` false sets FETCH_LATER_TSAN_ABSL_MUTEX_ANNOTATIONS=off.
ChildResult RunChild(const std::string& name, bool annotations) {
  ChildResult result;
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const absl::string_view var(*e);
    // The child must not write this test's XML result or sharding files.
    if (absl::StartsWith(var, "XML_OUTPUT_FILE=") ||
        absl::StartsWith(var, "GTEST_") ||
        absl::StartsWith(var, "TEST_SHARD") ||
        absl::StartsWith(var, "TEST_TOTAL_SHARDS=") ||
        absl::StartsWith(var, "TEST_PREMATURE_EXIT_FILE=") ||
        absl::StartsWith(var, "FETCH_LATER_TSAN_ABSL_MUTEX_ANNOTATIONS=")) {
      continue;
    }
    env.emplace_back(var);
  }
  if (!annotations)
    env.push_back("FETCH_LATER_TSAN_ABSL_MUTEX_ANNOTATIONS=off");
  std::vector<std::string> args = {
      "/proc/self/exe", "--gtest_also_run_disabled_tests",
      absl::StrCat("--gtest_filter=AbslMutexAnnotationsChild.DISABLED_", name)};
  std::vector<char*> argv, envp;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2];
  if (pipe(out) != 0) {
    result.output = "pipe() failed";
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr,
                                argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (error != 0) {
    close(out[0]);
    result.output = absl::StrCat("posix_spawn failed: ", error);
    return result;
  }
  char buffer[4096];
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof(buffer))) > 0 ||
         (n < 0 && errno == EINTR)) {
    if (n > 0)
      result.output.append(buffer, n);
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

constexpr absl::string_view kDataRace = "WARNING: ThreadSanitizer: data race";

void ExpectReported(const std::string& name, bool annotations) {
  SCOPED_TRACE(absl::StrCat(name, annotations ? "" : ", annotations off"));
  const ChildResult child = RunChild(name, annotations);
  EXPECT_NE(child.exit_code, 0) << child.output;
  EXPECT_TRUE(absl::StrContains(child.output, kDataRace)) << child.output;
}

void ExpectNotReported(const std::string& name) {
  SCOPED_TRACE(name);
  const ChildResult child = RunChild(name, /*annotations=*/true);
  EXPECT_EQ(child.exit_code, 0) << child.output;
  EXPECT_FALSE(absl::StrContains(child.output, "ThreadSanitizer"))
      << child.output;
  // The filter matched the child and it ran to the end.
  EXPECT_TRUE(absl::StrContains(
      child.output,
      absl::StrCat("[       OK ] AbslMutexAnnotationsChild.DISABLED_", name)))
      << child.output;
}

TEST(AbslMutexAnnotationsTest, DeliberateRaceIsReported) {
  ExpectReported("UnguardedIncrement", /*annotations=*/true);
}

// Every child guarded by an absl::Mutex: not reported with the annotations,
// reported without them.
const char* const kGuardedChildren[] = {
    "MutexLock",
    "ReaderLock",
    "TryLock",
    "LockWhenConditionReadsWaiterState",
    "LockWhenWithTimeout",
    "Await",
    "AwaitWithTimeout",
    "CondVarSignal",
    "CondVarWaitWithTimeoutSignalAll",
    "NotificationWait",
    "NotificationHasBeenNotified",
    "GprMutex",
};

TEST(AbslMutexAnnotationsTest, GuardedAccessesAreNotReported) {
  for (const char* name : kGuardedChildren)
    ExpectNotReported(name);
}

TEST(AbslMutexAnnotationsTest, GuardedAccessesAreReportedWithoutAnnotations) {
  for (const char* name : kGuardedChildren)
    ExpectReported(name, /*annotations=*/false);
}

// The executable's definitions take the place of libabsl_synchronization's
// for calls from our code, from inside libabsl (Notification::Notify locks
// its mutex through the PLT) and from inside gRPC (libgpr's gpr_mu_lock).
TEST(AbslMutexAnnotationsTest, DefinitionsInterposeEveryCaller) {
  absl::Mutex mu;
  int64_t before = AnnotatedCallsForTesting();
  mu.Lock();
  mu.Unlock();
  EXPECT_EQ(AnnotatedCallsForTesting(), before + 2);

  absl::Notification notification;
  before = AnnotatedCallsForTesting();
  notification.Notify();
  EXPECT_EQ(AnnotatedCallsForTesting(), before + 2);

  gpr_mu gpr;
  gpr_mu_init(&gpr);
  before = AnnotatedCallsForTesting();
  gpr_mu_lock(&gpr);
  gpr_mu_unlock(&gpr);
  EXPECT_EQ(AnnotatedCallsForTesting(), before + 2);
  gpr_mu_destroy(&gpr);
}

}  // namespace
}  // namespace fetch_later::tsan
