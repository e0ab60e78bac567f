// Helpers for the fetchLater() pages (our own, modelled on the constants and
// helpers WPT's fetch/fetch-later/ tests use; see SPEC-NOTES section 2.1).
"use strict";

// Fetch: "available deferred-fetch quota": 64 KiB per reporting origin, 8 KiB
// for a cross-origin iframe's minimal reservation.
const QUOTA_PER_ORIGIN = 64 * 1024;
const QUOTA_PER_CROSS_ORIGIN = 8 * 1024;

// The header the Request constructor adds for a string body; it counts
// against quota: 12 + 24 = 36 bytes.
const STRING_CONTENT_TYPE_BYTES = "content-type".length + "text/plain;charset=UTF-8".length;

// The body types WPT's makeBeaconData() covers.
const BODY_TYPES = ["String", "ArrayBuffer", "FormData", "URLSearchParams", "Blob", "File"];

// An exactly-`n`-character ASCII string: "n:" padded with '*' (or just
// '*'s when n is too small for the prefix).
function generatePayload(n) {
  const prefix = n + ":";
  if (prefix.length > n) return "*".repeat(n);
  return prefix + "*".repeat(n - prefix.length);
}

// The request body `payload` would be as `type`.
function makeBeaconData(payload, type) {
  switch (type) {
    case "String":
      return payload;
    case "ArrayBuffer":
      return new TextEncoder().encode(payload).buffer;
    case "FormData": {
      const data = new FormData();
      if (payload.length > 0) data.append("payload", payload);
      return data;
    }
    case "URLSearchParams":
      return new URLSearchParams(payload.length > 0 ? {payload} : {});
    case "Blob":
      return new Blob([payload]);
    case "File":
      return new File([payload], "payload.txt");
  }
  throw new Error("unknown body type " + type);
}

// Fetch: "total request length" of a request with no referrer (referrer: '')
// and only the string body's Content-Type header: what WPT's
// getRemainingQuota() subtracts from a budget.
function stringPostLength(url, bodyLength) {
  return new URL(url).href.replace(/#.*$/, "").length + STRING_CONTENT_TYPE_BYTES + bodyLength;
}

// The largest string body a POST to `url` (referrer: '') can carry within
// `budget` bytes.
function maxStringBody(budget, url) {
  return Math.max(0, budget - stringPostLength(url, 0));
}

// An async_test that passes once `result.activated` is true, checking every
// 10 ms of page time (a scenario's advanceTime runs these timers).
// FetchLaterResult.activated turns true asynchronously, on the deferred fetch
// task source, after the browser sent the request (Fetch: "process a
// deferred fetch" step 4), so a page polls rather than asserting at once.
function expectActivated(result, name) {
  const t = async_test(name);
  const poll = () => {
    if (result.activated) {
      t.done();
    } else {
      setTimeout(t.step_func(poll), 10);
    }
  };
  t.step(poll);
  return t;
}

// The quota a request to `url`'s origin may use now, read from the
// QuotaExceededError of a request that cannot fit (Fetch: "available
// deferred-fetch quota" never exceeds 64 KiB for one reporting origin).
function availableQuota(url) {
  try {
    fetchLater(url, {method: "POST", referrer: "", body: "x".repeat(QUOTA_PER_ORIGIN + 1)});
  } catch (e) {
    if (e instanceof QuotaExceededError) return e.quota;
    throw e;
  }
  throw new Error("a request over 64 KiB was accepted");
}

// WPT's permissions-policy-deferred-fetch.html: whether fetchLater() can be
// used here at all (a small activateAfter: 0 request to `url` is accepted,
// and sent). Only QuotaExceededError counts as "unavailable".
function deferredFetchAvailable(url) {
  try {
    fetchLater(url, {activateAfter: 0});
    return true;
  } catch (e) {
    if (e instanceof QuotaExceededError) return false;
    throw e;
  }
}
