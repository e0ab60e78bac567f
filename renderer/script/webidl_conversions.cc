#include "renderer/script/webidl_conversions.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"

namespace fetch_later::renderer::script {
namespace {

// ECMAScript ToString; nullptr JsString with the exception set on error.
JsString ToJsString(Call& call, JSValueRef value) {
  return JsString::Adopt(JSValueToStringCopy(call.ctx, value, call.exception));
}

}  // namespace

bool ToDOMString(Call& call, JSValueRef value, std::string* out) {
  JsString s = ToJsString(call, value);
  if (!s || call.threw())
    return false;
  *out = ToUtf8(s.get());
  return true;
}

bool ToUSVString(Call& call, JSValueRef value, std::string* out) {
  // Utf16ToUtf8 already replaces lone surrogates with U+FFFD.
  return ToDOMString(call, value, out);
}

bool ToByteString(Call& call, JSValueRef value, std::string* out) {
  JsString s = ToJsString(call, value);
  if (!s || call.threw())
    return false;
  const JSChar* chars = JSStringGetCharactersPtr(s.get());
  size_t length = JSStringGetLength(s.get());
  out->clear();
  out->reserve(length);
  for (size_t i = 0; i < length; ++i) {
    // WebIDL: "If the value of any element of x is greater than 255, then
    // throw a TypeError."
    if (chars[i] > 0xFF) {
      call.ThrowTypeError(
          "Cannot convert argument to a ByteString because the character at "
          "index " +
          std::to_string(i) + " has a value greater than 255.");
      return false;
    }
    out->push_back(static_cast<char>(chars[i]));
  }
  return true;
}

bool ToBoolean(Call& call, JSValueRef value) {
  return JSValueToBoolean(call.ctx, value);
}

bool ToUnrestrictedDouble(Call& call, JSValueRef value, double* out) {
  *out = JSValueToNumber(call.ctx, value, call.exception);
  return !call.threw();
}

bool ToRestrictedDouble(Call& call,
                        JSValueRef value,
                        absl::string_view what,
                        double* out) {
  if (!ToUnrestrictedDouble(call, value, out))
    return false;
  // WebIDL: double: "If x is NaN, +Infinity, or -Infinity, then throw a
  // TypeError."
  if (!std::isfinite(*out)) {
    call.ThrowTypeError(
        absl::StrCat(what, " is not a finite floating-point value."));
    return false;
  }
  return true;
}

bool ToEnforceRangeInteger(Call& call,
                           JSValueRef value,
                           double min,
                           double max,
                           absl::string_view what,
                           double* out) {
  double x;
  if (!ToUnrestrictedDouble(call, value, &x))
    return false;
  // WebIDL: "ConvertToInt" step 6 ([EnforceRange]): NaN or infinite ->
  // TypeError; x = IntegerPart(x); out of [lowerBound, upperBound] ->
  // TypeError.
  if (!std::isfinite(x)) {
    call.ThrowTypeError(absl::StrCat(what, " is not a finite number."));
    return false;
  }
  x = std::trunc(x);
  if (x < min || x > max) {
    call.ThrowTypeError(
        absl::StrCat(what, " is outside the range [", min, ", ", max, "]."));
    return false;
  }
  *out = x + 0.0;  // -0 -> +0
  return true;
}

bool ToLong(Call& call, JSValueRef value, int32_t* out) {
  double x;
  if (!ToUnrestrictedDouble(call, value, &x))
    return false;
  // WebIDL: "ConvertToInt": NaN/infinite -> 0; IntegerPart; modulo 2^32.
  if (!std::isfinite(x)) {
    *out = 0;
    return true;
  }
  x = std::fmod(std::trunc(x), 4294967296.0);
  if (x < 0)
    x += 4294967296.0;
  if (x >= 2147483648.0)
    x -= 4294967296.0;
  *out = static_cast<int32_t>(x);
  return true;
}

bool ToLongLong(Call& call, JSValueRef value, int64_t* out) {
  double x;
  if (!ToUnrestrictedDouble(call, value, &x))
    return false;
  if (!std::isfinite(x)) {
    *out = 0;
    return true;
  }
  x = std::trunc(x);
  // Values beyond 2^53 are not exactly representable anyway: clamp.
  constexpr double kMax = 9007199254740991.0;
  if (x > kMax)
    x = kMax;
  if (x < -kMax)
    x = -kMax;
  *out = static_cast<int64_t>(x);
  return true;
}

bool ToEnum(Call& call,
            JSValueRef value,
            const std::vector<absl::string_view>& values,
            absl::string_view enum_name,
            std::string* out) {
  if (!ToDOMString(call, value, out))
    return false;
  for (absl::string_view v : values) {
    if (v == *out)
      return true;
  }
  call.ThrowTypeError(absl::StrCat("The provided value '", *out,
                                   "' is not a valid enum value of type ",
                                   enum_name, "."));
  return false;
}

bool DictionaryReader::Open(Call& call,
                            JSValueRef value,
                            absl::string_view dictionary) {
  call_ = &call;
  object_ = nullptr;
  // WebIDL: dictionary step 1: "If Type(V) is not Undefined, Null or Object,
  // then throw a TypeError."
  if (JSValueIsUndefined(call.ctx, value) || JSValueIsNull(call.ctx, value)) {
    return true;
  }
  object_ = AsObject(call.ctx, value);
  if (!object_) {
    call.ThrowTypeError(
        absl::StrCat("The provided value is not of type '", dictionary, "'."));
    return false;
  }
  return true;
}

bool DictionaryReader::Get(absl::string_view member, JSValueRef* out) {
  *out = nullptr;
  if (!object_)
    return true;
  // Member names are the bindings' own: interned, not converted per call.
  JSValueRef v = JSObjectGetProperty(call_->ctx, object_, InternedName(member),
                                     call_->exception);
  if (call_->threw())
    return false;
  if (!JSValueIsUndefined(call_->ctx, v))
    *out = v;
  return true;
}

bool GetIteratorMethod(Call& call, JSObjectRef object, JSValueRef* method) {
  *method = nullptr;
  JSValueRef symbol = call.realm->HookValue("iteratorSymbol");
  JSValueRef m =
      JSObjectGetPropertyForKey(call.ctx, object, symbol, call.exception);
  if (call.threw())
    return false;
  if (JSValueIsUndefined(call.ctx, m) || JSValueIsNull(call.ctx, m)) {
    return true;
  }
  if (!IsCallable(call.ctx, m)) {
    call.ThrowTypeError("The object's [Symbol.iterator] is not a function.");
    return false;
  }
  *method = m;
  return true;
}

bool IterableToVector(Call& call,
                      JSObjectRef object,
                      JSValueRef method,
                      RootedValues* out) {
  JSContextRef ctx = call.ctx;
  // ECMAScript: GetIteratorFromMethod, then IteratorStep until done.
  JSValueRef iterator_value = JSObjectCallAsFunction(
      ctx, AsObject(ctx, method), object, 0, nullptr, call.exception);
  if (call.threw())
    return false;
  JSObjectRef iterator = AsObject(ctx, iterator_value);
  if (!iterator) {
    call.ThrowTypeError("The iterator is not an object.");
    return false;
  }
  JSValueRef next = GetProperty(ctx, iterator, "next", call.exception);
  if (!next)
    return false;
  if (!IsCallable(ctx, next)) {
    call.ThrowTypeError("The iterator's next is not a function.");
    return false;
  }
  while (true) {
    JSValueRef result_value = JSObjectCallAsFunction(
        ctx, AsObject(ctx, next), iterator, 0, nullptr, call.exception);
    if (call.threw())
      return false;
    JSObjectRef result = AsObject(ctx, result_value);
    if (!result) {
      call.ThrowTypeError("The iterator result is not an object.");
      return false;
    }
    JSValueRef done = GetProperty(ctx, result, "done", call.exception);
    if (!done)
      return false;
    if (JSValueToBoolean(ctx, done))
      return true;
    JSValueRef value = GetProperty(ctx, result, "value", call.exception);
    if (!value)
      return false;
    out->push_back(value);
  }
}

bool ToSequence(Call& call,
                JSValueRef value,
                absl::string_view what,
                RootedValues* out) {
  JSObjectRef object = AsObject(call.ctx, value);
  JSValueRef method = nullptr;
  if (object && !GetIteratorMethod(call, object, &method))
    return false;
  if (!object || !method) {
    call.ThrowTypeError(absl::StrCat(
        "The provided value cannot be converted to a sequence (", what, ")."));
    return false;
  }
  return IterableToVector(call, object, method, out);
}

bool ToRecordEntries(Call& call, JSObjectRef object, RootedValues* out) {
  // The prelude's ownEnumerableKeys: Reflect.ownKeys filtered by
  // [[GetOwnProperty]].enumerable, as WebIDL "record" step 4 does.
  JSValueRef keys_value =
      call.realm->CallHook("ownEnumerableKeys", {object}, call.exception);
  if (!keys_value)
    return false;
  RootedValues keys(call.ctx);
  if (!ArrayToVector(call.ctx, AsObject(call.ctx, keys_value), &keys,
                     call.exception)) {
    return false;
  }
  for (JSValueRef key : keys) {
    JSValueRef v =
        JSObjectGetPropertyForKey(call.ctx, object, key, call.exception);
    if (call.threw())
      return false;
    out->push_back(key);
    out->push_back(v);
  }
  return true;
}

bool ToPairs(Call& call,
             JSObjectRef object,
             bool (*convert)(Call&, JSValueRef, std::string*),
             absl::string_view what,
             std::vector<std::pair<std::string, std::string>>* out) {
  JSValueRef method = nullptr;
  if (!GetIteratorMethod(call, object, &method))
    return false;
  if (method) {
    // sequence<sequence<T>>.
    RootedValues items(call.ctx);
    if (!IterableToVector(call, object, method, &items))
      return false;
    for (JSValueRef item : items) {
      RootedValues pair(call.ctx);
      if (!ToSequence(call, item, what, &pair))
        return false;
      std::vector<std::string> strings(pair.size());
      for (size_t i = 0; i < pair.size(); ++i) {
        if (!convert(call, pair[i], &strings[i]))
          return false;
      }
      if (strings.size() != 2) {
        call.ThrowTypeError(
            absl::StrCat("Failed to construct '", what,
                         "': each pair must have exactly two items."));
        return false;
      }
      out->emplace_back(std::move(strings[0]), std::move(strings[1]));
    }
    return true;
  }
  // record<T, T>.
  RootedValues entries(call.ctx);
  if (!ToRecordEntries(call, object, &entries))
    return false;
  for (size_t i = 0; i + 1 < entries.size(); i += 2) {
    std::string k, v;
    if (!convert(call, entries[i], &k) || !convert(call, entries[i + 1], &v))
      return false;
    out->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

std::optional<std::string> BufferSourceBytes(Call& call, JSValueRef value) {
  JSContextRef ctx = call.ctx;
  JSObjectRef object = AsObject(ctx, value);
  if (!object)
    return std::nullopt;
  JSTypedArrayType type = JSValueGetTypedArrayType(ctx, value, nullptr);
  if (type == kJSTypedArrayTypeArrayBuffer) {
    auto* bytes = static_cast<const char*>(
        JSObjectGetArrayBufferBytesPtr(ctx, object, nullptr));
    size_t length = JSObjectGetArrayBufferByteLength(ctx, object, nullptr);
    return bytes ? std::string(bytes, length) : std::string();
  }
  if (type != kJSTypedArrayTypeNone) {
    // JSObjectGetTypedArrayBytesPtr points at the buffer's start: add the
    // view's byteOffset.
    auto* bytes = static_cast<const char*>(
        JSObjectGetTypedArrayBytesPtr(ctx, object, nullptr));
    size_t offset = JSObjectGetTypedArrayByteOffset(ctx, object, nullptr);
    size_t length = JSObjectGetTypedArrayByteLength(ctx, object, nullptr);
    return bytes ? std::string(bytes + offset, length) : std::string();
  }
  // A DataView: the prelude gives a Uint8Array over the same bytes.
  JSValueRef ignored = nullptr;
  JSValueRef view = call.realm->CallHook("dataViewBytes", {value}, &ignored);
  if (view && JSValueGetTypedArrayType(ctx, view, nullptr) ==
                  kJSTypedArrayTypeUint8Array) {
    return BufferSourceBytes(call, view);
  }
  return std::nullopt;
}

}  // namespace fetch_later::renderer::script
