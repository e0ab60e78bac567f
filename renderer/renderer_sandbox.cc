#include "renderer/renderer_sandbox.h"

#include <memory>
#include <utility>

#include "net/url.h"

namespace fetch_later::renderer {
namespace {

// A window for the warm-up realm: no document behind it, so fetchLater() and
// fetch() throw, as in a document that is not fully active.
class WarmUpDelegate : public ScriptDelegate {
 public:
  JsResult<FetchLaterResult> FetchLater(
      const RequestInfo&,
      const DeferredRequestInit&,
      const std::optional<RetryOptionsInit>&) override {
    return MakeTypeError("fetchLater: the warm-up realm has no document");
  }
  JsStatus Fetch(const RequestInfo&,
                 const RequestInit&,
                 const std::optional<RetryOptionsInit>&) override {
    return MakeTypeError("fetch: the warm-up realm has no document");
  }
  ClientContext Client() override {
    ClientContext client = ClientContext::ForDocument(
        *net::Url::Parse("https://warm-up.invalid/"));
    client.fully_active = false;
    return client;
  }
  std::vector<std::string> AllowedFeatures() override { return {}; }
};

// Reaches the baseline and optimising JITs (a hot loop), the
// regular-expression JIT, the collector (allocation) and the bindings a page
// uses first (Request, Headers, AbortController, timers, console).
constexpr char kWarmUpScript[] = R"JS(
  let sum = 0;
  for (let i = 0; i < 20000; i++) sum = (sum + i * 7) % 1000003;
  const objects = [];
  for (let i = 0; i < 2000; i++) objects.push({i, s: 'x' + i});
  /a+b[c-e]{2}/.test('aaabcd');
  new Request('https://warm-up.invalid/x', {method: 'POST', body: 'x'});
  new Headers({'content-type': 'text/plain'});
  new AbortController().abort();
  setTimeout(() => {}, 1);
  JSON.stringify(objects.slice(0, 3));
)JS";

}  // namespace

void WarmUpScriptEngine(const ScriptEngineOptions& script_options) {
  WarmUpDelegate delegate;
  ScriptEngine engine(script_options);
  auto realm = std::make_unique<DocumentScript>(&engine, &delegate,
                                                DocumentScriptOptions{});
  realm->RunClassicScript(kWarmUpScript, "sandbox-warm-up.js");
  realm.reset();  // realms before the engine that owns their heap
}

RendererSandbox::RendererSandbox(bool enabled, sandbox::SealOptions layers)
    : enabled_(enabled), layers_(layers) {
  if (enabled_)
    sandbox::EnterNamespaces(&report_);
}

absl::Status RendererSandbox::Seal(const ScriptEngineOptions& script_options) {
  WarmUpScriptEngine(script_options);
  if (!enabled_)
    return absl::OkStatus();
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
