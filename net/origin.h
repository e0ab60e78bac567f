// HTML origins: tuple origins (scheme, host, port) and opaque origins.
//
//   // ("https", "a.test", 443):
//   Origin a = Origin::Create(*Url::Parse("https://a.test/x"));
//   // e.g. a sandboxed iframe:
//   Origin o = Origin::CreateOpaque();
//   // true:
//   a.IsSameOriginWith(Origin::Create(*Url::Parse("https://a.test:443/y")));
//   a.Serialize();  // "https://a.test"
//   o.Serialize();  // "null"
//
// Opaque origins are unique: each CreateOpaque() is same origin only with
// itself (and copies of it). Origins are small values, hashable (absl::Hash)
// and copyable.
#ifndef NET_ORIGIN_H_
#define NET_ORIGIN_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/url.h"

namespace fetch_later::net {

class Origin {
 public:
  // HTML: "URL's origin". http(s)/ws(s)/ftp give a tuple origin; "blob:" gives
  // the origin of its inner URL when that is http(s); everything else (file:,
  // data:, about:, ...) gives a new opaque origin.
  static Origin Create(const Url& url);
  // A new opaque origin, distinct from every other.
  static Origin CreateOpaque();
  // Parses "https://a.test[:port]" (an origin serialisation or any URL) and
  // returns its origin.
  static absl::StatusOr<Origin> Parse(absl::string_view serialized);

  bool opaque() const { return opaque_nonce_ != 0; }
  // Empty for opaque origins.
  const std::string& scheme() const { return scheme_; }
  const std::string& host() const { return host_; }
  // The effective port (the scheme default when the URL had none); 0 for opaque
  // origins.
  uint16_t port() const { return port_; }

  // HTML: "same origin".
  bool IsSameOriginWith(const Origin& other) const { return *this == other; }
  // HTML: "serialization of an origin" ("https://a.test",
  // "https://a.test:8443", "null").
  std::string Serialize() const;

  friend bool operator==(const Origin& a, const Origin& b) {
    return a.opaque_nonce_ == b.opaque_nonce_ && a.scheme_ == b.scheme_ &&
           a.host_ == b.host_ && a.port_ == b.port_;
  }
  friend bool operator!=(const Origin& a, const Origin& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const Origin& o) {
    return H::combine(std::move(h), o.opaque_nonce_, o.scheme_, o.host_,
                      o.port_);
  }

 private:
  Origin() = default;

  std::string scheme_;
  std::string host_;
  uint16_t port_ = 0;
  uint64_t opaque_nonce_ = 0;  // non-zero iff opaque
};

// Secure Contexts: "is origin potentially trustworthy?" (https, wss, loopback
// IPs 127.0.0.0/8 and ::1, "localhost" and "*.localhost", file:). Opaque:
// false.
bool IsOriginPotentiallyTrustworthy(const Origin& origin);
// Secure Contexts: "is url potentially trustworthy?" (about:blank,
// about:srcdoc, data: are trustworthy; otherwise the URL's origin decides).
bool IsUrlPotentiallyTrustworthy(const Url& url);

}  // namespace fetch_later::net

#endif  // NET_ORIGIN_H_
