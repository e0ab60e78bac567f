#include "net/host_resolver.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/port_util.h"

namespace fetch_later::net {
namespace {

std::string ResolveOne(const HostResolver& r, const char* host, uint16_t port) {
  absl::StatusOr<std::vector<IpEndpoint>> e = r.Resolve(host, port);
  if (!e.ok())
    return std::string(e.status().ToString());
  return (*e)[0].ToString();
}

TEST(HostResolverTest, ChromiumStyleRules) {
  absl::StatusOr<HostResolver> r = HostResolver::Create(
      "EXCLUDE keep.test, MAP a.test 127.0.0.1:4433, MAP *.b.test [::1]:99 ,"
      "MAP gone.test ~NOTFOUND, MAP * 127.0.0.2");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ResolveOne(*r, "a.test", 443), "127.0.0.1:4433");
  EXPECT_EQ(ResolveOne(*r, "x.B.test", 443), "[::1]:99");
  EXPECT_EQ(ResolveOne(*r, "other.test", 8443), "127.0.0.2:8443");  // port kept
  EXPECT_TRUE(absl::IsNotFound(r->Resolve("gone.test", 443).status()));
  // IP literals in the URL go through the rules too (MAP *), and resolve
  // without DNS.
  EXPECT_EQ(ResolveOne(*r, "[::1]", 443), "127.0.0.2:443");
}

TEST(HostResolverTest, LiteralsWithoutRules) {
  HostResolver r = *HostResolver::Create("");
  EXPECT_EQ(ResolveOne(r, "127.0.0.1", 443), "127.0.0.1:443");
  EXPECT_EQ(ResolveOne(r, "[::1]", 8443), "[::1]:8443");
}

TEST(HostResolverTest, BadRules) {
  EXPECT_FALSE(HostResolver::Create("MAP a.test").ok());
  EXPECT_FALSE(HostResolver::Create("MAP a.test 1.2.3.4:99999").ok());
  EXPECT_FALSE(HostResolver::Create("REWRITE a b").ok());
}

// Fetch: "bad port" table, both ends and the ranges.
TEST(PortUtilTest, FetchBadPorts) {
  for (uint32_t p :
       {0u,   1u,    7u,    21u,   22u,   25u,   110u,  143u,  587u,  993u,
        995u, 2049u, 5060u, 6000u, 6665u, 6666u, 6669u, 6679u, 6697u, 10080u}) {
    EXPECT_TRUE(IsBadPort(p)) << p;
  }
  for (uint32_t p : {80u, 443u, 8080u, 8443u, 6664u, 6670u, 10081u, 65535u}) {
    EXPECT_FALSE(IsBadPort(p)) << p;
    EXPECT_TRUE(IsPortAllowedByFetch(p)) << p;
  }
}

}  // namespace
}  // namespace fetch_later::net
