// The binding files' entry points: each defines its interfaces and globals
// in a Realm (called by Realm::Initialize in this order).
#ifndef RENDERER_SCRIPT_BINDINGS_H_
#define RENDERER_SCRIPT_BINDINGS_H_

#include <JavaScriptCore/JavaScript.h>

namespace fetch_later::renderer::script {

class Realm;

// window_bindings.cc: the natives the prelude uses for Window, Document,
// console, location and error reporting (set as properties of `natives`).
void InstallWindowNatives(Realm& realm, JSObjectRef natives);
// abort_bindings.cc: AbortController, AbortSignal.
void InstallAbortBindings(Realm& realm);
// blob_bindings.cc: Blob, File, ReadableStream.
void InstallBlobBindings(Realm& realm);
// form_data_bindings.cc: FormData.
void InstallFormDataBindings(Realm& realm);
// url_search_params_bindings.cc: URLSearchParams.
void InstallUrlSearchParamsBindings(Realm& realm);
// headers_bindings.cc: Headers.
void InstallHeadersBindings(Realm& realm);
// fetch_bindings.cc: Request, FetchLaterResult, fetchLater, fetch.
void InstallFetchBindings(Realm& realm);
// url_bindings.cc: URL, TextEncoder.
void InstallUrlBindings(Realm& realm);
// timer_bindings.cc: setTimeout, setInterval, clearTimeout, clearInterval.
void InstallTimerBindings(Realm& realm);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_BINDINGS_H_
