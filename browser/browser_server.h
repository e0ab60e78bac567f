// BrowserServer: serves the browser's two gRPC interfaces on Unix sockets in a
// private directory (mode 0700, made with mkdtemp): `renderer.sock`
// (DeferredFetchHost, for renderer processes) and `control.sock`
// (BrowserControl, for the driver). Owned by the browser's main or a test;
// `core` must outlive it. Stops both servers and removes the directory on
// destruction.
#ifndef BROWSER_BROWSER_SERVER_H_
#define BROWSER_BROWSER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "browser/browser_control_service.h"
#include "browser/browser_core.h"
#include "browser/deferred_fetch_host_service.h"
#include "grpcpp/grpcpp.h"

namespace fetch_later::browser {

class BrowserServer {
 public:
  // Creates the socket directory under `parent_dir` (default /tmp: Unix socket
  // paths are limited to 107 bytes) and starts serving.
  static absl::StatusOr<std::unique_ptr<BrowserServer>> Start(
      BrowserCore* core,
      std::string parent_dir = "/tmp");
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

  void Shutdown();

 private:
  BrowserServer(BrowserCore* core, std::string socket_dir);

  BrowserCore* const core_;  // Not owned.
  const std::string socket_dir_;
  DeferredFetchHostService host_service_;
  BrowserControlService control_service_;
  std::unique_ptr<grpc::Server> renderer_server_;
  std::unique_ptr<grpc::Server> control_server_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_SERVER_H_
