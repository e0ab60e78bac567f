// A browser for out-of-process test clients (tests/adversarial_client.py):
// BrowserCore on a fake clock with a recording network stage, served by
// BrowserServer on its two Unix sockets. Nothing is sent to a real network.
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
  std::cout << "{\"control\": "
            << fetch_later::net::JsonString((*server)->control_address())
            << ", \"renderer\": "
            << fetch_later::net::JsonString((*server)->renderer_address())
            << "}" << std::endl;

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
