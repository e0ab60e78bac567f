// Content Security Policy Level 3, the parts a deferred fetch meets: parsing a
// document's `Content-Security-Policy` headers into its policy container's CSP
// list, and "Should request be blocked by Content Security Policy?" for a
// request whose effective directive is `connect-src` (fetch() and fetchLater()
// requests have the empty destination).
//
//   CspParseResult parsed = ParseContentSecurityPolicies(
//       {"connect-src 'self' https://*.b.test; img-src *"},
//       CspDisposition::kEnforce);
//   parsed.warnings;  // one string per ignored directive or source expression
//   std::optional<CspViolation> v = ShouldRequestBeBlockedByCsp(
//       *parsed.list, *Url::Parse("https://c.test/x"), document_origin,
//       /*redirect_count=*/0);
//   v->violated_directive;  // "connect-src"
//
// A parsed list is immutable and shared (std::shared_ptr<const CspList>): the
// browser captures a document's list when fetchLater() is called, and the
// network stage checks every hop against it, also after the document is gone.
// Pure functions; thread-safe.
#ifndef NET_CSP_H_
#define NET_CSP_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/csp_source_expression.h"
#include "net/origin.h"
#include "net/url.h"

namespace fetch_later::net {

// CSP: a policy's "disposition".
enum class CspDisposition {
  kEnforce,     // Content-Security-Policy
  kReportOnly,  // Content-Security-Policy-Report-Only: never blocks
};

// CSP: "directive": a name and its value (here, its source list parsed; an
// empty list matches nothing, as 'none' does).
struct CspDirective {
  std::string name;  // lower case
  std::vector<CspSourceExpression> sources;
};

// CSP: "policy".
struct CspPolicy {
  std::vector<CspDirective> directives;
  CspDisposition disposition = CspDisposition::kEnforce;
  // The serialized policy as delivered (a violation's "original policy").
  std::string serialized;

  // The directive named `name`, or null.
  const CspDirective* Find(absl::string_view name) const;
};

// CSP: "CSP list" of a policy container.
struct CspList {
  std::vector<CspPolicy> policies;
  // CSP: the list's "self-origin", which 'self' matches: the origin of the
  // URL of the response it was parsed from, also when the document's origin
  // is opaque (a sandboxed document) or the list was inherited. nullopt: not
  // known (the document's origin stands in).
  std::optional<Origin> self_origin;
};

struct CspParseResult {
  std::shared_ptr<const CspList> list;  // never null
  // One readable line per directive or source expression ignored (for the
  // document's console), e.g. "Content-Security-Policy: the source
  // expression \"https://b.test:x\" of directive connect-src is ignored: not a
  // valid port".
  std::vector<std::string> warnings;
};

// CSP: "parse a serialized CSP list" for each header value in
// `header_values` (several headers, and comma-separated policies within one,
// all apply). Malformed parts are ignored one by one, each with a warning: a
// directive whose name is not a token or not a CSP3 directive name, a second
// directive of the same name in one policy, and, in the fetch directives'
// source lists, a source expression that does not parse (and 'none' next to
// other expressions). `self_origin`: the origin of the response's URL (CSP:
// "parse a response's Content Security Policies" step 4).
CspParseResult ParseContentSecurityPolicies(
    const std::vector<std::string>& header_values,
    CspDisposition disposition,
    std::optional<Origin> self_origin = std::nullopt);

// CSP: the violation "Should request be blocked by Content Security Policy?"
// found: the attributes a SecurityPolicyViolationEvent reports.
struct CspViolation {
  std::string violated_directive;   // "connect-src" or "default-src"
  std::string effective_directive;  // "connect-src"
  std::string original_policy;      // the blocking policy's serialization
};

// CSP: "Should request be blocked by Content Security Policy?" for a request
// to `url` with effective directive connect-src (falling back to default-src:
// "Should fetch directive execute"), `origin` being the CSP list's
// self-origin (CspList::self_origin; the document's origin when that is not
// known) and `redirect_count` the request's redirect count. Returns the first
// enforced policy's violation; nullopt when allowed. Report-only policies never
// block (and are not reported here).
std::optional<CspViolation> ShouldRequestBeBlockedByCsp(const CspList& list,
                                                        const Url& url,
                                                        const Origin& origin,
                                                        int redirect_count);

// CSP: "Does url match source list in origin with redirect count?".
bool DoesUrlMatchSourceListInOrigin(
    const Url& url,
    const std::vector<CspSourceExpression>& sources,
    const Origin& origin,
    int redirect_count);

}  // namespace fetch_later::net

#endif  // NET_CSP_H_
