// The Fetch Response object as fetch() resolves it: the filtered response the
// browser handed over (its type, URL, status, headers with guard "immutable"
// and body), and the Body mixin's "consume body" that text(), json(),
// arrayBuffer() and bytes() run.
//
//   Response response(ResponseType::kCors, "https://b.test/r",
//                     /*redirected=*/false, 200, "OK",
//                     {{"Content-Type", "text/plain"}}, std::string("hi"));
//   response.ok();                 // true
//   response.ConsumeBody("text");  // "hi"; body_used() is true from now on
//   response.ConsumeBody("json");  // TypeError: the body is used
//
// Filtering (which headers, which body) is the browser's (the renderer is
// only told what script may see). Nothing here is thread-safe; these objects
// live on the renderer main thread.
#ifndef RENDERER_RESPONSE_H_
#define RENDERER_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "renderer/headers.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {

// Fetch: ResponseType ("basic", "cors", "default", "error", "opaque",
// "opaqueredirect"). fetch() resolves with basic, cors, opaque or
// opaqueredirect only.
enum class ResponseType {
  kBasic,
  kCors,
  kDefault,
  kError,
  kOpaque,
  kOpaqueRedirect,
};

// The IDL string of `type`.
absl::string_view ResponseTypeName(ResponseType type);

// A Response object: its response and its Headers. A value type.
class Response {
 public:
  // `url` is the response's URL serialised without its fragment ("" when its
  // URL list is empty); `body` nullopt for a null body.
  Response(ResponseType type,
           std::string url,
           bool redirected,
           uint16_t status,
           std::string status_text,
           HeaderList headers,
           std::optional<std::string> body);

  ResponseType type() const { return type_; }
  const std::string& url() const { return url_; }
  bool redirected() const { return redirected_; }
  uint16_t status() const { return status_; }
  // Fetch: Response `ok`: the status is an "ok status" (200 to 299).
  bool ok() const { return status_ >= 200 && status_ <= 299; }
  const std::string& status_text() const { return status_text_; }
  const Headers& headers() const { return headers_; }
  bool has_body() const { return body_.has_value(); }

  // Fetch: Body mixin `bodyUsed`: the body is non-null and its stream is
  // disturbed.
  bool body_used() const { return body_.has_value() && disturbed_; }

  // Fetch: Body mixin "consume body" up to "fully read body", for the Body
  // method `method` ("text", ...): TypeError when the body is unusable
  // (non-null and already disturbed); otherwise the body's bytes (none for a
  // null body), and a non-null body is disturbed from then on.
  JsResult<std::string> ConsumeBody(absl::string_view method);

 private:
  ResponseType type_;
  std::string url_;
  bool redirected_;
  uint16_t status_;
  std::string status_text_;
  Headers headers_;
  std::optional<std::string> body_;
  bool disturbed_ = false;
};

// Encoding: "UTF-8 decode" of `bytes` without the replacement: strips a
// leading byte order mark (what Body's text() and json() do before the JS
// string conversion, which replaces invalid sequences with U+FFFD).
absl::string_view StripUtf8ByteOrderMark(absl::string_view bytes);

}  // namespace fetch_later::renderer

#endif  // RENDERER_RESPONSE_H_
