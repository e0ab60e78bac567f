// Runs the real `browser` binary as a child process
// (which launches real renderer processes), with its HTTPS pointed at a local
// collector, and connects to its control interface.
#ifndef TOOLS_BROWSER_PROCESS_H_
#define TOOLS_BROWSER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "ipc/browser_control.grpc.pb.h"

namespace fetch_later::tools {

class BrowserProcess {
 public:
  struct Options {
    std::string browser_binary;
    std::string ca_file;  // trust anchors for the browser's HTTPS
    std::string host_resolver_rules;
    bool virtual_time = true;
    // With `virtual_time`: where the browser's clock starts (Unix ms); 0: now.
    int64_t virtual_time_start_ms = 0;
    // The browser's --profile_dir (its journal of deferred fetches); empty:
    // none, everything in memory (the browser's own default, under the
    // user's home, is never used by tools and tests).
    std::string profile_dir;
    std::vector<std::string> extra_flags;
    // Where the browser's stderr goes (created or truncated); "": inherited.
    std::string stderr_path;
  };

  // Starts the browser and waits for its JSON start line.
  static absl::StatusOr<std::unique_ptr<BrowserProcess>> Start(
      const Options& options);
  ~BrowserProcess();  // SIGKILL if still running

  ipc::BrowserControl::Stub& control() { return *control_; }
  const std::string& control_address() const { return control_address_; }
  const std::string& debug_address() const { return debug_address_; }
  const std::string& internals_url() const { return internals_url_; }
  // The journal's path ("" without one).
  const std::string& journal_path() const { return journal_path_; }
  // The start line's "sandbox": "on", or the --no-sandbox warning.
  const std::string& sandbox() const { return sandbox_; }
  pid_t pid() const { return pid_; }

  // Closes the control channel (control() is gone from here on), sends
  // SIGTERM, then waits for the exit status (-1 on timeout).
  int Terminate(int timeout_ms = 20000);
  // SIGKILL (a crash: nothing runs in the browser after it), then waits.
  void Kill();

 private:
  BrowserProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string control_address_;
  std::string debug_address_;
  std::string sandbox_;
  std::string internals_url_;
  std::string journal_path_;
  std::unique_ptr<ipc::BrowserControl::Stub> control_;
};

// The path of a binary built into this test's or tool's runfiles, e.g.
// RunfilesPath("browser/browser").
std::string RunfilesPath(const std::string& workspace_relative);

}  // namespace fetch_later::tools

#endif  // TOOLS_BROWSER_PROCESS_H_
