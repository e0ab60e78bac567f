#include "renderer/renderer_sandbox.h"

#include <memory>
#include <utility>

#include "ipc/startup_trace.h"

namespace fetch_later::renderer {

std::unique_ptr<ScriptEngine> WarmUpScriptEngine(
    const ScriptEngineOptions& script_options) {
  auto engine = std::make_unique<ScriptEngine>(script_options);
  engine->WarmUp();
  return engine;
}

RendererSandbox::RendererSandbox(bool enabled, sandbox::SealOptions layers)
    : enabled_(enabled), layers_(layers) {
  if (enabled_)
    sandbox::EnterNamespaces(&report_);
}

absl::Status RendererSandbox::Seal(const ScriptEngineOptions& script_options) {
  if (!enabled_)
    return absl::OkStatus();  // nothing to warm up for
  engine_ = WarmUpScriptEngine(script_options);
  ipc::startup_trace::Mark("script_engine_warmed");
  return sandbox::Seal(layers_, &report_);
}

ipc::SandboxReport RendererSandbox::report() const {
  ipc::SandboxReport report;
  report.set_disabled(!enabled_);
  report.set_user_namespace(report_.user_namespace);
  report.set_net_namespace(report_.net_namespace);
  report.set_ipc_namespace(report_.ipc_namespace);
  report.set_landlock_abi(report_.landlock_abi);
  report.set_landlock(report_.landlock);
  report.set_landlock_threads(report_.landlock_threads);
  report.set_no_new_privs(report_.no_new_privs);
  report.set_seccomp(report_.seccomp);
  report.set_address_space_limit_bytes(report_.address_space_limit_bytes);
  report.set_descriptor_limit(report_.descriptor_limit);
  for (const std::string& note : report_.notes)
    report.add_notes(note);
  return report;
}

}  // namespace fetch_later::renderer
