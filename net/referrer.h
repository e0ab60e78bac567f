// Referrer Policy (W3C): the policy values, "strip url for use as a referrer"
// and "determine request's referrer".
//
//   absl::StatusOr<ReferrerPolicy> policy =
//       ParseReferrerPolicy("strict-origin");
//   Url page = *Url::Parse("https://a.test/page?x#frag");
//   Url target = *Url::Parse("https://b.test/beacon");
//   std::optional<Url> referrer =
//       DetermineRequestReferrer(*policy, page, target);
//   referrer->Serialize();  // "https://a.test/"
//
// Pure functions over net::Url; no I/O. The caller resolves the request's
// referrer "client" to the document's URL (and to no referrer when the
// document's origin is opaque) before calling DetermineRequestReferrer().
#ifndef NET_REFERRER_H_
#define NET_REFERRER_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "net/url.h"

namespace fetch_later::net {

// Referrer Policy: "referrer policy" values. kEmpty is the empty string: "no
// referrer policy", which Fetch replaces by the policy container's referrer
// policy (default kStrictOriginWhenCrossOrigin).
enum class ReferrerPolicy {
  kEmpty,
  kNoReferrer,
  kNoReferrerWhenDowngrade,
  kSameOrigin,
  kOrigin,
  kStrictOrigin,
  kOriginWhenCrossOrigin,
  kStrictOriginWhenCrossOrigin,
  kUnsafeUrl,
};

// Referrer Policy: "default referrer policy".
inline constexpr ReferrerPolicy kDefaultReferrerPolicy =
    ReferrerPolicy::kStrictOriginWhenCrossOrigin;

// Referrer Policy: the 4096-byte limit of "determine request's referrer" step
// 6 (a longer full referrer falls back to the origin-only one).
inline constexpr size_t kMaxReferrerLength = 4096;

// Parses a ReferrerPolicy IDL enum value (case-sensitive, as WebIDL enums
// are): "", "no-referrer", ..., "unsafe-url". Anything else is an
// InvalidArgumentError naming the input.
absl::StatusOr<ReferrerPolicy> ParseReferrerPolicy(absl::string_view value);

// Referrer Policy: "parse a referrer policy from a Referrer-Policy header":
// the last comma-separated token that is a policy value other than "" wins;
// kEmpty when none is (unknown tokens are ignored, so a policy can be
// extended with fallbacks).
ReferrerPolicy ParseReferrerPolicyHeader(absl::string_view header_value);

// The IDL string of `policy` ("" for kEmpty).
absl::string_view ReferrerPolicyToString(ReferrerPolicy policy);

// Referrer Policy: "strip url for use as a referrer" with `origin_only`.
// Returns nullopt ("no referrer") for local schemes (about:, blob:, data:).
// Removes credentials and the fragment; with `origin_only` also the path and
// query.
//
// The origin-only result keeps the root path "/" (it serialises as
// "https://a.test/", which is what browsers send and what WPT
// fetch/fetch-later/headers/ expects).
std::optional<Url> StripUrlForUseAsReferrer(const Url& url, bool origin_only);

// Referrer Policy: "determine request's referrer" steps 4-6 for one referrer
// source: its stripped full and origin-only forms (the full one already cut to
// the origin when longer than kMaxReferrerLength). A document computes this
// once for its URL. nullopt: the source yields no referrer (a local scheme).
struct StrippedReferrer {
  Url referrer_url;
  Url referrer_origin;
};
std::optional<StrippedReferrer> StripReferrerSource(const Url& referrer_source);

// Referrer Policy: "determine request's referrer", steps 7-8, given the
// stripped source.
std::optional<Url> DetermineRequestReferrer(ReferrerPolicy policy,
                                            const StrippedReferrer& source,
                                            const Url& request_url);

// Referrer Policy: "determine request's referrer", steps 4-8.
// `referrer_source` is the client's URL (request's referrer "client") or the
// request's explicit referrer URL; `request_url` is the request's current URL.
// kEmpty is treated as kDefaultReferrerPolicy. Returns nullopt for "no
// referrer".
std::optional<Url> DetermineRequestReferrer(ReferrerPolicy policy,
                                            const Url& referrer_source,
                                            const Url& request_url);

}  // namespace fetch_later::net

#endif  // NET_REFERRER_H_
