// RendererProcessLauncher: starts one renderer process per renderer host
// (site-per-process), like Chromium's ChildProcessLauncher, and kills it on
// request (a bad message, a crash requested by the driver, shutdown).
//
// Each renderer inherits exactly three things besides stdout and stderr: its
// channel to the browser (one end of a socket pair the server made for it,
// BrowserServer::OpenRendererChannel), as descriptor 3, named on its command
// line (--channel_fd=3); its launch token, on a pipe connected to its stdin,
// never on the command line or in the environment (both are readable by other
// processes of the user through /proc); and its flags. Every other descriptor
// of the browser is closed in the child. The renderer then sandboxes itself
// (renderer/renderer_sandbox.h); with `no_sandbox` it is told --no-sandbox.
//
// A renderer that exits on its own is logged on stderr when the exit says
// something: it could not enter its sandbox (exit status 3), or its sandbox
// killed it (SIGSYS: a forbidden system call).
//
// Owned by the browser's main; outlives BrowserCore's use of it. Thread-safe. A
// reaper thread collects exited children.
#ifndef BROWSER_RENDERER_PROCESS_LAUNCHER_H_
#define BROWSER_RENDERER_PROCESS_LAUNCHER_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "browser/renderer_host.h"
#include "browser/scoped_fd.h"

namespace fetch_later::browser {

class RendererProcessLauncher {
 public:
  struct Options {
    // The renderer executable.
    std::string renderer_binary;
    // Makes the renderer's channel (BrowserServer::OpenRendererChannel).
    std::function<absl::StatusOr<ScopedFd>(const RendererHost&)> open_channel;
    // More flags for every renderer (e.g. "--script_time_limit_ms=500").
    std::vector<std::string> extra_args;
    // Renderers run without their sandbox (--no-sandbox): debugging only.
    bool no_sandbox = false;
  };

  // The descriptor number of the channel in the renderer.
  static constexpr int kChannelFd = 3;
  // The renderer's exit status when it cannot enter its sandbox
  // (renderer/renderer_sandbox.h, kSandboxFailureExitCode).
  static constexpr int kSandboxFailureExitCode = 3;

  explicit RendererProcessLauncher(Options options);
  ~RendererProcessLauncher();  // kills every renderer still running
  RendererProcessLauncher(const RendererProcessLauncher&) = delete;
  RendererProcessLauncher& operator=(const RendererProcessLauncher&) = delete;

  absl::Status Launch(const RendererHost& host);
  // SIGKILL to the host's process. False when it has no running process.
  bool Kill(const RendererHost& host);
  void KillAll();
  std::optional<pid_t> PidOf(RendererId renderer);
  int running_count();

 private:
  struct Child {
    pid_t pid = 0;
    std::string site;
  };
  void Reap();

  const Options options_;
  absl::Mutex mu_;
  absl::flat_hash_map<RendererId, Child> children_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reaper_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_RENDERER_PROCESS_LAUNCHER_H_
