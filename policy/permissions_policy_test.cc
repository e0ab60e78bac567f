#include "policy/permissions_policy.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::policy {
namespace {

constexpr Feature kDF = Feature::kDeferredFetch;
constexpr Feature kMin = Feature::kDeferredFetchMinimal;

// "opaque" gives a new opaque origin; anything else is parsed as a URL.
net::Origin O(absl::string_view spec) {
  if (spec == "opaque")
    return net::Origin::CreateOpaque();
  absl::StatusOr<net::Origin> origin = net::Origin::Parse(spec);
  EXPECT_TRUE(origin.ok()) << spec << ": " << origin.status();
  return origin.ok() ? *origin : net::Origin::CreateOpaque();
}

// "absent" when the directive has no declaration for `feature`.
std::string Describe(const PolicyDirective& directive, Feature feature) {
  return directive.Contains(feature) ? directive.Get(feature)->DebugString()
                                     : "absent";
}

// ---------------------------------------------------------------------------------------------
// Features and defaults.

TEST(PermissionsPolicyTest, FeatureNamesAndDefaults) {
  // Fetch spec: "deferred-fetch" default 'self', "deferred-fetch-minimal"
  // default * (SPEC-NOTES 1.8).
  EXPECT_EQ(FeatureFromName("deferred-fetch"), kDF);
  EXPECT_EQ(FeatureFromName("deferred-fetch-minimal"), kMin);
  EXPECT_EQ(FeatureFromName("Deferred-Fetch"), std::nullopt);
  EXPECT_EQ(FeatureFromName("geolocation"), std::nullopt);
  EXPECT_EQ(FeatureName(kDF), "deferred-fetch");
  EXPECT_EQ(FeatureName(kMin), "deferred-fetch-minimal");
  EXPECT_EQ(DefaultAllowlistFor(kDF), DefaultAllowlist::kSelf);
  EXPECT_EQ(DefaultAllowlistFor(kMin), DefaultAllowlist::kAll);
}

// ---------------------------------------------------------------------------------------------
// Permissions-Policy header: "construct policy from dictionary and origin".

struct HeaderCase {
  const char* source;
  const char* header;
  const char* deferred_fetch;  // Describe() of the result
  const char* minimal;
  int warnings;
  bool error;
};

TEST(PermissionsPolicyTest, HeaderToAllowlist) {
  const HeaderCase kCases[] = {
      {"WPT J-44 .headers", "deferred-fetch=*", "*", "absent", 0, false},
      {"WPT J-47 .headers", "deferred-fetch=()", "self=none src=none []",
       "absent", 0, false},
      {"SPEC-NOTES 1.15", "deferred-fetch=(self)",
       "self=https://a.test src=none []", "absent", 0, false},
      {"PP spec 'construct policy' step 3.6.1: bare token self",
       "deferred-fetch=self", "self=https://a.test src=none []", "absent", 0,
       false},
      {"SPEC-NOTES 1.15 (spec worked example)",
       "deferred-fetch=(self \"https://b.test\")",
       "self=https://a.test src=none [https://b.test]", "absent", 0, false},
      {"SPEC-NOTES 1.15: reclaim the minimal 128 KiB",
       "deferred-fetch-minimal=()", "absent", "self=none src=none []", 0,
       false},
      {"MDN quota page (SPEC-NOTES 2.4): origin twice is one expression "
       "(ordered set)",
       "deferred-fetch=(\"https://c.com\" \"https://c.com\")",
       "self=none src=none [https://c.com]", "absent", 0, false},
      {"PP spec step 3.1: unknown features are skipped silently",
       "geolocation=*, deferred-fetch=self, fullscreen=()",
       "self=https://a.test src=none []", "absent", 0, false},
      {"PP spec 'construct policy' step 3.6: a bare string adds no origin, "
       "an empty allowlist (Chromium: a one-origin allowlist)",
       "deferred-fetch-minimal=\"https://a.test\"", "absent",
       "self=none src=none []", 1, false},
      {"PP spec 'construct policy' step 3.6: a bare token other than self is "
       "an empty allowlist",
       "deferred-fetch=none, deferred-fetch-minimal=self",
       "self=none src=none []", "self=https://a.test src=none []", 1, false},
      {"PP spec 'construct policy' step 3.6: a key without value (?1) is an "
       "empty allowlist",
       "deferred-fetch", "self=none src=none []", "absent", 1, false},
      {"RFC 8941: uppercase key fails; the header is ignored as a whole",
       "deferred-fetch-minimal=(), Deferred-Fetch=*", "absent", "absent", 0,
       true},
      {"RFC 8941: trailing comma fails; the header is ignored as a whole",
       "deferred-fetch=*,", "absent", "absent", 0, true},
      // The header's members are permissions-source-expressions (CSP
      // source expressions), kept as written: no reduction to an origin.
      {"permissions-source-expression: a path is kept; a query is no "
       "source expression",
       "deferred-fetch=(\"https://b.test:8443/path?q#f\" "
       "\"HTTPS://B.TEST:443/x\")",
       "self=none src=none [HTTPS://B.TEST:443/x]", "absent", 1, false},
      {"permissions-source-expression: scheme-source",
       "deferred-fetch=(self \"https:\")",
       "self=https://a.test src=none [https:]", "absent", 0, false},
      {"permissions-source-expression: wildcard host",
       "deferred-fetch=(\"https://*.b.test\")",
       "self=none src=none [https://*.b.test]", "absent", 0, false},
      {"PP spec: opaque (data:) and unparsable strings skipped, with warnings",
       "deferred-fetch=(\"data:,x\" \"not a url\" \"https://b.test\")",
       "self=none src=none [https://b.test]", "absent", 2, false},
      {"PP spec: non-string, non-self items in an inner list are ignored",
       "deferred-fetch=(self 1 ?1 other)", "self=https://a.test src=none []",
       "absent", 3, false},
      {"PP spec step 3.5: an inner list containing * is *",
       "deferred-fetch=(self \"https://b.test\" *)", "*", "absent", 0, false},
      {"PP spec: parameters (report-to) ignored",
       "deferred-fetch=(self);report-to=\"ep\", deferred-fetch-minimal=*;x=1",
       "self=https://a.test src=none []", "*", 0, false},
      {"RFC 8941 4.2.2: duplicate key, last value wins",
       "deferred-fetch=*, deferred-fetch=()", "self=none src=none []", "absent",
       0, false},
      {"RFC 8941: empty header is an empty dictionary", "", "absent", "absent",
       0, false},
      {"RFC 8941: OWS around commas",
       "deferred-fetch=self ,\tdeferred-fetch-minimal=()",
       "self=https://a.test src=none []", "self=none src=none []", 0, false},
  };
  const net::Origin a = O("https://a.test");
  for (const HeaderCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.header));
    DeclaredPolicyResult result = ParsePermissionsPolicyHeader(c.header, a);
    EXPECT_EQ(Describe(result.policy, kDF), c.deferred_fetch);
    EXPECT_EQ(Describe(result.policy, kMin), c.minimal);
    EXPECT_EQ(static_cast<int>(result.warnings.size()), c.warnings)
        << absl::StrJoin(result.warnings, "\n");
    EXPECT_EQ(!result.error.empty(), c.error) << result.error;
  }
}

TEST(PermissionsPolicyTest, HeaderErrorAndWarningMessages) {
  const net::Origin a = O("https://a.test");
  DeclaredPolicyResult bad =
      ParsePermissionsPolicyHeader("deferred-fetch=*,", a);
  EXPECT_EQ(bad.error,
            "Permissions-Policy: at offset 17: trailing ',' in dictionary "
            "(found end of input)");
  DeclaredPolicyResult upper =
      ParsePermissionsPolicyHeader("Deferred-Fetch=*", a);
  EXPECT_EQ(upper.error,
            "Permissions-Policy: at offset 0: a key must start with a "
            "lowercase letter or '*' "
            "(found 'D')");

  DeclaredPolicyResult bare = ParsePermissionsPolicyHeader(
      "geolocation=*, deferred-fetch-minimal=\"https://a.test\"", a);
  EXPECT_TRUE(bare.error.empty());
  ASSERT_EQ(bare.warnings.size(), 1u);
  EXPECT_EQ(bare.warnings[0],
            "Permissions-Policy: member 2 "
            "(deferred-fetch-minimal=\"https://a.test\"): a bare "
            "item other than the tokens * and self adds no origin; empty "
            "allowlist (the feature is disabled for every origin)");

  DeclaredPolicyResult opaque =
      ParsePermissionsPolicyHeader("deferred-fetch=(\"data:,x\")", a);
  ASSERT_EQ(opaque.warnings.size(), 1u);
  EXPECT_EQ(opaque.warnings[0],
            "Permissions-Policy: member 1 (deferred-fetch) item 1 \"data:,x\" "
            "is not a permissions-source-expression (source expression "
            "\"data:,x\": not a valid port); item ignored");
}

// The header's allowlist members are matched with CSP's "does url match
// expression in origin with redirect count?" (net/csp_source_expression.h),
// the origin's serialization being the URL.
TEST(PermissionsPolicyTest, HeaderExpressionsMatchLikeCsp) {
  const net::Origin a = O("https://a.test");
  struct Row {
    const char* source;
    const char* header;
    const char* origin;
    bool matches;
  } rows[] = {
      {"scheme-source", "deferred-fetch=(\"https:\")", "https://x.test", true},
      {"wildcard host: a subdomain", "deferred-fetch=(\"https://*.b.test\")",
       "https://x.b.test", true},
      {"wildcard host: not the domain itself",
       "deferred-fetch=(\"https://*.b.test\")", "https://b.test", false},
      {"port given", "deferred-fetch=(\"https://b.test:8443\")",
       "https://b.test:8443", true},
      {"port absent: default only", "deferred-fetch=(\"https://b.test\")",
       "https://b.test:8443", false},
      {"scheme upgrade", "deferred-fetch=(\"http://b.test\")", "https://b.test",
       true},
      // The difference from Chromium, which reduces every member to an
      // origin: there "https://b.test/path" is https://b.test and matches.
      {"a path is respected (Chromium: origin only, matches)",
       "deferred-fetch=(\"https://b.test/path\")", "https://b.test", false},
      {"a directory path covering \"/\"",
       "deferred-fetch=(\"https://b.test/\")", "https://b.test", true},
  };
  for (const Row& row : rows) {
    DeclaredPolicyResult result = ParsePermissionsPolicyHeader(row.header, a);
    ASSERT_TRUE(result.policy.Get(kDF).has_value()) << row.source;
    EXPECT_EQ(result.policy.Get(kDF)->Matches(O(row.origin)), row.matches)
        << row.source;
  }
}

// ---------------------------------------------------------------------------------------------
// The `allow` attribute: "parse policy directive".

struct AllowCase {
  const char* source;
  const char* allow;
  bool has_target_origin;  // the declared origin https://b.test is given
  const char* deferred_fetch;
  const char* minimal;
};

TEST(PermissionsPolicyTest, AllowAttributeGrammar) {
  const AllowCase kCases[] = {
      {"WPT J-45: empty targetlist means 'src'", "deferred-fetch", true,
       "self=none src=https://b.test []", "absent"},
      {"PP spec step 2.8: any * makes the allowlist *",
       "deferred-fetch 'self' https://b.test 'src' 'none' *", true, "*",
       "absent"},
      {"PP spec step 2.9.2: 'self', 'src', an origin; 'none' contributes "
       "nothing",
       "deferred-fetch 'self' https://c.test 'src' 'none'", true,
       "self=https://a.test src=https://b.test [https://c.test]", "absent"},
      {"PP spec: 'none' alone gives an empty allowlist",
       "deferred-fetch 'none'", true, "self=none src=none []", "absent"},
      {"SPEC-NOTES 1.15: restrict the minimal grant per frame",
       "deferred-fetch-minimal 'none'", true, "absent",
       "self=none src=none []"},
      {"PP spec step 2: ';'-separated features",
       "deferred-fetch 'self'; deferred-fetch-minimal *", true,
       "self=https://a.test src=none []", "*"},
      {"PP spec steps 2.1-2.2: ASCII whitespace, empty declarations",
       "  ;; deferred-fetch\t\n'self'\f\r ;  ; deferred-fetch-minimal", true,
       "self=https://a.test src=none []", "self=none src=https://b.test []"},
      {"PP spec: keywords are ASCII case-insensitive",
       "deferred-fetch 'SELF' 'Src' 'NONE'", true,
       "self=https://a.test src=https://b.test []", "absent"},
      {"PP spec: feature names are case-sensitive", "Deferred-Fetch 'self'",
       true, "absent", "absent"},
      {"Infra: U+000B is not ASCII whitespace, so the feature name is unknown",
       "deferred-fetch\v'self'", true, "absent", "absent"},
      {"PP spec step 2.4: unknown features skipped",
       "fullscreen; geolocation 'self'", true, "absent", "absent"},
      {"PP spec step 2.9.2.3: origins of URLs; data: (opaque) and junk skipped",
       "deferred-fetch https://b.test:8443/path http://c.test/ data:,x foo "
       "https://c.test "
       "https://b.test:8443",
       true,
       "self=none src=none [https://b.test:8443 http://c.test https://c.test]",
       "absent"},
      {"PP spec step 2.9.1: no target origin, empty targetlist gives an empty "
       "allowlist",
       "deferred-fetch", false, "self=none src=none []", "absent"},
      {"PP spec step 2.9.2.2: 'src' without a target origin is unparsable, "
       "contributes nothing",
       "deferred-fetch 'src' 'self'", false, "self=https://a.test src=none []",
       "absent"},
      {"PP spec: empty attribute", "", true, "absent", "absent"},
  };
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  for (const AllowCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.allow));
    PolicyDirective directive = ParseAllowAttribute(
        c.allow, a,
        c.has_target_origin ? std::optional<net::Origin>(b) : std::nullopt);
    EXPECT_EQ(Describe(directive, kDF), c.deferred_fetch);
    EXPECT_EQ(Describe(directive, kMin), c.minimal);
  }
}

TEST(PermissionsPolicyTest,
     AllowAttributeDuplicateFeatureLastWinsPerSpecChromiumKeepsFirst) {
  // SPEC-NOTES 2.4: "parse policy directive" step 2.10 is a map set, so the
  // last declaration of a feature wins; Chromium 156 keeps the first.
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  PolicyDirective none_then_src =
      ParseAllowAttribute("deferred-fetch 'none'; deferred-fetch", a, b);
  EXPECT_EQ(Describe(none_then_src, kDF), "self=none src=https://b.test []");
  EXPECT_TRUE(
      none_then_src.Get(kDF)->Matches(b));  // Chromium: false ('none' kept)

  PolicyDirective src_then_none =
      ParseAllowAttribute("deferred-fetch; deferred-fetch 'none'", a, b);
  EXPECT_EQ(Describe(src_then_none, kDF), "self=none src=none []");
  EXPECT_FALSE(src_then_none.Get(kDF)->Matches(b));  // Chromium: true
}

TEST(PermissionsPolicyTest,
     AllowAttributeSandboxedSrcMatchesNothingPerSpecChromiumMatches) {
  // SPEC-NOTES 2.4: a sandboxed iframe's declared origin is a new opaque
  // origin, so 'src' (and the empty targetlist) matches no document; Chromium
  // lets it match the frame's opaque origin.
  const net::Origin a = O("https://a.test");
  const net::Origin declared = net::Origin::CreateOpaque();
  const net::Origin document = net::Origin::CreateOpaque();
  PolicyDirective directive =
      ParseAllowAttribute("deferred-fetch", a, declared);
  ASSERT_TRUE(directive.Contains(kDF));
  EXPECT_EQ(Describe(directive, kDF), "self=none src=null []");
  EXPECT_FALSE(directive.Get(kDF)->Matches(document));
  EXPECT_FALSE(directive.Get(kDF)->Matches(O("https://b.test")));
  EXPECT_FALSE(directive.Get(kDF)->Matches(a));
}

// ---------------------------------------------------------------------------------------------
// "matches".

struct MatchCase {
  const char* source;
  const char* allow;  // parsed with container a.test and target origin b.test
  const char* origin;
  bool matches;
};

TEST(PermissionsPolicyTest, AllowlistMatches) {
  const MatchCase kCases[] = {
      {"PP 'matches' step 1", "deferred-fetch *", "https://x.test", true},
      {"PP 'matches' step 1: * matches opaque origins too", "deferred-fetch *",
       "opaque", true},
      {"PP 'matches' step 2: self-origin", "deferred-fetch 'self'",
       "https://a.test", true},
      {"PP 'matches' step 2: same origin includes the port",
       "deferred-fetch 'self'", "https://a.test:8443", false},
      {"PP 'matches' step 3: src-origin", "deferred-fetch", "https://b.test",
       true},
      {"PP 'matches' step 3", "deferred-fetch", "https://a.test", false},
      {"PP 'matches' step 4: opaque never matches expressions",
       "deferred-fetch https://c.test", "opaque", false},
      {"CSP host-source: exact origin", "deferred-fetch https://c.test",
       "https://c.test", true},
      {"CSP host-source: explicit default port",
       "deferred-fetch https://c.test:443", "https://c.test", true},
      {"CSP port-part: a non-default port must be listed",
       "deferred-fetch https://c.test", "https://c.test:8443", false},
      {"CSP port-part: listed non-default port",
       "deferred-fetch https://c.test:8443", "https://c.test:8443", true},
      {"CSP scheme-part: https expression does not match http",
       "deferred-fetch https://c.test", "http://c.test", false},
      {"CSP scheme-part: http expression matches the https upgrade",
       "deferred-fetch http://c.test", "https://c.test", true},
      {"CSP scheme-part + port-part: http://c.test:8080 matches "
       "https://c.test:8080",
       "deferred-fetch http://c.test:8080", "https://c.test:8080", true},
      {"CSP port-part: http://c.test (port 80) does not match "
       "https://c.test:80",
       "deferred-fetch http://c.test", "https://c.test:80", false},
      {"CSP host-part: no implicit subdomains", "deferred-fetch https://c.test",
       "https://sub.c.test", false},
      {"CSP host-part: case-insensitive", "deferred-fetch https://C.TEST",
       "https://c.test", true},
      {"CSP host-part step 4: a trailing dot is part of the host",
       "deferred-fetch https://c.test.", "https://c.test.", true},
      {"CSP host-part step 4: a trailing dot is part of the host",
       "deferred-fetch https://c.test.", "https://c.test", false},
      {"CSP host-part step 1: an IP-address origin never matches an expression "
       "(Chromium's "
       "string compare would)",
       "deferred-fetch https://127.0.0.1:8443", "https://127.0.0.1:8443",
       false},
      {"CSP host-part step 1: IPv6 likewise",
       "deferred-fetch https://[::1]:8443", "https://[::1]:8443", false},
  };
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  for (const MatchCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.allow, " vs ", c.origin));
    PolicyDirective directive = ParseAllowAttribute(c.allow, a, b);
    ASSERT_TRUE(directive.Contains(kDF));
    EXPECT_EQ(directive.Get(kDF)->Matches(O(c.origin)), c.matches)
        << directive.Get(kDF)->DebugString();
  }
}

TEST(PermissionsPolicyTest, SelfMatchesIpAddressOrigins) {
  // PP 'matches' steps 2-3 use same origin, not CSP host matching.
  const net::Origin local = O("https://127.0.0.1:8443");
  PolicyDirective directive =
      ParseAllowAttribute("deferred-fetch 'self'", local, std::nullopt);
  EXPECT_TRUE(directive.Get(kDF)->Matches(O("https://127.0.0.1:8443")));
  EXPECT_FALSE(directive.Get(kDF)->Matches(O("https://127.0.0.1:9443")));
}

TEST(PermissionsPolicyTest, WildcardExpressionMatchesSubdomainsOnly) {
  // CSP "host-part matches" step 3: "*.c.test" matches subdomains of c.test,
  // not c.test. This needs the URL parser to keep '*' in the host ("*" is not a
  // forbidden host code point).
  const net::Origin a = O("https://a.test");
  PolicyDirective directive =
      ParseAllowAttribute("deferred-fetch https://*.c.test", a, a);
  ASSERT_TRUE(directive.Contains(kDF));
  ASSERT_EQ(Describe(directive, kDF), "self=none src=none [https://*.c.test]");
  const Allowlist& allowlist = *directive.Get(kDF);
  EXPECT_TRUE(allowlist.Matches(O("https://x.c.test")));
  EXPECT_TRUE(allowlist.Matches(O("https://y.x.c.test")));
  EXPECT_FALSE(allowlist.Matches(O("https://c.test")));
  EXPECT_FALSE(allowlist.Matches(O("https://xc.test")));
  EXPECT_FALSE(allowlist.Matches(O("https://x.c.test:8443")));
  EXPECT_FALSE(allowlist.Matches(O("http://x.c.test")));
}

// ---------------------------------------------------------------------------------------------
// Documents: "create a permissions policy for a navigable (from response)",
// "get feature value for origin", "is feature enabled in document for origin?".

PermissionsPolicy MakeTop(const net::Origin& origin, absl::string_view header) {
  PermissionsPolicy policy =
      PermissionsPolicy::CreateForNavigable(nullptr, origin);
  policy.SetDeclaredPolicy(ParsePermissionsPolicyHeader(header, origin).policy);
  return policy;
}

PermissionsPolicy MakeChild(const PermissionsPolicy& parent,
                            absl::string_view allow,
                            const net::Origin& declared_origin,
                            const net::Origin& origin,
                            absl::string_view header = "") {
  ContainerInfo iframe{&parent, parent.origin(), std::string(allow),
                       declared_origin};
  PermissionsPolicy policy =
      PermissionsPolicy::CreateForNavigable(&iframe, origin);
  policy.SetDeclaredPolicy(ParsePermissionsPolicyHeader(header, origin).policy);
  return policy;
}

TEST(PermissionsPolicyTest, TopLevelWithoutHeader) {
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  PermissionsPolicy top = MakeTop(a, "");
  EXPECT_TRUE(top.inherited(kDF));
  EXPECT_TRUE(top.inherited(kMin));
  // "check permissions policy" applies the default allowlists...
  EXPECT_TRUE(top.IsFeatureEnabledForOrigin(kDF, a));
  EXPECT_FALSE(top.IsFeatureEnabledForOrigin(kDF, b));
  EXPECT_TRUE(top.IsFeatureEnabledForOrigin(kMin, b));
  // ... "get feature value for origin" does not (step 4: Enabled without a
  // declaration).
  EXPECT_TRUE(top.GetFeatureValueForOrigin(kDF, b));
}

TEST(PermissionsPolicyTest, DeclaredPolicyOnlyForInheritedFeatures) {
  // PP "create a permissions policy for a navigable from response" step 3.
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  PermissionsPolicy top = MakeTop(a, "");
  PermissionsPolicy child =
      MakeChild(top, "", b, b, "deferred-fetch=*, deferred-fetch-minimal=()");
  EXPECT_FALSE(child.inherited(kDF));
  EXPECT_FALSE(child.declared().Contains(kDF));  // dropped: inherited Disabled
  EXPECT_TRUE(child.declared().Contains(kMin));
  EXPECT_FALSE(child.IsFeatureEnabledForOrigin(kDF, b));
  EXPECT_FALSE(child.IsFeatureEnabledForOrigin(kMin, b));
}

// PP "declared origin": an iframe whose node document's active sandboxing
// flags contain the sandboxed origin browsing context flag (the document is
// itself inside sandbox="allow-scripts", so opaque) declares a new opaque
// origin even without its own `sandbox` attribute. Its 'src' (the bare
// allow="deferred-fetch") then matches nothing, not the grandchild's opaque
// origin nor the src URL's b.test; '*' still matches.
TEST(PermissionsPolicyTest, IframeInSandboxedDocumentDeclaresOpaqueOrigin) {
  const net::Origin a = O("https://a.test");
  PermissionsPolicy top = MakeTop(a, "deferred-fetch=*");
  const net::Origin sandboxed_origin = net::Origin::CreateOpaque();
  PermissionsPolicy sandboxed = MakeChild(
      top, "deferred-fetch *", net::Origin::CreateOpaque(), sandboxed_origin);
  ASSERT_TRUE(sandboxed.inherited(kDF));
  ASSERT_TRUE(sandboxed.IsFeatureEnabledForOrigin(kDF, sandboxed_origin));
  const net::Origin grandchild = net::Origin::CreateOpaque();
  EXPECT_FALSE(MakeChild(sandboxed, "deferred-fetch",
                         /*declared_origin=*/net::Origin::CreateOpaque(),
                         grandchild)
                   .inherited(kDF));
  EXPECT_FALSE(MakeChild(sandboxed, "deferred-fetch",
                         net::Origin::CreateOpaque(), O("https://b.test"))
                   .inherited(kDF));
  EXPECT_TRUE(MakeChild(sandboxed, "deferred-fetch *",
                        net::Origin::CreateOpaque(), grandchild)
                  .inherited(kDF));
}

struct InheritCase {
  const char* source;
  const char* top_header;  // top-level document https://a.test (or a.com) with
                           // this header
  const char* allow;       // the iframe's allow attribute
  const char* declared;    // the iframe's declared origin ("opaque": sandboxed)
  const char*
      origin;  // the child document's origin ("opaque": a new opaque origin)
  bool deferred_fetch;  // inherited policy in the child
  bool minimal;
};

TEST(PermissionsPolicyTest, InheritedPolicyForIframe) {
  const InheritCase kCases[] = {
      {"WPT J-43 (no header): same-origin iframe", "", "", "https://a.test",
       "https://a.test", true, true},
      {"WPT J-43 (no header): cross-origin iframe gets minimal only", "", "",
       "https://b.test", "https://b.test", false, true},
      {"WPT J-45: allow=deferred-fetch enables a cross-origin iframe", "",
       "deferred-fetch", "https://b.test", "https://b.test", true, true},
      {"WPT J-45: allow=deferred-fetch on a same-origin iframe", "",
       "deferred-fetch", "https://a.test", "https://a.test", true, true},
      {"PP step 7/8: header naming b does not delegate without allow (the "
       "Fetch spec's "
       "non-normative example and MDN imply it does)",
       "deferred-fetch=(self \"https://b.test\")", "", "https://b.test",
       "https://b.test", false, true},
      {"PP step 7/8: deferred-fetch=* alone does not delegate either (WPT "
       "J-44's cross-origin "
       "frame is 'available' through minimal quota; SPEC-NOTES 1.15 says "
       "otherwise)",
       "deferred-fetch=*", "", "https://b.test", "https://b.test", false, true},
      {"SPEC-NOTES 1.15: header naming b plus allow",
       "deferred-fetch=(self \"https://b.test\")", "deferred-fetch",
       "https://b.test", "https://b.test", true, true},
      {"PP step 3: header not naming c blocks allow=deferred-fetch for c",
       "deferred-fetch=(self \"https://b.test\")", "deferred-fetch",
       "https://c.test", "https://c.test", false, true},
      {"WPT J-47: deferred-fetch=() disables same-origin iframes",
       "deferred-fetch=()", "", "https://a.test", "https://a.test", false,
       true},
      {"WPT J-47: deferred-fetch=() disables cross-origin iframes even with "
       "allow",
       "deferred-fetch=()", "deferred-fetch", "https://b.test",
       "https://b.test", false, true},
      {"SPEC-NOTES 2.4 (MDN example wrong): minimal=(b) without self gives b "
       "nothing (step 2)",
       "deferred-fetch-minimal=(\"https://b.com\")", "", "https://b.com",
       "https://b.com", false, false},
      {"SPEC-NOTES 2.4: minimal=(self b) gives b minimal",
       "deferred-fetch-minimal=(self \"https://b.com\")", "", "https://b.com",
       "https://b.com", false, true},
      {"SPEC-NOTES 2.4: minimal=(self b) gives c nothing",
       "deferred-fetch-minimal=(self \"https://b.com\")", "", "https://c.com",
       "https://c.com", false, false},
      {"SPEC-NOTES 1.15: allow=\"deferred-fetch-minimal 'none'\"", "",
       "deferred-fetch-minimal 'none'", "https://b.test", "https://b.test",
       false, false},
      {"WPT J-46: allow=deferred-fetch, src same-origin, redirected to "
       "cross-origin c",
       "", "deferred-fetch", "https://a.test", "https://c.test", false, true},
      {"WPT J-46: allow=deferred-fetch, src same-origin, redirect ends "
       "same-origin",
       "", "deferred-fetch", "https://a.test", "https://a.test", true, true},
      {"PP step 5: allow=deferred-fetch ('src' b) overrides the 'self' default "
       "for a document "
       "that ends same-origin",
       "", "deferred-fetch", "https://b.test", "https://a.test", false, true},
      {"SPEC-NOTES 2.4: sandboxed iframe, allow=deferred-fetch: 'src' is a new "
       "opaque origin "
       "(Chromium grants deferred-fetch)",
       "", "deferred-fetch", "opaque", "opaque", false, true},
      {"SPEC-NOTES 1.15: sandboxed iframe without allow: minimal by default",
       "", "", "opaque", "opaque", false, true},
      {"PP 'declared origin': <iframe src=about:blank allow=deferred-fetch>: "
       "the src URL's origin is opaque, so 'src' does not match the "
       "about:blank document's (its creator's) origin",
       "", "deferred-fetch", "opaque", "https://a.test", false, true},
      {"PP 'declared origin': <iframe src=about:blank> without allow: the "
       "default 'self' matches the creator's origin",
       "", "", "opaque", "https://a.test", true, true},
      {"SPEC-NOTES 2.4 (MDN 'further subframe' example wrong): (c c) without "
       "self or b",
       "deferred-fetch=(\"https://c.com\" \"https://c.com\")", "deferred-fetch",
       "https://b.com", "https://b.com", false, true},
      {"PP: allow=\"deferred-fetch *\" cannot widen beyond the header (step 3)",
       "deferred-fetch=self", "deferred-fetch *", "https://b.test",
       "https://b.test", false, true},
      {"PP step 5: header * plus an allow attribute naming only c",
       "deferred-fetch=*", "deferred-fetch https://c.test", "https://b.test",
       "https://b.test", false, true},
  };
  for (const InheritCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": header '", c.top_header,
                              "', allow '", c.allow, "', declared ", c.declared,
                              ", origin ", c.origin));
    const bool dot_com = absl::StrContains(c.origin, ".com") ||
                         absl::StrContains(c.declared, ".com");
    const net::Origin top_origin =
        O(dot_com ? "https://a.com" : "https://a.test");
    PermissionsPolicy top = MakeTop(top_origin, c.top_header);
    net::Origin child_origin = O(c.origin);
    ContainerInfo iframe{&top, top_origin, c.allow, O(c.declared)};
    EXPECT_EQ(DefineInheritedPolicyForFeatureInContainerAtOrigin(kDF, &iframe,
                                                                 child_origin),
              c.deferred_fetch);
    EXPECT_EQ(DefineInheritedPolicyForFeatureInContainerAtOrigin(kMin, &iframe,
                                                                 child_origin),
              c.minimal);
    PermissionsPolicy child =
        PermissionsPolicy::CreateForNavigable(&iframe, child_origin);
    EXPECT_EQ(child.inherited(kDF), c.deferred_fetch);
    EXPECT_EQ(child.inherited(kMin), c.minimal);
    EXPECT_EQ(child.IsFeatureEnabledForOrigin(kDF, child_origin),
              c.deferred_fetch);
    EXPECT_EQ(child.IsFeatureEnabledForOrigin(kMin, child_origin), c.minimal);
  }
}

struct TopCase {
  const char* source;
  const char* header;
  bool deferred_fetch;  // IsFeatureEnabledForOrigin(feature, the top's own
                        // origin)
  bool minimal;
};

TEST(PermissionsPolicyTest, TopLevelDocumentItself) {
  const TopCase kCases[] = {
      {"WPT J-43: no header", "", true, true},
      {"WPT J-44", "deferred-fetch=*", true, true},
      {"WPT J-47: deferred-fetch=() disables the top itself",
       "deferred-fetch=()", false, true},
      {"SPEC-NOTES 1.15: deferred-fetch-minimal=() (the top then has 640 KiB)",
       "deferred-fetch-minimal=()", true, false},
      {"SPEC-NOTES 2.4: minimal=(b) excludes the top itself",
       "deferred-fetch-minimal=(\"https://b.com\")", true, false},
      {"SPEC-NOTES 2.4 (MDN): deferred-fetch=(c c) on a.com: the top has 0",
       "deferred-fetch=(\"https://c.com\" \"https://c.com\")", false, true},
      {"PP 'construct policy' step 3.6: a bare string is an empty "
       "allowlist, disabling minimal for the top itself (Chromium: b.com only)",
       "deferred-fetch-minimal=\"https://b.com\"", true, false},
      {"PP 'construct policy' step 3.6: a bare string naming the top's own "
       "origin still disables deferred-fetch there (Chromium: enabled)",
       "deferred-fetch=\"https://a.com\"", false, true},
      {"Invalid header ignored as a whole",
       "deferred-fetch=(), Deferred-Fetch=*", true, true},
  };
  const net::Origin a = O("https://a.com");
  for (const TopCase& c : kCases) {
    SCOPED_TRACE(absl::StrCat(c.source, ": ", c.header));
    PermissionsPolicy top = MakeTop(a, c.header);
    EXPECT_EQ(top.IsFeatureEnabledForOrigin(kDF, a), c.deferred_fetch);
    EXPECT_EQ(top.IsFeatureEnabledForOrigin(kMin, a), c.minimal);
  }
}

TEST(PermissionsPolicyTest, NestedChainDelegation) {
  // a > b (allow="deferred-fetch") > c, where b's header delegates to c and b's
  // iframe allows c. Every hop needs the feature for the parent itself, for the
  // child's origin, and a container policy (or same origin) for the child.
  const net::Origin a = O("https://a.test");
  const net::Origin b = O("https://b.test");
  const net::Origin c = O("https://c.test");
  PermissionsPolicy top = MakeTop(a, "");

  PermissionsPolicy b_doc = MakeChild(
      top, "deferred-fetch", b, b, "deferred-fetch=(self \"https://c.test\")");
  EXPECT_TRUE(b_doc.inherited(kDF));
  EXPECT_TRUE(b_doc.declared().Contains(kDF));
  EXPECT_TRUE(b_doc.IsFeatureEnabledForOrigin(kDF, b));
  EXPECT_TRUE(b_doc.IsFeatureEnabledForOrigin(kDF, c));

  PermissionsPolicy c_doc = MakeChild(b_doc, "deferred-fetch", c, c);
  EXPECT_TRUE(c_doc.inherited(kDF));
  EXPECT_TRUE(c_doc.inherited(kMin));

  // Without the allow attribute on b's iframe, the header alone does not
  // delegate (step 8).
  EXPECT_FALSE(MakeChild(b_doc, "", c, c).inherited(kDF));
  // b's header without c: c is Disabled even with the attribute (step 3).
  PermissionsPolicy b_self_only =
      MakeChild(top, "deferred-fetch", b, b, "deferred-fetch=self");
  EXPECT_FALSE(MakeChild(b_self_only, "deferred-fetch", c, c).inherited(kDF));
  // b without a header: the attribute alone is enough (no declaration, step 3
  // Enabled).
  PermissionsPolicy b_no_header = MakeChild(top, "deferred-fetch", b, b);
  EXPECT_TRUE(MakeChild(b_no_header, "deferred-fetch", c, c).inherited(kDF));
  // Without allow on a's iframe, b is Disabled and so is everything below it
  // (step 2), whatever b's header says (its declaration is dropped).
  PermissionsPolicy b_not_allowed =
      MakeChild(top, "", b, b, "deferred-fetch=(self \"https://c.test\")");
  EXPECT_FALSE(b_not_allowed.inherited(kDF));
  EXPECT_FALSE(b_not_allowed.declared().Contains(kDF));
  EXPECT_FALSE(MakeChild(b_not_allowed, "deferred-fetch", c, c).inherited(kDF));
  // deferred-fetch-minimal (default *) flows down the chain.
  EXPECT_TRUE(MakeChild(b_not_allowed, "", c, c).inherited(kMin));
  // A same-origin grandchild of a under b: cross-origin intermediary, default
  // 'self' compares with b, so Disabled without allow.
  EXPECT_FALSE(MakeChild(b_no_header, "", a, a).inherited(kDF));
}

}  // namespace
}  // namespace fetch_later::policy
