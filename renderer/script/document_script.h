// DocumentScript: a document's JavaScript realm in the renderer (Blink's
// LocalDOMWindow + its V8 context, here a JavaScriptCore global context). It
// runs classic scripts, owns the document's timers and event listeners, and
// exposes the Web IDL interfaces a fetchLater() page uses, bound to the
// renderer's Fetch model (renderer/request.h, fetch_later.h, ...) so that
// argument validation is the one implementation of the spec.
//
// Threading: one ScriptEngine per renderer process (one JSC context group, like
// one V8 isolate per renderer main thread); every DocumentScript of that engine
// is created, used and destroyed on the renderer's page task thread only.
//
//   ScriptEngine engine({.time_limit = absl::Seconds(2)});
//   DocumentScript script(&engine, &delegate, {.hidden = false, .now_ms = 0});
//   ScriptRunResult r = script.RunClassicScript("fetchLater('/b')", "page.js");
//   r = script.FirePageTransitionEvent("pagehide", /*persisted=*/false);
#ifndef RENDERER_SCRIPT_DOCUMENT_SCRIPT_H_
#define RENDERER_SCRIPT_DOCUMENT_SCRIPT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/request.h"
#include "renderer/response.h"

namespace fetch_later::renderer {

// What a document's script reaches outside the renderer: the renderer's
// fetchLater() stub (steps 1-9 here, 10-14 in the browser), its fetch() stub
// and the document's settings object. Implemented by the renderer's
// connection (and by tests).
class ScriptDelegate {
 public:
  virtual ~ScriptDelegate() = default;

  // fetchLater(input, init) in this document. `input` is never nullopt when
  // the binding calls it (a missing argument is the binding's TypeError).
  virtual JsResult<FetchLaterResult> FetchLater(
      const RequestInfo& input,
      const DeferredRequestInit& init,
      const std::optional<RetryOptionsInit>& retry) = 0;

  // fetch(input, init), after the renderer's own steps (ValidateFetch()):
  // starts `request` in the browser and returns the fetch's id, whose end
  // comes later through DocumentScript::CompleteFetch(); or the error the
  // promise is rejected with at once.
  virtual JsResult<uint64_t> Fetch(
      const Request& request,
      const std::optional<RetryOptionsInit>& retry) = 0;

  // Fetch "fetch(input, init)" step 11: the signal of fetch `fetch_id` was
  // aborted (its promise is rejected already): terminate the fetch.
  virtual void AbortFetch(uint64_t fetch_id) = 0;

  // The document's current settings object (URL, origin, fully active).
  virtual ClientContext Client() = 0;

  // The Permissions Policy features allowed in this document, by name
  // ("deferred-fetch", "deferred-fetch-minimal"), as the browser computed them.
  virtual std::vector<std::string> AllowedFeatures() = 0;
};

// An uncaught exception (or a watchdog termination), as reported to the page's
// driver: HTML "report an exception".
struct ScriptError {
  // The error's `name` ("TypeError", "QuotaExceededError", "Error", ...), or
  // "" when a non-Error value was thrown.
  std::string name;
  // The error's `message`, or String(value) for a non-Error value.
  std::string message;
  // Where it was thrown: the script's URL/name, 1-based line and column (0 if
  // unknown).
  std::string source_url;
  int line = 0;
  int column = 0;
  // QuotaExceededError's `quota` and `requested`.
  std::optional<uint64_t> quota;
  std::optional<uint64_t> requested;
  // The watchdog stopped the script (name/message then say so).
  bool terminated = false;

  // "page.js:12:5: TypeError: message".
  std::string ToString() const;
};

// What one task (a script, an event dispatch, due timers) did.
struct ScriptRunResult {
  // Uncaught exceptions, in the order they were reported: the script's own,
  // then those of listeners, timer callbacks and unhandled promise rejections
  // found at the task's microtask checkpoint.
  std::vector<ScriptError> errors;
  // console.log/info/warn/error/debug lines, "<level>: <text>", in order.
  std::vector<std::string> console;
  // The earliest pending timer's due time (page time, ms), if any.
  std::optional<double> next_timer_ms;
};

// CSP: the attributes of the SecurityPolicyViolationEvent that "report a
// violation" fires, as the browser reported the violation (IPC
// SecurityPolicyViolation). Defaults are the event init dictionary's.
struct SecurityPolicyViolationEventInit {
  std::string document_uri;
  std::string referrer;
  std::string blocked_uri;
  std::string violated_directive;
  std::string effective_directive;
  std::string original_policy;
  std::string source_file;
  std::string sample;
  std::string disposition = "enforce";  // "enforce" or "report"
  uint16_t status_code = 0;             // 0: unknown
  uint32_t line_number = 0;
  uint32_t column_number = 0;
};

struct ScriptEngineOptions {
  // The watchdog: a script task running longer than this is terminated (the
  // document and the engine stay usable).
  absl::Duration time_limit = absl::Seconds(2);
};

// One per renderer process: a JSC context group (one VM, one heap).
class ScriptEngine {
 public:
  explicit ScriptEngine(ScriptEngineOptions options = {});
  ~ScriptEngine();

  // Creates a bare global object in this engine, runs an empty script in it
  // and releases it: JavaScriptCore's first one opens what it reads lazily
  // (/dev/urandom, /proc/self/statm, the main thread's /proc/self/maps),
  // which a renderer must do before it seals its sandbox
  // (renderer/renderer_sandbox.h). Costs under a millisecond.
  void WarmUp();
  ScriptEngine(const ScriptEngine&) = delete;
  ScriptEngine& operator=(const ScriptEngine&) = delete;

  // Implementation details for DocumentScript.
  struct Impl;
  Impl* impl() { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

struct DocumentScriptOptions {
  // document.visibilityState is "hidden" at creation.
  bool hidden = false;
  // The page clock (the browser's clock, ms) at creation: setTimeout delays
  // count from the time the driver last reported.
  double now_ms = 0;
};

class DocumentScript {
 public:
  // `engine` and `delegate` must outlive this object.
  DocumentScript(ScriptEngine* engine,
                 ScriptDelegate* delegate,
                 DocumentScriptOptions options);
  ~DocumentScript();
  DocumentScript(const DocumentScript&) = delete;
  DocumentScript& operator=(const DocumentScript&) = delete;

  // HTML: "run a classic script" with `source_url` as its URL (for errors),
  // then "perform a microtask checkpoint".
  ScriptRunResult RunClassicScript(absl::string_view source,
                                   absl::string_view source_url);

  // HTML: "fire a page transition event" named `type` ("pagehide" or
  // "pageshow") at the Window with `persisted`.
  ScriptRunResult FirePageTransitionEvent(absl::string_view type,
                                          bool persisted);

  // HTML: "update the visibility state" to "hidden" or "visible": sets
  // document.visibilityState and, if it changed, fires visibilitychange at
  // the document (bubbles to the Window).
  ScriptRunResult UpdateVisibilityState(bool hidden);

  // CSP: "report a violation" with `init`: fires a trusted
  // SecurityPolicyViolationEvent named securitypolicyviolation at the
  // document (bubbles, so Window listeners see it; composed).
  ScriptRunResult FireSecurityPolicyViolation(
      const SecurityPolicyViolationEventInit& init);

  // Fetch "fetch(input, init)" step 12, processResponse, for fetch `fetch_id`
  // (the delegate's id): resolves its promise with a new Response object for
  // `result`, or rejects it with the error (a TypeError for a network error),
  // as a task with its microtask checkpoint. Nothing for a fetch that is
  // settled already (its signal aborted) or unknown.
  ScriptRunResult CompleteFetch(uint64_t fetch_id, JsResult<Response> result);

  // Moves the page clock to `now_ms` (never backwards) and runs, in due order,
  // every timer due by then (each a task with its microtask checkpoint; a
  // timer scheduled by a callback runs too if it is due by `now_ms`).
  ScriptRunResult AdvanceTime(double now_ms);

  // The earliest pending timer's due time.
  std::optional<double> NextTimerDue() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_SCRIPT_DOCUMENT_SCRIPT_H_
