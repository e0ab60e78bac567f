// A deterministic fuzz-style robustness test for the CSP parser and matcher
// (net/csp.h) and the CORS header readers (net/cors.h): thousands of random
// and mutated header values never crash them, every ignored part of a CSP
// header comes with a warning naming it, and a malformed Access-Control-*
// header is an error that names the header.

#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/cors.h"
#include "net/csp.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

const char* const kCspSeeds[] = {
    "connect-src 'self' https://*.b.test:443/p/; default-src 'none'",
    "default-src *; connect-src https: wss:",
    "connect-src 'nonce-abc' 'sha256-x=' 'unsafe-inline' b.test",
    "connect-src https://b.test:*/a%2Fb, img-src 'self'",
    "report-uri /r; upgrade-insecure-requests; sandbox allow-scripts",
};

const char* const kTokens[] = {
    ";",    ",",      " ",        "\t",     "'",           "*",
    "*.",   ":",      "://",      "/",      "//",          "%",
    "%2",   "'self'", "'none'",   "https:", "connect-src", "default-src",
    "\x00", "\xff",   "\xc3\xbc", "[::1]",  "65536",       "-",
    ".",    "a"};

std::string Mutate(std::mt19937& rng, std::string s) {
  std::uniform_int_distribution<int> op(0, 2);
  std::uniform_int_distribution<size_t> token(0, std::size(kTokens) - 1);
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (op(rng)) {
      case 0:
        s.insert(at, kTokens[token(rng)]);
        break;
      case 1:
        if (!s.empty())
          s.erase(std::min(at, s.size() - 1), 1 + rng() % 3);
        break;
      default:
        s.insert(at, 1, static_cast<char>(rng() % 256));
    }
  }
  return s;
}

TEST(CspFuzzTest, MutatedPoliciesNeverCrashAndIgnoreOnlyWithAWarning) {
  std::mt19937 rng(0x5eed);
  const Origin self = *Origin::Parse("https://a.test");
  const Url urls[] = {*Url::Parse("https://b.test/p/x"),
                      *Url::Parse("https://a.test/"),
                      *Url::Parse("https://127.0.0.1/")};
  for (int i = 0; i < 3000; ++i) {
    const std::string header =
        Mutate(rng, kCspSeeds[rng() % std::size(kCspSeeds)]);
    CspParseResult parsed =
        ParseContentSecurityPolicies({header}, CspDisposition::kEnforce);
    ASSERT_NE(parsed.list, nullptr);
    for (const std::string& w : parsed.warnings)
      EXPECT_TRUE(absl::StartsWith(w, "Content-Security-Policy: ")) << w;
    for (const CspPolicy& policy : parsed.list->policies) {
      for (const CspDirective& d : policy.directives) {
        // Every kept source expression parses again the same way.
        for (const CspSourceExpression& e : d.sources)
          EXPECT_TRUE(ParseCspSourceExpression(e.text).ok()) << e.text;
      }
    }
    for (const Url& url : urls) {
      for (int redirects : {0, 1})
        ShouldRequestBeBlockedByCsp(*parsed.list, url, self, redirects);
    }
  }
}

TEST(CspFuzzTest, MalformedAccessControlHeadersAreErrorsNamingTheHeader) {
  std::mt19937 rng(0xc0de);
  const char* const kNames[] = {"Access-Control-Allow-Methods",
                                "Access-Control-Allow-Headers"};
  for (int i = 0; i < 2000; ++i) {
    const char* name = kNames[i % 2];
    const std::string value = Mutate(rng, "PUT, x-a, content-type");
    absl::StatusOr<CorsPreflightResult> r = CheckCorsPreflightResponse(
        204,
        {{"Access-Control-Allow-Origin", "https://a.test"},
         {name, value},
         {"Access-Control-Max-Age", Mutate(rng, "600")}},
        "https://a.test", CredentialsMode::kSameOrigin);
    if (!r.ok()) {
      EXPECT_TRUE(absl::StrContains(r.status().message(), name)) << r.status();
    } else {
      EXPECT_LE(r->max_age, kMaxCorsPreflightMaxAge);
    }
  }
}

}  // namespace
}  // namespace fetch_later::net
