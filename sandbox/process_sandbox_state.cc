#include "sandbox/process_sandbox_state.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace fetch_later::sandbox {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string NamespaceOf(const std::string& path) {
  char target[128];
  const ssize_t n = readlink(path.c_str(), target, sizeof(target) - 1);
  if (n <= 0)
    return "";
  return std::string(target, n);
}

}  // namespace

absl::StatusOr<ThreadSandboxFields> ParseProcStatus(absl::string_view text) {
  ThreadSandboxFields fields;
  bool seen_seccomp = false, seen_no_new_privs = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos)
      continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    int number = 0;
    if (key != "Seccomp" && key != "NoNewPrivs" && key != "Seccomp_filters")
      continue;
    if (!absl::SimpleAtoi(value, &number)) {
      return absl::InvalidArgumentError(
          absl::StrCat("/proc status: ", key, " is not a number: ", value));
    }
    if (key == "Seccomp") {
      fields.seccomp_mode = number;
      seen_seccomp = true;
    } else if (key == "NoNewPrivs") {
      fields.no_new_privs = number != 0;
      seen_no_new_privs = true;
    } else {
      fields.seccomp_filters = number;
    }
  }
  if (!seen_seccomp || !seen_no_new_privs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "/proc status: no ", seen_seccomp ? "NoNewPrivs" : "Seccomp",
        " line (a kernel without seccomp?)"));
  }
  return fields;
}

absl::StatusOr<ProcessSandboxState> InspectProcessSandbox(pid_t pid) {
  ProcessSandboxState state;
  state.pid = pid;
  const std::string proc = absl::StrCat("/proc/", pid);
  absl::StatusOr<std::string> status = ReadFile(proc + "/status");
  if (!status.ok())
    return status.status();
  absl::StatusOr<ThreadSandboxFields> main_thread = ParseProcStatus(*status);
  if (!main_thread.ok())
    return main_thread.status();
  state.main_thread = *main_thread;

  DIR* tasks = opendir((proc + "/task").c_str());
  if (tasks == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("cannot list ", proc, "/task: ", strerror(errno)));
  }
  while (dirent* entry = readdir(tasks)) {
    int tid = 0;
    if (!absl::SimpleAtoi(entry->d_name, &tid))
      continue;
    absl::StatusOr<std::string> text =
        ReadFile(absl::StrCat(proc, "/task/", tid, "/status"));
    if (!text.ok())
      continue;  // the thread exited meanwhile
    absl::StatusOr<ThreadSandboxFields> fields = ParseProcStatus(*text);
    if (!fields.ok())
      continue;
    state.threads++;
    if (fields->seccomp_mode == 2 && fields->no_new_privs)
      state.threads_sandboxed++;
  }
  closedir(tasks);

  for (const auto& [name, own] :
       {std::pair<const char*, bool*>{"user", &state.own_user_namespace},
        std::pair<const char*, bool*>{"net", &state.own_net_namespace}}) {
    const std::string theirs = NamespaceOf(absl::StrCat(proc, "/ns/", name));
    const std::string ours = NamespaceOf(absl::StrCat("/proc/self/ns/", name));
    *own = !theirs.empty() && !ours.empty() && theirs != ours;
  }
  return state;
}

absl::Status CheckSeccompSandboxed(const ProcessSandboxState& state) {
  if (state.main_thread.seccomp_mode != 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("seccomp mode ", state.main_thread.seccomp_mode,
                     " on the main thread (2 is a filter)"));
  }
  if (!state.main_thread.no_new_privs)
    return absl::FailedPreconditionError("no-new-privs is off");
  if (state.threads == 0 || state.threads_sandboxed != state.threads) {
    return absl::FailedPreconditionError(absl::StrCat(
        state.threads - state.threads_sandboxed, " of ", state.threads,
        " threads run without a seccomp filter or no-new-privs"));
  }
  return absl::OkStatus();
}

}  // namespace fetch_later::sandbox
