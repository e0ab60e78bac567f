// EnterNamespaces() (sandbox.h): layer 1 of the sandbox.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sandbox/sandbox.h"

namespace fetch_later::sandbox {
namespace {

absl::Status WriteProcFile(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
  const ssize_t written = write(fd, text.data(), text.size());
  const int error = errno;
  close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    return absl::InternalError(absl::StrCat(
        "writing ", path, ": ", strerror(written < 0 ? error : EIO)));
  }
  return absl::OkStatus();
}

// Maps the process's own user and group ids into its new user namespace, so
// that it keeps the ids it had (an unmapped id reads as 65534, "nobody"). An
// unprivileged process may map its own ids, once setgroups() is denied.
absl::Status MapOwnIds(uid_t uid, gid_t gid) {
  if (access("/proc/self/setgroups", F_OK) == 0) {
    absl::Status denied = WriteProcFile("/proc/self/setgroups", "deny");
    if (!denied.ok())
      return denied;
  }
  absl::Status mapped =
      WriteProcFile("/proc/self/uid_map", absl::StrCat(uid, " ", uid, " 1"));
  if (!mapped.ok())
    return mapped;
  return WriteProcFile("/proc/self/gid_map", absl::StrCat(gid, " ", gid, " 1"));
}

int CountThreads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0)
      return std::atoi(line.c_str() + strlen("Threads:"));
  }
  return 0;
}

}  // namespace

void EnterNamespaces(SandboxReport* report) {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC) == 0) {
    report->user_namespace = report->net_namespace = report->ipc_namespace =
        true;
    absl::Status mapped = MapOwnIds(uid, gid);
    if (!mapped.ok()) {
      report->notes.push_back(
          absl::StrCat("user namespace without id maps (ids read as 65534): ",
                       mapped.message()));
    }
    return;
  }
  std::string user_error = strerror(errno);
  if (errno == EINVAL && CountThreads() > 1) {
    absl::StrAppend(&user_error, " (the process already runs ", CountThreads(),
                    " threads)");
  }
  if (unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0) {
    report->net_namespace = report->ipc_namespace = true;
    report->notes.push_back(absl::StrCat(
        "no user namespace (unshare(CLONE_NEWUSER): ", user_error,
        "); network and IPC namespaces through the process's privilege"));
    return;
  }
  report->notes.push_back(
      absl::StrCat("no namespaces: unshare(CLONE_NEWUSER): ", user_error,
                   "; unshare(CLONE_NEWNET): ", strerror(errno),
                   " (unprivileged user namespaces are disabled here)"));
}

}  // namespace fetch_later::sandbox
