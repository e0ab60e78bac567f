#include "policy/permissions_policy.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "net/csp_source_expression.h"
#include "net/url.h"
#include "policy/structured_fields.h"

namespace fetch_later::policy {

namespace {

constexpr absl::string_view kHeaderName = "Permissions-Policy";

// Infra: "append" to an ordered set (expressions are the same when written
// the same).
void AppendToSet(std::vector<net::CspSourceExpression>& set,
                 net::CspSourceExpression expression) {
  for (const net::CspSourceExpression& existing : set) {
    if (existing.text == expression.text)
      return;
  }
  set.push_back(std::move(expression));
}

// The host-source an origin's serialization is (the `allow` attribute lists
// origins of URLs).
net::CspSourceExpression OriginExpression(const net::Origin& origin) {
  net::CspSourceExpression e;
  e.kind = net::CspSourceExpression::Kind::kHost;
  e.scheme = origin.scheme();
  e.host = origin.host();
  if (net::Url::DefaultPortForScheme(origin.scheme()) != origin.port())
    e.port = absl::StrCat(origin.port());
  e.text = origin.Serialize();
  return e;
}

// Permissions Policy: a permissions-source-expression: a CSP host-source or
// scheme-source (https://*.b.test, https:, https://b.test:8443/path).
// Anything else (keywords, "*", a string that is no source expression) is
// nullopt with `why` set.
std::optional<net::CspSourceExpression> ParsePermissionsSourceExpression(
    absl::string_view text,
    std::string* why) {
  absl::StatusOr<net::CspSourceExpression> e =
      net::ParseCspSourceExpression(text);
  if (!e.ok()) {
    *why = std::string(e.status().message());
    return std::nullopt;
  }
  if (e->kind != net::CspSourceExpression::Kind::kHost &&
      e->kind != net::CspSourceExpression::Kind::kScheme) {
    *why = "not a host-source or scheme-source";
    return std::nullopt;
  }
  return *std::move(e);
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
  // Steps 5-6: each permissions-source-expression is matched with CSP's
  // "does url match expression in origin with redirect count?", `url` being
  // the origin's serialization parsed as a URL (path "/"), redirect count 0:
  // so a scheme-source, a wildcard host and a path-part all count. (Chromium
  // reduces each member to an origin instead: "https://b.test/path" matches
  // there, not here.)
  absl::StatusOr<net::Url> url = net::Url::Parse(origin.Serialize());
  if (!url.ok())
    return false;
  for (const net::CspSourceExpression& expression : expressions) {
    if (net::DoesUrlMatchExpressionInOrigin(*url, expression, origin,
                                            /*redirect_count=*/0)) {
      return true;
    }
  }
  return false;  // Step 7.
}

std::string Allowlist::DebugString() const {
  if (all)
    return "*";
  std::vector<std::string> parts;
  for (const net::CspSourceExpression& e : expressions)
    parts.push_back(e.text);
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
          std::optional<net::CspSourceExpression> expression;
          std::string why = "is not the token self or * or a string";
          if (element.value.is_string()) {
            expression = ParsePermissionsSourceExpression(
                element.value.string_value(), &why);
          }
          if (expression.has_value()) {
            AppendToSet(allowlist.expressions, *std::move(expression));
            continue;
          }
          // "Any other items inside of an Inner List will be ignored".
          result.warnings.push_back(absl::StrCat(
              kHeaderName, ": member ", member_index, " (", feature_name,
              ") item ", element_index, " ", element.value.DebugString(),
              element.value.is_string()
                  ? absl::StrCat(" is not a permissions-source-expression (",
                                 why, ")")
                  : std::string(" is not the token self or * or a string"),
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
        // Step 2.9.2.3: the origin of a URL ('none' and anything else that
        // does not parse as one contribute nothing), kept as the host-source
        // its serialization is.
        absl::StatusOr<net::Url> url = net::Url::Parse(element);
        if (!url.ok())
          continue;
        const net::Origin target = net::Origin::Create(*url);
        if (!target.opaque())
          AppendToSet(allowlist.expressions, OriginExpression(target));
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
