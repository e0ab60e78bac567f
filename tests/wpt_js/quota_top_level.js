// Port of WPT fetch/fetch-later/quota/*.https.window.js (top level, group G
// of SPEC-NOTES 2.2): empty-payload, small-payload, max-payload,
// oversized-payload, accumulated-oversized-payload, multiple-origins; plus the
// spec's top-level pool (512 KiB while deferred-fetch-minimal is allowed) and
// its worked multi-call example (SPEC-NOTES 1.16).
// Runs in https://a.test/ (no Permissions-Policy header). Requests a test
// wants sent use their own URL prefix (https://<host>/quota?case=...), which
// the scenario's expectSent counts after the tab is closed; the others are
// aborted, which frees their quota (spec commit 7d7ab2a).
"use strict";

const controllers = [];
function signal() {
  const c = new AbortController();
  controllers.push(c);
  return c.signal;
}
function abortAll() {
  for (const c of controllers.splice(0)) c.abort();
}

// quota/empty-payload: an empty body of every type is accepted (the spec has
// no empty-body rule; WPT's iframe variants expecting TypeError diverge, see
// quota_iframes.js), as are GET, DELETE and PUT without a body. Sent.
for (const type of BODY_TYPES) {
  test(() => {
    const result = fetchLater("https://a.test/quota?case=empty-" + type,
                              {method: "POST", body: makeBeaconData("", type), activateAfter: 0});
    assert_false(result.activated);
  }, "quota/empty-payload: an empty " + type + " body is accepted");
}
for (const method of ["GET", "DELETE", "PUT"]) {
  test(() => {
    fetchLater("https://a.test/quota?case=empty-" + method, {method, activateAfter: 0});
  }, "quota/empty-payload: " + method + " without a body is accepted");
}

// quota/small-payload: a 20-byte body of every type is accepted (and sent).
for (const type of BODY_TYPES) {
  test(() => {
    fetchLater("https://a.test/quota?case=small-" + type,
               {method: "POST", body: makeBeaconData(generatePayload(20), type)});
  }, "quota/small-payload: a 20-byte " + type + " body is accepted");
}

// quota/max-payload: exactly 64 KiB (URL + 36-byte Content-Type + body) is
// accepted and sent; one byte more throws with requested 65537, quota 65536.
test(() => {
  const url = "https://max.test/quota?case=max-payload";
  const body = generatePayload(maxStringBody(QUOTA_PER_ORIGIN, url));
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", body: body + "*", referrer: ""}),
      {requested: 65537, quota: 65536});
  fetchLater(url, {method: "POST", body, referrer: ""});
  assert_throws_quota_exceeded(() => fetchLater(url, {referrer: ""}),
                               {quota: 0, requested: url.length});
}, "quota/max-payload: 64 KiB exactly is accepted; 1 byte more throws (requested 65537, quota 65536)");

// quota/oversized-payload: 64 KiB + 1 of every type throws.
for (const type of BODY_TYPES) {
  test(() => {
    assert_throws_quota_exceeded(() => fetchLater("/", {
        method: "POST", body: makeBeaconData(generatePayload(QUOTA_PER_ORIGIN + 1), type)}));
  }, "quota/oversized-payload: a 64 KiB + 1 " + type + " body throws QuotaExceededError");
}

// quota/accumulated-oversized-payload: half the per-origin budget, then the
// whole of it throws with the remaining budget as `quota`, then a GET fits.
test(() => {
  const url = "https://acc.test/";
  const budget = maxStringBody(QUOTA_PER_ORIGIN, url);
  const half = Math.ceil(budget / 2);
  fetchLater(url, {method: "POST", body: generatePayload(half), referrer: "", signal: signal()});
  assert_throws_quota_exceeded(
      () => fetchLater(url, {method: "POST", body: generatePayload(budget), referrer: ""}),
      {requested: QUOTA_PER_ORIGIN, quota: budget - half});
  fetchLater(url, {referrer: "", signal: signal()});
  abortAll();
}, "quota/accumulated-oversized-payload: the second call throws with quota = what is left; a GET still fits");

// quota/multiple-origins: 32 KiB + 1 to two origins and a GET each: each
// reporting origin has its own 64 KiB.
for (const type of BODY_TYPES) {
  test(() => {
    const payload = generatePayload(32 * 1024 + 1);
    fetchLater("https://a.test/multi", {method: "POST", body: makeBeaconData(payload, type),
                                        signal: signal()});
    fetchLater("https://other.test/multi", {method: "POST", body: makeBeaconData(payload, type),
                                            signal: signal()});
    fetchLater("https://other.test/multi", {signal: signal()});
    abortAll();
  }, "quota/multiple-origins: 32 KiB + 1 " + type + " bodies to two origins are accepted");
}

// Aborting frees quota (spec commit 7d7ab2a: only pending records count).
test(() => {
  const url = "https://freed.test/";
  const body = generatePayload(maxStringBody(QUOTA_PER_ORIGIN, url));
  const first = new AbortController();
  fetchLater(url, {method: "POST", body, referrer: "", signal: first.signal});
  assert_throws_quota_exceeded(() => fetchLater(url, {referrer: ""}), {quota: 0});
  first.abort();
  fetchLater(url, {method: "POST", body, referrer: "", signal: signal()});
  abortAll();
}, "an aborted request no longer counts against quota");

// Spec 1.16: 64 KiB to a, 64 KiB to b, then a GET to a throws; seven origins
// of 64 KiB fill the rest of the 512 KiB pool only up to what is left.
test(() => {
  const hosts = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"].map((h) => "https://" + h + ".test/");
  for (const url of hosts.slice(0, 2)) {
    fetchLater(url, {method: "POST", referrer: "", signal: signal(),
                     body: generatePayload(maxStringBody(QUOTA_PER_ORIGIN, url))});
  }
  assert_throws_quota_exceeded(() => fetchLater(hosts[0], {referrer: ""}),
                               {quota: 0, requested: hosts[0].length});
  abortAll();
}, "spec example: 64 KiB to a and to b are accepted; a further GET to a throws");

// Fetch: "available deferred-fetch quota" step 6: the top level has 512 KiB
// while deferred-fetch-minimal is allowed (640 KiB - 128 KiB for iframes).
// Still pending here: the max-payload request (64 KiB) and the small
// empty-/small-payload requests (a few hundred bytes, `small`). Six more full
// origins leave 512 - 7 x 64 KiB - small for the eighth.
test(() => {
  const pool = 512 * 1024;
  const hosts = [];
  for (let i = 0; i < 7; ++i) hosts.push("https://pool" + i + ".test/");
  for (const url of hosts.slice(0, 6)) {
    fetchLater(url, {method: "POST", referrer: "", signal: signal(),
                     body: generatePayload(maxStringBody(QUOTA_PER_ORIGIN, url))});
  }
  const last = assert_throws_quota_exceeded(
      () => fetchLater(hosts[6], {method: "POST", referrer: "",
                                  body: generatePayload(QUOTA_PER_ORIGIN)}));
  const small = pool - 7 * QUOTA_PER_ORIGIN - last.quota;
  assert_true(small > 0 && small < 2048,
              "the pending small requests use " + small + " bytes (quota left " + last.quota + ")");
  fetchLater(hosts[6], {method: "POST", referrer: "", signal: signal(),
                        body: generatePayload(maxStringBody(last.quota, hosts[6]))});
  assert_throws_quota_exceeded(() => fetchLater("https://pool7.test/", {referrer: ""}),
                               {quota: 0, requested: "https://pool7.test/".length});
  abortAll();
}, "the top-level pool is 512 KiB while deferred-fetch-minimal is allowed");
