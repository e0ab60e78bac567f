// Permissions Policy (https://w3c.github.io/webappsec-permissions-policy/) for
// the two policy-controlled features of deferred fetching. Pure functions and
// values; no I/O.
//
//   // The top-level document's header:
//   DeclaredPolicyResult header = ParsePermissionsPolicyHeader(
//       "deferred-fetch=(self \"https://b.test\")", top_origin);
//   PermissionsPolicy top = PermissionsPolicy::CreateForNavigable(nullptr,
//   top_origin); top.SetDeclaredPolicy(header.policy);
//
//   // An <iframe src="https://b.test/" allow="deferred-fetch">:
//   ContainerInfo iframe{&top, top_origin, /*allow=*/"deferred-fetch",
//                        /*declared_origin=*/b_origin};
//   DefineInheritedPolicyForFeatureInContainerAtOrigin(Feature::kDeferredFetch,
//   &iframe,
//                                                      b_origin);  // true
//                                                      ("Enabled")
#ifndef POLICY_PERMISSIONS_POLICY_H_
#define POLICY_PERMISSIONS_POLICY_H_

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/csp_source_expression.h"
#include "net/origin.h"

namespace fetch_later::policy {

// The policy-controlled features this component knows. Unknown feature names in
// headers and `allow` attributes are ignored, as the spec says.
enum class Feature {
  kDeferredFetch,         // "deferred-fetch", default allowlist 'self'
  kDeferredFetchMinimal,  // "deferred-fetch-minimal", default allowlist *
};
inline constexpr int kFeatureCount = 2;

enum class DefaultAllowlist { kSelf, kAll };

// "deferred-fetch" -> kDeferredFetch; nullopt for any other name
// (case-sensitive, as the structured-field keys and attribute feature names
// are).
std::optional<Feature> FeatureFromName(absl::string_view name);
absl::string_view FeatureName(Feature feature);
DefaultAllowlist DefaultAllowlistFor(Feature feature);

// Permissions Policy: "allowlist". Either the special value * or (expressions,
// self-origin, src-origin). Keywords ('self', 'src', 'none') are resolved at
// parse time.
struct Allowlist {
  bool all = false;  // the special value *
  // The permissions-source-expressions listed (CSP host-sources and
  // scheme-sources, e.g. "https://*.b.test", "https:").
  std::vector<net::CspSourceExpression> expressions;
  std::optional<net::Origin> self_origin;
  std::optional<net::Origin> src_origin;

  // Permissions Policy: "matches". self-origin and src-origin match a
  // same-origin `origin`
  // ("same origin-domain" without document.domain). Each expression is matched
  // as the CSP host-source it serialises to (CSP: "does url match expression in
  // origin with redirect count?"), so: an http expression also matches https
  // (and ws matches wss/http/https, wss matches https); a host `*.example.com`
  // matches every subdomain of example.com (not example.com itself) if the URL
  // parser kept the `*`; and an IP-address host never matches an expression
  // (CSP "host-part matches", step 1), only 'self' / 'src'.
  bool Matches(const net::Origin& origin) const;

  // For test messages: "*", or e.g. "self=https://a.test src=null
  // [https://b.test]".
  std::string DebugString() const;
};

// Permissions Policy: "policy directive": an ordered map feature -> allowlist.
// A feature that is absent has no declaration.
struct PolicyDirective {
  std::array<std::optional<Allowlist>, kFeatureCount> allowlists;

  const std::optional<Allowlist>& Get(Feature f) const {
    return allowlists[static_cast<int>(f)];
  }
  void Set(Feature f, Allowlist a) {
    allowlists[static_cast<int>(f)] = std::move(a);
  }
  bool Contains(Feature f) const { return Get(f).has_value(); }
};

struct DeclaredPolicyResult {
  PolicyDirective policy;
  // Empty when the header parsed as a dictionary. Otherwise why and where the
  // whole header was ignored ("Permissions-Policy: at offset 17: trailing ','
  // in dictionary (found end of input)"); `policy` is then empty.
  std::string error;
  // For a header that parsed: one note per inner-list item that was skipped
  // and per member whose bare value added no origin ("Permissions-Policy:
  // member 2 (deferred-fetch-minimal=\"https://a.test\"): ... empty
  // allowlist ..."). Unknown features are skipped silently.
  std::vector<std::string> warnings;
};

// Permissions Policy: "process response policy" / "construct policy from
// dictionary and origin": parses the `Permissions-Policy` header value as an
// RFC 8941 structured-field dictionary. A value that is not a valid dictionary
// is ignored as a whole (empty policy, and `error` says why and where).
// `self_origin` is the document's origin.
//
// Member values: token `*` (bare or inside an inner list) -> *; token `self`
// (bare or inside an inner list) -> self-origin; strings inside an inner list
// are URL-parsed and their non-opaque origin added to the expressions (ports
// kept, paths dropped); `()` -> an empty allowlist that matches nothing. Any
// other inner-list item is skipped with a warning. A member whose value is any
// other bare item (e.g. the string `"https://a.test"`) adds no origin, so its
// allowlist is empty and the feature is disabled for every origin, the
// document's own included (with a warning; Chromium reads a bare string as a
// one-origin allowlist). Parameters are ignored.
DeclaredPolicyResult ParsePermissionsPolicyHeader(
    absl::string_view header_value,
    const net::Origin& self_origin);

// Permissions Policy: "parse policy directive" for the iframe `allow`
// attribute. `container_origin` is the origin of the iframe's node document
// ('self'); `target_origin` is the iframe's declared origin ('src', and the
// default when a feature has no value); for a sandboxed iframe without
// allow-same-origin pass a new opaque origin.
PolicyDirective ParseAllowAttribute(
    absl::string_view allow,
    const net::Origin& container_origin,
    const std::optional<net::Origin>& target_origin);

class PermissionsPolicy;

// What "define an inherited policy for feature in container at origin" needs to
// know about a navigable container (an iframe) and its node document. Built by
// the caller for the duration of one call; `node_document_policy` is not owned
// and must outlive that call.
struct ContainerInfo {
  const PermissionsPolicy* node_document_policy;  // must not be null
  net::Origin node_document_origin;
  std::string allow;  // the `allow` attribute value ("" when absent)
  // The container's "declared origin": the origin of its src URL, the node
  // document's origin for about:blank / srcdoc, or a new opaque origin for a
  // sandboxed iframe without allow-same-origin.
  std::optional<net::Origin> declared_origin;
};

// Permissions Policy: "permissions policy" of a document: an inherited policy
// (per feature, Enabled = true) and a declared policy.
class PermissionsPolicy {
 public:
  // Permissions Policy: "create a permissions policy for a navigable" given
  // `container` (nullptr for a top-level traversable) and the new document's
  // `origin`.
  static PermissionsPolicy CreateForNavigable(const ContainerInfo* container,
                                              const net::Origin& origin);

  // Permissions Policy: "create a permissions policy for a navigable from
  // response", step 3: only features whose inherited policy is Enabled take the
  // declaration. Replaces any earlier declared policy.
  void SetDeclaredPolicy(const PolicyDirective& declared);

  bool inherited(Feature f) const { return inherited_[static_cast<int>(f)]; }
  const PolicyDirective& declared() const { return declared_; }
  const net::Origin& origin() const { return origin_; }

  // Permissions Policy: "is feature enabled in document for origin?" (without
  // reporting) for a document whose permissions policy is this one.
  bool IsFeatureEnabledForOrigin(Feature feature,
                                 const net::Origin& origin) const;
  // Permissions Policy: "get feature value for origin".
  bool GetFeatureValueForOrigin(Feature feature,
                                const net::Origin& origin) const;

 private:
  explicit PermissionsPolicy(net::Origin origin) : origin_(std::move(origin)) {}

  net::Origin origin_;  // the document's origin
  std::array<bool, kFeatureCount> inherited_{};
  PolicyDirective declared_;
};

// Permissions Policy: "define an inherited policy for feature in container at
// origin". `container` null means a top-level traversable (always Enabled).
// Returns Enabled as true.
bool DefineInheritedPolicyForFeatureInContainerAtOrigin(
    Feature feature,
    const ContainerInfo* container,
    const net::Origin& origin);

}  // namespace fetch_later::policy

#endif  // POLICY_PERMISSIONS_POLICY_H_
