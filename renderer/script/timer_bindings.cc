// HTML: setTimeout/setInterval/clearTimeout/clearInterval on the page clock
// (the TimerList; DocumentScript::AdvanceTime runs due timers as tasks).
#include <memory>
#include <string>
#include <vector>

#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

// A TimerHandler: a function with its arguments, or a string of code. Holds
// its JS values as GC roots until the timer is cleared or done.
class ScriptTimer : public TimerList::Callback {
 public:
  ScriptTimer(Realm* realm,
              JSObjectRef function,
              std::string code,
              std::vector<JSValueRef> args)
      : realm_(realm),
        function_(function),
        code_(std::move(code)),
        args_(std::move(args)) {
    if (function_)
      JSValueProtect(realm_->ctx(), function_);
    for (JSValueRef arg : args_)
      JSValueProtect(realm_->ctx(), arg);
  }
  ~ScriptTimer() override {
    if (function_)
      JSValueUnprotect(realm_->ctx(), function_);
    for (JSValueRef arg : args_)
      JSValueUnprotect(realm_->ctx(), arg);
  }

  // HTML: "timer task": invoke the callback (this = the global) or run the
  // string as a classic script; exceptions are reported.
  void Run() override {
    if (function_) {
      realm_->InvokeCallback(function_, realm_->global(), args_);
      return;
    }
    JsString source(code_);
    JSValueRef exception = nullptr;
    JSEvaluateScript(realm_->ctx(), source.get(), nullptr, nullptr, 1,
                     &exception);
    if (exception)
      realm_->ReportException(exception);
  }

 private:
  Realm* realm_;
  JSObjectRef function_;
  std::string code_;
  std::vector<JSValueRef> args_;
};

JSValueRef AddTimer(Call& call, bool repeat) {
  if (!call.RequireArgs(1, repeat ? "setInterval" : "setTimeout")) {
    return nullptr;
  }
  // TimerHandler = (Function or DOMString).
  JSObjectRef function = nullptr;
  std::string code;
  if (IsCallable(call.ctx, call.arg(0))) {
    function = AsObject(call.ctx, call.arg(0));
  } else if (!ToDOMString(call, call.arg(0), &code)) {
    return nullptr;
  }
  // optional long timeout = 0.
  int32_t timeout = 0;
  if (!call.missing(1) && !ToLong(call, call.arg(1), &timeout))
    return nullptr;
  std::vector<JSValueRef> args;
  for (size_t i = 2; i < call.argc; ++i)
    args.push_back(call.argv[i]);
  int id = call.realm->timers().Add(
      std::make_shared<ScriptTimer>(call.realm, function, std::move(code),
                                    std::move(args)),
      timeout, repeat);
  return JSValueMakeNumber(call.ctx, id);
}

JSValueRef SetTimeout(Call& call) {
  return AddTimer(call, false);
}
JSValueRef SetInterval(Call& call) {
  return AddTimer(call, true);
}

// HTML: clearTimeout(optional long id = 0) / clearInterval.
JSValueRef ClearTimer(Call& call) {
  int32_t id = 0;
  if (!call.missing(0) && !ToLong(call, call.arg(0), &id))
    return nullptr;
  if (id > 0)
    call.realm->timers().Clear(id);
  return nullptr;
}

}  // namespace

void InstallTimerBindings(Realm& realm) {
  realm.InstallFunction("setTimeout", Native<SetTimeout>, 1);
  realm.InstallFunction("setInterval", Native<SetInterval>, 1);
  realm.InstallFunction("clearTimeout", Native<ClearTimer>, 0);
  realm.InstallFunction("clearInterval", Native<ClearTimer>, 0);
}

}  // namespace fetch_later::renderer::script
