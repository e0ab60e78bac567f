#include "renderer/request.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/cors_safelist.h"
#include "net/fetch_header_rules.h"
#include "net/http_token.h"
#include "net/total_request_length.h"

namespace fetch_later::renderer {
namespace {

bool SameOrigin(const net::Url& url, const net::Origin& origin) {
  return net::Origin::Create(url).IsSameOriginWith(origin);
}

JsError EnumError(absl::string_view member,
                  absl::string_view value,
                  absl::string_view type) {
  return MakeTypeError(
      absl::StrCat("Failed to read the '", member,
                   "' property from 'RequestInit': The "
                   "provided value '",
                   value, "' is not a valid enum value of type ", type, "."));
}

}  // namespace

ClientContext ClientContext::ForDocument(const net::Url& url) {
  return ClientContext{url, url, net::Origin::Create(url), true,
                       net::kDefaultReferrerPolicy};
}

std::string RequestReferrer::ToString() const {
  switch (kind) {
    case Kind::kNoReferrer:
      return "";
    case Kind::kClient:
      return "about:client";
    case Kind::kUrl:
      return url->Serialize();
  }
  return "";
}

bool RequestInit::IsEmpty() const {
  return !method.has_value() && !headers.has_value() &&
         body.kind == BodyInit::Kind::kNone && !referrer.has_value() &&
         !referrer_policy.has_value() && !mode.has_value() &&
         !credentials.has_value() && !cache.has_value() &&
         !redirect.has_value() && !integrity.has_value() &&
         !keepalive.has_value() && !signal && !priority.has_value() &&
         !duplex.has_value();
}

namespace {

// One IDL enum: its values (as script spells them) and what they convert to.
template <typename T>
struct EnumValue {
  absl::string_view name;
  T value;
};

// WebIDL: converting a JS string to the IDL enum `type` of RequestInit's
// `member`: TypeError for a string that is not one of `values`.
template <typename T, size_t N>
JsResult<T> ConvertEnum(absl::string_view member,
                        absl::string_view type,
                        const EnumValue<T> (&values)[N],
                        absl::string_view value) {
  for (const EnumValue<T>& v : values) {
    if (v.name == value)
      return v.value;
  }
  return EnumError(member, value, type);
}

// Fetch: the RequestInit enums (RequestCache, RequestCredentials,
// RequestDuplex, RequestMode, RequestPriority, RequestRedirect).
constexpr EnumValue<CacheMode> kRequestCache[] = {
    {"default", CacheMode::kDefault},
    {"no-store", CacheMode::kNoStore},
    {"reload", CacheMode::kReload},
    {"no-cache", CacheMode::kNoCache},
    {"force-cache", CacheMode::kForceCache},
    {"only-if-cached", CacheMode::kOnlyIfCached},
};
constexpr EnumValue<CredentialsMode> kRequestCredentials[] = {
    {"omit", CredentialsMode::kOmit},
    {"same-origin", CredentialsMode::kSameOrigin},
    {"include", CredentialsMode::kInclude},
};
constexpr EnumValue<bool> kRequestDuplex[] = {{"half", true}};
constexpr EnumValue<RequestMode> kRequestMode[] = {
    {"navigate", RequestMode::kNavigate},
    {"same-origin", RequestMode::kSameOrigin},
    {"no-cors", RequestMode::kNoCors},
    {"cors", RequestMode::kCors},
};
constexpr EnumValue<RequestPriority> kRequestPriority[] = {
    {"high", RequestPriority::kHigh},
    {"low", RequestPriority::kLow},
    {"auto", RequestPriority::kAuto},
};
constexpr EnumValue<RedirectMode> kRequestRedirect[] = {
    {"follow", RedirectMode::kFollow},
    {"error", RedirectMode::kError},
    {"manual", RedirectMode::kManual},
};

// The IDL enum value's string: the inverse of ConvertEnum over the same table.
template <typename T, size_t N>
absl::string_view EnumName(const EnumValue<T> (&values)[N], T value) {
  for (const EnumValue<T>& v : values) {
    if (v.value == value)
      return v.name;
  }
  return "";
}

JsResult<net::ReferrerPolicy> ConvertReferrerPolicy(absl::string_view value) {
  absl::StatusOr<net::ReferrerPolicy> policy = net::ParseReferrerPolicy(value);
  if (!policy.ok())
    return EnumError("referrerPolicy", value, "ReferrerPolicy");
  return *policy;
}

// Converts `init`'s `member` into `*out` when present; false with `*error`
// when its value is not one of its enum's.
template <typename T, typename Convert>
bool ConvertMember(const std::optional<std::string>& member,
                   Convert convert,
                   std::optional<T>* out,
                   JsError* error) {
  if (!member.has_value())
    return true;
  JsResult<T> converted = convert(*member);
  if (!converted.ok()) {
    *error = converted.error();
    return false;
  }
  *out = *converted;
  return true;
}

}  // namespace

// WebIDL: the enum members of a RequestInit dictionary, in the order WebIDL
// converts dictionary members (lexicographic): cache, credentials, duplex,
// mode, priority, redirect, referrerPolicy.
JsResult<RequestInitEnums> ConvertRequestInitEnums(const RequestInit& init) {
  RequestInitEnums out;
  std::optional<bool> duplex;
  JsError error;
  auto enum_of = [](absl::string_view member, absl::string_view type,
                    const auto& values) {
    return [=, &values](absl::string_view v) {
      return ConvertEnum(member, type, values, v);
    };
  };
  if (!ConvertMember(init.cache,
                     enum_of("cache", "RequestCache", kRequestCache),
                     &out.cache, &error) ||
      !ConvertMember(
          init.credentials,
          enum_of("credentials", "RequestCredentials", kRequestCredentials),
          &out.credentials, &error) ||
      !ConvertMember(init.duplex,
                     enum_of("duplex", "RequestDuplex", kRequestDuplex),
                     &duplex, &error) ||
      !ConvertMember(init.mode, enum_of("mode", "RequestMode", kRequestMode),
                     &out.mode, &error) ||
      !ConvertMember(init.priority,
                     enum_of("priority", "RequestPriority", kRequestPriority),
                     &out.priority, &error) ||
      !ConvertMember(init.redirect,
                     enum_of("redirect", "RequestRedirect", kRequestRedirect),
                     &out.redirect, &error) ||
      !ConvertMember(init.referrer_policy, ConvertReferrerPolicy,
                     &out.referrer_policy, &error)) {
    return error;
  }
  return out;
}

JsStatus CheckRequestInitEnumMember(absl::string_view member,
                                    absl::string_view value) {
  RequestInit init;
  const std::string v(value);
  if (member == "cache")
    init.cache = v;
  else if (member == "credentials")
    init.credentials = v;
  else if (member == "duplex")
    init.duplex = v;
  else if (member == "mode")
    init.mode = v;
  else if (member == "priority")
    init.priority = v;
  else if (member == "redirect")
    init.redirect = v;
  else if (member == "referrerPolicy")
    init.referrer_policy = v;
  else
    return MakeTypeError(
        absl::StrCat("RequestInit has no enum member '", member, "'"));
  JsResult<RequestInitEnums> converted = ConvertRequestInitEnums(init);
  if (!converted.ok())
    return converted.error();
  return {};
}

// Fetch: "new Request(input, init)".
JsResult<Request> ConstructRequest(const RequestInfo& input,
                                   const RequestInit& init,
                                   const ClientContext& client) {
  // The binding converts `init` (its enum members) before the steps run.
  JsResult<RequestInitEnums> enums = ConvertRequestInitEnums(init);
  if (!enums.ok())
    return enums.error();

  // Steps 1-6: request, fallbackMode, baseURL, signal.
  const net::Url& base_url = client.base_url;
  std::optional<RequestMode> fallback_mode;
  std::shared_ptr<AbortSignal> signal;
  std::optional<Request> request;
  const Request* input_request = input.request();
  if (const std::string* url_string = input.url()) {
    // Step 5.
    absl::StatusOr<net::Url> parsed = net::Url::Parse(*url_string, &base_url);
    if (!parsed.ok()) {
      return MakeTypeError(
          absl::StrCat("Failed to parse URL from ", *url_string));
    }
    if (parsed->IncludesCredentials()) {
      return MakeTypeError(
          absl::StrCat("Request cannot be constructed from a URL that includes "
                       "credentials: ",
                       *url_string));
    }
    request.emplace(Request(*std::move(parsed)));
    fallback_mode = RequestMode::kCors;
  } else {
    // Step 6: copy input's request (step 12 makes the new request from its
    // fields; the Request object's headers and signal are replaced below).
    request.emplace(*input_request);
    signal = input_request->signal();
  }
  // Step 7.
  const net::Origin& origin = client.origin;

  // Step 13: request's client is `client`; nothing else to do here.

  // Step 14.
  if (!init.IsEmpty()) {
    if (request->mode_ == RequestMode::kNavigate)
      request->mode_ = RequestMode::kSameOrigin;
    request->referrer_ = RequestReferrer();
    request->referrer_policy_ = net::ReferrerPolicy::kEmpty;
  }

  // Step 15: referrer.
  if (init.referrer.has_value()) {
    const std::string& referrer = *init.referrer;
    if (referrer.empty()) {
      request->referrer_ = {RequestReferrer::Kind::kNoReferrer, std::nullopt};
    } else {
      absl::StatusOr<net::Url> parsed = net::Url::Parse(referrer, &base_url);
      if (!parsed.ok()) {
        return MakeTypeError(
            absl::StrCat("Referrer '", referrer, "' is not a valid URL."));
      }
      if ((parsed->scheme() == "about" && parsed->PathString() == "client") ||
          !SameOrigin(*parsed, origin)) {
        request->referrer_ = {RequestReferrer::Kind::kClient, std::nullopt};
      } else {
        request->referrer_ = {RequestReferrer::Kind::kUrl, *std::move(parsed)};
      }
    }
  }

  // Step 16.
  if (enums->referrer_policy.has_value())
    request->referrer_policy_ = *enums->referrer_policy;

  // Steps 17-19.
  std::optional<RequestMode> mode =
      enums->mode.has_value() ? enums->mode : fallback_mode;
  if (mode == RequestMode::kNavigate) {
    return MakeTypeError(
        "Cannot construct a Request with a RequestInit whose mode member is "
        "set as 'navigate'.");
  }
  if (mode.has_value())
    request->mode_ = *mode;

  // Step 20.
  if (enums->credentials.has_value())
    request->credentials_ = *enums->credentials;

  // Step 21.
  if (enums->cache.has_value())
    request->cache_ = *enums->cache;

  // Step 22.
  if (request->cache_ == CacheMode::kOnlyIfCached &&
      request->mode_ != RequestMode::kSameOrigin) {
    return MakeTypeError(
        "'only-if-cached' can be set only with 'same-origin' mode");
  }

  // Step 23.
  if (enums->redirect.has_value())
    request->redirect_ = *enums->redirect;

  // Step 24.
  if (init.integrity.has_value())
    request->integrity_ = *init.integrity;

  // Step 25.
  if (init.keepalive.has_value())
    request->keepalive_ = *init.keepalive;

  // Step 26.
  if (init.method.has_value()) {
    const std::string& method = *init.method;
    if (!net::IsHttpToken(method)) {
      return MakeTypeError(
          absl::StrCat("'", method, "' is not a valid HTTP method."));
    }
    if (net::IsForbiddenMethod(method)) {
      return MakeTypeError(
          absl::StrCat("'", method, "' HTTP method is unsupported."));
    }
    request->method_ = net::NormalizeMethod(method);
  }

  // Step 27.
  if (init.signal)
    signal = init.signal;

  // Step 28.
  if (enums->priority.has_value())
    request->priority_ = *enums->priority;

  // Steps 29-31: this's signal is a dependent signal of `signal`.
  std::vector<std::shared_ptr<AbortSignal>> signals;
  if (signal)
    signals.push_back(signal);
  request->signal_ = AbortSignal::CreateDependent(signals);

  // Step 32: this's headers, guard "request", over a copy of request's header
  // list (`request` is already a copy).
  request->headers_.guard_ = Headers::Guard::kRequest;

  // Step 33.
  if (request->mode_ == RequestMode::kNoCors) {
    if (!net::IsCorsSafelistedMethod(request->method_)) {
      return MakeTypeError(absl::StrCat("'", request->method_,
                                        "' is unsupported in no-cors mode."));
    }
    request->headers_.guard_ = Headers::Guard::kRequestNoCors;
  }

  // Step 34.
  if (!init.IsEmpty()) {
    HeaderList headers = init.headers.has_value()
                             ? *init.headers
                             : HeaderList(request->headers_.list());
    request->headers_.list_.clear();
    JsStatus filled = request->headers_.Fill(headers);
    if (!filled.ok())
      return filled.error();
  }

  // Step 35.
  std::optional<Body> input_body =
      input_request != nullptr ? input_request->body() : std::nullopt;

  // Step 36.
  bool has_init_body = init.body.kind != BodyInit::Kind::kNone;
  if ((has_init_body || input_body.has_value()) &&
      (request->method_ == "GET" || request->method_ == "HEAD")) {
    return MakeTypeError("Request with GET/HEAD method cannot have body.");
  }

  // Steps 37-38.
  std::optional<Body> init_body;
  if (has_init_body) {
    JsResult<BodyWithType> extracted =
        ExtractBody(init.body, request->keepalive_);
    if (!extracted.ok())
      return extracted.error();
    init_body = std::move(extracted->body);
    if (extracted->type.has_value() &&
        !request->headers_.Contains("Content-Type")) {
      JsStatus appended =
          request->headers_.Append("Content-Type", *extracted->type);
      if (!appended.ok())
        return appended.error();
    }
  }

  // Steps 39-40: a body whose source is null (a ReadableStream).
  std::optional<Body> input_or_init_body =
      init_body.has_value() ? init_body : input_body;
  if (input_or_init_body.has_value() && input_or_init_body->is_stream) {
    if (init_body.has_value() && !init.duplex.has_value()) {
      return MakeTypeError(
          "The `duplex` member must be specified for a request with a "
          "streaming body");
    }
    if (request->mode_ != RequestMode::kSameOrigin &&
        request->mode_ != RequestMode::kCors) {
      return MakeTypeError(
          "A streaming body requires mode 'same-origin' or 'cors'.");
    }
  }

  // Step 41: finalBody.
  std::shared_ptr<Request::BodyStream> final_stream;
  if (input_or_init_body.has_value())
    final_stream = std::make_shared<Request::BodyStream>();
  // Step 42: the new request takes `input`'s body through a proxy, which
  // reads (disturbs) `input`'s stream.
  if (!init_body.has_value() && input_body.has_value()) {
    if (input_request->unusable()) {
      return MakeTypeError(
          "Cannot construct a Request with a Request object that has already "
          "been used.");
    }
    input_request->body_stream_->disturbed = true;
  }
  // Step 43.
  request->body_ = std::move(input_or_init_body);
  request->body_stream_ = std::move(final_stream);
  return *std::move(request);
}

// Fetch: "total request length". Only a referrer that is a URL has a
// serialisation; a stream body (null length) counts 0.
uint64_t TotalRequestLength(const Request& request) {
  return net::TotalRequestLength(
      request.url().Serialize(/*exclude_fragment=*/true),
      request.referrer().kind == RequestReferrer::Kind::kUrl
          ? request.referrer().url->Serialize()
          : "",
      request.header_list(), request.body_length().value_or(0));
}

std::optional<net::Url> DetermineReferrerForRequest(
    const Request& request,
    const ClientContext& client) {
  net::ReferrerPolicy policy = request.referrer_policy();
  if (policy == net::ReferrerPolicy::kEmpty)
    policy = client.referrer_policy;
  switch (request.referrer().kind) {
    case RequestReferrer::Kind::kNoReferrer:
      return std::nullopt;
    case RequestReferrer::Kind::kClient:
      // Referrer Policy "determine request's referrer" step 3: an opaque
      // document origin sends no referrer.
      if (client.origin.opaque())
        return std::nullopt;
      return net::DetermineRequestReferrer(policy, client.url, request.url());
    case RequestReferrer::Kind::kUrl:
      return net::DetermineRequestReferrer(policy, *request.referrer().url,
                                           request.url());
  }
  return std::nullopt;
}

absl::string_view RequestModeName(RequestMode mode) {
  return EnumName(kRequestMode, mode);
}
absl::string_view CredentialsModeName(CredentialsMode mode) {
  return EnumName(kRequestCredentials, mode);
}
absl::string_view CacheModeName(CacheMode mode) {
  return EnumName(kRequestCache, mode);
}
absl::string_view RedirectModeName(RedirectMode mode) {
  return EnumName(kRequestRedirect, mode);
}

}  // namespace fetch_later::renderer
