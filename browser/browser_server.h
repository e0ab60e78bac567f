// BrowserServer: serves the browser's gRPC interfaces. Renderers get no socket
// path: each gets its own channel to the renderer interface
// (DeferredFetchHost), one end of a connected socket pair the browser makes for
// it (OpenRendererChannel) and hands it as an inherited descriptor, as a Mojo
// invitation does; the channel is bound to that renderer. The driver's and
// inspectors' interfaces are Unix sockets in a private directory (mode 0700,
// made with mkdtemp; each socket 0600): `control.sock` (BrowserControl) and,
// when given a DebugService, `debug.sock` (the read-only DebugService, for
// fetchlater_debug and other inspectors); a sandboxed renderer can reach
// neither (it can make no socket). Owned by the browser's main or a test;
// `core` (and the debug service) must outlive it. Stops the servers and removes
// the directory on destruction. Thread-safe.
#ifndef BROWSER_BROWSER_SERVER_H_
#define BROWSER_BROWSER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/browser_control_service.h"
#include "browser/browser_core.h"
#include "browser/debug_service.h"
#include "browser/deferred_fetch_host_service.h"
#include "browser/in_flight_calls.h"
#include "browser/scoped_fd.h"
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

  // A new channel for `renderer`: a connected socket pair whose one end the
  // renderer interface serves (gRPC's AddInsecureChannelFromFd), bound to
  // `renderer`, and whose other end is returned for the renderer process to
  // inherit (RendererProcessLauncher) or, in tests, for an in-process
  // renderer (RendererConnection::ChannelFromFd).
  absl::StatusOr<ScopedFd> OpenRendererChannel(const RendererHost& renderer);

  // Run when a renderer opens its event stream (see DeferredFetchHostService).
  void SetRendererCheck(DeferredFetchHostService::RendererCheck check);

  // For testing only: a channel bound to no renderer, on which every token is
  // refused (tests that play a stranger).
  absl::StatusOr<ScopedFd> OpenUnboundRendererChannelForTesting();

  // gRPC target strings ("unix:/tmp/dfXXXXXX/control.sock").
  std::string control_address() const {
    return "unix:" + socket_dir_ + "/control.sock";
  }
  // "" when no debug service was given.
  std::string debug_address() const {
    return debug_server_ ? "unix:" + socket_dir_ + "/debug.sock" : "";
  }

  // Stops serving: ends the renderers' event streams and the debug watchers,
  // waits up to kShutdownGracePeriod for the calls in flight (not for idle
  // client connections), then stops the servers. New renderer channels are
  // refused from the start. Idempotent.
  void Shutdown();

  // How long Shutdown() lets calls in flight finish before cancelling them.
  static constexpr absl::Duration kShutdownGracePeriod = absl::Seconds(1);

 private:
  BrowserServer(BrowserCore* core,
                std::string socket_dir,
                DebugService* debug_service);
  // The server's end is served and bound to `renderer` when given.
  absl::StatusOr<ScopedFd> OpenChannel(const RendererHost* renderer);

  BrowserCore* const core_;  // Not owned.
  const std::string socket_dir_;
  DeferredFetchHostService host_service_;
  BrowserControlService control_service_;
  DebugService* const debug_service_;  // Not owned; may be null.
  // The control and debug servers' calls in flight (Shutdown waits for them);
  // declared before the servers, which hold interceptors counting into them.
  InFlightCalls control_calls_;
  InFlightCalls debug_calls_;
  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<grpc::Server> renderer_server_;
  std::unique_ptr<grpc::Server> control_server_;
  std::unique_ptr<grpc::Server> debug_server_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_SERVER_H_
