#include "browser/renderer_sandbox_check.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sandbox/process_sandbox_state.h"

namespace fetch_later::browser {
namespace {

constexpr int kMaxNotes = 8;
constexpr size_t kMaxNoteBytes = 256;

}  // namespace

RendererSandboxCheck CheckRendererSandbox(pid_t pid,
                                          const ipc::SandboxReport& reported,
                                          bool required) {
  RendererSandboxCheck check;
  ipc::debug::RendererSandbox& state = check.state;
  state.set_required(required);
  state.set_pid(pid);
  state.set_landlock_abi(reported.landlock_abi());
  state.set_landlock(reported.landlock());
  state.set_address_space_limit_bytes(reported.address_space_limit_bytes());
  state.set_descriptor_limit(reported.descriptor_limit());
  for (int i = 0; i < reported.notes_size() && i < kMaxNotes; ++i)
    state.add_notes(reported.notes(i).substr(0, kMaxNoteBytes));

  absl::StatusOr<sandbox::ProcessSandboxState> observed =
      sandbox::InspectProcessSandbox(pid);
  absl::Status sandboxed;
  if (observed.ok()) {
    state.set_seccomp_mode(observed->main_thread.seccomp_mode);
    state.set_no_new_privs(observed->main_thread.no_new_privs);
    state.set_threads(observed->threads);
    state.set_threads_sandboxed(observed->threads_sandboxed);
    state.set_own_user_namespace(observed->own_user_namespace);
    state.set_own_net_namespace(observed->own_net_namespace);
    sandboxed = sandbox::CheckSeccompSandboxed(*observed);
  } else {
    sandboxed = absl::FailedPreconditionError(absl::StrCat(
        "cannot inspect process ", pid, ": ", observed.status().message()));
  }
  if (!required) {
    state.set_verdict("unchecked: --no-sandbox");
  } else if (sandboxed.ok()) {
    state.set_verdict("sandboxed");
  } else {
    state.set_verdict(absl::StrCat("not sandboxed: ", sandboxed.message()));
    check.status = absl::FailedPreconditionError(state.verdict());
  }
  return check;
}

std::string DescribeRendererSandbox(const ipc::debug::RendererSandbox& state) {
  std::vector<std::string> parts;
  parts.push_back(absl::StrCat("seccomp ", state.seccomp_mode(), " on ",
                               state.threads_sandboxed(), "/", state.threads(),
                               " threads"));
  parts.push_back(state.no_new_privs() ? "no-new-privs"
                                       : "privileges gainable");
  std::vector<std::string> namespaces;
  if (state.own_user_namespace())
    namespaces.push_back("user");
  if (state.own_net_namespace())
    namespaces.push_back("net");
  parts.push_back(namespaces.empty()
                      ? "the browser's namespaces"
                      : absl::StrCat("own ", absl::StrJoin(namespaces, "+"),
                                     " namespaces"));
  parts.push_back(
      state.landlock()
          ? absl::StrCat("Landlock ABI ", state.landlock_abi(), " (reported)")
          : "no Landlock (reported)");
  return absl::StrJoin(parts, ", ");
}

}  // namespace fetch_later::browser
