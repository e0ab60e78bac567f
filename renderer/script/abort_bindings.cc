#include "renderer/script/abort_bindings.h"

#include <utility>
#include <vector>

#include "renderer/script/bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

class AbortControllerWrappable : public ScriptWrappable {
 public:
  AbortController controller;
};

// The C++ reason standing for the JS `reason` argument of abort(): a missing
// reason is a new "AbortError" DOMException (DOM: "signal abort" step 2),
// made here so every dependent signal reports the same object.
JsError ReasonFromArgument(Call& call, size_t index) {
  JSValueRef reason = call.arg(index);
  if (call.missing(index)) {
    reason = call.realm->MakeDOMException("signal is aborted without reason",
                                          "AbortError");
  }
  return call.realm->AbortErrorForReason(reason);
}

JSValueRef ControllerConstructor(Call& call) {
  auto controller = std::make_unique<AbortControllerWrappable>();
  std::shared_ptr<AbortSignal> signal = controller->controller.signal();
  JSObjectRef wrapper = call.realm->WrapForNewTarget(
      call, std::move(controller), "AbortController");
  // [SameObject] signal; the controller keeps its signal's wrapper alive.
  SetHidden(call.ctx, wrapper, "signal", WrapAbortSignal(*call.realm, signal));
  return wrapper;
}

JSValueRef ControllerSignal(Call& call) {
  if (!call.This<AbortControllerWrappable>())
    return nullptr;
  return GetHidden(call.ctx, call.self, "signal");
}

// DOM: AbortController abort(reason).
JSValueRef ControllerAbort(Call& call) {
  auto* controller = call.This<AbortControllerWrappable>();
  if (!controller)
    return nullptr;
  if (controller->controller.signal()->aborted())
    return nullptr;
  controller->controller.Abort(ReasonFromArgument(call, 0));
  return nullptr;
}

JSValueRef SignalAborted(Call& call) {
  auto* signal = call.This<AbortSignalWrappable>();
  if (!signal)
    return nullptr;
  return JSValueMakeBoolean(call.ctx, signal->signal->aborted());
}

JSValueRef ReasonValue(Call& call, AbortSignalWrappable* signal) {
  if (!signal->signal->aborted())
    return JSValueMakeUndefined(call.ctx);
  // Keep the value so that signal.reason === signal.reason.
  JSValueRef cached = GetHidden(call.ctx, call.self, "reason");
  if (cached && !JSValueIsUndefined(call.ctx, cached))
    return cached;
  JSValueRef reason = call.realm->ToJs(*signal->signal->reason());
  SetHidden(call.ctx, call.self, "reason", reason);
  return reason;
}

JSValueRef SignalReason(Call& call) {
  auto* signal = call.This<AbortSignalWrappable>();
  if (!signal)
    return nullptr;
  return ReasonValue(call, signal);
}

// DOM: throwIfAborted(): "throw this's abort reason".
JSValueRef SignalThrowIfAborted(Call& call) {
  auto* signal = call.This<AbortSignalWrappable>();
  if (!signal)
    return nullptr;
  if (signal->signal->aborted())
    return call.Throw(ReasonValue(call, signal));
  return nullptr;
}

// DOM: static AbortSignal.abort(reason).
JSValueRef SignalAbortStatic(Call& call) {
  std::shared_ptr<AbortSignal> signal = AbortSignal::Create();
  signal->Abort(ReasonFromArgument(call, 0));
  return WrapAbortSignal(*call.realm, signal);
}

// DOM: static AbortSignal.timeout(milliseconds) on the page clock.
class TimeoutCallback : public TimerList::Callback {
 public:
  TimeoutCallback(Realm* realm, std::shared_ptr<AbortSignal> signal)
      : realm_(realm), signal_(std::move(signal)) {}
  void Run() override {
    JSValueRef reason =
        realm_->MakeDOMException("signal timed out", "TimeoutError");
    signal_->Abort(realm_->AbortErrorForReason(reason));
  }

 private:
  Realm* realm_;
  std::shared_ptr<AbortSignal> signal_;
};

JSValueRef SignalTimeoutStatic(Call& call) {
  if (!call.RequireArgs(1, "AbortSignal.timeout"))
    return nullptr;
  double ms;
  // [EnforceRange] unsigned long long milliseconds.
  if (!ToEnforceRangeInteger(call, call.arg(0), 0, 9007199254740991.0,
                             "milliseconds", &ms)) {
    return nullptr;
  }
  std::shared_ptr<AbortSignal> signal = AbortSignal::Create();
  call.realm->timers().Add(
      std::make_shared<TimeoutCallback>(call.realm, signal), ms,
      /*repeat=*/false, /*internal=*/true);
  return WrapAbortSignal(*call.realm, signal);
}

// DOM: static AbortSignal.any(signals).
JSValueRef SignalAnyStatic(Call& call) {
  if (!call.RequireArgs(1, "AbortSignal.any"))
    return nullptr;
  RootedValues items(call.ctx);
  if (!ToSequence(call, call.arg(0), "sequence<AbortSignal>", &items)) {
    return nullptr;
  }
  std::vector<std::shared_ptr<AbortSignal>> signals;
  for (JSValueRef item : items) {
    std::shared_ptr<AbortSignal> s = UnwrapAbortSignal(call.ctx, item);
    if (!s) {
      return call.ThrowTypeError(
          "Failed to execute 'any' on 'AbortSignal': Failed to convert value "
          "to 'AbortSignal'.");
    }
    signals.push_back(std::move(s));
  }
  return WrapAbortSignal(*call.realm, AbortSignal::CreateDependent(signals));
}

}  // namespace

JSObjectRef WrapAbortSignal(Realm& realm,
                            const std::shared_ptr<AbortSignal>& signal) {
  bool hooked = false;
  if (JSObjectRef wrapper = realm.CachedWrapper(signal.get(), &hooked)) {
    return wrapper;
  }
  JSObjectRef wrapper =
      realm.Wrap(std::make_unique<AbortSignalWrappable>(signal), "AbortSignal");
  if (!hooked && !signal->aborted()) {
    // DOM: "signal abort" fires "abort" at the signal. The algorithm outlives
    // neither the realm (weak token) nor holds the signal (no cycle).
    std::weak_ptr<Realm*> weak_realm = realm.weak_self();
    const AbortSignal* key = signal.get();
    signal->AddAlgorithm([weak_realm, key] {
      std::shared_ptr<Realm*> alive = weak_realm.lock();
      if (!alive)
        return;
      Realm* realm = *alive;
      JSObjectRef target = realm->CachedWrapper(key);
      if (!target)
        return;
      JSValueRef exception = nullptr;
      realm->CallHook("fireAbort", {target}, &exception);
      if (exception)
        realm->ReportException(exception);
    });
    hooked = true;
  }
  realm.CacheWrapper(signal.get(), signal, wrapper, hooked);
  return wrapper;
}

std::shared_ptr<AbortSignal> UnwrapAbortSignal(JSContextRef ctx,
                                               JSValueRef value) {
  auto* signal = Unwrap<AbortSignalWrappable>(ctx, value);
  return signal ? signal->signal : nullptr;
}

void InstallAbortBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "AbortSignal",
      .parent = "EventTarget",
      .methods = {{"throwIfAborted", Native<SignalThrowIfAborted>, 0}},
      .attributes = {{"aborted", Native<SignalAborted>},
                     {"reason", Native<SignalReason>}},
      .statics = {{"abort", Native<SignalAbortStatic>, 0},
                  {"timeout", Native<SignalTimeoutStatic>, 1},
                  {"any", Native<SignalAnyStatic>, 1}},
  });
  realm.DefineInterface({
      .name = "AbortController",
      .constructor = Native<ControllerConstructor>,
      .methods = {{"abort", Native<ControllerAbort>, 0}},
      .attributes = {{"signal", Native<ControllerSignal>}},
  });
}

}  // namespace fetch_later::renderer::script
