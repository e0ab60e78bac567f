// A renderer process: reads its launch token from stdin (one line), connects
// back to the browser (--browser=unix:...), hosts the documents the browser
// commits to it and runs the page steps the browser hands it, until the browser
// ends its event stream (it is shut down or cut off) or the process is
// signalled.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/clock.h"
#include "renderer/renderer_connection.h"

ABSL_FLAG(std::string,
          browser,
          "",
          "The browser's renderer socket (gRPC target).");
ABSL_FLAG(std::string, site, "", "The site this renderer hosts (for logs).");
ABSL_FLAG(int,
          script_time_limit_ms,
          2000,
          "The script watchdog: a page script task running longer is stopped.");

namespace {
volatile sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  std::string token;
  if (!std::getline(std::cin, token) || token.empty()) {
    std::fprintf(stderr, "renderer: no launch token on stdin\n");
    return 2;
  }
  fetch_later::renderer::ScriptEngineOptions script_options;
  script_options.time_limit =
      absl::Milliseconds(absl::GetFlag(FLAGS_script_time_limit_ms));
  auto connection = fetch_later::renderer::RendererConnection::Connect(
      absl::GetFlag(FLAGS_browser), token, script_options);
  if (!connection.ok()) {
    std::fprintf(stderr, "renderer %s: %s\n", absl::GetFlag(FLAGS_site).c_str(),
                 connection.status().ToString().c_str());
    return 2;
  }
  while (!g_stop && !(*connection)->disconnected())
    absl::SleepFor(absl::Milliseconds(20));
  return 0;
}
