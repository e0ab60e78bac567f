// RendererSandbox: a renderer process's sandbox (sandbox/sandbox.h), entered in
// the order its layers require, before the renderer parses anything a page
// controls. renderer_main.cc and the sandbox self-test (tests/sandbox_test.cc)
// run this same code.
//
//   int main() {
//     RendererSandbox sandbox(/*enabled=*/!no_sandbox);  // first: namespaces
//     if (absl::Status s = sandbox.Seal(script_options); !s.ok()) exit(...);
//     RendererConnection::Connect(
//         RendererConnection::ChannelFromFd(channel_fd), token,
//         script_options, sandbox.report(), sandbox.TakeScriptEngine());
//
// The constructor enters new namespaces: the kernel grants a new user namespace
// only to a single-threaded process, so it must run before anything starts a
// thread (JavaScriptCore does, and gRPC when its first channel is made).
// Seal() warms up what would otherwise be opened lazily once sealed: it creates
// the process's JavaScript engine and one bare global object in it
// (JavaScriptCore reads /dev/urandom, /sys/devices/system/cpu/online,
// /proc/self/maps and /proc/self/statm on first use, and starts its helper
// threads), then seals (limits, no-new-privs, Landlock, seccomp-bpf, on every
// thread). The warmed engine is the one the pages then use
// (TakeScriptEngine()), so the sandbox adds no second engine to a renderer's
// start-up. The renderer makes its gRPC channel after Seal(): gRPC's threads,
// epoll set and wakeup descriptors are made inside the sandbox, with calls the
// policy allows. Whatever starts a thread after the seal (gRPC, the JIT
// compiler's and the collector's helpers) starts it sealed.
//
// Owned by the renderer's main for the life of the process; main thread only.
#ifndef RENDERER_RENDERER_SANDBOX_H_
#define RENDERER_RENDERER_SANDBOX_H_

#include <memory>

#include "absl/status/status.h"
#include "ipc/renderer_host.pb.h"
#include "renderer/script/document_script.h"
#include "sandbox/sandbox.h"

namespace fetch_later::renderer {

// What a renderer prints and exits with when it cannot enter its sandbox (the
// browser logs a renderer that exits so).
inline constexpr int kSandboxFailureExitCode = 3;

class RendererSandbox {
 public:
  // `enabled` false (--no-sandbox): nothing is entered, and report() says so.
  // `layers` leaves out a layer only in tests that isolate one.
  explicit RendererSandbox(bool enabled, sandbox::SealOptions layers = {});
  RendererSandbox(const RendererSandbox&) = delete;  // Not copyable.
  RendererSandbox& operator=(const RendererSandbox&) = delete;

  // Warms up with `script_options` (those the page realms will use) and
  // seals; nothing when not enabled. Call once, before any page input is read.
  // An error names the layer that could not be entered.
  absl::Status Seal(const ScriptEngineOptions& script_options);

  // The engine warmed up by Seal(), for the page realms (null when not
  // enabled: the pages then create theirs on first use).
  std::unique_ptr<ScriptEngine> TakeScriptEngine() {
    return std::move(engine_);
  }

  bool enabled() const { return enabled_; }
  // For the browser (ipc WatchEventsRequest) and the logs.
  ipc::SandboxReport report() const;
  const sandbox::SandboxReport& layers_entered() const { return report_; }

 private:
  const bool enabled_;
  const sandbox::SealOptions layers_;
  sandbox::SandboxReport report_;
  std::unique_ptr<ScriptEngine> engine_;
};

// Creates a JavaScript engine with `script_options` and warms it up
// (ScriptEngine::WarmUp()).
std::unique_ptr<ScriptEngine> WarmUpScriptEngine(
    const ScriptEngineOptions& script_options);

}  // namespace fetch_later::renderer

#endif  // RENDERER_RENDERER_SANDBOX_H_
