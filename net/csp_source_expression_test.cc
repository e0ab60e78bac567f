// Tests for CSP source expressions and "does url match expression in origin
// with redirect count?" (net/csp_source_expression.h). Each row names the CSP3
// step (webappsec-csp, section 6.7.2) or the WPT file it follows.

#include "net/csp_source_expression.h"

#include <string>

#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

Url U(const std::string& s) {
  absl::StatusOr<Url> url = Url::Parse(s);
  EXPECT_TRUE(url.ok()) << s;
  return *url;
}

Origin O(const std::string& s) {
  return *Origin::Parse(s);
}

TEST(CspSourceExpressionTest, ParsesEachProduction) {
  struct Row {
    const char* text;
    CspSourceExpression::Kind kind;
    const char* scheme;
    const char* host;
    const char* port;  // nullptr: absent
    const char* path;
  } rows[] = {
      {"*", CspSourceExpression::Kind::kStar, "", "", nullptr, ""},
      {"https:", CspSourceExpression::Kind::kScheme, "https", "", nullptr, ""},
      {"HTTPS:", CspSourceExpression::Kind::kScheme, "https", "", nullptr, ""},
      {"b.test", CspSourceExpression::Kind::kHost, "", "b.test", nullptr, ""},
      {"https://*.B.test:8443/beacons/", CspSourceExpression::Kind::kHost,
       "https", "*.b.test", "8443", "/beacons/"},
      {"https://b.test:*", CspSourceExpression::Kind::kHost, "https", "b.test",
       "*", ""},
      {"'self'", CspSourceExpression::Kind::kSelf, "", "", nullptr, ""},
      {"'SELF'", CspSourceExpression::Kind::kSelf, "", "", nullptr, ""},
      {"'none'", CspSourceExpression::Kind::kNone, "", "", nullptr, ""},
      {"'unsafe-inline'", CspSourceExpression::Kind::kKeyword, "", "", nullptr,
       ""},
      // CSP3 keyword-source: every keyword parses (none matches a URL).
      {"'trusted-types-eval'", CspSourceExpression::Kind::kKeyword, "", "",
       nullptr, ""},
      {"'report-sha256'", CspSourceExpression::Kind::kKeyword, "", "", nullptr,
       ""},
      {"'report-sha384'", CspSourceExpression::Kind::kKeyword, "", "", nullptr,
       ""},
      {"'report-sha512'", CspSourceExpression::Kind::kKeyword, "", "", nullptr,
       ""},
      {"'unsafe-webtransport-hashes'", CspSourceExpression::Kind::kKeyword, "",
       "", nullptr, ""},
      {"'nonce-abc'", CspSourceExpression::Kind::kKeyword, "", "", nullptr, ""},
      {"'sha256-abc='", CspSourceExpression::Kind::kKeyword, "", "", nullptr,
       ""},
  };
  for (const Row& row : rows) {
    absl::StatusOr<CspSourceExpression> e = ParseCspSourceExpression(row.text);
    ASSERT_TRUE(e.ok()) << row.text << ": " << e.status();
    EXPECT_EQ(e->kind, row.kind) << row.text;
    EXPECT_EQ(e->scheme, row.scheme) << row.text;
    EXPECT_EQ(e->host, row.host) << row.text;
    EXPECT_EQ(e->port.has_value(), row.port != nullptr) << row.text;
    if (row.port != nullptr && e->port) {
      EXPECT_EQ(*e->port, row.port) << row.text;
    }
    EXPECT_EQ(e->path, row.path) << row.text;
  }
}

TEST(CspSourceExpressionTest, RejectsMalformedExpressionsSayingWhy) {
  struct Row {
    const char* text;
    const char* why;
  } rows[] = {
      {"", "empty"},
      {"'self", "keyword"},
      {"'unknown-keyword'", "keyword"},
      {"1https:", "scheme"},
      {"https://b.test:x", "port"},
      {"https://b.test:99999", "port"},
      {"https://b_test", "host"},
      {"https://*b.test", "host"},
      {"https://b.test//x", "path"},
      {"https://", "host"},
  };
  for (const Row& row : rows) {
    absl::StatusOr<CspSourceExpression> e = ParseCspSourceExpression(row.text);
    ASSERT_FALSE(e.ok()) << row.text;
    EXPECT_NE(std::string(e.status().message()).find(row.why),
              std::string::npos)
        << row.text << ": " << e.status();
  }
}

TEST(CspSourceExpressionTest, DoesUrlMatchExpressionInOrigin) {
  const Origin self = O("https://a.test");
  struct Row {
    const char* source;  // spec step or WPT file
    const char* expression;
    const char* url;
    int redirect_count;
    bool matches;
  } rows[] = {
      // Step 1: "*" matches network schemes.
      {"6.7.2.5 step 1", "*", "https://x.test/", 0, true},
      // Step 1.1 names HTTP(S) schemes only (Chromium's wildcard also takes
      // ws:, wss: and ftp:): other schemes need the origin's scheme.
      {"6.7.2.5 step 1 (not an HTTP(S) scheme)", "*", "wss://x.test/", 0,
       false},
      {"6.7.2.5 step 1 (not an HTTP(S) scheme)", "*", "ws://x.test/", 0, false},
      {"6.7.2.5 step 1 (not an HTTP(S) scheme)", "*", "ftp://x.test/", 0,
       false},
      // Step 2: scheme-source, with upgrades.
      {"6.7.2.5 step 2", "https:", "https://x.test/", 0, true},
      {"6.7.2.5 step 2 (http -> https)", "http:", "https://x.test/", 0, true},
      {"6.7.2.5 step 2", "wss:", "https://x.test/", 0, true},
      {"6.7.2.5 step 2", "ftp:", "https://x.test/", 0, false},
      // Step 3: host-source.
      {"6.7.2.5 step 3.4 (host)", "https://b.test", "https://b.test/x", 0,
       true},
      {"6.7.2.5 step 3.4 (host)", "https://b.test", "https://c.test/x", 0,
       false},
      {"6.7.2.7 host-part wildcard", "https://*.b.test", "https://x.b.test/", 0,
       true},
      {"6.7.2.7 host-part wildcard", "https://*.b.test", "https://y.x.b.test/",
       0, true},
      {"6.7.2.7 wildcard excludes the domain itself", "https://*.b.test",
       "https://b.test/", 0, false},
      // host-part matching step 4: an ASCII case-insensitive match, so a
      // trailing dot (which the grammar allows) matters on either side.
      {"6.7.2.7 step 4 (trailing dot)", "https://b.test.", "https://b.test./",
       0, true},
      {"6.7.2.7 step 4 (trailing dot)", "https://b.test.", "https://b.test/", 0,
       false},
      {"6.7.2.7 step 4 (trailing dot)", "https://b.test", "https://b.test./", 0,
       false},
      {"6.7.2.7 step 4 (case-insensitive)", "https://B.Test", "https://b.test/",
       0, true},
      {"6.7.2.5 step 3.2 (scheme from origin)", "b.test", "https://b.test/", 0,
       true},
      {"6.7.2.5 step 3.3 (no downgrade)", "https://b.test", "http://b.test/", 0,
       false},
      {"6.7.2.8 port absent, URL default", "https://b.test",
       "https://b.test:443/", 0, true},
      {"6.7.2.8 port absent, URL other", "https://b.test",
       "https://b.test:8443/", 0, false},
      {"6.7.2.8 port given", "https://b.test:8443", "https://b.test:8443/", 0,
       true},
      {"6.7.2.8 port given = default", "https://b.test:443", "https://b.test/",
       0, true},
      {"6.7.2.8 port *", "https://b.test:*", "https://b.test:9/", 0, true},
      // Path rules (6.7.2.9), and skipped after a redirect (step 3.6).
      {"6.7.2.9 exact path", "https://b.test/beacon", "https://b.test/beacon",
       0, true},
      {"6.7.2.9 exact path", "https://b.test/beacon", "https://b.test/beacon/x",
       0, false},
      {"6.7.2.9 directory path", "https://b.test/beacons/",
       "https://b.test/beacons/1", 0, true},
      {"6.7.2.9 directory path", "https://b.test/beacons/",
       "https://b.test/other", 0, false},
      {"6.7.2.9 percent-decoded", "https://b.test/a%62c", "https://b.test/abc",
       0, true},
      {"6.7.2.5 step 3.6: no path after a redirect", "https://b.test/beacons/",
       "https://b.test/other", 1, true},
      // 'self' (step 4).
      {"6.7.2.5 step 4 'self'", "'self'", "https://a.test/x", 0, true},
      {"6.7.2.5 step 4 'self'", "'self'", "https://b.test/x", 0, false},
      {"6.7.2.5 step 4 'self'", "'self'", "https://a.test:8443/", 0, false},
      {"keywords never match a URL", "'unsafe-inline'", "https://a.test/", 0,
       false},
  };
  for (const Row& row : rows) {
    absl::StatusOr<CspSourceExpression> e =
        ParseCspSourceExpression(row.expression);
    ASSERT_TRUE(e.ok()) << row.expression;
    EXPECT_EQ(DoesUrlMatchExpressionInOrigin(U(row.url), *e, self,
                                             row.redirect_count),
              row.matches)
        << row.source << ": " << row.expression << " vs " << row.url;
  }
}

TEST(CspSourceExpressionTest, SelfMatchesAnUpgradeFromAnHttpOrigin) {
  // 6.7.2.5 step 4: same host, default ports, http origin -> https URL.
  absl::StatusOr<CspSourceExpression> self = ParseCspSourceExpression("'self'");
  EXPECT_TRUE(DoesUrlMatchExpressionInOrigin(U("https://a.test/"), *self,
                                             O("http://a.test"), 0));
  EXPECT_FALSE(DoesUrlMatchExpressionInOrigin(U("http://a.test/"), *self,
                                              O("https://a.test"), 0));
}

TEST(CspSourceExpressionTest, SelfComparesTheUrlsPortsNotTheEffectivePorts) {
  // 6.7.2.5 step 4.2: "origin's port and url's port are either the same or
  // the default ports for their respective schemes". A URL's port is null
  // when it is its scheme's default, so 443 on http is neither.
  absl::StatusOr<CspSourceExpression> self = ParseCspSourceExpression("'self'");
  struct Row {
    const char* source;
    const char* origin;
    const char* url;
    bool matches;
  } rows[] = {
      {"step 4.2: both default ports", "http://a.test", "https://a.test/",
       true},
      {"step 4.2: the same non-default port", "http://a.test:8080",
       "https://a.test:8080/", true},
      {"step 4.2: https's default port 443 is not http's", "http://a.test:443",
       "https://a.test/", false},
      {"step 4.2: http's default port 80 is not https's", "http://a.test",
       "https://a.test:80/", false},
      {"step 4.2.1: wss upgrade, default ports", "https://a.test",
       "wss://a.test/", true},
      {"step 4.2.2: http to ws, the same port", "http://a.test:8080",
       "ws://a.test:8080/", true},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(
        DoesUrlMatchExpressionInOrigin(U(row.url), *self, O(row.origin), 0),
        row.matches)
        << row.source << ": " << row.origin << " vs " << row.url;
  }
}

TEST(CspSourceExpressionTest, StarMatchesTheOriginsOwnScheme) {
  // 6.7.2.5 step 1.2: "*" also matches a URL whose scheme is the origin's.
  absl::StatusOr<CspSourceExpression> star = ParseCspSourceExpression("*");
  EXPECT_TRUE(DoesUrlMatchExpressionInOrigin(U("wss://x.test/"), *star,
                                             O("wss://a.test"), 0));
  EXPECT_FALSE(DoesUrlMatchExpressionInOrigin(U("wss://x.test/"), *star,
                                              O("https://a.test"), 0));
}

}  // namespace
}  // namespace fetch_later::net
