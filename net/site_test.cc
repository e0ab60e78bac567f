// Tests for schemeful sites over the Public Suffix List (net/site.h).

#include "net/site.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {
namespace {

SchemefulSite SiteOf(const char* url) {
  absl::StatusOr<Url> parsed = Url::Parse(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status();
  return SchemefulSite::Create(
      Origin::Create(parsed.ok() ? *parsed : *Url::Parse("data:,")));
}

struct SiteCase {
  const char* source;
  const char* url;
  const char* site;
};

constexpr char kHtml[] = "HTML: obtain a site";
constexpr char kPsl[] = "Public Suffix List";

const SiteCase kSiteCases[] = {
    {"site.h example", "https://a.b.example.co.uk/", "https://example.co.uk"},
    {kPsl, "https://example.co.uk", "https://example.co.uk"},
    {kPsl, "https://www.example.com/x", "https://example.com"},
    {kPsl, "https://EXAMPLE.com./", "https://example.com."},
    {kHtml, "http://example.co.uk:8080/", "http://example.co.uk"},
    {kHtml, "wss://chat.example.com:8443/", "wss://example.com"},
    {"PSL private section: github.io", "https://foo.github.io/x",
     "https://foo.github.io"},
    {"PSL private section: github.io", "https://a.foo.github.io/",
     "https://foo.github.io"},
    {"PSL private section: appspot.com", "https://x.example.appspot.com/",
     "https://example.appspot.com"},
    {"HTML: public suffix is its own site", "https://github.io/",
     "https://github.io"},
    {"HTML: public suffix is its own site", "https://co.uk/", "https://co.uk"},
    {"HTML: no registrable domain", "http://localhost:3000/",
     "http://localhost"},
    {"HTML: IPv4 host", "https://127.0.0.1:8443/", "https://127.0.0.1"},
    {"HTML: IPv4 host", "http://192.168.0.1/", "http://192.168.0.1"},
    {"HTML: IPv6 host", "https://[::1]/", "https://[::1]"},
    {"PSL with IDNA", "https://www.m\xc3\xbcnchen.de/",
     "https://xn--mnchen-3ya.de"},
    {"PSL with IDNA", "https://a.xn--85x722f.xn--55qx5d.cn/",
     "https://xn--85x722f.xn--55qx5d.cn"},
    {"HTML: opaque origin", "data:,x", "null"},
};

TEST(SchemefulSiteTest, CreateAndSerialize) {
  for (const SiteCase& c : kSiteCases) {
    SCOPED_TRACE(std::string(c.source) + ": " + c.url);
    EXPECT_EQ(SiteOf(c.url).Serialize(), c.site);
  }
}

TEST(SchemefulSiteTest, SameSite) {
  EXPECT_TRUE(SiteOf("https://a.example.com/")
                  .IsSameSiteWith(SiteOf("https://b.example.com:444/")));
  EXPECT_TRUE(SiteOf("https://example.com/")
                  .IsSameSiteWith(SiteOf("https://www.example.com/")));
  // Schemeful: http and https are different sites.
  EXPECT_FALSE(SiteOf("http://example.com/")
                   .IsSameSiteWith(SiteOf("https://example.com/")));
  EXPECT_FALSE(SiteOf("https://a.github.io/")
                   .IsSameSiteWith(SiteOf("https://b.github.io/")));
  EXPECT_FALSE(SiteOf("https://example.co.uk/")
                   .IsSameSiteWith(SiteOf("https://other.co.uk/")));
  EXPECT_FALSE(SiteOf("https://127.0.0.1/")
                   .IsSameSiteWith(SiteOf("https://127.0.0.2/")));
}

TEST(SchemefulSiteTest, OpaqueOriginIsItsOwnSite) {
  const Origin opaque = Origin::CreateOpaque();
  const SchemefulSite site = SchemefulSite::Create(opaque);
  EXPECT_TRUE(site.opaque());
  EXPECT_EQ(site.Serialize(), "null");
  EXPECT_TRUE(site.IsSameSiteWith(SchemefulSite::Create(opaque)));
  EXPECT_FALSE(
      site.IsSameSiteWith(SchemefulSite::Create(Origin::CreateOpaque())));
}

TEST(SchemefulSiteTest, Accessors) {
  const SchemefulSite site = SiteOf("https://a.b.example.co.uk:8443/");
  EXPECT_FALSE(site.opaque());
  EXPECT_EQ(site.scheme(), "https");
  EXPECT_EQ(site.registrable_domain_or_host(), "example.co.uk");
}

TEST(SchemefulSiteTest, HashingAgreesWithEquality) {
  absl::flat_hash_set<SchemefulSite> set = {
      SiteOf("https://a.example.com/"), SiteOf("https://b.example.com/"),
      SiteOf("http://example.com/"), SiteOf("https://example.org/")};
  EXPECT_EQ(set.size(), 3u);
}

}  // namespace
}  // namespace fetch_later::net
