// The Fetch Request object as fetchLater() and fetch() see it:
// RequestInit (and retryOptions) as the binding converted it, the Request
// constructor ("new Request(input, init)"), the request's referrer, and
// "total request length".
//
//   ClientContext client =
//       ClientContext::ForDocument(*net::Url::Parse("https://a.test/page"));
//   RequestInit init;
//   init.method = "post";
//   init.body = BodyInit::String("hello");
//   JsResult<Request> request = ConstructRequest("/beacon", init, client);
//   if (!request.ok()) return request.error();   // e.g. TypeError
//   request->method();                            // "POST"
//   request->header_list();  // {{"Content-Type", "text/plain;charset=UTF-8"}}
//   TotalRequestLength(*request);                 // 21 + 36 + 5
//
// Strings are byte sequences: URLs and string bodies are UTF-8, header names
// and values are what WebIDL's ByteString conversion produced. Errors are
// values (JsError), never exceptions. Nothing here is thread-safe; these
// objects live on the renderer main thread.
#ifndef RENDERER_REQUEST_H_
#define RENDERER_REQUEST_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "net/origin.h"
#include "net/referrer.h"
#include "net/url.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/headers.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {

// The environment settings object of the calling document: what the Request
// constructor and fetchLater() read from "this's relevant settings object".
// Filled by the renderer's document; a small value.
struct ClientContext {
  // A document at `url` whose base URL is `url`, origin is `url`'s origin,
  // fully active, with the default referrer policy.
  static ClientContext ForDocument(const net::Url& url);

  // The document's URL (the referrer source for referrer "client").
  net::Url url;
  // "API base URL" (differs from `url` for e.g. about:blank iframes).
  net::Url base_url;
  // The settings object's origin.
  net::Origin origin;
  // HTML: whether the associated document is "fully active".
  bool fully_active = true;
  // The policy container's referrer policy.
  net::ReferrerPolicy referrer_policy = net::kDefaultReferrerPolicy;
  // HTML: "is a secure context" (the browser decides it: the document's URL
  // and those of its ancestors are potentially trustworthy).
  bool secure_context = true;
};

// Fetch: request "mode", "credentials mode", "priority", "cache mode",
// "redirect mode".
enum class RequestMode { kSameOrigin, kNoCors, kCors, kNavigate };
enum class CredentialsMode { kOmit, kSameOrigin, kInclude };
enum class RequestPriority { kHigh, kLow, kAuto };
enum class CacheMode {
  kDefault,
  kNoStore,
  kReload,
  kNoCache,
  kForceCache,
  kOnlyIfCached,
};
enum class RedirectMode { kFollow, kError, kManual };

// The IDL enum strings (RequestMode, RequestCredentials, RequestCache,
// RequestRedirect) of each value, as the Request getters return them.
absl::string_view RequestModeName(RequestMode mode);
absl::string_view CredentialsModeName(CredentialsMode mode);
absl::string_view CacheModeName(CacheMode mode);
absl::string_view RedirectModeName(RedirectMode mode);

// Fetch: request "referrer": "no-referrer", "client" or a URL.
struct RequestReferrer {
  enum class Kind { kNoReferrer, kClient, kUrl };
  Kind kind = Kind::kClient;
  std::optional<net::Url> url;  // kUrl only.

  // The Request `referrer` getter: "", "about:client" or the URL.
  std::string ToString() const;
};

// Fetch: RequestInit, the members fetchLater() uses. Enum-typed members are
// strings as script wrote them; the binding's enum conversion (TypeError for
// an unknown value) happens in ConstructRequest() before any other step.
struct RequestInit {
  std::optional<std::string> method;
  // A sequence<sequence<ByteString>> or record<ByteString, ByteString>, as
  // ordered pairs.
  std::optional<HeaderList> headers;
  BodyInit body;  // kNone: absent or null.
  std::optional<std::string> referrer;
  std::optional<std::string> referrer_policy;  // ReferrerPolicy
  std::optional<std::string> mode;             // RequestMode
  std::optional<std::string> credentials;      // RequestCredentials
  std::optional<std::string> cache;            // RequestCache
  std::optional<std::string> redirect;         // RequestRedirect
  std::optional<std::string> integrity;        // DOMString
  std::optional<bool> keepalive;
  std::shared_ptr<AbortSignal> signal;  // null: absent or null
  std::optional<std::string> priority;  // RequestPriority
  std::optional<std::string> duplex;    // RequestDuplex ("half")

  // Fetch: "init is not empty" (any member present).
  bool IsEmpty() const;
};

// `RequestInit.retryOptions` (fetch-retry explainer), as script passes it.
struct RetryOptionsInit {
  uint32_t max_attempts = 0;  // required; [EnforceRange] unsigned short
  std::optional<uint64_t> initial_delay_ms;
  std::optional<double> backoff_factor;
  std::optional<uint64_t> max_age_ms;
  bool retry_after_unload = false;
  bool retry_non_idempotent = false;
  bool retry_only_if_server_unreached = false;
};

// A Request object: its "request" plus its "headers" and "signal". Created by
// ConstructRequest(); a value (copies share the signal, as JS references to
// one Request object would).
class Request {
 public:
  const std::string& method() const { return method_; }
  const net::Url& url() const { return url_; }
  const Headers& headers() const { return headers_; }
  const HeaderList& header_list() const { return headers_.list(); }
  // Null for no body.
  const std::optional<Body>& body() const { return body_; }
  // The body bytes ("" for none or a stream).
  std::string body_bytes() const { return body_ ? body_->source : ""; }
  // The body length: 0 for no body, nullopt for a stream body.
  std::optional<uint64_t> body_length() const {
    return body_ ? body_->length : std::optional<uint64_t>(0);
  }
  const RequestReferrer& referrer() const { return referrer_; }
  net::ReferrerPolicy referrer_policy() const { return referrer_policy_; }
  RequestMode mode() const { return mode_; }
  CredentialsMode credentials() const { return credentials_; }
  RequestPriority priority() const { return priority_; }
  CacheMode cache() const { return cache_; }
  RedirectMode redirect() const { return redirect_; }
  const std::string& integrity() const { return integrity_; }
  bool keepalive() const { return keepalive_; }
  // The Request's own (dependent) signal; never null.
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }

  // Fetch: Body mixin "bodyUsed": the body is non-null and its stream is
  // disturbed (a Request built from this one took it, see ConstructRequest()).
  bool body_used() const { return body_stream_ && body_stream_->disturbed; }
  // Fetch: "unusable": the body is non-null and its stream is disturbed or
  // locked. (Only disturbance is tracked: a locked ReadableStream is refused
  // when the body is extracted.)
  bool unusable() const { return body_used(); }

 private:
  friend JsResult<Request> ConstructRequest(const RequestInfo& input,
                                            const RequestInit& init,
                                            const ClientContext& client);
  explicit Request(net::Url url) : url_(std::move(url)) {}

  // The state of the body's ReadableStream that the Fetch model observes. One
  // per body; copies of a Request share it, as JS references to one Request
  // object share its body.
  struct BodyStream {
    bool disturbed = false;
  };

  std::string method_ = "GET";
  net::Url url_;
  Headers headers_{Headers::Guard::kRequest};
  std::optional<Body> body_;
  RequestReferrer referrer_;
  net::ReferrerPolicy referrer_policy_ = net::ReferrerPolicy::kEmpty;
  RequestMode mode_ = RequestMode::kNoCors;
  CredentialsMode credentials_ = CredentialsMode::kSameOrigin;
  RequestPriority priority_ = RequestPriority::kAuto;
  CacheMode cache_ = CacheMode::kDefault;
  RedirectMode redirect_ = RedirectMode::kFollow;
  std::string integrity_;
  bool keepalive_ = false;
  std::shared_ptr<AbortSignal> signal_;
  // Null exactly when `body_` is.
  std::shared_ptr<BodyStream> body_stream_;
};

// Fetch: RequestInfo, a URL string or a Request object.
class RequestInfo {
 public:
  RequestInfo(std::string url) : value_(std::move(url)) {}      // NOLINT
  RequestInfo(const char* url) : value_(std::string(url)) {}    // NOLINT
  RequestInfo(Request request) : value_(std::move(request)) {}  // NOLINT

  const std::string* url() const { return std::get_if<std::string>(&value_); }
  const Request* request() const { return std::get_if<Request>(&value_); }

 private:
  std::variant<std::string, Request> value_;
};

// RequestInit's enum members converted from the strings script gave; a
// member that was absent stays nullopt. (`duplex` has the one value "half".)
struct RequestInitEnums {
  std::optional<CacheMode> cache;
  std::optional<CredentialsMode> credentials;
  std::optional<RequestMode> mode;
  std::optional<RequestPriority> priority;
  std::optional<RedirectMode> redirect;
  std::optional<net::ReferrerPolicy> referrer_policy;
};

// WebIDL: converting `init`'s enum members, in the order WebIDL converts
// dictionary members (lexicographic: cache, credentials, duplex, mode,
// priority, redirect, referrerPolicy). TypeError for a value that is not one
// of its enum's. ConstructRequest() runs it first; fetchLater() runs it
// before converting DeferredRequestInit's own member.
JsResult<RequestInitEnums> ConvertRequestInitEnums(const RequestInit& init);

// WebIDL: converting one enum-typed RequestInit member, `member` ("cache",
// "credentials", "duplex", "mode", "priority", "redirect" or
// "referrerPolicy"), whose string is `value`: the TypeError
// ConvertRequestInitEnums() would throw for it, or OK. A binding calls it as
// it reads each member, so that the first invalid member in dictionary order
// throws before later members are read.
JsStatus CheckRequestInitEnumMember(absl::string_view member,
                                    absl::string_view value);

// Fetch: "new Request(input, init)" run in `client`'s realm, including the
// binding's conversion of `init`'s enum members. Returns the Request or the
// TypeError the constructor throws (URL parse failure, credentials, mode
// "navigate", cache "only-if-cached" without mode "same-origin", bad or
// forbidden method, a method that is not CORS-safelisted in mode "no-cors",
// body with GET/HEAD, ReadableStream with keepalive or without duplex, an
// `input` Request whose body is already used, ...). When the new Request
// takes `input`'s body (no body in `init`), `input`'s body is disturbed from
// then on: its body_used() is true and a second ConstructRequest() from it
// throws ("creates a proxy" for the body).
JsResult<Request> ConstructRequest(const RequestInfo& input,
                                   const RequestInit& init,
                                   const ClientContext& client);

// Fetch: "total request length": URL without fragment + the referrer when it
// is a URL + every header name and value + the body length (0 for none or a
// stream), by net::TotalRequestLength(). The renderer sends it with each
// fetchLater() call; the browser computes it again from what it receives.
uint64_t TotalRequestLength(const Request& request);

// The referrer a request would send, by Referrer Policy "determine request's
// referrer": "client" is `client`'s URL (no referrer for an opaque origin),
// an empty policy is `client`'s policy. nullopt: no referrer.
std::optional<net::Url> DetermineReferrerForRequest(
    const Request& request,
    const ClientContext& client);

}  // namespace fetch_later::renderer

#endif  // RENDERER_REQUEST_H_
