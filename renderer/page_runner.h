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

#include "absl/container/flat_hash_map.h"
#include "ipc/deferred_fetch.pb.h"
#include "renderer/request.h"
#include "renderer/script/document_script.h"

namespace fetch_later::renderer {

class RendererConnection;

// The BodyInit a page script would pass for `kind` with `size` payload bytes (a
// string of 'x', a byte buffer, a Blob "application/octet-stream", a File
// "data.bin", a FormData with one string entry, URLSearchParams with one pair,
// or a ReadableStream).
BodyInit MakeBody(ipc::BodyKind kind, size_t size);

// What the binding would throw, as the step's outcome.
ipc::JsOutcome OutcomeFor(const JsError& error);

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
  // The document was destroyed: drops its realm, timers and controllers.
  void ForgetDocument(const std::string& document_token);

 private:
  class DocumentDelegate;
  struct ScriptedDocument {
    std::unique_ptr<DocumentDelegate> delegate;
    std::unique_ptr<DocumentScript> script;
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
