// Seed: fetch-retry-explainer.md, "Proposed API", the second example usage,
// run verbatim (no fixes needed). `data` is the seed's placeholder; the
// scenario defines it in the step before this one.

fetch("/api/logging",  {
  method: "POST",
  body: data,
  keepalive: true, // Essential for retryAfterUnload: true
  retryOptions: {
    maxAttempts: 5,        // Max 5 retries (6 total attempts)
    retryNonIdempotent: true  // Required to allow retrying POST
    // Use default value for the retry delay etc.
  }
});
