#include "tools/scenario/error_text.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/descriptor.h"

namespace fetch_later::scenario {
namespace {

constexpr size_t kMaxQuotedValue = 60;

}  // namespace

std::string StepKind(const Step& step) {
  if (step.action_case() == Step::ACTION_NOT_SET)
    return "";
  return Step::descriptor()->FindFieldByNumber(step.action_case())->json_name();
}

std::string StepPrefix(int index, absl::string_view kind) {
  return kind.empty() ? absl::StrCat("step ", index)
                      : absl::StrCat("step ", index, " (", kind, ")");
}

std::string ActionNames() {
  const google::protobuf::OneofDescriptor* action =
      Step::descriptor()->FindOneofByName("action");
  std::vector<std::string> names;
  for (int i = 0; i < action->field_count(); ++i)
    names.push_back(action->field(i)->json_name());
  return absl::StrJoin(names, ", ");
}

std::string QuoteForMessage(absl::string_view s) {
  if (s.size() > kMaxQuotedValue)
    return absl::StrCat("\"", s.substr(0, kMaxQuotedValue), "...\"");
  return absl::StrCat("\"", s, "\"");
}

absl::Status Prefixed(absl::string_view prefix, const absl::Status& status) {
  return absl::Status(status.code(),
                      absl::StrCat(prefix, ": ", status.message()));
}

}  // namespace fetch_later::scenario
