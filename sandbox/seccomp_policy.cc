#include "sandbox/seccomp_policy.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41  // glibc 2.35+ and sanitizers name mappings
#endif

namespace fetch_later::sandbox {
namespace {

// ---- The SIGSYS handler (async-signal-safe throughout). ----

constexpr int kMaxSyscall = 512;
// Names of the native system calls, resolved before the filter is installed.
const char* g_syscall_names[kMaxSyscall];
// One bit per call number already logged.
std::atomic<uint64_t> g_logged[kMaxSyscall / 64];

#if defined(__x86_64__)
greg_t& ReturnRegister(ucontext_t* context) {
  return context->uc_mcontext.gregs[REG_RAX];
}
uint64_t Argument(ucontext_t* context, int index) {
  static constexpr int kRegisters[] = {REG_RDI, REG_RSI, REG_RDX,
                                       REG_R10, REG_R8,  REG_R9};
  return context->uc_mcontext.gregs[kRegisters[index]];
}
#elif defined(__aarch64__)
unsigned long long& ReturnRegister(ucontext_t* context) {
  return context->uc_mcontext.regs[0];
}
uint64_t Argument(ucontext_t* context, int index) {
  return context->uc_mcontext.regs[index];
}
#else
#error "the renderer's seccomp policy knows x86_64 and aarch64 only"
#endif

void WriteString(const char* text) {
  (void)!write(STDERR_FILENO, text, strlen(text));
}

void WriteNumber(long value) {
  char digits[24];
  int n = sizeof(digits);
  const bool negative = value < 0;
  unsigned long magnitude = negative ? -static_cast<unsigned long>(value)
                                     : static_cast<unsigned long>(value);
  do {
    digits[--n] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0 && n > 1);
  if (negative)
    digits[--n] = '-';
  (void)!write(STDERR_FILENO, digits + n, sizeof(digits) - n);
}

void LogRefusalOnce(int nr) {
  if (nr >= 0 && nr < kMaxSyscall) {
    const uint64_t bit = uint64_t{1} << (nr % 64);
    if (g_logged[nr / 64].fetch_or(bit) & bit)
      return;
  }
  WriteString("sandbox: pid ");
  WriteNumber(getpid());
  WriteString(" refused system call ");
  WriteNumber(nr);
  if (nr >= 0 && nr < kMaxSyscall && g_syscall_names[nr] != nullptr) {
    WriteString(" (");
    WriteString(g_syscall_names[nr]);
    WriteString(")");
  }
  WriteString(" with EPERM\n");
}

void OnSigsys(int, siginfo_t* info, void* raw_context) {
  const int saved_errno = errno;
  auto* context = static_cast<ucontext_t*>(raw_context);
  const int nr = info->si_syscall;
  long result = -EPERM;
#if defined(__NR_newfstatat)
  if (nr == __NR_newfstatat) {
    // glibc's fstat(fd, buf) is newfstatat(fd, "", buf, AT_EMPTY_PATH).
    const auto* path = reinterpret_cast<const char*>(Argument(context, 1));
    const uint64_t flags = Argument(context, 3);
    if ((flags & AT_EMPTY_PATH) && path != nullptr && path[0] == '\0') {
      const long rc = syscall(SYS_fstat, static_cast<int>(Argument(context, 0)),
                              reinterpret_cast<void*>(Argument(context, 2)));
      result = rc == -1 ? -errno : rc;
    }
    // A path: refused quietly, like stat().
  } else
#endif
  {
    LogRefusalOnce(nr);
  }
  ReturnRegister(context) = result;
  errno = saved_errno;
}

// ---- Building the filter. ----

// Adds `action` for `name` with up to two argument conditions. A name this
// kernel's architecture does not have (e.g. open on aarch64) is skipped.
absl::Status Add(scmp_filter_ctx ctx,
                 uint32_t action,
                 const char* name,
                 std::initializer_list<scmp_arg_cmp> conditions = {}) {
  const int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR)
    return absl::OkStatus();
  const int rc = seccomp_rule_add_array(
      ctx, action, nr, static_cast<unsigned int>(conditions.size()),
      conditions.begin());
  if (rc == -EDOM || rc == -EOPNOTSUPP)  // a pseudo-syscall on this arch
    return absl::OkStatus();
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: seccomp_rule_add(", name, "): ", strerror(-rc)));
  }
  return absl::OkStatus();
}

// clang-format off
// Allowed outright.
constexpr const char* kAllowed[] = {
    // Memory, including JavaScriptCore's JIT (PROT_EXEC) and collector.
    "brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore",
    "membarrier",
    // Threads and their synchronisation (clone is allowed below for threads).
    "futex", "set_robust_list", "get_robust_list", "rseq", "set_tid_address",
    "exit", "exit_group", "gettid", "getpid", "getppid", "sched_yield",
    "sched_getaffinity", "sched_getparam", "sched_getscheduler",
    "sched_get_priority_min", "sched_get_priority_max", "getpriority",
    // Signals within the process (kill and tgkill are restricted below).
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigpending", "sigaltstack", "restart_syscall",
    // Clocks and sleeps.
    "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    "gettimeofday", "time", "getrusage", "times",
    // I/O on descriptors the process already has: gRPC's socket, epoll and
    // wakeups, stdio.
    "read", "write", "readv", "writev", "pread64", "close", "fstat", "lseek",
    "dup", "dup3", "pipe2", "eventfd2", "epoll_create1", "epoll_ctl",
    "epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select",
    "pselect6", "sendmsg", "recvmsg", "sendto", "recvfrom", "shutdown",
    "getsockopt", "setsockopt", "getsockname", "getpeername",
    // Facts about itself.
    "getrandom", "uname", "getuid", "geteuid", "getgid", "getegid",
    "getresuid", "getresgid", "getrlimit", "sysinfo",
};

// Refused with EPERM, quietly: calls libraries make lazily and cope without.
constexpr const char* kRefusedQuietly[] = {
    // Files.
    "open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2",
    "stat", "lstat", "statx", "readlink", "readlinkat", "statfs",
    // JavaScriptCore sets SCHED_RESET_ON_FORK on each thread it starts, by
    // thread id: a filter cannot tell the process's own threads from other
    // processes', and the flag only matters to a process that forks.
    "sched_setscheduler",
};

// The process is killed: no honest renderer makes these.
constexpr const char* kKilled[] = {
    "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "process_madvise", "pidfd_getfd", "kcmp", "bpf", "perf_event_open",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key", "mount", "umount2", "pivot_root",
    "chroot", "setns", "unshare", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "fsopen", "fsconfig",
    "fsmount", "fspick", "move_mount", "open_tree", "open_by_handle_at",
    "name_to_handle_at", "personality", "quotactl", "acct", "swapon",
    "swapoff", "reboot", "iopl", "ioperm",
};
// clang-format on

absl::Status AddRules(scmp_filter_ctx ctx) {
  const uint64_t pid = static_cast<uint64_t>(getpid());
  for (const char* name : kAllowed) {
    if (absl::Status s = Add(ctx, SCMP_ACT_ALLOW, name); !s.ok())
      return s;
  }
  for (const char* name : kRefusedQuietly) {
    if (absl::Status s = Add(ctx, SCMP_ACT_ERRNO(EPERM), name); !s.ok())
      return s;
  }
  for (const char* name : kKilled) {
    if (absl::Status s = Add(ctx, SCMP_ACT_KILL_PROCESS, name); !s.ok())
      return s;
  }
  // clang-format off
  const struct {
    const char* name;
    uint32_t action;
    std::initializer_list<scmp_arg_cmp> conditions;
  } kConditional[] = {
      // Threads, never processes: fork() and posix_spawn() are clone without
      // CLONE_THREAD and meet the default (EPERM, logged).
      {"clone", SCMP_ACT_ALLOW,
       {SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)}},
      {"clone3", SCMP_ACT_ERRNO(ENOSYS), {}},
      // Signals to its own threads only (JavaScriptCore suspends threads with
      // signals; glibc's raise() and pthread_kill() use tgkill).
      {"tgkill", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, pid)}},
      {"kill", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, pid)}},
      {"rt_tgsigqueueinfo", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, pid)}},
      // Reading its own limits, never setting any.
      {"prlimit64", SCMP_ACT_ALLOW,
       {SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0)}},
      // Naming threads and mappings.
      {"prctl", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)}},
      {"prctl", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, PR_GET_NAME)}},
      {"prctl", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, PR_SET_VMA)}},
      {"prctl", SCMP_ACT_ALLOW, {SCMP_A0(SCMP_CMP_EQ, PR_GET_DUMPABLE)}},
      // Descriptor flags (gRPC makes its descriptors non-blocking).
      {"fcntl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, F_GETFD)}},
      {"fcntl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, F_SETFD)}},
      {"fcntl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, F_GETFL)}},
      {"fcntl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, F_SETFL)}},
      {"fcntl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC)}},
      // Bytes waiting on a socket, and non-blocking mode.
      {"ioctl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, FIONREAD)}},
      {"ioctl", SCMP_ACT_ALLOW, {SCMP_A1(SCMP_CMP_EQ, FIONBIO)}},
  };
  // clang-format on
  for (const auto& rule : kConditional) {
    if (absl::Status s = Add(ctx, rule.action, rule.name, rule.conditions);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

void ResolveSyscallNames() {
  for (int nr = 0; nr < kMaxSyscall; ++nr) {
    if (g_syscall_names[nr] == nullptr) {
      // Allocated once per process and kept: the handler reads them.
      g_syscall_names[nr] =
          seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    }
  }
}

}  // namespace

absl::Status InstallRendererSeccompPolicy() {
  // Everything not named below: EPERM, logged by the SIGSYS handler.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == nullptr)
    return absl::InternalError("seccomp: seccomp_init failed");
  absl::Cleanup release = [ctx] { seccomp_release(ctx); };
  // Every thread at once; a call from another architecture's table (int 0x80,
  // x32) kills.
  struct {
    scmp_filter_attr attribute;
    uint32_t value;
    const char* name;
  } const kAttributes[] = {
      {SCMP_FLTATR_CTL_TSYNC, 1, "TSYNC"},
      {SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "BADARCH"},
      {SCMP_FLTATR_CTL_OPTIMIZE, 2, "OPTIMIZE"},  // a binary tree of calls
  };
  for (const auto& a : kAttributes) {
    if (const int rc = seccomp_attr_set(ctx, a.attribute, a.value); rc != 0) {
      return absl::InternalError(absl::StrCat("seccomp: seccomp_attr_set(",
                                              a.name, "): ", strerror(-rc)));
    }
  }
  if (absl::Status rules = AddRules(ctx); !rules.ok())
    return rules;

  ResolveSyscallNames();
  struct sigaction action = {};
  action.sa_sigaction = OnSigsys;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGSYS, &action, nullptr) != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: sigaction(SIGSYS): ", strerror(errno)));
  }
  if (const int rc = seccomp_load(ctx); rc != 0) {
    return absl::InternalError(absl::StrCat(
        "seccomp: seccomp_load: ", strerror(-rc),
        rc == -ESRCH ? " (a thread could not be synchronised)" : ""));
  }
  return absl::OkStatus();
}

}  // namespace fetch_later::sandbox
