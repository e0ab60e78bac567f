// The sandbox self-test: each row starts its own probe process
// (tests/sandbox_probe.cc), which enters the renderer's sandbox with the same
// code and policy as the renderer (renderer/renderer_sandbox.h) and then tries
// one thing. Escapes must fail (EPERM, or killed by SIGSYS) while what a
// renderer needs keeps working: threads, page scripts with JavaScriptCore's
// JITs, collector and watchdog (the *_gc_stress variant runs the collector all
// the time), and gRPC on the inherited channel. Rows that isolate one layer
// show each layer holding on its own.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netinet/in.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/server_posix.h"
#include "gtest/gtest.h"
#include "ipc/echo.grpc.pb.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"
#include "sandbox/landlock.h"
#include "sandbox/process_sandbox_state.h"
#include "tools/browser_process.h"

extern char** environ;

namespace fetch_later::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr int kChannelFd = 3;

struct ProbeRun {
  std::string out;  // stdout
  std::string err;  // stderr
  int status = 0;   // waitpid status
  std::vector<std::string> Lines() const {
    return absl::StrSplit(out, '\n', absl::SkipEmpty());
  }
  // The probe's answer: its line after "sealed: ...".
  std::string Outcome() const {
    std::vector<std::string> lines = Lines();
    return lines.size() >= 2 ? lines[1] : "";
  }
  bool KilledBySigsys() const {
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
  }
};

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0)
    text.append(buffer, n);
  return text;
}

// Starts the probe with `args`; `channel_fd` (if >= 0) becomes its descriptor
// 3. With `hold_stdin`, its stdin stays open until `release` is called.
class Probe {
 public:
  Probe(std::vector<std::string> args, int channel_fd = -1) {
    int out[2], err[2], in[2];
    EXPECT_EQ(pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
    EXPECT_EQ(pipe2(in, O_CLOEXEC), 0);
    args.insert(args.begin(), tools::RunfilesPath("tests/sandbox_probe"));
    std::vector<char*> argv;
    for (std::string& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    if (channel_fd >= 0)
      posix_spawn_file_actions_adddup2(&actions, channel_fd, kChannelFd);
    EXPECT_EQ(
        posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ),
        0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    stderr_ = err[0];
  }
  ~Probe() {
    if (stdin_ >= 0)
      close(stdin_);
    close(stdout_);
    close(stderr_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  // Reads stdout up to the first line (the probe sealed itself).
  std::string FirstLine() {
    std::string line;
    char c;
    while (read(stdout_, &c, 1) == 1 && c != '\n')
      line.push_back(c);
    first_line_ = line + "\n";
    return line;
  }

  ProbeRun Finish() {
    close(stdin_);
    stdin_ = -1;
    ProbeRun run;
    run.out = first_line_ + ReadAll(stdout_);
    run.err = ReadAll(stderr_);
    waitpid(pid_, &run.status, 0);
    pid_ = -1;
    return run;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
  std::string first_line_;
};

ProbeRun RunProbe(const std::string& probe,
                  const std::string& layers = "all",
                  std::vector<std::string> extra = {},
                  int channel_fd = -1) {
  std::vector<std::string> args = {"--probe=" + probe, "--layers=" + layers};
  args.insert(args.end(), extra.begin(), extra.end());
  Probe p(args, channel_fd);
  return p.Finish();
}

// How a row must come out.
enum class Expect { kEperm, kKilled, kOk, kEacces, kNetworkUnreachable };

struct ProbeCase {
  const char* name;
  const char* probe;
  const char* layers;
  Expect expect;
  const char* source;  // why this row exists
};

void PrintTo(const ProbeCase& c, std::ostream* os) {
  *os << c.name;
}

// A browser in this process whose control socket the probes try to reach by
// path, and a TCP listener on loopback.
class SandboxTest : public ::testing::TestWithParam<ProbeCase> {
 protected:
  void SetUp() override {
    browser::BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    core_ = std::make_unique<browser::BrowserCore>(options);
    auto server = browser::BrowserServer::Start(core_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    control_path_ = server_->control_address().substr(strlen("unix:"));

    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(
        bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
        0);
    ASSERT_EQ(listen(listener_, 4), 0);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }

  void TearDown() override {
    close(listener_);
    server_.reset();
    core_.reset();
  }

  std::vector<std::string> Targets() const {
    return {"--path=" + control_path_, absl::StrCat("--port=", port_)};
  }

  net::FakeClock clock_;
  net::RecordingNetworkStage network_;
  std::unique_ptr<browser::BrowserCore> core_;
  std::unique_ptr<browser::BrowserServer> server_;
  std::string control_path_;
  int listener_ = -1;
  int port_ = 0;
};

TEST_P(SandboxTest, Probe) {
  const ProbeCase& c = GetParam();
  if (absl::string_view(c.layers) == "landlock" && sandbox::LandlockAbi() == 0)
    GTEST_SKIP() << "the kernel has no Landlock";
  ProbeRun run = RunProbe(c.probe, c.layers, Targets());
  SCOPED_TRACE(
      absl::StrCat(c.source, "\nstdout:\n", run.out, "stderr:\n", run.err));
  ASSERT_THAT(run.out, StartsWith("sealed: "));
  switch (c.expect) {
    case Expect::kKilled:
      EXPECT_TRUE(run.KilledBySigsys());
      EXPECT_EQ(run.Outcome(), "");
      break;
    case Expect::kEperm:
      ASSERT_TRUE(WIFEXITED(run.status));
      EXPECT_THAT(run.Outcome(), StartsWith("ERRNO EPERM"));
      break;
    case Expect::kEacces:
      ASSERT_TRUE(WIFEXITED(run.status));
      EXPECT_THAT(run.Outcome(), StartsWith("ERRNO EACCES"));
      break;
    case Expect::kNetworkUnreachable:
      ASSERT_TRUE(WIFEXITED(run.status));
      EXPECT_THAT(run.Outcome(), StartsWith("ERRNO ENETUNREACH"));
      break;
    case Expect::kOk:
      ASSERT_TRUE(WIFEXITED(run.status));
      EXPECT_THAT(run.Outcome(), StartsWith("OK"));
      // What a renderer needs is allowed, not refused and logged.
      EXPECT_THAT(run.err, Not(HasSubstr("refused system call")));
      break;
  }
}

// clang-format off
const ProbeCase kCases[] = {
    // ---- Escapes under the renderer's sandbox (the list). ----
    {"OpenEtcPasswd", "open_passwd", "all", Expect::kEperm,
     "issue: opening files fails (seccomp refuses openat quietly)"},
    {"OpenFromAThreadStartedBeforeTheSeal", "open_passwd_early_thread", "all",
     Expect::kEperm, "seccomp TSYNC: threads gRPC and JavaScriptCore started "
     "before the seal are filtered too"},
    {"ConnectToTheBrowsersControlSocketByPath", "connect_control", "all",
     Expect::kEperm, "issue: the control socket (same user, 0700 directory) is "
     "out of reach: socket() is refused"},
    {"SocketAfInet", "socket_inet", "all", Expect::kEperm,
     "issue: socket(AF_INET) fails"},
    {"ExecveBinSh", "execve_sh", "all", Expect::kKilled,
     "issue: execve(\"/bin/sh\") kills the renderer"},
    {"Fork", "fork", "all", Expect::kEperm,
     "issue: fork() (clone without CLONE_THREAD) fails"},
    {"PtraceItsParent", "ptrace_parent", "all", Expect::kKilled,
     "issue: ptrace of its parent kills the renderer"},
    {"SignalItsParent", "kill_parent", "all", Expect::kEperm,
     "signals only to its own threads (kill/tgkill of another pid refused)"},
    // ---- What a renderer needs keeps working. ----
    {"StartsThreads", "thread", "all", Expect::kOk,
     "clone with CLONE_THREAD (clone3 answers ENOSYS; glibc falls back)"},
    {"RunsPageScriptsWithJitCollectorAndWatchdog", "scripts", "all",
     Expect::kOk, "issue: page scripts keep working (JIT, collector; the "
     "gc_stress variant runs the collector continuously)"},
    // ---- Each layer on its own. ----
    {"LandlockAloneRefusesFiles", "open_passwd", "landlock", Expect::kEacces,
     "Landlock with no rule: no filesystem access (EACCES), without seccomp"},
    {"LandlockAloneCoversThreadsStartedBeforeTheSeal",
     "open_passwd_early_thread", "landlock", Expect::kEacces,
     "Landlock restricts one thread per call: every thread is reached"},
    {"LandlockAloneDoesNotStopAPathSocketConnect", "connect_control",
     "landlock", Expect::kOk,
     "why seccomp's socket() refusal matters: Landlock does not cover "
     "connecting to an existing Unix socket file"},
    {"NetworkNamespaceAloneHasNoRoute", "connect_inet", "namespaces",
     Expect::kNetworkUnreachable,
     "new network namespace: loopback down, no route to the host's 127.0.0.1"},
    {"WithoutTheSandboxTheSameProbeEscapes", "open_passwd", "none",
     Expect::kOk, "the probe can fail: without the sandbox it opens the file"},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Rows,
                         SandboxTest,
                         ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.name; });

// Issue: a sandbox that cannot be entered is a clear error naming the layer
// (the renderer prints it and exits with status 3). Here Landlock cannot reach
// a thread that blocks every signal.
TEST_F(SandboxTest, ALayerThatCannotBeEnteredIsAnErrorNamingIt) {
  if (sandbox::LandlockAbi() == 0)
    GTEST_SKIP() << "the kernel has no Landlock";
  ProbeRun run = RunProbe("thread", "all", {"--early_thread_blocks_signals"});
  ASSERT_TRUE(WIFEXITED(run.status));
  EXPECT_EQ(WEXITSTATUS(run.status), 2);
  EXPECT_THAT(run.out, StartsWith("FAILED seal: landlock: thread "));
  EXPECT_THAT(run.out, HasSubstr("did not restrict itself within 2 s"));
}

// The refusal is logged once, naming the call.
TEST_F(SandboxTest, ARefusedCallIsLoggedByName) {
  ProbeRun run = RunProbe("socket_inet");
  EXPECT_THAT(run.Outcome(), StartsWith("ERRNO EPERM"));
  EXPECT_THAT(run.err, HasSubstr("refused system call 41 (socket) with EPERM"));
}

// Issue: a gRPC client inside the sandbox cannot drive the browser through its
// control socket: the call fails (UNAVAILABLE: no socket) and creates no tab
// (the next id the browser hands out is the one after ours).
TEST_F(SandboxTest, TheBrowserCannotBeDrivenFromInsideTheSandbox) {
  const uint64_t before = core_->CreateTab().value();
  ProbeRun run = RunProbe("control_by_grpc", "all", Targets());
  EXPECT_THAT(run.Outcome(), StartsWith("FAILED 14"))  // UNAVAILABLE
      << run.out << run.err;
  EXPECT_EQ(core_->CreateTab().value(), before + 1);
  // The same probe without the sandbox does create a tab: the check can fail.
  ProbeRun unsandboxed = RunProbe("control_by_grpc", "none", Targets());
  EXPECT_EQ(unsandboxed.Outcome(), "OK tab created");
}

// gRPC over the channel it inherited still works inside the sandbox.
TEST_F(SandboxTest, GrpcOnTheInheritedChannelWorks) {
  class EchoService final : public ipc::Echo::Service {
    grpc::Status Echo(grpc::ServerContext*,
                      const ipc::EchoRequest* request,
                      ipc::EchoReply* reply) override {
      reply->set_payload(request->payload());
      return grpc::Status::OK;
    }
  } echo;
  grpc::ServerBuilder builder;
  builder.RegisterService(&echo);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  int ends[2];
  ASSERT_EQ(
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends),
      0);
  grpc::AddInsecureChannelFromFd(server.get(), ends[0]);
  ProbeRun run = RunProbe("grpc", "all",
                          {absl::StrCat("--channel_fd=", kChannelFd)}, ends[1]);
  close(ends[1]);
  EXPECT_EQ(run.Outcome(), "OK through the sandbox") << run.out << run.err;
  // gRPC started its threads, epoll and wakeup descriptors inside the
  // sandbox with calls the policy allows.
  EXPECT_THAT(run.err, Not(HasSubstr("refused system call"))) << run.err;
  server->Shutdown();
}

// From outside, as the browser checks a renderer: every thread under a seccomp
// filter with no-new-privs, and its own user and network namespaces.
TEST_F(SandboxTest, SeenFromProcItIsSandboxed) {
  Probe probe({"--probe=wait"});
  ASSERT_THAT(probe.FirstLine(), StartsWith("sealed: "));
  absl::StatusOr<sandbox::ProcessSandboxState> state =
      sandbox::InspectProcessSandbox(probe.pid());
  ProbeRun run = probe.Finish();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->main_thread.seccomp_mode, 2);
  EXPECT_TRUE(state->main_thread.no_new_privs);
  EXPECT_GE(state->threads, 1);
  EXPECT_EQ(state->threads_sandboxed, state->threads);
  EXPECT_TRUE(state->own_user_namespace);
  EXPECT_TRUE(state->own_net_namespace);
  EXPECT_TRUE(sandbox::CheckSeccompSandboxed(*state).ok());
  EXPECT_EQ(run.Outcome(), "OK");
}

}  // namespace
}  // namespace fetch_later::testing
