#include "browser/renderer_process_launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ipc/startup_trace.h"

extern char** environ;

namespace fetch_later::browser {
namespace {

// Logs a renderer's exit when it says something the driver should know.
void LogExit(RendererId id, const std::string& site, int status) {
  if (WIFEXITED(status) &&
      WEXITSTATUS(status) == RendererProcessLauncher::kSandboxFailureExitCode) {
    std::fprintf(stderr,
                 "browser: renderer %llu (%s) could not enter its sandbox "
                 "(exit status %d; its message is above); --no-sandbox starts "
                 "renderers without one, for debugging only\n",
                 static_cast<unsigned long long>(id.value()), site.c_str(),
                 WEXITSTATUS(status));
  } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    std::fprintf(stderr,
                 "browser: renderer %llu (%s) was killed by its sandbox: a "
                 "forbidden system call (SIGSYS)\n",
                 static_cast<unsigned long long>(id.value()), site.c_str());
  }
}

}  // namespace

RendererProcessLauncher::RendererProcessLauncher(Options options)
    : options_(std::move(options)), reaper_([this] { Reap(); }) {}

RendererProcessLauncher::~RendererProcessLauncher() {
  KillAll();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  reaper_.join();
}

absl::Status RendererProcessLauncher::Launch(const RendererHost& host) {
  ipc::startup_trace::Mark("renderer_launch_begin");
  absl::StatusOr<ScopedFd> channel = options_.open_channel(host);
  if (!channel.ok()) {
    return absl::InternalError(absl::StrCat("cannot make a channel for ",
                                            host.site(), ": ",
                                            channel.status().message()));
  }
  int token_pipe[2];
  if (pipe2(token_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", strerror(errno)));
  }
  ScopedFd token_read(token_pipe[0]), token_write(token_pipe[1]);
  std::vector<std::string> args = {
      options_.renderer_binary,
      absl::StrCat("--channel_fd=", kChannelFd),
      absl::StrCat("--site=", host.site()),
  };
  for (const std::string& arg : options_.extra_args)
    args.push_back(arg);
  if (options_.no_sandbox)
    args.push_back("--no-sandbox");
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);

  // In the child: stdin <- the token pipe, descriptor 3 <- the channel (dup2
  // leaves the copy without close-on-exec; every other descriptor of the
  // browser is close-on-exec, and closefrom(4) closes any that is not).
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, token_read.get(), STDIN_FILENO);
  if (channel->get() == kChannelFd) {
    // dup2 onto itself would keep close-on-exec: move it first.
    ScopedFd moved(fcntl(channel->get(), F_DUPFD_CLOEXEC, kChannelFd + 1));
    *channel = std::move(moved);
  }
  posix_spawn_file_actions_adddup2(&actions, channel->get(), kChannelFd);
  posix_spawn_file_actions_addclosefrom_np(&actions, kChannelFd + 1);
  // The browser's main blocks SIGTERM, SIGINT and SIGPIPE in every thread;
  // the renderer starts with no signal blocked and every disposition default.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, options_.renderer_binary.c_str(),
                                &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  token_read.Reset();
  channel->Reset();  // the child has its copy
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot start renderer ",
                                            options_.renderer_binary, ": ",
                                            strerror(error)));
  }
  const std::string line = host.launch_token() + "\n";
  (void)!write(token_write.get(), line.data(),
               line.size());  // a dead child reads nothing
  ipc::startup_trace::Mark("renderer_spawned");
  absl::MutexLock lock(&mu_);
  children_[host.id()] = Child{pid, host.site()};
  return absl::OkStatus();
}

bool RendererProcessLauncher::Kill(const RendererHost& host) {
  absl::MutexLock lock(&mu_);
  auto it = children_.find(host.id());
  if (it == children_.end())
    return false;
  return kill(it->second.pid, SIGKILL) == 0;
}

void RendererProcessLauncher::KillAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [id, child] : children_)
    kill(child.pid, SIGKILL);
}

std::optional<pid_t> RendererProcessLauncher::PidOf(RendererId renderer) {
  absl::MutexLock lock(&mu_);
  auto it = children_.find(renderer);
  if (it == children_.end())
    return std::nullopt;
  return it->second.pid;
}

int RendererProcessLauncher::running_count() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(children_.size());
}

void RendererProcessLauncher::Reap() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ && children_.empty())
        return;
      for (auto it = children_.begin(); it != children_.end();) {
        int status = 0;
        if (waitpid(it->second.pid, &status, WNOHANG) == it->second.pid) {
          // The browser's own SIGKILL is no news; these are.
          LogExit(it->first, it->second.site, status);
          children_.erase(it++);
        } else {
          ++it;
        }
      }
      if (stopping_) {
        // Children were sent SIGKILL; wait for them to go.
        for (const auto& [id, child] : children_)
          kill(child.pid, SIGKILL);
      }
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace fetch_later::browser
