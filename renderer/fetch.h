// fetch() as the renderer runs it before asking the browser: Fetch's
// "fetch(input, init)" method steps up to "fetch" (the Request constructor and
// the aborted signal), then what "main fetch" decides without the network in
// a renderer (mixed content; no scheme but HTTP(S)), and the fetch-retry
// explainer's rule that retryAfterUnload needs keepalive. Everything after
// (CSP, CORS, the keepalive limit, the HTTPS-only network) is the browser's
// (renderer/renderer_connection.h), and so is the Response's content.
//
//   JsResult<Request> request =
//       ValidateFetch(RequestInfo("http://b.test/"), {}, std::nullopt, client);
//   // from https://a.test/: TypeError "fetch: ... blocked as mixed content"
//
// Nothing here is thread-safe; these objects live on the renderer main thread.
#ifndef RENDERER_FETCH_H_
#define RENDERER_FETCH_H_

#include <optional>

#include "renderer/js_error.h"
#include "renderer/request.h"

namespace fetch_later::renderer {

// The checks, in order (the first failure wins; each is what the promise is
// rejected with):
//   fetch() step 2: the Request constructor's error (TypeError).
//   fetch() step 4: an aborted signal: its abort reason.
//   retryOptions.retryAfterUnload without keepalive: TypeError (the
//     explainer: it "requires keepalive: true"; this browser reads that as a
//     TypeError at the call).
//   main fetch step 7: from a secure context, a URL that is not potentially
//     trustworthy: blocked as mixed content (TypeError).
//   main fetch step 12: a scheme other than HTTP(S): TypeError (this
//     prototype fetches no about:, blob:, data: or file: URL).
//   A ReadableStream body: TypeError (this prototype sends no stream).
JsResult<Request> ValidateFetch(const RequestInfo& input,
                                const RequestInit& init,
                                const std::optional<RetryOptionsInit>& retry,
                                const ClientContext& client);

}  // namespace fetch_later::renderer

#endif  // RENDERER_FETCH_H_
