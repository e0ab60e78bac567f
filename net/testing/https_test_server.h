// A local HTTPS beacon collector on BoringSSL, for tests, benchmarks and the
// shell: it listens on loopback, presents a certificate minted from a test CA
// for whatever SNI name the client asks for, records every request, and can be
// switched into fault modes (the `setNetwork` modes of ../shared/SCENARIOS.md).
// Requests are answered "204 No Content" in kOk mode, with permissive CORS
// headers (Access-Control-Allow-Origin = the request's Origin, or * without
// one; Access-Control-Allow-Credentials: true); a CORS preflight is allowed
// whatever it asks (-Allow-Methods and -Allow-Headers echo the request's
// Access-Control-Request-Method and -Headers). A `respond` rule's headers are
// sent exactly as given.
//
//   std::unique_ptr<TestCertificateAuthority> ca =
//       *TestCertificateAuthority::Create();
//   HttpsTestServer server(ca.get());
//   ASSERT_TRUE(server.Start().ok());  // 127.0.0.1, a free port
//   // ... the client trusts ca->root_pem() and resolves every host to
//   // 127.0.0.1:server.port() ...
//   server.WaitForRequests(1, absl::Seconds(5));
//   server.requests()[0].url_path;  // "/beacon?i=1"
//   server.SetMode(FaultMode::kRefuse);
#ifndef NET_TESTING_HTTPS_TEST_SERVER_H_
#define NET_TESTING_HTTPS_TEST_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace fetch_later::net::testing {

// A throwaway certificate authority (EC P-256 keys, generated in memory with
// BoringSSL). The root is a self-signed X.509 v3 certificate (basicConstraints
// CA:TRUE critical, keyUsage keyCertSign, subjectKeyIdentifier), valid from a
// day ago for a year. Thread-safe: MintLeaf() may be called concurrently.
class TestCertificateAuthority {
 public:
  static absl::StatusOr<std::unique_ptr<TestCertificateAuthority>> Create(
      std::string common_name = "fetchLater Test Root CA");
  ~TestCertificateAuthority();
  // Not copyable.
  TestCertificateAuthority(const TestCertificateAuthority&) = delete;
  TestCertificateAuthority& operator=(const TestCertificateAuthority&) = delete;

  // The root certificate, PEM, to install as the client's only trust anchor.
  const std::string& root_pem() const;
  // Writes root_pem() to `path`.
  absl::Status WriteRootPem(const std::string& path) const;

  struct Leaf {
    // The leaf only, no chain (the root is the trust anchor).
    std::string cert_pem;
    // Its private key, PKCS#8 PEM ("BEGIN PRIVATE KEY").
    std::string key_pem;
  };
  // Mints a leaf certificate for `dns_name` (subjectAltName DNS, or IP when it
  // parses as an IPv4/IPv6 literal, optionally in brackets), valid from
  // `not_before` to `not_after` (a window in the past mints an expired leaf).
  // extendedKeyUsage serverAuth, a fresh P-256 key and a random serial, signed
  // with SHA-256. InvalidArgument when `dns_name` is empty, longer than 253
  // characters or has characters outside '!'..'~', or when `not_after` is not
  // after `not_before`.
  absl::StatusOr<Leaf> MintLeaf(const std::string& dns_name,
                                absl::Time not_before = absl::Now() -
                                                        absl::Hours(1),
                                absl::Time not_after = absl::Now() +
                                                       absl::Hours(24)) const;

  struct Impl;

 private:
  explicit TestCertificateAuthority(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SCENARIOS.md `setNetwork.mode`.
enum class FaultMode {
  // Answer 204.
  kOk,
  // Connection refused: the listening socket is closed while in this mode
  // (and re-opened on the same port when the mode changes back).
  kRefuse,
  // Read the whole request, then reset the connection (RST).
  kReset,
  // Accept and complete TLS, read the request, never answer.
  kStall,
  // Answer 500 Internal Server Error.
  kHttp500,
  // Present a certificate for a different host name ("wrong-host.invalid");
  // the client must reject it.
  kTlsFail,
};
// The SCENARIOS.md spelling: "OK", "REFUSE", "RESET", "STALL", "HTTP_500",
// "TLS_FAIL".
const char* FaultModeName(FaultMode mode);
// Parses FaultModeName()'s spelling, ignoring case; InvalidArgument otherwise.
absl::StatusOr<FaultMode> FaultModeFromName(const std::string& name);

struct RecordedRequest {
  std::string sni;  // the TLS server name the client sent ("" for none)
  std::string method;
  std::string url_path;  // the request target, e.g. "/beacon?i=1"
  std::string host;      // the Host header
  // In order, names as sent (values without surrounding whitespace).
  std::vector<std::pair<std::string, std::string>> headers;
  uint64_t body_bytes = 0;  // after removing the chunked coding
  std::string body;
  absl::Time received_at;  // when the request was completely read
  uint64_t connection_id =
      0;  // which TCP connection carried it (pooling tests)

  // "https://<host><path>" (the SNI name, then "localhost", when there is no
  // Host header), or the request target itself when it is absolute.
  std::string AbsoluteUrl() const;

  // One JSON object (no newline): method, url ("https://<host><path>"; the
  // SNI name, then "localhost", when there is no Host header), headers (an
  // object; names lower-cased, repeated fields joined with ", "), bodyBytes,
  // atMs (ms since `server_start`, see HttpsTestServer::start_time()),
  // connection. Bytes that are not UTF-8 become U+FFFD.
  std::string ToJsonLine(absl::Time server_start) const;
};

// A canned answer (SCENARIOS.md `respond`): requests whose URL
// (RecordedRequest::AbsoluteUrl()) starts with `url_prefix`, and whose method
// is `method` when one is given, get `status` with `headers` and `body`
// instead of 204. A status that has no content (1xx, 204, 304) is sent
// without the body; a body gets `Content-Type: text/plain; charset=utf-8`
// unless `headers` names a Content-Type.
struct ResponseRule {
  std::string url_prefix;
  std::optional<std::string> method;
  int status = 204;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The collector. Created by a test (or the shell, or //tools:beacon_collector)
// next to its TestCertificateAuthority; serves on background threads from
// Start() until Stop() or destruction. Every method is thread-safe.
//
// Every request read completely is recorded, whatever the mode (it is what the
// collector *received*): also in kHttp500, kReset and kStall. Malformed
// requests are answered 400 (413, 431, 505) and not recorded. TLS session
// resumption is off, so every connection sees the current certificate.
class HttpsTestServer {
 public:
  // `ca` must not be null and must outlive the server.
  explicit HttpsTestServer(const TestCertificateAuthority* ca);
  ~HttpsTestServer();  // stops the server
  // Not copyable.
  HttpsTestServer(const HttpsTestServer&) = delete;
  HttpsTestServer& operator=(const HttpsTestServer&) = delete;

  // Listens on 127.0.0.1:`port` (0: any free port) and serves on a background
  // thread. FailedPrecondition if already started.
  absl::Status Start(uint16_t port = 0);
  // Closes the listening socket and every connection (stalled ones included)
  // and joins all threads; returns promptly. Recorded requests are kept.
  // Start() may be called again afterwards.
  void Stop();
  uint16_t port() const;
  // When the first Start() succeeded (absl::InfinitePast() before): the origin
  // of the JSON lines' `atMs`, to pass to RecordedRequest::ToJsonLine().
  absl::Time start_time() const;

  // Takes effect before it returns: kRefuse has closed the listening socket (a
  // connect() now fails with ECONNREFUSED), and leaving kRefuse has re-opened
  // it on the same port. Entering kRefuse or kTlsFail also closes connections
  // that are already open, so a client that pools connections meets the fault
  // on its next request too. Other modes apply to the next request completely
  // read (kTlsFail: to the next handshake). May be called before Start().
  void SetMode(FaultMode mode);
  FaultMode mode() const;
  // From now on, answers the requests `rule` matches with its response, in
  // kOk mode (the fault modes win); the latest matching rule wins. E.g. a
  // redirect: {"https://a.test/r", std::nullopt, 302, {{"Location", "/b"}}}.
  void Respond(ResponseRule rule);
  // Appends every request as a JSON line (RecordedRequest::ToJsonLine) to
  // `path`, in addition to keeping it in memory. Requests recorded before the
  // call are written first, so the file holds all of them. A later call
  // switches to the new file.
  absl::Status RecordTo(const std::string& path);

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  // Blocks until at least `count` requests were recorded or `timeout` passed;
  // returns the count recorded.
  size_t WaitForRequests(size_t count, absl::Duration timeout) const;
  // TCP connections accepted so far.
  uint64_t connections_accepted() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fetch_later::net::testing

#endif  // NET_TESTING_HTTPS_TEST_SERVER_H_
