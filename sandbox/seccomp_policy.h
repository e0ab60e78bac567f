// The renderer's seccomp-bpf policy (Chromium: the renderer's BPF policy),
// built with libseccomp and installed on every thread at once (TSYNC) by
// Seal() (sandbox.h).
//
// What a system call meets, decided per call (and, for a few, per argument):
//
//   allowed     the calls a renderer needs after start-up: its threads (clone
//               with CLONE_THREAD only, futex, rseq, signals to its own
//               threads), memory (mmap/mprotect with PROT_EXEC for
//               JavaScriptCore's JIT, madvise, mremap), I/O on descriptors it
//               already has (gRPC's socket, epoll, eventfds, pipes; send/recv,
//               read/write), clocks and sleeps, getrandom, and reading its own
//               limits and names;
//   ENOSYS      clone3, whose flags live in memory a filter cannot read: glibc
//               then falls back to clone, whose flags the filter checks;
//   EPERM       opening or probing files (open, openat, stat, access, ...):
//               libraries probe files lazily and cope with a refusal, which
//               Landlock would give as well; and sched_setscheduler, which
//               JavaScriptCore calls on each new thread (by thread id, which a
//               filter cannot tell from another process's id);
//   EPERM, logged
//               everything else, e.g. socket, connect, bind, fork (clone
//               without CLONE_THREAD), kill of another process: the SIGSYS
//               handler writes "sandbox: refused system call N (name)" to
//               stderr once per call number and returns EPERM, so an
//               unexpected need shows in the logs instead of as a crash;
//   killed      execve, execveat, ptrace, process_vm_readv/writev, and calls
//               that only widen the kernel's attack surface (bpf,
//               perf_event_open, userfaultfd, io_uring, keyctl, mount, setns,
//               unshare, module and kexec calls, ...): a renderer that makes
//               one is compromised, and SECCOMP_RET_KILL_PROCESS ends it
//               whatever its signal handlers (the browser logs it killed by
//               SIGSYS).
//
// newfstatat() is trapped too: glibc's fstat() is newfstatat(fd, "",
// AT_EMPTY_PATH), which the handler performs as fstat(); with a path it is
// refused like stat().
//
// AddressSanitizer and UndefinedBehaviorSanitizer builds run under this same
// list (the tests found nothing more they need); their policy differs only in
// the address-space limit (sandbox.h). A sanitizer report that wants to read
// /proc/self/maps or symbolize is refused, and prints raw addresses.
#ifndef SANDBOX_SECCOMP_POLICY_H_
#define SANDBOX_SECCOMP_POLICY_H_

#include "absl/status/status.h"

namespace fetch_later::sandbox {

// Installs the SIGSYS handler and the filter on every thread of the process.
// Requires no-new-privs (Seal() sets it). An error names the libseccomp call
// that failed.
absl::Status InstallRendererSeccompPolicy();

}  // namespace fetch_later::sandbox

#endif  // SANDBOX_SECCOMP_POLICY_H_
