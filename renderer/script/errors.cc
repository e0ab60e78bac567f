#include "renderer/script/errors.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "renderer/script/js_util.h"

namespace fetch_later::renderer {

std::string ScriptError::ToString() const {
  std::string out = absl::StrCat(source_url, ":", line, ":", column, ": ");
  if (!name.empty())
    absl::StrAppend(&out, name, ": ");
  absl::StrAppend(&out, message);
  return out;
}

namespace script {
namespace {

std::optional<uint64_t> NonNegativeNumber(JSContextRef ctx,
                                          JSObjectRef obj,
                                          absl::string_view name) {
  JSValueRef exception = nullptr;
  JSValueRef v = GetProperty(ctx, obj, name, &exception);
  if (!v || !JSValueIsNumber(ctx, v))
    return std::nullopt;
  double d = JSValueToNumber(ctx, v, nullptr);
  if (!std::isfinite(d) || d < 0)
    return std::nullopt;
  return static_cast<uint64_t>(d);
}

}  // namespace

bool ParseStackFrame(absl::string_view frame,
                     std::string* url,
                     int* line,
                     int* column) {
  size_t at = frame.find('@');
  absl::string_view location =
      at == absl::string_view::npos ? frame : frame.substr(at + 1);
  size_t last = location.rfind(':');
  if (last == absl::string_view::npos)
    return false;
  size_t prev = location.rfind(':', last - 1);
  if (prev == absl::string_view::npos || prev == 0)
    return false;
  if (!absl::SimpleAtoi(location.substr(prev + 1, last - prev - 1), line) ||
      !absl::SimpleAtoi(location.substr(last + 1), column)) {
    return false;
  }
  *url = std::string(location.substr(0, prev));
  return true;
}

ScriptError ExceptionToScriptError(JSContextRef ctx,
                                   JSValueRef exception,
                                   JSObjectRef error_constructor,
                                   absl::string_view fallback_url) {
  ScriptError error;
  error.source_url = std::string(fallback_url);
  JSObjectRef obj = AsObject(ctx, exception);
  bool is_error =
      obj && error_constructor &&
      JSValueIsInstanceOfConstructor(ctx, obj, error_constructor, nullptr);
  if (!is_error) {
    // A non-Error value: String(value) (a Symbol's description form).
    if (JSValueIsSymbol(ctx, exception)) {
      error.message = "Symbol()";
    } else {
      error.message = DebugString(ctx, exception);
    }
  } else {
    JSValueRef ignored = nullptr;
    JSValueRef name = GetProperty(ctx, obj, "name", &ignored);
    JSValueRef message = GetProperty(ctx, obj, "message", &ignored);
    if (name)
      error.name = DebugString(ctx, name);
    if (message)
      error.message = DebugString(ctx, message);
    if (error.name == "QuotaExceededError") {
      error.quota = NonNegativeNumber(ctx, obj, "quota");
      error.requested = NonNegativeNumber(ctx, obj, "requested");
    }
  }
  if (!obj)
    return error;
  // JSC puts the first frame with a location on the error (sourceURL, line,
  // column); an error constructed inside the prelude is blamed on the first
  // frame of the stack outside it.
  JSValueRef ignored = nullptr;
  JSValueRef stack = GetProperty(ctx, obj, "stack", &ignored);
  if (stack && JSValueIsString(ctx, stack)) {
    std::string text = DebugString(ctx, stack);
    for (absl::string_view frame : absl::StrSplit(text, '\n')) {
      std::string url;
      int line = 0, column = 0;
      if (!ParseStackFrame(frame, &url, &line, &column))
        continue;
      if (url == kPreludeUrl)
        continue;
      error.source_url = url;
      error.line = line;
      error.column = column;
      return error;
    }
  }
  JSValueRef url = GetProperty(ctx, obj, "sourceURL", &ignored);
  JSValueRef line = GetProperty(ctx, obj, "line", &ignored);
  JSValueRef column = GetProperty(ctx, obj, "column", &ignored);
  if (url && JSValueIsString(ctx, url)) {
    std::string u = DebugString(ctx, url);
    if (u != kPreludeUrl) {
      error.source_url = u;
      if (line && JSValueIsNumber(ctx, line)) {
        error.line = static_cast<int>(JSValueToNumber(ctx, line, nullptr));
      }
      if (column && JSValueIsNumber(ctx, column)) {
        error.column = static_cast<int>(JSValueToNumber(ctx, column, nullptr));
      }
    }
  }
  return error;
}

}  // namespace script
}  // namespace fetch_later::renderer
