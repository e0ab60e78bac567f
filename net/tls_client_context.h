// The BoringSSL client configuration the HTTPS network stage uses for every
// connection: TLS 1.2 or newer, the trust anchors (a CA bundle file or PEM
// text), and per-connection SNI plus certificate chain and host name
// verification. There is no switch to ignore certificate errors.
//
//   auto ctx = TlsClientContext::Create({.ca_pem = ca.root_pem()});
//   absl::StatusOr<bssl::UniquePtr<SSL>> ssl = (*ctx)->NewClientSsl("a.test");
//
// Created by HttpsNetworkStage (one per stage), owned by it, shared by all its
// connections. Its SSL_CTX is only read after Create(), so NewClientSsl() is
// thread-safe.
#ifndef NET_TLS_CLIENT_CONTEXT_H_
#define NET_TLS_CLIENT_CONTEXT_H_

#include <memory>
#include <optional>
#include <string>

#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace fetch_later::net {

inline constexpr char kSystemCaBundlePath[] =
    "/etc/ssl/certs/ca-certificates.crt";

class TlsClientContext {
 public:
  struct Options {
    // Trust anchors as PEM text; when non-empty, `ca_bundle_path` is ignored.
    std::string ca_pem;
    std::string ca_bundle_path = kSystemCaBundlePath;
  };
  // Fails when no trust anchor could be loaded.
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(
      const Options& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;  // Not copyable.
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A client SSL for a connection to `host` (a URL host: "a.test", "127.0.0.1",
  // "[::1]"): SNI is `host` for DNS names (none for IP literals, RFC 6066 3),
  // and the peer certificate must chain to a trust anchor and match `host` (DNS
  // subjectAltName, or IP subjectAltName for literals).
  absl::StatusOr<bssl::UniquePtr<SSL>> NewClientSsl(
      absl::string_view host) const;

  // For testing only: verifies `chain_pem` (leaf first, then intermediates) for
  // `host` exactly as a handshake would (same store, same X509_VERIFY_PARAM
  // settings), at time `at` when given.
  absl::Status VerifyChainForTesting(
      absl::string_view chain_pem,
      absl::string_view host,
      std::optional<absl::Time> at = std::nullopt) const;

 private:
  explicit TlsClientContext(bssl::UniquePtr<SSL_CTX> ctx);
  bssl::UniquePtr<SSL_CTX> ctx_;
};

// Sets the host name (X509_VERIFY_PARAM_set1_host, with its length: a zero
// length fails every handshake in Debian's BoringSSL) or IP address
// (X509_VERIFY_PARAM_set1_ip_asc) that the peer certificate must match.
absl::Status ConfigureHostVerification(X509_VERIFY_PARAM* param,
                                       absl::string_view host);

// The BoringSSL error queue, drained into one string ("error:...; error:...").
std::string DrainBoringSslErrors();

}  // namespace fetch_later::net

#endif  // NET_TLS_CLIENT_CONTEXT_H_
