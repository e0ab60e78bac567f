#include "net/site.h"

#include <libpsl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

namespace {

// Whether `host` (a serialised special-URL host) is an IP address: "[...]" for
// IPv6, and for IPv4 a host ending in a digit (a domain of a special URL never
// ends in a number).
bool IsIpAddress(absl::string_view host) {
  if (host.empty())
    return false;
  if (host.front() == '[')
    return true;
  return host.back() >= '0' && host.back() <= '9' &&
         host.find_first_not_of("0123456789.") == absl::string_view::npos;
}

// The registrable domain of `host` per the Public Suffix List (libpsl's
// built-in copy, private section included: "foo.github.io" is its own
// registrable domain), or `host` itself when it is an IP address or has none
// ("localhost", "co.uk").
std::string RegistrableDomainOrHost(const std::string& host) {
  if (host.empty() || IsIpAddress(host))
    return host;
  const psl_ctx_t* psl = psl_builtin();
  if (psl == nullptr)
    return host;
  const char* domain = psl_registrable_domain(psl, host.c_str());
  if (domain == nullptr || *domain == '\0')
    return host;
  return std::string(domain);
}

}  // namespace

// HTML: "obtain a site".
SchemefulSite SchemefulSite::Create(const Origin& origin) {
  SchemefulSite site;
  // Step 1: an opaque origin is its own site.
  if (origin.opaque()) {
    site.opaque_origin_ = origin;
    return site;
  }
  // Steps 2-4: (origin's scheme, origin's host's registrable domain, or the
  // host).
  site.scheme_ = origin.scheme();
  site.registrable_domain_or_host_ = RegistrableDomainOrHost(origin.host());
  return site;
}

std::string SchemefulSite::Serialize() const {
  if (opaque())
    return "null";
  return absl::StrCat(scheme_, "://", registrable_domain_or_host_);
}

}  // namespace fetch_later::net
