// Web IDL conversions of the Fetch dictionaries and unions to the C++ model:
// RequestInfo, BodyInit, HeadersInit, RequestInit / DeferredRequestInit and
// RetryOptions (fetch-retry explainer).
#ifndef RENDERER_SCRIPT_REQUEST_INIT_CONVERSION_H_
#define RENDERER_SCRIPT_REQUEST_INIT_CONVERSION_H_

#include <JavaScriptCore/JavaScript.h>

#include <optional>

#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/request.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

// RequestInfo = (Request or USVString): a Request object, else ToString (so
// a plain object is "[object Object]").
bool ToRequestInfo(Call& call,
                   JSValueRef value,
                   std::optional<RequestInfo>* out);

// BodyInit = (ReadableStream or Blob or BufferSource or FormData or
// URLSearchParams or USVString); null gives BodyInit::None().
bool ToBodyInit(Call& call, JSValueRef value, BodyInit* out);

// RequestInit (plus retryOptions) or, with `deferred`, DeferredRequestInit
// (plus activateAfter). Members are read in WebIDL order: RequestInit's in
// lexicographic order, then activateAfter.
bool ToRequestInit(Call& call,
                   JSValueRef value,
                   bool deferred,
                   DeferredRequestInit* init,
                   std::optional<RetryOptionsInit>* retry);

// RetryOptions.
bool ToRetryOptions(Call& call, JSValueRef value, RetryOptionsInit* out);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_REQUEST_INIT_CONVERSION_H_
