// fetch() is not a deferred fetch: it has no deferred-fetch quota and the
// deferred-fetch Permissions Policy features do not apply to it (Fetch
// "fetch(input, init)" has no such step; only fetchLater() runs "process
// deferred fetches" quota checks). The page's policy is deferred-fetch=(),
// which fetch_outside_deferred_fetch.json sets.
"use strict";

test(() => {
  assert_throws_quota_exceeded(() => fetchLater("/later"), {quota: 0});
}, "the policy is in force: fetchLater() has no quota (QuotaExceededError, quota 0)");

const small = fetch("/plain?case=policy-disabled");
// 100 KiB: more than any deferred-fetch quota (64 KiB per origin), and no
// keepalive, so no keepalive limit either.
const big = fetch("/plain?case=100kib", {method: "POST", body: "b".repeat(100 * 1024)});

promise_test(async () => {
  const r = await small;
  assert_equals(r.status, 204);
  assert_true(r.ok, "ok");
}, "fetch() succeeds under deferred-fetch=()");

promise_test(async () => {
  const r = await big;
  assert_equals(r.status, 204);
}, "fetch() with a 100 KiB body and no keepalive succeeds: no deferred-fetch quota");
