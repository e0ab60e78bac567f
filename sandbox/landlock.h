// Landlock (Linux 5.13+): an unprivileged process restricts its own access to
// the filesystem (and, by ABI version, to TCP ports, signals and abstract Unix
// sockets outside its domain). Used by Seal() (sandbox.h) with a ruleset that
// handles every right the kernel knows and grants none: no filesystem access at
// all.
//
//   int abi = sandbox::LandlockAbi();                  // 0: no Landlock
//   absl::StatusOr<int> threads =
//   sandbox::RestrictEveryThreadWithLandlock(abi);
//
// landlock_restrict_self() restricts the calling thread only (this kernel's
// ABI has no flag to apply it to every thread, as seccomp's TSYNC does), and a
// thread keeps the domain it had when it was created. A process that already
// runs threads (gRPC's, JavaScriptCore's) therefore has each thread restrict
// itself: RestrictEveryThreadWithLandlock() signals every other thread, whose
// handler sets no-new-privs and calls landlock_restrict_self(), waits for each,
// and repeats until it finds no thread it has not restricted (a thread created
// meanwhile by an unrestricted one shows up in a later pass; one created by a
// restricted thread inherits the domain). The calling thread restricts itself
// last. glibc's setuid() broadcast (SIGSETXID) works the same way.
#ifndef SANDBOX_LANDLOCK_H_
#define SANDBOX_LANDLOCK_H_

#include <cstdint>

#include "absl/status/statusor.h"

namespace fetch_later::sandbox {

// The kernel's Landlock ABI version; 0 when it has none (not built in, or
// disabled at boot).
int LandlockAbi();

// What a ruleset for `abi` handles: every filesystem right, TCP bind/connect
// (ABI 4+), and the signal and abstract-Unix-socket scopes (ABI 6+).
struct LandlockRights {
  uint64_t fs = 0;
  uint64_t net = 0;
  uint64_t scoped = 0;
};
LandlockRights HandledRightsForAbi(int abi);

// Restricts every thread of the process to a ruleset handling
// HandledRightsForAbi(`abi`) with no rule: no filesystem access, no TCP, no
// signals or abstract sockets outside the process. The calling thread must not
// start threads meanwhile. Returns how many threads were restricted; an error
// names the thread that could not be (e.g. one blocking the signal used to
// reach it).
absl::StatusOr<int> RestrictEveryThreadWithLandlock(int abi);

}  // namespace fetch_later::sandbox

#endif  // SANDBOX_LANDLOCK_H_
