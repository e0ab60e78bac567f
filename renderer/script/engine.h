// ScriptEngine::Impl: the JSC context group shared by a renderer's documents
// and its watchdog state.
#ifndef RENDERER_SCRIPT_ENGINE_H_
#define RENDERER_SCRIPT_ENGINE_H_

#include <JavaScriptCore/JavaScript.h>

#include "absl/time/time.h"
#include "renderer/script/document_script.h"

namespace fetch_later::renderer {

struct ScriptEngine::Impl {
  JSContextGroupRef group = nullptr;
  absl::Duration time_limit;
  // Set by the watchdog when it terminates a script; cleared by the task
  // that reports it.
  bool terminated = false;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_SCRIPT_ENGINE_H_
