#include "renderer/js_error.h"

namespace fetch_later::renderer {

absl::string_view JsError::name() const {
  switch (type) {
    case JsErrorType::kTypeError:
      return "TypeError";
    case JsErrorType::kRangeError:
      return "RangeError";
    case JsErrorType::kAbortError:
      return "AbortError";
    case JsErrorType::kQuotaExceededError:
      return "QuotaExceededError";
    case JsErrorType::kNotAllowedError:
      return "NotAllowedError";
    case JsErrorType::kSecurityError:
      return "SecurityError";
    case JsErrorType::kInvalidStateError:
      return "InvalidStateError";
  }
  return "Error";
}

bool JsError::is_dom_exception() const {
  return type != JsErrorType::kTypeError && type != JsErrorType::kRangeError;
}

JsError MakeTypeError(std::string message) {
  return JsError{JsErrorType::kTypeError, std::move(message), std::nullopt,
                 std::nullopt};
}

JsError MakeRangeError(std::string message) {
  return JsError{JsErrorType::kRangeError, std::move(message), std::nullopt,
                 std::nullopt};
}

JsError MakeAbortError(std::string message) {
  return JsError{JsErrorType::kAbortError, std::move(message), std::nullopt,
                 std::nullopt};
}

}  // namespace fetch_later::renderer
