#include "browser/fetch_later_request_validator.h"

#include <cmath>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "browser/deferred_fetch_quota.h"
#include "net/cors_safelist.h"
#include "net/fetch_header_rules.h"
#include "net/referrer.h"

namespace fetch_later::browser {
namespace {

using Reason = BadMessageReason;

// The failed check `reason`, its detail naming `field` and the `rule`.
BadMessage Bad(Reason reason, absl::string_view field, absl::string_view rule) {
  return BadMessage{reason, absl::StrCat(field, ": ", rule)};
}

bool TooLong(absl::string_view s) {
  return s.size() > static_cast<size_t>(ipc::MAX_FIELD_BYTES);
}

// The IPC enums as the network stage's. Proto3 enums are open: a renderer can
// send any number, so each is checked.
std::optional<net::RequestMode> FromIpc(int mode) {
  switch (mode) {
    case ipc::REQUEST_MODE_CORS:
      return net::RequestMode::kCors;
    case ipc::REQUEST_MODE_NO_CORS:
      return net::RequestMode::kNoCors;
    case ipc::REQUEST_MODE_SAME_ORIGIN:
      return net::RequestMode::kSameOrigin;
  }
  return std::nullopt;
}

std::optional<net::CredentialsMode> CredentialsFromIpc(int mode) {
  switch (mode) {
    case ipc::CREDENTIALS_SAME_ORIGIN:
      return net::CredentialsMode::kSameOrigin;
    case ipc::CREDENTIALS_OMIT:
      return net::CredentialsMode::kOmit;
    case ipc::CREDENTIALS_INCLUDE:
      return net::CredentialsMode::kInclude;
  }
  return std::nullopt;
}

std::optional<net::RedirectMode> RedirectFromIpc(int mode) {
  switch (mode) {
    case ipc::REDIRECT_FOLLOW:
      return net::RedirectMode::kFollow;
    case ipc::REDIRECT_ERROR:
      return net::RedirectMode::kError;
    case ipc::REDIRECT_MANUAL:
      return net::RedirectMode::kManual;
  }
  return std::nullopt;
}

// What the guard "request-no-cors" lets a header list hold: each header
// kept by Headers "append" step 3 was a no-CORS-safelisted request-header
// together with the earlier values of its name, so the combined value of every
// name is one. The index of the first header of a name that is not, or -1.
template <typename Message>
int FirstHeaderTheNoCorsGuardDrops(const Message& m) {
  for (int i = 0; i < m.headers_size(); ++i) {
    const std::string& name = m.headers(i).name();
    // Each name once, at its first header.
    bool seen = false;
    for (int j = 0; j < i && !seen; ++j)
      seen = absl::EqualsIgnoreCase(m.headers(j).name(), name);
    if (seen)
      continue;
    // Fetch: header list "get": the values of every header of the name,
    // combined with ", ".
    std::string combined;
    for (int j = i; j < m.headers_size(); ++j) {
      if (!absl::EqualsIgnoreCase(m.headers(j).name(), name))
        continue;
      if (j != i)
        combined += ", ";
      combined += m.headers(j).value();
    }
    if (!net::IsNoCorsSafelistedRequestHeader(name, combined))
      return i;
  }
  return -1;
}

// The URL checks fetchLater() and fetch() share: within MAX_FIELD_BYTES,
// parses, no credentials (the Request constructor refuses them), HTTP(S)
// (fetchLater() step 7; a fetch() of another scheme is a network error in the
// renderer, which never asks the browser).
BadMessageOr<net::Url> ValidateHttpUrl(absl::string_view spec) {
  if (TooLong(spec)) {
    return Bad(Reason::kFetchLaterUrlTooLong, "url",
               "longer than MAX_FIELD_BYTES");
  }
  absl::StatusOr<net::Url> url = net::Url::Parse(spec);
  if (!url.ok())
    return Bad(Reason::kFetchLaterUrlUnparsable, "url", url.status().message());
  if (url->IncludesCredentials()) {
    return Bad(Reason::kFetchLaterUrlHasCredentials, "url",
               "includes credentials");
  }
  if (!url->SchemeIsHttpOrHttps()) {
    return Bad(Reason::kFetchLaterUrlNotHttpS, "url",
               absl::StrCat("scheme \"", url->scheme(), "\" is not HTTP(S)"));
  }
  return *std::move(url);
}

// Mixed Content: "should fetching request be blocked as mixed content?", as
// the renderer decides it: a secure context's request to a URL that is not
// potentially trustworthy.
BadMessageOr<net::Url> ValidateFetchUrl(absl::string_view spec,
                                        const ClientFacts& client) {
  BadMessageOr<net::Url> url = ValidateHttpUrl(spec);
  if (!url.ok())
    return url;
  if (client.secure_context && !net::IsUrlPotentiallyTrustworthy(*url)) {
    return Bad(Reason::kFetchMixedContent, "url",
               "not potentially trustworthy, from a secure context (mixed "
               "content)");
  }
  return url;
}

// The checks of a request FetchLaterRequest and FetchRequest share, in order:
// method, mode / credentials / redirect (and a no-cors request's method),
// URL (`validate_url`), referrer, headers (and what a no-cors request's guard
// would have dropped), body (at most `max_body_bytes`, named
// `max_body_limit`). Both messages have these fields under the same names.
template <typename Message, typename ValidateUrl>
BadMessageOr<DeferredRequest> ValidateRequest(
    const Message& m,
    const ClientFacts& client,
    ValidateUrl validate_url,
    size_t max_body_bytes,
    absl::string_view max_body_limit) {
  // Method: a normalised token, not forbidden.
  if (m.method().empty() || m.method().size() > ipc::MAX_METHOD_BYTES ||
      !net::IsHttpToken(m.method())) {
    return Bad(Reason::kFetchLaterMethodNotToken, "method",
               "not a method token");
  }
  if (net::IsForbiddenMethod(m.method())) {
    return Bad(Reason::kFetchLaterMethodForbidden, "method",
               "forbidden method");
  }
  if (net::NormalizeMethod(m.method()) != m.method()) {
    return Bad(Reason::kFetchLaterMethodNotNormalized, "method",
               "not normalised");
  }

  // RequestInit's mode, credentials and redirect as the Request constructor
  // left them (steps 17-23).
  const std::optional<net::RequestMode> mode = FromIpc(m.mode());
  if (!mode) {
    return Bad(Reason::kFetchLaterRequestModeInvalid, "mode",
               absl::StrCat(m.mode(), " is not a RequestMode"));
  }
  const std::optional<net::CredentialsMode> credentials =
      CredentialsFromIpc(m.credentials());
  if (!credentials) {
    return Bad(Reason::kFetchLaterCredentialsModeInvalid, "credentials",
               absl::StrCat(m.credentials(), " is not a CredentialsMode"));
  }
  const std::optional<net::RedirectMode> redirect =
      RedirectFromIpc(m.redirect());
  if (!redirect) {
    return Bad(Reason::kFetchLaterRedirectModeInvalid, "redirect",
               absl::StrCat(m.redirect(), " is not a RedirectMode"));
  }
  // The Request constructor, step 33.1.
  if (*mode == net::RequestMode::kNoCors &&
      !net::IsCorsSafelistedMethod(m.method())) {
    return Bad(Reason::kFetchLaterNoCorsMethodNotSafelisted, "method",
               absl::StrCat("\"", m.method(),
                            "\" is not CORS-safelisted (mode \"no-cors\")"));
  }

  BadMessageOr<net::Url> url = validate_url(m.url());
  if (!url.ok())
    return url.bad_message();

  DeferredRequest request{m.method(), *url};
  request.mode = *mode;
  request.credentials = *credentials;
  request.redirect = *redirect;

  // Referrer: the Request constructor leaves a URL only when it is same origin
  // with the client; otherwise "client" (or "no-referrer" for '').
  std::optional<net::StrippedReferrer> explicit_referrer;
  const net::StrippedReferrer* referrer_source = nullptr;
  if (!m.referrer_url().empty()) {
    if (m.no_referrer()) {
      return Bad(Reason::kFetchLaterReferrerWithNoReferrer, "referrer_url",
                 "set together with no_referrer");
    }
    if (TooLong(m.referrer_url())) {
      return Bad(Reason::kFetchLaterReferrerTooLong, "referrer_url",
                 "longer than MAX_FIELD_BYTES");
    }
    absl::StatusOr<net::Url> referrer = net::Url::Parse(m.referrer_url());
    if (!referrer.ok()) {
      return Bad(Reason::kFetchLaterReferrerUnparsable, "referrer_url",
                 referrer.status().message());
    }
    if (!net::Origin::Create(*referrer).IsSameOriginWith(client.origin)) {
      return Bad(Reason::kFetchLaterReferrerCrossOrigin, "referrer_url",
                 "not same origin with the document");
    }
    request.referrer_url = referrer->Serialize();
    explicit_referrer = net::StripReferrerSource(*referrer);
    if (explicit_referrer)
      referrer_source = &*explicit_referrer;
  } else if (!m.no_referrer() && client.client_referrer) {
    referrer_source = &*client.client_referrer;  // "client"
  }
  absl::StatusOr<net::ReferrerPolicy> policy =
      net::ParseReferrerPolicy(m.referrer_policy());
  if (!policy.ok()) {
    return Bad(Reason::kFetchLaterReferrerPolicyInvalid, "referrer_policy",
               policy.status().message());
  }
  // The network stage determines every hop's Referer from these.
  request.no_referrer = m.no_referrer();
  request.referrer_policy = *policy;
  if (referrer_source) {
    // Fetch: "determine request's referrer", then the Referer header at fetch
    // time.
    if (std::optional<net::Url> referer =
            net::DetermineRequestReferrer(*policy, *referrer_source, *url)) {
      request.referer_header = referer->Serialize();
    }
  }

  // Headers: valid, not forbidden (the Headers object drops those silently).
  if (m.headers_size() > ipc::MAX_HEADERS) {
    return Bad(Reason::kFetchLaterTooManyHeaders, "headers",
               "more than MAX_HEADERS");
  }
  for (int i = 0; i < m.headers_size(); ++i) {
    const ipc::Header& h = m.headers(i);
    const std::string field = absl::StrCat("headers[", i, "]");
    if (TooLong(h.name()) || TooLong(h.value())) {
      return Bad(Reason::kFetchLaterHeaderTooLong, field,
                 "longer than MAX_FIELD_BYTES");
    }
    if (!net::IsHttpToken(h.name())) {
      return Bad(Reason::kFetchLaterHeaderNameNotToken, field,
                 "name is not a token");
    }
    if (!net::IsHeaderValue(h.value())) {
      return Bad(Reason::kFetchLaterHeaderValueInvalid, field,
                 "value is not a header value");
    }
    if (net::IsForbiddenRequestHeader(h.name(), h.value())) {
      return Bad(Reason::kFetchLaterHeaderForbidden, field,
                 absl::StrCat("forbidden request-header \"", h.name(), "\""));
    }
    request.headers.emplace_back(h.name(), h.value());
  }
  // The Request constructor, step 33.2: mode "no-cors" sets the guard
  // "request-no-cors", which drops every header it does not safelist.
  if (*mode == net::RequestMode::kNoCors) {
    const int dropped = FirstHeaderTheNoCorsGuardDrops(m);
    if (dropped >= 0) {
      return Bad(Reason::kFetchLaterNoCorsHeaderNotSafelisted,
                 absl::StrCat("headers[", dropped, "]"),
                 absl::StrCat("\"", m.headers(dropped).name(),
                              "\" is not a no-CORS-safelisted request-header "
                              "(mode \"no-cors\")"));
    }
  }

  // Body: never with GET/HEAD; always with a length (fetchLater() step 9
  // refuses streams).
  if (m.has_body()) {
    if (m.method() == "GET" || m.method() == "HEAD") {
      return Bad(Reason::kFetchLaterBodyWithGetOrHead, "body",
                 "a GET or HEAD request cannot have a body");
    }
    if (m.body().size() > max_body_bytes) {
      return Bad(Reason::kFetchLaterBodyTooLong, "body",
                 absl::StrCat("longer than ", max_body_limit));
    }
    request.body = m.body();
    request.body_length = m.body().size();
  }
  return request;
}

// RetryOptions (both messages): only a finite backoffFactor (Web IDL
// `double`). Sets `request`'s retry options.
std::optional<BadMessage> ValidateRetryOptions(const ipc::RetryOptions& r,
                                               DeferredRequest& request) {
  if (r.has_backoff_factor() && !std::isfinite(r.backoff_factor())) {
    return Bad(Reason::kFetchLaterRetryBackoffNotFinite,
               "retry_options.backoff_factor", "not finite");
  }
  net::RetryOptions options;
  options.max_attempts = r.max_attempts();
  if (r.has_initial_delay_ms())
    options.initial_delay_ms = r.initial_delay_ms();
  if (r.has_backoff_factor())
    options.backoff_factor = r.backoff_factor();
  if (r.has_max_age_ms())
    options.max_age_ms = r.max_age_ms();
  options.retry_after_unload = r.retry_after_unload();
  options.retry_non_idempotent = r.retry_non_idempotent();
  options.retry_only_if_server_unreached = r.retry_only_if_server_unreached();
  request.retry_options = options;
  return std::nullopt;
}

}  // namespace

BadMessageOr<net::Url> ValidateFetchLaterUrl(absl::string_view spec) {
  BadMessageOr<net::Url> url = ValidateHttpUrl(spec);
  if (!url.ok())
    return url;
  // fetchLater() step 8.
  if (!net::IsUrlPotentiallyTrustworthy(*url)) {
    return Bad(Reason::kFetchLaterUrlNotTrustworthy, "url",
               "not potentially trustworthy");
  }
  return url;
}

BadMessageOr<ValidatedFetchLater> ValidateFetchLaterRequest(
    const ipc::FetchLaterRequest& m,
    const ClientFacts& client) {
  BadMessageOr<DeferredRequest> validated = ValidateRequest(
      m, client, ValidateFetchLaterUrl,
      static_cast<size_t>(ipc::MAX_FIELD_BYTES), "MAX_FIELD_BYTES");
  if (!validated.ok())
    return validated.bad_message();
  DeferredRequest request = *std::move(validated);

  // activateAfter: fetchLater() step 5 throws RangeError for a negative value.
  std::optional<absl::Duration> activate_after;
  if (m.has_activate_after_ms()) {
    const double ms = m.activate_after_ms();
    if (!std::isfinite(ms) || ms < 0) {
      return Bad(Reason::kFetchLaterActivateAfterInvalid, "activate_after_ms",
                 "negative or not finite");
    }
    activate_after = absl::Milliseconds(std::min(ms, 1e15));
  }

  if (m.has_retry_options()) {
    if (std::optional<BadMessage> bad =
            ValidateRetryOptions(m.retry_options(), request)) {
      return *std::move(bad);
    }
  }

  // The renderer's count must be the browser's: a mismatch means a lying
  // renderer. No honest renderer sends a request that can never fit (it asks
  // QueryQuota instead).
  const uint64_t length = TotalRequestLength(request);
  if (length != m.total_request_length()) {
    return Bad(Reason::kFetchLaterTotalLengthMismatch, "total_request_length",
               absl::StrCat("says ", m.total_request_length(),
                            ", the request is ", length));
  }
  if (length > static_cast<uint64_t>(kQuotaPerRequestOrigin)) {
    return Bad(Reason::kFetchLaterTotalLengthOverOriginQuota,
               "total_request_length",
               "above 64 KiB (should have been QueryQuota)");
  }
  return ValidatedFetchLater{std::move(request), activate_after};
}

BadMessageOr<ValidatedFetch> ValidateFetchRequest(const ipc::FetchRequest& m,
                                                  const ClientFacts& client) {
  BadMessageOr<DeferredRequest> validated = ValidateRequest(
      m, client,
      [&client](absl::string_view url) {
        return ValidateFetchUrl(url, client);
      },
      static_cast<size_t>(ipc::MAX_FETCH_BODY_BYTES), "MAX_FETCH_BODY_BYTES");
  if (!validated.ok())
    return validated.bad_message();
  DeferredRequest request = *std::move(validated);
  if (m.has_retry_options()) {
    if (std::optional<BadMessage> bad =
            ValidateRetryOptions(m.retry_options(), request)) {
      return *std::move(bad);
    }
    // RequestInit.retryOptions is [SecureContext].
    if (!client.secure_context) {
      return Bad(Reason::kFetchLaterRetryOptionsNotSecureContext,
                 "retry_options", "[SecureContext], the document is not one");
    }
    // Fetch-retry explainer: retryAfterUnload "requires keepalive: true".
    if (m.retry_options().retry_after_unload() && !m.keepalive()) {
      return Bad(Reason::kFetchRetryAfterUnloadWithoutKeepalive,
                 "retry_options.retry_after_unload", "without keepalive");
    }
  }
  return ValidatedFetch{std::move(request), m.keepalive()};
}

}  // namespace fetch_later::browser
