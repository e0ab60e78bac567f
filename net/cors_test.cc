// Tests for Fetch's CORS rules (net/cors.h). Each row names the Fetch
// definition or the WPT file (fetch/api/cors/) it follows.

#include "net/cors.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

TEST(CorsTest, SafelistedMethods) {
  EXPECT_TRUE(IsCorsSafelistedMethod("GET"));
  EXPECT_TRUE(IsCorsSafelistedMethod("HEAD"));
  EXPECT_TRUE(IsCorsSafelistedMethod("POST"));
  EXPECT_FALSE(IsCorsSafelistedMethod("PUT"));
  EXPECT_FALSE(IsCorsSafelistedMethod("DELETE"));
  EXPECT_FALSE(IsCorsSafelistedMethod("post"));  // already normalised
}

TEST(CorsTest, SafelistedRequestHeaders) {
  // Outlives the table: a row's value points into it.
  const std::string long_value(129, 'a');
  struct Row {
    const char* source;
    const char* name;
    const char* value;
    bool safelisted;
  } rows[] = {
      {"CORS-safelisted request-header: accept", "Accept", "*/*", true},
      {"accept: unsafe byte", "Accept", "a\"b", false},
      {"accept-language", "Accept-Language", "en-US,en;q=0.9", true},
      {"content-language: bad byte", "Content-Language", "en/US", false},
      {"content-type text/plain", "Content-Type", "text/plain;charset=UTF-8",
       true},
      {"content-type form", "content-type", "application/x-www-form-urlencoded",
       true},
      {"content-type multipart", "Content-Type",
       "multipart/form-data; boundary=x", true},
      {"content-type JSON (cors-preflight WPT)", "Content-Type",
       "application/json", false},
      {"content-type unparsable", "Content-Type", "text", false},
      {"range simple", "Range", "bytes=0-10", true},
      {"range open", "Range", "bytes=5-", true},
      {"range reversed", "Range", "bytes=10-5", false},
      {"value > 128 bytes", "Accept", long_value.c_str(), false},
      {"author header", "X-Custom", "1", false},
      {"authorization", "Authorization", "Bearer x", false},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(IsCorsSafelistedRequestHeader(row.name, row.value),
              row.safelisted)
        << row.source;
  }
}

TEST(CorsTest, UnsafeRequestHeaderNamesAreSortedLowercaseUnique) {
  EXPECT_EQ(CorsUnsafeRequestHeaderNames({{"X-B", "1"},
                                          {"Content-Type", "application/json"},
                                          {"x-a", "2"},
                                          {"X-B", "3"},
                                          {"Accept", "*/*"}}),
            (std::vector<std::string>{"content-type", "x-a", "x-b"}));
  // Step 4: safelisted values adding up to more than 1024 bytes.
  HeaderList big = {{"Accept", std::string(100, 'a')}};
  for (int i = 0; i < 11; ++i)
    big.emplace_back("Accept-Language", std::string(100, 'b'));
  EXPECT_EQ(CorsUnsafeRequestHeaderNames(big),
            (std::vector<std::string>{"accept", "accept-language"}));
}

TEST(CorsTest, PreflightRequestHeaders) {
  EXPECT_EQ(
      CorsPreflightRequestHeaders("PUT", {"content-type", "x-a"}),
      (HeaderList{{"Accept", "*/*"},
                  {"Access-Control-Request-Method", "PUT"},
                  {"Access-Control-Request-Headers", "content-type,x-a"}}));
  EXPECT_EQ(CorsPreflightRequestHeaders("DELETE", {}),
            (HeaderList{{"Accept", "*/*"},
                        {"Access-Control-Request-Method", "DELETE"}}));
}

TEST(CorsTest, CorsCheck) {
  const std::string a = "https://a.test";
  struct Row {
    const char* source;
    HeaderList headers;
    CredentialsMode credentials;
    bool ok;
    const char* message_part;
  } rows[] = {
      {"CORS check step 2: missing",
       {},
       CredentialsMode::kSameOrigin,
       false,
       "Access-Control-Allow-Origin is missing"},
      {"step 3: * without credentials",
       {{"Access-Control-Allow-Origin", "*"}},
       CredentialsMode::kOmit,
       true,
       ""},
      {"step 4: * with include",
       {{"Access-Control-Allow-Origin", "*"}},
       CredentialsMode::kInclude,
       false,
       "not allowed with credentials"},
      {"step 4: wrong origin",
       {{"Access-Control-Allow-Origin", "https://x.test"}},
       CredentialsMode::kSameOrigin,
       false,
       "\"https://x.test\""},
      {"step 4: two values",
       {{"Access-Control-Allow-Origin", a}, {"Access-Control-Allow-Origin", a}},
       CredentialsMode::kSameOrigin,
       false,
       "is not the request's origin"},
      {"step 5: exact origin",
       {{"Access-Control-Allow-Origin", a}},
       CredentialsMode::kSameOrigin,
       true,
       ""},
      {"step 7: include without -Allow-Credentials",
       {{"Access-Control-Allow-Origin", a}},
       CredentialsMode::kInclude,
       false,
       "Access-Control-Allow-Credentials is missing"},
      {"step 7: include with -Allow-Credentials: TRUE",
       {{"Access-Control-Allow-Origin", a},
        {"Access-Control-Allow-Credentials", "TRUE"}},
       CredentialsMode::kInclude,
       false,
       "\"TRUE\""},
      {"step 6: include with -Allow-Credentials: true",
       {{"Access-Control-Allow-Origin", a},
        {"Access-Control-Allow-Credentials", "true"}},
       CredentialsMode::kInclude,
       true,
       ""},
  };
  for (const Row& row : rows) {
    absl::Status s = CorsCheck(row.headers, a, row.credentials);
    EXPECT_EQ(s.ok(), row.ok) << row.source << ": " << s;
    EXPECT_NE(std::string(s.message()).find(row.message_part),
              std::string::npos)
        << row.source << ": " << s;
  }
  // A tainted origin serialises as "null" (HTTP-redirect fetch step 15).
  EXPECT_TRUE(CorsCheck({{"Access-Control-Allow-Origin", "null"}}, "null",
                        CredentialsMode::kSameOrigin)
                  .ok());
}

TEST(CorsTest, PreflightResponse) {
  const std::string a = "https://a.test";
  const HeaderList allow = {{"Access-Control-Allow-Origin", a}};
  struct Row {
    const char* source;
    int status;
    HeaderList extra;
    CredentialsMode credentials;
    const char* method;
    std::vector<std::string> unsafe;
    const char* error;  // "" ok
  } rows[] = {
      {"CORS-preflight fetch step 7: non-ok status",
       404,
       {},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       "not an ok status"},
      {"step 7: redirect is not ok",
       302,
       {},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       "302"},
      {"step 7.5: method missing",
       204,
       {},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       "does not list the method PUT"},
      {"step 7.5: method listed",
       204,
       {{"Access-Control-Allow-Methods", "GET, PUT"}},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       ""},
      {"step 7.5: safelisted method needs no listing",
       204,
       {},
       CredentialsMode::kSameOrigin,
       "POST",
       {"content-type"},
       "does not list the header content-type"},
      {"step 7.5: * method without credentials",
       204,
       {{"Access-Control-Allow-Methods", "*"}},
       CredentialsMode::kOmit,
       "PUT",
       {},
       ""},
      {"step 7.5: * is literal with include",
       204,
       {{"Access-Control-Allow-Methods", "*"},
        {"Access-Control-Allow-Credentials", "true"}},
       CredentialsMode::kInclude,
       "PUT",
       {},
       "no wildcard"},
      {"step 7.6: header listed (case-insensitive)",
       200,
       {{"Access-Control-Allow-Headers", "Content-Type"}},
       CredentialsMode::kSameOrigin,
       "POST",
       {"content-type"},
       ""},
      {"step 7.6: * headers",
       200,
       {{"Access-Control-Allow-Headers", "*"}},
       CredentialsMode::kSameOrigin,
       "POST",
       {"content-type", "x-a"},
       ""},
      {"step 7.6: * never covers Authorization",
       200,
       {{"Access-Control-Allow-Headers", "*"}},
       CredentialsMode::kSameOrigin,
       "POST",
       {"authorization"},
       "never covers authorization"},
      {"step 7.5: methods compare byte-case-sensitively",
       204,
       {{"Access-Control-Allow-Methods", "put"}},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       "does not list the method PUT"},
      {"step 7.1: several -Allow-Methods fields are one list",
       204,
       {{"Access-Control-Allow-Methods", "GET"},
        {"Access-Control-Allow-Methods", "PUT"}},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       ""},
      {"step 7.7: * headers are literal with include",
       204,
       {{"Access-Control-Allow-Headers", "*"},
        {"Access-Control-Allow-Credentials", "true"}},
       CredentialsMode::kInclude,
       "POST",
       {"x-a"},
       "does not list the header x-a"},
      {"step 7.7: include needs each name listed",
       204,
       {{"Access-Control-Allow-Headers", "X-A"},
        {"Access-Control-Allow-Credentials", "true"}},
       CredentialsMode::kInclude,
       "POST",
       {"x-a"},
       ""},
      {"malformed -Allow-Methods names the header",
       204,
       {{"Access-Control-Allow-Methods", "PUT, P(T"}},
       CredentialsMode::kSameOrigin,
       "PUT",
       {},
       "Access-Control-Allow-Methods: \"P(T\" is not a token"},
      {"malformed -Allow-Headers names the header",
       204,
       {{"Access-Control-Allow-Headers", "x a"}},
       CredentialsMode::kSameOrigin,
       "POST",
       {},
       "Access-Control-Allow-Headers: \"x a\" is not a token"},
  };
  for (const Row& row : rows) {
    HeaderList headers = allow;
    headers.insert(headers.end(), row.extra.begin(), row.extra.end());
    absl::StatusOr<CorsPreflightResult> result =
        CheckCorsPreflightResponse(row.status, headers, a, row.credentials);
    absl::Status s = result.status();
    if (result.ok())
      s = CorsPreflightAllows(*result, row.method, row.unsafe, row.credentials);
    if (std::string(row.error).empty()) {
      EXPECT_TRUE(s.ok()) << row.source << ": " << s;
    } else {
      EXPECT_NE(std::string(s.message()).find(row.error), std::string::npos)
          << row.source << ": " << s;
    }
  }
}

TEST(CorsTest, PreflightMaxAge) {
  const HeaderList allow = {{"Access-Control-Allow-Origin", "*"}};
  struct Row {
    const char* source;
    const char* max_age;  // nullptr: absent
    absl::Duration want;
  } rows[] = {
      {"absent: Fetch's default 5 s", nullptr, absl::Seconds(5)},
      {"given", "600", absl::Seconds(600)},
      {"zero (no caching)", "0", absl::ZeroDuration()},
      {"capped at 2 h (Chromium)", "86400", absl::Hours(2)},
      {"huge saturates at the cap", "99999999999999999999999", absl::Hours(2)},
      {"unreadable: the default", "ten", absl::Seconds(5)},
      {"negative: the default", "-1", absl::Seconds(5)},
  };
  for (const Row& row : rows) {
    HeaderList headers = allow;
    if (row.max_age != nullptr)
      headers.emplace_back("Access-Control-Max-Age", row.max_age);
    absl::StatusOr<CorsPreflightResult> r = CheckCorsPreflightResponse(
        204, headers, "https://a.test", CredentialsMode::kOmit);
    ASSERT_TRUE(r.ok()) << row.source;
    EXPECT_EQ(r->max_age, row.want) << row.source;
  }
  // Step 7.9: two fields are failure (its ABNF allows a single header), so
  // the default; the preflight itself still succeeds.
  HeaderList two = allow;
  two.emplace_back("Access-Control-Max-Age", "600");
  two.emplace_back("Access-Control-Max-Age", "600");
  absl::StatusOr<CorsPreflightResult> r = CheckCorsPreflightResponse(
      204, two, "https://a.test", CredentialsMode::kOmit);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->max_age, absl::Seconds(5));
}

}  // namespace
}  // namespace fetch_later::net
