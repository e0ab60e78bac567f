// Debian's Chromium (/usr/bin/chromium), headless, driven over the DevTools
// protocol on loopback with a minimal WebSocket client (RFC 6455): no npm, no
// browser download. The same approach as tests/internals_page_test.cc, as a
// library for the benchmarks that compare this browser with Chromium.
//
//   auto chromium = HeadlessChromium::Launch(dir,
//   {"--host-resolver-rules=..."}); auto page =
//   (*chromium)->OpenPage("https://a.test/");   // a new tab
//   (*page)->Evaluate("fetchLater('/b')");
//   (*page)->Call("Page.close");
//   (*chromium)->Terminate();  // SIGTERM: the user quits
//
// Created by a benchmark; owns the Chromium process group (killed on
// destruction). Single-threaded use.
#ifndef TOOLS_HEADLESS_CHROMIUM_H_
#define TOOLS_HEADLESS_CHROMIUM_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fetch_later::tools {

// A DevTools protocol session over a WebSocket (one page target).
class DevToolsSession {
 public:
  ~DevToolsSession();
  DevToolsSession(const DevToolsSession&) = delete;
  DevToolsSession& operator=(const DevToolsSession&) = delete;

  // Sends {id, method, params} and returns the reply's "result" as JSON.
  absl::StatusOr<std::string> Call(const std::string& method,
                                   const std::string& params_json = "{}");
  // Runtime.evaluate(`expression`, awaitPromise) returning its value as JSON
  // (returnByValue); an exception is an error naming it.
  absl::StatusOr<std::string> Evaluate(const std::string& expression);
  // Sends a call without waiting for its reply (e.g. Page.close, whose
  // reply may never come once the target is gone).
  bool Send(const std::string& method, const std::string& params_json = "{}");

 private:
  friend class HeadlessChromium;
  explicit DevToolsSession(int fd);
  bool SendText(const std::string& text);
  std::optional<std::string> Receive(absl::Duration timeout);

  int fd_;
  std::string buffer_;
  int next_id_ = 1;
};

class HeadlessChromium {
 public:
  static constexpr char kBinary[] = "/usr/bin/chromium";

  // Starts Chromium (`binary`) with remote debugging on loopback, a fresh
  // profile in `dir`, HOME=`dir`, and `extra_args`. Unavailable when it is
  // not installed or does not start.
  static absl::StatusOr<std::unique_ptr<HeadlessChromium>> Launch(
      const std::string& dir,
      const std::vector<std::string>& extra_args,
      const std::string& binary = kBinary);
  ~HeadlessChromium();  // SIGKILL to the group if still running

  // Opens `url` in a new tab and attaches to it, once it has loaded.
  absl::StatusOr<std::unique_ptr<DevToolsSession>> OpenPage(
      const std::string& url);
  // SIGTERM (the user quits), then waits up to `timeout` for the exit.
  bool Terminate(absl::Duration timeout);
  std::string Log() const;

 private:
  HeadlessChromium() = default;
  // Waits for DevToolsActivePort.
  absl::Status WaitForDevTools(absl::Duration timeout);

  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string profile_;
  std::string log_;
};

}  // namespace fetch_later::tools

#endif  // TOOLS_HEADLESS_CHROMIUM_H_
