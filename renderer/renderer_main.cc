// A renderer process, started by the browser
// (browser/renderer_process_launcher.h):
//
//   renderer --channel_fd=3 --site=https://a.test [--script_time_limit_ms=N]
//            [--no-sandbox] [--trace_startup]
//
// It enters its sandbox's namespaces first, reads its launch token from stdin
// (one line), warms up and seals itself (renderer/renderer_sandbox.h), and
// only then makes its channel to the browser on the inherited socket
// `--channel_fd`, opens the channel's event stream, hosts the documents the
// browser commits to it and runs the page steps it hands it, until the browser
// ends the stream (it is shut down or cut off) or the process is signalled.
//
// Exit status: 0 after the browser ended the stream or a signal; 2 for bad
// arguments (the message names the flag); 3 when the sandbox could not be
// entered (the message names the layer). --no-sandbox (Chromium's spelling;
// --no_sandbox also works) skips the sandbox, for debugging only, and says so
// on stderr; the browser passes it on when it was given it.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "ipc/startup_trace.h"
#include "renderer/renderer_connection.h"
#include "renderer/renderer_sandbox.h"

ABSL_FLAG(bool,
          trace_startup,
          false,
          "Print a line to stderr as each start-up phase ends "
          "(ipc/startup_trace.h).");
ABSL_FLAG(int,
          channel_fd,
          -1,
          "The inherited descriptor of this renderer's end of its channel to "
          "the browser (a connected socket).");
ABSL_FLAG(std::string, site, "", "The site this renderer hosts (for logs).");
ABSL_FLAG(int,
          script_time_limit_ms,
          2000,
          "The script watchdog: a page script task running longer is stopped.");
ABSL_FLAG(
    bool,
    no_sandbox,
    false,
    "Run without the sandbox (debugging only; spelled --no-sandbox too).");

namespace {

volatile sig_atomic_t g_stop = 0;
void OnSignal(int) {
  g_stop = 1;
}

// Chromium spells it --no-sandbox; absl flag names cannot contain '-'. Runs
// before flags are parsed.
void AcceptChromiumNoSandboxSpelling(int argc, char** argv) {
  static char kRewritten[] = "--no_sandbox";
  for (int i = 1; i < argc; ++i) {
    if (absl::string_view(argv[i]) == "--")
      break;
    if (absl::string_view(argv[i]) == "--no-sandbox" ||
        absl::string_view(argv[i]) == "-no-sandbox") {
      argv[i] = kRewritten;
    }
  }
}

bool IsSocket(int fd) {
  struct stat st = {};
  return fd >= 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

int main(int argc, char** argv) {
  AcceptChromiumNoSandboxSpelling(argc, argv);
  absl::ParseCommandLine(argc, argv);
  const std::string site = absl::GetFlag(FLAGS_site);
  const bool sandboxed = !absl::GetFlag(FLAGS_no_sandbox);
  namespace startup_trace = fetch_later::ipc::startup_trace;
  if (absl::GetFlag(FLAGS_trace_startup)) {
    startup_trace::Enable("renderer");
    startup_trace::Mark("flags_parsed");
  }
  // New namespaces need a single-threaded process: before anything else.
  fetch_later::renderer::RendererSandbox sandbox(sandboxed);
  startup_trace::Mark("namespaces_entered");

  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  const int channel_fd = absl::GetFlag(FLAGS_channel_fd);
  if (!IsSocket(channel_fd)) {
    std::fprintf(stderr,
                 "renderer %s: --channel_fd=%d is not an open socket (the "
                 "browser hands its renderers their channel)\n",
                 site.c_str(), channel_fd);
    return 2;
  }
  std::string token;
  if (!std::getline(std::cin, token) || token.empty()) {
    std::fprintf(stderr, "renderer %s: no launch token on stdin\n",
                 site.c_str());
    return 2;
  }
  startup_trace::Mark("token_read");
  fetch_later::renderer::ScriptEngineOptions script_options;
  script_options.time_limit =
      absl::Milliseconds(absl::GetFlag(FLAGS_script_time_limit_ms));

  if (absl::Status sealed = sandbox.Seal(script_options); !sealed.ok()) {
    std::fprintf(stderr, "renderer %s: cannot enter the sandbox: %s\n",
                 site.c_str(), std::string(sealed.message()).c_str());
    return fetch_later::renderer::kSandboxFailureExitCode;
  }
  startup_trace::Mark("sandbox_sealed");
  if (!sandboxed) {
    std::fprintf(stderr,
                 "renderer %s: WARNING: running WITHOUT A SANDBOX "
                 "(--no-sandbox): for debugging only\n",
                 site.c_str());
  }
  for (const std::string& note : sandbox.layers_entered().notes)
    std::fprintf(stderr, "renderer %s: sandbox: %s\n", site.c_str(),
                 note.c_str());

  // gRPC starts its threads, epoll set and wakeup descriptors here, inside the
  // sandbox: they inherit it, and need nothing the policy refuses.
  auto connection = fetch_later::renderer::RendererConnection::Connect(
      fetch_later::renderer::RendererConnection::ChannelFromFd(channel_fd),
      token, script_options, sandbox.report(), sandbox.TakeScriptEngine());
  if (!connection.ok()) {
    std::fprintf(stderr, "renderer %s: %s\n", site.c_str(),
                 connection.status().ToString().c_str());
    return 2;
  }
  startup_trace::Mark("connected");
  while (!g_stop && !(*connection)->disconnected())
    absl::SleepFor(absl::Milliseconds(20));
  return 0;
}
