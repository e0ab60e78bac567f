// Benchmark: how fast the browser exits, and a small scenario end to end.
// Users run hundreds of scenario files, each starting and stopping a browser.
//
//   (a) SIGTERM -> exit with an idle client: the browser with a renderer (a
//       tab on https://a.test/, its event stream open) and the control client
//       that made it still connected, idle (no thread of this process polls
//       its channel: the scenario runner's case). The clock starts at
//       kill(SIGTERM) and stops when the process has exited (its pidfd turns
//       readable). Nothing is pending, so there is no network drain in it.
//   (w) the same with a debug WatchEvents stream open too (a thread reads it).
//   (b) SIGTERM -> exit with no client: the browser as started, nobody ever
//       connected.
//   (c) a small scenario end to end: `shell --scenario=FILE` (default
//       examples/scenario_open_tab_closed_when_steps_end.json: five steps, a
//       local HTTPS collector, no outside network), spawn to exit, stdout and
//       stderr to /dev/null.
//   (r) the same-run reference: posix_spawn + wait of /bin/true.
//
// Targets (issue): (a) and (b) at most 150 ms plus the network drain; (c) at
// most 250 ms. Runs alternate (a, b, c, r then r, c, b, a) after one warm-up;
// medians and p90 (nearest rank).
// clang-format off
//
//   bazel run -c opt //tools:exit_bench -- [--iterations=N | --quick]
//   [--scenario=FILE] [--tsv]
// clang-format on
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/debug.grpc.pb.h"
#include "net/testing/https_test_server.h"
#include "tools/bench_tsv.h"
#include "tools/browser_process.h"

extern char** environ;

namespace fetch_later::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kExitTargetMs = 150;
constexpr double kScenarioTargetMs = 250;
constexpr int kTimeoutMs = 20000;
constexpr char kDefaultScenario[] =
    "examples/scenario_open_tab_closed_when_steps_end.json";

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// A spawned process: `argv`, stdout to a pipe (or /dev/null), stderr to
// /dev/null. Killed and reaped on destruction if still running.
class Process {
 public:
  Process() = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_fd_ >= 0)
      close(stdout_fd_);
    if (pidfd_ >= 0)
      close(pidfd_);
  }

  absl::Status Spawn(std::vector<std::string> args, bool read_stdout) {
    int out[2] = {-1, -1};
    if (read_stdout && pipe2(out, O_CLOEXEC) != 0)
      return absl::InternalError(std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (read_stdout) {
      posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    } else {
      posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null",
                                       O_WRONLY, 0);
    }
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                     O_WRONLY, 0);
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int error = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr,
                                  argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (read_stdout)
      close(out[1]);
    if (error != 0) {
      pid_ = -1;
      if (read_stdout)
        close(out[0]);
      return absl::InternalError(
          absl::StrCat("cannot start ", args[0], ": ", std::strerror(error)));
    }
    stdout_fd_ = out[0];
    pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0)
      return absl::InternalError(
          absl::StrCat("pidfd_open: ", std::strerror(errno)));
    return absl::OkStatus();
  }

  // The first stdout line.
  absl::StatusOr<std::string> ReadLine() {
    std::string line;
    const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
    while (Clock::now() < deadline) {
      pollfd p{stdout_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0)
        continue;
      char c;
      if (read(stdout_fd_, &c, 1) != 1)
        return absl::UnavailableError("exited before its start line");
      if (c == '\n')
        return line;
      line.push_back(c);
    }
    return absl::DeadlineExceededError("no start line");
  }

  void Signal(int signal_number) { kill(pid_, signal_number); }

  // Waits for the exit (pidfd readable) and reaps; the exit status or -1.
  int Wait() {
    pollfd p{pidfd_, POLLIN, 0};
    if (poll(&p, 1, kTimeoutMs) != 1)
      return -1;
    int status = 0;
    if (waitpid(pid_, &status, 0) != pid_)
      return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int pidfd_ = -1;
};

std::string JsonString(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\": \"";
  const size_t start = json.find(needle);
  if (start == std::string::npos)
    return "";
  const size_t from = start + needle.size();
  return json.substr(from, json.find('"', from) - from);
}

enum class Clients { kNone, kIdle, kIdleAndWatching };

// (b), (a) or (w): SIGTERM -> exit, ms.
absl::StatusOr<double> MeasureExit(const std::vector<std::string>& browser_args,
                                   Clients clients) {
  Process browser;
  if (absl::Status s = browser.Spawn(browser_args, /*read_stdout=*/true);
      !s.ok())
    return s;
  absl::StatusOr<std::string> line = browser.ReadLine();
  if (!line.ok())
    return line.status();
  std::shared_ptr<grpc::Channel> control_channel, debug_channel;
  grpc::ClientContext watch_context;
  std::thread watch_reader;
  if (clients != Clients::kNone) {
    control_channel = grpc::CreateChannel(JsonString(*line, "control"),
                                          grpc::InsecureChannelCredentials());
    auto control = ipc::BrowserControl::NewStub(control_channel);
    ipc::CreateTabResponse tab;
    grpc::ClientContext c1;
    c1.set_wait_for_ready(true);
    grpc::Status s = control->CreateTab(&c1, ipc::CreateTabRequest(), &tab);
    if (!s.ok())
      return absl::InternalError("CreateTab: " + s.error_message());
    ipc::NavigateRequest navigate;
    navigate.set_navigable_id(tab.navigable_id());
    navigate.set_url("https://a.test/");
    ipc::Frame frame;
    grpc::ClientContext c2;
    s = control->Navigate(&c2, navigate, &frame);
    if (!s.ok())
      return absl::InternalError("Navigate: " + s.error_message());
    // The renderer is up once a page step in it answers.
    ipc::RunPageStepRequest step;
    step.set_document_token(frame.document_token());
    step.mutable_step()->mutable_run_script()->set_source("1");
    step.set_timeout_ms(kTimeoutMs);
    ipc::StepResult result;
    grpc::ClientContext c3;
    s = control->RunPageStep(&c3, step, &result);
    if (!s.ok())
      return absl::InternalError("RunPageStep: " + s.error_message());
  }
  if (clients == Clients::kIdleAndWatching) {
    debug_channel = grpc::CreateChannel(JsonString(*line, "debug"),
                                        grpc::InsecureChannelCredentials());
    auto debug = ipc::debug::DebugService::NewStub(debug_channel);
    ipc::debug::WatchRequest watch;
    watch.set_include_backlog(true);
    std::unique_ptr<grpc::ClientReader<ipc::debug::Event>> reader =
        debug->WatchEvents(&watch_context, watch);
    ipc::debug::Event first;
    if (!reader->Read(&first))
      return absl::InternalError("the debug watch stream ended at once");
    watch_reader = std::thread([reader = std::move(reader)] {
      ipc::debug::Event event;
      while (reader->Read(&event)) {
      }
      reader->Finish();
    });
  }
  const auto start = Clock::now();
  browser.Signal(SIGTERM);
  const int status = browser.Wait();
  const double ms = MsSince(start);
  if (watch_reader.joinable())
    watch_reader.join();
  if (status != 0)
    return absl::InternalError(
        absl::StrCat("the browser exited with status ", status));
  return ms;
}

// (c) or (r): spawn `args` and wait for its exit 0, ms.
absl::StatusOr<double> MeasureRun(const std::vector<std::string>& args) {
  const auto start = Clock::now();
  Process process;
  if (absl::Status s = process.Spawn(args, /*read_stdout=*/false); !s.ok())
    return s;
  const int status = process.Wait();
  const double ms = MsSince(start);
  if (status != 0)
    return absl::InternalError(
        absl::StrCat(args[0], " exited with status ", status));
  return ms;
}

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
  return bench_tsv::Fmt("%.1fx", ratio);
}

constexpr char kUsage[] =
    "usage: exit_bench [--iterations=N | --quick] [--scenario=FILE] [--tsv]\n"
    "  Browser SIGTERM -> exit with clients connected and with none, and\n"
    "  `shell --scenario` end to end, vs posix_spawn + wait of /bin/true.\n"
    "  --iterations=N  measurements of each (default 10)\n"
    "  --quick         2 iterations, a smoke check\n"
    "  --scenario=FILE the scenario for (c) (default: "
    "examples/scenario_open_tab_closed_when_steps_end.json)\n"
    "  --tsv           only the figure rows on stdout, for tools/bench\n";

int Main(int argc, char** argv) {
  int iterations = 10;
  std::string scenario;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strncmp(arg, "--iterations=", 13) == 0) {
      iterations = std::max(1, std::atoi(arg + 13));
    } else if (std::strcmp(arg, "--quick") == 0) {
      iterations = 2;
    } else if (std::strncmp(arg, "--scenario=", 11) == 0) {
      scenario = arg + 11;
    } else if (std::strcmp(arg, "--tsv") == 0) {
      bench_tsv::Begin();
    } else if (std::strcmp(arg, "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "exit_bench: unknown argument %s\n%s", arg, kUsage);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);

  // This program's runfiles, named in the environment: the shell finds the
  // browser there, and RunfilesPath() finds the scenario file (not an
  // executable) there.
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0 && std::getenv("RUNFILES_DIR") == nullptr &&
      std::getenv("TEST_SRCDIR") == nullptr) {
    self[n] = '\0';
    setenv("RUNFILES_DIR", absl::StrCat(self, ".runfiles").c_str(), 1);
  }
  const std::string browser_binary = RunfilesPath("browser/browser");
  const std::string shell = RunfilesPath("tools/shell");
  if (scenario.empty())
    scenario = RunfilesPath(kDefaultScenario);
  for (const std::string& file : {browser_binary, shell, scenario}) {
    if (access(file.c_str(), R_OK) != 0) {
      std::fprintf(stderr,
                   "exit_bench: cannot read %s (run it with bazel run, or "
                   "from its .runfiles)\n",
                   file.c_str());
      return 1;
    }
  }
  auto ca = net::testing::TestCertificateAuthority::Create();
  if (!ca.ok()) {
    std::fprintf(stderr, "exit_bench: %s\n", ca.status().ToString().c_str());
    return 1;
  }
  char dir[] = "/tmp/exitXXXXXX";
  if (mkdtemp(dir) == nullptr) {
    std::fprintf(stderr, "exit_bench: mkdtemp: %s\n", std::strerror(errno));
    return 1;
  }
  const std::string ca_file = std::string(dir) + "/ca.pem";
  if (absl::Status s = (*ca)->WriteRootPem(ca_file); !s.ok()) {
    std::fprintf(stderr, "exit_bench: %s\n", s.ToString().c_str());
    rmdir(dir);
    return 1;
  }
  const std::vector<std::string> browser_args = {
      browser_binary, "--ca_file=" + ca_file,
      "--host_resolver_rules=MAP * 127.0.0.1:1",
      // Its own profile (journal) directory: an empty --profile_dir would
      // mean the user's default one.
      "--profile_dir=" + std::string(dir) + "/profile"};
  const std::vector<std::string> shell_args = {shell, "--scenario=" + scenario};
  const std::vector<std::string> true_args = {"/bin/true"};

#ifdef NDEBUG
  const char* build = "-c opt (NDEBUG)";
#else
  const char* build = "NOT -c opt: numbers are not meaningful";
#endif
  std::printf(
      "exit: browser SIGTERM -> exit (clients connected / none) and a "
      "scenario end to end, vs spawn + wait of /bin/true\n");
  std::printf("machine: nproc %ld; build %s; %d iterations after 1 warm-up\n",
              sysconf(_SC_NPROCESSORS_ONLN), build, iterations);
  std::printf("scenario: %s\n\n", scenario.c_str());
  std::printf("%-4s | %9s %9s %9s %9s %9s\n", "it", "(a) idle", "(w) watch",
              "(b) none", "(c) scen", "(r) true");

  std::vector<double> a, w, b, c, r;
  int exit_status = 0;
  for (int it = 0; it <= iterations; ++it) {
    double ma = 0, mw = 0, mb = 0, mc = 0, mr = 0;
    auto run = [&](char which) -> absl::Status {
      absl::StatusOr<double> m;
      switch (which) {
        case 'a':
          m = MeasureExit(browser_args, Clients::kIdle);
          break;
        case 'w':
          m = MeasureExit(browser_args, Clients::kIdleAndWatching);
          break;
        case 'b':
          m = MeasureExit(browser_args, Clients::kNone);
          break;
        case 'c':
          m = MeasureRun(shell_args);
          break;
        default:
          m = MeasureRun(true_args);
      }
      if (!m.ok())
        return m.status();
      (which == 'a'   ? ma
       : which == 'w' ? mw
       : which == 'b' ? mb
       : which == 'c' ? mc
                      : mr) = *m;
      return absl::OkStatus();
    };
    absl::Status s;
    for (char which : std::string(it % 2 == 0 ? "awbcr" : "rcbwa")) {
      if (s.ok())
        s.Update(run(which));
    }
    if (!s.ok()) {
      std::fprintf(stderr, "exit_bench: %s\n", s.ToString().c_str());
      exit_status = 1;
      break;
    }
    std::printf("%-4s | %9.1f %9.1f %9.1f %9.1f %9.2f\n",
                it == 0 ? "warm" : std::to_string(it).c_str(), ma, mw, mb, mc,
                mr);
    if (it == 0)
      continue;
    a.push_back(ma);
    w.push_back(mw);
    b.push_back(mb);
    c.push_back(mc);
    r.push_back(mr);
  }
  unlink(ca_file.c_str());
  std::error_code ignored;
  std::filesystem::remove_all(std::string(dir) + "/profile", ignored);
  rmdir(dir);
  if (exit_status != 0)
    return exit_status;

  const Stats sa = StatsOf(a), sw = StatsOf(w), sb = StatsOf(b),
              sc = StatsOf(c), sr = StatsOf(r);
  std::printf("\n%-52s %9s %9s %8s\n", "all in ms", "median", "p90", "target");
  std::printf("%-52s %9.1f %9.1f %8s %s\n",
              "(a) SIGTERM -> exit, idle control client", sa.median, sa.p90,
              "<= 150", bench_tsv::Verdict(sa.median <= kExitTargetMs));
  std::printf("%-52s %9.1f %9.1f %8s %s\n",
              "(w) SIGTERM -> exit, idle client + debug watch", sw.median,
              sw.p90, "<= 150", bench_tsv::Verdict(sw.median <= kExitTargetMs));
  std::printf("%-52s %9.1f %9.1f %8s %s\n", "(b) SIGTERM -> exit, no client",
              sb.median, sb.p90, "<= 150",
              bench_tsv::Verdict(sb.median <= kExitTargetMs));
  std::printf("%-52s %9.1f %9.1f %8s %s\n", "(c) shell --scenario end to end",
              sc.median, sc.p90, "<= 250",
              bench_tsv::Verdict(sc.median <= kScenarioTargetMs));
  std::printf("%-52s %9.2f %9.2f\n", "(r) spawn + wait /bin/true", sr.median,
              sr.p90);
  std::printf("%-52s %8.2fx\n", "(a) / (b)", sa.median / sb.median);

  bench_tsv::Row("SIGTERM -> exit, idle control client, median", Ms(sa.median),
                 Ms(sr.median) + " spawn /bin/true", X(sa.median / sr.median),
                 "<= 150 ms", bench_tsv::Verdict(sa.median <= kExitTargetMs));
  bench_tsv::Row("SIGTERM -> exit, idle client vs none, median", Ms(sa.median),
                 Ms(sb.median) + " no client",
                 bench_tsv::Fmt("%.2fx", sa.median / sb.median), "-", "info");
  bench_tsv::Row("SIGTERM -> exit, idle client + debug watch, median",
                 Ms(sw.median), Ms(sr.median) + " spawn /bin/true",
                 X(sw.median / sr.median), "<= 150 ms",
                 bench_tsv::Verdict(sw.median <= kExitTargetMs));
  bench_tsv::Row("SIGTERM -> exit, no client, median", Ms(sb.median),
                 Ms(sr.median) + " spawn /bin/true", X(sb.median / sr.median),
                 "<= 150 ms", bench_tsv::Verdict(sb.median <= kExitTargetMs));
  bench_tsv::Row("shell --scenario end to end (5 steps), median", Ms(sc.median),
                 Ms(sr.median) + " spawn /bin/true", X(sc.median / sr.median),
                 "<= 250 ms",
                 bench_tsv::Verdict(sc.median <= kScenarioTargetMs));
  bench_tsv::Row("shell --scenario end to end (5 steps), p90", Ms(sc.p90),
                 Ms(sr.p90) + " spawn /bin/true", X(sc.p90 / sr.p90), "-",
                 "info");
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
