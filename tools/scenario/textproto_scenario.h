// Scenario files in protobuf's text format, with errors placed the way the
// JSON reader places them: "step N (kind): line L, column C: ..." when the
// error is inside a step, "scenario: line L, column C: ..." otherwise, and
// protobuf's wording replaced where the JSON reader's differs ("unknown field
// \"x\"").
//
//   absl::StatusOr<Scenario> scenario = ParseTextprotoScenario(text);
//
// Pure functions.
#ifndef TOOLS_SCENARIO_TEXTPROTO_SCENARIO_H_
#define TOOLS_SCENARIO_TEXTPROTO_SCENARIO_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/scenario/scenario.pb.h"

namespace fetch_later::scenario {

// Parses `text` (text format) without validating it. Every error is
// InvalidArgument.
absl::StatusOr<Scenario> ParseTextprotoScenario(absl::string_view text);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_TEXTPROTO_SCENARIO_H_
