#include "net/retry_policy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace fetch_later::net {
namespace {

EffectiveRetryOptions Clamp(RetryOptions o) {
  return ClampRetryOptions(o, RetryCaps());
}

// SPEC-NOTES 3.3: Chromium's FeatureParams as caps and defaults.
TEST(RetryPolicyTest, CapsAndDefaults) {
  RetryOptions o;
  o.max_attempts = 50;
  EffectiveRetryOptions e = Clamp(o);
  EXPECT_EQ(e.max_retries, 10u);                        // min(10, maxAttempts)
  EXPECT_EQ(e.initial_delay, absl::Milliseconds(500));  // default 500 ms
  EXPECT_EQ(e.backoff_factor, 1.0);                     // default 1.0
  EXPECT_EQ(e.max_age, absl::Hours(24));                // default 1 day

  o.max_attempts = 3;
  o.initial_delay_ms = 100;  // below the floor
  o.backoff_factor = 0.5;    // below the floor
  o.max_age_ms = 7ull * 24 * 3600 * 1000;
  e = Clamp(o);
  EXPECT_EQ(e.max_retries, 3u);
  EXPECT_EQ(e.initial_delay, absl::Milliseconds(500));
  EXPECT_EQ(e.backoff_factor, 1.0);
  EXPECT_EQ(e.max_age, absl::Hours(24));

  o.initial_delay_ms = 2000;
  o.backoff_factor = 3.0;
  o.max_age_ms = 60000;
  e = Clamp(o);
  EXPECT_EQ(e.initial_delay, absl::Seconds(2));
  EXPECT_EQ(e.backoff_factor, 3.0);
  EXPECT_EQ(e.max_age, absl::Minutes(1));

  o.backoff_factor = std::nan("");
  EXPECT_EQ(Clamp(o).backoff_factor, 1.0);
}

TEST(RetryPolicyTest, BackoffIsExponentialWithNonNegativeJitter) {
  RetryOptions o;
  o.max_attempts = 5;
  o.initial_delay_ms = 1000;
  o.backoff_factor = 2.0;
  EffectiveRetryOptions e = Clamp(o);
  EXPECT_EQ(BackoffDelay(e, 1, 0.0), absl::Seconds(1));
  EXPECT_EQ(BackoffDelay(e, 2, 0.0), absl::Seconds(2));
  EXPECT_EQ(BackoffDelay(e, 3, 0.0), absl::Seconds(4));
  EXPECT_EQ(BackoffDelay(e, 3, 0.5), absl::Milliseconds(4200));  // +5%
  EXPECT_LT(BackoffDelay(e, 3, 0.999999), absl::Milliseconds(4400 + 1));
  EXPECT_EQ(BackoffDelay(e, 200, 0.0), absl::Hours(24));  // saturates

  JitterSource jitter(42), same(42);
  for (int i = 0; i < 100; ++i) {
    double u = jitter.NextUnit();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
    EXPECT_EQ(u, same.NextUnit());  // seeded: reproducible
  }
}

TEST(RetryPolicyTest, MethodsAndErrors) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
    EXPECT_TRUE(IsIdempotentMethod(m));
  for (const char* m : {"POST", "PATCH", "CONNECT"})
    EXPECT_FALSE(IsIdempotentMethod(m));
  for (NetworkErrorKind k :
       {NetworkErrorKind::kDnsFailure, NetworkErrorKind::kConnectionRefused,
        NetworkErrorKind::kConnectionReset, NetworkErrorKind::kTimedOut}) {
    EXPECT_TRUE(IsTransientNetworkError(k)) << NetworkErrorKindName(k);
  }
  for (NetworkErrorKind k :
       {NetworkErrorKind::kNotHttps, NetworkErrorKind::kBadPort,
        NetworkErrorKind::kTlsFailure, NetworkErrorKind::kTooManyRedirects,
        NetworkErrorKind::kInvalidResponse, NetworkErrorKind::kInvalidRequest,
        // Explainer: no retry after "programmatic cancellation".
        NetworkErrorKind::kAborted}) {
    EXPECT_FALSE(IsTransientNetworkError(k)) << NetworkErrorKindName(k);
  }
}

struct DecisionRow {
  const char* source;
  RetryOptions options;
  RetryContext context;
  bool retry;
};

RetryContext Ctx(NetworkErrorKind kind,
                 bool server_reached,
                 const char* method = "GET") {
  RetryContext c;
  c.error = NetworkError::Make(kind, server_reached, "");
  c.method = method;
  c.age = absl::Seconds(1);
  c.next_delay = absl::Milliseconds(500);
  return c;
}

RetryOptions Opts(uint32_t max,
                  bool non_idempotent = false,
                  bool unreached = false,
                  bool after_unload = false) {
  RetryOptions o;
  o.max_attempts = max;
  o.retry_non_idempotent = non_idempotent;
  o.retry_only_if_server_unreached = unreached;
  o.retry_after_unload = after_unload;
  return o;
}

TEST(RetryPolicyTest, DecisionTable) {
  auto with = [](RetryContext c, auto f) {
    f(c);
    return c;
  };
  const std::vector<DecisionRow> rows = {
      {"explainer: refused is transient", Opts(3),
       Ctx(NetworkErrorKind::kConnectionRefused, false), true},
      {"explainer: maxAttempts 0 means no retries", Opts(0),
       Ctx(NetworkErrorKind::kConnectionRefused, false), false},
      {"explainer: TLS failures never retry", Opts(3),
       Ctx(NetworkErrorKind::kTlsFailure, true), false},
      {"explainer: policy blocks never retry", Opts(3),
       Ctx(NetworkErrorKind::kBadPort, false), false},
      {"explainer: POST needs retryNonIdempotent", Opts(3),
       Ctx(NetworkErrorKind::kConnectionReset, true, "POST"), false},
      {"explainer: POST with retryNonIdempotent", Opts(3, true),
       Ctx(NetworkErrorKind::kConnectionReset, true, "POST"), true},
      {"explainer: PATCH is non-idempotent", Opts(3),
       Ctx(NetworkErrorKind::kConnectionReset, true, "PATCH"), false},
      {"explainer: retryOnlyIfServerUnreached, refused", Opts(3, false, true),
       Ctx(NetworkErrorKind::kConnectionRefused, false), true},
      {"explainer: retryOnlyIfServerUnreached, reset", Opts(3, false, true),
       Ctx(NetworkErrorKind::kConnectionReset, true), false},
      {"Chromium: retryOnlyIfServerUnreached, never after a redirect",
       Opts(3, false, true),
       with(Ctx(NetworkErrorKind::kConnectionRefused, false),
            [](RetryContext& c) { c.saw_redirect = true; }),
       false},
      {"cap: retries exhausted", Opts(3),
       with(Ctx(NetworkErrorKind::kTimedOut, true),
            [](RetryContext& c) { c.retries_done = 3; }),
       false},
      {"cap: per-initiator", Opts(3),
       with(Ctx(NetworkErrorKind::kTimedOut, true),
            [](RetryContext& c) { c.initiator_retries = 30; }),
       false},
      {"maxAge: the retry would start too late", Opts(3),
       with(Ctx(NetworkErrorKind::kTimedOut, true),
            [](RetryContext& c) { c.age = absl::Hours(24); }),
       false},
      {"explainer: no retry at maxAge (age + delay == maxAge)", Opts(3),
       with(Ctx(NetworkErrorKind::kTimedOut, true),
            [](RetryContext& c) {
              c.age = absl::Hours(24) - absl::Milliseconds(500);
            }),
       false},
      {"explainer: a retry just before maxAge", Opts(3),
       with(Ctx(NetworkErrorKind::kTimedOut, true),
            [](RetryContext& c) {
              c.age = absl::Hours(24) - absl::Milliseconds(501);
            }),
       true},
      {"explainer: initiator gone without retryAfterUnload", Opts(3),
       with(Ctx(NetworkErrorKind::kDnsFailure, false),
            [](RetryContext& c) { c.initiator_gone = true; }),
       false},
      {"explainer: initiator gone with retryAfterUnload",
       Opts(3, false, false, true),
       with(Ctx(NetworkErrorKind::kDnsFailure, false),
            [](RetryContext& c) { c.initiator_gone = true; }),
       true},
  };
  for (const DecisionRow& row : rows) {
    RetryDecision d = DecideRetry(Clamp(row.options), row.context);
    EXPECT_EQ(d.retry, row.retry) << row.source << ": " << d.reason;
    EXPECT_FALSE(d.reason.empty());
  }
}

}  // namespace
}  // namespace fetch_later::net
