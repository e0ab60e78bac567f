// RendererProcessLauncher: starts one renderer process per renderer host
// (site-per-process), like Chromium's ChildProcessLauncher, and kills it on
// request (a bad message, a crash requested by the driver, shutdown). The
// launch token goes to the child on a pipe connected to its stdin, never on the
// command line or in the environment (both are readable by other processes of
// the user through /proc).
//
// Owned by the browser's main; outlives BrowserCore's use of it. Thread-safe. A
// reaper thread collects exited children.
#ifndef BROWSER_RENDERER_PROCESS_LAUNCHER_H_
#define BROWSER_RENDERER_PROCESS_LAUNCHER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "browser/renderer_host.h"

namespace fetch_later::browser {

class RendererProcessLauncher {
 public:
  // `renderer_binary`: path of the renderer executable; `browser_address`: the
  // gRPC target it connects back to; `extra_args`: more flags for every
  // renderer (e.g. "--script_time_limit_ms=500").
  RendererProcessLauncher(std::string renderer_binary,
                          std::string browser_address,
                          std::vector<std::string> extra_args = {});
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
  void Reap();

  const std::string renderer_binary_;
  const std::string browser_address_;
  const std::vector<std::string> extra_args_;
  absl::Mutex mu_;
  absl::flat_hash_map<RendererId, pid_t> pids_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reaper_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_RENDERER_PROCESS_LAUNCHER_H_
