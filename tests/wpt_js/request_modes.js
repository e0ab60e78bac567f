// fetchLater(input, init) and the Request constructor's RequestInit mode,
// credentials, redirect and cache rules (Fetch "new Request(input, init)",
// steps 17-23 and 32-34, 42; WPT fetch/api/request/request-error.any.js and
// request-disturbed.any.js have the same rules for new Request()), and the
// reused-Request rule (SPEC-NOTES 2.4: Chromium agrees). Runs in
// https://a.test/. Requests meant to be sent go to https://modes.test/sent?;
// everything else is aborted or throws, so nothing else is sent.
"use strict";

const MODES_URL = "https://modes.test/";

// Calls fetchLater() and aborts the request again; returns the result.
function queueAndAbortMode(url, init) {
  const controller = new AbortController();
  const result = fetchLater(url, Object.assign({}, init, {signal: controller.signal}));
  controller.abort();
  return result;
}

// ---- WebIDL enum conversion: any other string is a TypeError.
for (const [member, value] of [["mode", "CORS"], ["mode", "same_origin"],
                               ["credentials", "always"], ["credentials", ""],
                               ["redirect", "Follow"], ["redirect", "none"],
                               ["cache", "only-if-stale"]]) {
  test(() => {
    assert_throws_js(TypeError, () => fetchLater(MODES_URL + "enum", {[member]: value}));
    assert_throws_js(TypeError, () => new Request(MODES_URL + "enum", {[member]: value}));
  }, `${member}: '${value}' throws TypeError`);
}

test(() => {
  assert_throws_js(TypeError, () => fetchLater(MODES_URL + "navigate", {mode: "navigate"}));
  assert_throws_js(TypeError, () => new Request(MODES_URL + "navigate", {mode: "navigate"}));
}, "mode 'navigate' throws TypeError (Request constructor step 18)");

// ---- Every valid value is accepted and kept by the Request.
for (const mode of ["cors", "no-cors", "same-origin"]) {
  for (const credentials of ["omit", "same-origin", "include"]) {
    for (const redirect of ["follow", "error", "manual"]) {
      test(() => {
        const init = {mode, credentials, redirect};
        const request = new Request(MODES_URL + "values", init);
        assert_equals(request.mode, mode);
        assert_equals(request.credentials, credentials);
        assert_equals(request.redirect, redirect);
        assert_false(queueAndAbortMode(MODES_URL + "values", init).activated);
      }, `mode '${mode}', credentials '${credentials}', redirect '${redirect}' are accepted`);
    }
  }
}

test(() => {
  const request = new Request(MODES_URL + "defaults");
  assert_equals(request.mode, "cors");
  assert_equals(request.credentials, "same-origin");
  assert_equals(request.redirect, "follow");
  assert_equals(request.cache, "default");
}, "the defaults: mode 'cors', credentials 'same-origin', redirect 'follow'");

// ---- no-cors: a CORS-safelisted method (step 33.1) and the guard
// "request-no-cors" (step 33.2).
for (const method of ["PUT", "DELETE", "PATCH", "OPTIONS", "custom"]) {
  test(() => {
    assert_throws_js(TypeError,
                     () => fetchLater(MODES_URL + "no-cors-method", {mode: "no-cors", method}));
  }, `mode 'no-cors' with method ${method} throws TypeError`);
}
for (const method of ["GET", "HEAD", "POST", "post"]) {
  test(() => {
    assert_false(queueAndAbortMode(MODES_URL + "no-cors-method", {mode: "no-cors", method}).activated);
  }, `mode 'no-cors' with method ${method} is accepted`);
}

test(() => {
  const request = new Request(MODES_URL + "guard", {
    mode: "no-cors", method: "POST", body: new Blob(["{}"], {type: "application/json"}),
    headers: {"X-Trace": "1", "Accept": "text/html", "Content-Language": "en", "Range": "bytes=0-1"}});
  assert_array_equals([...request.headers.keys()], ["accept", "content-language"]);
  assert_equals(request.headers.get("content-type"), null, "a JSON type is not safelisted");
}, "the guard 'request-no-cors' keeps only no-CORS-safelisted request-headers");

// "total request length" counts what the guard kept, byte for byte.
test(() => {
  const url = MODES_URL + "no-cors-length";
  const headers = {"X-Trace": "1", "Content-Language": "en"};
  const kept = "content-language".length + "en".length;
  const budget = QUOTA_PER_ORIGIN - url.length - STRING_CONTENT_TYPE_BYTES - kept;
  assert_throws_quota_exceeded(
      () => fetchLater(url, {mode: "no-cors", method: "POST", referrer: "", headers,
                             body: "x".repeat(budget + 1)}),
      {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1});
  // The same call in mode 'cors' counts X-Trace: 8 bytes more.
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", referrer: "", headers, body: "x".repeat(budget + 1)}),
      {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1 + "x-trace".length + 1});
  queueAndAbortMode(url, {mode: "no-cors", method: "POST", referrer: "", headers,
                          body: "x".repeat(budget)});
}, "mode 'no-cors': the headers the guard dropped are not counted");

// ---- cache 'only-if-cached' needs mode 'same-origin' (step 22).
for (const mode of [undefined, "cors", "no-cors"]) {
  test(() => {
    const init = mode === undefined ? {cache: "only-if-cached"} : {cache: "only-if-cached", mode};
    assert_throws_js(TypeError, () => fetchLater(MODES_URL + "only-if-cached", init));
    assert_throws_js(TypeError, () => new Request(MODES_URL + "only-if-cached", init));
  }, `cache 'only-if-cached' with mode ${mode === undefined ? "left at 'cors'" : `'${mode}'`} throws TypeError`);
}
test(() => {
  const init = {cache: "only-if-cached", mode: "same-origin"};
  assert_equals(new Request(MODES_URL + "only-if-cached", init).cache, "only-if-cached");
  assert_false(queueAndAbortMode("https://a.test/only-if-cached", init).activated);
  // From a Request: its cache mode stays, and a new mode must still be same-origin.
  const cached = new Request("https://a.test/only-if-cached", init);
  assert_throws_js(TypeError, () => fetchLater(cached, {mode: "cors"}));
  assert_false(queueAndAbortMode(cached, {}).activated);
}, "cache 'only-if-cached' with mode 'same-origin' is accepted");

// ---- A Request whose body an earlier call took is unusable (step 42: the
// constructor "creates a proxy" for the input's body, which disturbs it).
test(() => {
  const request = new Request(MODES_URL + "reused", {method: "POST", body: "payload"});
  assert_false(request.bodyUsed);
  assert_false(queueAndAbortMode(request, {}).activated);
  assert_true(request.bodyUsed, "fetchLater took the body");
  assert_throws_js(TypeError, () => fetchLater(request));
  assert_throws_js(TypeError, () => new Request(request));
}, "fetchLater(request) uses the request's body: a second call throws TypeError");

test(() => {
  const request = new Request(MODES_URL + "reused-new-body", {method: "POST", body: "old"});
  queueAndAbortMode(request, {});
  assert_false(queueAndAbortMode(request, {body: "new"}).activated);
}, "a used Request with a new body in init is accepted (its body is not taken)");

test(() => {
  const request = new Request(MODES_URL + "reused-get");
  for (let i = 0; i < 3; ++i)
    assert_false(queueAndAbortMode(request, {}).activated);
  assert_false(request.bodyUsed);
}, "a Request without a body can be passed any number of times");

test(() => {
  const request = new Request(MODES_URL + "reused-after-throw", {method: "POST", body: "x"});
  assert_throws_js(RangeError, () => fetchLater(request, {activateAfter: -1}));
  assert_true(request.bodyUsed, "step 1 took the body before step 5 threw");
  assert_throws_js(TypeError, () => fetchLater(request));
}, "the body is taken by step 1 even when a later step throws");

// ---- Sent: one request per mode, to check what arrives.
fetchLater(MODES_URL + "sent?mode=no-cors", {
  mode: "no-cors", method: "POST", body: "1234", headers: {"X-Trace": "1", "Content-Language": "en"},
  activateAfter: 0});
fetchLater("https://a.test/sent?mode=same-origin", {
  mode: "same-origin", credentials: "omit", redirect: "error", headers: {"X-Trace": "1"},
  activateAfter: 0});
const reused = new Request(MODES_URL + "sent?mode=reused", {method: "POST", body: "once"});
fetchLater(reused, {activateAfter: 0});
test(() => {
  assert_throws_js(TypeError, () => fetchLater(reused, {activateAfter: 0}));
}, "the reused Request is sent once");
