// Realm: one document's JS global context and the state its bindings share
// (interface prototypes, the prelude's hooks, abort reasons, wrapper caches,
// timers, the running task's report). Blink's LocalDOMWindow + ScriptState.
#ifndef RENDERER_SCRIPT_REALM_H_
#define RENDERER_SCRIPT_REALM_H_

#include <JavaScriptCore/JavaScript.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "renderer/abort_signal.h"
#include "renderer/js_error.h"
#include "renderer/script/binding.h"
#include "renderer/script/document_script.h"
#include "renderer/script/engine.h"
#include "renderer/script/js_api.h"
#include "renderer/script/timers.h"

namespace fetch_later::renderer::script {

class Realm {
 public:
  Realm(ScriptEngine::Impl* engine,
        ScriptDelegate* delegate,
        const DocumentScriptOptions& options);
  ~Realm();
  Realm(const Realm&) = delete;
  Realm& operator=(const Realm&) = delete;

  // Evaluates the prelude, defines the interfaces and installs the globals.
  // Returns false (with `error`) only on a bug in the bindings.
  bool Initialize(std::string* error);

  JSGlobalContextRef ctx() const { return ctx_; }
  ScriptDelegate* delegate() const { return delegate_; }
  ScriptEngine::Impl* engine() const { return engine_; }
  JSObjectRef global() const { return JSContextGetGlobalObject(ctx_); }

  // --- Interfaces -----------------------------------------------------------
  void DefineInterface(const InterfaceSpec& spec);
  // The interface prototype object (nullptr for an unknown name).
  JSObjectRef Prototype(absl::string_view interface_name) const;
  // A new wrapper of `object` with `interface_name`'s prototype.
  JSObjectRef Wrap(std::unique_ptr<ScriptWrappable> object,
                   absl::string_view interface_name);
  // For constructors: the prototype is new.target's "prototype" (WebIDL:
  // "get the prototype from a constructor"), or `interface_name`'s.
  JSObjectRef WrapForNewTarget(Call& call,
                               std::unique_ptr<ScriptWrappable> object,
                               absl::string_view interface_name);
  // A global operation (Window member).
  void InstallFunction(absl::string_view name,
                       JSObjectCallAsFunctionCallback function,
                       int length);

  // Calls the prelude's hook `name`; nullptr with *exception on error.
  JSValueRef CallHook(absl::string_view name,
                      const std::vector<JSValueRef>& args,
                      JSValueRef* exception);
  JSObjectRef Hook(absl::string_view name) const;
  JSValueRef HookValue(absl::string_view name) const;

  // --- Errors ---------------------------------------------------------------
  // The JS value of `error` in this realm: an ECMAScript TypeError/RangeError,
  // a DOMException, a QuotaExceededError, or the JS abort reason it stands
  // for (see AbortErrorForReason).
  JSValueRef ToJs(const JsError& error);
  JSValueRef MakeDOMException(absl::string_view message,
                              absl::string_view name);

  // A C++ abort reason standing for the JS value `reason` (the C++
  // AbortSignal only knows JsError): ToJs() gives `reason` back.
  JsError AbortErrorForReason(JSValueRef reason);

  // Wrapper identity: the live wrapper made for `key` (a C++ object kept
  // alive by `owner`), or nullptr.
  JSObjectRef CachedWrapper(const void* key, bool* hooked = nullptr);
  void CacheWrapper(const void* key,
                    std::weak_ptr<const void> owner,
                    JSObjectRef wrapper,
                    bool hooked);
  // A token that expires with this Realm (for C++ callbacks that may outlive
  // it, e.g. abort algorithms).
  std::weak_ptr<Realm*> weak_self() const { return self_; }

  // --- Tasks ----------------------------------------------------------------
  // Errors and console lines go to `result` until EndTask().
  void BeginTask(ScriptRunResult* result, absl::string_view source_url);
  void EndTask();
  // HTML: "report an exception".
  void ReportException(JSValueRef exception);
  void ReportUnhandledRejection(JSValueRef reason);
  void AddConsoleMessage(absl::string_view level, absl::string_view text);

  // Runs `function` as a callback (this = `self`); exceptions are reported.
  void InvokeCallback(JSObjectRef function,
                      JSObjectRef self,
                      const std::vector<JSValueRef>& args);

  // --- Document state
  // ---------------------------------------------------------
  bool hidden() const { return hidden_; }
  // HTML "is a secure context": fixed for the realm's life, read once.
  bool secure_context() const { return secure_context_; }
  void set_hidden(bool hidden) { hidden_ = hidden; }
  TimerList& timers() { return timers_; }

  // GC roots owned by this realm (unprotected when it goes away).
  void Protect(JSValueRef value);
  void Unprotect(JSValueRef value);

  // --- fetch() calls in flight ----------------------------------------------
  // Fetch "fetch(input, init)": what fetch `id` (the delegate's) settles: its
  // promise's resolve and reject functions (GC roots until it is settled) and
  // the request's signal (a dependent signal is held only weakly by its
  // sources: kept here so its abort step stays).
  struct PendingFetch {
    JSObjectRef resolve = nullptr;
    JSObjectRef reject = nullptr;
    std::shared_ptr<AbortSignal> signal;
  };
  void AddPendingFetch(uint64_t id, PendingFetch fetch);
  // Removes fetch `id` and returns it, its functions still protected: the
  // caller unprotects them (Unprotect()) once it called one. nullopt when it
  // is settled or unknown.
  std::optional<PendingFetch> TakePendingFetch(uint64_t id);

 private:
  void AddTerminationErrorIfNeeded(JSValueRef exception);

  ScriptEngine::Impl* engine_;
  ScriptDelegate* delegate_;
  JSGlobalContextRef ctx_ = nullptr;
  bool hidden_;
  TimerList timers_;
  std::shared_ptr<Realm*> self_;

  bool secure_context_ = false;
  JSObjectRef hooks_ = nullptr;
  JSObjectRef error_ctor_ = nullptr;
  JSObjectRef type_error_ctor_ = nullptr;
  JSObjectRef range_error_ctor_ = nullptr;
  JSObjectRef dom_exception_ctor_ = nullptr;
  JSObjectRef quota_exceeded_error_ctor_ = nullptr;
  absl::flat_hash_map<std::string, JSObjectRef> prototypes_;
  std::vector<JSValueRef> abort_reasons_;
  struct CacheEntry {
    std::weak_ptr<const void> owner;
    JSWeakRef wrapper = nullptr;
    bool hooked = false;
  };
  absl::flat_hash_map<const void*, CacheEntry> wrapper_cache_;
  std::vector<JSValueRef> protected_;
  absl::flat_hash_map<uint64_t, PendingFetch> pending_fetches_;

  ScriptRunResult* task_ = nullptr;
  std::string task_url_;
  std::vector<ScriptError> pending_rejections_;
};

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_REALM_H_
