// The browser process. Launches one sandboxed renderer process per site, each
// with its own channel to the renderer-facing interface (an inherited socket:
// renderers have no socket path to find), serves the control and debug
// interfaces on Unix sockets in a private directory, and sends activated
// deferred fetches through the HTTPS-only network stage.
//
//   browser [--virtual_time] [--ca_file=FILE] [--host_resolver_rules="MAP *
//   127.0.0.1:8443"]
//           [--renderer_binary=PATH] [--net-log=FILE] [--no-sandbox]
//           [--trace_startup]
//
// On start it prints one JSON line on stdout: {"control": ..., "debug": ...,
// "internals": ..., "sandbox": ..., "pid": ...}. `debug` is the read-only
// DebugService (ipc/debug.proto; tools/fetchlater_debug.cc is its client);
// --net-log (or
// --net_log) also writes every NetLog event to FILE as one JSON line each.
// `internals` is the internals page URL (loopback, with its access token).
// `sandbox` is "on", or, with --no-sandbox (Chromium's spelling; debugging
// only), a warning that renderers run unsandboxed (also on stderr). With the
// sandbox on, the browser checks each renderer's /proc/PID/status once its
// channel is up and cuts off (kills) one that is not sandboxed.
// SIGTERM or SIGINT shuts it down cleanly: every tab is closed (each document
// destroyed, so its pending deferred fetches are sent), the network stage gets
// until --shutdown_deadline_ms to finish (retries keep their maxAge within
// that), renderers are stopped, exit status 0.
//
// --profile_dir=DIR keeps the journal of accepted, unsent deferred fetches
// (browser/journal/) in DIR/deferred_fetches.db (default: $XDG_STATE_HOME/
// fetch_later, else ~/.local/state/fetch_later; empty: no journal, everything
// in memory). What is not acknowledged at exit, or at a crash, is sent by the
// next start (--replay_max_age, --journal_sync; README "Deferred fetches
// survive the browser's exit and crash").
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "browser/blocked_requests.h"
#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "browser/debug_service.h"
#include "browser/internals_page.h"
#include "browser/journal/fetch_journal.h"
#include "browser/journal_keeper.h"
#include "browser/net_log.h"
#include "browser/renderer_process_launcher.h"
#include "browser/renderer_sandbox_check.h"
#include "ipc/startup_trace.h"
#include "net/clock.h"
#include "net/https_network_stage.h"

ABSL_FLAG(int,
          script_time_limit_ms,
          2000,
          "Renderers stop a page script task that runs longer than this "
          "(the script watchdog).");
ABSL_FLAG(int,
          internals_port,
          0,
          "Loopback port of the internals page (0: any free port); its URL, "
          "with the access token, is on the start line.");
ABSL_FLAG(bool,
          virtual_time,
          false,
          "Run timers on a virtual clock that only moves through the control "
          "interface's "
          "AdvanceClock (scenarios); the default is the wall clock.");
ABSL_FLAG(std::string,
          ca_file,
          "",
          "PEM file of trust anchors for HTTPS; default: the system bundle.");
ABSL_FLAG(std::string,
          host_resolver_rules,
          "",
          "Chromium-style rules, e.g. \"MAP * 127.0.0.1:8443\".");
ABSL_FLAG(std::string,
          renderer_binary,
          "",
          "The renderer executable; default: ../renderer/renderer next to this "
          "binary.");
ABSL_FLAG(std::string,
          socket_parent,
          "/tmp",
          "Where the private socket directory is made (paths must stay under "
          "107 bytes).");
ABSL_FLAG(std::string,
          net_log,
          "",
          "Also write every NetLog event (what happened to each deferred "
          "fetch and why) to this file, one JSON object per line. "
          "Spelled --net-log or --net_log.");
ABSL_FLAG(bool,
          no_sandbox,
          false,
          "Start renderers without their sandbox and do not check it: for "
          "debugging only. Spelled --no-sandbox too.");
ABSL_FLAG(bool,
          trace_startup,
          false,
          "Print a line to stderr as each start-up phase ends, in this process "
          "and its renderers (ipc/startup_trace.h; tools/startup_bench reads "
          "them).");
ABSL_FLAG(int,
          shutdown_deadline_ms,
          10000,
          "How long shutdown waits for the network stage to finish.");

namespace {

// Where the profile lives unless --profile_dir says otherwise:
// $XDG_STATE_HOME/fetch_later, else ~/.local/state/fetch_later ("" when there
// is no home to put it in: no journal).
std::string DefaultProfileDir() {
  if (const char* state = std::getenv("XDG_STATE_HOME");
      state != nullptr && state[0] == '/') {
    return std::string(state) + "/fetch_later";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && home[0])
    return std::string(home) + "/.local/state/fetch_later";
  return "";
}

}  // namespace

// A plain string, not std::optional: Abseil parses an empty value of an
// optional flag as "not given", which would turn --profile_dir= ("no
// journal") into the shared default journal.
ABSL_FLAG(std::string,
          profile_dir,
          DefaultProfileDir(),
          "The profile directory (0700) holding the journal of accepted, "
          "unsent deferred fetches (deferred_fetches.db, 0600). Default: "
          "$XDG_STATE_HOME/fetch_later, else ~/.local/state/fetch_later. "
          "Empty: no journal (deferred fetches live in memory only).");
ABSL_FLAG(bool,
          journal_sync,
          false,
          "fsync() every journal commit: a record also survives a power loss "
          "(the default survives a crash of the browser, not of the machine).");
ABSL_FLAG(absl::Duration,
          replay_max_age,
          absl::Hours(1),
          "At start, journaled deferred fetches queued longer ago than this "
          "are dropped (EXPIRED) instead of sent.");
ABSL_FLAG(int64_t,
          virtual_time_start_ms,
          0,
          "With --virtual_time: where the virtual clock starts (Unix ms); 0: "
          "now. A restarted browser continues a scenario's clock with it.");

namespace fetch_later::browser {
namespace {

std::string DefaultRendererBinary(const char* argv0) {
  std::string self(argv0);
  const size_t slash = self.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : self.substr(0, slash);
  return dir + "/../renderer/renderer";
}

// Chromium spells them --net-log and --no-sandbox; absl flag names cannot
// contain '-'.
void AcceptChromiumSpellings(int argc, char** argv) {
  static std::vector<std::string> rewritten;
  rewritten.reserve(argc);
  const std::pair<absl::string_view, absl::string_view> kSpellings[] = {
      {"--net-log", "--net_log"},
      {"-net-log", "--net_log"},
      {"--no-sandbox", "--no_sandbox"},
      {"-no-sandbox", "--no_sandbox"},
  };
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg == "--") {
      break;
    }
    for (const auto& [spelling, flag] : kSpellings) {
      if (arg == spelling ||
          absl::StartsWith(arg, absl::StrCat(spelling, "="))) {
        rewritten.push_back(absl::StrCat(flag, arg.substr(spelling.size())));
        argv[i] = rewritten.back().data();
        break;
      }
    }
  }
}

// What the start line says of the sandbox.
constexpr char kSandboxOn[] = "on";
constexpr char kSandboxOff[] =
    "OFF (--no-sandbox): renderers run unsandboxed and unchecked; for "
    "debugging only";

int Main(int argc, char** argv) {
  AcceptChromiumSpellings(argc, argv);
  absl::ParseCommandLine(argc, argv);
  const bool trace_startup = absl::GetFlag(FLAGS_trace_startup);
  if (trace_startup) {
    ipc::startup_trace::Enable("browser");
    ipc::startup_trace::Mark("flags_parsed");
  }
  // Every thread created from here on inherits the blocked set; the main thread
  // waits for the signals with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<net::Clock> clock;
  net::FakeClock* fake_clock = nullptr;
  if (absl::GetFlag(FLAGS_virtual_time)) {
    const int64_t start_ms = absl::GetFlag(FLAGS_virtual_time_start_ms);
    auto fake = std::make_unique<net::FakeClock>(
        start_ms > 0 ? absl::FromUnixMillis(start_ms) : absl::Now());
    fake_clock = fake.get();
    clock = std::move(fake);
  } else {
    clock = std::make_unique<net::RealClock>();
  }

  net::HttpsNetworkStage::Options stage_options;
  if (!absl::GetFlag(FLAGS_ca_file).empty()) {
    stage_options.ca_bundle_path = absl::GetFlag(FLAGS_ca_file);
  }
  stage_options.host_resolver_rules = absl::GetFlag(FLAGS_host_resolver_rules);
  stage_options.clock = clock.get();
  // The event log lives longest: the stage and the core log into it.
  NetLog net_log(clock.get());
  if (!absl::GetFlag(FLAGS_net_log).empty()) {
    absl::Status opened = net_log.WriteTo(absl::GetFlag(FLAGS_net_log));
    if (!opened.ok()) {
      std::fprintf(stderr, "browser: %s\n", opened.ToString().c_str());
      return 2;
    }
  }
  // The journal outlives the stage and the core, which write to it.
  std::unique_ptr<journal::FetchJournal> journal;
  std::vector<std::string> journal_notes;
  if (const std::string profile_dir = absl::GetFlag(FLAGS_profile_dir);
      !profile_dir.empty()) {
    absl::StatusOr<std::unique_ptr<journal::FetchJournal>> opened =
        journal::FetchJournal::Open(
            {profile_dir, absl::GetFlag(FLAGS_journal_sync)}, &journal_notes);
    if (opened.ok()) {
      journal = *std::move(opened);
    } else {
      // Refused (not ours, in use) or unusable: the browser runs without it.
      std::fprintf(stderr,
                   "browser: no journal, deferred fetches live in memory "
                   "only: %s\n",
                   opened.status().ToString().c_str());
      net_log.AddEvent("journal.error",
                       {{"detail", std::string(opened.status().message())}});
    }
    ipc::startup_trace::Mark("journal_opened");
  }
  stage_options.attempt_observer = NetLogAttemptObserver(&net_log);
  if (journal != nullptr) {
    stage_options.attempt_observer =
        [net_log_observer = std::move(stage_options.attempt_observer),
         journal_observer = JournalAttemptObserver(journal.get(), clock.get())](
            const net::AttemptEvent& event) {
          journal_observer(event);
          net_log_observer(event);
        };
  }
  auto stage = net::HttpsNetworkStage::Create(stage_options);
  if (!stage.ok()) {
    std::fprintf(stderr, "browser: network stage: %s\n",
                 stage.status().ToString().c_str());
    return 2;
  }
  ipc::startup_trace::Mark("network_stage_created");  // the TLS context

  std::string renderer_binary = absl::GetFlag(FLAGS_renderer_binary);
  if (renderer_binary.empty())
    renderer_binary = DefaultRendererBinary(argv[0]);
  if (access(renderer_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "browser: renderer binary %s is not executable\n",
                 renderer_binary.c_str());
    return 2;
  }

  // The launcher needs the server to open renderer channels, so it is made
  // after the server has started serving on gRPC's threads: the callbacks below
  // wait for it (`launcher_ready` is also what orders its creation on this
  // thread before its use on theirs).
  std::unique_ptr<RendererProcessLauncher> launcher;
  absl::Notification launcher_ready;
  auto the_launcher = [&launcher,
                       &launcher_ready]() -> RendererProcessLauncher& {
    launcher_ready.WaitForNotification();
    return *launcher;
  };
  BrowserCore::Options options;
  options.network_stage = stage->get();
  options.clock = clock.get();
  options.fake_clock = fake_clock;
  options.on_renderer_created = [&the_launcher](const RendererHost& host) {
    absl::Status launched = the_launcher().Launch(host);
    if (!launched.ok())
      std::fprintf(stderr, "browser: %s\n", launched.ToString().c_str());
  };
  options.on_renderer_terminated = [&the_launcher](const RendererHost& host) {
    the_launcher().Kill(host);  // a bad message: the process goes too
  };
  options.kill_renderer = [&the_launcher](const RendererHost& host) {
    return the_launcher().Kill(host);
  };
  net::HttpsNetworkStage* stage_ptr = stage->get();
  options.drain_network = [stage_ptr](absl::Duration timeout) {
    return stage_ptr->WaitForIdle(timeout);
  };
  auto blocked_feed = std::make_shared<BlockedRequestFeed>(
      [stage_ptr] { return stage_ptr->blocked(); });
  options.take_blocked_requests = [blocked_feed] {
    return blocked_feed->TakeNew();
  };
  options.net_log = &net_log;
  options.journal = journal.get();
  options.replay_max_age = absl::GetFlag(FLAGS_replay_max_age);
  auto core = std::make_unique<BrowserCore>(options);
  // What the last process left goes out while the browser starts serving.
  core->StartJournalReplay(std::move(journal_notes));
  auto debug_service =
      std::make_unique<DebugService>(core.get(), stage_ptr, &net_log);
  auto server = BrowserServer::Start(
      core.get(), absl::GetFlag(FLAGS_socket_parent), debug_service.get());
  if (!server.ok()) {
    std::fprintf(stderr, "browser: %s\n", server.status().ToString().c_str());
    return 2;
  }
  ipc::startup_trace::Mark("servers_started");
  const bool no_sandbox = absl::GetFlag(FLAGS_no_sandbox);
  RendererProcessLauncher::Options launcher_options;
  launcher_options.renderer_binary = renderer_binary;
  BrowserServer* server_ptr = server->get();
  launcher_options.open_channel = [server_ptr](const RendererHost& host) {
    return server_ptr->OpenRendererChannel(host);
  };
  launcher_options.extra_args = {absl::StrCat(
      "--script_time_limit_ms=", absl::GetFlag(FLAGS_script_time_limit_ms))};
  launcher_options.no_sandbox = no_sandbox;
  if (trace_startup)
    launcher_options.extra_args.push_back("--trace_startup");
  launcher = std::make_unique<RendererProcessLauncher>(launcher_options);
  launcher_ready.Notify();
  // Once a renderer's channel is up (its first call, made after it sealed
  // itself), the browser reads its /proc/PID/status: not sandboxed, it is cut
  // off and killed (unless --no-sandbox).
  (*server)->SetRendererCheck(
      [&the_launcher, &net_log, no_sandbox](
          RendererHost& host, const ipc::SandboxReport& reported) {
        std::optional<pid_t> pid = the_launcher().PidOf(host.id());
        if (!pid) {
          return absl::FailedPreconditionError(
              "not sandboxed: no process of this renderer to inspect");
        }
        RendererSandboxCheck check =
            CheckRendererSandbox(*pid, reported, /*required=*/!no_sandbox);
        host.set_sandbox(check.state);
        net_log.AddEvent("renderer.sandbox",
                         {{"renderer", absl::StrCat(host.id().value())},
                          {"site", host.site()},
                          {"pid", absl::StrCat(*pid)},
                          {"verdict", check.state.verdict()},
                          {"observed", DescribeRendererSandbox(check.state)}});
        return check.status;
      });

  // The internals page (loopback only, behind a random token).
  InternalsPageServer::Options internals_options;
  internals_options.port =
      static_cast<uint16_t>(absl::GetFlag(FLAGS_internals_port));
  internals_options.snapshot = [&core, stage_ptr] {
    return BuildSnapshot(*core, stage_ptr);
  };
  internals_options.net_log = &net_log;
  auto internals = InternalsPageServer::Start(std::move(internals_options));
  if (!internals.ok()) {
    std::fprintf(stderr, "browser: internals page: %s\n",
                 internals.status().ToString().c_str());
    return 2;
  }
  ipc::startup_trace::Mark("internals_started");

  std::printf(
      "{\"control\": \"%s\", \"debug\": \"%s\", \"internals\": \"%s\", "
      "\"journal\": \"%s\", \"sandbox\": \"%s\", \"pid\": %d}\n",
      (*server)->control_address().c_str(), (*server)->debug_address().c_str(),
      (*internals)->url().c_str(),
      journal != nullptr ? journal->path().c_str() : "",
      no_sandbox ? kSandboxOff : kSandboxOn, static_cast<int>(getpid()));
  std::fflush(stdout);
  ipc::startup_trace::Mark("start_line_printed");
  if (no_sandbox) {
    std::fprintf(stderr,
                 "browser: WARNING: --no-sandbox: renderers run WITHOUT A "
                 "SANDBOX and are not checked. Stability and security will "
                 "suffer; for debugging only.\n");
  }

  int signal_number = 0;
  while (true) {
    sigwait(&signals, &signal_number);
    if (signal_number != SIGPIPE)
      break;
  }
  std::fprintf(stderr, "browser: signal %d, shutting down\n", signal_number);

  // Clean shutdown: destroy every document (sending pending deferred fetches),
  // give the network a deadline, then stop the renderers and the servers.
  core->CloseAllTabs();
  const bool idle = (*stage)->WaitForIdle(
      absl::Milliseconds(absl::GetFlag(FLAGS_shutdown_deadline_ms)));
  if (!idle)
    std::fprintf(stderr, "browser: network stage not idle at the deadline\n");
  launcher->KillAll();
  (*internals)->Stop();
  (*server)->Shutdown();
  server->reset();
  debug_service.reset();
  launcher.reset();
  core.reset();
  stage->reset();
  return 0;
}

}  // namespace
}  // namespace fetch_later::browser

int main(int argc, char** argv) {
  return fetch_later::browser::Main(argc, argv);
}
