#include "renderer/response.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace fetch_later::renderer {

absl::string_view ResponseTypeName(ResponseType type) {
  switch (type) {
    case ResponseType::kBasic:
      return "basic";
    case ResponseType::kCors:
      return "cors";
    case ResponseType::kDefault:
      return "default";
    case ResponseType::kError:
      return "error";
    case ResponseType::kOpaque:
      return "opaque";
    case ResponseType::kOpaqueRedirect:
      return "opaqueredirect";
  }
  return "default";
}

Response::Response(ResponseType type,
                   std::string url,
                   bool redirected,
                   uint16_t status,
                   std::string status_text,
                   HeaderList headers,
                   std::optional<std::string> body)
    : type_(type),
      url_(std::move(url)),
      redirected_(redirected),
      status_(status),
      status_text_(std::move(status_text)),
      headers_(Headers::Immutable(std::move(headers))),
      body_(std::move(body)) {}

JsResult<std::string> Response::ConsumeBody(absl::string_view method) {
  // Fetch: "consume body" step 1: "If object is unusable, then return a
  // promise rejected with a TypeError."
  if (body_used()) {
    return MakeTypeError(absl::StrCat("Failed to execute '", method,
                                      "' on 'Response': body stream already "
                                      "read"));
  }
  // Step 5: a null body is an empty byte sequence.
  if (!body_)
    return std::string();
  // Step 6: "fully read body" disturbs the stream.
  disturbed_ = true;
  return *body_;
}

absl::string_view StripUtf8ByteOrderMark(absl::string_view bytes) {
  if (absl::StartsWith(bytes, "\xEF\xBB\xBF"))
    bytes.remove_prefix(3);
  return bytes;
}

}  // namespace fetch_later::renderer
