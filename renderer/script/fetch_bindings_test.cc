// fetchLater()/fetch()/Request/Headers/AbortSignal bindings: Web IDL
// conversions and the exceptions script sees.
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "renderer/script/script_test_util.h"

namespace fetch_later::renderer::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Case {
  const char* expression;
  const char* expected;  // Prefix of Eval()'s result.
};

class FetchLaterTableTest : public ScriptTest,
                            public ::testing::WithParamInterface<Case> {};

TEST_P(FetchLaterTableTest, Evaluates) {
  EXPECT_THAT(Eval(GetParam().expression), StartsWith(GetParam().expected))
      << GetParam().expression;
}

INSTANTIATE_TEST_SUITE_P(
    Conversions,
    FetchLaterTableTest,
    ::testing::Values(
        // Missing required argument.
        Case{"fetchLater()", "threw TypeError: "},
        // Step 8: not potentially trustworthy.
        Case{"fetchLater('http://a.test/')", "threw TypeError: "},
        Case{"fetchLater('/b') instanceof FetchLaterResult", "true"},
        Case{"fetchLater('/b', undefined).activated", "false"},
        Case{"fetchLater('/b', null).activated", "false"},
        // Dictionary: not an object.
        Case{"fetchLater('/b', 5)", "threw TypeError: "},
        // activateAfter: DOMHighResTimeStamp.
        Case{"fetchLater('/b', {activateAfter: -1})", "threw RangeError: "},
        Case{"fetchLater('/b', {activateAfter: NaN})", "threw TypeError: "},
        Case{"fetchLater('/b', {activateAfter: Infinity})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {activateAfter: '12'}).activated", "false"},
        Case{"fetchLater('/b', {activateAfter: {valueOf() { return 3; }}})"
             ".activated",
             "false"},
        // Bodies.
        Case{"fetchLater('/b', {method: 'POST', body: new ReadableStream()})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {body: 'x'})", "threw TypeError: "},  // GET
        // signal.
        Case{"fetchLater('/b', {signal: {}})", "threw TypeError: "},
        Case{"fetchLater('/b', {signal: null}).activated", "false"},
        // Enums and methods are the model's.
        Case{"fetchLater('/b', {mode: 'bogus'})", "threw TypeError: "},
        Case{"fetchLater('/b', {cache: 'bogus'})", "threw TypeError: "},
        Case{"fetchLater('/b', {method: 'CONNECT'})", "threw TypeError: "},
        Case{"fetchLater('/b', {method: '\\u0100'})", "threw TypeError: "},
        Case{"fetchLater('/b', {window: {}})", "threw TypeError: "},
        Case{"fetchLater('/b', {headers: 5})", "threw TypeError: "},
        Case{"fetchLater('/b', {headers: [['a']]})", "threw TypeError: "},
        // retryOptions.
        Case{"fetchLater('/b', {retryOptions: {}})", "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: 70000}})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: -1}})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: NaN}})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: 3, "
             "initialDelay: Infinity}})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: 3, "
             "backoffFactor: NaN}})",
             "threw TypeError: "},
        Case{"fetchLater('/b', {retryOptions: {maxAttempts: 3.9}}).activated",
             "false"},
        // A symbol cannot be converted to a string.
        Case{"fetchLater(Symbol())", "threw TypeError: "},
        // Errors thrown by conversions propagate as is.
        Case{"fetchLater({toString() { throw new RangeError('mine'); }})",
             "threw RangeError: mine"}));

TEST_F(ScriptTest, FetchLaterReachesTheDelegate) {
  EXPECT_EQ(Eval("fetchLater('/beacon', {method: 'post', body: 'hello', "
                 "activateAfter: 5000, headers: {'X-A': '1'}, "
                 "retryOptions: {maxAttempts: 3, initialDelay: 10, "
                 "backoffFactor: 2, maxAge: 100, retryAfterUnload: true, "
                 "retryNonIdempotent: 1, retryOnlyIfServerUnreached: ''}})"
                 ".activated"),
            "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  const auto& call = delegate_.fetch_later_calls[0];
  EXPECT_EQ(call.url, "https://a.test/beacon");
  EXPECT_EQ(call.method, "POST");
  EXPECT_EQ(call.body, "hello");
  EXPECT_EQ(call.activate_after_ms, 5000);
  ASSERT_TRUE(call.retry.has_value());
  EXPECT_EQ(call.retry->max_attempts, 3u);
  EXPECT_EQ(call.retry->initial_delay_ms, 10u);
  EXPECT_EQ(call.retry->backoff_factor, 2.0);
  EXPECT_EQ(call.retry->max_age_ms, 100u);
  EXPECT_TRUE(call.retry->retry_after_unload);
  EXPECT_TRUE(call.retry->retry_non_idempotent);
  EXPECT_FALSE(call.retry->retry_only_if_server_unreached);
  bool has_header = false;
  for (const auto& [name, value] : call.headers) {
    if (name == "X-A" && value == "1")
      has_header = true;
  }
  EXPECT_TRUE(has_header);
}

TEST_F(ScriptTest, PlainObjectInputIsStringified) {
  // WebIDL: RequestInfo is (Request or USVString): ToString({}).
  EXPECT_EQ(Eval("fetchLater({}).activated"), "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].url,
            "https://a.test/[object%20Object]");
}

TEST_F(ScriptTest, DictionaryMembersAreReadInLexicographicOrder) {
  Run(R"JS(
    globalThis.order = [];
    const init = {};
    for (const k of ['window', 'signal', 'retryOptions', 'referrerPolicy',
                     'referrer', 'redirect', 'priority', 'mode', 'method',
                     'keepalive', 'integrity', 'headers', 'duplex',
                     'credentials', 'cache', 'body', 'activateAfter']) {
      Object.defineProperty(init, k, {get() { order.push(k); }});
    }
    fetchLater('/b', init);
  )JS");
  EXPECT_EQ(Eval("order.join()"),
            "body,cache,credentials,duplex,headers,integrity,keepalive,method,"
            "mode,priority,redirect,referrer,referrerPolicy,retryOptions,"
            "signal,window,activateAfter");
}

// WebIDL converts (and checks) each enum member as it reads it: an invalid
// enum throws before later members are read, even when a later member would
// throw too.
TEST_F(ScriptTest, AnInvalidEnumMemberThrowsBeforeLaterMembersAreRead) {
  Run(R"JS(
    globalThis.read = [];
    globalThis.initWith = (invalid) => {
      const init = {};
      for (const k of ['cache', 'credentials', 'headers', 'mode', 'redirect',
                       'referrerPolicy', 'signal']) {
        Object.defineProperty(init, k, {get() {
          read.push(k);
          if (k === invalid) return 'bogus';
          if (k === 'headers') return undefined;
          if (k === 'signal') return 5;  // would throw TypeError too
          return undefined;
        }});
      }
      return init;
    };
  )JS");
  const struct {
    const char* member;
    const char* type;
    const char* read;
  } kRows[] = {
      {"cache", "RequestCache", "cache"},
      {"credentials", "RequestCredentials", "cache,credentials"},
      {"mode", "RequestMode", "cache,credentials,headers,mode"},
      {"redirect", "RequestRedirect",
       "cache,credentials,headers,mode,redirect"},
      {"referrerPolicy", "ReferrerPolicy",
       "cache,credentials,headers,mode,redirect,referrerPolicy"},
  };
  for (const auto& row : kRows) {
    const std::string call = absl::StrCat(
        "(read.length = 0, fetchLater('/b', initWith('", row.member, "')))");
    EXPECT_THAT(Eval(call), StartsWith(absl::StrCat(
                                "threw TypeError: Failed to read the '",
                                row.member, "' property from 'RequestInit'")))
        << row.member;
    EXPECT_THAT(Eval(call), HasSubstr(row.type)) << row.member;
    EXPECT_EQ(Eval("read.join()"), row.read) << row.member;
  }
}

// RequestInit's mode, credentials and redirect (and cache, integrity) reach
// the Request object's attributes; a Request whose body was taken says so.
TEST_F(ScriptTest, RequestAttributesFromInit) {
  EXPECT_EQ(Eval("(r => [r.mode, r.credentials, r.redirect, r.cache, "
                 "r.integrity, r.bodyUsed].join())(new Request('/b'))"),
            "cors,same-origin,follow,default,,false");
  EXPECT_EQ(Eval("(r => [r.mode, r.credentials, r.redirect, r.cache, "
                 "r.integrity].join())(new Request('/b', {mode: 'same-origin', "
                 "credentials: 'omit', redirect: 'error', cache: "
                 "'only-if-cached', integrity: 'sha256-x'}))"),
            "same-origin,omit,error,only-if-cached,sha256-x");
  EXPECT_EQ(Eval("new Request('/b', {mode: 'no-cors', redirect: 'manual', "
                 "credentials: 'include'}).redirect"),
            "manual");
  EXPECT_THAT(Eval("new Request('/b', {mode: 'navigate'})"),
              StartsWith("threw TypeError: "));
  EXPECT_THAT(Eval("new Request('/b', {cache: 'only-if-cached'})"),
              StartsWith("threw TypeError: 'only-if-cached'"));
  EXPECT_THAT(Eval("new Request('/b', {mode: 'no-cors', method: 'PUT'})"),
              StartsWith("threw TypeError: 'PUT' is unsupported in no-cors"));
  // The guard "request-no-cors" drops what it does not safelist.
  EXPECT_EQ(Eval("[...new Request('/b', {mode: 'no-cors', headers: "
                 "{'X-Trace': '1', 'Accept': 'a/b'}}).headers].join(';')"),
            "accept,a/b");
}

// Fetch Request ctor step 42 (SPEC-NOTES 2.4): fetchLater(request) takes the
// request's body through a proxy; the request is then used, and a second
// fetchLater(request) throws TypeError. A bodiless request can be reused.
TEST_F(ScriptTest, FetchLaterTakesARequestsBody) {
  Run("globalThis.req = new Request('/b', {method: 'POST', body: 'x'});");
  EXPECT_EQ(Eval("req.bodyUsed"), "false");
  EXPECT_EQ(Eval("fetchLater(req).activated"), "false");
  EXPECT_EQ(Eval("req.bodyUsed"), "true");
  EXPECT_THAT(Eval("fetchLater(req)"),
              StartsWith("threw TypeError: Cannot construct a Request with a "
                         "Request object that has already been used."));
  EXPECT_THAT(Eval("new Request(req)"), StartsWith("threw TypeError: "));
  // A body of its own in init does not take the used body.
  EXPECT_EQ(Eval("fetchLater(req, {body: 'y'}).activated"), "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 2u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].body, "x");
  EXPECT_EQ(delegate_.fetch_later_calls[1].body, "y");

  Run("globalThis.get = new Request('/g');");
  EXPECT_EQ(Eval("fetchLater(get).activated"), "false");
  EXPECT_EQ(Eval("fetchLater(get).activated"), "false");
  EXPECT_EQ(Eval("get.bodyUsed"), "false");
}

TEST_F(ScriptTest, ActivatedReadsTheFlagEachTime) {
  Run("globalThis.r = fetchLater('/b');");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  EXPECT_EQ(Eval("r.activated"), "false");
  delegate_.fetch_later_calls[0].activated->store(true);
  EXPECT_EQ(Eval("r.activated"), "true");
  // Readonly: assignment is ignored (sloppy) and throws in strict mode.
  EXPECT_EQ(Eval("(r.activated = false, r.activated)"), "true");
  EXPECT_EQ(Eval("(() => { 'use strict'; r.activated = false; })()"),
            "threw TypeError: Attempted to assign to readonly property.");
  EXPECT_EQ(Eval("Object.getOwnPropertyNames(r).length"), "0");
  EXPECT_EQ(Eval("new FetchLaterResult()"),
            "threw TypeError: Illegal constructor");
}

TEST_F(ScriptTest, AbortedSignalThrowsItsJsReason) {
  EXPECT_EQ(Eval("(() => { const c = new AbortController(); "
                 "const reason = {custom: 1}; c.abort(reason); "
                 "try { fetchLater('/b', {signal: c.signal}); return 'no'; }"
                 " catch (e) { return e === reason && c.signal.reason === "
                 "reason; } })()"),
            "true");
  // Through a Request's dependent signal as well.
  EXPECT_EQ(Eval("(() => { const c = new AbortController(); "
                 "const req = new Request('/b', {signal: c.signal}); "
                 "c.abort('why'); try { fetchLater(req); return 'no'; } "
                 "catch (e) { return e === 'why' && req.signal.reason === "
                 "'why'; } })()"),
            "true");
  // Default reason: an AbortError DOMException.
  EXPECT_EQ(Eval("(() => { const c = new AbortController(); c.abort(); "
                 "try { fetchLater('/b', {signal: c.signal}); } "
                 "catch (e) { return describe(e) + ' ' + (e === "
                 "c.signal.reason) + ' ' + (e instanceof DOMException) + "
                 "' ' + e.code; } })()"),
            "AbortError: signal is aborted without reason true true 20");
  EXPECT_EQ(Eval("(() => { try { fetchLater('/b', {signal: "
                 "AbortSignal.abort(7)}); } catch (e) { return e; } })()"),
            "7");
  EXPECT_EQ(delegate_.fetch_later_calls.size(), 0u);
}

TEST_F(ScriptTest, QuotaExceededError) {
  JsError quota;
  quota.type = JsErrorType::kQuotaExceededError;
  quota.message = "over quota";
  quota.quota = 65536;
  quota.requested = 70000;
  delegate_.quota_error = quota;
  EXPECT_EQ(Eval("(() => { try { fetchLater('/b'); } catch (e) { return ["
                 "e instanceof QuotaExceededError, e instanceof DOMException,"
                 " e instanceof Error, e.name, e.message, e.quota, "
                 "e.requested, e.code, Object.prototype.toString.call(e)]"
                 ".join(); } })()"),
            "true,true,true,QuotaExceededError,over quota,65536,70000,22,"
            "[object QuotaExceededError]");
  ScriptRunResult r = Run("fetchLater('/b');");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "QuotaExceededError");
  EXPECT_EQ(r.errors[0].quota, 65536u);
  EXPECT_EQ(r.errors[0].requested, 70000u);
  EXPECT_EQ(r.errors[0].source_url, "test.js");
  EXPECT_EQ(r.errors[0].line, 1);
}

TEST_F(ScriptTest, FetchReturnsAPromise) {
  Run(R"JS(
    fetch('/ok', {method: 'POST', body: 'b', keepalive: true})
        .then((v) => console.log('resolved', v));
    fetch().catch((e) => console.log('rejected', describe(e)));
    fetch('/x', {signal: 1}).catch((e) => console.log('rejected', e.name));
  )JS");
  ScriptRunResult r = Run("console.log('next task');");
  // The first Run's microtasks ran at its checkpoint.
  ASSERT_EQ(delegate_.fetch_calls.size(), 1u);
  EXPECT_EQ(delegate_.fetch_calls[0].url, "https://a.test/ok");
  EXPECT_EQ(delegate_.fetch_calls[0].body, "b");
  EXPECT_TRUE(delegate_.fetch_calls[0].keepalive);
  delegate_.fetch_error = MakeTypeError("network");
  EXPECT_EQ(Eval("(() => { const p = fetch('/y'); p.catch(() => {}); "
                 "return p instanceof Promise; })()"),
            "true");
  ScriptRunResult unhandled = Run("fetch('/z');");
  ASSERT_EQ(unhandled.errors.size(), 1u);
  EXPECT_EQ(unhandled.errors[0].name, "TypeError");
  EXPECT_EQ(unhandled.errors[0].message, "network");
}

// Errors before the network reject the promise in the calling task; a fetch
// that started settles only when CompleteFetch() says how it ended.
TEST_F(ScriptTest, FetchPromiseCallbacksRunInTheSameTask) {
  ScriptRunResult r = Run(R"JS(
    fetch('/ok').then((v) => console.log('resolved', v.status));
    fetch().catch((e) => console.log('rejected', describe(e)));
  )JS");
  ASSERT_EQ(r.console.size(), 1u);
  EXPECT_THAT(r.console[0], StartsWith("log: rejected TypeError: "));
  ScriptRunResult done = script_->CompleteFetch(
      1, Response(ResponseType::kBasic, "https://a.test/ok", false, 204,
                  "No Content", {}, std::string()));
  EXPECT_TRUE(done.errors.empty());
  EXPECT_EQ(done.console, std::vector<std::string>{"log: resolved 204"});
}

TEST_F(ScriptTest, RequestObject) {
  Run(R"JS(
    globalThis.c = new AbortController();
    globalThis.req = new Request('/r?q#f', {method: 'post', body: 'x',
        headers: [['X-B', '2']], referrerPolicy: 'no-referrer',
        mode: 'cors', credentials: 'include', keepalive: true,
        signal: c.signal});
  )JS");
  EXPECT_EQ(Eval("req.url"), "https://a.test/r?q#f");
  EXPECT_EQ(Eval("req.method"), "POST");
  EXPECT_EQ(Eval("req.headers.get('x-b')"), "2");
  EXPECT_EQ(Eval("req.headers === req.headers"), "true");
  EXPECT_EQ(Eval("req.headers.get('content-type')"),
            "text/plain;charset=UTF-8");
  EXPECT_EQ(Eval("req.referrer"), "about:client");
  EXPECT_EQ(Eval("req.referrerPolicy"), "no-referrer");
  EXPECT_EQ(Eval("req.mode"), "cors");
  EXPECT_EQ(Eval("req.credentials"), "include");
  EXPECT_EQ(Eval("req.keepalive"), "true");
  EXPECT_EQ(Eval("req.signal instanceof AbortSignal"), "true");
  EXPECT_EQ(Eval("req.signal === req.signal && req.signal !== c.signal"),
            "true");
  EXPECT_EQ(Eval("Object.prototype.toString.call(req)"), "[object Request]");
  EXPECT_EQ(Eval("Request('/x')"),
            "threw TypeError: Failed to construct 'Request': Please use the "
            "'new' operator, this DOM object constructor cannot be called as "
            "a function.");
  EXPECT_EQ(Eval("new Request()"),
            "threw TypeError: Failed to execute 'Request': 1 argument "
            "required, but only 0 present.");
  EXPECT_EQ(Eval("new Request('http://u:p@a.test/')").substr(0, 16),
            "threw TypeError:");
  EXPECT_EQ(Eval("Object.getOwnPropertyDescriptor(Request.prototype, 'url')"
                 ".get.call({})"),
            "threw TypeError: Illegal invocation");
  EXPECT_EQ(Eval("new (class extends Request {})('/s') instanceof Request"),
            "true");
  EXPECT_EQ(Eval("fetchLater(req, {method: 'PUT'}).activated"), "false");
  ASSERT_EQ(delegate_.fetch_later_calls.size(), 1u);
  EXPECT_EQ(delegate_.fetch_later_calls[0].method, "PUT");
  EXPECT_EQ(delegate_.fetch_later_calls[0].body, "x");
}

TEST_F(ScriptTest, Headers) {
  Run(R"JS(
    globalThis.h = new Headers({'B': '2', 'a': ' 1 '});
    h.append('a', '3');
    h.append('Set-Cookie', 'x=1');
    h.append('set-cookie', 'y=2');
  )JS");
  EXPECT_EQ(Eval("h.get('A')"), "1, 3");
  EXPECT_EQ(Eval("h.has('b')"), "true");
  EXPECT_EQ(Eval("h.get('nope')"), "null");
  EXPECT_EQ(Eval("JSON.stringify([...h])"),
            R"([["a","1, 3"],["b","2"],["set-cookie","x=1"],)"
            R"(["set-cookie","y=2"]])");
  EXPECT_EQ(Eval("h.getSetCookie().join('|')"), "x=1|y=2");
  EXPECT_EQ(Eval("[...h.keys()].join()"), "a,b,set-cookie,set-cookie");
  EXPECT_EQ(Eval("(() => { const o = []; h.forEach((v, k) => o.push(k + '=' "
                 "+ v)); return o.join(';'); })()"),
            "a=1, 3;b=2;set-cookie=x=1;set-cookie=y=2");
  EXPECT_EQ(Eval("(h.set('b', '9'), h.delete('a'), [...h.entries()].join("
                 "';'))"),
            "b,9;set-cookie,x=1;set-cookie,y=2");
  EXPECT_THAT(Eval("h.append('bad name', 'v')"),
              StartsWith("threw TypeError: "));
  EXPECT_THAT(Eval("h.append('a')"), StartsWith("threw TypeError: "));
  EXPECT_THAT(Eval("h.get('\\u0100')"), StartsWith("threw TypeError: "));
  EXPECT_EQ(Eval("new Headers(new Headers([['x', '1']])).get('x')"), "1");
  EXPECT_THAT(Eval("new Headers(1)"), StartsWith("threw TypeError: "));
  EXPECT_THAT(Eval("new Headers([['a', 'b', 'c']])"),
              StartsWith("threw TypeError: "));
  // Guard "request": forbidden request-headers are ignored.
  EXPECT_EQ(Eval("(() => { const r = new Request('/x', {headers: "
                 "{'Cookie': 'c', 'X-Ok': '1'}}); return [...r.headers]"
                 ".join(); })()"),
            "x-ok,1");
}

TEST_F(ScriptTest, AbortControllerAndSignal) {
  ScriptRunResult r = Run(R"JS(
    const c = new AbortController();
    const s = c.signal;
    console.log(s === c.signal, s.aborted, s.reason);
    s.addEventListener('abort', (e) => console.log('listener', e.type,
        e.target === s, e.isTrusted));
    s.onabort = () => console.log('onabort');
    c.abort('r1');
    c.abort('r2');
    console.log(s.aborted, s.reason);
    try { s.throwIfAborted(); } catch (e) { console.log('threw', e); }
    console.log(AbortSignal.abort().reason.name);
    const any = AbortSignal.any([new AbortController().signal, s]);
    console.log(any.aborted, any.reason);
    try { new AbortSignal(); } catch (e) { console.log(describe(e)); }
  )JS");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_THAT(
      r.console,
      ::testing::ElementsAre(
          "log: true false undefined", "log: listener abort true true",
          "log: onabort", "log: true r1", "log: threw r1", "log: AbortError",
          "log: true r1", "log: TypeError: Illegal constructor"));
}

TEST_F(ScriptTest, AbortSignalTimeoutUsesThePageClock) {
  Run(R"JS(
    globalThis.t = AbortSignal.timeout(100);
    t.onabort = () => console.log('timed out', t.reason.name);
  )JS");
  EXPECT_EQ(script_->NextTimerDue(), 100);
  EXPECT_TRUE(script_->AdvanceTime(99).console.empty());
  ScriptRunResult r = script_->AdvanceTime(100);
  EXPECT_THAT(r.console, ::testing::ElementsAre("log: timed out TimeoutError"));
  EXPECT_EQ(Eval("(() => { try { fetchLater('/b', {signal: t}); } catch (e) "
                 "{ return describe(e); } })()"),
            "TimeoutError: signal timed out");
  EXPECT_THAT(Eval("AbortSignal.timeout(-1)"), StartsWith("threw TypeError"));
}

TEST_F(ScriptTest, AddEventListenerSignalRemovesTheListener) {
  ScriptRunResult r = Run(R"JS(
    const c = new AbortController();
    document.addEventListener('x', () => console.log('x'), {signal: c.signal});
    document.dispatchEvent(new Event('x'));
    c.abort();
    document.dispatchEvent(new Event('x'));
  )JS");
  EXPECT_THAT(r.console, ::testing::ElementsAre("log: x"));
}

}  // namespace
}  // namespace fetch_later::renderer::testing

namespace fetch_later::renderer::testing {
namespace {

// Fetch: fetchLater() is [SecureContext], and so is RequestInit.retryOptions
// (fetch-retry explainer): in a document that is not a secure context neither
// exists (no property, no member read), while fetch() does. The browser says
// which documents are secure (DocumentCommitted.secure_context).
TEST(SecureContextTest, FetchLaterAndRetryOptionsExistOnlyInSecureContexts) {
  FakeScriptDelegate delegate("http://a.test/page");
  delegate.client_.secure_context = false;
  ScriptEngine engine;
  DocumentScript script(&engine, &delegate, {});
  ScriptRunResult r = script.RunClassicScript(R"JS(
    console.log(typeof fetchLater, 'fetchLater' in globalThis, isSecureContext);
    let read = false;
    fetch('https://b.test/x', {
      get retryOptions() { read = true; return {maxAttempts: 2}; }
    });
    console.log('retryOptions read:', read);
  )JS",
                                              "insecure.js");
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  EXPECT_EQ(r.console,
            (std::vector<std::string>{"log: undefined false false",
                                      "log: retryOptions read: false"}));
  ASSERT_EQ(delegate.fetch_calls.size(), 1u);
  EXPECT_FALSE(delegate.fetch_calls[0].retry.has_value());
}

TEST(SecureContextTest, SecureDocumentsHaveBoth) {
  FakeScriptDelegate delegate("https://a.test/page");
  ScriptEngine engine;
  DocumentScript script(&engine, &delegate, {});
  ScriptRunResult r = script.RunClassicScript(R"JS(
    console.log(typeof fetchLater, isSecureContext);
    fetch('https://b.test/x', {retryOptions: {maxAttempts: 2}});
  )JS",
                                              "secure.js");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.console, std::vector<std::string>{"log: function true"});
  ASSERT_EQ(delegate.fetch_calls.size(), 1u);
  ASSERT_TRUE(delegate.fetch_calls[0].retry.has_value());
  EXPECT_EQ(delegate.fetch_calls[0].retry->max_attempts, 2u);
}

}  // namespace
}  // namespace fetch_later::renderer::testing
