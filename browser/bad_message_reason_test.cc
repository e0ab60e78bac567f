// BadMessageReason's numbers and names are stable: logs, bug reports and the
// debug interface name reasons by them. This table pins every value; a new
// reason adds a row (and must reach a test row in tests/bad_message_test.cc).
#include <iterator>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "browser/bad_message.h"
#include "gtest/gtest.h"

namespace fetch_later::browser {
namespace {

struct Pinned {
  int number;
  const char* name;
};

// Never edit a row: a reason keeps its number and its name for good.
constexpr Pinned kPinned[] = {
    {1, "FETCH_LATER_DOCUMENT_NOT_HOSTED"},
    {2, "FETCH_LATER_METHOD_NOT_TOKEN"},
    {3, "FETCH_LATER_METHOD_FORBIDDEN"},
    {4, "FETCH_LATER_METHOD_NOT_NORMALIZED"},
    {5, "FETCH_LATER_URL_TOO_LONG"},
    {6, "FETCH_LATER_URL_UNPARSABLE"},
    {7, "FETCH_LATER_URL_HAS_CREDENTIALS"},
    {8, "FETCH_LATER_URL_NOT_HTTP_S"},
    {9, "FETCH_LATER_URL_NOT_TRUSTWORTHY"},
    {10, "FETCH_LATER_REFERRER_WITH_NO_REFERRER"},
    {11, "FETCH_LATER_REFERRER_TOO_LONG"},
    {12, "FETCH_LATER_REFERRER_UNPARSABLE"},
    {13, "FETCH_LATER_REFERRER_CROSS_ORIGIN"},
    {14, "FETCH_LATER_REFERRER_POLICY_INVALID"},
    {15, "FETCH_LATER_TOO_MANY_HEADERS"},
    {16, "FETCH_LATER_HEADER_TOO_LONG"},
    {17, "FETCH_LATER_HEADER_NAME_NOT_TOKEN"},
    {18, "FETCH_LATER_HEADER_VALUE_INVALID"},
    {19, "FETCH_LATER_HEADER_FORBIDDEN"},
    {20, "FETCH_LATER_BODY_WITH_GET_OR_HEAD"},
    {21, "FETCH_LATER_BODY_TOO_LONG"},
    {22, "FETCH_LATER_ACTIVATE_AFTER_INVALID"},
    {23, "FETCH_LATER_RETRY_BACKOFF_NOT_FINITE"},
    {24, "FETCH_LATER_TOTAL_LENGTH_MISMATCH"},
    {25, "FETCH_LATER_TOTAL_LENGTH_OVER_ORIGIN_QUOTA"},
    {26, "FETCH_LATER_NOT_SECURE_CONTEXT"},
    {27, "FETCH_LATER_RETRY_OPTIONS_NOT_SECURE_CONTEXT"},
    {28, "FETCH_LATER_SEND_NOW_ACTIVATE_AFTER_NOT_ZERO"},
    {29, "FETCH_LATER_CLIENT_ID_REUSED"},
    {30, "QUERY_QUOTA_DOCUMENT_NOT_HOSTED"},
    {31, "ABORT_FETCH_LATER_DOCUMENT_NOT_HOSTED"},
    {32, "STEP_RESULT_UNKNOWN_STEP"},
    {33, "STEP_RESULT_BAD_NEXT_TIMER"},
    {34, "FETCH_LATER_REQUEST_MODE_INVALID"},
    {35, "FETCH_LATER_CREDENTIALS_MODE_INVALID"},
    {36, "FETCH_LATER_REDIRECT_MODE_INVALID"},
    {37, "FETCH_LATER_NO_CORS_METHOD_NOT_SAFELISTED"},
    {38, "FETCH_LATER_NO_CORS_HEADER_NOT_SAFELISTED"},
    {39, "RENDERER_NOT_SANDBOXED"},
    {40, "FETCH_DOCUMENT_NOT_HOSTED"},
    {41, "FETCH_MIXED_CONTENT"},
    {42, "FETCH_RETRY_AFTER_UNLOAD_WITHOUT_KEEPALIVE"},
    {43, "FETCH_CLIENT_ID_REUSED"},
    {44, "ABORT_FETCH_DOCUMENT_NOT_HOSTED"},
};

TEST(BadMessageReasonTest, NumbersAndNamesArePinned) {
  ASSERT_EQ(static_cast<int>(BadMessageReason::kMaxValue),
            static_cast<int>(std::size(kPinned)))
      << "a new reason needs a row in kPinned";
  for (const Pinned& row : kPinned) {
    EXPECT_EQ(BadMessageReasonName(static_cast<BadMessageReason>(row.number)),
              row.name)
        << row.number;
  }
}

TEST(BadMessageReasonTest, NamesAreUniqueUpperSnakeCase) {
  std::set<std::string> seen;
  for (int i = 1; i <= static_cast<int>(BadMessageReason::kMaxValue); ++i) {
    const std::string name(
        BadMessageReasonName(static_cast<BadMessageReason>(i)));
    EXPECT_TRUE(seen.insert(name).second) << name;
    EXPECT_NE(name, "UNKNOWN_BAD_MESSAGE_REASON") << i;
    for (char c : name)
      EXPECT_TRUE(absl::ascii_isupper(c) || c == '_') << name;
  }
}

TEST(BadMessageReasonTest, ValuesThatAreNoReasonHaveNoName) {
  EXPECT_EQ(BadMessageReasonName(static_cast<BadMessageReason>(0)),
            "UNKNOWN_BAD_MESSAGE_REASON");
  EXPECT_EQ(BadMessageReasonName(static_cast<BadMessageReason>(
                static_cast<int>(BadMessageReason::kMaxValue) + 1)),
            "UNKNOWN_BAD_MESSAGE_REASON");
}

TEST(BadMessageTest, ToStringIsTheNameThenTheDetail) {
  BadMessage bad{BadMessageReason::kFetchLaterTotalLengthMismatch,
                 "total_request_length: says 0, the request is 19"};
  EXPECT_EQ(bad.ToString(),
            "FETCH_LATER_TOTAL_LENGTH_MISMATCH: total_request_length: says 0, "
            "the request is 19");
}

TEST(BadMessageOrTest, HoldsAValueOrABadMessage) {
  BadMessageOr<std::string> value(std::string("x"));
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "x");
  EXPECT_EQ(value->size(), 1u);
  BadMessageOr<std::string> bad(
      BadMessage{BadMessageReason::kStepResultUnknownStep, "step_id: ..."});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.bad_message().reason, BadMessageReason::kStepResultUnknownStep);
  EXPECT_EQ(bad.bad_message().detail, "step_id: ...");
}

}  // namespace
}  // namespace fetch_later::browser
