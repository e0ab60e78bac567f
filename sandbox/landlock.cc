#include "sandbox/landlock.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace fetch_later::sandbox {
namespace {

// The kernel's uapi (linux/landlock.h), spelled out here because Debian 12's
// headers stop at ABI 2.
constexpr uint32_t kCreateRulesetVersion = 1u << 0;
// Filesystem rights: ABI 1 has bits 0-12 (execute ... make_sym); ABI 2 adds
// refer (13), ABI 3 truncate (14), ABI 5 ioctl_dev (15).
constexpr uint64_t kFsRightsAbi1 = (uint64_t{1} << 13) - 1;
constexpr uint64_t kFsRefer = uint64_t{1} << 13;
constexpr uint64_t kFsTruncate = uint64_t{1} << 14;
constexpr uint64_t kFsIoctlDev = uint64_t{1} << 15;
// ABI 4: LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP.
constexpr uint64_t kNetTcp = (uint64_t{1} << 0) | (uint64_t{1} << 1);
// ABI 6: LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL.
constexpr uint64_t kScopes = (uint64_t{1} << 0) | (uint64_t{1} << 1);

// struct landlock_ruleset_attr; its size tells the kernel which fields exist.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};

// The signal that asks a thread to restrict itself: a real-time signal no
// library of the renderer uses (checked: its disposition must be the default).
int RestrictSignal() {
  return SIGRTMIN + 5;
}

// Written by the thread that seals, read by the handler.
std::atomic<int> g_ruleset_fd{-1};
// One slot per thread that ran the handler: its id and whether it succeeded.
constexpr int kMaxThreads = 1024;
struct Ack {
  std::atomic<pid_t> tid{0};
  std::atomic<int> error{0};  // errno of the failed call, 0 on success
};
Ack g_acks[kMaxThreads];
std::atomic<int> g_ack_count{0};

long RestrictSelf(int ruleset_fd) {
  // Landlock requires no-new-privs (or CAP_SYS_ADMIN) on the calling thread;
  // it is a per-thread attribute.
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return -1;
  return syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
}

// Async-signal-safe: two system calls and atomics.
void OnRestrictSignal(int) {
  const int saved_errno = errno;
  const long rc = RestrictSelf(g_ruleset_fd.load());
  const int error = rc == 0 ? 0 : errno;
  const int slot = g_ack_count.fetch_add(1);
  if (slot < kMaxThreads) {
    g_acks[slot].error.store(error);
    g_acks[slot].tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
  }
  errno = saved_errno;
}

// The ids of the process's threads, from /proc/self/task.
absl::StatusOr<std::set<pid_t>> ListThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) {
    return absl::InternalError(absl::StrCat(
        "landlock: cannot list threads: opendir(/proc/self/task): ",
        strerror(errno)));
  }
  std::set<pid_t> tids;
  while (dirent* entry = readdir(dir)) {
    int tid = 0;
    if (absl::SimpleAtoi(entry->d_name, &tid))
      tids.insert(tid);
  }
  closedir(dir);
  return tids;
}

bool ThreadExists(pid_t tid) {
  return access(absl::StrCat("/proc/self/task/", tid).c_str(), F_OK) == 0;
}

}  // namespace

int LandlockAbi() {
  const long abi =
      syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

LandlockRights HandledRightsForAbi(int abi) {
  LandlockRights rights;
  if (abi < 1)
    return rights;
  rights.fs = kFsRightsAbi1;
  if (abi >= 2)
    rights.fs |= kFsRefer;
  if (abi >= 3)
    rights.fs |= kFsTruncate;
  if (abi >= 5)
    rights.fs |= kFsIoctlDev;
  if (abi >= 4)
    rights.net = kNetTcp;
  if (abi >= 6)
    rights.scoped = kScopes;
  return rights;
}

absl::StatusOr<int> RestrictEveryThreadWithLandlock(int abi) {
  if (abi < 1)
    return absl::FailedPreconditionError("landlock: the kernel has none");
  const LandlockRights rights = HandledRightsForAbi(abi);
  RulesetAttr attr = {rights.fs, rights.net, rights.scoped};
  const size_t attr_size = abi >= 6   ? sizeof(RulesetAttr)
                           : abi >= 4 ? 2 * sizeof(uint64_t)
                                      : sizeof(uint64_t);
  const int ruleset_fd = static_cast<int>(
      syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0));
  if (ruleset_fd < 0) {
    return absl::InternalError(
        absl::StrCat("landlock: landlock_create_ruleset (ABI ", abi,
                     "): ", strerror(errno)));
  }
  g_ruleset_fd.store(ruleset_fd);
  g_ack_count.store(0);

  const int signal_number = RestrictSignal();
  struct sigaction action = {};
  struct sigaction previous = {};
  sigaction(signal_number, nullptr, &previous);
  if (previous.sa_handler != SIG_DFL) {
    close(ruleset_fd);
    return absl::InternalError(
        absl::StrCat("landlock: signal ", signal_number,
                     " (used to reach every thread) already has a handler"));
  }
  action.sa_handler = OnRestrictSignal;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  sigaction(signal_number, &action, nullptr);

  const pid_t pid = getpid();
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::set<pid_t> restricted;
  absl::Status error = absl::OkStatus();
  // Each pass restricts every thread the previous passes did not; a thread
  // created meanwhile by an unrestricted thread appears in the next pass.
  for (int pass = 0; error.ok(); ++pass) {
    absl::StatusOr<std::set<pid_t>> threads = ListThreads();
    if (!threads.ok()) {
      error = threads.status();
      break;
    }
    std::vector<pid_t> pending;
    for (pid_t tid : *threads) {
      if (tid != self && !restricted.count(tid))
        pending.push_back(tid);
    }
    if (pending.empty())
      break;
    if (pass >= 16) {
      error = absl::InternalError(
          "landlock: threads kept appearing through 16 passes");
      break;
    }
    const int acks_before = g_ack_count.load();
    std::set<pid_t> waiting;
    for (pid_t tid : pending) {
      if (syscall(SYS_tgkill, pid, tid, signal_number) == 0)
        waiting.insert(tid);
      // ESRCH: the thread has exited.
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(2);
    int seen = acks_before;
    while (!waiting.empty() && error.ok()) {
      const int count = std::min(g_ack_count.load(), kMaxThreads);
      for (; seen < count; ++seen) {
        pid_t tid = 0;
        while ((tid = g_acks[seen].tid.load()) == 0) {
          // The handler took the slot and is about to fill it.
        }
        if (const int e = g_acks[seen].error.load(); e != 0) {
          error = absl::InternalError(
              absl::StrCat("landlock: thread ", tid,
                           " could not restrict itself: ", strerror(e)));
        }
        waiting.erase(tid);
        restricted.insert(tid);
      }
      if (waiting.empty())
        break;
      if (absl::Now() > deadline) {
        // A thread that exited before handling the signal is no failure.
        for (auto it = waiting.begin(); it != waiting.end();) {
          it = ThreadExists(*it) ? std::next(it) : waiting.erase(it);
        }
        if (!waiting.empty()) {
          error = absl::DeadlineExceededError(absl::StrCat(
              "landlock: thread ", *waiting.begin(),
              " did not restrict itself within 2 s (does it block signal ",
              signal_number, "?)"));
        }
        break;
      }
      absl::SleepFor(absl::Microseconds(50));
    }
  }
  // Late deliveries (none are expected) are dropped rather than run.
  action.sa_handler = SIG_IGN;
  sigaction(signal_number, &action, nullptr);
  if (error.ok() && RestrictSelf(ruleset_fd) != 0) {
    error = absl::InternalError(
        absl::StrCat("landlock: landlock_restrict_self: ", strerror(errno)));
  }
  close(ruleset_fd);
  g_ruleset_fd.store(-1);
  if (!error.ok())
    return error;
  return static_cast<int>(restricted.size()) + 1;
}

}  // namespace fetch_later::sandbox
