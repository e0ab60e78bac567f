// ScriptEngine (a JSC context group with its watchdog) and DocumentScript
// (a document's realm and its tasks).
#include "renderer/script/document_script.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "renderer/script/engine.h"
#include "renderer/script/fetch_bindings.h"
#include "renderer/script/js_api.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"

namespace fetch_later::renderer {
namespace {

// The watchdog fired: terminate (the exception cannot be caught by script)
// and remember it for the task's report.
bool ShouldTerminate(JSContextRef /*ctx*/, void* context) {
  static_cast<ScriptEngine::Impl*>(context)->terminated = true;
  return true;
}

}  // namespace

ScriptEngine::ScriptEngine(ScriptEngineOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->group = JSContextGroupCreate();
  impl_->time_limit = options.time_limit;
  if (options.time_limit > absl::ZeroDuration() &&
      options.time_limit != absl::InfiniteDuration()) {
    JSContextGroupSetExecutionTimeLimit(
        impl_->group, absl::ToDoubleSeconds(options.time_limit),
        ShouldTerminate, impl_.get());
  }
}

ScriptEngine::~ScriptEngine() {
  JSContextGroupRelease(impl_->group);
}

void ScriptEngine::WarmUp() {
  JSGlobalContextRef context =
      JSGlobalContextCreateInGroup(impl_->group, /*globalObjectClass=*/nullptr);
  JSStringRef source = JSStringCreateWithUTF8CString("0");
  JSEvaluateScript(context, source, /*thisObject=*/nullptr,
                   /*sourceURL=*/nullptr, /*startingLineNumber=*/1,
                   /*exception=*/nullptr);
  JSStringRelease(source);
  JSGlobalContextRelease(context);
}

struct DocumentScript::Impl {
  std::unique_ptr<script::Realm> realm;
  // Set when the bindings failed to install (a bug); reported by each task.
  std::string init_error;

  // Runs `body` as one task: its errors, console lines and the microtask
  // checkpoint (JSC drains microtasks when the outermost call returns).
  template <typename Body>
  ScriptRunResult RunTask(absl::string_view source_url, Body body) {
    ScriptRunResult result;
    if (!init_error.empty()) {
      ScriptError error;
      error.name = "Error";
      error.message = init_error;
      result.errors.push_back(std::move(error));
      return result;
    }
    realm->BeginTask(&result, source_url);
    JSValueRef exception = nullptr;
    body(&exception);
    if (exception)
      realm->ReportException(exception);
    realm->EndTask();
    return result;
  }
};

DocumentScript::DocumentScript(ScriptEngine* engine,
                               ScriptDelegate* delegate,
                               DocumentScriptOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->realm =
      std::make_unique<script::Realm>(engine->impl(), delegate, options);
  if (!impl_->realm->Initialize(&impl_->init_error) &&
      impl_->init_error.empty()) {
    impl_->init_error = "script bindings failed to initialize";
  }
}

DocumentScript::~DocumentScript() = default;

ScriptRunResult DocumentScript::RunClassicScript(absl::string_view source,
                                                 absl::string_view source_url) {
  script::Realm* realm = impl_->realm.get();
  return impl_->RunTask(source_url, [&](JSValueRef* exception) {
    // HTML: "run a classic script".
    script::JsString code(source);
    script::JsString url(source_url);
    JSEvaluateScript(realm->ctx(), code.get(), nullptr, url.get(), 1,
                     exception);
  });
}

ScriptRunResult DocumentScript::FirePageTransitionEvent(absl::string_view type,
                                                        bool persisted) {
  script::Realm* realm = impl_->realm.get();
  return impl_->RunTask("", [&](JSValueRef* exception) {
    realm->CallHook("firePageTransition",
                    {script::MakeString(realm->ctx(), type),
                     JSValueMakeBoolean(realm->ctx(), persisted)},
                    exception);
  });
}

ScriptRunResult DocumentScript::UpdateVisibilityState(bool hidden) {
  script::Realm* realm = impl_->realm.get();
  return impl_->RunTask("", [&](JSValueRef* exception) {
    // HTML: "update the visibility state": nothing if unchanged.
    if (realm->hidden() == hidden)
      return;
    realm->set_hidden(hidden);
    realm->CallHook("fireVisibilityChange", {}, exception);
  });
}

ScriptRunResult DocumentScript::FireSecurityPolicyViolation(
    const SecurityPolicyViolationEventInit& init) {
  script::Realm* realm = impl_->realm.get();
  return impl_->RunTask("", [&](JSValueRef* exception) {
    JSContextRef ctx = realm->ctx();
    JSObjectRef dict = JSObjectMake(ctx, nullptr, nullptr);
    const std::pair<const char*, const std::string*> kStrings[] = {
        {"documentURI", &init.document_uri},
        {"referrer", &init.referrer},
        {"blockedURI", &init.blocked_uri},
        {"violatedDirective", &init.violated_directive},
        {"effectiveDirective", &init.effective_directive},
        {"originalPolicy", &init.original_policy},
        {"sourceFile", &init.source_file},
        {"sample", &init.sample},
        {"disposition", &init.disposition},
    };
    for (const auto& [name, value] : kStrings)
      script::SetProperty(ctx, dict, name, script::MakeString(ctx, *value));
    script::SetProperty(ctx, dict, "statusCode",
                        JSValueMakeNumber(ctx, init.status_code));
    script::SetProperty(ctx, dict, "lineNumber",
                        JSValueMakeNumber(ctx, init.line_number));
    script::SetProperty(ctx, dict, "columnNumber",
                        JSValueMakeNumber(ctx, init.column_number));
    realm->CallHook("fireSecurityPolicyViolation", {dict}, exception);
  });
}

ScriptRunResult DocumentScript::CompleteFetch(uint64_t fetch_id,
                                              JsResult<Response> result) {
  script::Realm* realm = impl_->realm.get();
  return impl_->RunTask("", [&](JSValueRef* exception) {
    script::SettleFetch(*realm, fetch_id, std::move(result), exception);
  });
}

ScriptRunResult DocumentScript::AdvanceTime(double now_ms) {
  ScriptRunResult result;
  script::Realm* realm = impl_->realm.get();
  if (!impl_->init_error.empty())
    return impl_->RunTask("", [](JSValueRef*) {});
  realm->timers().AdvanceTo(now_ms, [&](script::TimerList::Callback& callback) {
    // HTML: each timer is its own task with its microtask checkpoint.
    realm->BeginTask(&result, "");
    callback.Run();
    realm->EndTask();
  });
  result.next_timer_ms = realm->timers().NextDue();
  return result;
}

std::optional<double> DocumentScript::NextTimerDue() const {
  return impl_->realm->timers().NextDue();
}

}  // namespace fetch_later::renderer
