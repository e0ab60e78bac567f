// WHATWG URL parsing and serialisation, for the URLs a deferred-fetch
// component meets.
//
//   absl::StatusOr<Url> url =
//       Url::Parse("https://EXAMPLE.com:443/a/../b?q#frag");
//   url->Serialize();             // "https://example.com/b?q#frag"
//   url->Serialize(/*exclude_fragment=*/true);  // "https://example.com/b?q"
//   Url::Parse("/beacon", &*url)->Serialize();  // "https://example.com/beacon"
//
// Implements the URL Standard's basic URL parser
// (https://url.spec.whatwg.org/#concept-basic-url-parser) for special schemes
// (http, https, ws, wss, ftp, file) and non-special ones (about:, blob:, data:,
// javascript:, ...: "opaque paths" and non-special authorities), host parsing
// (domain to ASCII via IDNA/UTS #46 with libidn2, IPv4 including shorthand and
// hex/octal parts, IPv6 with compression), percent-encoding with the spec's
// encode sets, and the URL serializer with `exclude fragment`. A malformed
// input is an absl::InvalidArgumentError naming the input and the rule it
// broke; never a crash.
//
// Input is bytes taken as UTF-8. The URL Standard parses a string of scalar
// values, so invalid UTF-8 is first decoded as the Encoding Standard's "UTF-8
// decode without BOM" does: each maximal invalid subsequence becomes U+FFFD,
// which then percent-encodes as "%EF%BF%BD" in paths, queries, fragments and
// opaque hosts, and fails IDNA in the host of a special URL.
#ifndef NET_URL_H_
#define NET_URL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fetch_later::net {

class Url {
 public:
  // URL Standard: "basic URL parser" with no state override. `base` may be
  // null.
  static absl::StatusOr<Url> Parse(absl::string_view input,
                                   const Url* base = nullptr);

  Url(const Url&) = default;
  Url& operator=(const Url&) = default;
  Url(Url&&) = default;
  Url& operator=(Url&&) = default;

  // Lower-case scheme without ':' ("https").
  const std::string& scheme() const { return scheme_; }
  const std::string& username() const { return username_; }
  const std::string& password() const { return password_; }
  // Serialised host ("example.com", "xn--nxasmq6b.com", "127.0.0.1", "[::1]"),
  // or nullopt when the URL has no host (e.g. "about:blank", "javascript:x").
  const std::optional<std::string>& host() const { return host_; }
  // Explicit port; nullopt when absent or equal to the scheme's default port.
  std::optional<uint16_t> port() const { return port_; }
  // The port to connect to: port() or the special scheme's default (443 for
  // https).
  std::optional<uint16_t> EffectivePort() const;
  // Serialised path ("/a/b", or the opaque path "blank" for "about:blank").
  std::string PathString() const;
  bool has_opaque_path() const { return has_opaque_path_; }
  // Query and fragment without '?' / '#'; nullopt when absent (an empty one is
  // "").
  const std::optional<std::string>& query() const { return query_; }
  const std::optional<std::string>& fragment() const { return fragment_; }

  // URL Standard: "special scheme".
  bool IsSpecial() const;
  // URL Standard: "special scheme" for a lower-case `scheme` such as "https".
  static bool IsSpecialScheme(absl::string_view scheme);
  // URL Standard: "default port" for a lower-case `scheme` (443 for "https");
  // nullopt for "file" and for non-special schemes.
  static std::optional<uint16_t> DefaultPortForScheme(absl::string_view scheme);
  bool IncludesCredentials() const {
    return !username_.empty() || !password_.empty();
  }
  // Fetch: "HTTP(S) scheme".
  bool SchemeIsHttpOrHttps() const {
    return scheme_ == "http" || scheme_ == "https";
  }
  // "origin-form" request target for HTTP/1.1: path plus "?query" (no
  // fragment).
  std::string PathForRequest() const;

  // URL Standard: "URL serializer", with `exclude fragment`.
  std::string Serialize(bool exclude_fragment = false) const;

  friend bool operator==(const Url& a, const Url& b) {
    return a.Serialize() == b.Serialize();
  }
  friend bool operator!=(const Url& a, const Url& b) { return !(a == b); }

 private:
  Url() = default;
  friend class UrlParser;

  std::string scheme_;
  std::string username_;
  std::string password_;
  std::optional<std::string> host_;
  std::optional<uint16_t> port_;
  bool has_opaque_path_ = false;
  std::string opaque_path_;
  std::vector<std::string> path_;
  std::optional<std::string> query_;
  std::optional<std::string> fragment_;
};

}  // namespace fetch_later::net

#endif  // NET_URL_H_
