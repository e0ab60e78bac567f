// DOM: AbortController and AbortSignal bound to the C++ model
// (renderer/abort_signal.h). A JS abort reason is kept by the Realm and stands
// behind a C++ JsError (Realm::AbortErrorForReason), so the reason script
// gave comes back out of fetchLater() step 2 and signal.reason.
#ifndef RENDERER_SCRIPT_ABORT_BINDINGS_H_
#define RENDERER_SCRIPT_ABORT_BINDINGS_H_

#include <JavaScriptCore/JavaScript.h>

#include <memory>

#include "renderer/abort_signal.h"
#include "renderer/js_error.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class Realm;

class AbortSignalWrappable : public ScriptWrappable {
 public:
  explicit AbortSignalWrappable(std::shared_ptr<AbortSignal> signal)
      : signal(std::move(signal)) {}
  std::shared_ptr<AbortSignal> signal;
};

// The one wrapper of `signal` in `realm` (made on first use; it fires
// "abort" events when the C++ signal aborts).
JSObjectRef WrapAbortSignal(Realm& realm,
                            const std::shared_ptr<AbortSignal>& signal);

// The C++ signal of an AbortSignal wrapper, or null.
std::shared_ptr<AbortSignal> UnwrapAbortSignal(JSContextRef ctx,
                                               JSValueRef value);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_ABORT_BINDINGS_H_
