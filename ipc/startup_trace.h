// The start-up trace: with --trace_startup, the browser's and each renderer's
// main print one line to stderr as each start-up phase ends,
//
//   startup-trace <process> <phase> <microseconds on CLOCK_MONOTONIC>
//
// e.g. "startup-trace browser network_stage_created 81234567890". Every
// process of the machine reads the same CLOCK_MONOTONIC (the renderer's
// namespaces do not include a time namespace), so tools/startup_bench can lay
// the lines of the browser and its renderers on one time line, from the
// browser's spawn to the first accepted fetchLater(). Off by default: Mark()
// then costs one relaxed atomic load.
//
// Process-wide state: Enable() once on the main thread before any other thread
// starts; Mark() from any thread.
#ifndef IPC_STARTUP_TRACE_H_
#define IPC_STARTUP_TRACE_H_

#include <time.h>

#include <atomic>
#include <cstdio>

namespace fetch_later::ipc::startup_trace {

inline std::atomic<const char*>& ProcessName() {
  static std::atomic<const char*> name{nullptr};
  return name;
}

// Turns the trace on for this process, naming it `process` in every line
// ("browser", "renderer"); `process` must outlive every Mark().
inline void Enable(const char* process) {
  ProcessName().store(process, std::memory_order_relaxed);
}

inline bool Enabled() {
  return ProcessName().load(std::memory_order_relaxed) != nullptr;
}

// One line for `phase` (a word: no spaces), when enabled.
inline void Mark(const char* phase) {
  const char* process = ProcessName().load(std::memory_order_relaxed);
  if (process == nullptr)
    return;
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  std::fprintf(
      stderr, "startup-trace %s %s %lld\n", process, phase,
      static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
}

}  // namespace fetch_later::ipc::startup_trace

#endif  // IPC_STARTUP_TRACE_H_
