// XHR: FormData, its entry list being the C++ model's FormDataEntry list.
#ifndef RENDERER_SCRIPT_FORM_DATA_BINDINGS_H_
#define RENDERER_SCRIPT_FORM_DATA_BINDINGS_H_

#include <vector>

#include "renderer/body.h"
#include "renderer/script/binding.h"

namespace fetch_later::renderer::script {

class FormDataWrappable : public ScriptWrappable {
 public:
  std::vector<FormDataEntry> entries;
};

}  // namespace fetch_later::renderer::script

#endif  // RENDERER_SCRIPT_FORM_DATA_BINDINGS_H_
