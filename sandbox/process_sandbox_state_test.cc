#include "sandbox/process_sandbox_state.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace fetch_later::sandbox {
namespace {

struct ParseCase {
  const char* name;
  const char* text;
  bool ok;
  int seccomp_mode;
  bool no_new_privs;
  int seccomp_filters;  // -1: absent
};

// Rows: proc(5) "/proc/pid/status" (Seccomp since Linux 3.8, NoNewPrivs since
// 4.10, Seccomp_filters since 5.9).
TEST(ParseProcStatusTest, Table) {
  const ParseCase cases[] = {
      {"Unsandboxed",
       "Name:\trenderer\nNoNewPrivs:\t0\nSeccomp:\t0\n"
       "Seccomp_filters:\t0\n",
       true, 0, false, 0},
      {"Filtered", "NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n", true,
       2, true, 1},
      {"StrictMode", "NoNewPrivs:\t0\nSeccomp:\t1\n", true, 1, false, -1},
      {"OlderKernelWithoutFilterCount", "Seccomp:\t2\nNoNewPrivs:\t1\n", true,
       2, true, -1},
      {"NoSeccompLine", "Name:\tx\nNoNewPrivs:\t1\n", false, 0, false, -1},
      {"NoNoNewPrivsLine", "Seccomp:\t2\n", false, 0, false, -1},
      {"NotANumber", "Seccomp:\tfilter\nNoNewPrivs:\t1\n", false, 0, false, -1},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ThreadSandboxFields> fields = ParseProcStatus(c.text);
    ASSERT_EQ(fields.ok(), c.ok) << fields.status();
    if (!c.ok)
      continue;
    EXPECT_EQ(fields->seccomp_mode, c.seccomp_mode);
    EXPECT_EQ(fields->no_new_privs, c.no_new_privs);
    EXPECT_EQ(fields->seccomp_filters.value_or(-1), c.seccomp_filters);
  }
}

TEST(InspectProcessSandboxTest, ThisTestIsNotSandboxed) {
  absl::StatusOr<ProcessSandboxState> state = InspectProcessSandbox(getpid());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->main_thread.seccomp_mode, 0);
  EXPECT_GE(state->threads, 1);
  EXPECT_FALSE(state->own_user_namespace);
  EXPECT_FALSE(state->own_net_namespace);
  absl::Status check = CheckSeccompSandboxed(*state);
  EXPECT_EQ(check.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(check.message(),
            "seccomp mode 0 on the main thread (2 is a filter)");
}

TEST(InspectProcessSandboxTest, AChildUnderAFilterIsSeenAsSandboxed) {
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A filter that allows everything: enough to be in mode 2.
    sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    sock_fprog program = {1, &allow};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      _exit(3);
    }
    char c = 'r';
    (void)!write(ready[1], &c, 1);
    (void)!read(release[0], &c, 1);
    _exit(0);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  absl::StatusOr<ProcessSandboxState> state = InspectProcessSandbox(child);
  (void)!write(release[1], &c, 1);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->pid, child);
  EXPECT_EQ(state->main_thread.seccomp_mode, 2);
  EXPECT_TRUE(state->main_thread.no_new_privs);
  EXPECT_EQ(state->threads, 1);
  EXPECT_EQ(state->threads_sandboxed, 1);
  EXPECT_TRUE(CheckSeccompSandboxed(*state).ok());
  for (int fd : {ready[0], ready[1], release[0], release[1]})
    close(fd);
}

TEST(InspectProcessSandboxTest, AGoneProcessIsAnError) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0)
    _exit(0);
  waitpid(child, nullptr, 0);
  absl::StatusOr<ProcessSandboxState> state = InspectProcessSandbox(child);
  EXPECT_EQ(state.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace fetch_later::sandbox
