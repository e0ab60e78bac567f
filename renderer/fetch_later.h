// fetchLater() as the renderer runs it: DeferredRequestInit, method steps
// 1-9 (the argument checks that happen in the calling document) and the
// FetchLaterResult the browser's steps hand back. Steps 10-16 (quota,
// queueing, the abort step) belong to the browser, reached through the IPC
// layer (renderer/renderer_connection.h).
//
//   DeferredRequestInit init;
//   init.method = "post";
//   init.body = BodyInit::String("hello");
//   init.activate_after = 5000;
//   JsResult<ValidatedFetchLater> result =
//       ValidateFetchLater(RequestInfo("/beacon"), init, client);
//   if (!result.ok()) return result.error();   // e.g. TypeError, RangeError
//   TotalRequestLength(result->request);       // what the browser will count
//
// Nothing here is thread-safe; these objects live on the renderer main thread.
#ifndef RENDERER_FETCH_LATER_H_
#define RENDERER_FETCH_LATER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <utility>

#include "renderer/js_error.h"
#include "renderer/request.h"

namespace fetch_later::renderer {

// Fetch: DeferredRequestInit.
struct DeferredRequestInit : RequestInit {
  // DOMHighResTimeStamp, ms.
  std::optional<double> activate_after;
};

// Fetch: FetchLaterResult. `activated` reads a flag that the IPC layer sets
// (Fetch "fetchLater()" step 14: the deferred record's notify-invoked step);
// script cannot write it.
class FetchLaterResult {
 public:
  // `activated` must not be null.
  explicit FetchLaterResult(std::shared_ptr<const std::atomic<bool>> activated)
      : activated_(std::move(activated)) {}

  // FetchLaterResult `activated` getter.
  bool activated() const { return activated_->load(); }

 private:
  std::shared_ptr<const std::atomic<bool>> activated_;
};

// What fetchLater() steps 1-9 produce for the browser's steps 10-16.
struct ValidatedFetchLater {
  // requestObject: its request and signal. Step 15 adds an abort step to
  // `request.signal()`; a dependent signal is held weakly by its sources, so
  // whoever adds that step keeps the shared_ptr.
  Request request;
  // Step 4: null or a non-negative DOMHighResTimeStamp in ms.
  std::optional<double> activate_after_ms;
};

// Fetch: fetchLater(input, init) method steps 1-9, in spec order (the first
// failing check wins), preceded by the binding's argument conversion (a
// missing `input` or a non-finite `activateAfter` is a TypeError).
//
//   1. Request construction errors (TypeError).
//   2. An aborted signal: its abort reason.
//   5. activateAfter < 0: RangeError.
//   6. The document is not fully active: TypeError.
//   7. The URL's scheme is not HTTP(S): TypeError.
//   8. The URL is not potentially trustworthy: TypeError.
//   9. A body with a null length (a stream): TypeError.
//
// Steps 10-16 (available quota, total request length, QuotaExceededError,
// queueing the deferred fetch, the abort step and the FetchLaterResult) are
// the browser's.
JsResult<ValidatedFetchLater> ValidateFetchLater(
    const std::optional<RequestInfo>& input,
    const DeferredRequestInit& init,
    const ClientContext& client);

}  // namespace fetch_later::renderer

#endif  // RENDERER_FETCH_LATER_H_
