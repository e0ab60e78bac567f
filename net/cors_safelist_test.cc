#include "net/cors_safelist.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Fetch: "CORS-safelisted method".
TEST(CorsSafelistTest, Methods) {
  EXPECT_TRUE(IsCorsSafelistedMethod("GET"));
  EXPECT_TRUE(IsCorsSafelistedMethod("HEAD"));
  EXPECT_TRUE(IsCorsSafelistedMethod("POST"));
  for (const char* method : {"PUT", "DELETE", "PATCH", "OPTIONS", "post", ""})
    EXPECT_FALSE(IsCorsSafelistedMethod(method)) << method;
}

struct HeaderRow {
  const char* name;
  std::string value;
  bool cors_safelisted;
  bool no_cors_safelisted;
  const char* source;
};

// Fetch: "CORS-safelisted request-header" and "no-CORS-safelisted
// request-header", and WPT fetch/api/cors/cors-preflight-not-cors-safelisted
// (the 128-byte limit, the CORS-unsafe bytes).
TEST(CorsSafelistTest, RequestHeaders) {
  const HeaderRow rows[] = {
      {"Accept", "*/*", true, true, "accept: no unsafe byte"},
      {"accept", "text/html, application/json;q=0.9", true, true,
       "accept: any bytes but the unsafe ones"},
      {"Accept", "a\"b", false, false, "accept: 0x22 is CORS-unsafe"},
      {"Accept", "a@b", false, false, "accept: 0x40 is CORS-unsafe"},
      {"Accept", "a\x7F", false, false, "accept: DEL is CORS-unsafe"},
      {"Accept", "a\tb", true, true, "accept: HT is not CORS-unsafe"},
      {"Accept", std::string(128, 'a'), true, true, "step 1: 128 bytes fit"},
      {"Accept", std::string(129, 'a'), false, false,
       "step 1: more than 128 bytes"},
      {"Accept-Language", "en-US, fr;q=0.5", true, true,
       "accept-language: alphanumerics and ` *,-.;=`"},
      {"Content-Language", "de", true, true, "content-language"},
      {"Content-Language", "de_DE", false, false,
       "content-language: `_` is not allowed"},
      {"Accept-Language", "en/US", false, false,
       "accept-language: `/` is not allowed"},
      {"Content-Type", "text/plain", true, true, "content-type: text/plain"},
      {"Content-Type", "text/plain;charset=UTF-8", true, true,
       "content-type: the string body's type"},
      {"content-type", "TEXT/Plain ; charset=x", true, true,
       "content-type: essence is lower-cased, trailing whitespace trimmed"},
      {"Content-Type", "application/x-www-form-urlencoded;charset=UTF-8", true,
       true, "content-type: URLSearchParams' type"},
      {"Content-Type",
       "multipart/form-data; boundary=----WebKitFormBoundaryabcdefgh12345678",
       true, true, "content-type: FormData's type"},
      {"Content-Type", "application/json", false, false,
       "content-type: another essence"},
      {"Content-Type", "text/plain; charset=\"x\"", false, false,
       "content-type: 0x22 is CORS-unsafe even inside a parameter"},
      {"Content-Type", "text", false, false,
       "content-type: no `/`, MIME type parse failure"},
      {"Content-Type", "text/", false, false,
       "content-type: empty subtype, parse failure"},
      {"Content-Type", "te xt/plain", false, false,
       "content-type: the type is not a token"},
      {"Range", "bytes=0-", true, false,
       "range: a start and no end; not a no-CORS name"},
      {"Range", "bytes=5-10", true, false, "range: start <= end"},
      {"Range", "bytes=10-5", false, false, "range: start > end (step 18)"},
      {"Range", "bytes=-500", false, false,
       "range: a null start is not safelisted"},
      {"Range", "bytes=0-1,3-4", false, false, "range: one range only"},
      {"Range", "bytes = 0-1", false, false, "range: no whitespace allowed"},
      {"Range", "Bytes=0-1", false, false,
       "range: \"bytes\" is case-sensitive"},
      {"Range", "bytes=00000000000000000000001-99999999999999999999999", true,
       false, "range: numbers compared without overflow"},
      {"X-Trace", "1", false, false, "any other name"},
      {"Authorization", "Bearer x", false, false, "authorization"},
  };
  for (const HeaderRow& row : rows) {
    EXPECT_EQ(IsCorsSafelistedRequestHeader(row.name, row.value),
              row.cors_safelisted)
        << row.source;
    EXPECT_EQ(IsNoCorsSafelistedRequestHeader(row.name, row.value),
              row.no_cors_safelisted)
        << row.source;
  }
}

// Fetch: "no-CORS-safelisted request-header name", "privileged no-CORS
// request-header name".
TEST(CorsSafelistTest, NoCorsNames) {
  for (const char* name :
       {"Accept", "accept-language", "CONTENT-LANGUAGE", "Content-Type"}) {
    EXPECT_TRUE(IsNoCorsSafelistedRequestHeaderName(name)) << name;
  }
  for (const char* name : {"Range", "X-Trace", "Authorization", "Accept-"})
    EXPECT_FALSE(IsNoCorsSafelistedRequestHeaderName(name)) << name;
  EXPECT_TRUE(IsPrivilegedNoCorsRequestHeaderName("range"));
  EXPECT_TRUE(IsPrivilegedNoCorsRequestHeaderName("Range"));
  EXPECT_FALSE(IsPrivilegedNoCorsRequestHeaderName("accept"));
}

// Fetch: "CORS-safelisted request-header" step 2: every byte below 0x20 but
// HT, and the listed punctuation, is CORS-unsafe.
TEST(CorsSafelistTest, CorsUnsafeBytes) {
  const std::string unsafe = "\"():<>?@[\\]{}\x7F";
  for (int b = 0; b < 256; ++b) {
    const bool expected =
        (b < 0x20 && b != 0x09) ||
        unsafe.find(static_cast<char>(b)) != std::string::npos;
    EXPECT_EQ(IsCorsUnsafeRequestHeaderByte(static_cast<unsigned char>(b)),
              expected)
        << b;
  }
}

// Fetch: "CORS-unsafe request-header names".
TEST(CorsSafelistTest, CorsUnsafeRequestHeaderNames) {
  EXPECT_THAT(CorsUnsafeRequestHeaderNames({}), IsEmpty());
  EXPECT_THAT(CorsUnsafeRequestHeaderNames(
                  {{"Accept", "*/*"}, {"Content-Type", "text/plain"}}),
              IsEmpty());
  // Step 6: lower-cased, deduplicated, sorted.
  EXPECT_THAT(CorsUnsafeRequestHeaderNames({{"X-Trace", "1"},
                                            {"Accept", "*/*"},
                                            {"x-trace", "2"},
                                            {"Content-Type", "text/json"},
                                            {"Authorization", "Bearer x"}}),
              ElementsAre("authorization", "content-type", "x-trace"));
  // Step 5: safelisted values adding up to more than 1024 bytes make every
  // safelisted name unsafe; exactly 1024 does not.
  const std::string v128(128, 'a');
  std::vector<std::pair<std::string, std::string>> at_limit;
  for (int i = 0; i < 8; ++i)
    at_limit.emplace_back("Accept", v128);
  EXPECT_THAT(CorsUnsafeRequestHeaderNames(at_limit), IsEmpty());
  at_limit.emplace_back("Content-Language", "e");
  EXPECT_THAT(CorsUnsafeRequestHeaderNames(at_limit),
              ElementsAre("accept", "content-language"));
}

}  // namespace
}  // namespace fetch_later::net
