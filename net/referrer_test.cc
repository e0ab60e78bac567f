// Tests for Referrer Policy parsing, stripping and "determine request's
// referrer" (net/referrer.h).

#include "net/referrer.h"

#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

Url MustParse(const std::string& input) {
  absl::StatusOr<Url> url = Url::Parse(input);
  EXPECT_TRUE(url.ok()) << input << ": " << url.status();
  return url.ok() ? *std::move(url) : *Url::Parse("invalid:parse-failed");
}

// "" means no referrer.
std::string Referrer(ReferrerPolicy policy,
                     const std::string& source,
                     const std::string& target) {
  std::optional<Url> referrer =
      DetermineRequestReferrer(policy, MustParse(source), MustParse(target));
  return referrer.has_value() ? referrer->Serialize() : "";
}

TEST(ReferrerPolicyTest, ParsesEveryIdlValueAndRoundTrips) {
  const char* kValues[] = {"",
                           "no-referrer",
                           "no-referrer-when-downgrade",
                           "same-origin",
                           "origin",
                           "strict-origin",
                           "origin-when-cross-origin",
                           "strict-origin-when-cross-origin",
                           "unsafe-url"};
  for (const char* value : kValues) {
    absl::StatusOr<ReferrerPolicy> policy = ParseReferrerPolicy(value);
    ASSERT_TRUE(policy.ok()) << value;
    EXPECT_EQ(ReferrerPolicyToString(*policy), value);
  }
}

TEST(ReferrerPolicyTest, RejectsInvalidValues) {
  // WebIDL enums are case-sensitive and have no whitespace trimming.
  const char* kInvalid[] = {"No-Referrer", "unsafe_url", " origin",
                            "always",      "never",      "default"};
  for (const char* value : kInvalid) {
    absl::StatusOr<ReferrerPolicy> policy = ParseReferrerPolicy(value);
    EXPECT_FALSE(policy.ok()) << value;
    EXPECT_NE(policy.status().message().find("ReferrerPolicy"),
              std::string::npos);
  }
}

// Referrer Policy: "strip url for use as a referrer".
struct StripCase {
  const char* source;
  const char* url;
  bool origin_only;
  const char* expected;  // "" = no referrer
};

const StripCase kStripCases[] = {
    {"spec step 3-4: credentials and fragment removed",
     "https://user:pass@a.test/p?q#f", false, "https://a.test/p?q"},
    {"spec step 5: origin only", "https://user:pass@a.test:8443/p?q#f", true,
     "https://a.test:8443/"},
    {"default port is not kept", "https://a.test:443/p", true,
     "https://a.test/"},
    {"spec step 2: about: is a local scheme", "about:blank", false, ""},
    {"spec step 2: about:client", "about:client", true, ""},
    {"spec step 2: data: is a local scheme", "data:text/plain,x", false, ""},
    {"spec step 2: blob: is a local scheme", "blob:https://a.test/uuid", false,
     ""},
    {"http URL kept", "http://a.test/p#f", false, "http://a.test/p"},
    {"empty query kept", "https://a.test/p?#f", false, "https://a.test/p?"},
    {"IPv6 host", "https://[::1]:8080/x?y", true, "https://[::1]:8080/"},
    {"non-special host-less path with empty first segment",
     "web+demo:/.//not-a-host/", false, "web+demo:/.//not-a-host/"},
};

TEST(ReferrerPolicyTest, ParseAReferrerPolicyFromAReferrerPolicyHeader) {
  // Referrer Policy: "parse a referrer policy from a Referrer-Policy header"
  // step 3: each token that is a referrer policy other than "" replaces the
  // result, so the last valid one wins and unknown ones (fallbacks for newer
  // values) are skipped. Several fields arrive combined with ", " (Fetch
  // "extracting header list values" walks them in order).
  struct Row {
    const char* source;
    const char* value;
    ReferrerPolicy want;
  } rows[] = {
      {"one token", "origin", ReferrerPolicy::kOrigin},
      {"step 3: the last valid token wins", "no-referrer, unsafe-url",
       ReferrerPolicy::kUnsafeUrl},
      {"step 3: unknown tokens are skipped", "same-origin, strict-origin-ish",
       ReferrerPolicy::kSameOrigin},
      {"step 3: an unknown token first", "new-policy, no-referrer",
       ReferrerPolicy::kNoReferrer},
      {"step 3: empty elements are skipped", "strict-origin, , ",
       ReferrerPolicy::kStrictOrigin},
      {"two fields, combined", "unsafe-url, no-referrer",
       ReferrerPolicy::kNoReferrer},
      {"whitespace around tokens", " \torigin-when-cross-origin\t ",
       ReferrerPolicy::kOriginWhenCrossOrigin},
      {"step 2: nothing valid: the empty string", "unknown",
       ReferrerPolicy::kEmpty},
      {"step 2: an empty value", "", ReferrerPolicy::kEmpty},
      {"a space is no separator (1#policy-token)", "no-referrer unsafe-url",
       ReferrerPolicy::kEmpty},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(ParseReferrerPolicyHeader(row.value), row.want)
        << row.source << ": \"" << row.value << "\"";
  }
}

TEST(StripUrlForUseAsReferrerTest, Table) {
  for (const StripCase& c : kStripCases) {
    std::optional<Url> stripped =
        StripUrlForUseAsReferrer(MustParse(c.url), c.origin_only);
    EXPECT_EQ(stripped.has_value() ? stripped->Serialize() : "", c.expected)
        << c.source;
  }
}

// WPT fetch/fetch-later/headers/header-referrer-*.https.html (SPEC-NOTES 2.2
// group F). The document is https://a.test/page?x#frag; "full URL" is the
// document URL without its fragment, "origin + /" is "https://a.test/".
constexpr char kDocument[] = "https://a.test/page?x#frag";
constexpr char kFullUrl[] = "https://a.test/page?x";
constexpr char kOriginSlash[] = "https://a.test/";
constexpr char kSameOriginTarget[] = "https://a.test/beacon?i=1";
constexpr char kCrossOriginTarget[] = "https://www1.a.test:8443/beacon?i=1";

struct GroupFCase {
  const char* source;
  ReferrerPolicy policy;
  const char* same_origin;   // expected for kSameOriginTarget ("" = none)
  const char* cross_origin;  // expected for kCrossOriginTarget ("" = none)
};

const GroupFCase kGroupFCases[] = {
    {"WPT F-15 header-referrer-no-referrer", ReferrerPolicy::kNoReferrer, "",
     ""},
    {"WPT F-16 header-referrer-no-referrer-when-downgrade",
     ReferrerPolicy::kNoReferrerWhenDowngrade, kFullUrl, kFullUrl},
    {"WPT F-17 header-referrer-origin", ReferrerPolicy::kOrigin, kOriginSlash,
     kOriginSlash},
    {"WPT F-18 header-referrer-origin-when-cross-origin",
     ReferrerPolicy::kOriginWhenCrossOrigin, kFullUrl, kOriginSlash},
    {"WPT F-19 header-referrer-same-origin", ReferrerPolicy::kSameOrigin,
     kFullUrl, ""},
    {"WPT F-20 header-referrer-strict-origin", ReferrerPolicy::kStrictOrigin,
     kOriginSlash, kOriginSlash},
    {"WPT F-21 header-referrer-strict-origin-when-cross-origin",
     ReferrerPolicy::kStrictOriginWhenCrossOrigin, kFullUrl, kOriginSlash},
    {"WPT F-22 header-referrer-unsafe-url", ReferrerPolicy::kUnsafeUrl,
     kFullUrl, kFullUrl},
    {"Fetch main fetch: empty policy means the default "
     "(strict-origin-when-cross-origin)",
     ReferrerPolicy::kEmpty, kFullUrl, kOriginSlash},
};

TEST(DetermineRequestReferrerTest, WptGroupF) {
  for (const GroupFCase& c : kGroupFCases) {
    EXPECT_EQ(Referrer(c.policy, kDocument, kSameOriginTarget), c.same_origin)
        << c.source << " (same-origin target)";
    EXPECT_EQ(Referrer(c.policy, kDocument, kCrossOriginTarget), c.cross_origin)
        << c.source << " (cross-origin target)";
  }
}

// Downgrades: an https referrer source and a request URL that is not
// potentially trustworthy.
struct DowngradeCase {
  const char* source;
  ReferrerPolicy policy;
  const char* referrer_source;
  const char* target;
  const char* expected;
};

const DowngradeCase kDowngradeCases[] = {
    {"no-referrer-when-downgrade: https -> http",
     ReferrerPolicy::kNoReferrerWhenDowngrade, kDocument,
     "http://b.test/beacon", ""},
    {"no-referrer-when-downgrade: https -> http://localhost is no downgrade",
     ReferrerPolicy::kNoReferrerWhenDowngrade, kDocument,
     "http://localhost/beacon", kFullUrl},
    {"no-referrer-when-downgrade: http -> http",
     ReferrerPolicy::kNoReferrerWhenDowngrade, "http://a.test/p#f",
     "http://b.test/", "http://a.test/p"},
    {"strict-origin: https -> http", ReferrerPolicy::kStrictOrigin, kDocument,
     "http://a.test/beacon", ""},
    {"strict-origin: https -> http://127.0.0.1", ReferrerPolicy::kStrictOrigin,
     kDocument, "http://127.0.0.1/beacon", kOriginSlash},
    {"strict-origin-when-cross-origin: https -> http (cross-origin)",
     ReferrerPolicy::kStrictOriginWhenCrossOrigin, kDocument,
     "http://a.test/beacon", ""},
    {"default policy: https -> http", ReferrerPolicy::kEmpty, kDocument,
     "http://b.test/beacon", ""},
    {"strict-origin-when-cross-origin: http -> http same origin",
     ReferrerPolicy::kStrictOriginWhenCrossOrigin, "http://a.test/p?q",
     "http://a.test/x", "http://a.test/p?q"},
    {"origin-when-cross-origin ignores downgrades",
     ReferrerPolicy::kOriginWhenCrossOrigin, kDocument, "http://b.test/",
     kOriginSlash},
    {"origin ignores downgrades", ReferrerPolicy::kOrigin, kDocument,
     "http://b.test/", kOriginSlash},
    {"unsafe-url ignores downgrades", ReferrerPolicy::kUnsafeUrl, kDocument,
     "http://b.test/", kFullUrl},
    {"same-origin: scheme differs -> cross-origin", ReferrerPolicy::kSameOrigin,
     kDocument, "http://a.test/page", ""},
    {"same-origin: port differs -> cross-origin", ReferrerPolicy::kSameOrigin,
     kDocument, "https://a.test:8443/", ""},
    {"local-scheme source: no referrer for any policy",
     ReferrerPolicy::kUnsafeUrl, "about:blank", "https://a.test/", ""},
    {"credentials in the source are never sent", ReferrerPolicy::kUnsafeUrl,
     "https://u:p@a.test/x#y", "https://b.test/", "https://a.test/x"},
};

TEST(DetermineRequestReferrerTest, Downgrades) {
  for (const DowngradeCase& c : kDowngradeCases) {
    EXPECT_EQ(Referrer(c.policy, c.referrer_source, c.target), c.expected)
        << c.source;
  }
}

// Referrer Policy "determine request's referrer" step 6: a full referrer
// longer than 4096 bytes is replaced by the origin-only referrer.
TEST(DetermineRequestReferrerTest, LengthLimitFallsBackToOrigin) {
  const std::string prefix = "https://a.test/";
  // Exactly 4096 bytes: kept.
  const std::string at_limit =
      prefix + std::string(kMaxReferrerLength - prefix.size(), 'a');
  ASSERT_EQ(at_limit.size(), kMaxReferrerLength);
  EXPECT_EQ(Referrer(ReferrerPolicy::kUnsafeUrl, at_limit, "https://b.test/"),
            at_limit);
  // 4097 bytes: origin only, for every policy that would send the full URL.
  const std::string over_limit = at_limit + "b";
  EXPECT_EQ(Referrer(ReferrerPolicy::kUnsafeUrl, over_limit, "https://b.test/"),
            kOriginSlash);
  EXPECT_EQ(
      Referrer(ReferrerPolicy::kSameOrigin, over_limit, "https://a.test/x"),
      kOriginSlash);
  EXPECT_EQ(Referrer(ReferrerPolicy::kStrictOriginWhenCrossOrigin, over_limit,
                     "https://a.test/x"),
            kOriginSlash);
  // The fragment is stripped before measuring: 4096 bytes + "#frag" is kept.
  EXPECT_EQ(Referrer(ReferrerPolicy::kUnsafeUrl, at_limit + "#frag",
                     "https://b.test/"),
            at_limit);
  // A long query counts too.
  const std::string long_query =
      prefix + "?" + std::string(kMaxReferrerLength, 'q');
  EXPECT_EQ(Referrer(ReferrerPolicy::kNoReferrerWhenDowngrade, long_query,
                     "https://b.test/"),
            kOriginSlash);
}

}  // namespace
}  // namespace fetch_later::net
