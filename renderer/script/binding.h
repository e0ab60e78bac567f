// The Web IDL binding layer: C++ objects behind JS wrappers, native
// operations with their arguments, and interface definitions (interface
// object, interface prototype object, attributes as prototype accessors).
#ifndef RENDERER_SCRIPT_BINDING_H_
#define RENDERER_SCRIPT_BINDING_H_

#include <JavaScriptCore/JavaScript.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer::script {

class Realm;

// The C++ object of a platform object (the wrapper's private data). Deleted
// by the wrapper's finalizer, possibly after its Realm is gone: it must not
// point at the Realm.
class ScriptWrappable {
 public:
  virtual ~ScriptWrappable() = default;
};

// The JSClass of every wrapper (private data: ScriptWrappable*).
JSClassRef WrapperClass();

// The C++ object of `value` if it is a wrapper of a T, else nullptr (WebIDL:
// "implements" check).
template <typename T>
T* Unwrap(JSContextRef ctx, JSValueRef value) {
  if (!value || !JSValueIsObjectOfClass(ctx, value, WrapperClass())) {
    return nullptr;
  }
  auto* wrappable = static_cast<ScriptWrappable*>(
      JSObjectGetPrivate(const_cast<JSObjectRef>(value)));
  return dynamic_cast<T*>(wrappable);
}

// One native call: `self` is the JS `this` (new.target for constructors).
struct Call {
  JSContextRef ctx;
  JSObjectRef self;
  size_t argc;
  const JSValueRef* argv;
  JSValueRef* exception;
  Realm* realm;

  JSValueRef arg(size_t i) const {
    return i < argc ? argv[i] : JSValueMakeUndefined(ctx);
  }
  // WebIDL: an optional argument that is "missing" (absent or undefined).
  bool missing(size_t i) const {
    return i >= argc || JSValueIsUndefined(ctx, argv[i]);
  }
  bool threw() const { return *exception != nullptr; }
  JSValueRef undefined() const { return JSValueMakeUndefined(ctx); }

  // Sets the exception to `error` converted in this realm; returns nullptr.
  std::nullptr_t Throw(const JsError& error);
  std::nullptr_t Throw(JSValueRef value) {
    *exception = value;
    return nullptr;
  }
  std::nullptr_t ThrowTypeError(std::string message) {
    return Throw(MakeTypeError(std::move(message)));
  }
  // WebIDL overload resolution: fewer than `n` arguments is a TypeError.
  bool RequireArgs(size_t n, absl::string_view operation);
  // `this` as a T, or a TypeError "Illegal invocation".
  template <typename T>
  T* This() {
    T* t = Unwrap<T>(ctx, self);
    if (!t)
      ThrowTypeError("Illegal invocation");
    return t;
  }
};

using NativeFn = JSValueRef (*)(Call&);

Realm* RealmFromContext(JSContextRef ctx);

// Adapts a NativeFn to a JSC callback.
template <NativeFn F>
JSValueRef Native(JSContextRef ctx,
                  JSObjectRef /*function*/,
                  JSObjectRef self,
                  size_t argc,
                  const JSValueRef argv[],
                  JSValueRef* exception) {
  JSValueRef local_exception = nullptr;
  if (!exception)
    exception = &local_exception;
  Call call{ctx, self, argc, argv, exception, RealmFromContext(ctx)};
  JSValueRef result = F(call);
  if (*exception)
    return nullptr;
  return result ? result : JSValueMakeUndefined(ctx);
}

struct MethodSpec {
  const char* name;
  JSObjectCallAsFunctionCallback function;
  int length = 0;
};

struct AttributeSpec {
  const char* name;
  JSObjectCallAsFunctionCallback getter;
  JSObjectCallAsFunctionCallback setter = nullptr;
};

// A Web IDL interface exposed on Window.
struct InterfaceSpec {
  const char* name;
  // The inherited interface ("EventTarget", "Blob"), or nullptr.
  const char* parent = nullptr;
  // Called with `self` = new.target; nullptr: "Illegal constructor".
  JSObjectCallAsFunctionCallback constructor = nullptr;
  int length = 0;
  std::vector<MethodSpec> methods;
  std::vector<AttributeSpec> attributes;
  std::vector<MethodSpec> statics;
  // WebIDL "pair iterator": returns the value pairs to iterate over as an
  // array of [key, value] arrays (entries/keys/values/forEach/@@iterator).
  JSObjectCallAsFunctionCallback pairs = nullptr;
};

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_BINDING_H_
