#include "renderer/script/realm.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "renderer/script/bindings.h"
#include "renderer/script/errors.h"
#include "renderer/script/js_util.h"
#include "renderer/script/prelude_js.h"

namespace fetch_later::renderer::script {
namespace {

// The stand-in message of a C++ abort reason for a JS value (the id follows).
constexpr absl::string_view kReasonPrefix = "aborted with a script reason [#";

// Global contexts -> Realm (JSC hands callbacks the context only).
struct RealmMap {
  absl::Mutex mu;
  absl::flat_hash_map<JSGlobalContextRef, Realm*> map;
};
RealmMap& Realms() {
  static RealmMap* realms = new RealmMap;
  return *realms;
}

void FinalizeWrapper(JSObjectRef object) {
  delete static_cast<ScriptWrappable*>(JSObjectGetPrivate(object));
}

JSValueRef OnUnhandledRejection(Call& call) {
  call.realm->ReportUnhandledRejection(call.arg(1));
  return nullptr;
}

}  // namespace

JSClassRef WrapperClass() {
  static JSClassRef wrapper_class = [] {
    JSClassDefinition definition = kJSClassDefinitionEmpty;
    definition.className = "PlatformObject";
    definition.attributes = kJSClassAttributeNoAutomaticPrototype;
    definition.finalize = FinalizeWrapper;
    return JSClassCreate(&definition);
  }();
  return wrapper_class;
}

// One JSClass per interface, inheriting WrapperClass(): JSC answers
// @@toStringTag of an API object with its class name ("[object Headers]").
JSClassRef InterfaceClass(absl::string_view interface_name) {
  static absl::Mutex mu(absl::kConstInit);
  // Process-lifetime: JSC keeps the class name pointer.
  static auto* classes = new absl::flat_hash_map<
      std::string, std::pair<std::unique_ptr<std::string>, JSClassRef>>;
  absl::MutexLock lock(&mu);
  auto it = classes->find(interface_name);
  if (it != classes->end())
    return it->second.second;
  auto name = std::make_unique<std::string>(interface_name);
  JSClassDefinition definition = kJSClassDefinitionEmpty;
  definition.className = name->c_str();
  definition.attributes = kJSClassAttributeNoAutomaticPrototype;
  definition.parentClass = WrapperClass();
  JSClassRef created = JSClassCreate(&definition);
  (*classes)[std::string(interface_name)] = {std::move(name), created};
  return created;
}

Realm* RealmFromContext(JSContextRef ctx) {
  RealmMap& realms = Realms();
  absl::MutexLock lock(&realms.mu);
  auto it = realms.map.find(JSContextGetGlobalContext(ctx));
  return it == realms.map.end() ? nullptr : it->second;
}

std::nullptr_t Call::Throw(const JsError& error) {
  *exception = realm->ToJs(error);
  return nullptr;
}

bool Call::RequireArgs(size_t n, absl::string_view operation) {
  if (argc >= n)
    return true;
  // WebIDL: overload resolution with too few arguments throws a TypeError.
  ThrowTypeError(absl::StrCat("Failed to execute '", operation, "': ", n,
                              n == 1 ? " argument" : " arguments",
                              " required, but only ", argc, " present."));
  return false;
}

Realm::Realm(ScriptEngine::Impl* engine,
             ScriptDelegate* delegate,
             const DocumentScriptOptions& options)
    : engine_(engine),
      delegate_(delegate),
      hidden_(options.hidden),
      timers_(options.now_ms),
      self_(std::make_shared<Realm*>(this)) {
  // The global object's class gives it an automatic prototype object, whose
  // own prototype can be set to Window.prototype (the global's own is
  // immutable).
  JSClassDefinition global = kJSClassDefinitionEmpty;
  global.className = "Window";
  JSClassRef global_class = JSClassCreate(&global);
  ctx_ = JSGlobalContextCreateInGroup(engine->group, global_class);
  JSClassRelease(global_class);
  RealmMap& realms = Realms();
  absl::MutexLock lock(&realms.mu);
  realms.map[ctx_] = this;
}

Realm::~Realm() {
  self_.reset();
  timers_.ClearAll();
  for (auto& [key, entry] : wrapper_cache_) {
    if (entry.wrapper)
      JSWeakRelease(engine_->group, entry.wrapper);
  }
  wrapper_cache_.clear();
  pending_fetches_.clear();
  for (JSValueRef value : protected_)
    JSValueUnprotect(ctx_, value);
  protected_.clear();
  {
    RealmMap& realms = Realms();
    absl::MutexLock lock(&realms.mu);
    realms.map.erase(ctx_);
  }
  JSGlobalContextRelease(ctx_);
}

void Realm::Protect(JSValueRef value) {
  JSValueProtect(ctx_, value);
  protected_.push_back(value);
}

void Realm::Unprotect(JSValueRef value) {
  for (auto it = protected_.begin(); it != protected_.end(); ++it) {
    if (*it == value) {
      JSValueUnprotect(ctx_, value);
      protected_.erase(it);
      return;
    }
  }
}

void Realm::AddPendingFetch(uint64_t id, PendingFetch fetch) {
  Protect(fetch.resolve);
  Protect(fetch.reject);
  pending_fetches_[id] = std::move(fetch);
}

std::optional<Realm::PendingFetch> Realm::TakePendingFetch(uint64_t id) {
  auto it = pending_fetches_.find(id);
  if (it == pending_fetches_.end())
    return std::nullopt;
  PendingFetch fetch = std::move(it->second);
  pending_fetches_.erase(it);
  return fetch;
}

bool Realm::Initialize(std::string* error) {
  secure_context_ = delegate_->Client().secure_context;
  JsString source(kPreludeSource);
  JsString url(kPreludeUrl);
  JSValueRef exception = nullptr;
  JSValueRef factory =
      JSEvaluateScript(ctx_, source.get(), nullptr, url.get(), 1, &exception);
  if (exception || !IsCallable(ctx_, factory)) {
    *error = "prelude: " + DebugString(ctx_, exception);
    return false;
  }
  JSObjectRef natives = JSObjectMake(ctx_, nullptr, nullptr);
  InstallWindowNatives(*this, natives);
  JSValueRef args[] = {natives};
  JSValueRef hooks = JSObjectCallAsFunction(ctx_, AsObject(ctx_, factory),
                                            nullptr, 1, args, &exception);
  if (exception || !AsObject(ctx_, hooks)) {
    *error = "prelude: " + DebugString(ctx_, exception);
    return false;
  }
  hooks_ = AsObject(ctx_, hooks);
  Protect(hooks_);
  error_ctor_ = Hook("Error");
  type_error_ctor_ = Hook("TypeError");
  range_error_ctor_ = Hook("RangeError");
  dom_exception_ctor_ = Hook("DOMException");
  quota_exceeded_error_ctor_ = Hook("QuotaExceededError");

  InstallAbortBindings(*this);
  InstallBlobBindings(*this);
  InstallFormDataBindings(*this);
  InstallUrlSearchParamsBindings(*this);
  InstallHeadersBindings(*this);
  InstallFetchBindings(*this);
  InstallUrlBindings(*this);
  InstallTimerBindings(*this);

  CallHook("install", {}, &exception);
  if (exception) {
    *error = "prelude install: " + DebugString(ctx_, exception);
    return false;
  }
  JSObjectRef on_rejection =
      MakeFunction(ctx_, "onUnhandledRejection", Native<OnUnhandledRejection>);
  JSGlobalContextSetUnhandledRejectionCallback(ctx_, on_rejection, &exception);
  return true;
}

JSObjectRef Realm::Hook(absl::string_view name) const {
  return AsObject(ctx_, GetProperty(ctx_, hooks_, name, nullptr));
}

JSValueRef Realm::HookValue(absl::string_view name) const {
  return GetProperty(ctx_, hooks_, name, nullptr);
}

JSValueRef Realm::CallHook(absl::string_view name,
                           const std::vector<JSValueRef>& args,
                           JSValueRef* exception) {
  JSObjectRef hook = Hook(name);
  if (!hook) {
    *exception = MakeString(ctx_, absl::StrCat("no hook ", name));
    return nullptr;
  }
  JSValueRef local = nullptr;
  JSValueRef result = JSObjectCallAsFunction(ctx_, hook, nullptr, args.size(),
                                             args.data(), &local);
  if (local) {
    *exception = local;
    return nullptr;
  }
  return result;
}

void Realm::DefineInterface(const InterfaceSpec& spec) {
  auto operations = [&](const std::vector<MethodSpec>& methods) {
    RootedValues list(ctx_);
    for (const MethodSpec& m : methods) {
      list.push_back(MakeArray(ctx_, {MakeString(ctx_, m.name),
                                      MakeFunction(ctx_, m.name, m.function),
                                      JSValueMakeNumber(ctx_, m.length)}));
    }
    return MakeArray(ctx_, list);
  };
  RootedValues attributes(ctx_);
  for (const AttributeSpec& a : spec.attributes) {
    attributes.push_back(MakeArray(
        ctx_, {MakeString(ctx_, a.name), MakeFunction(ctx_, a.name, a.getter),
               a.setter ? static_cast<JSValueRef>(
                              MakeFunction(ctx_, a.name, a.setter))
                        : JSValueMakeUndefined(ctx_)}));
  }
  auto fn_or_null = [&](JSObjectCallAsFunctionCallback f) -> JSValueRef {
    return f ? static_cast<JSValueRef>(MakeFunction(ctx_, spec.name, f))
             : JSValueMakeNull(ctx_);
  };
  JSValueRef exception = nullptr;
  JSValueRef proto = CallHook(
      "defineInterface",
      {MakeString(ctx_, spec.name),
       spec.parent ? MakeString(ctx_, spec.parent) : JSValueMakeNull(ctx_),
       fn_or_null(spec.constructor), JSValueMakeNumber(ctx_, spec.length),
       operations(spec.methods), MakeArray(ctx_, attributes),
       operations(spec.statics), fn_or_null(spec.pairs)},
      &exception);
  JSObjectRef proto_object = AsObject(ctx_, proto);
  if (!proto_object)
    return;
  Protect(proto_object);
  prototypes_[spec.name] = proto_object;
}

JSObjectRef Realm::Prototype(absl::string_view interface_name) const {
  auto it = prototypes_.find(interface_name);
  return it == prototypes_.end() ? nullptr : it->second;
}

JSObjectRef Realm::Wrap(std::unique_ptr<ScriptWrappable> object,
                        absl::string_view interface_name) {
  JSObjectRef wrapper =
      JSObjectMake(ctx_, InterfaceClass(interface_name), object.release());
  JSObjectRef proto = Prototype(interface_name);
  if (proto)
    JSObjectSetPrototype(ctx_, wrapper, proto);
  return wrapper;
}

JSObjectRef Realm::WrapForNewTarget(Call& call,
                                    std::unique_ptr<ScriptWrappable> object,
                                    absl::string_view interface_name) {
  JSObjectRef wrapper = Wrap(std::move(object), interface_name);
  // WebIDL: "get the prototype from a constructor" (subclassing).
  JSValueRef ignored = nullptr;
  JSObjectRef proto =
      call.self ? AsObject(call.ctx, GetProperty(call.ctx, call.self,
                                                 "prototype", &ignored))
                : nullptr;
  if (proto)
    JSObjectSetPrototype(ctx_, wrapper, proto);
  return wrapper;
}

void Realm::InstallFunction(absl::string_view name,
                            JSObjectCallAsFunctionCallback function,
                            int length) {
  JSValueRef exception = nullptr;
  CallHook("defineGlobalOperation",
           {MakeString(ctx_, name), MakeFunction(ctx_, name, function),
            JSValueMakeNumber(ctx_, length)},
           &exception);
}

JSValueRef Realm::MakeDOMException(absl::string_view message,
                                   absl::string_view name) {
  JSValueRef args[] = {MakeString(ctx_, message), MakeString(ctx_, name)};
  JSValueRef exception = nullptr;
  JSObjectRef e =
      JSObjectCallAsConstructor(ctx_, dom_exception_ctor_, 2, args, &exception);
  return exception ? exception : e;
}

JSValueRef Realm::ToJs(const JsError& error) {
  if (error.type == JsErrorType::kAbortError &&
      absl::StartsWith(error.message, kReasonPrefix)) {
    size_t id = 0;
    absl::string_view digits =
        absl::string_view(error.message).substr(kReasonPrefix.size());
    digits = digits.substr(0, digits.find(']'));
    if (absl::SimpleAtoi(digits, &id) && id < abort_reasons_.size()) {
      return abort_reasons_[id];
    }
  }
  JSValueRef exception = nullptr;
  JSValueRef message = MakeString(ctx_, error.message);
  JSObjectRef result = nullptr;
  switch (error.type) {
    case JsErrorType::kTypeError:
      result = JSObjectCallAsConstructor(ctx_, type_error_ctor_, 1, &message,
                                         &exception);
      break;
    case JsErrorType::kRangeError:
      result = JSObjectCallAsConstructor(ctx_, range_error_ctor_, 1, &message,
                                         &exception);
      break;
    case JsErrorType::kQuotaExceededError: {
      // WebIDL: QuotaExceededError(message, {quota, requested}).
      JSObjectRef options = JSObjectMake(ctx_, nullptr, nullptr);
      if (error.quota) {
        SetProperty(ctx_, options, "quota",
                    JSValueMakeNumber(ctx_, static_cast<double>(*error.quota)));
      }
      if (error.requested) {
        SetProperty(
            ctx_, options, "requested",
            JSValueMakeNumber(ctx_, static_cast<double>(*error.requested)));
      }
      JSValueRef args[] = {message, options};
      result = JSObjectCallAsConstructor(ctx_, quota_exceeded_error_ctor_, 2,
                                         args, &exception);
      break;
    }
    default:
      return MakeDOMException(error.message, error.name());
  }
  return exception ? exception : result;
}

JsError Realm::AbortErrorForReason(JSValueRef reason) {
  Protect(reason);
  abort_reasons_.push_back(reason);
  return MakeAbortError(
      absl::StrCat(kReasonPrefix, abort_reasons_.size() - 1, "]"));
}

JSObjectRef Realm::CachedWrapper(const void* key, bool* hooked) {
  auto it = wrapper_cache_.find(key);
  if (hooked)
    *hooked = false;
  if (it == wrapper_cache_.end())
    return nullptr;
  if (it->second.owner.expired()) {
    if (it->second.wrapper)
      JSWeakRelease(engine_->group, it->second.wrapper);
    wrapper_cache_.erase(it);
    return nullptr;
  }
  if (hooked)
    *hooked = it->second.hooked;
  return it->second.wrapper ? JSWeakGetObject(it->second.wrapper) : nullptr;
}

void Realm::CacheWrapper(const void* key,
                         std::weak_ptr<const void> owner,
                         JSObjectRef wrapper,
                         bool hooked) {
  // Drop entries whose C++ object is gone now and then.
  if (wrapper_cache_.size() >= 64 && wrapper_cache_.size() % 64 == 0) {
    for (auto it = wrapper_cache_.begin(); it != wrapper_cache_.end();) {
      if (it->second.owner.expired()) {
        if (it->second.wrapper) {
          JSWeakRelease(engine_->group, it->second.wrapper);
        }
        wrapper_cache_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  CacheEntry& entry = wrapper_cache_[key];
  if (entry.wrapper)
    JSWeakRelease(engine_->group, entry.wrapper);
  entry.owner = std::move(owner);
  entry.wrapper = JSWeakCreate(engine_->group, wrapper);
  entry.hooked = hooked;
}

void Realm::BeginTask(ScriptRunResult* result, absl::string_view source_url) {
  task_ = result;
  task_url_ = std::string(source_url);
  engine_->terminated = false;
}

void Realm::AddTerminationErrorIfNeeded(JSValueRef exception) {
  (void)exception;
  if (!engine_->terminated)
    return;
  engine_->terminated = false;
  ScriptError error;
  error.name = "TimeoutError";
  error.message = absl::StrCat("Script exceeded the time limit of ",
                               absl::FormatDuration(engine_->time_limit),
                               " and was terminated");
  error.source_url = task_url_;
  error.terminated = true;
  if (task_) {
    task_->errors.push_back(std::move(error));
  } else {
    pending_rejections_.push_back(std::move(error));
  }
}

void Realm::EndTask() {
  if (!task_)
    return;
  for (ScriptError& error : pending_rejections_) {
    task_->errors.push_back(std::move(error));
  }
  pending_rejections_.clear();
  AddTerminationErrorIfNeeded(nullptr);
  task_->next_timer_ms = timers_.NextDue();
  task_ = nullptr;
}

void Realm::ReportException(JSValueRef exception) {
  if (!exception)
    return;
  // The watchdog's termination is not a JS object and cannot be caught.
  if (engine_->terminated && !JSValueIsObject(ctx_, exception)) {
    AddTerminationErrorIfNeeded(exception);
    return;
  }
  ScriptError error =
      ExceptionToScriptError(ctx_, exception, error_ctor_, task_url_);
  if (task_) {
    task_->errors.push_back(std::move(error));
  } else {
    pending_rejections_.push_back(std::move(error));
  }
}

void Realm::ReportUnhandledRejection(JSValueRef reason) {
  // HTML: "notify about rejected promises" reports each unhandled rejection
  // at the microtask checkpoint, after the task's own exception.
  pending_rejections_.push_back(
      ExceptionToScriptError(ctx_, reason, error_ctor_, task_url_));
}

void Realm::AddConsoleMessage(absl::string_view level, absl::string_view text) {
  if (task_)
    task_->console.push_back(absl::StrCat(level, ": ", text));
}

void Realm::InvokeCallback(JSObjectRef function,
                           JSObjectRef self,
                           const std::vector<JSValueRef>& args) {
  JSValueRef exception = nullptr;
  JSObjectCallAsFunction(ctx_, function, self, args.size(), args.data(),
                         &exception);
  if (exception)
    ReportException(exception);
}

}  // namespace fetch_later::renderer::script
