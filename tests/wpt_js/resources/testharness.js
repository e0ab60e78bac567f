// A minimal test harness for the fetchLater() pages run as scenarios
// (tests/wpt_js/*.json, loaded with a `loadScript` step). Our own code, shaped
// like the parts of WPT's testharness.js the ported tests use:
//
//   test(() => { assert_equals(1 + 1, 2); }, "adds");
//   promise_test(async () => { ... }, "waits");          // run one after another
//   const t = async_test("a timer fires");                // finished by t.done()
//   setTimeout(t.step_func_done(() => assert_true(true)), 10);
//   done();  // throws if any test failed or has not finished
//
// Every result is logged once, as console.log("PASS name") or
// console.log("FAIL name: message"). A failing assertion fails only its test;
// `done()` is what turns failures into an uncaught exception, so a scenario's
// last step `{"runScript": {"frame": "top", "source": "done()"}}` fails the
// scenario when anything went wrong. done() may be called more than once; each
// call checks every test registered so far in this document.
//
// One copy per document: each document is its own realm, so load this file
// into every frame that runs tests.
"use strict";

(function (global) {
  const tests = [];  // {name, status: "PASS"|"FAIL"|"RUNNING", message}
  let promiseChain = Promise.resolve();

  class AssertionError extends Error {
    constructor(message) {
      super(message);
      this.name = "AssertionError";
    }
  }

  function describe(value) {
    if (typeof value === "string") {
      return JSON.stringify(value.length > 80 ? value.slice(0, 77) + "..." : value);
    }
    if (typeof value === "number" && Object.is(value, -0)) return "-0";
    if (typeof value === "function") return "function " + (value.name || "(anonymous)");
    if (value === null || typeof value !== "object") return String(value);
    if (Array.isArray(value)) return "[" + value.map(describe).join(", ") + "]";
    try {
      return Object.prototype.toString.call(value);
    } catch (e) {
      return "object";
    }
  }

  function describeError(e) {
    // Duck-typed, so that errors from another realm read well too.
    if (e !== null && typeof e === "object" && typeof e.name === "string" &&
        typeof e.message === "string") {
      return e.name + ": " + e.message;
    }
    return describe(e);
  }

  function fail(message, description) {
    throw new AssertionError(description ? description + ": " + message : message);
  }

  function register(name) {
    if (typeof name !== "string" || name === "") {
      throw new Error("a test needs a non-empty name");
    }
    if (tests.some((t) => t.name === name)) {
      throw new Error("two tests named " + JSON.stringify(name));
    }
    const record = {name, status: "RUNNING", message: ""};
    tests.push(record);
    return record;
  }

  function finish(record, error) {
    if (record.status !== "RUNNING") return;  // the first result counts
    if (error === undefined) {
      record.status = "PASS";
      console.log("PASS " + record.name);
    } else {
      record.status = "FAIL";
      record.message = describeError(error);
      console.log("FAIL " + record.name + ": " + record.message);
    }
  }

  // --- Tests ---------------------------------------------------------------

  // Runs `fn` now; it passes unless it throws.
  function test(fn, name) {
    const record = register(name);
    try {
      fn();
      finish(record);
    } catch (e) {
      finish(record, e);
    }
  }

  // `fn` returns a promise (an async function); the test passes when it
  // resolves. Promise tests run one after another in the order they were
  // declared, each starting when the previous one settled.
  function promise_test(fn, name) {
    const record = register(name);
    promiseChain = promiseChain.then(async () => {
      try {
        await fn();
        finish(record);
      } catch (e) {
        finish(record, e);
      }
    });
  }

  // A test finished by an explicit t.done() (for callbacks: timers, events).
  // Exceptions inside t.step()/t.step_func() callbacks fail the test instead
  // of escaping.
  function async_test(name, fn) {
    if (typeof name === "function") [name, fn] = [fn, name];
    const record = register(name);
    const t = {
      name,
      step(f, ...args) {
        if (record.status !== "RUNNING") return undefined;
        try {
          return f.apply(this, args);
        } catch (e) {
          finish(record, e);
          return undefined;
        }
      },
      step_func(f) {
        return (...args) => t.step(f, ...args);
      },
      step_func_done(f) {
        return (...args) => {
          t.step(f || (() => {}), ...args);
          t.done();
        };
      },
      unreached_func(description) {
        return t.step_func(() => assert_unreached(description));
      },
      done() {
        finish(record);
      },
    };
    if (fn) t.step(fn, t);
    return t;
  }

  // --- Assertions ----------------------------------------------------------

  function assert_true(actual, description) {
    if (actual !== true) fail("expected true, got " + describe(actual), description);
  }

  function assert_false(actual, description) {
    if (actual !== false) fail("expected false, got " + describe(actual), description);
  }

  function assert_equals(actual, expected, description) {
    if (!Object.is(actual, expected)) {
      fail("expected " + describe(expected) + ", got " + describe(actual), description);
    }
  }

  function assert_not_equals(actual, expected, description) {
    if (Object.is(actual, expected)) {
      fail("got " + describe(actual) + ", which it must not be", description);
    }
  }

  function assert_array_equals(actual, expected, description) {
    if (actual === null || typeof actual !== "object" || typeof actual.length !== "number") {
      fail("expected an array, got " + describe(actual), description);
    }
    if (actual.length !== expected.length) {
      fail("expected length " + expected.length + ", got " + actual.length +
           " (" + describe(Array.from(actual)) + ")", description);
    }
    for (let i = 0; i < expected.length; ++i) {
      if (!Object.is(actual[i], expected[i])) {
        fail("at index " + i + " expected " + describe(expected[i]) + ", got " +
             describe(actual[i]), description);
      }
    }
  }

  function assert_unreached(description) {
    fail("reached unreachable code", description);
  }

  // Calls fn and returns what it threw; fails if it returned normally.
  function thrownBy(fn, expectation, description) {
    try {
      fn();
    } catch (e) {
      return e;
    }
    fail("expected " + expectation + " to be thrown, but nothing was", description);
  }

  // fn must throw an instance of the ECMAScript error constructor `Ctor`
  // (TypeError, RangeError, ...), not a subclass and not a DOMException.
  function assert_throws_js(Ctor, fn, description) {
    const e = thrownBy(fn, Ctor.name, description);
    if (!(e instanceof Ctor) || e.name !== Ctor.name ||
        Object.getPrototypeOf(e) !== Ctor.prototype) {
      fail("expected " + Ctor.name + ", got " + describeError(e), description);
    }
    return e;
  }

  // fn must throw a DOMException whose name is `name` ("AbortError", ...).
  function assert_throws_dom(name, fn, description) {
    const e = thrownBy(fn, name, description);
    if (!(e instanceof DOMException) || e.name !== name) {
      fail("expected DOMException " + name + ", got " + describeError(e), description);
    }
    return e;
  }

  // fn must throw a QuotaExceededError (a DOMException subclass with .quota and
  // .requested); `expected.quota` / `expected.requested` are checked when
  // given (not undefined; null means "must be null").
  function assert_throws_quota_exceeded(fn, expected, description) {
    expected = expected || {};
    const e = thrownBy(fn, "QuotaExceededError", description);
    if (typeof QuotaExceededError !== "function" || !(e instanceof QuotaExceededError)) {
      fail("expected a QuotaExceededError, got " + describeError(e), description);
    }
    if (!(e instanceof DOMException)) {
      fail("a QuotaExceededError must be a DOMException", description);
    }
    if (e.name !== "QuotaExceededError") {
      fail("expected name \"QuotaExceededError\", got " + describe(e.name), description);
    }
    for (const field of ["quota", "requested"]) {
      if (expected[field] !== undefined && !Object.is(e[field], expected[field])) {
        fail("expected ." + field + " " + describe(expected[field]) + ", got " +
             describe(e[field]) + " (" + e.message + ")", description);
      }
    }
    return e;
  }

  // --- Results -------------------------------------------------------------

  // Throws an Error listing every failed or unfinished test; otherwise logs a
  // summary line.
  function done() {
    const bad = tests.filter((t) => t.status !== "PASS");
    if (bad.length > 0) {
      const lines = bad.map((t) => t.status === "RUNNING"
          ? "NOT FINISHED " + t.name : "FAIL " + t.name + ": " + t.message);
      throw new Error(bad.length + " of " + tests.length + " tests did not pass:\n" +
                      lines.join("\n"));
    }
    console.log("all " + tests.length + " tests passed");
  }

  Object.assign(global, {
    test, promise_test, async_test, done,
    assert_true, assert_false, assert_equals, assert_not_equals, assert_array_equals,
    assert_unreached, assert_throws_js, assert_throws_dom, assert_throws_quota_exceeded,
    AssertionError,
  });
})(globalThis);
