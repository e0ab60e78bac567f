// BrowserServer: serves the browser's gRPC interfaces on Unix sockets in a
// private directory (mode 0700, made with mkdtemp; each socket 0600):
// `renderer.sock` (DeferredFetchHost, for renderer processes), `control.sock`
// (BrowserControl, for the driver) and, when given a DebugService, `debug.sock`
// (the read-only DebugService, for fetchlater_debug and other inspectors).
// Owned by the browser's main or a test; `core` (and the debug service) must
// outlive it. Stops the servers and removes the directory on destruction.
#ifndef BROWSER_BROWSER_SERVER_H_
#define BROWSER_BROWSER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "browser/browser_control_service.h"
#include "browser/browser_core.h"
#include "browser/debug_service.h"
#include "browser/deferred_fetch_host_service.h"
#include "grpcpp/grpcpp.h"

namespace fetch_later::browser {

class BrowserServer {
 public:
  // Creates the socket directory under `parent_dir` (default /tmp: Unix socket
  // paths are limited to 107 bytes) and starts serving. `debug_service` (not
  // owned, must outlive the server) is served on `debug.sock` when not null.
  static absl::StatusOr<std::unique_ptr<BrowserServer>> Start(
      BrowserCore* core,
      std::string parent_dir = "/tmp",
      DebugService* debug_service = nullptr);
  ~BrowserServer();
  BrowserServer(const BrowserServer&) = delete;
  BrowserServer& operator=(const BrowserServer&) = delete;

  const std::string& socket_dir() const { return socket_dir_; }
  // gRPC target strings ("unix:/tmp/dfXXXXXX/renderer.sock").
  std::string renderer_address() const {
    return "unix:" + socket_dir_ + "/renderer.sock";
  }
  std::string control_address() const {
    return "unix:" + socket_dir_ + "/control.sock";
  }
  // "" when no debug service was given.
  std::string debug_address() const {
    return debug_server_ ? "unix:" + socket_dir_ + "/debug.sock" : "";
  }

  void Shutdown();

 private:
  BrowserServer(BrowserCore* core,
                std::string socket_dir,
                DebugService* debug_service);

  BrowserCore* const core_;  // Not owned.
  const std::string socket_dir_;
  DeferredFetchHostService host_service_;
  BrowserControlService control_service_;
  DebugService* const debug_service_;  // Not owned; may be null.
  std::unique_ptr<grpc::Server> renderer_server_;
  std::unique_ptr<grpc::Server> control_server_;
  std::unique_ptr<grpc::Server> debug_server_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_SERVER_H_
