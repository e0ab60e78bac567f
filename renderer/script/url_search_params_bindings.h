// URL: URLSearchParams over a name-value list (serialised by the C++ Fetch
// model's SerializeUrlEncoded).
#ifndef RENDERER_SCRIPT_URL_SEARCH_PARAMS_BINDINGS_H_
#define RENDERER_SCRIPT_URL_SEARCH_PARAMS_BINDINGS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

using NameValueList = std::vector<std::pair<std::string, std::string>>;

class UrlSearchParamsWrappable : public ScriptWrappable {
 public:
  NameValueList list;
};

// URL: "application/x-www-form-urlencoded parser" (UTF-8 out).
NameValueList ParseUrlEncoded(absl::string_view input);

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_URL_SEARCH_PARAMS_BINDINGS_H_
