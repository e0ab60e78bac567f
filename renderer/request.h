// The renderer-side model of the Fetch API objects that fetchLater() sees:
// Headers, BodyInit, RequestInit/DeferredRequestInit, Request,
// AbortController/AbortSignal and FetchLaterResult, as a WebIDL binding would
// hand them to the method steps. Pure C++: no I/O, no IPC.
//
//   ClientContext client =
//       ClientContext::ForDocument(*net::Url::Parse("https://a.test/page"));
//   DeferredRequestInit init;
//   init.method = "post";
//   init.body = BodyInit::String("hello");
//   init.activate_after = 5000;
//   JsResult<ValidatedFetchLater> result =
//       ValidateFetchLater(RequestInfo("/beacon"), init, client);
//   if (!result.ok()) return result.error();   // e.g. TypeError
//   result->request.method();                  // "POST"
//   result->request.header_list();  // {{"Content-Type",
//                                   //   "text/plain;charset=UTF-8"}}
//   TotalRequestLength(result->request);       // 21 + 36 + 5
//
// ValidateFetchLater() implements fetchLater() method steps 1-9 (Fetch,
// "fetchLater(input, init)"); steps 10-16 (quota, queueing, the abort step)
// belong to the browser, reached through the IPC layer.
//
// Strings are byte sequences: URLs and string bodies are UTF-8, header names
// and values are what WebIDL's ByteString conversion produced. Errors are
// values (JsError), never exceptions. Nothing here is thread-safe; these
// objects live on the renderer main thread.
#ifndef RENDERER_REQUEST_H_
#define RENDERER_REQUEST_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "net/origin.h"
#include "net/referrer.h"
#include "net/url.h"

namespace fetch_later::renderer {

// ---------------------------------------------------------------------------
// Errors.

// The JavaScript exception a binding would throw. kTypeError and kRangeError
// are ECMAScript errors; the others are DOMException names.
enum class JsErrorType {
  kTypeError,
  kRangeError,
  kAbortError,
  kQuotaExceededError,
  kNotAllowedError,
  kSecurityError,
  kInvalidStateError,
};

struct JsError {
  JsErrorType type = JsErrorType::kTypeError;
  std::string message;
  // QuotaExceededError only (Fetch "fetchLater()" step 12): bytes available
  // and bytes requested.
  std::optional<uint64_t> quota;
  std::optional<uint64_t> requested;

  // "TypeError", "RangeError", "AbortError", "QuotaExceededError", ...
  absl::string_view name() const;
  // Whether this is a DOMException (everything but TypeError and RangeError).
  bool is_dom_exception() const;

  friend bool operator==(const JsError& a, const JsError& b) {
    return a.type == b.type && a.message == b.message && a.quota == b.quota &&
           a.requested == b.requested;
  }
};

JsError MakeTypeError(std::string message);
JsError MakeRangeError(std::string message);
JsError MakeAbortError(std::string message);

// A value or the JsError that the binding would throw.
template <typename T>
class JsResult {
 public:
  JsResult(T value) : value_(std::move(value)) {}        // NOLINT
  JsResult(JsError error) : value_(std::move(error)) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }
  // Must be !ok().
  const JsError& error() const { return std::get<JsError>(value_); }
  // Must be ok().
  const T& value() const& { return std::get<T>(value_); }
  T& value() & { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, JsError> value_;
};

// JsResult for steps that return nothing.
class JsStatus {
 public:
  JsStatus() = default;
  JsStatus(JsError error) : error_(std::move(error)) {}  // NOLINT
  bool ok() const { return !error_.has_value(); }
  // Must be !ok().
  const JsError& error() const { return *error_; }

 private:
  std::optional<JsError> error_;
};

// ---------------------------------------------------------------------------
// Headers.

// Fetch: "header list": (name, value) byte pairs in insertion order. Names
// keep the case they were first appended with and compare
// byte-case-insensitively.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The Fetch rules for header names and values, methods and forbidden request
// headers are net/fetch_header_rules.h (shared with the browser's re-check).

class Request;
class RequestInfo;
struct RequestInit;
struct ClientContext;

// The Fetch Headers object. Created by ConstructRequest() with guard
// kRequest (kRequestNoCors for mode "no-cors"), or by a caller with kNone to
// stand for `new Headers(init)`. A value type; copies are independent.
class Headers {
 public:
  // Fetch: "headers guard".
  enum class Guard { kNone, kRequest, kRequestNoCors, kImmutable };

  explicit Headers(Guard guard = Guard::kNone) : guard_(guard) {}

  Guard guard() const { return guard_; }
  const HeaderList& list() const { return list_; }

  // Fetch: Headers "append": normalises `value`, throws TypeError for an
  // invalid name or value (or guard "immutable"), silently ignores forbidden
  // request-headers under guard "request" (and non-safelisted ones under
  // "request-no-cors").
  JsStatus Append(absl::string_view name, absl::string_view value);
  // Fetch: Headers set(name, value).
  JsStatus Set(absl::string_view name, absl::string_view value);
  // Fetch: Headers delete(name).
  JsStatus Delete(absl::string_view name);
  // Fetch: Headers get(name): the values of every header named `name`,
  // combined with ", "; nullopt when there is none. TypeError for an invalid
  // name.
  JsResult<std::optional<std::string>> Get(absl::string_view name) const;
  // Fetch: Headers has(name).
  JsResult<bool> Has(absl::string_view name) const;
  // Fetch: Headers "fill" from a sequence or record (both given as ordered
  // pairs).
  JsStatus Fill(const HeaderList& init);

  // Fetch: header list "contains" (byte-case-insensitive).
  bool Contains(absl::string_view name) const;

 private:
  // The Request constructor sets the guard and copies an already-validated
  // header list.
  friend JsResult<Request> ConstructRequest(const RequestInfo& input,
                                            const RequestInit& init,
                                            const ClientContext& client);

  // Fetch: Headers "validate": false means "ignore this header".
  JsResult<bool> Validate(absl::string_view name,
                          absl::string_view value) const;
  void RemovePrivilegedNoCorsRequestHeaders();

  Guard guard_;
  HeaderList list_;
};

// ---------------------------------------------------------------------------
// Bodies.

// An entry of a FormData's "entry list" (XHR). A string entry has `value`; a
// file entry (a File, or a Blob appended to FormData, which becomes a File
// named "blob") has `value` as the file bytes plus `filename` and `type`.
struct FormDataEntry {
  static FormDataEntry String(std::string name, std::string value);
  static FormDataEntry File(std::string name,
                            std::string bytes,
                            std::string filename,
                            std::string type);

  std::string name;
  bool is_file = false;
  std::string value;
  std::string filename;
  std::string type;
};

// A BodyInit as the binding sees it (Fetch: "BodyInit unions"). kNone is an
// absent or null body.
struct BodyInit {
  enum class Kind {
    kNone,
    kString,           // USVString, given UTF-8 encoded.
    kBytes,            // BufferSource (ArrayBuffer, TypedArray, DataView).
    kBlob,             // Blob.
    kFile,             // File (a Blob with a name).
    kFormData,         // FormData.
    kUrlSearchParams,  // URLSearchParams.
    kStream,           // ReadableStream.
  };

  static BodyInit None();
  static BodyInit String(std::string utf8);
  static BodyInit Bytes(std::string bytes);
  // `type` as given to the Blob constructor; normalised as the File API does
  // (lower-cased; "" if it has a byte outside 0x20-0x7E).
  static BodyInit Blob(std::string bytes, std::string type = "");
  static BodyInit File(std::string bytes,
                       std::string name,
                       std::string type = "");
  static BodyInit FormData(std::vector<FormDataEntry> entries);
  static BodyInit UrlSearchParams(
      std::vector<std::pair<std::string, std::string>> list);
  static BodyInit Stream(bool disturbed_or_locked = false);

  Kind kind = Kind::kNone;
  // kString: UTF-8 text; kBytes/kBlob/kFile: the bytes.
  std::string data;
  // kBlob/kFile: the Blob's `type` attribute.
  std::string type;
  // kFile: the File's name (not sent in a plain body).
  std::string file_name;
  // kFormData: the entry list.
  std::vector<FormDataEntry> form_data;
  // kUrlSearchParams: the list.
  std::vector<std::pair<std::string, std::string>> url_search_params;
  // kStream: whether the stream is disturbed or locked.
  bool stream_disturbed_or_locked = false;

  // For testing only: the multipart/form-data boundary for kFormData. Empty
  // means a fresh random boundary.
  std::string boundary_for_testing;
};

// Fetch: "body". `length` is null for a ReadableStream body, whose bytes are
// not known (`source` is then empty and `is_stream` true).
struct Body {
  std::string source;
  std::optional<uint64_t> length;
  bool is_stream = false;
};

// Fetch: "body with type".
struct BodyWithType {
  Body body;
  std::optional<std::string> type;
};

// Fetch: BodyInit "extract" with `keepalive`. TypeError for a ReadableStream
// when `keepalive` is true or when it is disturbed or locked. `init` must not
// be kNone.
JsResult<BodyWithType> ExtractBody(const BodyInit& init, bool keepalive);

// HTML: "multipart/form-data encoding algorithm" (UTF-8) with `boundary`.
std::string EncodeMultipartFormData(const std::vector<FormDataEntry>& entries,
                                    absl::string_view boundary);
// HTML: a fresh "multipart/form-data boundary string".
std::string GenerateMultipartBoundary();
// URL: "application/x-www-form-urlencoded serializer".
std::string SerializeUrlEncoded(
    const std::vector<std::pair<std::string, std::string>>& list);

// ---------------------------------------------------------------------------
// Abort.

// DOM: AbortSignal. Created by AbortController, by ConstructRequest() (the
// Request's dependent signal) or by AbortSignal::Create(); shared by its
// holders (the controller, Request objects and whoever added an abort
// algorithm). Dependent signals are held weakly by their sources.
class AbortSignal {
 public:
  using AbortAlgorithm = std::function<void()>;

  static std::shared_ptr<AbortSignal> Create();
  // DOM: "create a dependent abort signal" from `signals`.
  static std::shared_ptr<AbortSignal> CreateDependent(
      const std::vector<std::shared_ptr<AbortSignal>>& signals);

  // Not copyable.
  AbortSignal(const AbortSignal&) = delete;
  AbortSignal& operator=(const AbortSignal&) = delete;

  bool aborted() const { return reason_.has_value(); }
  // DOM: "abort reason"; nullopt while not aborted.
  const std::optional<JsError>& reason() const { return reason_; }

  // DOM: AbortSignal "add": runs `algorithm` when the signal aborts. Does
  // nothing if already aborted.
  void AddAlgorithm(AbortAlgorithm algorithm);

  // DOM: "signal abort" with `reason` (default: an AbortError DOMException
  // "signal is aborted without reason"). Runs the abort algorithms in the
  // order they were added, then those of dependent signals. Does nothing if
  // already aborted.
  void Abort(std::optional<JsError> reason = std::nullopt);

 private:
  AbortSignal() = default;
  void RunAbortSteps();

  std::optional<JsError> reason_;
  std::vector<AbortAlgorithm> algorithms_;
  bool dependent_ = false;
  std::vector<std::weak_ptr<AbortSignal>> source_signals_;
  std::vector<std::weak_ptr<AbortSignal>> dependent_signals_;
};

// DOM: AbortController: owns a fresh signal.
class AbortController {
 public:
  AbortController() : signal_(AbortSignal::Create()) {}
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }
  // DOM: AbortController abort(reason).
  void Abort(std::optional<JsError> reason = std::nullopt) {
    signal_->Abort(std::move(reason));
  }

 private:
  std::shared_ptr<AbortSignal> signal_;
};

// ---------------------------------------------------------------------------
// Requests.

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

// Fetch: request "mode", "credentials mode", "priority".
enum class RequestMode { kSameOrigin, kNoCors, kCors, kNavigate };
enum class CredentialsMode { kOmit, kSameOrigin, kInclude };
enum class RequestPriority { kHigh, kLow, kAuto };

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
  std::optional<bool> keepalive;
  std::shared_ptr<AbortSignal> signal;  // null: absent or null
  std::optional<std::string> priority;  // RequestPriority
  std::optional<std::string> duplex;    // RequestDuplex ("half")

  // Fetch: "init is not empty" (any member present).
  bool IsEmpty() const;
};

// Fetch: DeferredRequestInit.
struct DeferredRequestInit : RequestInit {
  // DOMHighResTimeStamp, ms.
  std::optional<double> activate_after;
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
  bool keepalive() const { return keepalive_; }
  // The Request's own (dependent) signal; never null.
  const std::shared_ptr<AbortSignal>& signal() const { return signal_; }

 private:
  friend JsResult<Request> ConstructRequest(const RequestInfo& input,
                                            const RequestInit& init,
                                            const ClientContext& client);
  explicit Request(net::Url url) : url_(std::move(url)) {}

  std::string method_ = "GET";
  net::Url url_;
  Headers headers_{Headers::Guard::kRequest};
  std::optional<Body> body_;
  RequestReferrer referrer_;
  net::ReferrerPolicy referrer_policy_ = net::ReferrerPolicy::kEmpty;
  RequestMode mode_ = RequestMode::kNoCors;
  CredentialsMode credentials_ = CredentialsMode::kSameOrigin;
  RequestPriority priority_ = RequestPriority::kAuto;
  bool keepalive_ = false;
  std::shared_ptr<AbortSignal> signal_;
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

// Fetch: "new Request(input, init)" run in `client`'s realm, including the
// binding's conversion of `init`'s enum members. Returns the Request or the
// TypeError the constructor throws (URL parse failure, credentials, bad or
// forbidden method, body with GET/HEAD, ReadableStream with keepalive or
// without duplex, ...).
JsResult<Request> ConstructRequest(const RequestInfo& input,
                                   const RequestInit& init,
                                   const ClientContext& client);

// Fetch: "total request length": URL without fragment + the referrer when it
// is a URL + every header name and value + the body length (0 for none or a
// stream). The renderer uses it for diagnostics only; the browser recomputes
// it from what it receives.
uint64_t TotalRequestLength(const Request& request);

// The referrer a request would send, by Referrer Policy "determine request's
// referrer": "client" is `client`'s URL (no referrer for an opaque origin),
// an empty policy is `client`'s policy. nullopt: no referrer.
std::optional<net::Url> DetermineReferrerForRequest(
    const Request& request,
    const ClientContext& client);

// ---------------------------------------------------------------------------
// fetchLater().

// Fetch: FetchLaterResult. `activated` reads a flag that the IPC layer sets
// (Fetch "fetchLater()" step 14: the deferred record's notify-invoked step);
// script cannot write it.
class FetchLaterResult {
 public:
  // `activated` must not be null.
  explicit FetchLaterResult(std::shared_ptr<const std::atomic<bool>> activated)
      : activated_(std::move(activated)) {}

  // FetchLaterResult `activated` getter.
  bool activated() const { return activated_->load(); }

 private:
  std::shared_ptr<const std::atomic<bool>> activated_;
};

// What fetchLater() steps 1-9 produce for the browser's steps 10-16.
struct ValidatedFetchLater {
  // requestObject: its request and signal. Step 15 adds an abort step to
  // `request.signal()`; a dependent signal is held weakly by its sources, so
  // whoever adds that step keeps the shared_ptr.
  Request request;
  // Step 4: null or a non-negative DOMHighResTimeStamp in ms.
  std::optional<double> activate_after_ms;
};

// Fetch: fetchLater(input, init) method steps 1-9, in spec order (the first
// failing check wins), preceded by the binding's argument conversion (a
// missing `input` or a non-finite `activateAfter` is a TypeError).
//
//   1. Request construction errors (TypeError).
//   2. An aborted signal: its abort reason.
//   5. activateAfter < 0: RangeError.
//   6. The document is not fully active: TypeError.
//   7. The URL's scheme is not HTTP(S): TypeError.
//   8. The URL is not potentially trustworthy: TypeError.
//   9. A body with a null length (a stream): TypeError.
//
// Steps 10-16 (available quota, total request length, QuotaExceededError,
// queueing the deferred fetch, the abort step and the FetchLaterResult) are
// the browser's.
JsResult<ValidatedFetchLater> ValidateFetchLater(
    const std::optional<RequestInfo>& input,
    const DeferredRequestInit& init,
    const ClientContext& client);

}  // namespace fetch_later::renderer

#endif  // RENDERER_REQUEST_H_
