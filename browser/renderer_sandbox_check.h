// The browser's check of a renderer process's sandbox, made once the renderer
// opens its event stream (its first call, made after it sealed itself): the
// browser does not take the renderer's word for it. It reads /proc/PID
// (sandbox/process_sandbox_state.h): every thread must run under a seccomp
// filter with no-new-privs; the namespaces are shown as observed. Landlock and
// the resource limits do not show in /proc: they are shown as the renderer
// reported them. Like chrome://sandbox, but seen from outside.
//
//   RendererSandboxCheck check = CheckRendererSandbox(pid, request.sandbox(),
//                                                     /*required=*/true);
//   host.set_sandbox(check.state);
//   if (!check.status.ok()) ... cut the renderer off (check.status says why)
#ifndef BROWSER_RENDERER_SANDBOX_CHECK_H_
#define BROWSER_RENDERER_SANDBOX_CHECK_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "ipc/debug.pb.h"
#include "ipc/renderer_host.pb.h"

namespace fetch_later::browser {

struct RendererSandboxCheck {
  // For the internals page and fetchlater_debug.
  ipc::debug::RendererSandbox state;
  // Not OK when the sandbox is required and the process is not sandboxed (or
  // cannot be inspected): the message says what is missing.
  absl::Status status;
};

// Inspects process `pid` and combines it with the renderer's `reported`
// account (keeping at most 8 of its notes, 256 bytes each). With `required`
// false (--no-sandbox) the status is OK and the verdict "unchecked:
// --no-sandbox" whatever /proc shows.
RendererSandboxCheck CheckRendererSandbox(pid_t pid,
                                          const ipc::SandboxReport& reported,
                                          bool required);

// One line for logs: "seccomp 2 on 9/9 threads, no-new-privs, own user+net
// namespaces, Landlock ABI 7 (reported)".
std::string DescribeRendererSandbox(const ipc::debug::RendererSandbox& state);

}  // namespace fetch_later::browser

#endif  // BROWSER_RENDERER_SANDBOX_CHECK_H_
