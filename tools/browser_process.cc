#include "tools/browser_process.h"

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
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace fetch_later::tools {
namespace {

// Reads one line from `fd` within `timeout_ms`.
absl::StatusOr<std::string> ReadLine(int fd, int timeout_ms) {
  std::string line;
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  while (true) {
    const int remaining =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (remaining <= 0)
      return absl::DeadlineExceededError("no start line from the browser");
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, remaining) <= 0)
      continue;
    char c;
    const ssize_t n = read(fd, &c, 1);
    if (n <= 0)
      return absl::UnavailableError("the browser exited before its start line");
    if (c == '\n')
      return line;
    line.push_back(c);
  }
}

std::string JsonString(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\": \"";
  const size_t start = json.find(needle);
  if (start == std::string::npos)
    return "";
  const size_t from = start + needle.size();
  return json.substr(from, json.find('"', from) - from);
}

}  // namespace

std::string RunfilesPath(const std::string& workspace_relative) {
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(var)) {
      return absl::StrCat(dir, "/fetch_later/", workspace_relative);
    }
  }
  // `bazel run`: <binary>.runfiles next to the binary.
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n > 0) {
    self[n] = '\0';
    const std::string runfiles =
        absl::StrCat(self, ".runfiles/fetch_later/", workspace_relative);
    if (access(runfiles.c_str(), X_OK) == 0)
      return runfiles;
  }
  return workspace_relative;
}

absl::StatusOr<std::unique_ptr<BrowserProcess>> BrowserProcess::Start(
    const Options& options) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0)
    return absl::InternalError(strerror(errno));
  std::vector<std::string> args = {options.browser_binary};
  if (options.virtual_time)
    args.push_back("--virtual_time");
  if (options.virtual_time && options.virtual_time_start_ms > 0) {
    args.push_back(absl::StrCat("--virtual_time_start_ms=",
                                options.virtual_time_start_ms));
  }
  args.push_back("--profile_dir=" + options.profile_dir);
  if (!options.ca_file.empty())
    args.push_back("--ca_file=" + options.ca_file);
  if (!options.host_resolver_rules.empty()) {
    args.push_back("--host_resolver_rules=" + options.host_resolver_rules);
  }
  for (const auto& f : options.extra_flags)
    args.push_back(f);
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  if (!options.stderr_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO,
                                     options.stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  }
  std::unique_ptr<BrowserProcess> process(new BrowserProcess());
  const int error = posix_spawn(&process->pid_, options.browser_binary.c_str(),
                                &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (error != 0) {
    close(out[0]);
    return absl::InternalError(absl::StrCat(
        "cannot start ", options.browser_binary, ": ", strerror(error)));
  }
  process->stdout_fd_ = out[0];
  absl::StatusOr<std::string> line = ReadLine(out[0], 20000);
  if (!line.ok())
    return line.status();
  process->control_address_ = JsonString(*line, "control");
  process->debug_address_ = JsonString(*line, "debug");
  process->sandbox_ = JsonString(*line, "sandbox");
  process->internals_url_ = JsonString(*line, "internals");
  process->journal_path_ = JsonString(*line, "journal");
  auto channel = grpc::CreateChannel(process->control_address_,
                                     grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::seconds(10))) {
    return absl::UnavailableError(
        "cannot connect to the browser's control socket");
  }
  process->control_ = ipc::BrowserControl::NewStub(channel);
  return process;
}

int BrowserProcess::Terminate(int timeout_ms) {
  if (pid_ <= 0)
    return -1;
  // Hang up first: the browser then has no client connection to close.
  control_.reset();
  // A pidfd becomes readable when the process exits: no polling interval
  // between its exit and ours.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  int exit_status = -1;
  while (true) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      exit_status =
          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration())
      break;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    } else {
      absl::SleepFor(std::min(left, absl::Milliseconds(10)));
    }
  }
  if (pidfd >= 0)
    close(pidfd);
  return exit_status;
}

void BrowserProcess::Kill() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

BrowserProcess::~BrowserProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0)
    close(stdout_fd_);
}

}  // namespace fetch_later::tools
