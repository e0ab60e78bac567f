#include "renderer/script/fetch_bindings.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "net/referrer.h"
#include "renderer/fetch.h"
#include "renderer/response.h"
#include "renderer/script/abort_bindings.h"
#include "renderer/script/bindings.h"
#include "renderer/script/headers_bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/request_init_conversion.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

// --- Request
// ------------------------------------------------------------------

JSValueRef RequestConstructor(Call& call) {
  if (!call.RequireArgs(1, "Request"))
    return nullptr;
  std::optional<RequestInfo> input;
  if (!ToRequestInfo(call, call.arg(0), &input))
    return nullptr;
  DeferredRequestInit init;
  std::optional<RetryOptionsInit> retry;  // Not kept by the model's Request.
  if (!ToRequestInit(call, call.arg(1), /*deferred=*/false, &init, &retry)) {
    return nullptr;
  }
  JsResult<Request> request =
      ConstructRequest(*input, init, call.realm->delegate()->Client());
  if (!request.ok())
    return call.Throw(request.error());
  return call.realm->WrapForNewTarget(
      call, std::make_unique<RequestWrappable>(*std::move(request)), "Request");
}

const Request* ThisRequest(Call& call) {
  auto* r = call.This<RequestWrappable>();
  return r ? &r->request : nullptr;
}

JSValueRef RequestMethod(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeByteString(call.ctx, r->method()) : nullptr;
}

JSValueRef RequestUrl(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, r->url().Serialize()) : nullptr;
}

// [SameObject] headers: a Headers with the request's guard. The C++ Request
// is immutable, so changes made through it do not reach the request.
JSValueRef RequestHeaders(Call& call) {
  const Request* r = ThisRequest(call);
  if (!r)
    return nullptr;
  JSValueRef cached = GetHidden(call.ctx, call.self, "headers");
  if (cached && JSValueIsObject(call.ctx, cached))
    return cached;
  JSObjectRef headers = call.realm->Wrap(
      std::make_unique<HeadersWrappable>(r->headers()), "Headers");
  SetHidden(call.ctx, call.self, "headers", headers);
  return headers;
}

JSValueRef RequestReferrerGetter(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, r->referrer().ToString()) : nullptr;
}

JSValueRef RequestReferrerPolicy(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx,
                        net::ReferrerPolicyToString(r->referrer_policy()))
           : nullptr;
}

JSValueRef RequestModeGetter(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, RequestModeName(r->mode())) : nullptr;
}

JSValueRef RequestCredentials(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, CredentialsModeName(r->credentials()))
           : nullptr;
}

JSValueRef RequestKeepalive(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? JSValueMakeBoolean(call.ctx, r->keepalive()) : nullptr;
}

JSValueRef RequestSignal(Call& call) {
  const Request* r = ThisRequest(call);
  if (!r)
    return nullptr;
  JSValueRef cached = GetHidden(call.ctx, call.self, "signal");
  if (cached && JSValueIsObject(call.ctx, cached))
    return cached;
  JSObjectRef signal = WrapAbortSignal(*call.realm, r->signal());
  SetHidden(call.ctx, call.self, "signal", signal);
  return signal;
}

JSValueRef RequestCache(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, CacheModeName(r->cache())) : nullptr;
}

JSValueRef RequestRedirect(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, RedirectModeName(r->redirect())) : nullptr;
}

JSValueRef RequestIntegrity(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? MakeString(call.ctx, r->integrity()) : nullptr;
}

// Fetch: Body mixin bodyUsed.
JSValueRef RequestBodyUsed(Call& call) {
  const Request* r = ThisRequest(call);
  return r ? JSValueMakeBoolean(call.ctx, r->body_used()) : nullptr;
}

// The attributes the model fixes: destination "", duplex "half".
JSValueRef RequestFixedString(Call& call, const char* value) {
  return ThisRequest(call) ? MakeString(call.ctx, value) : nullptr;
}
JSValueRef RequestDestination(Call& call) {
  return RequestFixedString(call, "");
}
JSValueRef RequestDuplex(Call& call) {
  return RequestFixedString(call, "half");
}

// --- FetchLaterResult
// -----------------------------------------------------------

// Fetch: FetchLaterResult activated getter: reads the flag the IPC layer
// sets, each time.
JSValueRef Activated(Call& call) {
  auto* r = call.This<FetchLaterResultWrappable>();
  return r ? JSValueMakeBoolean(call.ctx, r->result.activated()) : nullptr;
}

// --- Window operations
// ----------------------------------------------------------

// Fetch: fetchLater(input, init): conversions here; steps 1-9 and the
// browser's steps through the delegate.
JSValueRef FetchLater(Call& call) {
  if (!call.RequireArgs(1, "fetchLater"))
    return nullptr;
  std::optional<RequestInfo> input;
  if (!ToRequestInfo(call, call.arg(0), &input))
    return nullptr;
  DeferredRequestInit init;
  std::optional<RetryOptionsInit> retry;
  if (!ToRequestInit(call, call.arg(1), /*deferred=*/true, &init, &retry)) {
    return nullptr;
  }
  JsResult<FetchLaterResult> result =
      call.realm->delegate()->FetchLater(*input, init, retry);
  // Step 2 throws the signal's abort reason: Realm::ToJs gives back the JS
  // value script aborted with.
  if (!result.ok())
    return call.Throw(result.error());
  return call.realm->Wrap(
      std::make_unique<FetchLaterResultWrappable>(*std::move(result)),
      "FetchLaterResult");
}

// --- Response
// -----------------------------------------------------------------

Response* ThisResponse(Call& call) {
  auto* r = call.This<ResponseWrappable>();
  return r ? &r->response : nullptr;
}

JSValueRef ResponseTypeGetter(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? MakeString(call.ctx, ResponseTypeName(r->type())) : nullptr;
}

JSValueRef ResponseUrl(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? MakeString(call.ctx, r->url()) : nullptr;
}

JSValueRef ResponseRedirected(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? JSValueMakeBoolean(call.ctx, r->redirected()) : nullptr;
}

JSValueRef ResponseStatus(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? JSValueMakeNumber(call.ctx, r->status()) : nullptr;
}

JSValueRef ResponseOk(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? JSValueMakeBoolean(call.ctx, r->ok()) : nullptr;
}

JSValueRef ResponseStatusText(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? MakeByteString(call.ctx, r->status_text()) : nullptr;
}

// [SameObject] headers: a Headers with guard "immutable".
JSValueRef ResponseHeaders(Call& call) {
  const Response* r = ThisResponse(call);
  if (!r)
    return nullptr;
  JSValueRef cached = GetHidden(call.ctx, call.self, "headers");
  if (cached && JSValueIsObject(call.ctx, cached))
    return cached;
  JSObjectRef headers = call.realm->Wrap(
      std::make_unique<HeadersWrappable>(r->headers()), "Headers");
  SetHidden(call.ctx, call.self, "headers", headers);
  return headers;
}

// Fetch: Body mixin bodyUsed.
JSValueRef ResponseBodyUsed(Call& call) {
  const Response* r = ThisResponse(call);
  return r ? JSValueMakeBoolean(call.ctx, r->body_used()) : nullptr;
}

// Fetch: Body mixin "consume body" with `convert` (the bytes to a JS value,
// nullptr with *exception set when the conversion throws): a promise, settled
// now (the body is complete when fetch() resolves).
template <typename Convert>
JSValueRef ConsumeBody(Call& call, absl::string_view method, Convert convert) {
  Response* r = ThisResponse(call);
  if (!r)
    return nullptr;
  JsResult<std::string> bytes = r->ConsumeBody(method);
  if (!bytes.ok()) {
    return MakeSettledPromise(call.ctx, call.realm->ToJs(bytes.error()),
                              /*resolved=*/false);
  }
  JSValueRef exception = nullptr;
  JSValueRef value = convert(*bytes, &exception);
  if (exception)
    return MakeSettledPromise(call.ctx, exception, /*resolved=*/false);
  return MakeSettledPromise(call.ctx, value, /*resolved=*/true);
}

// Fetch: Body text(): "UTF-8 decode".
JSValueRef ResponseText(Call& call) {
  return ConsumeBody(call, "text", [&](const std::string& bytes, JSValueRef*) {
    return MakeString(call.ctx, StripUtf8ByteOrderMark(bytes));
  });
}

// Fetch: Body json(): "parse JSON from bytes" (a SyntaxError rejects).
JSValueRef ResponseJson(Call& call) {
  return ConsumeBody(
      call, "json", [&](const std::string& bytes, JSValueRef* exception) {
        return call.realm->CallHook(
            "parseJson", {MakeString(call.ctx, StripUtf8ByteOrderMark(bytes))},
            exception);
      });
}

JSValueRef ResponseArrayBuffer(Call& call) {
  return ConsumeBody(call, "arrayBuffer",
                     [&](const std::string& bytes, JSValueRef*) {
                       return MakeArrayBuffer(call.ctx, bytes);
                     });
}

JSValueRef ResponseBytes(Call& call) {
  return ConsumeBody(call, "bytes", [&](const std::string& bytes, JSValueRef*) {
    return MakeUint8Array(call.ctx, bytes);
  });
}

// --- fetch()
// -------------------------------------------------------------------

// Fetch: fetch(input, init): the conversions, the renderer's steps
// (ValidateFetch()), then the delegate starts the fetch in the browser;
// CompleteFetch() settles the promise when it ends. Every error rejects the
// promise (WebIDL: a promise-returning operation does not throw).
JSValueRef Fetch(Call& call) {
  JSObjectRef resolve = nullptr, reject = nullptr;
  JSObjectRef promise =
      JSObjectMakeDeferredPromise(call.ctx, &resolve, &reject, call.exception);
  if (!promise)
    return nullptr;
  JSValueRef error = nullptr;
  Call inner = call;
  inner.exception = &error;
  std::optional<RequestInfo> input;
  DeferredRequestInit init;
  std::optional<RetryOptionsInit> retry;
  if (inner.RequireArgs(1, "fetch") &&
      ToRequestInfo(inner, call.arg(0), &input) &&
      ToRequestInit(inner, call.arg(1), /*deferred=*/false, &init, &retry)) {
    ScriptDelegate* delegate = call.realm->delegate();
    JsResult<Request> request =
        ValidateFetch(*input, init, retry, delegate->Client());
    JsResult<uint64_t> id =
        request.ok() ? delegate->Fetch(*request, retry) : request.error();
    if (!id.ok()) {
      error = call.realm->ToJs(id.error());
    } else {
      std::shared_ptr<AbortSignal> signal = request->signal();
      call.realm->AddPendingFetch(*id, {resolve, reject, signal});
      // Step 11: aborting the signal rejects the promise with its abort
      // reason and terminates the fetch. The step holds the realm and the
      // signal weakly (the realm's pending fetch holds the signal).
      std::weak_ptr<Realm*> weak_realm = call.realm->weak_self();
      std::weak_ptr<AbortSignal> weak_signal = signal;
      const uint64_t fetch_id = *id;
      signal->AddAlgorithm([weak_realm, weak_signal, fetch_id] {
        std::shared_ptr<Realm*> realm = weak_realm.lock();
        std::shared_ptr<AbortSignal> aborted = weak_signal.lock();
        if (!realm || !aborted)
          return;
        std::optional<Realm::PendingFetch> pending =
            (*realm)->TakePendingFetch(fetch_id);
        if (!pending)
          return;  // settled already
        JSValueRef reason = (*realm)->ToJs(*aborted->reason());
        JSObjectCallAsFunction((*realm)->ctx(), pending->reject, nullptr, 1,
                               &reason, nullptr);
        (*realm)->Unprotect(pending->resolve);
        (*realm)->Unprotect(pending->reject);
        (*realm)->delegate()->AbortFetch(fetch_id);
      });
    }
  }
  if (error) {
    JSObjectCallAsFunction(call.ctx, reject, nullptr, 1, &error, nullptr);
  }
  return promise;
}

}  // namespace

void InstallFetchBindings(Realm& realm) {
  realm.DefineInterface({
      .name = "Request",
      .constructor = Native<RequestConstructor>,
      .length = 1,
      .attributes = {{"method", Native<RequestMethod>},
                     {"url", Native<RequestUrl>},
                     {"headers", Native<RequestHeaders>},
                     {"destination", Native<RequestDestination>},
                     {"referrer", Native<RequestReferrerGetter>},
                     {"referrerPolicy", Native<RequestReferrerPolicy>},
                     {"mode", Native<RequestModeGetter>},
                     {"credentials", Native<RequestCredentials>},
                     {"cache", Native<RequestCache>},
                     {"redirect", Native<RequestRedirect>},
                     {"integrity", Native<RequestIntegrity>},
                     {"keepalive", Native<RequestKeepalive>},
                     {"signal", Native<RequestSignal>},
                     {"duplex", Native<RequestDuplex>},
                     {"bodyUsed", Native<RequestBodyUsed>}},
  });
  realm.DefineInterface({
      .name = "FetchLaterResult",
      .attributes = {{"activated", Native<Activated>}},
  });
  // Fetch: Response, as fetch() resolves it (no constructor in this
  // prototype: script cannot make one).
  realm.DefineInterface({
      .name = "Response",
      .methods = {{"arrayBuffer", Native<ResponseArrayBuffer>, 0},
                  {"bytes", Native<ResponseBytes>, 0},
                  {"json", Native<ResponseJson>, 0},
                  {"text", Native<ResponseText>, 0}},
      .attributes = {{"type", Native<ResponseTypeGetter>},
                     {"url", Native<ResponseUrl>},
                     {"redirected", Native<ResponseRedirected>},
                     {"status", Native<ResponseStatus>},
                     {"ok", Native<ResponseOk>},
                     {"statusText", Native<ResponseStatusText>},
                     {"headers", Native<ResponseHeaders>},
                     {"bodyUsed", Native<ResponseBodyUsed>}},
  });
  // Fetch: fetchLater() is [SecureContext]: Web IDL exposes it only in a realm
  // whose settings object is a secure context (decided when the realm is
  // created; a document's secure-context state never changes).
  if (realm.secure_context())
    realm.InstallFunction("fetchLater", Native<FetchLater>, 1);
  realm.InstallFunction("fetch", Native<Fetch>, 1);
}

void SettleFetch(Realm& realm,
                 uint64_t fetch_id,
                 JsResult<Response> result,
                 JSValueRef* exception) {
  std::optional<Realm::PendingFetch> pending = realm.TakePendingFetch(fetch_id);
  if (!pending)
    return;  // aborted (rejected) already, or unknown
  JSValueRef value;
  if (result.ok()) {
    // Step 12.4: "creating a Response object" with guard "immutable".
    value = realm.Wrap(
        std::make_unique<ResponseWrappable>(std::move(result).value()),
        "Response");
  } else {
    // Step 12.3: a network error rejects with a TypeError.
    value = realm.ToJs(result.error());
  }
  JSObjectCallAsFunction(realm.ctx(),
                         result.ok() ? pending->resolve : pending->reject,
                         nullptr, 1, &value, exception);
  realm.Unprotect(pending->resolve);
  realm.Unprotect(pending->reject);
}

}  // namespace fetch_later::renderer::script
