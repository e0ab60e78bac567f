#include "net/csp_source_expression.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace fetch_later::net {
namespace {

using Kind = CspSourceExpression::Kind;

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("source expression \"", text, "\": ", why));
}

// CSP grammar: scheme-part = scheme (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" /
// "-" / "." )).
bool IsSchemePart(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(s[0]))
    return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.')
      return false;
  }
  return true;
}

// CSP grammar: host-part = "*" / [ "*." ] 1*host-char *( "." 1*host-char )
// [ "." ]; host-char = ALPHA / DIGIT / "-".
bool IsHostPart(absl::string_view s) {
  if (s == "*")
    return true;
  if (absl::StartsWith(s, "*."))
    s.remove_prefix(2);
  if (absl::EndsWith(s, "."))
    s.remove_suffix(1);
  if (s.empty())
    return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty())
      return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-')
        return false;
    }
  }
  return true;
}

// CSP grammar: port-part = 1*DIGIT / "*".
bool IsPortPart(absl::string_view s) {
  if (s == "*")
    return true;
  if (s.empty() || s.size() > 5)
    return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c))
      return false;
  }
  return true;
}

// CSP grammar: path-part = path-absolute (but not "//"): "/" and RFC 3986
// pchars (unreserved, pct-encoded, sub-delims, ":", "@"), without the "," and
// ";" that end a source list or a directive. No query, no fragment.
bool IsPathPart(absl::string_view s) {
  if (s.empty() || s[0] != '/' || absl::StartsWith(s, "//"))
    return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && !absl::StrContains("/-._~%!$&'()*+=:@", c))
      return false;
  }
  return true;
}

// CSP keyword-source (CSP3's list, and Speculation Rules'
// 'inline-speculation-rules'), nonce-source and hash-source: quoted, never a
// URL match.
bool IsOtherKeyword(absl::string_view lower) {
  static constexpr absl::string_view kKeywords[] = {
      "'unsafe-inline'",
      "'unsafe-eval'",
      "'strict-dynamic'",
      "'unsafe-hashes'",
      "'report-sample'",
      "'unsafe-allow-redirects'",
      "'wasm-unsafe-eval'",
      "'trusted-types-eval'",
      "'report-sha256'",
      "'report-sha384'",
      "'report-sha512'",
      "'unsafe-webtransport-hashes'",
      "'inline-speculation-rules'",
  };
  for (absl::string_view k : kKeywords) {
    if (lower == k)
      return true;
  }
  for (absl::string_view prefix :
       {"'nonce-", "'sha256-", "'sha384-", "'sha512-"}) {
    if (absl::StartsWith(lower, prefix) && lower.size() > prefix.size() + 1 &&
        lower.back() == '\'') {
      return true;
    }
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = absl::ascii_tolower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

// URL: "percent-decode".
std::string PercentDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// CSP: "host-part matches" (`pattern` is lower case; `host` is the URL's
// host, already lower case for domains).
// URL Standard: a host that is a domain (not an IPv4 or IPv6 address). After
// URL parsing an IPv6 host is bracketed and a host whose last label is
// numeric is an IPv4 address.
bool HostIsDomain(absl::string_view host) {
  if (host.empty() || host.front() == '[')
    return false;
  if (host.back() == '.')
    host.remove_suffix(1);
  const size_t dot = host.rfind('.');
  const absl::string_view last =
      dot == absl::string_view::npos ? host : host.substr(dot + 1);
  return last.empty() ||
         !std::all_of(last.begin(), last.end(), absl::ascii_isdigit);
}

bool HostPartMatches(absl::string_view pattern, absl::string_view host) {
  // Step 1: an IP address never matches a host-part.
  if (!HostIsDomain(host))
    return false;
  if (pattern == "*")
    return true;  // Step 2.
  if (absl::StartsWith(pattern, "*.")) {
    // Step 3: "*.b.test" matches every host that ends with ".b.test".
    return absl::EndsWith(host, pattern.substr(1));
  }
  // Step 4: the whole host, trailing dot included ("b.test." is not
  // "b.test").
  return pattern == host;
}

// CSP: "port-part matches".
bool PortPartMatches(const std::optional<std::string>& port_part,
                     const Url& url) {
  // Step 2.
  if (port_part && *port_part == "*")
    return true;
  // Step 3: null for an absent port-part.
  std::optional<int> normalized;
  if (port_part)
    normalized = std::stoi(*port_part);
  // Step 4.
  std::optional<int> url_port;
  if (url.port())
    url_port = *url.port();
  if (normalized == url_port)
    return true;
  // Step 5: the URL has no port: the default port of its scheme.
  if (!url.port()) {
    std::optional<uint16_t> default_port =
        Url::DefaultPortForScheme(url.scheme());
    if (default_port && normalized && *normalized == *default_port)
      return true;
  }
  return false;
}

// CSP: "path-part matches".
bool PathPartMatches(absl::string_view path_a, const Url& url) {
  // Steps 1-2.
  if (path_a.empty())
    return true;
  const std::string path_b_string = url.PathString();
  if (path_a == "/" && path_b_string.empty())
    return true;
  // Step 3.
  const bool exact_match = !absl::EndsWith(path_a, "/");
  // Steps 4-5.
  std::vector<std::string> list_a = absl::StrSplit(path_a, '/');
  std::vector<std::string> list_b = absl::StrSplit(path_b_string, '/');
  // Step 6.
  if (list_a.size() > list_b.size())
    return false;
  // Step 7.
  if (exact_match && list_a.size() != list_b.size())
    return false;
  // Step 8.
  if (!exact_match)
    list_a.pop_back();
  // Step 9.
  for (size_t i = 0; i < list_a.size(); ++i) {
    if (PercentDecode(list_a[i]) != PercentDecode(list_b[i]))
      return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<CspSourceExpression> ParseCspSourceExpression(
    absl::string_view text) {
  CspSourceExpression e;
  e.text = std::string(text);
  if (text.empty())
    return Invalid(text, "empty");
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "*") {
    e.kind = Kind::kStar;
    return e;
  }
  if (lower[0] == '\'') {
    if (lower == "'self'") {
      e.kind = Kind::kSelf;
    } else if (lower == "'none'") {
      e.kind = Kind::kNone;
    } else if (IsOtherKeyword(lower)) {
      e.kind = Kind::kKeyword;
    } else {
      return Invalid(text, "not a known keyword, nonce or hash source");
    }
    return e;
  }
  absl::string_view rest = text;
  // scheme-source: scheme-part ":" and nothing after it.
  const size_t colon = rest.find(':');
  if (colon != absl::string_view::npos && colon + 1 == rest.size()) {
    if (!IsSchemePart(rest.substr(0, colon)))
      return Invalid(text, "not a valid scheme");
    e.kind = Kind::kScheme;
    e.scheme = absl::AsciiStrToLower(rest.substr(0, colon));
    return e;
  }
  // host-source: [ scheme-part "://" ] host-part [ ":" port-part ]
  // [ path-part ].
  e.kind = Kind::kHost;
  if (const size_t sep = rest.find("://"); sep != absl::string_view::npos) {
    if (!IsSchemePart(rest.substr(0, sep)))
      return Invalid(text, "not a valid scheme");
    e.scheme = absl::AsciiStrToLower(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
  }
  const size_t host_end = rest.find_first_of(":/");
  const absl::string_view host = rest.substr(0, host_end);
  if (!IsHostPart(host))
    return Invalid(text, "not a valid host");
  e.host = absl::AsciiStrToLower(host);
  rest.remove_prefix(host.size());
  if (absl::StartsWith(rest, ":")) {
    rest.remove_prefix(1);
    const absl::string_view port = rest.substr(0, rest.find('/'));
    if (!IsPortPart(port) ||
        (port != "*" && std::stoi(std::string(port)) > 65535)) {
      return Invalid(text, "not a valid port");
    }
    e.port = std::string(port);
    rest.remove_prefix(port.size());
  }
  if (!rest.empty()) {
    if (!IsPathPart(rest))
      return Invalid(text, "not a valid path");
    e.path = std::string(rest);
  }
  return e;
}

bool CspSchemePartMatches(absl::string_view a, absl::string_view b) {
  return a == b || (a == "http" && b == "https") ||
         (a == "ws" && (b == "wss" || b == "http" || b == "https")) ||
         (a == "wss" && b == "https");
}

bool DoesUrlMatchExpressionInOrigin(const Url& url,
                                    const CspSourceExpression& expression,
                                    const Origin& origin,
                                    int redirect_count) {
  switch (expression.kind) {
    case Kind::kStar:
      // Step 1: an HTTP(S) URL, or one of `origin`'s scheme. (Chromium's
      // wildcard also takes ws:, wss: and ftp:; CSP3 does not.)
      return url.SchemeIsHttpOrHttps() ||
             (!origin.opaque() && url.scheme() == origin.scheme());
    case Kind::kScheme:
      // Step 2.
      return CspSchemePartMatches(expression.scheme, url.scheme());
    case Kind::kHost: {
      // Step 3.
      if (!url.host())
        return false;
      // Step 3.2: without a scheme-part, the origin's scheme decides.
      if (expression.scheme.empty()) {
        if (origin.opaque() ||
            !CspSchemePartMatches(origin.scheme(), url.scheme())) {
          return false;
        }
      } else if (!CspSchemePartMatches(expression.scheme, url.scheme())) {
        return false;  // Step 3.3.
      }
      // Step 3.4.
      if (!HostPartMatches(expression.host, *url.host()))
        return false;
      // Step 3.5 (and the rule that an absent port-part with an upgraded
      // scheme matches the upgraded default port: CSP3 "port-part matches"
      // compares with the URL's default port only when the URL has none).
      if (!PortPartMatches(expression.port, url))
        return false;
      // Step 3.6: the path only before any redirect.
      if (redirect_count == 0 && !expression.path.empty() &&
          !PathPartMatches(expression.path, url)) {
        return false;
      }
      return true;
    }
    case Kind::kSelf: {
      // Step 4.
      if (origin.opaque() || !url.host())
        return false;
      const Origin url_origin = Origin::Create(url);
      if (origin.IsSameOriginWith(url_origin))
        return true;
      // Step 4.2: the ports (a URL's port is null when it is its scheme's
      // default) are the same, or each is its scheme's default: http://a.test
      // matches https://a.test/ but not https://a.test:80/.
      const std::optional<uint16_t> origin_port =
          Url::DefaultPortForScheme(origin.scheme()) == origin.port()
              ? std::nullopt
              : std::optional<uint16_t>(origin.port());
      const bool ports_match = origin_port == url.port();
      return origin.host() == *url.host() && ports_match &&
             (url.scheme() == "https" || url.scheme() == "wss" ||
              (origin.scheme() == "http" &&
               (url.scheme() == "http" || url.scheme() == "ws")));
    }
    case Kind::kNone:
    case Kind::kKeyword:
      return false;
  }
  return false;
}

}  // namespace fetch_later::net
