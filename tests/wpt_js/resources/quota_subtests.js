// Quota subtests shared by the iframe pages (ports of WPT
// fetch/fetch-later/quota/{same,cross}-origin-iframe/*.https.window.js).
// Load after testharness.js and fetch_later_helper.js; each function declares
// tests named "<where>: <WPT file>: ...", so one document can run several.
"use strict";

// AbortControllers by name, so that a later step can abort what an earlier
// step queued: controller("x").signal, then controller("x").abort().
const namedControllers = new Map();
function controller(name) {
  if (!namedControllers.has(name)) namedControllers.set(name, new AbortController());
  return namedControllers.get(name);
}

// empty-payload. Spec, not WPT: WPT's same-/cross-origin iframe
// empty-payload tests expect TypeError for an empty non-FormData body; the
// spec has no such rule, so every empty body is accepted. Aborted again.
function emptyPayloadTests(where, url) {
  for (const type of BODY_TYPES) {
    test(() => {
      const c = new AbortController();
      fetchLater(url, {method: "POST", body: makeBeaconData("", type), signal: c.signal});
      c.abort();
    }, where + ": empty-payload: an empty " + type +
       " body is accepted (spec, not WPT: WPT expects TypeError for non-FormData)");
  }
}

// small-payload: a 20-byte body of every type is accepted. Aborted again.
function smallPayloadTests(where, url) {
  for (const type of BODY_TYPES) {
    test(() => {
      const c = new AbortController();
      fetchLater(url, {method: "POST", body: makeBeaconData(generatePayload(20), type),
                       signal: c.signal});
      c.abort();
    }, where + ": small-payload: a 20-byte " + type + " body is accepted");
  }
}

// oversized-payload: budget + 1 bytes of every type throws.
function oversizedPayloadTests(where, url, budget) {
  for (const type of BODY_TYPES) {
    test(() => {
      assert_throws_quota_exceeded(() => fetchLater(url, {
          method: "POST", body: makeBeaconData(generatePayload(budget + 1), type)}));
    }, where + ": oversized-payload: a " + budget + " + 1 byte " + type + " body throws");
  }
}

// max-payload: a string POST of exactly `budget` bytes in all (referrer: '')
// is accepted and stays pending (the scenario expects it sent); one byte more
// throws with requested = budget + 1 and quota = budget.
function maxPayloadTest(where, url, budget) {
  test(() => {
    const body = generatePayload(maxStringBody(budget, url));
    assert_throws_quota_exceeded(
        () => fetchLater(url, {method: "POST", body: body + "*", referrer: ""}),
        {requested: budget + 1, quota: budget});
    fetchLater(url, {method: "POST", body, referrer: ""});
  }, where + ": max-payload: " + budget + " bytes to " + new URL(url).origin +
     " are accepted, one more throws");
}

// Queues the largest string POST to `url` that fits `budget`, passing the
// named controller's signal.
function queueMax(url, budget, signalName) {
  const init = {method: "POST", body: generatePayload(maxStringBody(budget, url)), referrer: ""};
  if (signalName) init.signal = controller(signalName).signal;
  return fetchLater(url, init);
}
