#include "browser/browser_server.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/server_posix.h"

namespace fetch_later::browser {

BrowserServer::BrowserServer(BrowserCore* core,
                             std::string socket_dir,
                             DebugService* debug_service)
    : core_(core),
      socket_dir_(std::move(socket_dir)),
      host_service_(core),
      control_service_(core),
      debug_service_(debug_service) {}

absl::StatusOr<std::unique_ptr<BrowserServer>> BrowserServer::Start(
    BrowserCore* core,
    std::string parent_dir,
    DebugService* debug_service) {
  std::string dir_template = parent_dir + "/dfXXXXXX";
  std::vector<char> buffer(dir_template.begin(), dir_template.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {  // mode 0700
    return absl::InternalError(
        absl::StrCat("mkdtemp(", dir_template, "): ", strerror(errno)));
  }
  std::unique_ptr<BrowserServer> server(
      new BrowserServer(core, std::string(buffer.data()), debug_service));
  if ((server->socket_dir_ + "/control.sock").size() > 107) {
    return absl::InvalidArgumentError("socket path longer than 107 bytes");
  }

  // No listening port: each renderer's channel is added by
  // OpenRendererChannel().
  grpc::ServerBuilder renderer_builder;
  renderer_builder.RegisterService(&server->host_service_);
  // Explicit limit: no honest FetchLater message comes near it (see ipc
  // Limits).
  renderer_builder.SetMaxReceiveMessageSize(ipc::MAX_MESSAGE_BYTES);
  server->renderer_server_ = renderer_builder.BuildAndStart();

  grpc::ServerBuilder control_builder;
  control_builder.AddListeningPort(server->control_address(),
                                   grpc::InsecureServerCredentials());
  control_builder.RegisterService(&server->control_service_);
  control_builder.experimental().SetInterceptorCreators(
      server->control_calls_.MakeCounter());
  server->control_server_ = control_builder.BuildAndStart();

  if (debug_service != nullptr) {
    // Read-only, but it shows every URL and origin the user visited: the same
    // owner-only protection as the other sockets.
    grpc::ServerBuilder debug_builder;
    debug_builder.AddListeningPort(
        "unix:" + server->socket_dir_ + "/debug.sock",
        grpc::InsecureServerCredentials());
    debug_builder.RegisterService(debug_service);
    debug_builder.experimental().SetInterceptorCreators(
        server->debug_calls_.MakeCounter());
    server->debug_server_ = debug_builder.BuildAndStart();
    if (server->debug_server_ == nullptr) {
      return absl::InternalError(absl::StrCat(
          "cannot listen on ", server->socket_dir_, "/debug.sock"));
    }
    chmod((server->socket_dir_ + "/debug.sock").c_str(), 0600);
  }
  if (server->renderer_server_ == nullptr ||
      server->control_server_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot listen in ", server->socket_dir_));
  }
  // Sockets are for this user only (the directory is 0700 already).
  chmod((server->socket_dir_ + "/control.sock").c_str(), 0600);
  return server;
}

absl::StatusOr<ScopedFd> BrowserServer::OpenChannel(
    const RendererHost* renderer) {
  // Non-blocking on both ends, as gRPC's descriptor transports require;
  // close-on-exec: only the launcher's explicit hand-over reaches a child.
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                 ends) != 0) {
    return absl::InternalError(
        absl::StrCat("socketpair for a renderer channel: ", strerror(errno)));
  }
  ScopedFd renderer_end(ends[1]);
  absl::MutexLock lock(&mu_);
  if (shut_down_) {
    close(ends[0]);
    return absl::FailedPreconditionError(
        "the browser's server is shut down: no new renderer channels");
  }
  // gRPC names the server's end of such a channel "fd:N" (the peer of every
  // call on it); N may be a closed channel's number reused. Bound before the
  // server reads from it.
  const std::string peer = absl::StrCat("fd:", ends[0]);
  if (renderer != nullptr) {
    host_service_.BindChannel(peer, renderer->id());
  } else {
    host_service_.UnbindChannel(peer);
  }
  grpc::AddInsecureChannelFromFd(renderer_server_.get(), ends[0]);  // owns it
  return renderer_end;
}

absl::StatusOr<ScopedFd> BrowserServer::OpenRendererChannel(
    const RendererHost& renderer) {
  return OpenChannel(&renderer);
}

absl::StatusOr<ScopedFd> BrowserServer::OpenUnboundRendererChannelForTesting() {
  return OpenChannel(nullptr);
}

void BrowserServer::SetRendererCheck(
    DeferredFetchHostService::RendererCheck check) {
  host_service_.set_renderer_check(std::move(check));
}

void BrowserServer::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_)
      return;
    shut_down_ = true;
  }
  // The long-lived streams end first: the renderers' event streams and the
  // debug watchers would otherwise hold the servers until the deadline.
  host_service_.Stop();
  if (debug_service_ != nullptr)
    debug_service_->Stop();
  const absl::Time grace_end = absl::Now() + kShutdownGracePeriod;
  const auto deadline = absl::ToChronoTime(grace_end);
  // Each renderer's channel closes when its process dies (the launcher kills
  // them first) or its in-process client hangs up.
  if (renderer_server_)
    renderer_server_->Shutdown(deadline);
  // The driver's and inspectors' clients may keep idle connections open that
  // they will not close until they next poll (they do not read the server's
  // GOAWAY before): wait for the calls in flight only, then shut down at once,
  // which closes those connections.
  control_calls_.WaitForNone(grace_end);
  if (control_server_)
    control_server_->Shutdown(std::chrono::system_clock::now());
  debug_calls_.WaitForNone(grace_end);
  if (debug_server_)
    debug_server_->Shutdown(std::chrono::system_clock::now());
}

BrowserServer::~BrowserServer() {
  Shutdown();
  renderer_server_.reset();
  control_server_.reset();
  debug_server_.reset();
  unlink((socket_dir_ + "/debug.sock").c_str());
  unlink((socket_dir_ + "/control.sock").c_str());
  rmdir(socket_dir_.c_str());
}

}  // namespace fetch_later::browser
