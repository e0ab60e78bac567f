#include "net/origin.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

namespace {

// Opaque origin nonces: process-wide, never 0 (0 marks a tuple origin),
// thread-safe.
std::atomic<uint64_t> g_next_opaque_nonce{1};

// Whether `host` (a serialised host of a special URL) is an IPv4 address in
// 127.0.0.0/8. A special URL's domain never ends in a number, so four decimal
// parts mean an IPv4 address.
bool IsIpv4Loopback(absl::string_view host) {
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4)
    return false;
  for (absl::string_view part : parts) {
    uint32_t value = 0;
    if (part.empty() || !absl::SimpleAtoi(part, &value) || value > 255)
      return false;
  }
  return parts[0] == "127";
}

}  // namespace

Origin Origin::Create(const Url& url) {
  const std::string& scheme = url.scheme();
  // HTML: "URL's origin", "blob" case: the origin of the URL in the blob URL's
  // path.
  if (scheme == "blob") {
    absl::StatusOr<Url> path_url = Url::Parse(url.PathString());
    if (path_url.ok() && path_url->SchemeIsHttpOrHttps())
      return Create(*path_url);
    return CreateOpaque();
  }
  if (scheme == "http" || scheme == "https" || scheme == "ws" ||
      scheme == "wss" || scheme == "ftp") {
    Origin origin;
    origin.scheme_ = scheme;
    origin.host_ = url.host().value_or("");
    origin.port_ = url.EffectivePort().value_or(0);
    return origin;
  }
  return CreateOpaque();
}

Origin Origin::CreateOpaque() {
  Origin origin;
  origin.opaque_nonce_ =
      g_next_opaque_nonce.fetch_add(1, std::memory_order_relaxed);
  return origin;
}

absl::StatusOr<Origin> Origin::Parse(absl::string_view serialized) {
  absl::StatusOr<Url> url = Url::Parse(serialized);
  if (!url.ok())
    return url.status();
  return Create(*url);
}

// HTML: "serialization of an origin".
std::string Origin::Serialize() const {
  if (opaque())
    return "null";
  std::string out = absl::StrCat(scheme_, "://", host_);
  if (Url::DefaultPortForScheme(scheme_) != port_)
    absl::StrAppend(&out, ":", port_);
  return out;
}

// Secure Contexts §3.1: "Is origin potentially trustworthy?"
bool IsOriginPotentiallyTrustworthy(const Origin& origin) {
  // Step 1: an opaque origin is "Not Trustworthy".
  if (origin.opaque())
    return false;
  // Step 2: "https" and "wss".
  if (origin.scheme() == "https" || origin.scheme() == "wss")
    return true;
  // Step 3: the host matches 127.0.0.0/8 or ::1/128.
  const std::string& host = origin.host();
  if (IsIpv4Loopback(host) || host == "[::1]")
    return true;
  // Step 4: "localhost" and "*.localhost" (with or without a trailing dot), per
  // "let-localhost-be-localhost".
  if (host == "localhost" || host == "localhost." ||
      absl::EndsWith(host, ".localhost") ||
      absl::EndsWith(host, ".localhost.")) {
    return true;
  }
  // Step 5: "file". Tuple origins never have it (file: URLs give opaque
  // origins); see IsUrlPotentiallyTrustworthy().
  if (origin.scheme() == "file")
    return true;
  return false;
}

// Secure Contexts §3.2: "Is url potentially trustworthy?"
bool IsUrlPotentiallyTrustworthy(const Url& url) {
  // Step 1: about:blank and about:srcdoc (HTML: "matches
  // about:blank"/"about:srcdoc": the path alone decides; a query or fragment
  // does not matter).
  if (url.scheme() == "about" && !url.host().has_value() &&
      !url.IncludesCredentials() &&
      (url.PathString() == "blank" || url.PathString() == "srcdoc")) {
    return true;
  }
  // Step 2: data: URLs.
  if (url.scheme() == "data")
    return true;
  // file: URLs have opaque origins here, which step 1 of §3.1 would call "Not
  // Trustworthy"; §3.1 step 5 means them to be trustworthy, so decide on the
  // URL's scheme.
  if (url.scheme() == "file")
    return true;
  // Step 3.
  return IsOriginPotentiallyTrustworthy(Origin::Create(url));
}

}  // namespace fetch_later::net
