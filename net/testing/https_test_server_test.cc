// Tests for TestCertificateAuthority and HttpsTestServer, driven by a small
// blocking BoringSSL client that trusts only the test root and checks the host
// name, as the browser will.

#include "net/testing/https_test_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::net::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

// ---- A minimal TLS client ----

bssl::UniquePtr<X509> ParsePem(const std::string& pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  return bssl::UniquePtr<X509>(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Connects to 127.0.0.1:`port`; returns the socket, or -1 with `*error` set to
// errno.
int ConnectTcp(uint16_t port, int* error) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = errno;
    return -1;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = errno;
    close(fd);
    return -1;
  }
  const int one = 1;  // no Nagle delay between the TLS Finished and a request
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  *error = 0;
  return fd;
}

void SetReadTimeout(int fd, absl::Duration timeout) {
  const timeval tv = absl::ToTimeval(timeout);
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// One blocking TLS connection that trusts only `root_pem` and verifies the
// certificate for `verify_host` (the SNI name unless given). Check
// `connect_errno` and `handshake_ok`.
class TestTlsClient {
 public:
  struct Options {
    std::string sni = "collector.test";  // empty: send no SNI
    std::string verify_host;             // empty: same as `sni`
    uint16_t min_version = TLS1_3_VERSION;
    uint16_t max_version = TLS1_3_VERSION;
  };

  TestTlsClient(uint16_t port, const std::string& root_pem, Options options) {
    signal(
        SIGPIPE,
        SIG_IGN);  // writes to a reset connection must fail, not kill the test
    ctx_.reset(SSL_CTX_new(TLS_method()));
    EXPECT_TRUE(ctx_);
    EXPECT_TRUE(SSL_CTX_set_min_proto_version(ctx_.get(), options.min_version));
    EXPECT_TRUE(SSL_CTX_set_max_proto_version(ctx_.get(), options.max_version));
    X509_STORE* store = SSL_CTX_get_cert_store(ctx_.get());
    bssl::UniquePtr<X509> root = ParsePem(root_pem);
    EXPECT_TRUE(root);
    EXPECT_TRUE(X509_STORE_add_cert(store, root.get()));
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);

    fd_ = ConnectTcp(port, &connect_errno);
    if (fd_ < 0)
      return;
    SetReadTimeout(
        fd_, absl::Seconds(5));  // a broken server fails the test, not hangs it
    ssl_.reset(SSL_new(ctx_.get()));
    EXPECT_TRUE(SSL_set_fd(ssl_.get(), fd_));
    if (!options.sni.empty()) {
      EXPECT_TRUE(SSL_set_tlsext_host_name(ssl_.get(), options.sni.c_str()));
    }
    const std::string host =
        options.verify_host.empty() ? options.sni : options.verify_host;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    // BUILDING.md: a zero length makes this BoringSSL fail every handshake.
    EXPECT_TRUE(X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()));
    handshake_ok = SSL_connect(ssl_.get()) == 1;
    verify_result = SSL_get_verify_result(ssl_.get());
    ERR_clear_error();
  }
  ~TestTlsClient() {
    ssl_.reset();
    if (fd_ >= 0)
      close(fd_);
  }

  SSL* ssl() { return ssl_.get(); }
  int fd() const { return fd_; }

  bool Send(const std::string& data) {
    return SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size())) ==
           static_cast<int>(data.size());
  }

  // Reads one response framed by Content-Length (the server always sends one).
  // On failure returns nullopt with `last_ssl_error` and `last_errno` set.
  std::optional<HttpResponse> ReadResponse() {
    HttpResponse response;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill())
        return std::nullopt;
    }
    response.head = buffer_.substr(0, head_end + 4);
    buffer_.erase(0, head_end + 4);
    std::vector<std::string> parts = absl::StrSplit(response.head, ' ');
    if (parts.size() < 2 || !absl::SimpleAtoi(parts[1], &response.status))
      return std::nullopt;
    size_t length = 0;
    for (absl::string_view line : absl::StrSplit(response.head, "\r\n")) {
      if (absl::StartsWithIgnoreCase(line, "content-length:")) {
        EXPECT_TRUE(absl::SimpleAtoi(line.substr(15), &length)) << line;
      }
    }
    while (buffer_.size() < length) {
      if (!Fill())
        return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  int connect_errno = 0;
  bool handshake_ok = false;
  long verify_result = -1;
  int last_ssl_error = SSL_ERROR_NONE;
  int last_errno = 0;

 private:
  bool Fill() {
    char chunk[4096];
    errno = 0;
    const int n = SSL_read(ssl_.get(), chunk, sizeof(chunk));
    if (n <= 0) {
      last_errno = errno;
      last_ssl_error = SSL_get_error(ssl_.get(), n);
      ERR_clear_error();
      return false;
    }
    buffer_.append(chunk, n);
    return true;
  }

  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  int fd_ = -1;
  std::string buffer_;
};

TestTlsClient::Options Sni(std::string name) {
  TestTlsClient::Options options;
  options.sni = std::move(name);
  return options;
}

std::string Get(absl::string_view host, absl::string_view path) {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, "\r\n\r\n");
}

// A small JSON syntax checker (RFC 8259), enough to tell that a log line
// parses.
class JsonChecker {
 public:
  static bool Valid(absl::string_view text) {
    JsonChecker c(text);
    return c.Value() && (c.SkipWs(), c.pos_ == text.size());
  }

 private:
  explicit JsonChecker(absl::string_view text) : s_(text) {}
  void SkipWs() {
    while (pos_ < s_.size() && absl::string_view(" \t\r\n").find(s_[pos_]) !=
                                   absl::string_view::npos)
      ++pos_;
  }
  bool Eat(char c) {
    SkipWs();
    if (pos_ < s_.size() && s_[pos_] == c)
      return ++pos_, true;
    return false;
  }
  bool String() {
    if (!Eat('"'))
      return false;
    while (pos_ < s_.size()) {
      const unsigned char c = s_[pos_++];
      if (c == '"')
        return true;
      if (c < 0x20)
        return false;
      if (c == '\\') {
        if (pos_ >= s_.size())
          return false;
        const char e = s_[pos_++];
        if (e == 'u') {
          for (int i = 0; i < 4; ++i, ++pos_) {
            if (pos_ >= s_.size() ||
                !isxdigit(static_cast<unsigned char>(s_[pos_])))
              return false;
          }
        } else if (absl::string_view("\"\\/bfnrt").find(e) ==
                   absl::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Number() {
    SkipWs();
    const size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-')
      ++pos_;
    while (pos_ < s_.size() && (isdigit(static_cast<unsigned char>(s_[pos_])) ||
                                absl::string_view(".eE+-").find(s_[pos_]) !=
                                    absl::string_view::npos))
      ++pos_;
    return pos_ > start;
  }
  bool Value() {
    SkipWs();
    if (pos_ >= s_.size())
      return false;
    const char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      if (Eat('}'))
        return true;
      do {
        if (!String() || !Eat(':') || !Value())
          return false;
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++pos_;
      if (Eat(']'))
        return true;
      do {
        if (!Value())
          return false;
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"')
      return String();
    for (absl::string_view word : {"true", "false", "null"}) {
      if (s_.substr(pos_, word.size()) == word)
        return pos_ += word.size(), true;
    }
    return Number();
  }
  absl::string_view s_;
  size_t pos_ = 0;
};

class HttpsTestServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestCertificateAuthority>> ca =
        TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *std::move(ca);
    server_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestTlsClient> Connect(TestTlsClient::Options options = {}) {
    return std::make_unique<TestTlsClient>(server_->port(), ca_->root_pem(),
                                           std::move(options));
  }

  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<HttpsTestServer> server_;
};

// ---- The certificate authority, without a server ----

// X509_verify_cert of `leaf_pem` against a store holding only `root_pem`, for
// `host` at the current time; returns the X509_V_* result.
int VerifyLeaf(const std::string& root_pem,
               const std::string& leaf_pem,
               const std::string& host) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  bssl::UniquePtr<X509> root = ParsePem(root_pem);
  bssl::UniquePtr<X509> leaf = ParsePem(leaf_pem);
  EXPECT_TRUE(store && root && leaf);
  EXPECT_TRUE(X509_STORE_add_cert(store.get(), root.get()));
  bssl::UniquePtr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  EXPECT_TRUE(X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr));
  EXPECT_TRUE(X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx.get()),
                                          host.c_str(), host.size()));
  const int ok = X509_verify_cert(ctx.get());
  const int error = X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  EXPECT_EQ(ok == 1, error == X509_V_OK);
  return error;
}

TEST(TestCertificateAuthorityTest, RootIsACaAndLeavesAreServerCertificates) {
  auto ca = TestCertificateAuthority::Create("Unit Test Root");
  ASSERT_TRUE(ca.ok()) << ca.status();
  bssl::UniquePtr<X509> root = ParsePem((*ca)->root_pem());
  ASSERT_TRUE(root);
  EXPECT_EQ(X509_check_ca(root.get()), 1);
  EXPECT_EQ(X509_get_version(root.get()), X509_VERSION_3);
  EXPECT_NE(X509_get0_subject_key_id(root.get()), nullptr);
  char cn[64];
  ASSERT_GT(X509_NAME_get_text_by_NID(X509_get_subject_name(root.get()),
                                      NID_commonName, cn, sizeof(cn)),
            0);
  EXPECT_STREQ(cn, "Unit Test Root");
  bssl::UniquePtr<EVP_PKEY> root_key(X509_get_pubkey(root.get()));
  ASSERT_TRUE(root_key);
  EXPECT_EQ(EVP_PKEY_id(root_key.get()), EVP_PKEY_EC);

  auto leaf = (*ca)->MintLeaf("collector.test");
  ASSERT_TRUE(leaf.ok()) << leaf.status();
  EXPECT_THAT(leaf->key_pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  bssl::UniquePtr<X509> cert = ParsePem(leaf->cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_check_host(cert.get(), "collector.test", 14, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "other.test", 10, 0, nullptr), 0);
  EXPECT_EQ(VerifyLeaf((*ca)->root_pem(), leaf->cert_pem, "collector.test"),
            X509_V_OK);

  // Serial numbers are random: two leaves for the same name differ.
  auto again = (*ca)->MintLeaf("collector.test");
  ASSERT_TRUE(again.ok());
  bssl::UniquePtr<X509> cert2 = ParsePem(again->cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                             X509_get0_serialNumber(cert2.get())),
            0);
}

TEST(TestCertificateAuthorityTest, IpLiteralsGetIpAddressSubjectAltNames) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  for (const char* ip : {"127.0.0.1", "::1"}) {
    auto leaf = (*ca)->MintLeaf(ip);
    ASSERT_TRUE(leaf.ok()) << ip << ": " << leaf.status();
    bssl::UniquePtr<X509> cert = ParsePem(leaf->cert_pem);
    EXPECT_EQ(X509_check_ip_asc(cert.get(), ip, 0), 1) << ip;
    EXPECT_EQ(X509_check_host(cert.get(), ip, strlen(ip), 0, nullptr), 0) << ip;
  }
}

TEST(TestCertificateAuthorityTest, RejectsUnusableNamesAndValidity) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ((*ca)->MintLeaf("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*ca)->MintLeaf("a b.test").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*ca)->MintLeaf(std::string(254, 'a')).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Time now = absl::Now();
  EXPECT_EQ(
      (*ca)->MintLeaf("a.test", now, now - absl::Hours(1)).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(TestCertificateAuthorityTest, ExpiredLeafIsRejected) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  const absl::Time now = absl::Now();
  auto expired = (*ca)->MintLeaf("collector.test", now - absl::Hours(3),
                                 now - absl::Hours(1));
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(VerifyLeaf((*ca)->root_pem(), expired->cert_pem, "collector.test"),
            X509_V_ERR_CERT_HAS_EXPIRED);
  auto not_yet = (*ca)->MintLeaf("collector.test", now + absl::Hours(1),
                                 now + absl::Hours(3));
  ASSERT_TRUE(not_yet.ok()) << not_yet.status();
  EXPECT_EQ(VerifyLeaf((*ca)->root_pem(), not_yet->cert_pem, "collector.test"),
            X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST(TestCertificateAuthorityTest, LeafFromAnotherCaIsRejected) {
  auto ca = TestCertificateAuthority::Create();
  auto other = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok() && other.ok());
  auto leaf = (*other)->MintLeaf("collector.test");
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(VerifyLeaf((*ca)->root_pem(), leaf->cert_pem, "collector.test"),
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST(TestCertificateAuthorityTest, WriteRootPem) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  const std::string path = absl::StrCat(getenv("TEST_TMPDIR"), "/root.pem");
  ASSERT_TRUE((*ca)->WriteRootPem(path).ok());
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_EQ(contents.str(), (*ca)->root_pem());
  EXPECT_FALSE((*ca)->WriteRootPem("/nonexistent-dir/root.pem").ok());
}

// ---- FaultMode names ----

TEST(FaultModeTest, NamesRoundTrip) {
  const std::vector<std::pair<FaultMode, std::string>> table = {
      {FaultMode::kOk, "OK"},
      {FaultMode::kRefuse, "REFUSE"},
      {FaultMode::kReset, "RESET"},
      {FaultMode::kStall, "STALL"},
      {FaultMode::kHttp500, "HTTP_500"},
      {FaultMode::kTlsFail, "TLS_FAIL"},
  };
  for (const auto& [mode, name] : table) {
    EXPECT_EQ(FaultModeName(mode), name);
    absl::StatusOr<FaultMode> parsed = FaultModeFromName(name);
    ASSERT_TRUE(parsed.ok()) << name;
    EXPECT_EQ(*parsed, mode);
  }
  EXPECT_EQ(*FaultModeFromName("stall"), FaultMode::kStall);
  EXPECT_EQ(FaultModeFromName("SLOW").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- The server ----

TEST_F(HttpsTestServerTest, Tls13HandshakeAndGetWithACertificatePerSni) {
  for (const char* name : {"collector.test", "a.example"}) {
    SCOPED_TRACE(name);
    auto client = Connect(Sni(name));
    ASSERT_EQ(client->connect_errno, 0);
    ASSERT_TRUE(client->handshake_ok);
    EXPECT_EQ(client->verify_result, X509_V_OK);
    EXPECT_EQ(SSL_version(client->ssl()), TLS1_3_VERSION);
    bssl::UniquePtr<X509> peer(SSL_get_peer_certificate(client->ssl()));
    ASSERT_TRUE(peer);
    EXPECT_EQ(X509_check_host(peer.get(), name, strlen(name), 0, nullptr), 1);

    ASSERT_TRUE(client->Send(Get(name, "/beacon?i=1")));
    std::optional<HttpResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 204);
    // The default answer carries permissive CORS headers (no Origin: *).
    EXPECT_EQ(response->head,
              "HTTP/1.1 204 No Content\r\n"
              "Access-Control-Allow-Origin: *\r\n"
              "Access-Control-Allow-Credentials: true\r\n"
              "Content-Length: 0\r\n\r\n");
    EXPECT_EQ(response->body, "");
  }
  ASSERT_EQ(server_->WaitForRequests(2, absl::Seconds(2)), 2u);
  std::vector<RecordedRequest> requests = server_->requests();
  EXPECT_EQ(requests[0].sni, "collector.test");
  EXPECT_EQ(requests[0].host, "collector.test");
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].url_path, "/beacon?i=1");
  EXPECT_EQ(requests[0].body_bytes, 0u);
  EXPECT_EQ(requests[1].sni, "a.example");
  EXPECT_EQ(requests[1].host, "a.example");
  EXPECT_NE(requests[0].connection_id, requests[1].connection_id);
}

TEST_F(HttpsTestServerTest, DefaultAnswerAllowsCorsAndPreflights) {
  auto client = Connect(Sni("collector.test"));
  ASSERT_TRUE(client->handshake_ok);
  // A CORS preflight: allowed whatever it asks.
  ASSERT_TRUE(client->Send(
      "OPTIONS /collect HTTP/1.1\r\nHost: collector.test\r\n"
      "Origin: https://a.test\r\nAccess-Control-Request-Method: PUT\r\n"
      "Access-Control-Request-Headers: content-type,x-a\r\n\r\n"));
  std::optional<HttpResponse> preflight = client->ReadResponse();
  ASSERT_TRUE(preflight.has_value());
  EXPECT_EQ(preflight->status, 204);
  EXPECT_THAT(preflight->head,
              ::testing::HasSubstr(
                  "Access-Control-Allow-Origin: https://a.test\r\n"
                  "Access-Control-Allow-Credentials: true\r\n"
                  "Access-Control-Allow-Methods: PUT\r\n"
                  "Access-Control-Allow-Headers: content-type,x-a\r\n"));
  // A beacon with an Origin gets that origin back.
  ASSERT_TRUE(
      client->Send("POST /collect HTTP/1.1\r\nHost: collector.test\r\n"
                   "Origin: https://a.test\r\nContent-Length: 0\r\n\r\n"));
  std::optional<HttpResponse> beacon = client->ReadResponse();
  ASSERT_TRUE(beacon.has_value());
  EXPECT_THAT(
      beacon->head,
      ::testing::HasSubstr("Access-Control-Allow-Origin: https://a.test\r\n"));
  EXPECT_THAT(beacon->head,
              ::testing::Not(::testing::HasSubstr("Allow-Methods")));
  // A `respond` rule's headers are used exactly as given.
  server_->Respond(
      {"https://collector.test/ruled", std::nullopt, 200, {{"X-Rule", "1"}}});
  ASSERT_TRUE(
      client->Send("GET /ruled HTTP/1.1\r\nHost: collector.test\r\n"
                   "Origin: https://a.test\r\n\r\n"));
  std::optional<HttpResponse> ruled = client->ReadResponse();
  ASSERT_TRUE(ruled.has_value());
  EXPECT_THAT(ruled->head,
              ::testing::Not(::testing::HasSubstr("Access-Control")));
}

TEST_F(HttpsTestServerTest, Tls12AndNoSniGetALocalhostCertificate) {
  TestTlsClient::Options options;
  options.sni = "";
  options.verify_host = "localhost";
  options.min_version = TLS1_2_VERSION;
  options.max_version = TLS1_2_VERSION;
  auto client = Connect(options);
  ASSERT_TRUE(client->handshake_ok);
  EXPECT_EQ(client->verify_result, X509_V_OK);
  EXPECT_EQ(SSL_version(client->ssl()), TLS1_2_VERSION);
  ASSERT_TRUE(client->Send(Get("localhost", "/")));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);
  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  EXPECT_EQ(server_->requests()[0].sni, "");
}

TEST_F(HttpsTestServerTest, RecordsPostWithContentLength) {
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(
      client->Send("POST /beacon?i=1 HTTP/1.1\r\nHost: collector.test\r\n"
                   "Content-Type: text/plain;charset=UTF-8\r\nX-Trace:  1 "
                   "\r\nContent-Length: 11\r\n\r\n"
                   "hello world"));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);

  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  const RecordedRequest request = server_->requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url_path, "/beacon?i=1");
  EXPECT_EQ(request.host, "collector.test");
  EXPECT_EQ(request.sni, "collector.test");
  EXPECT_THAT(request.headers,
              ElementsAre(Pair("Host", "collector.test"),
                          Pair("Content-Type", "text/plain;charset=UTF-8"),
                          Pair("X-Trace", "1"), Pair("Content-Length", "11")));
  EXPECT_EQ(request.body_bytes, 11u);
  EXPECT_EQ(request.body, "hello world");
  EXPECT_EQ(request.connection_id, 1u);
}

TEST_F(HttpsTestServerTest, RecordsPostWithChunkedBody) {
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(
      client->Send("POST /chunked HTTP/1.1\r\nHost: "
                   "collector.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\nhello\r\n"
                   "1;ext=1\r\n \r\n"
                   "A\r\n0123456789\r\n"
                   "0\r\nX-Trailer: t\r\n\r\n"));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);

  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  const RecordedRequest request = server_->requests()[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url_path, "/chunked");
  EXPECT_EQ(request.host, "collector.test");
  EXPECT_THAT(request.headers,
              ElementsAre(Pair("Host", "collector.test"),
                          Pair("Transfer-Encoding", "chunked")));
  EXPECT_EQ(request.body, "hello 0123456789");
  EXPECT_EQ(request.body_bytes, 16u);
}

TEST_F(HttpsTestServerTest, KeepAliveRequestsShareAConnectionId) {
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(client->Send(absl::StrCat(
        "POST /beacon?i=", i,
        " HTTP/1.1\r\nHost: collector.test\r\nContent-Length: 1\r\n\r\nx")));
    std::optional<HttpResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->status, 204);
  }
  auto second = Connect();
  ASSERT_TRUE(second->handshake_ok);
  ASSERT_TRUE(second->Send(Get("collector.test", "/other")));
  ASSERT_TRUE(second->ReadResponse().has_value());

  ASSERT_EQ(server_->WaitForRequests(3, absl::Seconds(2)), 3u);
  std::vector<RecordedRequest> requests = server_->requests();
  EXPECT_EQ(requests[0].url_path, "/beacon?i=1");
  EXPECT_EQ(requests[1].url_path, "/beacon?i=2");
  EXPECT_EQ(requests[0].connection_id, requests[1].connection_id);
  EXPECT_NE(requests[2].connection_id, requests[0].connection_id);
  EXPECT_EQ(server_->connections_accepted(), 2u);
}

TEST_F(HttpsTestServerTest, Http500ModeAnswers500AndKeepsTheConnection) {
  server_->SetMode(FaultMode::kHttp500);
  EXPECT_EQ(server_->mode(), FaultMode::kHttp500);
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(client->Send(Get("collector.test", "/beacon")));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_THAT(response->head,
              HasSubstr("HTTP/1.1 500 Internal Server Error\r\n"));
  EXPECT_EQ(response->body, "fault injection: HTTP_500\n");

  server_->SetMode(FaultMode::kOk);
  ASSERT_TRUE(client->Send(Get("collector.test", "/beacon")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(server_->request_count(), 2u);  // both were received
}

// SCENARIOS.md `respond`: the latest matching rule answers; `method`, when
// given, must match too; the fault modes win over rules.
TEST_F(HttpsTestServerTest, RespondRulesAnswerMatchingRequests) {
  server_->Respond({"https://collector.test/r",
                    std::nullopt,
                    302,
                    {{"Location", "https://collector.test/b"}}});
  server_->Respond({"https://collector.test/r/x", "POST", 500, {}});
  auto client = Connect(Sni("collector.test"));
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(client->Send(Get("collector.test", "/r/x?q")));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 302);  // the POST-only rule does not match a GET
  EXPECT_THAT(response->head, HasSubstr("HTTP/1.1 302 Found\r\n"));
  EXPECT_THAT(response->head,
              HasSubstr("\r\nLocation: https://collector.test/b\r\n"));
  ASSERT_TRUE(client->Send(Get("collector.test", "/b")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);  // no rule for /b

  server_->Respond({"https://collector.test/r",
                    std::nullopt,
                    307,
                    {{"Location", "/c"}}});  // the latest wins
  ASSERT_TRUE(client->Send(Get("collector.test", "/r")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 307);

  server_->SetMode(FaultMode::kHttp500);
  ASSERT_TRUE(client->Send(Get("collector.test", "/r")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(server_->request_count(), 4u);  // all recorded
}

// SCENARIOS.md `respond.body`: sent with the rule's status; a status without
// content (204) drops it; the rule's own Content-Type replaces the default.
TEST_F(HttpsTestServerTest, RespondRulesSendTheirBody) {
  server_->Respond(
      {"https://collector.test/text", std::nullopt, 200, {}, "hello"});
  server_->Respond({"https://collector.test/json",
                    std::nullopt,
                    200,
                    {{"Content-Type", "application/json"}},
                    "{}"});
  server_->Respond(
      {"https://collector.test/none", std::nullopt, 204, {}, "dropped"});
  auto client = Connect(Sni("collector.test"));
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(client->Send(Get("collector.test", "/text")));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
  EXPECT_THAT(response->head,
              HasSubstr("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
  ASSERT_TRUE(client->Send(Get("collector.test", "/json")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "{}");
  EXPECT_THAT(response->head,
              HasSubstr("\r\nContent-Type: application/json\r\n"));
  EXPECT_THAT(response->head, Not(HasSubstr("text/plain")));
  ASSERT_TRUE(client->Send(Get("collector.test", "/none")));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);
  EXPECT_EQ(response->body, "");
  EXPECT_THAT(response->head, HasSubstr("\r\nContent-Length: 0\r\n"));
}

TEST_F(HttpsTestServerTest, ResetModeResetsAfterReadingTheRequest) {
  server_->SetMode(FaultMode::kReset);
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(
      client->Send("POST /beacon HTTP/1.1\r\nHost: "
                   "collector.test\r\nContent-Length: 3\r\n\r\nabc"));
  EXPECT_FALSE(client->ReadResponse().has_value());
  EXPECT_EQ(client->last_ssl_error, SSL_ERROR_SYSCALL);
  EXPECT_EQ(client->last_errno, ECONNRESET);
  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  EXPECT_EQ(server_->requests()[0].body, "abc");
}

TEST_F(HttpsTestServerTest, StallModeNeverAnswersAndStopIsPrompt) {
  server_->SetMode(FaultMode::kStall);
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  auto idle = Connect();  // a keep-alive connection with nothing to do
  ASSERT_TRUE(idle->handshake_ok);
  SetReadTimeout(client->fd(), absl::Milliseconds(300));
  ASSERT_TRUE(client->Send(Get("collector.test", "/stalled")));
  const absl::Time before = absl::Now();
  EXPECT_FALSE(client->ReadResponse().has_value());
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(250));
  EXPECT_EQ(client->last_ssl_error,
            SSL_ERROR_WANT_READ);  // SO_RCVTIMEO: EAGAIN
  EXPECT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  EXPECT_EQ(server_->requests()[0].url_path, "/stalled");

  const absl::Time stop_started = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - stop_started, absl::Milliseconds(500));
}

TEST_F(HttpsTestServerTest, RefuseModeClosesThePortAndReopensTheSamePort) {
  const uint16_t port = server_->port();
  auto pooled = Connect();
  ASSERT_TRUE(pooled->handshake_ok);

  server_->SetMode(FaultMode::kRefuse);
  int error = 0;
  EXPECT_EQ(ConnectTcp(port, &error), -1);
  EXPECT_EQ(error, ECONNREFUSED);
  // The connection opened before the switch was closed too.
  pooled->Send(Get("collector.test", "/late"));  // may already fail
  EXPECT_FALSE(pooled->ReadResponse().has_value());

  server_->SetMode(FaultMode::kOk);
  EXPECT_EQ(server_->port(), port);
  auto client = Connect();
  ASSERT_EQ(client->connect_errno, 0);
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(client->Send(Get("collector.test", "/again")));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 204);
  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);
  EXPECT_EQ(server_->requests().back().url_path, "/again");
}

TEST(HttpsTestServerStartTest, StartsInRefuseModeWithThePortClosed) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  HttpsTestServer server(ca->get());
  server.SetMode(FaultMode::kRefuse);
  ASSERT_TRUE(server.Start().ok());
  int error = 0;
  EXPECT_EQ(ConnectTcp(server.port(), &error), -1);
  EXPECT_EQ(error, ECONNREFUSED);
  server.SetMode(FaultMode::kOk);
  TestTlsClient client(server.port(), (*ca)->root_pem(), Sni("collector.test"));
  EXPECT_EQ(client.connect_errno, 0);
  EXPECT_TRUE(client.handshake_ok);
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(HttpsTestServerTest, ServesManyConcurrentConnections) {
  constexpr int kClients = 64;
  std::vector<std::thread> threads;
  std::atomic<int> answered{0};
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([this, i, &answered] {
      auto client = Connect(Sni(absl::StrCat("h", i % 8, ".example")));
      if (!client->handshake_ok)
        return;
      for (int j = 0; j < 2; ++j) {
        if (!client->Send(Get("h.example", absl::StrCat("/c", i, "/", j)))) {
          return;
        }
        std::optional<HttpResponse> response = client->ReadResponse();
        if (!response.has_value() || response->status != 204)
          return;
      }
      ++answered;
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  EXPECT_EQ(answered.load(), kClients);
  EXPECT_EQ(server_->request_count(), 2u * kClients);
  EXPECT_EQ(server_->connections_accepted(), static_cast<uint64_t>(kClients));
}

TEST_F(HttpsTestServerTest, TlsFailModePresentsACertificateForAnotherHost) {
  server_->SetMode(FaultMode::kTlsFail);
  auto client = Connect();
  EXPECT_EQ(client->connect_errno, 0);
  EXPECT_FALSE(client->handshake_ok);
  EXPECT_EQ(client->verify_result, X509_V_ERR_HOSTNAME_MISMATCH);

  server_->SetMode(FaultMode::kOk);
  auto after = Connect();
  EXPECT_TRUE(after->handshake_ok);
  EXPECT_EQ(after->verify_result, X509_V_OK);
  EXPECT_EQ(server_->request_count(), 0u);
}

TEST_F(HttpsTestServerTest, ClientTrustingAnotherCaRejectsTheServer) {
  auto other = TestCertificateAuthority::Create("Some Other Root");
  ASSERT_TRUE(other.ok());
  TestTlsClient client(server_->port(), (*other)->root_pem(),
                       Sni("collector.test"));
  EXPECT_FALSE(client.handshake_ok);
  EXPECT_EQ(client.verify_result, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(HttpsTestServerTest, MalformedRequestGets400AndIsNotRecorded) {
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(
      client->Send("POST / HTTP/1.1\r\nHost: collector.test\r\nContent-Length: "
                   "ten\r\n\r\n"));
  std::optional<HttpResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_THAT(response->head, HasSubstr("Connection: close\r\n"));
  EXPECT_EQ(response->body, "invalid Content-Length \"ten\"\n");
  EXPECT_EQ(server_->request_count(), 0u);
}

TEST_F(HttpsTestServerTest, WaitForRequestsTimesOut) {
  const absl::Time before = absl::Now();
  EXPECT_EQ(server_->WaitForRequests(1, absl::Milliseconds(100)), 0u);
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(100));
}

TEST(RecordedRequestTest, ToJsonLineEscapesAndLowerCases) {
  RecordedRequest request;
  request.sni = "collector.test";
  request.method = "POST";
  request.url_path = "/beacon?q=\"x\"";
  request.host = "collector.test";
  request.headers = {{"Content-Type", "text/plain"},
                     {"X-Odd", "a\\b\x01\xff"},
                     {"x-odd", "caf\xc3\xa9"}};
  request.body_bytes = 3;
  const absl::Time start = absl::FromUnixSeconds(1000);
  request.received_at = start + absl::Milliseconds(1500);
  request.connection_id = 7;
  const std::string line = request.ToJsonLine(start);
  EXPECT_EQ(line,
            "{\"method\":\"POST\",\"url\":\"https://collector.test/"
            "beacon?q=\\\"x\\\"\","
            "\"headers\":{\"content-type\":\"text/plain\","
            "\"x-odd\":\"a\\\\b\\u0001\\ufffd, caf\xc3\xa9\"},"
            "\"bodyBytes\":3,\"atMs\":1500,\"connection\":7}");
  EXPECT_TRUE(JsonChecker::Valid(line));
  EXPECT_FALSE(JsonChecker::Valid("{\"a\":1"));  // the checker does check
}

TEST_F(HttpsTestServerTest, RecordToWritesJsonLines) {
  const std::string path =
      absl::StrCat(getenv("TEST_TMPDIR"), "/requests.jsonl");
  auto client = Connect();
  ASSERT_TRUE(client->handshake_ok);
  ASSERT_TRUE(client->Send(Get("collector.test", "/first")));
  ASSERT_TRUE(client->ReadResponse().has_value());
  ASSERT_EQ(server_->WaitForRequests(1, absl::Seconds(2)), 1u);

  ASSERT_TRUE(
      server_->RecordTo(path).ok());  // writes the request already received
  ASSERT_TRUE(
      client->Send("POST /beacon?i=1 HTTP/1.1\r\nHost: "
                   "collector.test\r\nContent-Length: 4\r\n\r\nbody"));
  ASSERT_TRUE(client->ReadResponse().has_value());
  ASSERT_EQ(server_->WaitForRequests(2, absl::Seconds(2)), 2u);

  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  for (const std::string& line : lines)
    EXPECT_TRUE(JsonChecker::Valid(line)) << line;
  EXPECT_THAT(
      lines[0],
      HasSubstr("{\"method\":\"GET\",\"url\":\"https://collector.test/first\","
                "\"headers\":{\"host\":\"collector.test\"},\"bodyBytes\":0,"));
  EXPECT_THAT(
      lines[1],
      HasSubstr(
          "{\"method\":\"POST\",\"url\":\"https://collector.test/beacon?i=1\","
          "\"headers\":{\"host\":\"collector.test\",\"content-length\":\"4\"},"
          "\"bodyBytes\":4,"));
  EXPECT_TRUE(absl::EndsWith(lines[1], ",\"connection\":1}")) << lines[1];
  EXPECT_FALSE(server_->RecordTo("/nonexistent-dir/x.jsonl").ok());
}

TEST(LinkageTest, LoadsBoringSslNotOpenSsl) {
  SSL_CTX_free(SSL_CTX_new(TLS_method()));  // make sure libssl is really in use
  std::ifstream maps("/proc/self/maps");
  std::stringstream contents;
  contents << maps.rdbuf();
  EXPECT_THAT(contents.str(), HasSubstr("/libssl.so.0"));
  EXPECT_THAT(contents.str(), HasSubstr("/libcrypto.so.0"));
  EXPECT_THAT(contents.str(), ::testing::Not(HasSubstr("libssl.so.3")));
  EXPECT_THAT(contents.str(), ::testing::Not(HasSubstr("libcrypto.so.3")));
}

}  // namespace
}  // namespace fetch_later::net::testing
