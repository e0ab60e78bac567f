// PageRunner: runs the page steps the browser hands a renderer (ipc
// RunPageStep) the way page script would: it builds the arguments a script
// passes to fetchLater() (a body of the given kind and size, headers, the
// signal of a named AbortController of the document) and calls the renderer's
// fetchLater() stub; an abort step calls abort() on the named controller.
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
  // `connection` must outlive the runner.
  explicit PageRunner(RendererConnection* connection)
      : connection_(connection) {}
  PageRunner(const PageRunner&) = delete;
  PageRunner& operator=(const PageRunner&) = delete;

  ipc::StepResult Run(const ipc::RunPageStep& step);

 private:
  ipc::StepResult RunFetchLater(const std::string& document_token,
                                const ipc::PageFetchLater& call);
  AbortController& Controller(const std::string& document_token,
                              const std::string& name);

  RendererConnection* const connection_;  // Not owned.
  // The documents' named AbortControllers: (document token, name) ->
  // controller.
  absl::flat_hash_map<std::pair<std::string, std::string>,
                      std::unique_ptr<AbortController>>
      controllers_;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_PAGE_RUNNER_H_
