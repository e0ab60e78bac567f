#include "net/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace fetch_later::net {

EffectiveRetryOptions ClampRetryOptions(const RetryOptions& options,
                                        const RetryCaps& caps) {
  EffectiveRetryOptions out;
  out.max_retries =
      std::min(options.max_attempts, caps.max_retries_per_request);
  out.initial_delay = caps.min_initial_delay;
  if (options.initial_delay_ms) {
    // Saturate: an absurd initialDelay becomes maxAge-bounded later anyway.
    uint64_t ms = std::min<uint64_t>(*options.initial_delay_ms, 1ull << 40);
    out.initial_delay =
        std::max(caps.min_initial_delay, absl::Milliseconds(ms));
  }
  out.backoff_factor = caps.min_backoff_factor;
  if (options.backoff_factor && std::isfinite(*options.backoff_factor)) {
    out.backoff_factor =
        std::max(caps.min_backoff_factor, *options.backoff_factor);
  }
  out.max_age = caps.max_age;
  if (options.max_age_ms) {
    uint64_t ms = std::min<uint64_t>(*options.max_age_ms, 1ull << 40);
    out.max_age = std::min(caps.max_age, absl::Milliseconds(ms));
  }
  out.max_jitter_fraction = std::max(0.0, caps.max_jitter_fraction);
  out.retry_after_unload = options.retry_after_unload;
  out.retry_non_idempotent = options.retry_non_idempotent;
  out.retry_only_if_server_unreached = options.retry_only_if_server_unreached;
  return out;
}

bool IsIdempotentMethod(absl::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" ||
         method == "TRACE" || method == "PUT" || method == "DELETE";
}

bool IsTransientNetworkError(NetworkErrorKind kind) {
  switch (kind) {
    case NetworkErrorKind::kDnsFailure:
    case NetworkErrorKind::kConnectionRefused:
    case NetworkErrorKind::kConnectionReset:
    case NetworkErrorKind::kConnectionClosed:
    case NetworkErrorKind::kTimedOut:
      return true;
    default:
      return false;
  }
}

RetryDecision DecideRetry(const EffectiveRetryOptions& options,
                          const RetryContext& c) {
  auto no = [](std::string reason) {
    return RetryDecision{false, std::move(reason)};
  };
  if (!IsTransientNetworkError(c.error.kind)) {
    return no(absl::StrCat("error \"", NetworkErrorKindName(c.error.kind),
                           "\" is not a transient network error"));
  }
  if (c.retries_done >= options.max_retries) {
    return no(absl::StrCat("maxAttempts reached (", options.max_retries,
                           " retries)"));
  }
  if (c.initiator_retries >= c.max_retries_per_initiator) {
    return no(absl::StrCat("per-initiator retry cap reached (",
                           c.max_retries_per_initiator, ")"));
  }
  // Explainer: after maxAge "no further retry attempts will be made".
  if (c.age + c.next_delay >= options.max_age) {
    return no("the retry would start at or after maxAge");
  }
  if (!IsIdempotentMethod(c.method) && !options.retry_non_idempotent) {
    return no(absl::StrCat("method ", c.method,
                           " is not idempotent and retryNonIdempotent is "
                           "false"));
  }
  if (c.initiator_gone && !options.retry_after_unload) {
    return no("the initiator is gone and retryAfterUnload is false");
  }
  if (options.retry_only_if_server_unreached) {
    if (c.saw_redirect)
      return no("retryOnlyIfServerUnreached and a redirect was followed");
    if (c.error.server_reached) {
      return no(
          "retryOnlyIfServerUnreached and the server may have been reached");
    }
  }
  return RetryDecision{true, "retry"};
}

absl::Duration BackoffDelay(const EffectiveRetryOptions& options,
                            uint32_t retry_number,
                            double jitter_unit) {
  const double base_ms = absl::ToDoubleMilliseconds(options.initial_delay);
  const double exponent = retry_number > 0 ? retry_number - 1 : 0;
  double ms = base_ms * std::pow(options.backoff_factor, exponent);
  jitter_unit = std::clamp(jitter_unit, 0.0, 1.0);
  ms *= 1.0 + options.max_jitter_fraction * jitter_unit;
  constexpr double kDayMs = 24.0 * 3600 * 1000;
  if (!std::isfinite(ms) || ms > kDayMs)
    ms = kDayMs;
  return absl::Milliseconds(ms);
}

}  // namespace fetch_later::net
