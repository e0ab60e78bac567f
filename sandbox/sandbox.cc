#include "sandbox/sandbox.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sandbox/landlock.h"
#include "sandbox/seccomp_policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_BUILT_WITH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_BUILT_WITH_ASAN 1
#endif
#endif
#if defined(SANDBOX_BUILT_WITH_ASAN) && !defined(SANDBOX_SANITIZER_POLICY)
#error \
    "AddressSanitizer builds need --define=sandbox_policy=sanitizer (see sandbox/sandbox.h)"
#endif

namespace fetch_later::sandbox {
namespace {

// The process's mapped address space now (VmSize in /proc/self/status).
uint64_t MappedBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmSize:", 0) == 0)
      return std::stoull(line.substr(strlen("VmSize:"))) * 1024;  // kB
  }
  return 0;
}

// Lowers both the soft and the hard limit (never raises one).
absl::Status Lower(int resource, const char* name, uint64_t limit) {
  rlimit current = {};
  if (getrlimit(resource, &current) != 0) {
    return absl::InternalError(
        absl::StrCat("limits: getrlimit(", name, "): ", strerror(errno)));
  }
  const rlim_t value = std::min<rlim_t>(limit, current.rlim_max);
  const rlimit lowered = {value, value};
  if (setrlimit(resource, &lowered) != 0) {
    return absl::InternalError(absl::StrCat("limits: setrlimit(", name, ", ",
                                            value, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status SetResourceLimits(SandboxReport* report) {
  if (absl::Status s = Lower(RLIMIT_NOFILE, "RLIMIT_NOFILE", kDescriptorLimit);
      !s.ok()) {
    return s;
  }
  report->descriptor_limit = kDescriptorLimit;
  if (IsSanitizerPolicyBuild()) {
    report->notes.push_back(
        "no address-space limit: sanitizer build (its shadow memory is "
        "terabytes of address space)");
    return absl::OkStatus();
  }
  const uint64_t limit = MappedBytes() + kAddressSpaceHeadroomBytes;
  if (absl::Status s = Lower(RLIMIT_AS, "RLIMIT_AS", limit); !s.ok())
    return s;
  report->address_space_limit_bytes = limit;
  return absl::OkStatus();
}

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30))
    return absl::StrCat(bytes >> 30, " GiB");
  return absl::StrCat(bytes >> 20, " MiB");
}

}  // namespace

bool IsSanitizerPolicyBuild() {
#if defined(SANDBOX_SANITIZER_POLICY)
  return true;
#else
  return false;
#endif
}

bool IsThreadSanitizerPolicyBuild() {
#if defined(SANDBOX_THREAD_SANITIZER_POLICY)
  return true;
#else
  return false;
#endif
}

std::string SandboxReport::Summary() const {
  std::vector<std::string> parts;
  std::vector<std::string> namespaces;
  if (user_namespace)
    namespaces.push_back("user");
  if (net_namespace)
    namespaces.push_back("net");
  if (ipc_namespace)
    namespaces.push_back("ipc");
  parts.push_back(
      namespaces.empty()
          ? "no namespaces"
          : absl::StrCat(absl::StrJoin(namespaces, "+"), " namespaces"));
  if (landlock) {
    parts.push_back(absl::StrCat("Landlock ABI ", landlock_abi, " (",
                                 landlock_threads, " threads)"));
  } else {
    parts.push_back("no Landlock");
  }
  if (no_new_privs)
    parts.push_back("no-new-privs");
  parts.push_back(seccomp ? "seccomp-bpf" : "no seccomp");
  std::string limits = "limits";
  if (address_space_limit_bytes != 0)
    absl::StrAppend(&limits, " AS ", Bytes(address_space_limit_bytes));
  if (descriptor_limit != 0)
    absl::StrAppend(&limits, " NOFILE ", descriptor_limit);
  if (limits != "limits")
    parts.push_back(limits);
  return absl::StrJoin(parts, ", ");
}

absl::Status Seal(const SealOptions& options, SandboxReport* report) {
  if (options.resource_limits) {
    if (absl::Status s = SetResourceLimits(report); !s.ok())
      return s;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat(
        "no-new-privs: prctl(PR_SET_NO_NEW_PRIVS): ", strerror(errno)));
  }
  report->no_new_privs = true;
  if (options.landlock && IsThreadSanitizerPolicyBuild()) {
    report->notes.push_back(
        "no Landlock: ThreadSanitizer build (it holds back the signal each "
        "thread restricts itself on; seccomp still refuses every file)");
  } else if (options.landlock) {
    report->landlock_abi = LandlockAbi();
    if (report->landlock_abi == 0) {
      report->notes.push_back(
          "no Landlock: the kernel has none (seccomp still refuses every "
          "file)");
    } else {
      absl::StatusOr<int> threads =
          RestrictEveryThreadWithLandlock(report->landlock_abi);
      if (!threads.ok())
        return threads.status();
      report->landlock = true;
      report->landlock_threads = *threads;
    }
  }
  if (options.seccomp) {
    if (absl::Status s = InstallRendererSeccompPolicy(); !s.ok())
      return s;
    report->seccomp = true;
  }
  return absl::OkStatus();
}

}  // namespace fetch_later::sandbox
