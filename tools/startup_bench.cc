// Benchmark: start-up. From "start the browser" to the first fetchLater()
// accepted in a fresh renderer process, against the floor of any program that
// is reached over gRPC: spawn a process and complete one RPC to it. Target
// (issue): at most 100 ms on the project's 2-core machine; the ratio to the
// floor measured in the same run tells how much of it is the browser's own.
//
//   (a) start-up: posix_spawn the real `browser` binary (BrowserProcess::Start:
//       wait for its JSON start line, connect to its control socket), then
//       CreateTab, Navigate to https://a.test/ (the browser launches a fresh
//       renderer process for the site, which connects back over gRPC) and
//       RunPageStep fetchLater("/x") until the renderer reports JS_OK. The
//       clock starts before the spawn and stops at the OK.
//   (b) floor: posix_spawn tools/echo_server (a gRPC server on a Unix socket
//       in a private mkdtemp directory that prints its address line, like the
//       browser), read the line, create a channel and time until the first
//       Echo RPC succeeds.
//   (b') the floor twice in sequence (two spawns, two connects): (a) starts
//       two processes, the browser and the renderer.
//
// Also shown (info): a fresh renderer in an already running browser (after
// (a), CreateTab + Navigate to https://b.test/ + fetchLater until OK), which
// compares one-to-one with (b), and where (a)'s time goes: the browser runs
// with --trace_startup (ipc/startup_trace.h), its stderr to a file, and the
// phases it and its first renderer report are laid on one time line from the
// spawn (medians over the iterations, each with its step from the phase
// before).
//
// The browser runs on the real clock with a CA file from a throwaway
// TestCertificateAuthority and --host_resolver_rules mapping every host to
// 127.0.0.1:1 (nothing listens: the deferred fetches, sent when the browser
// shuts down, fail at once; sending is not measured). Every process is
// stopped with SIGTERM outside the timed regions and reaped.
//
// The measurements alternate (a, b, b' then b', b, a) after one warm-up of
// each; medians and p90 (nearest rank) over the iterations.
//
//   bazel run -c opt //tools:startup_bench -- [--iterations=N | --quick]
//   [--tsv]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/echo.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "net/testing/https_test_server.h"
#include "tools/bench_tsv.h"
#include "tools/browser_process.h"

extern char** environ;

namespace fetch_later::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTargetMs = 100;
constexpr int kTimeoutMs = 20000;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// ---- (b): a bare process spawn + gRPC connect ----

// A child started with its stdout on a pipe; SIGKILLed and reaped on
// destruction if Stop() was not called.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0)
      close(stdout_fd_);
  }

  // Spawns `binary` and reads its first stdout line into line().
  absl::Status Start(const std::string& binary) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
      return absl::InternalError(std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::string arg0 = binary;
    char* argv[] = {arg0.data(), nullptr};
    const int error =
        posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (error != 0) {
      pid_ = -1;
      close(out[0]);
      return absl::InternalError(
          absl::StrCat("cannot start ", binary, ": ", std::strerror(error)));
    }
    stdout_fd_ = out[0];
    const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
    while (true) {
      const int remaining = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                Clock::now())
              .count());
      if (remaining <= 0)
        return absl::DeadlineExceededError("no start line from " + binary);
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, remaining) <= 0)
        continue;
      char c;
      if (read(stdout_fd_, &c, 1) != 1)
        return absl::UnavailableError(binary + " exited before its start line");
      if (c == '\n')
        return absl::OkStatus();
      line_.push_back(c);
    }
  }

  // The value of "key": "..." in the start line.
  std::string JsonString(const std::string& key) const {
    const std::string needle = "\"" + key + "\": \"";
    const size_t start = line_.find(needle);
    if (start == std::string::npos)
      return "";
    const size_t from = start + needle.size();
    return line_.substr(from, line_.find('"', from) - from);
  }

  // SIGTERM, then waits (SIGKILL after `timeout_ms`); the exit status, or -1.
  int Stop(int timeout_ms = 5000) {
    if (pid_ <= 0)
      return -1;
    kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (Clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string line_;
};

// One Echo RPC to `address` on a new channel, waiting for the server to be
// ready.
absl::Status EchoOnce(const std::string& address) {
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  std::unique_ptr<ipc::Echo::Stub> stub = ipc::Echo::NewStub(channel);
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(kTimeoutMs));
  ipc::EchoRequest request;
  request.set_payload("ping");
  ipc::EchoReply reply;
  const grpc::Status status = stub->Echo(&context, request, &reply);
  if (!status.ok() || reply.payload() != "ping") {
    return absl::UnavailableError(
        absl::StrCat("echo to ", address, ": ", status.error_message()));
  }
  return absl::OkStatus();
}

// `count` x (spawn the echo server, first Echo OK), in sequence; ms.
absl::StatusOr<double> MeasureFloor(const std::string& echo_server, int count) {
  std::vector<std::unique_ptr<Child>> children;
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    children.push_back(std::make_unique<Child>());
    if (absl::Status s = children.back()->Start(echo_server); !s.ok())
      return s;
    if (absl::Status s = EchoOnce(children.back()->JsonString("address"));
        !s.ok())
      return s;
  }
  const double ms = MsSince(start);
  for (auto& child : children) {
    if (const int status = child->Stop(); status != 0)
      return absl::InternalError(
          absl::StrCat("echo_server exited with status ", status));
  }
  return ms;
}

// ---- (a): browser start to the first accepted fetchLater ----

// One start-up phase on the time line: "browser network_stage_created".
struct Phase {
  std::string name;
  double at_ms = 0;  // since the spawn
};

// The first line of each phase in the `--trace_startup` output in `path`, in
// the order of the file, timed from `spawn_us` (CLOCK_MONOTONIC).
std::vector<Phase> ReadStartupTrace(const std::string& path, int64_t spawn_us) {
  std::vector<Phase> phases;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string tag, process, phase;
    long long us = 0;
    if (!(fields >> tag >> process >> phase >> us) || tag != "startup-trace")
      continue;
    const std::string name = process + " " + phase;
    if (std::any_of(phases.begin(), phases.end(),
                    [&](const Phase& p) { return p.name == name; }))
      continue;
    phases.push_back({name, (us - spawn_us) / 1000.0});
  }
  return phases;
}

int64_t MonotonicUs() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

struct StartupResult {
  std::vector<Phase> phases;  // from the browser's --trace_startup
  double total_ms = 0;        // spawn -> first fetchLater OK
  double started_ms = 0;      //   of which: spawn -> control socket connected
  double navigate_ms = 0;     //   CreateTab + Navigate (renderer launched)
  double step_ms = 0;  //   RunPageStep until OK (renderer connects, runs)
  int attempts = 0;    // RunPageStep calls until OK
  double second_renderer_ms = 0;  // fresh renderer in the running browser
  double terminate_ms = 0;        // SIGTERM -> exit (not timed above)
};

// In the running browser: a new tab on `url` (a new site: a fresh renderer
// process) and fetchLater("/x") until OK. Adds RunPageStep calls to
// `attempts`.
absl::Status NewTabAndFetchLater(BrowserProcess& browser,
                                 const std::string& url,
                                 double* navigate_ms,
                                 int* attempts) {
  const auto start = Clock::now();
  ipc::CreateTabResponse tab;
  {
    grpc::ClientContext context;
    grpc::Status s =
        browser.control().CreateTab(&context, ipc::CreateTabRequest(), &tab);
    if (!s.ok())
      return absl::InternalError("CreateTab: " + s.error_message());
  }
  ipc::Frame frame;
  {
    ipc::NavigateRequest request;
    request.set_navigable_id(tab.navigable_id());
    request.set_url(url);
    grpc::ClientContext context;
    grpc::Status s = browser.control().Navigate(&context, request, &frame);
    if (!s.ok())
      return absl::InternalError("Navigate: " + s.error_message());
  }
  if (navigate_ms != nullptr)
    *navigate_ms = MsSince(start);
  ipc::RunPageStepRequest request;
  request.set_document_token(frame.document_token());
  request.mutable_step()->mutable_fetch_later()->set_url("/x");
  request.set_timeout_ms(kTimeoutMs);
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  std::string last;
  while (Clock::now() < deadline) {
    ++*attempts;
    ipc::StepResult result;
    grpc::ClientContext context;
    grpc::Status s = browser.control().RunPageStep(&context, request, &result);
    if (s.ok() && result.outcome() == ipc::JS_OK)
      return absl::OkStatus();
    last = s.ok()
               ? absl::StrCat("outcome ", ipc::JsOutcome_Name(result.outcome()),
                              " ", result.message())
               : s.error_message();
  }
  return absl::DeadlineExceededError("fetchLater never OK: " + last);
}

absl::StatusOr<StartupResult> MeasureStartup(
    const BrowserProcess::Options& options) {
  StartupResult result;
  const int64_t spawn_us = MonotonicUs();
  const auto start = Clock::now();
  absl::StatusOr<std::unique_ptr<BrowserProcess>> browser =
      BrowserProcess::Start(options);
  if (!browser.ok())
    return browser.status();
  result.started_ms = MsSince(start);
  if (absl::Status s = NewTabAndFetchLater(
          **browser, "https://a.test/", &result.navigate_ms, &result.attempts);
      !s.ok()) {
    (*browser)->Terminate(kTimeoutMs);  // stops its renderers too
    return s;
  }
  result.total_ms = MsSince(start);
  result.step_ms = result.total_ms - result.started_ms - result.navigate_ms;
  const double started_ms = result.started_ms;

  // Info: a second, fresh renderer process in the running browser.
  const auto second = Clock::now();
  int attempts = 0;
  if (absl::Status s =
          NewTabAndFetchLater(**browser, "https://b.test/", nullptr, &attempts);
      !s.ok()) {
    (*browser)->Terminate(kTimeoutMs);
    return s;
  }
  result.second_renderer_ms = MsSince(second);

  const auto terminate = Clock::now();
  const int status = (*browser)->Terminate(kTimeoutMs);
  result.terminate_ms = MsSince(terminate);
  if (status != 0)
    return absl::InternalError(
        absl::StrCat("the browser exited with status ", status));
  result.phases = ReadStartupTrace(options.stderr_path, spawn_us);
  // This side's marks, on the same time line.
  result.phases.push_back({"bench control_connected", started_ms});
  result.phases.push_back({"bench navigated", started_ms + result.navigate_ms});
  result.phases.push_back({"bench fetch_later_ok", result.total_ms});
  return result;
}

// ---- statistics and output ----

struct Stats {
  double median = 0;
  double p90 = 0;
};

Stats StatsOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  Stats s;
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = v[static_cast<size_t>(std::ceil(0.9 * n)) - 1];
  return s;
}

std::string Ms(double ms) {
  return bench_tsv::Fmt("%.1f ms", ms);
}

std::string X(double ratio) {
  return bench_tsv::Fmt("%.2fx", ratio);
}

constexpr char kUsage[] =
    "usage: startup_bench [--iterations=N | --quick] [--tsv]\n"
    "  Browser start -> first fetchLater() accepted in a fresh renderer "
    "process,\n"
    "  vs a bare process spawn + gRPC connect (once and twice), alternating.\n"
    "  --iterations=N  measurements of each (default 10)\n"
    "  --quick         2 iterations, a smoke check\n"
    "  --tsv           only the figure rows on stdout, for tools/bench\n";

int Main(int argc, char** argv) {
  int iterations = 10;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strncmp(arg, "--iterations=", 13) == 0) {
      iterations = std::max(1, std::atoi(arg + 13));
    } else if (std::strcmp(arg, "--quick") == 0) {
      iterations = 2;
    } else if (std::strcmp(arg, "--tsv") == 0) {
      bench_tsv::Begin();
    } else if (std::strcmp(arg, "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "startup_bench: unknown argument %s\n%s", arg,
                   kUsage);
      return 2;
    }
  }
  // The renderer's and the browser's stdout go nowhere we read after the
  // start line; a closed pipe must not kill this process.
  signal(SIGPIPE, SIG_IGN);

  const std::string echo_server = RunfilesPath("tools/echo_server");
  BrowserProcess::Options options;
  options.browser_binary = RunfilesPath("browser/browser");
  options.virtual_time = false;
  options.host_resolver_rules = "MAP * 127.0.0.1:1";
  options.extra_flags = {"--shutdown_deadline_ms=2000", "--trace_startup"};
  for (const std::string& binary : {echo_server, options.browser_binary}) {
    if (access(binary.c_str(), X_OK) != 0) {
      std::fprintf(stderr,
                   "startup_bench: %s is not executable (run it with bazel "
                   "run, or from its .runfiles)\n",
                   binary.c_str());
      return 1;
    }
  }
  auto ca = net::testing::TestCertificateAuthority::Create();
  if (!ca.ok()) {
    std::fprintf(stderr, "startup_bench: %s\n", ca.status().ToString().c_str());
    return 1;
  }
  char dir[] = "/tmp/startupXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::fprintf(stderr, "startup_bench: mkdtemp: %s\n", std::strerror(errno));
    return 1;
  }
  const std::string ca_file = std::string(dir) + "/ca.pem";
  options.ca_file = ca_file;
  options.stderr_path = std::string(dir) + "/browser.stderr";
  int exit_status = 0;
  if (absl::Status s = (*ca)->WriteRootPem(ca_file); !s.ok()) {
    std::fprintf(stderr, "startup_bench: %s\n", s.ToString().c_str());
    exit_status = 1;
  }

#ifdef NDEBUG
  const char* build = "-c opt (NDEBUG)";
#else
  const char* build = "NOT -c opt: numbers are not meaningful";
#endif
  std::printf(
      "start-up: browser start -> first fetchLater() OK in a fresh renderer, "
      "vs spawn + gRPC connect\n");
  std::printf("machine: nproc %ld; build %s; %d iterations after 1 warm-up\n",
              sysconf(_SC_NPROCESSORS_ONLN), build, iterations);
  std::printf("browser: %s\nfloor:   %s\n\n", options.browser_binary.c_str(),
              echo_server.c_str());

  std::vector<double> a, b, b2, second, started, navigate, step, terminate;
  // Phase name -> its times; names in the order first seen.
  std::vector<std::string> phase_names;
  std::map<std::string, std::vector<double>> phase_times;
  int max_attempts = 0;
  // "start": spawn -> control connected; "nav": CreateTab + Navigate;
  // "step": RunPageStep until OK; "2nd r": a fresh renderer in the running
  // browser; "term": SIGTERM -> browser exit (untimed).
  std::printf("%-4s | %7s %7s %7s %7s | %7s %7s | %7s %7s | %7s %7s\n", "it",
              "(a)", "start", "nav", "step", "2nd r", "term", "(b)", "(b')",
              "a/b", "a/b'");
  for (int it = 0; it <= iterations && exit_status == 0; ++it) {
    const bool warm_up = it == 0;
    StartupResult r;
    double floor1 = 0, floor2 = 0;
    auto run_a = [&]() -> absl::Status {
      absl::StatusOr<StartupResult> m = MeasureStartup(options);
      if (!m.ok())
        return m.status();
      r = *m;
      return absl::OkStatus();
    };
    auto run_b = [&](int count, double* out) -> absl::Status {
      absl::StatusOr<double> m = MeasureFloor(echo_server, count);
      if (!m.ok())
        return m.status();
      *out = *m;
      return absl::OkStatus();
    };
    absl::Status s;
    if (it % 2 == 0) {
      s.Update(run_a());
      if (s.ok())
        s.Update(run_b(1, &floor1));
      if (s.ok())
        s.Update(run_b(2, &floor2));
    } else {
      s.Update(run_b(2, &floor2));
      if (s.ok())
        s.Update(run_b(1, &floor1));
      if (s.ok())
        s.Update(run_a());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "startup_bench: %s\n", s.ToString().c_str());
      exit_status = 1;
      break;
    }
    std::printf(
        "%-4s | %7.1f %7.1f %7.1f %7.1f | %7.1f %7.1f | %7.1f %7.1f | %6.2fx "
        "%6.2fx\n",
        warm_up ? "warm" : std::to_string(it).c_str(), r.total_ms, r.started_ms,
        r.navigate_ms, r.step_ms, r.second_renderer_ms, r.terminate_ms, floor1,
        floor2, r.total_ms / floor1, r.total_ms / floor2);
    if (warm_up)
      continue;
    for (const Phase& phase : r.phases) {
      if (phase_times.find(phase.name) == phase_times.end())
        phase_names.push_back(phase.name);
      phase_times[phase.name].push_back(phase.at_ms);
    }
    a.push_back(r.total_ms);
    started.push_back(r.started_ms);
    navigate.push_back(r.navigate_ms);
    step.push_back(r.step_ms);
    second.push_back(r.second_renderer_ms);
    terminate.push_back(r.terminate_ms);
    b.push_back(floor1);
    b2.push_back(floor2);
    max_attempts = std::max(max_attempts, r.attempts);
  }
  unlink(ca_file.c_str());
  unlink(options.stderr_path.c_str());
  rmdir(dir);
  if (exit_status != 0)
    return exit_status;

  const Stats sa = StatsOf(a), sb = StatsOf(b), sb2 = StatsOf(b2),
              s2 = StatsOf(second);
  std::printf("\n%-54s %9s %9s %8s %9s\n", "all in ms", "median", "p90",
              "target", "");
  std::printf("%-54s %9.1f %9.1f %8s %9s\n",
              "(a) browser start -> first fetchLater OK", sa.median, sa.p90,
              "<= 100", bench_tsv::Verdict(sa.median <= kTargetMs));
  std::printf("%-54s %9.1f %9.1f\n", "    spawn -> control socket connected",
              StatsOf(started).median, StatsOf(started).p90);
  std::printf("%-54s %9.1f %9.1f\n",
              "    CreateTab + Navigate (renderer spawn)",
              StatsOf(navigate).median, StatsOf(navigate).p90);
  std::printf("%-54s %9.1f %9.1f\n",
              "    fetchLater step until OK (renderer connects)",
              StatsOf(step).median, StatsOf(step).p90);
  std::printf("%-54s %9.1f %9.1f\n", "(b) floor: spawn + first gRPC echo",
              sb.median, sb.p90);
  std::printf("%-54s %9.1f %9.1f\n", "(b') floor twice in sequence", sb2.median,
              sb2.p90);
  std::printf("%-54s %8.2fx %8.2fx\n", "ratio (a) / (b)", sa.median / sb.median,
              sa.p90 / sb.p90);
  std::printf("%-54s %8.2fx %8.2fx\n", "ratio (a) / (b')",
              sa.median / sb2.median, sa.p90 / sb2.p90);
  std::printf("%-54s %9.1f %9.1f\n",
              "fresh renderer in a running browser -> fetchLater OK", s2.median,
              s2.p90);
  std::printf("%-54s %8.2fx %8.2fx\n", "  ratio to (b)", s2.median / sb.median,
              s2.p90 / sb.p90);
  std::printf("%-54s %9.1f %9.1f\n", "browser SIGTERM -> exit (untimed)",
              StatsOf(terminate).median, StatsOf(terminate).p90);
  std::printf("RunPageStep calls until the first OK: at most %d\n",
              max_attempts);

  // Where (a)'s time goes: the phases by their median time since the spawn.
  std::vector<std::pair<double, std::string>> timeline;
  for (const std::string& name : phase_names)
    timeline.push_back({StatsOf(phase_times[name]).median, name});
  std::stable_sort(timeline.begin(), timeline.end());
  std::printf(
      "\n(a)'s time line: each phase's end, median ms since the spawn "
      "(--trace_startup; \"bench\" = this program)\n");
  std::printf("%-46s %9s %9s\n", "phase", "at", "step");
  double previous = 0;
  for (const auto& [at, name] : timeline) {
    std::printf("%-46s %9.1f %9.1f\n", name.c_str(), at, at - previous);
    previous = at;
  }

  const std::string figure = "browser start -> 1st fetchLater OK";
  bench_tsv::Row(figure + ", median", Ms(sa.median),
                 Ms(sb.median) + " spawn+rpc", X(sa.median / sb.median),
                 "<= 100 ms", bench_tsv::Verdict(sa.median <= kTargetMs));
  bench_tsv::Row(figure + ", median vs 2 spawns", Ms(sa.median),
                 Ms(sb2.median) + " 2x spawn+rpc", X(sa.median / sb2.median),
                 "-", "info");
  bench_tsv::Row(figure + ", p90", Ms(sa.p90), Ms(sb.p90) + " spawn+rpc",
                 X(sa.p90 / sb.p90), "-", "info");
  bench_tsv::Row(figure + ", p90 vs 2 spawns", Ms(sa.p90),
                 Ms(sb2.p90) + " 2x spawn+rpc", X(sa.p90 / sb2.p90), "-",
                 "info");
  // Two pieces of the time line, as info rows: the browser's own start and
  // the renderer's exec and dynamic loading (up to its parsed flags).
  auto median_at = [&](const std::string& name) {
    auto it = phase_times.find(name);
    return it == phase_times.end() ? 0.0 : StatsOf(it->second).median;
  };
  bench_tsv::Row(
      "  of which spawn -> browser start line, median",
      Ms(median_at("browser start_line_printed")), Ms(sb.median) + " spawn+rpc",
      X(median_at("browser start_line_printed") / sb.median), "-", "info");
  const double renderer_load = median_at("renderer flags_parsed") -
                               median_at("browser renderer_spawned");
  bench_tsv::Row("  of which renderer exec + dynamic loading, median",
                 Ms(renderer_load), Ms(sb.median) + " spawn+rpc",
                 X(renderer_load / sb.median), "-", "info");
  bench_tsv::Row("fresh renderer in running browser -> OK, median",
                 Ms(s2.median), Ms(sb.median) + " spawn+rpc",
                 X(s2.median / sb.median), "-", "info");
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
