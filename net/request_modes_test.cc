#include "net/request_modes.h"

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

// WebIDL enums RequestMode, RequestCredentials, RequestRedirect (Fetch IDL):
// exact, case-sensitive strings; "navigate" is a RequestMode value the Request
// constructor refuses, so it is not one a deferred fetch can have.
TEST(RequestModesTest, IdlStringsRoundTrip) {
  EXPECT_EQ(ParseRequestMode("cors"), RequestMode::kCors);
  EXPECT_EQ(ParseRequestMode("no-cors"), RequestMode::kNoCors);
  EXPECT_EQ(ParseRequestMode("same-origin"), RequestMode::kSameOrigin);
  EXPECT_EQ(ParseRequestMode("navigate"), std::nullopt);
  EXPECT_EQ(ParseRequestMode("CORS"), std::nullopt);
  EXPECT_EQ(ParseCredentialsMode("omit"), CredentialsMode::kOmit);
  EXPECT_EQ(ParseCredentialsMode("include"), CredentialsMode::kInclude);
  EXPECT_EQ(ParseCredentialsMode("same-origin"), CredentialsMode::kSameOrigin);
  EXPECT_EQ(ParseCredentialsMode(""), std::nullopt);
  EXPECT_EQ(ParseRedirectMode("follow"), RedirectMode::kFollow);
  EXPECT_EQ(ParseRedirectMode("error"), RedirectMode::kError);
  EXPECT_EQ(ParseRedirectMode("manual"), RedirectMode::kManual);
  EXPECT_EQ(ParseRedirectMode("Follow"), std::nullopt);
  for (RequestMode m :
       {RequestMode::kCors, RequestMode::kNoCors, RequestMode::kSameOrigin})
    EXPECT_EQ(ParseRequestMode(RequestModeName(m)), m);
}

}  // namespace
}  // namespace fetch_later::net
