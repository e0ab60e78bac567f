// PageRunner: runs the page steps the browser hands a renderer (ipc
// RunPageStep). A fetchLater step builds the arguments a script would pass (a
// body of the given kind and size, headers, the signal of a named
// AbortController of the document) and calls the renderer's fetchLater() stub;
// an abort step calls abort() on the named controller. Script steps run real
// JavaScript in the document's realm (renderer/script), and lifecycle and
// timer steps fire its events and timers.
//
// Owned by RendererConnection and used only on its page task thread (like
// Blink's main thread), so it needs no lock.
#ifndef RENDERER_PAGE_RUNNER_H_
#define RENDERER_PAGE_RUNNER_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ipc/page_step.pb.h"
#include "ipc/renderer_host.pb.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/js_error.h"
#include "renderer/response.h"
#include "renderer/script/document_script.h"

namespace fetch_later::renderer {

class RendererConnection;

// The BodyInit a page script would pass for `kind` with `size` payload bytes,
// exactly as ipc/page_step.proto's PageBody says: the payload is `size` 'x's,
// as a string, an ArrayBuffer, `new Blob([payload])`, `new File([payload],
// "f")` (both with type "", so no Content-Type), a FormData with the one
// string entry `k`, `new URLSearchParams({k: payload})`, or a ReadableStream.
BodyInit MakeBody(ipc::PageBody::Type kind, size_t size);

// What the binding would throw, as the step's outcome.
ipc::JsOutcome OutcomeFor(const JsError& error);

// The Response a fetch() resolves with (the browser's filtered response), or
// the TypeError of its network error.
JsResult<Response> ResponseFromIpc(const ipc::FetchCompleted& completed);

class PageRunner {
 public:
  // `connection` must outlive the runner. Realms run in `engine` when given,
  // else in one created with `script_options` on the first script.
  explicit PageRunner(RendererConnection* connection,
                      ScriptEngineOptions script_options = {},
                      std::unique_ptr<ScriptEngine> engine = nullptr);
  ~PageRunner();
  PageRunner(const PageRunner&) = delete;
  PageRunner& operator=(const PageRunner&) = delete;

  ipc::StepResult Run(const ipc::RunPageStep& step);
  // CSP "report a violation" in `violation`'s document: fires
  // securitypolicyviolation at it when it has a realm (a document that ran no
  // script has no listener to tell). What the listeners printed or threw is
  // reported with the document's next script, lifecycle or timer step, as
  // timers that came due between steps are.
  void ReportSecurityPolicyViolation(
      const ipc::SecurityPolicyViolation& violation);
  // A fetch() of `completed`'s document ended: settles its promise (a task;
  // what it printed or threw is reported with the document's next step, as
  // for a violation).
  void CompleteFetch(const ipc::FetchCompleted& completed);
  // The document was destroyed: drops its realm, timers and controllers.
  void ForgetDocument(const std::string& document_token);

 private:
  class DocumentDelegate;
  struct ScriptedDocument {
    std::unique_ptr<DocumentDelegate> delegate;
    std::unique_ptr<DocumentScript> script;
    // What script did between page steps (violation listeners), for the
    // document's next script step.
    std::vector<ScriptRunResult> between_steps;
    // The browser's console warnings for the document (DocumentCommitted),
    // printed as console.warn lines before its first script's output.
    std::vector<std::string> pending_console_warnings;
  };

  // The document's realm, created on its first script; null (with the reason
  // in `error`) for a document this renderer does not host.
  DocumentScript* Script(const std::string& document_token,
                         double page_time_ms,
                         bool create,
                         std::string* error);
  ipc::StepResult RunScriptStep(const ipc::RunPageStep& step);
  ipc::StepResult RunFetchLater(const std::string& document_token,
                                const ipc::PageFetchLater& call);
  AbortController& Controller(const std::string& document_token,
                              const std::string& name);

  RendererConnection* const connection_;  // Not owned.
  const ScriptEngineOptions script_options_;
  // Given, or created with the first script (one JS heap per renderer
  // process).
  std::unique_ptr<ScriptEngine> engine_;
  absl::flat_hash_map<std::string, ScriptedDocument> scripts_;
  // The documents' named AbortControllers: (document token, name) ->
  // controller.
  absl::flat_hash_map<std::pair<std::string, std::string>,
                      std::unique_ptr<AbortController>>
      controllers_;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_PAGE_RUNNER_H_
