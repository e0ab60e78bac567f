// Fetch: the Request and FetchLaterResult interfaces and the fetchLater()
// and fetch() operations of Window, calling the C++ model and the document's
// ScriptDelegate.
#ifndef RENDERER_SCRIPT_FETCH_BINDINGS_H_
#define RENDERER_SCRIPT_FETCH_BINDINGS_H_

#include "renderer/fetch_later.h"
#include "renderer/request.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class RequestWrappable : public ScriptWrappable {
 public:
  explicit RequestWrappable(Request request) : request(std::move(request)) {}
  Request request;
};

class FetchLaterResultWrappable : public ScriptWrappable {
 public:
  explicit FetchLaterResultWrappable(FetchLaterResult result)
      : result(std::move(result)) {}
  FetchLaterResult result;
};

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_FETCH_BINDINGS_H_
