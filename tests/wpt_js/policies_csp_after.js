// The second half of policies_csp.js, run after the clock moved and the
// browser refused the blocked requests: what the document's
// `securitypolicyviolation` listener saw.
"use strict";

test(() => {
  const blocked = violations.filter((e) => e.blockedURI.startsWith("https://c.test"));
  assert_true(blocked.length >= 1, "a violation for the blocked URL: " +
              JSON.stringify(violations.map((e) => e.blockedURI)));
  const e = blocked[0];
  assert_true(e instanceof SecurityPolicyViolationEvent);
  assert_equals(e.violatedDirective, "connect-src");
  assert_equals(e.effectiveDirective, "connect-src");
  assert_equals(e.disposition, "enforce");
  assert_equals(e.originalPolicy, "connect-src 'self' https://b.test");
  assert_true(e.bubbles, "bubbles");
}, "csp-blocked: a securitypolicyviolation event with violatedDirective connect-src");

test(() => {
  assert_equals(violations.filter((e) => e.blockedURI.startsWith("https://b.test")).length, 0);
}, "csp-allowed: no violation for an allowed source");
