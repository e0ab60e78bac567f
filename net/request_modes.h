// Fetch's request modes that decide how a request is sent (main fetch, HTTP
// fetch, HTTP-redirect fetch), shared by the renderer's Request model, the
// browser's re-validation and the network stage. Plain enums: the IPC layer
// (ipc/fetch_types.proto) converts at its boundary.
#ifndef NET_REQUEST_MODES_H_
#define NET_REQUEST_MODES_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace fetch_later::net {

// Fetch: request's "mode". "navigate" and "websocket" are never a deferred
// fetch's (the Request constructor turns "navigate" into a TypeError).
enum class RequestMode : uint8_t {
  kCors,        // "cors": the default for a Request built from a URL
  kNoCors,      // "no-cors"
  kSameOrigin,  // "same-origin"
};

// Fetch: request's "credentials mode".
enum class CredentialsMode : uint8_t {
  kSameOrigin,  // "same-origin": the default
  kOmit,        // "omit"
  kInclude,     // "include"
};

// Fetch: request's "redirect mode".
enum class RedirectMode : uint8_t {
  kFollow,  // "follow": the default
  kError,   // "error"
  kManual,  // "manual"
};

// Fetch: request's "response tainting" when its response came: which filtered
// response its caller may see ("basic", "cors" or "opaque").
enum class ResponseTainting : uint8_t {
  kBasic,   // "basic": a same-origin request never redirected cross-origin
  kCors,    // "cors": the response passed the CORS check
  kOpaque,  // "opaque": a "no-cors" request to another origin
};

// The IDL enum strings ("cors", "no-cors", ...), and back; nullopt for any
// other string (WebIDL: a TypeError).
absl::string_view RequestModeName(RequestMode mode);
absl::string_view CredentialsModeName(CredentialsMode mode);
absl::string_view RedirectModeName(RedirectMode mode);
std::optional<RequestMode> ParseRequestMode(absl::string_view name);
std::optional<CredentialsMode> ParseCredentialsMode(absl::string_view name);
std::optional<RedirectMode> ParseRedirectMode(absl::string_view name);

}  // namespace fetch_later::net

#endif  // NET_REQUEST_MODES_H_
