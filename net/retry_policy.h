// The fetch-retry rules (explainers-by-googlers/fetch-retry; SPEC-NOTES 3.2)
// with the caps the browser enforces (Chromium's KeepAliveURLLoader
// FeatureParams; SPEC-NOTES 3.3), as pure functions. The retry scheduler
// (net/retry_scheduler.h) asks these what to do; it keeps the state.
//
// clang-format off
//   EffectiveRetryOptions opts =
//       ClampRetryOptions(request.retry_options.value(), RetryCaps());
//   RetryDecision d = DecideRetry(opts, {error, method, retries_done, ...});
//   if (d.retry)
//     delay = BackoffDelay(opts, retries_done + 1, jitter.NextUnit());
//
// Caps (RetryCaps defaults, Chromium's values unless noted):
//  - retries per request: min(maxAttempts, 10) (max_retry_count).
//  - retries per initiator: 30, the explainer's "20-30 per document".
//    OutgoingRequest carries no document id, so the stage counts per network
//    isolation key, which is at least as strict.
//  - initial delay: max(500 ms, initialDelay), 500 ms when absent
//    (min_retry_delta).
//  - backoff factor: max(1.0, backoffFactor), 1.0 when absent or NaN
//    (min_retry_backoff).
//  - maxAge: min(1 day, maxAge), 1 day when absent (max_retry_age), measured
//    from the first failure, as the explainer's text says (its IDL comment
//    says "from initial request start", and Chromium measures from the first
//    request start). No retry starts at or after it.
//  - jitter: the explainer says browsers should add jitter; Chromium shows
//    none. We add 0..+10% (multiplicative, uniform), so the floor
//    (500 ms · factor^n) still holds.
// clang-format on
#ifndef NET_RETRY_POLICY_H_
#define NET_RETRY_POLICY_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/network_error.h"
#include "net/network_stage.h"

namespace fetch_later::net {

struct RetryCaps {
  uint32_t max_retries_per_request = 10;
  uint32_t max_retries_per_initiator = 30;
  absl::Duration min_initial_delay = absl::Milliseconds(500);
  double min_backoff_factor = 1.0;
  absl::Duration max_age = absl::Hours(24);
  double max_jitter_fraction = 0.10;
};

// RetryOptions after the caps; what the scheduler uses.
struct EffectiveRetryOptions {
  uint32_t max_retries = 0;
  absl::Duration initial_delay;
  double backoff_factor = 1.0;
  absl::Duration max_age;
  double max_jitter_fraction = 0;
  bool retry_after_unload = false;
  bool retry_non_idempotent = false;
  bool retry_only_if_server_unreached = false;
};

EffectiveRetryOptions ClampRetryOptions(const RetryOptions& options,
                                        const RetryCaps& caps);

// RFC 9110 9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE. Everything else
// (POST, PATCH, ...) is non-idempotent for retry purposes (explainer:
// "retryNonIdempotent").
bool IsIdempotentMethod(absl::string_view method);

// The explainer's transient network errors: DNS failure, refused, reset, closed
// before a response, timeout. Never policy blocks, TLS failures, redirect
// errors or HTTP statuses.
bool IsTransientNetworkError(NetworkErrorKind kind);

struct RetryContext {
  NetworkError error;
  std::string method;         // of the original request
  uint32_t retries_done = 0;  // retries already started for this request
  // Retries already granted to the same initiator.
  uint32_t initiator_retries = 0;
  uint32_t max_retries_per_initiator = 30;
  bool saw_redirect = false;  // the failed attempt followed a redirect
  bool initiator_gone = false;
  absl::Duration age;         // now - the first failure
  absl::Duration next_delay;  // the delay the retry would wait
};

struct RetryDecision {
  bool retry = false;
  std::string reason;  // why not (or "retry"), for the attempts log
};

// KeepAliveURLLoader's eligibility checks, in order (SPEC-NOTES 3.3).
RetryDecision DecideRetry(const EffectiveRetryOptions& options,
                          const RetryContext& context);

// Delay before retry number `retry_number` (1 = the first retry), with
// `jitter_unit` in [0, 1):
// clang-format off
//   initial_delay · factor^(retry_number - 1)
//       · (1 + max_jitter_fraction · jitter_unit)
// clang-format on
// Saturates at 1 day instead of overflowing.
absl::Duration BackoffDelay(const EffectiveRetryOptions& options,
                            uint32_t retry_number,
                            double jitter_unit);

// Uniform numbers in [0, 1) for jitter; seeded so tests are reproducible. Not
// thread-safe.
class JitterSource {
 public:
  explicit JitterSource(uint64_t seed) : engine_(seed) {}
  virtual ~JitterSource() = default;
  virtual double NextUnit() {
    return std::uniform_real_distribution<double>(0, 1)(engine_);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace fetch_later::net

#endif  // NET_RETRY_POLICY_H_
