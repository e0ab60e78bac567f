// A browser for out-of-process test clients (tests/adversarial_client.py):
// BrowserCore on a fake clock with a recording network stage, served by
// BrowserServer. Nothing is sent to a real network.
//
// The real browser has no renderer socket: each renderer inherits its own
// channel. Python's grpcio cannot take a descriptor, so this test browser also
// serves the renderer interface on `renderer.sock` in the server's private
// directory, with the launch token as the only check (a channel bound to no
// renderer: DeferredFetchHostService::AcceptAnyChannelForTesting).
//
// Protocol, one JSON object per stdout line:
//   on start:  {"control": "unix:/tmp/dfX/control.sock",
//               "renderer": "unix:/tmp/dfX/renderer.sock"}
//   on exit:   {"bad_messages": [{"site": ..., "reason": "FETCH_LATER_...",
//                                 "detail": ...}, ...],
//               "sent": ["https://...", ...]}
// It serves until its stdin is closed or it receives SIGTERM/SIGINT. The exit
// summary is printed after the browser shut down, so "sent" includes what the
// shutdown itself sent (every still-pending deferred fetch).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "browser/bad_message.h"
#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "browser/deferred_fetch_host_service.h"
#include "grpcpp/grpcpp.h"
#include "net/clock.h"
#include "net/json_string.h"
#include "net/recording_network_stage.h"

int main() {
  using fetch_later::browser::BadMessageRecord;
  using fetch_later::browser::BrowserCore;
  using fetch_later::browser::BrowserServer;

  // Every thread (gRPC's included) inherits this mask; the main thread waits
  // for the signals synchronously.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  fetch_later::net::FakeClock clock;
  fetch_later::net::RecordingNetworkStage network;
  BrowserCore::Options options;
  options.network_stage = &network;
  options.clock = &clock;
  options.fake_clock = &clock;
  auto core = std::make_unique<BrowserCore>(options);
  auto server = BrowserServer::Start(core.get());
  if (!server.ok()) {
    std::cerr << "browser_test_server: " << server.status() << "\n";
    return 1;
  }
  // The renderer interface on a socket path, for Python.
  fetch_later::browser::DeferredFetchHostService renderer_door(core.get());
  renderer_door.AcceptAnyChannelForTesting();
  const std::string renderer_address =
      "unix:" + (*server)->socket_dir() + "/renderer.sock";
  grpc::ServerBuilder builder;
  builder.AddListeningPort(renderer_address, grpc::InsecureServerCredentials());
  builder.RegisterService(&renderer_door);
  builder.SetMaxReceiveMessageSize(fetch_later::ipc::MAX_MESSAGE_BYTES);
  std::unique_ptr<grpc::Server> renderer_server = builder.BuildAndStart();
  if (renderer_server == nullptr) {
    std::cerr << "browser_test_server: cannot listen on " << renderer_address
              << "\n";
    return 1;
  }
  std::cout << "{\"control\": "
            << fetch_later::net::JsonString((*server)->control_address())
            << ", \"renderer\": "
            << fetch_later::net::JsonString(renderer_address) << "}"
            << std::endl;

  // Closing stdin is the ordinary way to stop.
  std::thread stdin_watcher([] {
    char buffer[256];
    while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
    }
    kill(getpid(), SIGUSR1);
  });
  stdin_watcher.detach();
  int signal_number = 0;
  sigwait(&signals, &signal_number);

  std::vector<BadMessageRecord> records = core->bad_messages();
  renderer_server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(1));
  renderer_server.reset();
  unlink(((*server)->socket_dir() + "/renderer.sock").c_str());
  server->reset();  // stops serving
  core.reset();     // destroys the frame tree: pending fetches are sent

  std::string summary = "{\"bad_messages\": [";
  for (size_t i = 0; i < records.size(); ++i) {
    absl::StrAppend(
        &summary, i ? ", " : "",
        "{\"site\": ", fetch_later::net::JsonString(records[i].site),
        ", \"reason\": ",
        fetch_later::net::JsonString(std::string(
            fetch_later::browser::BadMessageReasonName(records[i].reason))),
        ", \"detail\": ", fetch_later::net::JsonString(records[i].detail), "}");
  }
  summary += "], \"sent\": [";
  std::vector<fetch_later::net::OutgoingRequest> sent = network.sent();
  for (size_t i = 0; i < sent.size(); ++i) {
    absl::StrAppend(&summary, i ? ", " : "",
                    fetch_later::net::JsonString(sent[i].url.Serialize()));
  }
  summary += "]}";
  std::cout << summary << std::endl;
  return 0;
}
