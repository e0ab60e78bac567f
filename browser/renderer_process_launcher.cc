#include "browser/renderer_process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace fetch_later::browser {

RendererProcessLauncher::RendererProcessLauncher(
    std::string renderer_binary,
    std::string browser_address,
    std::vector<std::string> extra_args)
    : renderer_binary_(std::move(renderer_binary)),
      browser_address_(std::move(browser_address)),
      extra_args_(std::move(extra_args)),
      reaper_([this] { Reap(); }) {}

RendererProcessLauncher::~RendererProcessLauncher() {
  KillAll();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  reaper_.join();
}

absl::Status RendererProcessLauncher::Launch(const RendererHost& host) {
  int token_pipe[2];
  if (pipe2(token_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  std::string address_flag = "--browser=" + browser_address_;
  std::string site_flag = "--site=" + host.site();
  std::vector<std::string> args = extra_args_;
  std::vector<char*> argv = {const_cast<char*>(renderer_binary_.c_str()),
                             address_flag.data(), site_flag.data()};
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, token_pipe[0], STDIN_FILENO);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, renderer_binary_.c_str(), &actions,
                                nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(token_pipe[0]);
  if (error != 0) {
    close(token_pipe[1]);
    return absl::InternalError(absl::StrCat(
        "cannot start renderer ", renderer_binary_, ": ", strerror(error)));
  }
  const std::string line = host.launch_token() + "\n";
  (void)!write(token_pipe[1], line.data(),
               line.size());  // a dead child reads nothing
  close(token_pipe[1]);
  absl::MutexLock lock(&mu_);
  pids_[host.id()] = pid;
  return absl::OkStatus();
}

bool RendererProcessLauncher::Kill(const RendererHost& host) {
  absl::MutexLock lock(&mu_);
  auto it = pids_.find(host.id());
  if (it == pids_.end())
    return false;
  return kill(it->second, SIGKILL) == 0;
}

void RendererProcessLauncher::KillAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, pid] : pids_)
    kill(pid, SIGKILL);
}

std::optional<pid_t> RendererProcessLauncher::PidOf(RendererId renderer) {
  absl::MutexLock lock(&mu_);
  auto it = pids_.find(renderer);
  if (it == pids_.end())
    return std::nullopt;
  return it->second;
}

int RendererProcessLauncher::running_count() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(pids_.size());
}

void RendererProcessLauncher::Reap() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ && pids_.empty())
        return;
      for (auto it = pids_.begin(); it != pids_.end();) {
        int status = 0;
        if (waitpid(it->second, &status, WNOHANG) == it->second) {
          pids_.erase(it++);
        } else {
          ++it;
        }
      }
      if (stopping_) {
        // Children were sent SIGKILL; wait for them to go.
        for (const auto& [id, pid] : pids_)
          kill(pid, SIGKILL);
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace fetch_later::browser
