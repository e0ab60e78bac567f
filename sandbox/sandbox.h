// The renderer's sandbox (Chromium's //sandbox/linux with its renderer policy):
// layers a process puts around itself after start-up and before it parses
// anything a page controls, so that a compromised renderer reaches nothing but
// the channel it was handed.
//
//   sandbox::SandboxReport report;
//   sandbox::EnterNamespaces(&report);  // first, while single-threaded
//   ... warm-up: everything that opens files or starts threads lazily ...
//   absl::Status sealed = sandbox::Seal(sandbox::SealOptions(), &report);
//   if (!sealed.ok()) exit(...);        // the message names the layer
//
// The layers, outermost first:
//   1. new user, network and IPC namespaces: no network interface but a
//   loopback
//      that is down, and no capability over anything outside (namespaces.h);
//   2. resource limits: address space and open descriptors;
//   3. no-new-privs: nothing the process runs can gain privileges (Landlock
//      and seccomp require it);
//   4. Landlock, where the kernel has it: no filesystem access at all, and (by
//      ABI) no TCP bind/connect, no signals and no abstract Unix sockets
//      outside the process, on every thread (landlock.h);
//   5. seccomp-bpf: the renderer's allowlist of system calls, on every thread
//      (seccomp_policy.h).
// A layer the kernel does not offer (namespaces, Landlock) is a note in the
// report and the others still hold; a layer that cannot be entered (limits,
// no-new-privs, seccomp) is an error naming it.
//
// Sanitizer builds need a wider policy (AddressSanitizer reserves terabytes of
// shadow address space): build them with --define=sandbox_policy=sanitizer
// (the asan and fuzz configs in .bazelrc do); the default build refuses to
// compile with AddressSanitizer without it.
#ifndef SANDBOX_SANDBOX_H_
#define SANDBOX_SANDBOX_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fetch_later::sandbox {

// What a process did to sandbox itself, for its logs and the browser's
// internals page. Filled in by EnterNamespaces() and Seal().
struct SandboxReport {
  bool user_namespace = false;
  bool net_namespace = false;
  bool ipc_namespace = false;
  // The kernel's Landlock ABI version (0: no Landlock) and whether every
  // thread was restricted with it.
  int landlock_abi = 0;
  bool landlock = false;
  int landlock_threads = 0;
  bool no_new_privs = false;
  bool seccomp = false;
  // The limits set; 0 when not limited.
  uint64_t address_space_limit_bytes = 0;
  uint64_t descriptor_limit = 0;
  // Each layer fallen back from, and why ("no Landlock: the kernel has none").
  std::vector<std::string> notes;

  // One line: "user+net+ipc namespaces, Landlock ABI 7 (9 threads),
  // no-new-privs, seccomp-bpf, limits AS 64 GiB NOFILE 64".
  std::string Summary() const;
};

// Moves the calling process into new user, network and IPC namespaces. Must be
// called while the process has a single thread: the kernel refuses a new user
// namespace to a multi-threaded process. Without unprivileged user namespaces
// it tries a network and IPC namespace alone (which needs CAP_SYS_ADMIN), then
// none; each fallback is a note in `report`.
void EnterNamespaces(SandboxReport* report);

// Which layers Seal() enters; all of them unless a test isolates one.
struct SealOptions {
  bool resource_limits = true;
  bool landlock = true;
  bool seccomp = true;
};

// Enters layers 2-5 in order (limits, no-new-privs, Landlock on every thread,
// seccomp-bpf on every thread) and records them in `report`. After it returns
// OK, the process cannot open files, create sockets, start programs or
// processes, or trace anything; it keeps its threads, the descriptors it has,
// its memory (JIT included) and its clocks. An error names the layer that
// could not be entered; the process should then exit.
absl::Status Seal(const SealOptions& options, SandboxReport* report);

// The limits Seal() sets, exposed for tests.
// Open descriptors: a renderer holds about 20 (stdio, its channel, gRPC's
// epoll and wakeup descriptors, JavaScriptCore's); every new one must also be
// made by a system call the seccomp policy allows (pipes, eventfds, epoll).
inline constexpr uint64_t kDescriptorLimit = 128;
// Address space beyond what the process has mapped when it seals.
// JavaScriptCore reserves its Gigacage and JIT regions up front (some 70 GiB of
// address space, nearly none of it backed, and counted as data too), so a fixed
// limit would have to clear them; instead the renderer may grow by this much,
// which keeps a heap spray or an integer-overflowed allocation from taking the
// machine's address space. 16 GiB is the data limit Chromium's sandbox gave its
// 64-bit processes (sandbox/constants.h, kDataSizeLimit) for the same purpose.
inline constexpr uint64_t kAddressSpaceHeadroomBytes = uint64_t{16} << 30;

// Whether this build carries the sanitizer policy (see the header comment).
bool IsSanitizerPolicyBuild();
// Whether this build carries the ThreadSanitizer policy
// (--define=sandbox_policy=thread_sanitizer): the sanitizer policy, and Seal()
// leaves Landlock out with a note.
bool IsThreadSanitizerPolicyBuild();

}  // namespace fetch_later::sandbox

#endif  // SANDBOX_SANDBOX_H_
