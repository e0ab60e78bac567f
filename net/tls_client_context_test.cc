// Certificate verification at the function level, with leaves minted by the
// test CA: the live handshake uses exactly these settings
// (ConfigureHostVerification on the same store), and the stage tests cover
// wrong host and untrusted CA over real sockets. An expired leaf can only be
// tested here, because HttpsTestServer mints its own (valid) leaf for each SNI
// name.
#include "net/tls_client_context.h"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/testing/https_test_server.h"

namespace fetch_later::net {
namespace {

using ::testing::HasSubstr;
using testing::TestCertificateAuthority;

class TlsClientContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    TlsClientContext::Options options;
    options.ca_pem = ca_->root_pem();
    auto ctx = TlsClientContext::Create(options);
    ASSERT_TRUE(ctx.ok()) << ctx.status();
    ctx_ = std::move(*ctx);
  }
  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<TlsClientContext> ctx_;
};

TEST_F(TlsClientContextTest, ValidLeafForItsHost) {
  auto leaf = ca_->MintLeaf("a.test");
  ASSERT_TRUE(leaf.ok());
  EXPECT_TRUE(ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test").ok());
}

TEST_F(TlsClientContextTest, WrongHostIsRejected) {
  auto leaf = ca_->MintLeaf("b.test");
  ASSERT_TRUE(leaf.ok());
  absl::Status s = ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("ostname mismatch"));
}

TEST_F(TlsClientContextTest, ExpiredLeafIsRejected) {
  const absl::Time now = absl::Now();
  auto leaf =
      ca_->MintLeaf("a.test", now - absl::Hours(20), now - absl::Hours(2));
  ASSERT_TRUE(leaf.ok());
  absl::Status s = ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("expired"));
  // The same leaf verifies at a time inside its validity: only expiry is wrong
  // with it.
  EXPECT_TRUE(ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test",
                                          now - absl::Hours(10))
                  .ok());
}

TEST_F(TlsClientContextTest, NotYetValidLeafIsRejected) {
  const absl::Time now = absl::Now();
  auto leaf =
      ca_->MintLeaf("a.test", now + absl::Hours(24), now + absl::Hours(48));
  ASSERT_TRUE(leaf.ok());
  EXPECT_FALSE(ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test").ok());
}

TEST_F(TlsClientContextTest, UntrustedCaIsRejected) {
  auto other = TestCertificateAuthority::Create("Some Other Root");
  ASSERT_TRUE(other.ok());
  auto leaf = (*other)->MintLeaf("a.test");
  ASSERT_TRUE(leaf.ok());
  absl::Status s = ctx_->VerifyChainForTesting(leaf->cert_pem, "a.test");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("local issuer"));
}

TEST_F(TlsClientContextTest, IpLiteralsMatchIpSubjectAltNames) {
  auto leaf = ca_->MintLeaf("127.0.0.1");
  ASSERT_TRUE(leaf.ok());
  EXPECT_TRUE(ctx_->VerifyChainForTesting(leaf->cert_pem, "127.0.0.1").ok());
  EXPECT_FALSE(ctx_->VerifyChainForTesting(leaf->cert_pem, "127.0.0.2").ok());
  // A DNS-name leaf does not match an IP host.
  auto dns_leaf = ca_->MintLeaf("a.test");
  EXPECT_FALSE(
      ctx_->VerifyChainForTesting(dns_leaf->cert_pem, "127.0.0.1").ok());
}

TEST(TlsClientContextCreateTest, TrustAnchorsAreRequired) {
  TlsClientContext::Options options;
  options.ca_pem = "not a certificate";
  EXPECT_FALSE(TlsClientContext::Create(options).ok());
  options.ca_pem.clear();
  options.ca_bundle_path = "/nonexistent/ca.pem";
  EXPECT_FALSE(TlsClientContext::Create(options).ok());
  options.ca_bundle_path = kSystemCaBundlePath;  // the default
  EXPECT_TRUE(TlsClientContext::Create(options).ok());
}

TEST(TlsClientContextCreateTest, NewClientSslSetsSniForNamesOnly) {
  TlsClientContext::Options options;
  auto ctx = TlsClientContext::Create(options);
  ASSERT_TRUE(ctx.ok());
  auto ssl = (*ctx)->NewClientSsl("a.test");
  ASSERT_TRUE(ssl.ok());
  EXPECT_STREQ(SSL_get_servername(ssl->get(), TLSEXT_NAMETYPE_host_name),
               "a.test");
  auto ip_ssl = (*ctx)->NewClientSsl("[::1]");
  ASSERT_TRUE(ip_ssl.ok());
  EXPECT_EQ(SSL_get_servername(ip_ssl->get(), TLSEXT_NAMETYPE_host_name),
            nullptr);
}

}  // namespace
}  // namespace fetch_later::net
