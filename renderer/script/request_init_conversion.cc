#include "renderer/script/request_init_conversion.h"

#include <string>
#include <utility>

#include "renderer/script/abort_bindings.h"
#include "renderer/script/blob_bindings.h"
#include "renderer/script/fetch_bindings.h"
#include "renderer/script/form_data_bindings.h"
#include "renderer/script/js_util.h"
#include "renderer/script/realm.h"
#include "renderer/script/url_search_params_bindings.h"
#include "renderer/script/webidl_conversions.h"

namespace fetch_later::renderer::script {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

bool ToStringMember(Call& call,
                    DictionaryReader& dict,
                    absl::string_view member,
                    bool (*convert)(Call&, JSValueRef, std::string*),
                    std::optional<std::string>* out) {
  JSValueRef v;
  if (!dict.Get(member, &v))
    return false;
  if (!v)
    return true;
  std::string s;
  if (!convert(call, v, &s))
    return false;
  *out = std::move(s);
  return true;
}

// An enum-typed RequestInit member: read, converted to a DOMString and
// checked against its enum at once (WebIDL converts each member as it reads
// it, so an invalid value throws before later members are read), then kept as
// the string the C++ model converts again.
bool ToEnumMember(Call& call,
                  DictionaryReader& dict,
                  absl::string_view member,
                  std::optional<std::string>* out) {
  if (!ToStringMember(call, dict, member, ToDOMString, out))
    return false;
  if (!out->has_value())
    return true;
  JsStatus valid = CheckRequestInitEnumMember(member, **out);
  if (!valid.ok()) {
    call.Throw(valid.error());
    return false;
  }
  return true;
}

}  // namespace

bool ToRequestInfo(Call& call,
                   JSValueRef value,
                   std::optional<RequestInfo>* out) {
  if (auto* request = Unwrap<RequestWrappable>(call.ctx, value)) {
    out->emplace(request->request);
    return true;
  }
  std::string url;
  if (!ToUSVString(call, value, &url))
    return false;
  out->emplace(std::move(url));
  return true;
}

bool ToBodyInit(Call& call, JSValueRef value, BodyInit* out) {
  JSContextRef ctx = call.ctx;
  if (JSValueIsNull(ctx, value) || JSValueIsUndefined(ctx, value)) {
    *out = BodyInit::None();
    return true;
  }
  if (Unwrap<ReadableStreamWrappable>(ctx, value)) {
    *out = BodyInit::Stream(/*disturbed_or_locked=*/false);
  } else if (auto* file = Unwrap<FileWrappable>(ctx, value)) {
    *out = BodyInit::File(file->bytes, file->name, file->type);
  } else if (auto* blob = Unwrap<BlobWrappable>(ctx, value)) {
    *out = BodyInit::Blob(blob->bytes, blob->type);
  } else if (auto* form = Unwrap<FormDataWrappable>(ctx, value)) {
    *out = BodyInit::FormData(form->entries);
  } else if (auto* params = Unwrap<UrlSearchParamsWrappable>(ctx, value)) {
    *out = BodyInit::UrlSearchParams(params->list);
  } else if (std::optional<std::string> bytes =
                 BufferSourceBytes(call, value)) {
    *out = BodyInit::Bytes(*std::move(bytes));
  } else {
    std::string text;
    if (!ToUSVString(call, value, &text))
      return false;
    *out = BodyInit::String(std::move(text));
  }
  return true;
}

bool ToRetryOptions(Call& call, JSValueRef value, RetryOptionsInit* out) {
  DictionaryReader dict;
  if (!dict.Open(call, value, "RetryOptions"))
    return false;
  JSValueRef v;
  double d;
  // backoffFactor: double.
  if (!dict.Get("backoffFactor", &v))
    return false;
  if (v) {
    if (!ToRestrictedDouble(call, v, "backoffFactor", &d))
      return false;
    out->backoff_factor = d;
  }
  // initialDelay: [EnforceRange] unsigned long long.
  if (!dict.Get("initialDelay", &v))
    return false;
  if (v) {
    if (!ToEnforceRangeInteger(call, v, 0, kMaxSafeInteger, "initialDelay",
                               &d)) {
      return false;
    }
    out->initial_delay_ms = static_cast<uint64_t>(d);
  }
  // maxAge: [EnforceRange] unsigned long long.
  if (!dict.Get("maxAge", &v))
    return false;
  if (v) {
    if (!ToEnforceRangeInteger(call, v, 0, kMaxSafeInteger, "maxAge", &d)) {
      return false;
    }
    out->max_age_ms = static_cast<uint64_t>(d);
  }
  // maxAttempts: [EnforceRange] required unsigned short.
  if (!dict.Get("maxAttempts", &v))
    return false;
  if (!v) {
    call.ThrowTypeError(
        "Failed to read the 'maxAttempts' property from 'RetryOptions': "
        "Required member is undefined.");
    return false;
  }
  if (!ToEnforceRangeInteger(call, v, 0, 65535, "maxAttempts", &d)) {
    return false;
  }
  out->max_attempts = static_cast<uint32_t>(d);
  // The booleans (default false).
  if (!dict.Get("retryAfterUnload", &v))
    return false;
  out->retry_after_unload = v && ToBoolean(call, v);
  if (!dict.Get("retryNonIdempotent", &v))
    return false;
  out->retry_non_idempotent = v && ToBoolean(call, v);
  if (!dict.Get("retryOnlyIfServerUnreached", &v))
    return false;
  out->retry_only_if_server_unreached = v && ToBoolean(call, v);
  return true;
}

bool ToRequestInit(Call& call,
                   JSValueRef value,
                   bool deferred,
                   DeferredRequestInit* init,
                   std::optional<RetryOptionsInit>* retry) {
  DictionaryReader dict;
  if (!dict.Open(call, value,
                 deferred ? "DeferredRequestInit" : "RequestInit")) {
    return false;
  }
  JSValueRef v;
  // body: BodyInit?
  if (!dict.Get("body", &v))
    return false;
  if (v && !ToBodyInit(call, v, &init->body))
    return false;
  // cache, credentials, duplex: enums.
  if (!ToEnumMember(call, dict, "cache", &init->cache) ||
      !ToEnumMember(call, dict, "credentials", &init->credentials) ||
      !ToEnumMember(call, dict, "duplex", &init->duplex)) {
    return false;
  }
  // headers: HeadersInit.
  if (!dict.Get("headers", &v))
    return false;
  if (v) {
    JSObjectRef object = AsObject(call.ctx, v);
    if (!object) {
      call.ThrowTypeError(
          "Failed to read the 'headers' property from 'RequestInit': The "
          "provided value is not of type '(record<ByteString, ByteString> or "
          "sequence<sequence<ByteString>>)'.");
      return false;
    }
    HeaderList pairs;
    if (!ToPairs(call, object, ToByteString, "Headers", &pairs))
      return false;
    init->headers = std::move(pairs);
  }
  // integrity: DOMString.
  if (!ToStringMember(call, dict, "integrity", ToDOMString, &init->integrity)) {
    return false;
  }
  // keepalive: boolean.
  if (!dict.Get("keepalive", &v))
    return false;
  if (v)
    init->keepalive = ToBoolean(call, v);
  // method: ByteString; mode, priority, redirect: enums.
  if (!ToStringMember(call, dict, "method", ToByteString, &init->method) ||
      !ToEnumMember(call, dict, "mode", &init->mode) ||
      !ToEnumMember(call, dict, "priority", &init->priority) ||
      !ToEnumMember(call, dict, "redirect", &init->redirect)) {
    return false;
  }
  // referrer: USVString; referrerPolicy: enum.
  if (!ToStringMember(call, dict, "referrer", ToUSVString, &init->referrer) ||
      !ToEnumMember(call, dict, "referrerPolicy", &init->referrer_policy)) {
    return false;
  }
  // retryOptions: RetryOptions (fetch-retry explainer's partial dictionary).
  // The member is [SecureContext]: a non-secure realm's dictionary has no such
  // member, so it is neither read nor converted there.
  const bool secure = call.realm->secure_context();
  if (secure && !dict.Get("retryOptions", &v))
    return false;
  if (secure && v) {
    RetryOptionsInit options;
    if (!ToRetryOptions(call, v, &options))
      return false;
    *retry = options;
  }
  // signal: AbortSignal?
  if (!dict.Get("signal", &v))
    return false;
  if (v && !JSValueIsNull(call.ctx, v)) {
    init->signal = UnwrapAbortSignal(call.ctx, v);
    if (!init->signal) {
      call.ThrowTypeError(
          "Failed to read the 'signal' property from 'RequestInit': Failed to "
          "convert value to 'AbortSignal'.");
      return false;
    }
  }
  // window: any.
  JSValueRef window;
  if (!dict.Get("window", &window))
    return false;
  if (deferred) {
    // activateAfter: DOMHighResTimeStamp (a restricted double).
    if (!dict.Get("activateAfter", &v))
      return false;
    if (v) {
      double d;
      if (!ToRestrictedDouble(call, v, "activateAfter", &d))
        return false;
      init->activate_after = d;
    }
  }
  // Fetch: Request constructor: "If init["window"] exists and is non-null,
  // then throw a TypeError."
  if (window && !JSValueIsNull(call.ctx, window)) {
    call.ThrowTypeError("RequestInit: 'window' can only be null.");
    return false;
  }
  return true;
}

}  // namespace fetch_later::renderer::script
