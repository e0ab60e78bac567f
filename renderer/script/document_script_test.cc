// DocumentScript: tasks, errors, events, timers, console and the watchdog.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "renderer/script/script_test_util.h"

namespace fetch_later::renderer::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(ScriptTest, UncaughtErrorHasItsLocation) {
  ScriptRunResult r = script_->RunClassicScript("const a = 1;\n  null.x;\n",
                                                "https://a.test/page.js");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "TypeError");
  EXPECT_EQ(r.errors[0].source_url, "https://a.test/page.js");
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].column, 7);
  EXPECT_FALSE(r.errors[0].terminated);
  EXPECT_THAT(r.errors[0].ToString(),
              StartsWith("https://a.test/page.js:2:7: TypeError: "));
}

TEST_F(ScriptTest, ErrorsFromBindingsAreBlamedOnTheCaller) {
  ScriptRunResult r = Run("\n\n  fetchLater('http://x.test/');");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "TypeError");
  EXPECT_EQ(r.errors[0].source_url, "test.js");
  EXPECT_EQ(r.errors[0].line, 3);
  // A DOMException made by the prelude is blamed on the page too.
  r =
      Run("\nconst c = new AbortController(); c.abort(); "
          "c.signal.throwIfAborted();");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "AbortError");
  EXPECT_EQ(r.errors[0].source_url, "test.js");
  EXPECT_EQ(r.errors[0].line, 2);
}

TEST_F(ScriptTest, ThrownValuesAndSyntaxErrors) {
  ScriptRunResult r = Run("throw 42;");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "");
  EXPECT_EQ(r.errors[0].message, "42");
  EXPECT_EQ(r.errors[0].source_url, "test.js");
  r = Run("let = ;");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "SyntaxError");
  EXPECT_EQ(r.errors[0].line, 1);
  r = Run("throw new DOMException('m', 'NotAllowedError');");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "NotAllowedError");
  EXPECT_EQ(r.errors[0].message, "m");
}

TEST_F(ScriptTest, DOMExceptionInterface) {
  EXPECT_EQ(Eval("(() => { const e = new DOMException('msg', 'SyntaxError');"
                 " return [e.name, e.message, e.code, e instanceof Error, "
                 "Object.getPrototypeOf(DOMException.prototype) === "
                 "Error.prototype, String(e), DOMException.ABORT_ERR, "
                 "Object.keys(e).length].join(); })()"),
            "SyntaxError,msg,12,true,true,SyntaxError: msg,20,0");
  EXPECT_EQ(Eval("new DOMException().name + new DOMException().code"),
            "Error0");
  EXPECT_EQ(Eval("[new QuotaExceededError('q').quota, new "
                 "QuotaExceededError('q', {quota: 1, requested: 2})"
                 ".requested].join()"),
            ",2");
  EXPECT_THAT(Eval("new QuotaExceededError('q', {quota: -1})"),
              StartsWith("threw RangeError"));
  EXPECT_THAT(Eval("DOMException()"), StartsWith("threw TypeError"));
}

TEST_F(ScriptTest, ListenerExceptionsAreReportedAndDispatchContinues) {
  ScriptRunResult r = Run(R"JS(
    addEventListener('pagehide', () => { throw new Error('first'); });
    addEventListener('pagehide', (e) => console.log('second', e.persisted));
  )JS");
  EXPECT_TRUE(r.errors.empty());
  r = script_->FirePageTransitionEvent("pagehide", /*persisted=*/true);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "Error");
  EXPECT_EQ(r.errors[0].message, "first");
  EXPECT_EQ(r.errors[0].source_url, "test.js");
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_THAT(r.console, ElementsAre("log: second true"));
}

TEST_F(ScriptTest, PageTransitionEventsInOrder) {
  ScriptRunResult setup = Run(R"JS(
    onpagehide = (e) => console.log('onpagehide', e.persisted);
    window.addEventListener('pagehide', function (e) {
      console.log('pagehide', e.persisted, e instanceof PageTransitionEvent,
                  e.isTrusted, e.target === window, this === window,
                  e.eventPhase, e.bubbles);
    });
    addEventListener('pageshow', (e) => console.log('pageshow', e.persisted),
                     {once: true});
    document.addEventListener('pagehide', () => console.log('not at doc'));
  )JS");
  for (const ScriptError& e : setup.errors)
    ADD_FAILURE() << e.ToString();
  EXPECT_THAT(script_->FirePageTransitionEvent("pagehide", false).console,
              ElementsAre("log: onpagehide false",
                          "log: pagehide false true true true true 2 false"));
  EXPECT_THAT(script_->FirePageTransitionEvent("pageshow", true).console,
              ElementsAre("log: pageshow true"));
  EXPECT_TRUE(
      script_->FirePageTransitionEvent("pageshow", true).console.empty());
  EXPECT_EQ(Eval("new PageTransitionEvent('x', {persisted: 1}).persisted"),
            "true");
}

TEST_F(ScriptTest, VisibilityChangeFiresAtDocumentAndBubbles) {
  Run(R"JS(
    document.addEventListener('visibilitychange', (e) =>
        console.log('document', document.visibilityState, document.hidden,
                    e.target === document, e.currentTarget === document));
    addEventListener('visibilitychange', (e) =>
        console.log('window', e.target === document, e.currentTarget === window,
                    e.eventPhase));
    addEventListener('visibilitychange', () => console.log('capture'), true);
  )JS");
  EXPECT_EQ(Eval("document.visibilityState"), "visible");
  EXPECT_THAT(script_->UpdateVisibilityState(true).console,
              ElementsAre("log: capture", "log: document hidden true true true",
                          "log: window true true 3"));
  // Unchanged: no event.
  EXPECT_TRUE(script_->UpdateVisibilityState(true).console.empty());
  EXPECT_EQ(Eval("document.visibilityState"), "hidden");
}

// CSP "report a violation": the event is fired at the document, bubbles to
// the Window (capture listeners first), is composed, trusted and not
// cancelable, and carries the browser's attributes; the ones it did not give
// have the init dictionary's defaults.
TEST_F(ScriptTest, SecurityPolicyViolationFiresAtDocumentAndBubbles) {
  Run(R"JS(
    addEventListener('securitypolicyviolation', () => console.log('capture'),
                     true);
    document.addEventListener('securitypolicyviolation', (e) =>
        console.log('document', e.target === document, e.eventPhase,
                    e.isTrusted, e.bubbles, e.composed, e.cancelable,
                    e instanceof SecurityPolicyViolationEvent));
    addEventListener('securitypolicyviolation', (e) => console.log(
        'window', e.currentTarget === window, e.eventPhase,
        [e.documentURI, e.blockedURI, e.violatedDirective,
         e.effectiveDirective, e.originalPolicy, e.disposition,
         e.statusCode, e.sample, e.sourceFile, e.referrer, e.lineNumber,
         e.columnNumber].join('|')));
    onsecuritypolicyviolation = (e) => console.log('handler', e.type);
  )JS");
  SecurityPolicyViolationEventInit init;
  init.document_uri = "https://a.test/page";
  init.blocked_uri = "https://evil.test";
  init.violated_directive = "connect-src";
  init.effective_directive = "connect-src";
  init.original_policy = "connect-src 'self'";
  ScriptRunResult r = script_->FireSecurityPolicyViolation(init);
  EXPECT_TRUE(r.errors.empty());
  EXPECT_THAT(
      r.console,
      ElementsAre("log: capture",
                  "log: document true 2 true true true false true",
                  "log: window true 3 https://a.test/page|https://evil.test|"
                  "connect-src|connect-src|connect-src 'self'|enforce|0|||"
                  "|0|0",
                  "log: handler securitypolicyviolation"));
  // A listener that throws is reported; dispatch goes on.
  Run("document.addEventListener('securitypolicyviolation', () => "
      "{ throw new TypeError('in listener'); }, {once: true});");
  r = script_->FireSecurityPolicyViolation(init);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "TypeError");
  EXPECT_EQ(r.console.size(), 4u);
}

// CSP: SecurityPolicyViolationEventInit's required members and conversions.
TEST_F(ScriptTest, SecurityPolicyViolationEventConstructor) {
  const std::string required =
      "{documentURI: 'https://a.test/', violatedDirective: 'connect-src', "
      "effectiveDirective: 'connect-src', originalPolicy: 'p', "
      "disposition: 'report', statusCode: 65537}";
  EXPECT_EQ(Eval("(e => [e.type, e.disposition, e.statusCode, e.bubbles, "
                 "e.isTrusted, e.blockedURI].join())(new "
                 "SecurityPolicyViolationEvent('x', " +
                 required + "))"),
            "x,report,1,false,false,");
  EXPECT_THAT(Eval("new SecurityPolicyViolationEvent('x')"),
              HasSubstr("threw TypeError: "));
  EXPECT_THAT(Eval("new SecurityPolicyViolationEvent('x', {documentURI: ''})"),
              HasSubstr("Required member is undefined"));
  EXPECT_THAT(Eval("new SecurityPolicyViolationEvent('x', Object.assign(" +
                   required + ", {disposition: 'block'}))"),
              HasSubstr("SecurityPolicyViolationEventDisposition"));
  EXPECT_EQ(
      Eval("new SecurityPolicyViolationEvent('x', Object.assign(" + required +
           ", {lineNumber: -1, blockedURI: '\\uD800'}))"
           ".lineNumber"),
      "4294967295");
  EXPECT_EQ(
      Eval("new SecurityPolicyViolationEvent('x', Object.assign(" + required +
           ", {blockedURI: 'a\\uD800'})).blockedURI === 'a\\uFFFD'"),
      "true");
}

TEST_F(ScriptTest, HiddenAtCreation) {
  DocumentScript hidden(&engine_, &delegate_, {.hidden = true, .now_ms = 0});
  ScriptRunResult r = hidden.RunClassicScript(
      "console.log(document.visibilityState, document.hidden)", "h.js");
  EXPECT_THAT(r.console, ElementsAre("log: hidden true"));
}

TEST_F(ScriptTest, EventTargetSemantics) {
  ScriptRunResult r = Run(R"JS(
    const t = new EventTarget();
    const listener = {handleEvent(e) { console.log('object', this === listener); }};
    t.addEventListener('x', listener);
    t.addEventListener('x', listener);  // Duplicate: ignored.
    const f = (e) => { console.log('f', e.cancelable); e.preventDefault(); };
    t.addEventListener('x', f);
    t.addEventListener('x', () => console.log('removed'));
    const ev = new Event('x', {cancelable: true});
    console.log(t.dispatchEvent(ev), ev.defaultPrevented);
    t.removeEventListener('x', f);
    t.addEventListener('y', (e) => { e.stopImmediatePropagation(); console.log('y1'); });
    t.addEventListener('y', () => console.log('y2'));
    t.dispatchEvent(new Event('y'));
    try { t.dispatchEvent({}); } catch (e) { console.log(describe(e)); }
    console.log(new Event('z').isTrusted, typeof document.dispatchEvent);
  )JS");
  EXPECT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  EXPECT_THAT(
      r.console,
      ElementsAre("log: object true", "log: f true", "log: removed",
                  "log: false true", "log: y1",
                  "log: TypeError: Failed to execute 'dispatchEvent' on "
                  "'EventTarget': parameter 1 is not of type 'Event'.",
                  "log: false function"));
}

TEST_F(ScriptTest, WindowAndDocument) {
  EXPECT_EQ(Eval("window === self && self === globalThis"), "true");
  EXPECT_EQ(Eval("window instanceof Window && window instanceof EventTarget"),
            "true");
  EXPECT_EQ(Eval("document instanceof Document"), "true");
  EXPECT_EQ(Eval("document.URL"), "https://a.test/page");
  EXPECT_EQ(Eval("location.href + ' ' + location.origin + ' ' + origin"),
            "https://a.test/page https://a.test https://a.test");
  EXPECT_EQ(Eval("isSecureContext"), "true");
  EXPECT_EQ(Eval("document.featurePolicy.allowsFeature('deferred-fetch')"),
            "true");
  EXPECT_EQ(
      Eval("document.featurePolicy.allowsFeature('deferred-fetch-minimal')"),
      "false");
  EXPECT_EQ(Eval("document.featurePolicy.allowedFeatures().join()"),
            "deferred-fetch");
}

TEST_F(ScriptTest, ConsoleFormatting) {
  ScriptRunResult r = Run(R"JS(
    console.log('a', 1, true, null, undefined, [1, 'x'], {k: 'v'});
    console.info('%s is %d years', 'Bob', 42.5, 'extra');
    console.warn(new TypeError('bad'));
    console.error(Symbol('s'));
    console.debug();
  )JS");
  EXPECT_THAT(r.console,
              ElementsAre("log: a 1 true null undefined [1, \"x\"] {k: \"v\"}",
                          "info: Bob is 42 years extra", "warn: TypeError: bad",
                          "error: Symbol(s)", "debug: "));
}

TEST_F(ScriptTest, TimersRunInOrderOnThePageClock) {
  Run(R"JS(
    setTimeout(() => console.log('b 20'), 20);
    setTimeout(() => console.log('a 10'), 10);
    setTimeout((x, y) => {
      console.log('c 10 with', x, y);
      setTimeout(() => console.log('nested 15'), 5);
      setTimeout(() => console.log('nested 40'), 30);
    }, 10, 'x', 'y');
    const id = setTimeout(() => console.log('cleared'), 5);
    clearTimeout(id);
    setTimeout('console.log("string handler")', 1);
  )JS");
  EXPECT_EQ(script_->NextTimerDue(), 1);
  ScriptRunResult r = script_->AdvanceTime(25);
  EXPECT_THAT(r.console,
              ElementsAre("log: string handler", "log: a 10",
                          "log: c 10 with x y", "log: nested 15", "log: b 20"));
  EXPECT_EQ(r.next_timer_ms, 40);
  EXPECT_THAT(script_->AdvanceTime(40).console, ElementsAre("log: nested 40"));
  EXPECT_EQ(script_->NextTimerDue(), std::nullopt);
}

TEST_F(ScriptTest, IntervalsAndTimerErrors) {
  Run(R"JS(
    let n = 0;
    const id = setInterval(() => {
      console.log('tick', ++n);
      if (n === 3) clearInterval(id);
    }, 10);
    setTimeout(() => { throw new RangeError('in timer'); }, 15);
  )JS");
  ScriptRunResult r = script_->AdvanceTime(100);
  EXPECT_THAT(r.console,
              ElementsAre("log: tick 1", "log: tick 2", "log: tick 3"));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "RangeError");
  EXPECT_EQ(r.errors[0].line, 7);
  EXPECT_EQ(script_->NextTimerDue(), std::nullopt);
}

TEST_F(ScriptTest, TimersStartFromTheCurrentClock) {
  DocumentScript late(&engine_, &delegate_, {.hidden = false, .now_ms = 1000});
  late.RunClassicScript("setTimeout(() => console.log('t'), 50)", "l.js");
  EXPECT_EQ(late.NextTimerDue(), 1050);
  EXPECT_TRUE(late.AdvanceTime(1049).console.empty());
  EXPECT_THAT(late.AdvanceTime(2000).console, ElementsAre("log: t"));
}

TEST_F(ScriptTest, MicrotasksRunAtTheCheckpoint) {
  ScriptRunResult r = Run(R"JS(
    queueMicrotask(() => console.log('microtask'));
    Promise.resolve().then(() => console.log('then'));
    console.log('sync');
  )JS");
  EXPECT_THAT(r.console,
              ElementsAre("log: sync", "log: microtask", "log: then"));
}

TEST_F(ScriptTest, UnhandledRejectionIsReportedAfterTheScriptError) {
  ScriptRunResult r = Run(R"JS(
    Promise.reject(new TypeError('nobody listens'));
    Promise.reject(1).catch(() => {});
    throw new Error('own');
  )JS");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_EQ(r.errors[0].message, "own");
  EXPECT_EQ(r.errors[1].name, "TypeError");
  EXPECT_EQ(r.errors[1].message, "nobody listens");
  EXPECT_EQ(r.errors[1].line, 2);
  r = Run("(async () => { await null; throw new RangeError('async'); })();");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].name, "RangeError");
}

TEST(ScriptEngineTest, WatchdogStopsOneDocumentOthersKeepRunning) {
  FakeScriptDelegate delegate;
  ScriptEngine engine({.time_limit = absl::Milliseconds(100)});
  DocumentScript looping(&engine, &delegate, {});
  DocumentScript other(&engine, &delegate, {});
  ScriptRunResult r = looping.RunClassicScript("while (true) {}", "loop.js");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].terminated);
  EXPECT_EQ(r.errors[0].source_url, "loop.js");
  EXPECT_THAT(r.errors[0].message, HasSubstr("time limit"));
  // Not catchable.
  r = looping.RunClassicScript(
      "try { while (true) {} } catch (e) { console.log('caught'); }", "l2.js");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].terminated);
  EXPECT_TRUE(r.console.empty());
  // Both documents still work.
  EXPECT_THAT(other.RunClassicScript("console.log('other ok')", "o.js").console,
              ElementsAre("log: other ok"));
  r = looping.RunClassicScript("console.log('still ok', typeof fetchLater)",
                               "l3.js");
  EXPECT_TRUE(r.errors.empty());
  EXPECT_THAT(r.console, ElementsAre("log: still ok function"));
  // A looping timer and a looping listener are terminated as well.
  looping.RunClassicScript(
      "setTimeout(() => { for (;;) {} }, 1); setTimeout(() => "
      "console.log('next timer'), 2);"
      "addEventListener('pagehide', () => { for (;;) {} });",
      "l4.js");
  r = looping.AdvanceTime(5);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].terminated);
  EXPECT_THAT(r.console, ElementsAre("log: next timer"));
  r = looping.FirePageTransitionEvent("pagehide", false);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].terminated);
  // A looping microtask.
  r = looping.RunClassicScript("Promise.resolve().then(() => { for (;;) {} });",
                               "l5.js");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].terminated);
}

TEST(ScriptEngineTest, DocumentsAreIsolated) {
  FakeScriptDelegate delegate;
  ScriptEngine engine;
  DocumentScript a(&engine, &delegate, {});
  DocumentScript b(&engine, &delegate, {});
  a.RunClassicScript("globalThis.x = 1; Headers.prototype.extra = 1;", "a.js");
  EXPECT_THAT(b.RunClassicScript("console.log(typeof x, 'extra' in "
                                 "Headers.prototype)",
                                 "b.js")
                  .console,
              ElementsAre("log: undefined false"));
}

// Twenty realms, one after the other, on one engine: each runs its script to
// the end (each calls fetchLater() once and logs), and a realm destroyed with
// a timer, a pending abort listener and a FetchLaterResult leaves nothing that
// breaks the next.
TEST(ScriptEngineTest, ManyDocumentsComeAndGo) {
  FakeScriptDelegate delegate;
  ScriptEngine engine;
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    DocumentScript doc(&engine, &delegate, {});
    ScriptRunResult run = doc.RunClassicScript(
        "const c = new AbortController(); globalThis.r = fetchLater('/b', "
        "{signal: c.signal}); setTimeout(() => {}, 10); c.signal.onabort = "
        "() => {}; new Blob(['x']); new Request('/y').signal; "
        "console.log(r.activated, c.signal.aborted);",
        "d.js");
    EXPECT_TRUE(run.errors.empty()) << run.errors[0].ToString();
    EXPECT_THAT(run.console, ElementsAre("log: false false"));
    EXPECT_EQ(delegate.fetch_later_calls.size(), static_cast<size_t>(i + 1));
  }
}

}  // namespace
}  // namespace fetch_later::renderer::testing
