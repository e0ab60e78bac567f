// The words every scenario error and report message uses to say where it is:
// "step 3 (fetchLater)", the list of action names, a quoted value cut to a
// readable length, and a status with such a prefix.
//
//   StepPrefix(3, StepKind(step));     // "step 3 (fetchLater)"
//   Prefixed("expectSent[0]", status); // "expectSent[0]: <status message>"
//   QuoteForMessage("a b");            // "\"a b\"" (longer: 60 bytes + ...)
#ifndef TOOLS_SCENARIO_ERROR_TEXT_H_
#define TOOLS_SCENARIO_ERROR_TEXT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tools/scenario/scenario.pb.h"

namespace fetch_later::scenario {

// The JSON name of `step`'s action ("fetchLater"), or "" when none is set.
std::string StepKind(const Step& step);

// "step `index`" or, with a `kind`, "step `index` (`kind`)".
std::string StepPrefix(int index, absl::string_view kind);

// The JSON names of every action, in the proto's order, comma-separated.
std::string ActionNames();

// `s` in double quotes, cut after 60 bytes (with "...").
std::string QuoteForMessage(absl::string_view s);

// `status` with its message prefixed by "`prefix`: " (same code).
absl::Status Prefixed(absl::string_view prefix, const absl::Status& status);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_ERROR_TEXT_H_
