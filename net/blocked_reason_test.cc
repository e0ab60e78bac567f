#include "net/blocked_reason.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

// SCENARIOS.md, "Additions": the report's `blocked[].reason` values, every
// name "accepted as written".
TEST(BlockedReasonTest, NamesAreTheScenarioReportsReasons) {
  const struct {
    BlockedReason reason;
    const char* name;
  } rows[] = {
      {BlockedReason::kCsp, "CSP"},
      {BlockedReason::kCorsPreflight, "CORS_PREFLIGHT"},
      {BlockedReason::kModeSameOrigin, "MODE_SAME_ORIGIN"},
      {BlockedReason::kRedirectNotHttps, "REDIRECT_NOT_HTTPS"},
      {BlockedReason::kRedirectLimit, "REDIRECT_LIMIT"},
      {BlockedReason::kRedirectModeError, "REDIRECT_MODE_ERROR"},
      {BlockedReason::kNotHttps, "NOT_HTTPS"},
      {BlockedReason::kBadPort, "BAD_PORT"},
      // Beyond SCENARIOS.md: a redirect response failing the CORS check.
      {BlockedReason::kCors, "CORS"},
      {BlockedReason::kRetryGate, "RETRY_GATE"},
      {BlockedReason::kExpired, "EXPIRED"},
      {BlockedReason::kInFlightAtCrash, "IN_FLIGHT_AT_CRASH"},
  };
  std::set<std::string> seen;
  for (const auto& row : rows) {
    EXPECT_STREQ(BlockedReasonName(row.reason), row.name);
    EXPECT_EQ(BlockedReasonFromName(row.name), row.reason) << row.name;
    seen.insert(BlockedReasonName(row.reason));
  }
  EXPECT_EQ(seen.size(), 12u);
}

TEST(BlockedReasonTest, FromNameIsExact) {
  EXPECT_EQ(BlockedReasonFromName("csp"), std::nullopt);
  EXPECT_EQ(BlockedReasonFromName("NOT-HTTPS"), std::nullopt);
  EXPECT_EQ(BlockedReasonFromName(""), std::nullopt);
  EXPECT_EQ(BlockedReasonFromName("BAD_PORT "), std::nullopt);
}

}  // namespace
}  // namespace fetch_later::net
