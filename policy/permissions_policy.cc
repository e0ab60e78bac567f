#include "policy/permissions_policy.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "net/url.h"
#include "policy/structured_fields.h"

namespace fetch_later::policy {

namespace {

constexpr absl::string_view kHeaderName = "Permissions-Policy";

// URL Standard: "default port" (the special schemes that have one).
std::optional<uint16_t> DefaultPort(absl::string_view scheme) {
  if (scheme == "http" || scheme == "ws")
    return 80;
  if (scheme == "https" || scheme == "wss")
    return 443;
  if (scheme == "ftp")
    return 21;
  return std::nullopt;
}

// The port of the URL "the URL parser on the serialization of `origin`" gives:
// null when it is the scheme's default port (the serialization omits it).
std::optional<uint16_t> SerializedPort(const net::Origin& origin) {
  if (DefaultPort(origin.scheme()) == origin.port())
    return std::nullopt;
  return origin.port();
}

// URL Standard: a host that is a domain (not an IPv4 or IPv6 address). After
// URL parsing an IPv6 host is bracketed and a host whose last label is numeric
// is an IPv4 address.
bool HostIsDomain(absl::string_view host) {
  if (host.empty() || host.front() == '[')
    return false;
  if (host.back() == '.')
    host.remove_suffix(1);
  size_t dot = host.rfind('.');
  absl::string_view last =
      dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty())
    return true;
  for (char c : last) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c)))
      return true;
  }
  return false;
}

// CSP: the "host-part" production: "*" / ["*."] 1*host-char *("." 1*host-char)
// ["."].
bool IsHostPart(absl::string_view host) {
  if (host == "*")
    return true;
  if (absl::StartsWith(host, "*."))
    host.remove_prefix(2);
  if (!host.empty() && host.back() == '.')
    host.remove_suffix(1);
  if (host.empty())
    return false;
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty())
      return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-')
        return false;
    }
  }
  return true;
}

// CSP: "scheme-part matches" (expression scheme `a`, URL scheme `b`).
bool SchemePartMatches(absl::string_view a, absl::string_view b) {
  return absl::EqualsIgnoreCase(a, b) || (a == "http" && b == "https") ||
         (a == "ws" && (b == "wss" || b == "http" || b == "https")) ||
         (a == "wss" && b == "https");
}

// CSP: "host-part matches" (`pattern` from the expression, `host` from the
// URL).
bool HostPartMatches(absl::string_view pattern, absl::string_view host) {
  if (!HostIsDomain(host))  // Step 1.
    return false;
  if (pattern == "*")  // Step 2.
    return true;
  if (absl::StartsWith(pattern, "*.")) {  // Step 3.
    std::string remaining = absl::AsciiStrToLower(pattern.substr(1));
    return absl::EndsWith(absl::AsciiStrToLower(host), remaining);
  }
  return absl::EqualsIgnoreCase(pattern, host);  // Steps 4-5.
}

// CSP: "port-part matches" (`input` null for an expression without a
// port-part).
bool PortPartMatches(std::optional<uint16_t> input,
                     const net::Origin& url_origin) {
  std::optional<uint16_t> url_port = SerializedPort(url_origin);
  if (input == url_port)  // Step 4.
    return true;
  if (!url_port.has_value())  // Step 5.
    return input.has_value() && input == DefaultPort(url_origin.scheme());
  return false;
}

// CSP: "does url match expression in origin with redirect count?", for `url`
// being the URL of a tuple origin's serialization, `expression` the
// serialization of a tuple origin (always a host-source with a scheme-part when
// it matches the grammar, and never a path), and redirect count 0. The `origin`
// argument only matters for scheme-less expressions, which never occur.
bool UrlMatchesOriginExpression(const net::Origin& url,
                                const net::Origin& expression) {
  // Step 2: the expression must match the host-source grammar (an IPv6 host
  // does not).
  if (!IsHostPart(expression.host()))
    return false;
  // Step 2.1.
  if (!SchemePartMatches(expression.scheme(), url.scheme()))
    return false;
  // Step 3.1: a tuple origin always has a host. Step 3.3.
  if (!HostPartMatches(expression.host(), url.host()))
    return false;
  // Steps 3.4-3.5.
  return PortPartMatches(SerializedPort(expression), url);
}

// Infra: "append" to an ordered set.
void AppendToSet(std::vector<net::Origin>& set, net::Origin origin) {
  for (const net::Origin& existing : set) {
    if (existing == origin)
      return;
  }
  set.push_back(std::move(origin));
}

// URL-parses `input` and returns its origin unless parsing failed or the origin
// is opaque.
std::optional<net::Origin> TupleOriginOfUrl(absl::string_view input) {
  absl::StatusOr<net::Url> url = net::Url::Parse(input);
  if (!url.ok())
    return std::nullopt;
  net::Origin origin = net::Origin::Create(*url);
  if (origin.opaque())
    return std::nullopt;
  return origin;
}

bool IsToken(const sf::BareItem& item, absl::string_view value) {
  return item.is_token() && item.string_value() == value;
}

// Infra: "ASCII whitespace".
constexpr char kAsciiWhitespace[] = "\t\n\f\r ";

}  // namespace

std::optional<Feature> FeatureFromName(absl::string_view name) {
  if (name == "deferred-fetch")
    return Feature::kDeferredFetch;
  if (name == "deferred-fetch-minimal")
    return Feature::kDeferredFetchMinimal;
  return std::nullopt;
}

absl::string_view FeatureName(Feature feature) {
  switch (feature) {
    case Feature::kDeferredFetch:
      return "deferred-fetch";
    case Feature::kDeferredFetchMinimal:
      return "deferred-fetch-minimal";
  }
  return "";
}

// Fetch: the "deferred-fetch" feature's default allowlist is 'self', and
// "deferred-fetch-minimal"'s is *.
DefaultAllowlist DefaultAllowlistFor(Feature feature) {
  switch (feature) {
    case Feature::kDeferredFetch:
      return DefaultAllowlist::kSelf;
    case Feature::kDeferredFetchMinimal:
      return DefaultAllowlist::kAll;
  }
  return DefaultAllowlist::kSelf;
}

// Permissions Policy: "matches".
bool Allowlist::Matches(const net::Origin& origin) const {
  // Step 1.
  if (all)
    return true;
  // Steps 2-3: "same origin-domain"; without document.domain that is same
  // origin.
  if (self_origin.has_value() && self_origin->IsSameOriginWith(origin))
    return true;
  if (src_origin.has_value() && src_origin->IsSameOriginWith(origin))
    return true;
  // Step 4.
  if (origin.opaque())
    return false;
  // Steps 5-6.
  for (const net::Origin& expression : expressions) {
    if (UrlMatchesOriginExpression(origin, expression))
      return true;
  }
  return false;  // Step 7.
}

std::string Allowlist::DebugString() const {
  if (all)
    return "*";
  std::vector<std::string> parts;
  for (const net::Origin& o : expressions)
    parts.push_back(o.Serialize());
  return absl::StrCat("self=", self_origin ? self_origin->Serialize() : "none",
                      " src=", src_origin ? src_origin->Serialize() : "none",
                      " [", absl::StrJoin(parts, " "), "]");
}

// Permissions Policy: "process response policy" and "construct policy from
// dictionary and origin".
DeclaredPolicyResult ParsePermissionsPolicyHeader(
    absl::string_view header_value,
    const net::Origin& self_origin) {
  DeclaredPolicyResult result;
  // "Process response policy", steps 2-3: a value that is not a dictionary is
  // null, and the declared policy is empty.
  absl::StatusOr<sf::Dictionary> dictionary =
      sf::ParseDictionary(header_value, kHeaderName);
  if (!dictionary.ok()) {
    result.error = std::string(dictionary.status().message());
    return result;
  }
  // "Construct policy from dictionary and origin", step 3.
  int member_index = 0;
  for (const auto& [feature_name, value] : *dictionary) {
    ++member_index;
    // Steps 3.1-3.2.
    std::optional<Feature> feature = FeatureFromName(feature_name);
    if (!feature.has_value())
      continue;
    // Step 3.3 (reporting configuration) is not modelled: parameters are
    // ignored.
    Allowlist allowlist;  // Step 3.4.
    if (!value.is_inner_list()) {
      const sf::BareItem& item = value.item().value;
      if (IsToken(item, "*")) {  // Step 3.5.
        allowlist.all = true;
      } else if (IsToken(item, "self")) {  // Step 3.6.1.
        allowlist.self_origin = self_origin;
      } else {
        // Step 3.6: any other bare item (a string such as "https://a.test", a
        // token other than self, ?1 for a key without a value) adds nothing,
        // so the allowlist is empty and the feature is disabled for every
        // origin. (The syntax prose also lists a String as a member value, and
        // Chromium reads `"https://a.test"` as a one-origin allowlist.)
        result.warnings.push_back(absl::StrCat(
            kHeaderName, ": member ", member_index, " (", feature_name, "=",
            item.DebugString(),
            "): a bare item other than the tokens * and self adds no origin; "
            "empty allowlist (the feature is disabled for every origin)"));
      }
    } else {
      const std::vector<sf::Item>& elements = value.inner_list().items;
      bool has_star = false;
      for (const sf::Item& element : elements)
        has_star = has_star || IsToken(element.value, "*");
      if (has_star) {  // Step 3.5.
        allowlist.all = true;
      } else {
        // Step 3.6.2.
        int element_index = 0;
        for (const sf::Item& element : elements) {
          ++element_index;
          if (IsToken(element.value, "self")) {
            allowlist.self_origin = self_origin;
            continue;
          }
          std::optional<net::Origin> origin;
          if (element.value.is_string())
            origin = TupleOriginOfUrl(element.value.string_value());
          if (origin.has_value()) {
            AppendToSet(allowlist.expressions, *std::move(origin));
            continue;
          }
          // "Any other items inside of an Inner List will be ignored".
          result.warnings.push_back(absl::StrCat(
              kHeaderName, ": member ", member_index, " (", feature_name,
              ") item ", element_index, " ", element.value.DebugString(),
              element.value.is_string()
                  ? " is not a URL with a non-opaque origin"
                  : " is not the token self or * or a string",
              "; item ignored"));
        }
      }
    }
    result.policy.Set(*feature, std::move(allowlist));  // Step 3.7.
  }
  return result;
}

// Permissions Policy: "parse policy directive".
PolicyDirective ParseAllowAttribute(
    absl::string_view allow,
    const net::Origin& container_origin,
    const std::optional<net::Origin>& target_origin) {
  PolicyDirective directive;  // Step 1.
  // Step 2: strictly split on ';'.
  for (absl::string_view serialized_declaration : absl::StrSplit(allow, ';')) {
    // Step 2.1.
    std::vector<absl::string_view> tokens =
        absl::StrSplit(serialized_declaration,
                       absl::ByAnyChar(kAsciiWhitespace), absl::SkipEmpty());
    if (tokens.empty())  // Step 2.2.
      continue;
    // Steps 2.3-2.5.
    std::optional<Feature> feature = FeatureFromName(tokens[0]);
    if (!feature.has_value())
      continue;
    // Steps 2.6-2.7.
    absl::Span<const absl::string_view> targetlist =
        absl::MakeConstSpan(tokens).subspan(1);
    Allowlist allowlist;
    bool has_star = false;
    for (absl::string_view element : targetlist)
      has_star = has_star || element == "*";
    if (has_star) {  // Step 2.8.
      allowlist.all = true;
    } else {
      // Step 2.9.1.
      if (targetlist.empty() && target_origin.has_value())
        allowlist.src_origin = target_origin;
      // Step 2.9.2.
      for (absl::string_view element : targetlist) {
        if (absl::EqualsIgnoreCase(element, "'self'")) {
          allowlist.self_origin = container_origin;
          continue;
        }
        if (target_origin.has_value() &&
            absl::EqualsIgnoreCase(element, "'src'")) {
          allowlist.src_origin = target_origin;
          continue;
        }
        // 'none' and anything else that does not parse as a URL contribute
        // nothing.
        std::optional<net::Origin> target = TupleOriginOfUrl(element);
        if (target.has_value())
          AppendToSet(allowlist.expressions, *std::move(target));
      }
    }
    // Step 2.10: map "set", so a later declaration of the same feature replaces
    // an earlier one.
    directive.Set(*feature, std::move(allowlist));
  }
  return directive;  // Step 3.
}

// Permissions Policy: "create a permissions policy for a navigable".
PermissionsPolicy PermissionsPolicy::CreateForNavigable(
    const ContainerInfo* container,
    const net::Origin& origin) {
  PermissionsPolicy policy(origin);
  for (int i = 0; i < kFeatureCount; ++i) {
    policy.inherited_[i] = DefineInheritedPolicyForFeatureInContainerAtOrigin(
        static_cast<Feature>(i), container, origin);
  }
  return policy;
}

// Permissions Policy: "create a permissions policy for a navigable from
// response", step 3.
void PermissionsPolicy::SetDeclaredPolicy(const PolicyDirective& declared) {
  declared_ = PolicyDirective();
  for (int i = 0; i < kFeatureCount; ++i) {
    Feature feature = static_cast<Feature>(i);
    if (inherited_[i] && declared.Contains(feature))
      declared_.Set(feature, *declared.Get(feature));
  }
}

// Permissions Policy: "get feature value for origin".
bool PermissionsPolicy::GetFeatureValueForOrigin(
    Feature feature,
    const net::Origin& origin) const {
  // Step 2.
  if (!inherited(feature))
    return false;
  // Step 3.
  if (declared_.Contains(feature))
    return declared_.Get(feature)->Matches(origin);
  return true;  // Step 4.
}

// Permissions Policy: "is feature enabled in document for origin?" with report
// false, i.e. "check permissions policy" given this policy, `feature`, `origin`
// and the document's origin.
bool PermissionsPolicy::IsFeatureEnabledForOrigin(
    Feature feature,
    const net::Origin& origin) const {
  // "Check permissions policy", step 1.
  if (!inherited(feature))
    return false;
  // Step 2.
  if (declared_.Contains(feature))
    return declared_.Get(feature)->Matches(origin);
  // Steps 3-5.
  switch (DefaultAllowlistFor(feature)) {
    case DefaultAllowlist::kAll:
      return true;
    case DefaultAllowlist::kSelf:
      return origin.IsSameOriginWith(origin_);
  }
  return false;
}

// Permissions Policy: "define an inherited policy for feature in container at
// origin".
bool DefineInheritedPolicyForFeatureInContainerAtOrigin(
    Feature feature,
    const ContainerInfo* container,
    const net::Origin& origin) {
  // Step 1.
  if (container == nullptr)
    return true;
  const PermissionsPolicy& parent = *container->node_document_policy;
  // Step 2: the parent document must have the feature for its own origin.
  if (!parent.GetFeatureValueForOrigin(feature,
                                       container->node_document_origin))
    return false;
  // Step 3: ... and for `origin`.
  if (!parent.GetFeatureValueForOrigin(feature, origin))
    return false;
  // Step 4: "process permissions policy attributes" (no allowfullscreen here).
  PolicyDirective container_policy =
      ParseAllowAttribute(container->allow, container->node_document_origin,
                          container->declared_origin);
  // Step 5.
  if (container_policy.Contains(feature))
    return container_policy.Get(feature)->Matches(origin);
  // Steps 6-8.
  switch (DefaultAllowlistFor(feature)) {
    case DefaultAllowlist::kAll:
      return true;
    case DefaultAllowlist::kSelf:
      return origin.IsSameOriginWith(container->node_document_origin);
  }
  return false;
}

}  // namespace fetch_later::policy
