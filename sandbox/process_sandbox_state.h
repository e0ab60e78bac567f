// What another process's sandbox looks like from outside, read from /proc: the
// seccomp mode and no-new-privs flag of each of its threads, and whether its
// user and network namespaces differ from the reader's (like chrome://sandbox,
// but seen by the browser rather than told by the renderer). Landlock does not
// show in /proc.
//
//   absl::StatusOr<ProcessSandboxState> state = InspectProcessSandbox(pid);
//   absl::Status sandboxed = CheckSeccompSandboxed(*state);
#ifndef SANDBOX_PROCESS_SANDBOX_STATE_H_
#define SANDBOX_PROCESS_SANDBOX_STATE_H_

#include <sys/types.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::sandbox {

// The fields of one /proc/PID/status (or /proc/PID/task/TID/status).
struct ThreadSandboxFields {
  // "Seccomp:": 0 disabled, 1 strict, 2 filter.
  int seccomp_mode = 0;
  // "NoNewPrivs:".
  bool no_new_privs = false;
  // "Seccomp_filters:" (Linux 5.9+): filters installed on the thread.
  std::optional<int> seccomp_filters;
};

// Parses the text of a /proc status file. An error when "Seccomp:" or
// "NoNewPrivs:" is missing (a kernel without CONFIG_SECCOMP).
absl::StatusOr<ThreadSandboxFields> ParseProcStatus(absl::string_view text);

// A process's sandbox as /proc shows it; made by InspectProcessSandbox().
struct ProcessSandboxState {
  pid_t pid = 0;
  // The main thread's fields (/proc/PID/status).
  ThreadSandboxFields main_thread;
  // Threads read, and how many of them have seccomp mode 2 and no-new-privs.
  int threads = 0;
  int threads_sandboxed = 0;
  // Whether the process's namespaces differ from the reading process's.
  bool own_user_namespace = false;
  bool own_net_namespace = false;
};

// Reads /proc/`pid`/status, every /proc/`pid`/task/*/status and
// /proc/`pid`/ns/{user,net}. An error names the file that could not be read
// (the process has gone, or /proc is not mounted).
absl::StatusOr<ProcessSandboxState> InspectProcessSandbox(pid_t pid);

// OK when every thread runs under a seccomp filter with no-new-privs; else an
// error saying what is missing ("seccomp mode 0 on the main thread").
absl::Status CheckSeccompSandboxed(const ProcessSandboxState& state);

}  // namespace fetch_later::sandbox

#endif  // SANDBOX_PROCESS_SANDBOX_STATE_H_
