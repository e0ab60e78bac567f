// TestCertificateAuthority: an in-memory EC P-256 root and leaves minted from
// it with BoringSSL. Every BoringSSL call is checked; failures come back as
// absl::Status carrying the text of BoringSSL's error queue.

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/testing/boringssl_error.h"
#include "net/testing/https_test_server.h"

namespace fetch_later::net::testing {

namespace internal {

std::string DrainBoringSslErrors() {
  std::string out;
  while (uint32_t code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? "no BoringSSL error queued" : out;
}

absl::Status BoringSslError(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat(what, " failed: ", DrainBoringSslErrors()));
}

}  // namespace internal

namespace {

using internal::BoringSslError;

absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> GenerateP256Key() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec)
    return BoringSslError("EC_KEY_new_by_curve_name(P-256)");
  if (!EC_KEY_generate_key(ec.get()))
    return BoringSslError("EC_KEY_generate_key");
  bssl::UniquePtr<EVP_PKEY> pkey(EVP_PKEY_new());
  if (!pkey)
    return BoringSslError("EVP_PKEY_new");
  if (!EVP_PKEY_set1_EC_KEY(pkey.get(), ec.get()))
    return BoringSslError("EVP_PKEY_set1_EC_KEY");
  return pkey;
}

// A random positive 127-bit serial number (RFC 5280 4.1.2.2: at most 20 octets,
// positive).
absl::Status SetRandomSerial(X509* cert) {
  bssl::UniquePtr<BIGNUM> bn(BN_new());
  if (!bn)
    return BoringSslError("BN_new");
  if (!BN_rand(bn.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY)) {
    return BoringSslError("BN_rand");
  }
  bssl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  if (!serial)
    return BoringSslError("BN_to_ASN1_INTEGER");
  if (!X509_set_serialNumber(cert, serial.get()))
    return BoringSslError("X509_set_serialNumber");
  return absl::OkStatus();
}

absl::Status SetValidity(X509* cert,
                         absl::Time not_before,
                         absl::Time not_after) {
  if (not_after <= not_before) {
    return absl::InvalidArgumentError(
        "certificate validity: not_after must be after not_before");
  }
  bssl::UniquePtr<ASN1_TIME> start(
      ASN1_TIME_set(nullptr, absl::ToTimeT(not_before)));
  if (!start)
    return BoringSslError("ASN1_TIME_set(not_before)");
  bssl::UniquePtr<ASN1_TIME> end(
      ASN1_TIME_set(nullptr, absl::ToTimeT(not_after)));
  if (!end)
    return BoringSslError("ASN1_TIME_set(not_after)");
  if (!X509_set1_notBefore(cert, start.get()))
    return BoringSslError("X509_set1_notBefore");
  if (!X509_set1_notAfter(cert, end.get()))
    return BoringSslError("X509_set1_notAfter");
  return absl::OkStatus();
}

absl::Status SetCommonName(X509_NAME* name, const std::string& common_name) {
  if (!X509_NAME_add_entry_by_NID(
          name, NID_commonName, MBSTRING_UTF8,
          reinterpret_cast<const uint8_t*>(common_name.data()),
          static_cast<int>(common_name.size()), -1, 0)) {
    return BoringSslError(
        absl::StrCat("X509_NAME_add_entry_by_NID(CN=", common_name, ")"));
  }
  return absl::OkStatus();
}

// Adds an extension given in OpenSSL's config syntax (e.g. "critical,CA:TRUE").
// `ctx` names issuer and subject for the key identifier extensions.
absl::Status AddExtension(X509* cert,
                          X509V3_CTX* ctx,
                          int nid,
                          const char* value) {
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext) {
    return BoringSslError(absl::StrCat("X509V3_EXT_nconf_nid(", OBJ_nid2sn(nid),
                                       ", ", value, ")"));
  }
  if (!X509_add_ext(cert, ext.get(), -1)) {
    return BoringSslError(absl::StrCat("X509_add_ext(", OBJ_nid2sn(nid), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> BioToString(BIO* bio) {
  const uint8_t* contents = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &contents, &len))
    return BoringSslError("BIO_mem_contents");
  return std::string(reinterpret_cast<const char*>(contents), len);
}

absl::StatusOr<std::string> CertToPem(X509* cert) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio)
    return BoringSslError("BIO_new");
  if (!PEM_write_bio_X509(bio.get(), cert))
    return BoringSslError("PEM_write_bio_X509");
  return BioToString(bio.get());
}

absl::StatusOr<std::string> KeyToPem(EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio)
    return BoringSslError("BIO_new");
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return BoringSslError("PEM_write_bio_PrivateKey");
  }
  return BioToString(bio.get());
}

// Builds the subjectAltName for `name`: iPAddress when it is an IPv4 or IPv6
// literal (an IPv6 literal may be bracketed, as in URLs), dNSName otherwise.
absl::Status AddSubjectAltName(X509* cert, const std::string& name) {
  std::string ip = name;
  if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']')
    ip = ip.substr(1, ip.size() - 2);
  in_addr v4;
  in6_addr v6;
  const bool is_ip = inet_pton(AF_INET, ip.c_str(), &v4) == 1 ||
                     inet_pton(AF_INET6, ip.c_str(), &v6) == 1;

  bssl::UniquePtr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  if (!names)
    return BoringSslError("sk_GENERAL_NAME_new_null");
  bssl::UniquePtr<GENERAL_NAME> general_name(GENERAL_NAME_new());
  if (!general_name)
    return BoringSslError("GENERAL_NAME_new");
  if (is_ip) {
    ASN1_OCTET_STRING* octets = a2i_IPADDRESS(ip.c_str());
    if (!octets)
      return BoringSslError(absl::StrCat("a2i_IPADDRESS(", ip, ")"));
    GENERAL_NAME_set0_value(general_name.get(), GEN_IPADD, octets);
  } else {
    ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
    if (!dns)
      return BoringSslError("ASN1_IA5STRING_new");
    if (!ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size()))) {
      ASN1_IA5STRING_free(dns);
      return BoringSslError("ASN1_STRING_set(dNSName)");
    }
    GENERAL_NAME_set0_value(general_name.get(), GEN_DNS, dns);
  }
  if (!bssl::PushToStack(names.get(), std::move(general_name))) {
    return BoringSslError("sk_GENERAL_NAME_push");
  }
  if (!X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), /*crit=*/0,
                         X509V3_ADD_DEFAULT)) {
    return BoringSslError("X509_add1_ext_i2d(subjectAltName)");
  }
  return absl::OkStatus();
}

// A DNS name or IP literal we can put into a certificate: printable ASCII
// (IA5String), no spaces, at most 253 characters (RFC 1035 2.3.4 for DNS
// names).
absl::Status ValidateLeafName(const std::string& name) {
  if (name.empty())
    return absl::InvalidArgumentError("MintLeaf: the host name is empty");
  if (name.size() > 253) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MintLeaf: host name of ", name.size(), " characters exceeds 253"));
  }
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat("MintLeaf: host name \"", absl::CEscape(name),
                       "\" has a character outside '!'..'~'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

struct TestCertificateAuthority::Impl {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> root;
  std::string root_pem;
};

TestCertificateAuthority::TestCertificateAuthority(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

TestCertificateAuthority::~TestCertificateAuthority() = default;

absl::StatusOr<std::unique_ptr<TestCertificateAuthority>>
TestCertificateAuthority::Create(std::string common_name) {
  auto impl = std::make_unique<Impl>();
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key = GenerateP256Key();
  if (!key.ok())
    return key.status();
  impl->key = *std::move(key);

  impl->root.reset(X509_new());
  X509* root = impl->root.get();
  if (!root)
    return BoringSslError("X509_new");
  if (!X509_set_version(root, X509_VERSION_3))
    return BoringSslError("X509_set_version");
  if (absl::Status s = SetRandomSerial(root); !s.ok())
    return s;
  const absl::Time now = absl::Now();
  if (absl::Status s =
          SetValidity(root, now - absl::Hours(24), now + absl::Hours(24 * 365));
      !s.ok()) {
    return s;
  }
  X509_NAME* subject = X509_get_subject_name(root);
  if (absl::Status s = SetCommonName(subject, common_name); !s.ok())
    return s;
  if (!X509_set_issuer_name(root, subject))
    return BoringSslError("X509_set_issuer_name");
  if (!X509_set_pubkey(root, impl->key.get()))
    return BoringSslError("X509_set_pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, /*issuer=*/root, /*subject=*/root, nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:TRUE"},
        {NID_key_usage, "critical,keyCertSign,cRLSign"},
        {NID_subject_key_identifier, "hash"}}) {
    if (absl::Status s = AddExtension(root, &ctx, nid, value); !s.ok())
      return s;
  }
  if (!X509_sign(root, impl->key.get(), EVP_sha256()))
    return BoringSslError("X509_sign(root)");

  absl::StatusOr<std::string> pem = CertToPem(root);
  if (!pem.ok())
    return pem.status();
  impl->root_pem = *std::move(pem);
  return std::unique_ptr<TestCertificateAuthority>(
      new TestCertificateAuthority(std::move(impl)));
}

const std::string& TestCertificateAuthority::root_pem() const {
  return impl_->root_pem;
}

absl::Status TestCertificateAuthority::WriteRootPem(
    const std::string& path) const {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f)
    return absl::UnavailableError(
        absl::StrCat("cannot open ", path, " for writing"));
  const size_t written =
      std::fwrite(impl_->root_pem.data(), 1, impl_->root_pem.size(), f);
  const bool closed = std::fclose(f) == 0;
  if (written != impl_->root_pem.size() || !closed) {
    return absl::UnavailableError(
        absl::StrCat("cannot write the root certificate to ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<TestCertificateAuthority::Leaf>
TestCertificateAuthority::MintLeaf(const std::string& dns_name,
                                   absl::Time not_before,
                                   absl::Time not_after) const {
  if (absl::Status s = ValidateLeafName(dns_name); !s.ok())
    return s;
  absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> key = GenerateP256Key();
  if (!key.ok())
    return key.status();

  bssl::UniquePtr<X509> cert(X509_new());
  if (!cert)
    return BoringSslError("X509_new");
  X509* leaf = cert.get();
  if (!X509_set_version(leaf, X509_VERSION_3))
    return BoringSslError("X509_set_version");
  if (absl::Status s = SetRandomSerial(leaf); !s.ok())
    return s;
  if (absl::Status s = SetValidity(leaf, not_before, not_after); !s.ok())
    return s;
  // The subject CN is informational (clients match subjectAltName); CN is
  // limited to 64 characters (RFC 5280 ub-common-name), so longer names get a
  // placeholder.
  if (absl::Status s = SetCommonName(
          X509_get_subject_name(leaf),
          dns_name.size() <= 64 ? dns_name : "fetchLater test leaf");
      !s.ok()) {
    return s;
  }
  if (!X509_set_issuer_name(leaf, X509_get_subject_name(impl_->root.get()))) {
    return BoringSslError("X509_set_issuer_name");
  }
  if (!X509_set_pubkey(leaf, key->get()))
    return BoringSslError("X509_set_pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, /*issuer=*/impl_->root.get(), /*subject=*/leaf, nullptr,
                 nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair<int, const char*>{NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, "serverAuth"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"}}) {
    if (absl::Status s = AddExtension(leaf, &ctx, nid, value); !s.ok())
      return s;
  }
  if (absl::Status s = AddSubjectAltName(leaf, dns_name); !s.ok())
    return s;
  if (!X509_sign(leaf, impl_->key.get(), EVP_sha256()))
    return BoringSslError("X509_sign(leaf)");

  Leaf out;
  absl::StatusOr<std::string> cert_pem = CertToPem(leaf);
  if (!cert_pem.ok())
    return cert_pem.status();
  absl::StatusOr<std::string> key_pem = KeyToPem(key->get());
  if (!key_pem.ok())
    return key_pem.status();
  out.cert_pem = *std::move(cert_pem);
  out.key_pem = *std::move(key_pem);
  return out;
}

}  // namespace fetch_later::net::testing
