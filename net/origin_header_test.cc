// Tests for Fetch's "append a request `Origin` header" (net/origin_header.h).

#include "net/origin_header.h"

#include <string>

#include "gtest/gtest.h"
#include "net/request_modes.h"

namespace fetch_later::net {
namespace {

TEST(OriginHeaderTest, AppendARequestOriginHeader) {
  const Origin a = *Origin::Parse("https://a.test");
  const Url same = *Url::Parse("https://a.test/collect");
  const Url cross = *Url::Parse("https://b.test/collect");
  struct Row {
    const char* source;
    const char* method;
    bool cors;
    const char* serialized;
    const Url* url;
    ReferrerPolicy policy;
    const char* want;  // nullptr: no header
  } rows[] = {
      {"step 3: cors tainting, GET", "GET", true, "https://a.test", &cross,
       ReferrerPolicy::kEmpty, "https://a.test"},
      {"step 3: cors tainting, tainted origin", "GET", true, "null", &cross,
       ReferrerPolicy::kEmpty, "null"},
      {"step 4: GET, not cors", "GET", false, "https://a.test", &same,
       ReferrerPolicy::kEmpty, nullptr},
      {"step 4: HEAD, not cors", "HEAD", false, "https://a.test", &cross,
       ReferrerPolicy::kUnsafeUrl, nullptr},
      {"step 4: POST same-origin, default policy", "POST", false,
       "https://a.test", &same, ReferrerPolicy::kEmpty, "https://a.test"},
      {"step 4.1: no-referrer", "POST", false, "https://a.test", &same,
       ReferrerPolicy::kNoReferrer, "null"},
      {"step 4.1: strict-origin, https to https", "POST", false,
       "https://a.test", &cross, ReferrerPolicy::kStrictOrigin,
       "https://a.test"},
      {"step 4.1: same-origin policy, cross-origin URL", "POST", false,
       "https://a.test", &cross, ReferrerPolicy::kSameOrigin, "null"},
      {"step 4.1: same-origin policy, same-origin URL", "PUT", false,
       "https://a.test", &same, ReferrerPolicy::kSameOrigin, "https://a.test"},
      {"step 4.1: unsafe-url", "DELETE", false, "https://a.test", &cross,
       ReferrerPolicy::kUnsafeUrl, "https://a.test"},
  };
  for (const Row& row : rows) {
    std::optional<std::string> got = RequestOriginHeader(
        {row.method, row.cors, row.serialized, &a, row.url, row.policy});
    if (row.want == nullptr) {
      EXPECT_EQ(got, std::nullopt) << row.source;
    } else {
      EXPECT_EQ(got, std::string(row.want)) << row.source;
    }
  }
  // The downgrade rule, with an http URL (never sent by this HTTPS-only
  // browser, but the rule is the spec's).
  const Url http = *Url::Parse("http://b.test/");
  EXPECT_EQ(RequestOriginHeader({"POST", false, "https://a.test", &a, &http,
                                 ReferrerPolicy::kStrictOriginWhenCrossOrigin}),
            "null");
}

TEST(OriginHeaderTest, TheReferrerPolicySwitchIsForModesOtherThanCors) {
  // Step 4.1: "If request's mode is not "cors", then switch on request's
  // referrer policy". A "cors" request that is not cors-tainted (a
  // same-origin POST) always sends its origin.
  const Origin a = *Origin::Parse("https://a.test");
  const Url same = *Url::Parse("https://a.test/collect");
  struct Row {
    const char* source;
    RequestMode mode;
    ReferrerPolicy policy;
    const char* want;
  } rows[] = {
      {"step 4.1: mode cors, no-referrer", RequestMode::kCors,
       ReferrerPolicy::kNoReferrer, "https://a.test"},
      {"step 4.1: mode no-cors, no-referrer", RequestMode::kNoCors,
       ReferrerPolicy::kNoReferrer, "null"},
      {"step 4.1: mode same-origin, no-referrer", RequestMode::kSameOrigin,
       ReferrerPolicy::kNoReferrer, "null"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(RequestOriginHeader({"POST", false, "https://a.test", &a, &same,
                                   row.policy, row.mode}),
              std::string(row.want))
        << row.source;
  }
}

TEST(OriginHeaderTest, TheDowngradeRuleLooksAtTheSchemeOnly) {
  // Step 4.1, "no-referrer-when-downgrade" / "strict-origin" /
  // "strict-origin-when-cross-origin": "request's current URL's scheme is not
  // "https"" (a scheme test, not "potentially trustworthy": http://localhost
  // and http://127.0.0.1 count as a downgrade here).
  const Origin a = *Origin::Parse("https://a.test");
  for (const char* url : {"http://localhost/", "http://127.0.0.1/"}) {
    const Url current = *Url::Parse(url);
    for (ReferrerPolicy policy : {ReferrerPolicy::kNoReferrerWhenDowngrade,
                                  ReferrerPolicy::kStrictOrigin,
                                  ReferrerPolicy::kStrictOriginWhenCrossOrigin,
                                  ReferrerPolicy::kEmpty}) {
      EXPECT_EQ(RequestOriginHeader({"POST", false, "https://a.test", &a,
                                     &current, policy, RequestMode::kNoCors}),
                "null")
          << url << " " << ReferrerPolicyToString(policy);
    }
  }
}

}  // namespace
}  // namespace fetch_later::net
