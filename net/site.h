// HTML "obtain a site" (schemeful site): (scheme, registrable domain) using the
// Public Suffix List (libpsl's built-in list), or the host itself for IP
// addresses and hosts without a registrable domain; an opaque origin is its own
// site.
//
//   SchemefulSite::Create(
//       Origin::Create(*Url::Parse("https://a.b.example.co.uk/")))
//       .Serialize();  // "https://example.co.uk"
#ifndef NET_SITE_H_
#define NET_SITE_H_

#include <optional>
#include <string>
#include <utility>

#include "net/origin.h"

namespace fetch_later::net {

class SchemefulSite {
 public:
  static SchemefulSite Create(const Origin& origin);

  // "https://example.co.uk"; for an opaque origin "null".
  std::string Serialize() const;
  // HTML: "same site".
  bool IsSameSiteWith(const SchemefulSite& other) const {
    return *this == other;
  }

  // Empty for an opaque site.
  const std::string& scheme() const { return scheme_; }
  // The registrable domain, or the host itself (IP addresses, "localhost", a
  // bare public suffix); empty for an opaque site.
  const std::string& registrable_domain_or_host() const {
    return registrable_domain_or_host_;
  }
  bool opaque() const { return opaque_origin_.has_value(); }

  friend bool operator==(const SchemefulSite& a, const SchemefulSite& b) {
    return a.scheme_ == b.scheme_ &&
           a.registrable_domain_or_host_ == b.registrable_domain_or_host_ &&
           a.opaque_origin_ == b.opaque_origin_;
  }
  friend bool operator!=(const SchemefulSite& a, const SchemefulSite& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const SchemefulSite& s) {
    // (absl::Hash does not hash std::optional in this Abseil build.)
    if (s.opaque_origin_)
      return H::combine(std::move(h), true, *s.opaque_origin_);
    return H::combine(std::move(h), false, s.scheme_,
                      s.registrable_domain_or_host_);
  }

 private:
  SchemefulSite() = default;

  // A tuple site: (scheme_, registrable_domain_or_host_); ports play no part.
  std::string scheme_;
  std::string registrable_domain_or_host_;
  // Set iff the site is opaque: an opaque origin is its own site.
  std::optional<Origin> opaque_origin_;
};

}  // namespace fetch_later::net

#endif  // NET_SITE_H_
