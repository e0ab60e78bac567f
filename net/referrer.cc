#include "net/referrer.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/origin.h"

namespace fetch_later::net {
namespace {

struct PolicyName {
  ReferrerPolicy policy;
  absl::string_view name;
};

constexpr PolicyName kPolicyNames[] = {
    {ReferrerPolicy::kEmpty, ""},
    {ReferrerPolicy::kNoReferrer, "no-referrer"},
    {ReferrerPolicy::kNoReferrerWhenDowngrade, "no-referrer-when-downgrade"},
    {ReferrerPolicy::kSameOrigin, "same-origin"},
    {ReferrerPolicy::kOrigin, "origin"},
    {ReferrerPolicy::kStrictOrigin, "strict-origin"},
    {ReferrerPolicy::kOriginWhenCrossOrigin, "origin-when-cross-origin"},
    {ReferrerPolicy::kStrictOriginWhenCrossOrigin,
     "strict-origin-when-cross-origin"},
    {ReferrerPolicy::kUnsafeUrl, "unsafe-url"},
};

// Fetch: "local scheme".
bool IsLocalScheme(absl::string_view scheme) {
  return scheme == "about" || scheme == "blob" || scheme == "data";
}

bool SameOrigin(const Url& a, const Url& b) {
  return Origin::Create(a).IsSameOriginWith(Origin::Create(b));
}

// "referrerURL is a potentially trustworthy URL and request's current URL is
// not a potentially trustworthy URL".
bool IsDowngrade(const Url& referrer_url, const Url& request_url) {
  return IsUrlPotentiallyTrustworthy(referrer_url) &&
         !IsUrlPotentiallyTrustworthy(request_url);
}

}  // namespace

absl::StatusOr<ReferrerPolicy> ParseReferrerPolicy(absl::string_view value) {
  for (const PolicyName& entry : kPolicyNames) {
    if (entry.name == value)
      return entry.policy;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", value, "' is not a valid enum value of type ReferrerPolicy"));
}

ReferrerPolicy ParseReferrerPolicyHeader(absl::string_view header_value) {
  // Steps 1-3: the header's value split on commas (a list of tokens);
  // surrounding whitespace is not part of a token.
  ReferrerPolicy policy = ReferrerPolicy::kEmpty;
  for (absl::string_view token : absl::StrSplit(header_value, ',')) {
    token = absl::StripAsciiWhitespace(token);
    absl::StatusOr<ReferrerPolicy> parsed = ParseReferrerPolicy(token);
    if (parsed.ok() && *parsed != ReferrerPolicy::kEmpty)
      policy = *parsed;
  }
  return policy;
}

absl::string_view ReferrerPolicyToString(ReferrerPolicy policy) {
  for (const PolicyName& entry : kPolicyNames) {
    if (entry.policy == policy)
      return entry.name;
  }
  return "";
}

// Referrer Policy: "strip url for use as a referrer".
std::optional<Url> StripUrlForUseAsReferrer(const Url& url, bool origin_only) {
  // Step 2: local schemes give no referrer.
  if (IsLocalScheme(url.scheme()))
    return std::nullopt;
  // Steps 3-5: rebuild the URL without credentials (step 3) and fragment
  // (step 4), and for `origin_only` without path and query (step 5). Url has
  // no setters, so the result is a serialisation parsed again; the URL
  // Standard's serializer output reparses to the same URL.
  std::string out = absl::StrCat(url.scheme(), ":");
  if (url.host().has_value()) {
    absl::StrAppend(&out, "//", *url.host());
    if (url.port().has_value())
      absl::StrAppend(&out, ":", *url.port());
  }
  if (origin_only) {
    // Path « » and query null. The root "/" is kept so that the result
    // serialises as browsers send it ("https://a.test/").
    if (!url.has_opaque_path())
      out += "/";
  } else {
    std::string path = url.PathString();
    // URL serializer: a host-less URL whose path starts with an empty segment
    // is written with "/." so the path is not read back as an authority.
    if (!url.host().has_value() && !url.has_opaque_path() && path.size() >= 2 &&
        path[0] == '/' && path[1] == '/') {
      out += "/.";
    }
    out += path;
    if (url.query().has_value())
      absl::StrAppend(&out, "?", *url.query());
  }
  absl::StatusOr<Url> stripped = Url::Parse(out);
  if (!stripped.ok())
    return std::nullopt;  // Not reachable for URLs the parser produced.
  return *std::move(stripped);
}

// Referrer Policy: "determine request's referrer", steps 4-8.
std::optional<StrippedReferrer> StripReferrerSource(
    const Url& referrer_source) {
  // Steps 4-5.
  std::optional<Url> referrer_url =
      StripUrlForUseAsReferrer(referrer_source, /*origin_only=*/false);
  std::optional<Url> referrer_origin =
      StripUrlForUseAsReferrer(referrer_source, /*origin_only=*/true);
  if (!referrer_url.has_value() || !referrer_origin.has_value())
    return std::nullopt;
  // Step 6: a full referrer longer than 4096 bytes falls back to the origin.
  if (referrer_url->Serialize().size() > kMaxReferrerLength)
    referrer_url = referrer_origin;
  return StrippedReferrer{std::move(*referrer_url),
                          std::move(*referrer_origin)};
}

std::optional<Url> DetermineRequestReferrer(ReferrerPolicy policy,
                                            const StrippedReferrer& source,
                                            const Url& request_url) {
  // Fetch, main fetch: an empty referrer policy is replaced by the policy
  // container's, whose default is "strict-origin-when-cross-origin".
  if (policy == ReferrerPolicy::kEmpty)
    policy = kDefaultReferrerPolicy;
  const Url& referrer_url = source.referrer_url;
  const Url& referrer_origin = source.referrer_origin;

  // Step 8.
  switch (policy) {
    case ReferrerPolicy::kEmpty:
    case ReferrerPolicy::kNoReferrer:
      return std::nullopt;
    case ReferrerPolicy::kOrigin:
      return referrer_origin;
    case ReferrerPolicy::kUnsafeUrl:
      return referrer_url;
    case ReferrerPolicy::kStrictOrigin:
      if (IsDowngrade(referrer_url, request_url))
        return std::nullopt;
      return referrer_origin;
    case ReferrerPolicy::kStrictOriginWhenCrossOrigin:
      if (SameOrigin(referrer_url, request_url))
        return referrer_url;
      if (IsDowngrade(referrer_url, request_url))
        return std::nullopt;
      return referrer_origin;
    case ReferrerPolicy::kSameOrigin:
      if (SameOrigin(referrer_url, request_url))
        return referrer_url;
      return std::nullopt;
    case ReferrerPolicy::kOriginWhenCrossOrigin:
      if (SameOrigin(referrer_url, request_url))
        return referrer_url;
      return referrer_origin;
    case ReferrerPolicy::kNoReferrerWhenDowngrade:
      if (IsDowngrade(referrer_url, request_url))
        return std::nullopt;
      return referrer_url;
  }
  return std::nullopt;
}

std::optional<Url> DetermineRequestReferrer(ReferrerPolicy policy,
                                            const Url& referrer_source,
                                            const Url& request_url) {
  if (policy == ReferrerPolicy::kNoReferrer)
    return std::nullopt;
  std::optional<StrippedReferrer> source = StripReferrerSource(referrer_source);
  if (!source)
    return std::nullopt;
  return DetermineRequestReferrer(policy, *source, request_url);
}

}  // namespace fetch_later::net
