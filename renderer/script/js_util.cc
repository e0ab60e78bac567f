#include "renderer/script/js_util.h"

#include <cstdint>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "renderer/script/js_api.h"

namespace fetch_later::renderer::script {

JsString::JsString(absl::string_view utf8) {
  std::u16string u = Utf8ToUtf16(utf8);
  s_ = JSStringCreateWithCharacters(reinterpret_cast<const JSChar*>(u.data()),
                                    u.size());
}

JsString::~JsString() {
  if (s_)
    JSStringRelease(s_);
}

namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

std::string Utf16ToUtf8(const JSChar* chars, size_t length) {
  std::string out;
  out.reserve(length);
  for (size_t i = 0; i < length; ++i) {
    uint32_t c = chars[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < length &&
        chars[i + 1] >= 0xDC00 && chars[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (chars[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;  // WebIDL: "convert to a scalar value string".
    }
    AppendUtf8(c, &out);
  }
  return out;
}

std::u16string Utf8ToUtf16(absl::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  while (i < n) {
    uint32_t c = s[i];
    int extra = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      extra = 0;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, c &= 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, c &= 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, c &= 0x07, min = 0x10000;
    } else {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    bool ok = i + extra < n;  // Not truncated.
    for (int k = 1; ok && k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80)
        ok = false;
    }
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    for (int k = 1; k <= extra; ++k)
      c = (c << 6) | (s[i + k] & 0x3F);
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
      out.push_back(0xFFFD);
      i += extra + 1;
      continue;
    }
    i += extra + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
  }
  return out;
}

std::string ToUtf8(JSStringRef s) {
  if (!s)
    return "";
  return Utf16ToUtf8(JSStringGetCharactersPtr(s), JSStringGetLength(s));
}

JSValueRef MakeString(JSContextRef ctx, absl::string_view utf8) {
  JsString s(utf8);
  return JSValueMakeString(ctx, s.get());
}

JSValueRef MakeByteString(JSContextRef ctx, absl::string_view bytes) {
  std::u16string u(bytes.size(), 0);
  for (size_t i = 0; i < bytes.size(); ++i) {
    u[i] = static_cast<unsigned char>(bytes[i]);
  }
  JsString s = JsString::Adopt(JSStringCreateWithCharacters(
      reinterpret_cast<const JSChar*>(u.data()), u.size()));
  return JSValueMakeString(ctx, s.get());
}

std::string DebugString(JSContextRef ctx, JSValueRef value) {
  JSValueRef exception = nullptr;
  JsString s = JsString::Adopt(JSValueToStringCopy(ctx, value, &exception));
  if (exception || !s)
    return "";
  return ToUtf8(s.get());
}

JSStringRef InternedName(absl::string_view name) {
  // Per thread: every realm of an engine lives on one thread, and a JSStringRef
  // is not tied to a VM. Released when the thread ends.
  struct Names {
    ~Names() {
      for (auto& [key, string] : map)
        JSStringRelease(string);
    }
    absl::flat_hash_map<std::string, JSStringRef> map;
  };
  thread_local Names names;
  auto it = names.map.find(name);
  if (it == names.map.end()) {
    JsString made(name);
    JSStringRef string = made.get();
    JSStringRetain(string);
    it = names.map.emplace(std::string(name), string).first;
  }
  return it->second;
}

JSValueRef GetProperty(JSContextRef ctx,
                       JSObjectRef obj,
                       absl::string_view name,
                       JSValueRef* exception) {
  JsString n(name);
  JSValueRef local = nullptr;
  JSValueRef v = JSObjectGetProperty(ctx, obj, n.get(), &local);
  if (local) {
    if (exception)
      *exception = local;
    return nullptr;
  }
  return v;
}

void SetProperty(JSContextRef ctx,
                 JSObjectRef obj,
                 absl::string_view name,
                 JSValueRef value,
                 JSPropertyAttributes attributes) {
  JsString n(name);
  JSObjectSetProperty(ctx, obj, n.get(), value, attributes, nullptr);
}

void SetHidden(JSContextRef ctx,
               JSObjectRef obj,
               absl::string_view name,
               JSValueRef value) {
  JsString n(name);
  JSObjectSetPrivateProperty(ctx, obj, n.get(), value);
}

JSValueRef GetHidden(JSContextRef ctx,
                     JSObjectRef obj,
                     absl::string_view name) {
  JsString n(name);
  return JSObjectGetPrivateProperty(ctx, obj, n.get());
}

JSObjectRef MakeFunction(JSContextRef ctx,
                         absl::string_view name,
                         JSObjectCallAsFunctionCallback callback) {
  JsString n(name);
  return JSObjectMakeFunctionWithCallback(ctx, n.get(), callback);
}

RootedValues::~RootedValues() {
  for (JSValueRef value : values_)
    JSValueUnprotect(ctx_, value);
}

void RootedValues::push_back(JSValueRef value) {
  JSValueProtect(ctx_, value);
  values_.push_back(value);
}

JSObjectRef MakeArray(JSContextRef ctx, const std::vector<JSValueRef>& values) {
  return JSObjectMakeArray(ctx, values.size(), values.data(), nullptr);
}

JSObjectRef MakeArray(JSContextRef ctx, const RootedValues& values) {
  return MakeArray(ctx, values.values());
}

JSObjectRef AsObject(JSContextRef ctx, JSValueRef value) {
  if (!value || !JSValueIsObject(ctx, value))
    return nullptr;
  return JSValueToObject(ctx, value, nullptr);
}

bool IsCallable(JSContextRef ctx, JSValueRef value) {
  JSObjectRef o = AsObject(ctx, value);
  return o && JSObjectIsFunction(ctx, o);
}

bool ArrayToVector(JSContextRef ctx,
                   JSObjectRef array,
                   RootedValues* out,
                   JSValueRef* exception) {
  JSValueRef len = GetProperty(ctx, array, "length", exception);
  if (!len)
    return false;
  double n = JSValueToNumber(ctx, len, exception);
  if (exception && *exception)
    return false;
  for (unsigned i = 0; i < static_cast<unsigned>(n); ++i) {
    JSValueRef local = nullptr;
    JSValueRef v = JSObjectGetPropertyAtIndex(ctx, array, i, &local);
    if (local) {
      if (exception)
        *exception = local;
      return false;
    }
    out->push_back(v);
  }
  return true;
}

JSObjectRef MakeUint8Array(JSContextRef ctx, absl::string_view bytes) {
  JSObjectRef array = JSObjectMakeTypedArray(ctx, kJSTypedArrayTypeUint8Array,
                                             bytes.size(), nullptr);
  if (!array)
    return nullptr;
  if (!bytes.empty()) {
    void* data = JSObjectGetTypedArrayBytesPtr(ctx, array, nullptr);
    if (data)
      std::memcpy(data, bytes.data(), bytes.size());
  }
  return array;
}

JSObjectRef MakeArrayBuffer(JSContextRef ctx, absl::string_view bytes) {
  JSObjectRef array = MakeUint8Array(ctx, bytes);
  return array ? JSObjectGetTypedArrayBuffer(ctx, array, nullptr) : nullptr;
}

JSObjectRef MakeSettledPromise(JSContextRef ctx,
                               JSValueRef value,
                               bool resolved) {
  JSObjectRef resolve = nullptr, reject = nullptr;
  JSObjectRef promise =
      JSObjectMakeDeferredPromise(ctx, &resolve, &reject, nullptr);
  if (!promise)
    return nullptr;
  JSObjectCallAsFunction(ctx, resolved ? resolve : reject, nullptr, 1, &value,
                         nullptr);
  return promise;
}

}  // namespace fetch_later::renderer::script
