// The Fetch Headers object and its header list, as the WebIDL binding and the
// Request constructor see them: guards, value normalisation, the forbidden
// and no-CORS-safelisted request-header rules.
//
//   Headers headers(Headers::Guard::kRequest);
//   headers.Append("X-Trace", " 1 ");   // stored as ("X-Trace", "1")
//   headers.Append("Cookie", "a=b");    // forbidden: silently ignored
//   headers.Append("bad name", "v");    // TypeError
//
// The rules for header names and values, methods and forbidden request
// headers themselves are net/fetch_header_rules.h (shared with the browser's
// re-check). Nothing here is thread-safe; these objects live on the renderer
// main thread.
#ifndef RENDERER_HEADERS_H_
#define RENDERER_HEADERS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "renderer/js_error.h"

namespace fetch_later::renderer {

// Fetch: "header list": (name, value) byte pairs in insertion order. Names
// keep the case they were first appended with and compare
// byte-case-insensitively.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

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

  // Fetch: "create a Response object": its Headers with guard "immutable"
  // over the response's header list `list` (names and values as received).
  static Headers Immutable(HeaderList list) {
    Headers headers(Guard::kImmutable);
    headers.list_ = std::move(list);
    return headers;
  }

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

}  // namespace fetch_later::renderer

#endif  // RENDERER_HEADERS_H_
