// JS exception values -> ScriptError (HTML "report an exception"): name,
// message and the location of the first frame outside the prelude.
#ifndef RENDERER_SCRIPT_ERRORS_H_
#define RENDERER_SCRIPT_ERRORS_H_

#include <JavaScriptCore/JavaScript.h>

#include "absl/strings/string_view.h"
#include "renderer/script/document_script.h"

namespace fetch_later::renderer::script {

// The URL the prelude is evaluated with; its frames are never blamed.
inline constexpr absl::string_view kPreludeUrl = "internal:prelude.js";

// `error_constructor` is the realm's original Error. `fallback_url` is used
// when the value carries no location (a thrown primitive).
ScriptError ExceptionToScriptError(JSContextRef ctx,
                                   JSValueRef exception,
                                   JSObjectRef error_constructor,
                                   absl::string_view fallback_url);

// Parses one JSC stack line ("fn@url:line:column" or "url:line:column").
// False for native frames.
bool ParseStackFrame(absl::string_view frame,
                     std::string* url,
                     int* line,
                     int* column);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_ERRORS_H_
