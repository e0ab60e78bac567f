#include "net/tls_client_context.h"

#include <arpa/inet.h>

#include <string>
#include <utility>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fetch_later::net {
namespace {

bool IsIpLiteral(absl::string_view host, std::string* bare) {
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    *bare = std::string(host.substr(1, host.size() - 2));
    in6_addr a6;
    return inet_pton(AF_INET6, bare->c_str(), &a6) == 1;
  }
  *bare = std::string(host);
  in_addr a4;
  return inet_pton(AF_INET, bare->c_str(), &a4) == 1;
}

}  // namespace

std::string DrainBoringSslErrors() {
  std::string out;
  while (uint32_t e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buf);
  }
  return out;
}

absl::Status ConfigureHostVerification(X509_VERIFY_PARAM* param,
                                       absl::string_view host) {
  std::string bare;
  if (host.empty())
    return absl::InvalidArgumentError("empty host name to verify");
  if (IsIpLiteral(host, &bare)) {
    if (!X509_VERIFY_PARAM_set1_ip_asc(param, bare.c_str())) {
      return absl::InternalError(
          absl::StrCat("X509_VERIFY_PARAM_set1_ip_asc(", bare, ")"));
    }
    return absl::OkStatus();
  }
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!X509_VERIFY_PARAM_set1_host(param, bare.data(), bare.size())) {
    return absl::InternalError(
        absl::StrCat("X509_VERIFY_PARAM_set1_host(", bare, ")"));
  }
  return absl::OkStatus();
}

TlsClientContext::TlsClientContext(bssl::UniquePtr<SSL_CTX> ctx)
    : ctx_(std::move(ctx)) {}
TlsClientContext::~TlsClientContext() = default;

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const Options& options) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx)
    return absl::InternalError("SSL_CTX_new: " + DrainBoringSslErrors());
  if (!SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION)) {
    return absl::InternalError("SSL_CTX_set_min_proto_version: " +
                               DrainBoringSslErrors());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  int loaded = 0;
  if (!options.ca_pem.empty()) {
    bssl::UniquePtr<BIO> bio(
        BIO_new_mem_buf(options.ca_pem.data(), options.ca_pem.size()));
    while (bssl::UniquePtr<X509> cert{
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
      if (!X509_STORE_add_cert(store, cert.get())) {
        return absl::InvalidArgumentError("X509_STORE_add_cert: " +
                                          DrainBoringSslErrors());
      }
      ++loaded;
    }
    ERR_clear_error();  // the loop ends on "no start line"
    if (loaded == 0)
      return absl::InvalidArgumentError("ca_pem holds no PEM certificate");
  } else {
    if (!SSL_CTX_load_verify_locations(
            ctx.get(), options.ca_bundle_path.c_str(), nullptr)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load CA bundle \"", options.ca_bundle_path,
                       "\": ", DrainBoringSslErrors()));
    }
  }
  return std::unique_ptr<TlsClientContext>(
      new TlsClientContext(std::move(ctx)));
}

absl::StatusOr<bssl::UniquePtr<SSL>> TlsClientContext::NewClientSsl(
    absl::string_view host) const {
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx_.get()));
  if (!ssl)
    return absl::InternalError("SSL_new: " + DrainBoringSslErrors());
  SSL_set_connect_state(ssl.get());
  std::string bare;
  if (!IsIpLiteral(host, &bare)) {
    if (!SSL_set_tlsext_host_name(ssl.get(), bare.c_str())) {
      return absl::InternalError("SSL_set_tlsext_host_name: " +
                                 DrainBoringSslErrors());
    }
  }
  absl::Status status =
      ConfigureHostVerification(SSL_get0_param(ssl.get()), host);
  if (!status.ok())
    return status;
  return ssl;
}

absl::Status TlsClientContext::VerifyChainForTesting(
    absl::string_view chain_pem,
    absl::string_view host,
    std::optional<absl::Time> at) const {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(chain_pem.data(), chain_pem.size()));
  bssl::UniquePtr<X509> leaf(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!leaf)
    return absl::InvalidArgumentError("chain_pem holds no certificate");
  bssl::UniquePtr<STACK_OF(X509)> intermediates(sk_X509_new_null());
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    sk_X509_push(intermediates.get(), cert);
  }
  ERR_clear_error();
  bssl::UniquePtr<X509_STORE_CTX> store_ctx(X509_STORE_CTX_new());
  if (!X509_STORE_CTX_init(store_ctx.get(), SSL_CTX_get_cert_store(ctx_.get()),
                           leaf.get(), intermediates.get())) {
    return absl::InternalError("X509_STORE_CTX_init: " +
                               DrainBoringSslErrors());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(store_ctx.get());
  // The same defaults a TLS client handshake uses ("ssl_server" purpose), then
  // the host check.
  X509_VERIFY_PARAM_set1(param, SSL_CTX_get0_param(ctx_.get()));
  X509_STORE_CTX_set_default(store_ctx.get(), "ssl_server");
  absl::Status status = ConfigureHostVerification(param, host);
  if (!status.ok())
    return status;
  if (at)
    X509_STORE_CTX_set_time(store_ctx.get(), 0, absl::ToTimeT(*at));
  if (X509_verify_cert(store_ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(store_ctx.get());
    ERR_clear_error();
    return absl::PermissionDeniedError(
        absl::StrCat("certificate verification failed: ",
                     X509_verify_cert_error_string(err)));
  }
  return absl::OkStatus();
}

}  // namespace fetch_later::net
