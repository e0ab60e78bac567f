// The floor of tools/startup_bench: the least a process can do to be reachable
// over gRPC. Serves ipc.Echo on a Unix socket in a private mkdtemp directory
// (mode 0700, as the browser does), prints one line
//
//   {"address": "unix:/tmp/echoXXXXXX/echo.sock", "pid": N}
//
// on stdout, and runs until SIGTERM or SIGINT, then removes the socket and its
// directory and exits 0.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "ipc/echo.grpc.pb.h"

namespace {

class EchoService final : public fetch_later::ipc::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*,
                    const fetch_later::ipc::EchoRequest* request,
                    fetch_later::ipc::EchoReply* reply) override {
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

}  // namespace

int main() {
  // Blocked before gRPC starts threads, so they inherit it; main waits.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  char dir[] = "/tmp/echoXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::fprintf(stderr, "echo_server: mkdtemp: %s\n", std::strerror(errno));
    return 1;
  }
  const std::string socket_path = std::string(dir) + "/echo.sock";
  const std::string address = "unix:" + socket_path;
  EchoService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    std::fprintf(stderr, "echo_server: cannot listen on %s\n", address.c_str());
    rmdir(dir);
    return 1;
  }
  std::printf("{\"address\": \"%s\", \"pid\": %d}\n", address.c_str(),
              static_cast<int>(getpid()));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server.reset();
  unlink(socket_path.c_str());
  rmdir(dir);
  return 0;
}
