// Tests for JsError, JsResult and JsStatus (renderer/js_error.h).

#include "renderer/js_error.h"

#include <string>

#include "gtest/gtest.h"

namespace fetch_later::renderer {
namespace {

// WebIDL: TypeError and RangeError are ECMAScript errors; the others are
// DOMException names (WebIDL "DOMException names" table; QuotaExceededError
// as the Fetch fetchLater() steps throw it).
TEST(JsErrorTest, NamesAndDomExceptions) {
  struct Case {
    JsErrorType type;
    const char* name;
    bool dom_exception;
  };
  const Case kCases[] = {
      {JsErrorType::kTypeError, "TypeError", false},
      {JsErrorType::kRangeError, "RangeError", false},
      {JsErrorType::kAbortError, "AbortError", true},
      {JsErrorType::kQuotaExceededError, "QuotaExceededError", true},
      {JsErrorType::kNotAllowedError, "NotAllowedError", true},
      {JsErrorType::kSecurityError, "SecurityError", true},
      {JsErrorType::kInvalidStateError, "InvalidStateError", true},
  };
  for (const Case& c : kCases) {
    JsError error{c.type, "m", std::nullopt, std::nullopt};
    EXPECT_EQ(error.name(), c.name);
    EXPECT_EQ(error.is_dom_exception(), c.dom_exception) << c.name;
  }
}

TEST(JsErrorTest, MakersAndEquality) {
  EXPECT_EQ(MakeTypeError("a").type, JsErrorType::kTypeError);
  EXPECT_EQ(MakeRangeError("a").type, JsErrorType::kRangeError);
  EXPECT_EQ(MakeAbortError("a").type, JsErrorType::kAbortError);
  EXPECT_EQ(MakeTypeError("a").message, "a");
  EXPECT_EQ(MakeTypeError("a"), MakeTypeError("a"));
  EXPECT_FALSE(MakeTypeError("a") == MakeTypeError("b"));
  EXPECT_FALSE(MakeTypeError("a") == MakeRangeError("a"));
  // A QuotaExceededError's numbers are part of it.
  JsError quota{JsErrorType::kQuotaExceededError, "q", 8192, 9000};
  JsError other = quota;
  other.requested = 9001;
  EXPECT_FALSE(quota == other);
}

TEST(JsResultTest, ValueOrError) {
  JsResult<std::string> value(std::string("v"));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "v");
  EXPECT_EQ(value->size(), 1u);
  JsResult<std::string> error(MakeRangeError("r"));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), MakeRangeError("r"));

  EXPECT_TRUE(JsStatus().ok());
  JsStatus failed(MakeTypeError("t"));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), MakeTypeError("t"));
}

}  // namespace
}  // namespace fetch_later::renderer
