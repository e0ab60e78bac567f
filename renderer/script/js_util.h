// Small JavaScriptCore helpers: owned JSStrings, string conversions between
// JS (UTF-16) and C++ (UTF-8 or bytes), property access and calls.
#ifndef RENDERER_SCRIPT_JS_UTIL_H_
#define RENDERER_SCRIPT_JS_UTIL_H_

#include <JavaScriptCore/JavaScript.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace fetch_later::renderer::script {

// An owned JSStringRef.
class JsString {
 public:
  // From UTF-8 (embedded NULs kept; invalid sequences become U+FFFD).
  explicit JsString(absl::string_view utf8);
  // Adopts `s` (may be null).
  static JsString Adopt(JSStringRef s) { return JsString(s); }
  ~JsString();
  JsString(JsString&& other) : s_(other.s_) { other.s_ = nullptr; }
  JsString(const JsString&) = delete;
  JsString& operator=(const JsString&) = delete;

  JSStringRef get() const { return s_; }
  explicit operator bool() const { return s_ != nullptr; }

 private:
  explicit JsString(JSStringRef s) : s_(s) {}
  JSStringRef s_;
};

// The JSStringRef for a property name the bindings use again and again
// (dictionary members, attribute names): made once per thread and kept, so a
// lookup costs no UTF-8 -> UTF-16 conversion and no allocation. `name` must
// come from a small fixed set (string literals), never from script.
JSStringRef InternedName(absl::string_view name);

// UTF-16 <-> UTF-8. Lone surrogates become U+FFFD (WebIDL USVString).
std::string Utf16ToUtf8(const JSChar* chars, size_t length);
std::u16string Utf8ToUtf16(absl::string_view utf8);

// The string's UTF-8 (lone surrogates replaced).
std::string ToUtf8(JSStringRef s);

// JS string values.
JSValueRef MakeString(JSContextRef ctx, absl::string_view utf8);
// A JS string whose code units are `bytes` (WebIDL ByteString to JS).
JSValueRef MakeByteString(JSContextRef ctx, absl::string_view bytes);

// ToString(value) as UTF-8 without throwing (for diagnostics): "" on error.
std::string DebugString(JSContextRef ctx, JSValueRef value);

// obj[name]; nullptr with *exception set on error. `obj` must be an object.
JSValueRef GetProperty(JSContextRef ctx,
                       JSObjectRef obj,
                       absl::string_view name,
                       JSValueRef* exception);
void SetProperty(JSContextRef ctx,
                 JSObjectRef obj,
                 absl::string_view name,
                 JSValueRef value,
                 JSPropertyAttributes attributes = kJSPropertyAttributeNone);
// A GC-visible property script cannot see (JSObjectSetPrivateProperty);
// `obj` must be an API object (a wrapper).
void SetHidden(JSContextRef ctx,
               JSObjectRef obj,
               absl::string_view name,
               JSValueRef value);
JSValueRef GetHidden(JSContextRef ctx, JSObjectRef obj, absl::string_view name);

// A native function object.
JSObjectRef MakeFunction(JSContextRef ctx,
                         absl::string_view name,
                         JSObjectCallAsFunctionCallback callback);

// JS values gathered one by one in C++ (sequence items, record entries, the
// items of an array under construction), kept alive while the list lives.
// JavaScriptCore finds the values the C API hands out by scanning the C stack
// and registers; a std::vector's buffer is on the heap, so a value held only
// there can be collected by any later allocation (the collector may run at
// any allocation, or concurrently). Each value here is protected
// (JSValueProtect) until the list is destroyed.
class RootedValues {
 public:
  explicit RootedValues(JSContextRef ctx) : ctx_(ctx) {}
  ~RootedValues();
  RootedValues(const RootedValues&) = delete;
  RootedValues& operator=(const RootedValues&) = delete;

  void push_back(JSValueRef value);
  size_t size() const { return values_.size(); }
  bool empty() const { return values_.empty(); }
  JSValueRef operator[](size_t i) const { return values_[i]; }
  std::vector<JSValueRef>::const_iterator begin() const {
    return values_.begin();
  }
  std::vector<JSValueRef>::const_iterator end() const { return values_.end(); }
  // For a call that takes (count, values): valid while the list lives.
  const std::vector<JSValueRef>& values() const { return values_; }

 private:
  JSContextRef ctx_;
  std::vector<JSValueRef> values_;
};

// A JS Array of `values` (which the caller keeps alive: values on the stack,
// e.g. a braced list of fresh values, or a RootedValues).
JSObjectRef MakeArray(JSContextRef ctx, const std::vector<JSValueRef>& values);
JSObjectRef MakeArray(JSContextRef ctx, const RootedValues& values);

// An object (or undefined) as JSObjectRef; nullptr if not an object.
JSObjectRef AsObject(JSContextRef ctx, JSValueRef value);
bool IsCallable(JSContextRef ctx, JSValueRef value);

// JS array-like `array` to values; false with *exception set on error.
bool ArrayToVector(JSContextRef ctx,
                   JSObjectRef array,
                   RootedValues* out,
                   JSValueRef* exception);

// A new Uint8Array / ArrayBuffer holding a copy of `bytes`.
JSObjectRef MakeUint8Array(JSContextRef ctx, absl::string_view bytes);
JSObjectRef MakeArrayBuffer(JSContextRef ctx, absl::string_view bytes);
// A promise already resolved (or rejected) with `value`.
JSObjectRef MakeSettledPromise(JSContextRef ctx,
                               JSValueRef value,
                               bool resolved);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_JS_UTIL_H_
