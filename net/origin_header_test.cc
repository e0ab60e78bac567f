// Tests for Fetch's "append a request `Origin` header" (net/origin_header.h).

#include "net/origin_header.h"

#include <string>

#include "gtest/gtest.h"

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
      {"step 2: cors tainting, GET", "GET", true, "https://a.test", &cross,
       ReferrerPolicy::kEmpty, "https://a.test"},
      {"step 2: cors tainting, tainted origin", "GET", true, "null", &cross,
       ReferrerPolicy::kEmpty, "null"},
      {"step 3: GET, not cors", "GET", false, "https://a.test", &same,
       ReferrerPolicy::kEmpty, nullptr},
      {"step 3: HEAD, not cors", "HEAD", false, "https://a.test", &cross,
       ReferrerPolicy::kUnsafeUrl, nullptr},
      {"step 3: POST same-origin, default policy", "POST", false,
       "https://a.test", &same, ReferrerPolicy::kEmpty, "https://a.test"},
      {"step 3.1: no-referrer", "POST", false, "https://a.test", &same,
       ReferrerPolicy::kNoReferrer, "null"},
      {"step 3.2: strict-origin, https to https", "POST", false,
       "https://a.test", &cross, ReferrerPolicy::kStrictOrigin,
       "https://a.test"},
      {"step 3.3: same-origin policy, cross-origin URL", "POST", false,
       "https://a.test", &cross, ReferrerPolicy::kSameOrigin, "null"},
      {"step 3.3: same-origin policy, same-origin URL", "PUT", false,
       "https://a.test", &same, ReferrerPolicy::kSameOrigin, "https://a.test"},
      {"step 3: unsafe-url", "DELETE", false, "https://a.test", &cross,
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

}  // namespace
}  // namespace fetch_later::net
