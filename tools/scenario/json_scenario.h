// Scenario files in protobuf's JSON mapping, read strictly and with errors
// that name the step and the field: each value is checked against the field
// it sets before protobuf's own JSON parser (whose messages say neither) sees
// the step.
//
//   absl::StatusOr<Scenario> scenario = ParseJsonScenario(text);
//   // e.g. "step 3 (fetchLater): unknown field \"bodyy\""
//
// The rules (field names are the JSON names only, enums by name, no null, no
// duplicate keys, integers whole and in range) are scenario_reader.h's
// ParseScenario() contract. Pure functions.
#ifndef TOOLS_SCENARIO_JSON_SCENARIO_H_
#define TOOLS_SCENARIO_JSON_SCENARIO_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/scenario/scenario.pb.h"

namespace fetch_later::scenario {

// Parses `text` (JSON) without validating it. Every error is InvalidArgument.
absl::StatusOr<Scenario> ParseJsonScenario(absl::string_view text);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_JSON_SCENARIO_H_
