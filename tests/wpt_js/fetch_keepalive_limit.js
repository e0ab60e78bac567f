// Fetch "HTTP-network-or-cache fetch": a keepalive request whose body would
// take its fetch group's in-flight keepalive bodies over 64 KiB (65536 bytes)
// is a network error: fetch() rejects with a TypeError. A document is its own
// fetch group; a body stops counting when its fetch ends.
// fetch_keepalive_limit.json refuses connections while these run, so each
// accepted fetch stays in flight (its one retry waits 1 s) until the network
// comes back.
"use strict";

const inflight = {keepalive: true, method: "POST",
                  retryOptions: {maxAttempts: 1, initialDelay: 1000, retryNonIdempotent: true}};

async function rejects(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  return null;
}

// The rejections below are handled at once (rejects()): one may come before
// its test awaits it, and a rejection with no handler at the end of its task
// is reported as uncaught.
// Alone, over the limit.
const alone = rejects(fetch("/ka?case=65537-alone", {...inflight, body: "x".repeat(65537)}));
// 40000 in flight, then 30000 more: 70000 > 65536.
const first = fetch("/ka?case=40000-first", {...inflight, body: "x".repeat(40000)});
const over = rejects(fetch("/ka?case=30000-over", {...inflight, body: "x".repeat(30000)}));
// 40000 + 25536 = 65536: exactly the limit is allowed.
const exact = fetch("/ka?case=25536-exact", {...inflight, body: "x".repeat(25536)});
// Without keepalive the limit does not apply.
const plain = fetch("/ka?case=100000-no-keepalive",
                    {method: "POST", body: "x".repeat(100000),
                     retryOptions: inflight.retryOptions});

promise_test(async () => {
  const e = await alone;
  assert_true(e instanceof TypeError, "TypeError: " + e);
}, "a keepalive body of 65537 bytes rejects with TypeError");

promise_test(async () => {
  const e = await over;
  assert_true(e instanceof TypeError, "TypeError: " + e);
}, "40000 + 30000 keepalive bytes in flight: the second fetch rejects with TypeError");

promise_test(async () => {
  assert_equals((await first).status, 204);
  assert_equals((await exact).status, 204);
  assert_equals((await plain).status, 204);
}, "40000 + 25536 (exactly 64 KiB) in flight are both sent, and a 100000-byte body without keepalive");

// Run after the network came back and the fetches above ended: their bytes no
// longer count.
function afterTheyEnded() {
  promise_test(async () => {
    const r = await fetch("/ka?case=60000-after", {keepalive: true, method: "POST",
                                                  body: "x".repeat(60000)});
    assert_equals(r.status, 204);
  }, "once the in-flight keepalive fetches ended, 60000 bytes fit again");
}
