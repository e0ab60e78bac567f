// Tests for a document's CSP list and "Should request be blocked by Content
// Security Policy?" (net/csp.h). Rows name the CSP3 section or the WPT file.

#include "net/csp.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

Url U(const std::string& s) {
  return *Url::Parse(s);
}

// "" when allowed, else the violated directive.
std::string Check(const std::vector<std::string>& headers,
                  const std::string& url,
                  int redirect_count = 0) {
  CspParseResult parsed =
      ParseContentSecurityPolicies(headers, CspDisposition::kEnforce);
  std::optional<CspViolation> v = ShouldRequestBeBlockedByCsp(
      *parsed.list, U(url), *Origin::Parse("https://a.test"), redirect_count);
  return v ? v->violated_directive : "";
}

TEST(CspTest, ShouldRequestBeBlocked) {
  struct Row {
    const char* source;
    std::vector<std::string> headers;
    const char* url;
    int redirect_count;
    const char* blocked_by;  // "" allowed
  } rows[] = {
      {"no policy", {}, "https://b.test/", 0, ""},
      {"connect-src allows",
       {"connect-src https://b.test"},
       "https://b.test/",
       0,
       ""},
      {"connect-src blocks (WPT fetch-later/policies/csp-blocked)",
       {"connect-src 'self'"},
       "https://b.test/",
       0,
       "connect-src"},
      {"default-src fallback (6.8.3 'Should fetch directive execute')",
       {"default-src 'self'"},
       "https://b.test/",
       0,
       "default-src"},
      {"connect-src wins over default-src",
       {"default-src 'none'; connect-src https://b.test"},
       "https://b.test/",
       0,
       ""},
      {"other directives do not apply",
       {"img-src 'none'"},
       "https://b.test/",
       0,
       ""},
      {"'none' blocks everything",
       {"connect-src 'none'"},
       "https://a.test/",
       0,
       "connect-src"},
      {"an empty source list is 'none'",
       {"connect-src"},
       "https://a.test/",
       0,
       "connect-src"},
      {"every policy applies (two headers)",
       {"connect-src https://b.test", "connect-src https://c.test"},
       "https://b.test/",
       0,
       "connect-src"},
      {"every policy applies (comma-separated)",
       {"connect-src *, connect-src 'self'"},
       "https://b.test/",
       0,
       "connect-src"},
      {"path respected before a redirect",
       {"connect-src https://b.test/ok/"},
       "https://b.test/no",
       0,
       "connect-src"},
      {"path ignored after a redirect (6.7.2.5 step 3.6)",
       {"connect-src https://b.test/ok/"},
       "https://b.test/no",
       1,
       ""},
      {"a directive that is not ASCII is ignored whole (parse a serialized "
       "CSP step 3.2)",
       {"connect-src https://b.test https://\xC3\xBC.test"},
       "https://c.test/",
       0,
       ""},
      {"... so the fallback applies (parse a serialized CSP step 3.2)",
       {"default-src 'none'; connect-src https://b.test https://\xC3\xBC.test"},
       "https://b.test/",
       0,
       "default-src"},
      {"directive names are case-insensitive",
       {"CONNECT-SRC 'self'"},
       "https://b.test/",
       0,
       "connect-src"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(Check(row.headers, row.url, row.redirect_count), row.blocked_by)
        << row.source;
  }
}

TEST(CspTest, ViolationCarriesTheOriginalPolicy) {
  CspParseResult parsed = ParseContentSecurityPolicies(
      {"default-src 'self'; img-src *"}, CspDisposition::kEnforce);
  std::optional<CspViolation> v = ShouldRequestBeBlockedByCsp(
      *parsed.list, U("https://b.test/"), *Origin::Parse("https://a.test"), 0);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->violated_directive, "default-src");
  EXPECT_EQ(v->effective_directive, "connect-src");
  EXPECT_EQ(v->original_policy, "default-src 'self'; img-src *");
}

TEST(CspTest, ReportOnlyNeverBlocks) {
  CspParseResult parsed = ParseContentSecurityPolicies(
      {"connect-src 'none'"}, CspDisposition::kReportOnly);
  EXPECT_FALSE(ShouldRequestBeBlockedByCsp(*parsed.list, U("https://b.test/"),
                                           *Origin::Parse("https://a.test"), 0)
                   .has_value());
}

TEST(CspTest, MalformedPartsAreIgnoredOneByOneWithAWarning) {
  CspParseResult parsed = ParseContentSecurityPolicies(
      {"connect-src https://b.test:x https://c.test; conect-src 'self'; "
       "connect-src 'none'; d!rective x; default-src 'none' https://d.test"},
      CspDisposition::kEnforce);
  // The bad port expression is dropped, the rest of connect-src applies.
  EXPECT_EQ(ShouldRequestBeBlockedByCsp(*parsed.list, U("https://c.test/"),
                                        *Origin::Parse("https://a.test"), 0),
            std::nullopt);
  EXPECT_TRUE(ShouldRequestBeBlockedByCsp(*parsed.list, U("https://b.test/"),
                                          *Origin::Parse("https://a.test"), 0)
                  .has_value());
  ASSERT_EQ(parsed.warnings.size(), 5u);
  EXPECT_NE(parsed.warnings[0].find("\"https://b.test:x\""), std::string::npos);
  EXPECT_NE(parsed.warnings[0].find("port"), std::string::npos);
  EXPECT_NE(parsed.warnings[1].find("unrecognized directive conect-src"),
            std::string::npos);
  EXPECT_NE(parsed.warnings[2].find("second connect-src"), std::string::npos);
  EXPECT_NE(parsed.warnings[3].find("invalid name"), std::string::npos);
  EXPECT_NE(parsed.warnings[4].find("'none'"), std::string::npos);
}

TEST(CspTest, TheListKeepsItsSelfOrigin) {
  // CSP: "parse a response's Content Security Policies" step 4: the list's
  // self-origin is the response's URL's origin.
  const Origin a = *Origin::Parse("https://a.test");
  CspParseResult parsed = ParseContentSecurityPolicies(
      {"connect-src 'self'"}, CspDisposition::kEnforce, a);
  ASSERT_TRUE(parsed.list->self_origin.has_value());
  EXPECT_EQ(*parsed.list->self_origin, a);
  EXPECT_FALSE(ParseContentSecurityPolicies({"connect-src 'self'"},
                                            CspDisposition::kEnforce)
                   .list->self_origin.has_value());
}

TEST(CspTest, ANonAsciiDirectiveIsIgnoredWithAWarning) {
  // Parse a serialized CSP, step 3.2: "If token is an empty string, or if
  // token is not an ASCII string, continue."
  CspParseResult parsed = ParseContentSecurityPolicies(
      {"connect-src 'self' https://\xC3\xBC.test; img-src *"},
      CspDisposition::kEnforce);
  ASSERT_EQ(parsed.list->policies.size(), 1u);
  EXPECT_EQ(parsed.list->policies[0].Find("connect-src"), nullptr);
  ASSERT_EQ(parsed.warnings.size(), 1u);
  EXPECT_NE(parsed.warnings[0].find("not ASCII"), std::string::npos)
      << parsed.warnings[0];
}

}  // namespace
}  // namespace fetch_later::net
