// Port of WPT fetch/fetch-later/policies/{csp-allowed, csp-blocked,
// csp-redirect-to-blocked}.https.window.js. The page's Content-Security-Policy
// (a response header in the scenario) is `connect-src 'self' https://b.test`.
// A CSP block is never a synchronous throw: fetchLater() returns, and when the
// browser refuses the request it fires `securitypolicyviolation` at the
// document (WPT csp-blocked); a same-origin URL that redirects to a blocked one
// is refused at the redirect hop (csp-redirect-to-blocked; the network stage
// checks every hop). The activateAfter: 0 requests go out when the next step
// moves the clock; the violation events arrive before the step after it.
"use strict";

test(() => {
  const result = fetchLater("https://b.test/beacon?case=csp-allowed", {activateAfter: 0});
  assert_false(result.activated);
}, "csp-allowed: a request to a source the policy lists is accepted");

const violations = [];
document.addEventListener("securitypolicyviolation", (e) => violations.push(e));

test(() => {
  const result = fetchLater("https://c.test/beacon?case=csp-blocked", {activateAfter: 0});
  assert_false(result.activated);
}, "csp-blocked: fetchLater() does not throw for a URL the policy blocks");

test(() => {
  fetchLater("https://a.test/redirect?case=csp-redirect", {activateAfter: 0});
}, "csp-redirect-to-blocked: a same-origin URL that redirects elsewhere is accepted");
