// fetchLater(input, init): what the Request constructor and fetchLater()'s
// own steps reject (SPEC-NOTES 1.13 steps 1, 7-9) and what counts as the
// "total request length" (1.5), checked through QuotaExceededError's
// `requested` and `quota`. Ports the method/body checks of WPT
// quota/empty-payload.https.window.js (GET, DELETE, PUT accepted) and the
// stream rule of the explainer ("Streaming requests are not allowed").
// Runs in https://a.test/; every accepted request is aborted, so nothing is
// sent.
"use strict";

// Its own reporting origin, so that nothing basic.js leaves behind counts.
const URL_BASE = "https://init.test/init?case=";

// Calls fetchLater() and aborts the request again; returns the result.
function queueAndAbort(url, init) {
  const controller = new AbortController();
  const result = fetchLater(url, Object.assign({}, init, {signal: controller.signal}));
  controller.abort();
  return result;
}

test(() => {
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "stream", {
    method: "POST", body: new ReadableStream(), duplex: "half"}));
}, "a ReadableStream body throws TypeError (its length is null)");

test(() => {
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "stream-no-duplex", {
    method: "POST", body: new ReadableStream()}));
}, "a ReadableStream body without duplex throws TypeError (Request constructor)");

test(() => {
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "get-body", {method: "GET", body: "x"}));
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "head-body", {method: "HEAD", body: "x"}));
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "default-get-body", {body: "x"}));
}, "a body with GET or HEAD throws TypeError");

for (const method of ["CONNECT", "TRACE", "TRACK", "connect"]) {
  test(() => {
    assert_throws_js(TypeError, () => fetchLater(URL_BASE + "forbidden", {method}));
  }, "forbidden method " + method + " throws TypeError");
}

test(() => {
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "bad-method", {method: "BAD METHOD"}));
  assert_throws_js(TypeError, () => fetchLater(URL_BASE + "empty-method", {method: ""}));
}, "a method that is not a token throws TypeError");

for (const method of ["GET", "HEAD", "DELETE", "PUT", "OPTIONS", "PATCH", "post", "custom"]) {
  test(() => {
    assert_false(queueAndAbort(URL_BASE + "method-" + method, {method}).activated);
  }, "method " + method + " without a body is accepted");
}

test(() => {
  assert_throws_js(TypeError,
                   () => fetchLater(URL_BASE + "bad-header", {headers: {"bad name": "1"}}));
  assert_throws_js(TypeError,
                   () => fetchLater(URL_BASE + "bad-value", {headers: {"X-A": "a\nb"}}));
}, "an invalid header name or value throws TypeError");

test(() => {
  queueAndAbort(URL_BASE + "headers-object", {headers: new Headers({"X-A": "1"})});
  queueAndAbort(URL_BASE + "headers-pairs", {headers: [["X-A", "1"], ["X-B", "2"]]});
  queueAndAbort(URL_BASE + "keepalive-false", {keepalive: false});
}, "Headers objects, header pairs and keepalive: false are accepted");

// Fetch: "total request length": URL (no fragment) + referrer (only when it
// is a URL) + each header's name and value + body. A request of exactly the
// available quota fits; one byte more throws with quota 65536.
function checkBoundary(url, init, extraBytes, label) {
  const budget = QUOTA_PER_ORIGIN - new URL(url).href.replace(/#.*$/, "").length - extraBytes;
  test(() => {
    assert_throws_quota_exceeded(
        () => fetchLater(url, Object.assign({method: "POST", body: "x".repeat(budget + 1)}, init)),
        {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1});
    queueAndAbort(url, Object.assign({method: "POST", body: "x".repeat(budget)}, init));
  }, "total request length counts " + label);
}

checkBoundary(URL_BASE + "len-base", {referrer: ""}, STRING_CONTENT_TYPE_BYTES,
              "the URL and the string body's Content-Type header (36 bytes)");
checkBoundary(URL_BASE + "len-header", {referrer: "", headers: {"X-Trace": "1"}},
              STRING_CONTENT_TYPE_BYTES + "x-trace".length + 1,
              "each header's name and value");
checkBoundary(URL_BASE + "len-fragment#" + "f".repeat(100), {referrer: ""},
              STRING_CONTENT_TYPE_BYTES, "the URL without its fragment");
checkBoundary(URL_BASE + "len-referrer", {referrer: "https://a.test/referrer-path"},
              STRING_CONTENT_TYPE_BYTES + "https://a.test/referrer-path".length,
              "an explicit same-origin referrer URL");
// Spec, not Chromium: Chromium counts 12 bytes (about:client) for a referrer
// left at its default; the spec counts the referrer only when it is a URL.
checkBoundary(URL_BASE + "len-default-referrer", {}, STRING_CONTENT_TYPE_BYTES,
              "nothing for the default referrer (spec, not Chromium: not 12 bytes)");
checkBoundary(URL_BASE + "len-content-type", {referrer: "", headers: {"Content-Type": "a/b"}},
              "content-type".length + "a/b".length,
              "an explicit Content-Type instead of the string body's default");

test(() => {
  const url = URL_BASE + "len-blob-type";
  const budget = QUOTA_PER_ORIGIN - url.length - "content-type".length - "text/csv".length;
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", referrer: "",
                             body: new Blob(["x".repeat(budget + 1)], {type: "text/csv"})}),
      {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1});
  queueAndAbort(url, {method: "POST", referrer: "",
                      body: new Blob(["x".repeat(budget)], {type: "text/csv"})});
}, "total request length counts a Blob's type as its Content-Type header");

test(() => {
  const url = URL_BASE + "len-bytes";
  const budget = QUOTA_PER_ORIGIN - url.length;
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", referrer: "",
                             body: new Uint8Array(budget + 1).buffer}),
      {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1});
  queueAndAbort(url, {method: "POST", referrer: "", body: new Uint8Array(budget).buffer});
  queueAndAbort(url, {method: "POST", referrer: "", body: new Blob(["x".repeat(budget)])});
}, "an ArrayBuffer or an untyped Blob adds no header");

test(() => {
  const body = "\u00e9".repeat(10);  // 20 bytes in UTF-8
  const url = URL_BASE + "len-utf8";
  const budget = QUOTA_PER_ORIGIN - url.length - STRING_CONTENT_TYPE_BYTES;
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", referrer: "",
                             body: "x".repeat(budget - 20 + 1) + body}),
      {quota: QUOTA_PER_ORIGIN, requested: QUOTA_PER_ORIGIN + 1});
}, "a string body counts its UTF-8 bytes");
