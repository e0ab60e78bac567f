// A local HTTPS beacon collector on BoringSSL, for tests, benchmarks and the shell: it listens
// on loopback, presents a certificate minted from a test CA for whatever SNI name the client
// asks for, records every request, and can be switched into fault modes (the `setNetwork`
// modes of ../shared/SCENARIOS.md). Requests are answered "204 No Content" in kOk mode.
//
//   TestCertificateAuthority ca = *TestCertificateAuthority::Create();
//   HttpsTestServer server(&ca);
//   ASSERT_TRUE(server.Start().ok());          // 127.0.0.1, a free port
//   ... client trusts ca.root_pem(), resolves every host to 127.0.0.1:server.port() ...
//   server.WaitForRequests(1, absl::Seconds(5));
//   server.requests()[0].url_path;             // "/beacon?i=1"
//   server.SetMode(FaultMode::kRefuse);
#ifndef NET_TESTING_HTTPS_TEST_SERVER_H_
#define NET_TESTING_HTTPS_TEST_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace fetch_later::net::testing {

// A throwaway certificate authority (EC P-256 keys, generated in memory with BoringSSL).
class TestCertificateAuthority {
 public:
  static absl::StatusOr<std::unique_ptr<TestCertificateAuthority>> Create(
      std::string common_name = "fetchLater Test Root CA");
  ~TestCertificateAuthority();

  // The root certificate, PEM, to install as the client's only trust anchor.
  const std::string& root_pem() const;
  // Writes root_pem() to `path`.
  absl::Status WriteRootPem(const std::string& path) const;

  struct Leaf {
    std::string cert_pem;  // leaf, then nothing else (the root is the trust anchor)
    std::string key_pem;
  };
  // Mints a leaf certificate for `dns_name` (subjectAltName DNS, or IP when it parses as an
  // IPv4/IPv6 literal), valid from `not_before` to `not_after`.
  absl::StatusOr<Leaf> MintLeaf(const std::string& dns_name,
                                absl::Time not_before = absl::Now() - absl::Hours(1),
                                absl::Time not_after = absl::Now() + absl::Hours(24)) const;

  struct Impl;

 private:
  explicit TestCertificateAuthority(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SCENARIOS.md `setNetwork.mode`.
enum class FaultMode {
  kOk,        // answer 204
  kRefuse,    // connection refused (the listening socket is closed while in this mode)
  kReset,     // read the whole request, then reset the connection (RST)
  kStall,     // accept and complete TLS, read the request, never answer
  kHttp500,   // answer 500 Internal Server Error
  kTlsFail,   // present a certificate for a different host name (the client must reject it)
};
const char* FaultModeName(FaultMode mode);
absl::StatusOr<FaultMode> FaultModeFromName(const std::string& name);

struct RecordedRequest {
  std::string sni;          // the TLS server name the client sent
  std::string method;
  std::string url_path;     // the request target, e.g. "/beacon?i=1"
  std::string host;         // the Host header
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  uint64_t body_bytes = 0;
  std::string body;
  absl::Time received_at;
  uint64_t connection_id = 0;  // which TCP connection carried it (pooling tests)

  // One JSON object (no newline): method, url ("https://<host><path>"), headers, bodyBytes,
  // atMs (ms since the server started), connection.
  std::string ToJsonLine(absl::Time server_start) const;
};

class HttpsTestServer {
 public:
  // `ca` must outlive the server.
  explicit HttpsTestServer(const TestCertificateAuthority* ca);
  ~HttpsTestServer();  // stops the server
  HttpsTestServer(const HttpsTestServer&) = delete;
  HttpsTestServer& operator=(const HttpsTestServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: any free port) and serves on a background thread.
  absl::Status Start(uint16_t port = 0);
  void Stop();
  uint16_t port() const;

  void SetMode(FaultMode mode);
  FaultMode mode() const;
  // Appends every request as a JSON line to `path` (in addition to keeping it in memory).
  absl::Status RecordTo(const std::string& path);

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  // Blocks until at least `count` requests were recorded or `timeout` passed; returns the
  // count recorded.
  size_t WaitForRequests(size_t count, absl::Duration timeout) const;
  // TCP connections accepted so far.
  uint64_t connections_accepted() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fetch_later::net::testing

#endif  // NET_TESTING_HTTPS_TEST_SERVER_H_
