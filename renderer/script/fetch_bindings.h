// Fetch: the Request, Response and FetchLaterResult interfaces and the
// fetchLater() and fetch() operations of Window, calling the C++ model and the
// document's ScriptDelegate.
#ifndef RENDERER_SCRIPT_FETCH_BINDINGS_H_
#define RENDERER_SCRIPT_FETCH_BINDINGS_H_

#include <cstdint>
#include <utility>

#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/request.h"
#include "renderer/response.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class Realm;

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

class ResponseWrappable : public ScriptWrappable {
 public:
  explicit ResponseWrappable(Response response)
      : response(std::move(response)) {}
  Response response;
};

// Fetch "fetch(input, init)" step 12, processResponse, for fetch `fetch_id`
// of `realm` (DocumentScript::CompleteFetch()): resolves its promise with a
// new Response object, or rejects it with `result`'s error. Nothing for a
// fetch that was settled already. Call inside a task; `exception` is set if
// calling the resolve function threw.
void SettleFetch(Realm& realm,
                 uint64_t fetch_id,
                 JsResult<Response> result,
                 JSValueRef* exception);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_FETCH_BINDINGS_H_
