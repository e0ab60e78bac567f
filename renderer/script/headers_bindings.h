// Fetch: the Headers interface over the C++ Headers (guards, validation and
// normalisation are the model's).
#ifndef RENDERER_SCRIPT_HEADERS_BINDINGS_H_
#define RENDERER_SCRIPT_HEADERS_BINDINGS_H_

#include "renderer/headers.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class HeadersWrappable : public ScriptWrappable {
 public:
  explicit HeadersWrappable(Headers headers) : headers(std::move(headers)) {}
  Headers headers;
};

// Fetch: "sort and combine" (what iteration yields): lower-cased names in
// byte order, values combined, each Set-Cookie separately.
HeaderList SortAndCombine(const Headers& headers);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_HEADERS_BINDINGS_H_
