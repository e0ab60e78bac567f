// Port of WPT fetch/fetch-later/basic.https.window.js (and the IDL of
// SPEC-NOTES 1.13): argument validation and the returned FetchLaterResult.
// Runs in https://a.test/ (a secure context). Nothing is unloaded while these
// requests are pending except where a test aborts them, so nothing is sent.
"use strict";

test(() => {
  assert_equals(typeof window.fetchLater, "function");
  assert_true(window.hasOwnProperty("fetchLater"), "own property of the Window");
  assert_equals(typeof FetchLaterResult, "function");
}, "fetchLater and FetchLaterResult are exposed in a secure Window");

test(() => {
  assert_throws_js(TypeError, () => fetchLater());
}, "fetchLater() without arguments throws TypeError");

// Potentially trustworthy or relative URLs are accepted; the result has not
// been activated. Aborted right away so that a later unload sends nothing.
for (const url of ["/", "http://localhost", "https://localhost", "http://127.0.0.1",
                   "https://127.0.0.1", "http://[::1]", "https://[::1]",
                   "https://example.com"]) {
  test(() => {
    const controller = new AbortController();
    const result = fetchLater(url, {signal: controller.signal});
    assert_true(result instanceof FetchLaterResult, "returns a FetchLaterResult");
    assert_false(result.activated, "not activated right after the call");
    controller.abort();
  }, "fetchLater(" + JSON.stringify(url) + ") is accepted and not activated");
}

// Spec, not Chromium: Chromium throws SecurityError for a non-trustworthy
// http: URL; fetchLater() step 8 throws TypeError.
test(() => {
  assert_throws_js(TypeError, () => fetchLater("http://example.com"));
}, "fetchLater(\"http://example.com\") throws TypeError (spec, not Chromium: not SecurityError)");

for (const url of ["file://tmp", "ftp://", "ssh://", "wss://", "about:blank", "javascript:",
                   "data:", "blob:https://example.com/uuid"]) {
  test(() => {
    assert_throws_js(TypeError, () => fetchLater(url));
  }, "fetchLater(" + JSON.stringify(url) + ") throws TypeError (not an HTTP(S) scheme)");
}

test(() => {
  assert_throws_js(TypeError, () => fetchLater("https://user:pass@a.test/"));
  assert_throws_js(TypeError, () => fetchLater("https://a.test:99999/"));
}, "URLs the Request constructor rejects (credentials, unparsable port) throw TypeError");

test(() => {
  assert_throws_js(RangeError,
                   () => fetchLater("https://collector.test/basic?case=negative", {activateAfter: -1}));
}, "activateAfter: -1 throws RangeError");

test(() => {
  const controller = new AbortController();
  for (const activateAfter of [0, 1, 1000.5, 60000]) {
    const result = fetchLater("https://collector.test/basic?case=ok-activate-after",
                              {activateAfter, signal: controller.signal});
    assert_false(result.activated, "activateAfter " + activateAfter);
  }
  controller.abort();
}, "non-negative activateAfter values are accepted");

test(() => {
  const controller = new AbortController();
  const result = fetchLater("https://collector.test/basic?case=readonly", {signal: controller.signal});
  try {
    // This file is strict mode code: assigning a readonly attribute throws.
    assert_throws_js(TypeError, () => { result.activated = true; });
    assert_false(result.activated);
  } finally {
    controller.abort();
  }
}, "FetchLaterResult.activated is readonly (assigning throws TypeError in strict mode)");

test(() => {
  const controller = new AbortController();
  controller.abort();
  assert_throws_dom("AbortError", () => fetchLater(
      "https://collector.test/basic?case=already-aborted", {signal: controller.signal}));
}, "an already aborted signal throws AbortError");

test(() => {
  const controller = new AbortController();
  const reason = new Error("my reason");
  controller.abort(reason);
  let thrown = null;
  try {
    fetchLater("https://collector.test/basic?case=abort-reason", {signal: controller.signal});
  } catch (e) {
    thrown = e;
  }
  assert_equals(thrown, reason, "fetchLater() step 2 throws the signal's abort reason");
}, "an already aborted signal throws its abort reason");

test(() => {
  const controller = new AbortController();
  const result = fetchLater("https://collector.test/basic?case=abort-after-queue",
                            {signal: controller.signal});
  controller.abort();
  assert_false(result.activated);
}, "aborting after queuing does not throw, and activated stays false");

test(() => {
  const controller = new AbortController();
  const a = fetchLater("https://collector.test/basic?case=new-object", {signal: controller.signal});
  const b = fetchLater("https://collector.test/basic?case=new-object", {signal: controller.signal});
  assert_not_equals(a, b, "[NewObject]");
  controller.abort();
}, "every call returns a new FetchLaterResult");

test(() => {
  const controller = new AbortController();
  const request = new Request("https://collector.test/basic?case=request-object",
                              {method: "POST", body: "abc"});
  const result = fetchLater(request, {signal: controller.signal});
  assert_false(result.activated);
  controller.abort();
}, "a Request object is accepted as input");
