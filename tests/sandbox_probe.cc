// A probe for the sandbox self-test (tests/sandbox_test.cc): a process that
// enters the renderer's sandbox exactly as renderer_main.cc does
// (renderer/renderer_sandbox.h: namespaces first, then the warm-up, then the
// seal), then tries one thing and says what happened on stdout:
//
//   sealed            the sandbox is entered (printed before the attempt)
//   OK [detail]       the attempt succeeded
//   ERRNO <name>      it failed with that errno (EPERM, EACCES, ...)
//
// and exits 0. A probe the sandbox kills prints nothing after "sealed" (the
// test sees SIGSYS).
//
//   sandbox_probe --probe=open_passwd [--layers=all|landlock|namespaces|none]
//                 [--path=/tmp/dfX/control.sock] [--port=N] [--channel_fd=3]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/echo.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "net/url.h"
#include "renderer/renderer_connection.h"
#include "renderer/renderer_sandbox.h"

ABSL_FLAG(std::string, probe, "", "What to try once sealed.");
ABSL_FLAG(std::string,
          layers,
          "all",
          "all (the renderer's sandbox), landlock (namespaces, limits, "
          "no-new-privs and Landlock: no seccomp), namespaces (namespaces and "
          "no-new-privs only), none");
ABSL_FLAG(std::string, path, "", "A Unix socket path (connect_control).");
ABSL_FLAG(int, port, 0, "A TCP port on 127.0.0.1 (connect_inet).");
ABSL_FLAG(int, channel_fd, -1, "An inherited channel serving Echo (grpc).");
ABSL_FLAG(bool,
          early_thread_blocks_signals,
          false,
          "The thread started before the seal blocks every signal, so Landlock "
          "cannot reach it: the seal must fail, naming the layer.");

namespace fetch_later::testing {
namespace {

using renderer::DocumentScript;
using renderer::ScriptEngine;
using renderer::ScriptEngineOptions;

std::string Outcome(int rc) {
  if (rc >= 0)
    return "OK";
  return absl::StrCat("ERRNO ", strerrorname_np(errno));
}

// A window whose fetchLater() accepts nothing: the script probe needs the
// engine, not the browser.
class NoDocument : public renderer::ScriptDelegate {
 public:
  renderer::JsResult<renderer::FetchLaterResult> FetchLater(
      const renderer::RequestInfo&,
      const renderer::DeferredRequestInit&,
      const std::optional<renderer::RetryOptionsInit>&) override {
    return renderer::MakeTypeError("no document");
  }
  renderer::JsResult<uint64_t> Fetch(
      const renderer::Request&,
      const std::optional<renderer::RetryOptionsInit>&) override {
    return renderer::MakeTypeError("no document");
  }
  void AbortFetch(uint64_t) override {}
  renderer::ClientContext Client() override {
    return renderer::ClientContext::ForDocument(
        *net::Url::Parse("https://a.test/"));
  }
  std::vector<std::string> AllowedFeatures() override { return {}; }
};

// Page script inside the sandbox: the JITs (a recursive hot function reaches
// the optimising tiers; a regular expression in a loop its JIT), the collector
// (allocation churn), then the watchdog (its signal-sending thread stops a
// runaway loop). Run on a thread started after sealing, as the renderer's page
// task thread is.
std::string RunScripts() {
  ScriptEngineOptions options;
  options.time_limit = absl::Milliseconds(300);
  ScriptEngine engine(options);
  NoDocument delegate;
  DocumentScript script(&engine, &delegate, {});
  const absl::Time start = absl::Now();
  renderer::ScriptRunResult work = script.RunClassicScript(R"JS(
    function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    let sum = 0;
    for (let i = 0; i < 30; i++) sum += fib(20);
    let kept = [];
    for (let i = 0; i < 300000; i++) {
      kept.push({i, s: 'v' + i});
      if (kept.length > 1000) kept = [];
    }
    const re = /^(\d+)-(\d+)$/;
    let matched = 0;
    for (let i = 0; i < 20000; i++) if (re.test(i + '-' + (i * 3))) matched++;
    console.log('sum ' + sum + ' matched ' + matched);
  )JS",
                                                           "probe.js");
  const absl::Duration took = absl::Now() - start;
  if (!work.errors.empty())
    return "FAILED " + work.errors[0].ToString();
  if (work.console.size() != 1 ||
      work.console[0] != "log: sum 202950 matched 20000") {
    return "FAILED console: " +
           (work.console.empty() ? std::string("(none)") : work.console[0]);
  }
  renderer::ScriptRunResult runaway =
      script.RunClassicScript("for (;;) {}", "runaway.js");
  if (runaway.errors.empty() || !runaway.errors[0].terminated)
    return "FAILED the watchdog did not stop a runaway script";
  return absl::StrCat("OK scripts ran (", absl::ToInt64Milliseconds(took),
                      " ms); the watchdog stopped the runaway one");
}

std::string TryEcho(int fd) {
  auto stub =
      ipc::Echo::NewStub(renderer::RendererConnection::ChannelFromFd(fd));
  ipc::EchoRequest request;
  request.set_payload("through the sandbox");
  ipc::EchoReply reply;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
  grpc::Status status = stub->Echo(&context, request, &reply);
  if (!status.ok())
    return "FAILED " + status.error_message();
  return "OK " + reply.payload();
}

std::string ConnectUnix(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0)
    return Outcome(-1) + " (socket)";
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
  const int rc =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  return Outcome(rc) + " (connect)";
}

std::string ControlByGrpc(const std::string& path) {
  auto stub = ipc::BrowserControl::NewStub(
      grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(2));
  ipc::CreateTabResponse response;
  grpc::Status status = stub->CreateTab(&context, {}, &response);
  return status.ok() ? "OK tab created"
                     : absl::StrCat("FAILED ", status.error_code(), " ",
                                    status.error_message());
}

std::string ConnectInet(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return Outcome(-1) + " (socket)";
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int rc =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  return Outcome(rc) + " (connect)";
}

std::string Fork() {
  const pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  if (pid > 0)
    waitpid(pid, nullptr, 0);
  return Outcome(pid);
}

std::string Try(const std::string& probe) {
  if (probe == "open_passwd")
    return Outcome(open("/etc/passwd", O_RDONLY));
  if (probe == "socket_inet")
    return Outcome(socket(AF_INET, SOCK_STREAM, 0));
  if (probe == "connect_inet")
    return ConnectInet(absl::GetFlag(FLAGS_port));
  if (probe == "connect_control")
    return ConnectUnix(absl::GetFlag(FLAGS_path));
  if (probe == "control_by_grpc")
    return ControlByGrpc(absl::GetFlag(FLAGS_path));
  if (probe == "execve_sh") {
    char* argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"),
                    const_cast<char*>("echo escaped"), nullptr};
    return Outcome(execve("/bin/sh", argv, environ));
  }
  if (probe == "fork")
    return Fork();
  if (probe == "ptrace_parent")
    return Outcome(static_cast<int>(ptrace(PTRACE_ATTACH, getppid(), 0, 0)));
  if (probe == "kill_parent")
    return Outcome(kill(getppid(), 0));
  if (probe == "thread") {
    std::string inside;
    std::thread([&] { inside = "OK a thread ran"; }).join();
    return inside;
  }
  if (probe == "scripts") {
    std::string outcome;
    std::thread([&] { outcome = RunScripts(); }).join();
    return outcome;
  }
  if (probe == "grpc")
    return TryEcho(absl::GetFlag(FLAGS_channel_fd));
  if (probe == "wait") {
    // Stays sealed until stdin closes, for the test to read its /proc.
    char c;
    while (read(STDIN_FILENO, &c, 1) > 0) {
    }
    return "OK";
  }
  return "FAILED unknown probe " + probe;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string layers = absl::GetFlag(FLAGS_layers);
  sandbox::SealOptions options;
  if (layers == "landlock") {
    options.seccomp = false;
  } else if (layers == "namespaces") {
    options.resource_limits = options.landlock = options.seccomp = false;
  } else if (layers != "all" && layers != "none") {
    std::printf("FAILED --layers=%s\n", layers.c_str());
    return 2;
  }
  // As renderer_main.cc: namespaces while single-threaded.
  renderer::RendererSandbox sandbox(layers != "none", options);

  // A thread that exists before the seal (as gRPC's and JavaScriptCore's do
  // in the renderer) and tries opening a file after it.
  absl::Notification sealed, done;
  std::string early_outcome;
  std::thread early([&] {
    if (absl::GetFlag(FLAGS_early_thread_blocks_signals)) {
      sigset_t all;
      sigfillset(&all);
      pthread_sigmask(SIG_BLOCK, &all, nullptr);
    }
    sealed.WaitForNotification();
    early_outcome = Outcome(open("/etc/passwd", O_RDONLY));
    done.Notify();
  });

  if (absl::Status s = sandbox.Seal(ScriptEngineOptions{}); !s.ok()) {
    std::printf("FAILED seal: %s\n", std::string(s.message()).c_str());
    sealed.Notify();
    early.join();
    return 2;
  }
  std::printf("sealed: %s\n", sandbox.layers_entered().Summary().c_str());
  std::fflush(stdout);
  sealed.Notify();
  done.WaitForNotification();
  early.join();
  const std::string probe = absl::GetFlag(FLAGS_probe);
  const std::string outcome =
      probe == "open_passwd_early_thread" ? early_outcome : Try(probe);
  std::printf("%s\n", outcome.c_str());
  std::fflush(stdout);
  return 0;
}

}  // namespace
}  // namespace fetch_later::testing

int main(int argc, char** argv) {
  return fetch_later::testing::Main(argc, argv);
}
