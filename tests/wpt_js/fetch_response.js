// fetch() is a fetch: its promise resolves with a Response holding what the
// server answered (Fetch "fetch(input, init)" step 12.3 / "main fetch" step
// 14: the filtered response), and rejects with a TypeError on a network error.
// The scenario fetch_response.json sets the collector's answers (`respond`)
// before this runs; every fetch starts now, the tests read them once the run
// has drained the network.
"use strict";

const same = fetch("/r/json?case=same-origin");
const cross = fetch("https://b.test/r/cors?case=cross-origin");
const notFound = fetch("/r/missing");
const serverError = fetch("/r/error", {method: "POST", body: "x"});
const noCors = fetch("https://b.test/r/cors?case=no-cors", {mode: "no-cors"});
// Handled at once: the rejection may come before the test below awaits it, and
// a rejection with no handler at the end of its task is reported as uncaught.
const noCorsBody = fetch("https://c.test/r/cors?case=denied")
                       .then(() => null, (e) => e);

promise_test(async () => {
  const r = await same;
  assert_true(r instanceof Response, "a Response");
  assert_equals(r.type, "basic");
  assert_equals(r.url, "https://a.test/r/json?case=same-origin");
  assert_equals(r.status, 200);
  assert_true(r.ok, "ok");
  assert_equals(r.statusText, "OK");
  assert_equals(r.headers.get("content-type"), "application/json");
  assert_equals(r.headers.get("x-answer"), "42");
  assert_equals(r.bodyUsed, false);
  const body = await r.json();
  assert_equals(body.answer, 42);
  assert_equals(body.from, "collector");
  assert_true(r.bodyUsed, "bodyUsed after json()");
}, "same-origin: status, ok, statusText, headers and json() of the collector's answer");

promise_test(async () => {
  const r = await cross;
  assert_equals(r.type, "cors");
  assert_equals(r.status, 200);
  assert_equals(r.headers.get("x-exposed"), "yes");
  // Fetch "CORS filtered response": only safelisted and exposed names.
  assert_equals(r.headers.get("x-hidden"), null);
  assert_equals(await r.text(), "cross-origin body");
}, "cross-origin cors: a CORS-filtered response, text() of its body, unexposed headers hidden");

promise_test(async () => {
  const r = await notFound;
  assert_equals(r.status, 404);
  assert_false(r.ok, "ok");
  assert_equals(r.statusText, "Not Found");
  const bytes = await r.arrayBuffer();
  assert_true(bytes instanceof ArrayBuffer, "an ArrayBuffer");
  assert_equals(String.fromCharCode(...new Uint8Array(bytes)), "no such thing");
}, "an HTTP error status is a response, not a network error: 404, ok false, arrayBuffer()");

promise_test(async () => {
  const r = await serverError;
  assert_equals(r.status, 500);
  assert_false(r.ok, "ok");
  assert_equals(r.statusText, "Internal Server Error");
}, "a 500 answer resolves too");

promise_test(async () => {
  const r = await noCors;
  assert_equals(r.type, "opaque");
  assert_equals(r.status, 0);
  assert_equals(r.url, "");
  assert_equals(await r.text(), "");
}, "no-cors cross-origin: an opaque response (status 0, no body)");

promise_test(async () => {
  const error = await noCorsBody;
  assert_true(error instanceof TypeError, "rejects with a TypeError: " + error);
}, "cors cross-origin without Access-Control-Allow-Origin: the CORS check fails, a network error (TypeError)");
