// The errors the renderer's Fetch model throws, as values: JsError is the
// JavaScript exception a WebIDL binding would throw (a TypeError, a RangeError
// or a DOMException such as AbortError), and JsResult<T> / JsStatus carry a
// value or that error back to the binding.
//
//   JsResult<Request> request = ConstructRequest("/beacon", init, client);
//   if (!request.ok()) {
//     request.error().name();     // "TypeError"
//     request.error().message;    // "Failed to parse URL from ..."
//   }
//
// Plain values; nothing here is thread-safe or needs to be.
#ifndef RENDERER_JS_ERROR_H_
#define RENDERER_JS_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/strings/string_view.h"

namespace fetch_later::renderer {

// The JavaScript exception a binding would throw. kTypeError and kRangeError
// are ECMAScript errors; the others are DOMException names.
enum class JsErrorType {
  kTypeError,
  kRangeError,
  kAbortError,
  kQuotaExceededError,
  kNotAllowedError,
  kSecurityError,
  kInvalidStateError,
};

// A JavaScript exception as a value: what the binding throws into script.
struct JsError {
  JsErrorType type = JsErrorType::kTypeError;
  std::string message;
  // QuotaExceededError only (Fetch "fetchLater()" step 12): bytes available
  // and bytes requested.
  std::optional<uint64_t> quota;
  std::optional<uint64_t> requested;

  // "TypeError", "RangeError", "AbortError", "QuotaExceededError", ...
  absl::string_view name() const;
  // Whether this is a DOMException (everything but TypeError and RangeError).
  bool is_dom_exception() const;

  friend bool operator==(const JsError& a, const JsError& b) {
    return a.type == b.type && a.message == b.message && a.quota == b.quota &&
           a.requested == b.requested;
  }
};

// A TypeError, RangeError or AbortError DOMException with `message`.
JsError MakeTypeError(std::string message);
JsError MakeRangeError(std::string message);
JsError MakeAbortError(std::string message);

// A value or the JsError that the binding would throw.
template <typename T>
class JsResult {
 public:
  JsResult(T value) : value_(std::move(value)) {}        // NOLINT
  JsResult(JsError error) : value_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }
  // Must be !ok().
  const JsError& error() const { return std::get<JsError>(value_); }
  // Must be ok().
  const T& value() const& { return std::get<T>(value_); }
  T& value() & { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, JsError> value_;
};

// JsResult for steps that return nothing.
class JsStatus {
 public:
  JsStatus() = default;
  JsStatus(JsError error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_.has_value(); }
  // Must be !ok().
  const JsError& error() const { return *error_; }

 private:
  std::optional<JsError> error_;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_JS_ERROR_H_
