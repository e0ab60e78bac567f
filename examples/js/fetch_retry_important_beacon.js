// Seed: fetch-retry-explainer.md, "Proposed API", the first example usage,
// run verbatim (no fixes needed).

fetch("/api/important-beacon?id=12345",  {
  method: "GET",
  keepalive: true, // Essential for retryAfterUnload: true
  retryOptions:  {
    maxAttempts: 3,        // Max 3 retries (4 total attempts)
    initialDelay: 500,    // Start with 500ms delay
    backoffFactor: 2.0, // Double delay each time (500ms, 1s, 2s)
    maxAge: 60000,        // Give up after 60 seconds total retry time
    retryAfterUnload: true,  // Allow retries to continue even if page closes
    retryOnlyIfServerUnreached: false // Retry on all kinds of transient network errors
  }
});
