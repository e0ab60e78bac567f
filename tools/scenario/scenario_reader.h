// Reading and validating scenario files (../shared/SCENARIOS.md).
//
//   absl::StatusOr<Scenario> scenario =
//       ReadScenarioFile("examples/wpt_send_multiple.json");
//   if (!scenario.ok()) {
//     // "examples/x.json: step 3 (fetchLater): unknown field \"bodyy\""
//     std::cerr << scenario.status().message() << "\n";
//     return 2;
//   }
//
// Every error is an absl::InvalidArgumentError (NotFoundError for a file that
// cannot be read) whose message says where: "scenario: ..." for the top level,
// "step N (kind): ..." for step N (0-based, like the report's "index"; `kind`
// is the action's JSON name, e.g. "fetchLater"), "expectSent[N]: ..." for an
// `expectSent` entry, followed by `field "name"` with the field's JSON name
// (a dotted path below the action, e.g. "body.size"). JSON syntax errors give
// "line L, column C"; text-format errors give both the step and the line.
#ifndef TOOLS_SCENARIO_SCENARIO_READER_H_
#define TOOLS_SCENARIO_SCENARIO_READER_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/scenario/error_text.h"  // StepKind()
#include "tools/scenario/scenario.pb.h"
#include "tools/scenario/scenario_validator.h"  // ValidateScenario()

namespace fetch_later::scenario {

enum class ScenarioFormat {
  kJson,       // protobuf's JSON mapping, lowerCamelCase field names only
  kTextproto,  // protobuf text format, snake_case field names
};

// ".json" -> kJson; ".textproto" or ".txtpb" -> kTextproto; anything else is an
// error naming `path`.
absl::StatusOr<ScenarioFormat> ScenarioFormatForPath(absl::string_view path);

// Parses `text` without validating it. JSON is strict: field names must be the
// JSON names (`responseHeaders`, not `response_headers`), enums must be given
// by name, `null` is refused, duplicate keys are an error, and integer fields
// take integral numbers (or, as protobuf's JSON mapping allows, decimal
// strings). Both formats refuse unknown fields and a step with more than one
// action.
absl::StatusOr<Scenario> ParseScenario(absl::string_view text,
                                       ScenarioFormat format);

// Reads the file at `path`, parses it in the format its extension names, and
// validates it. `loadScript.path`s are resolved against the file's directory
// (made absolute in the result) and must be readable. Error messages are
// prefixed with "`path`: ".
absl::StatusOr<Scenario> ReadScenarioFile(const std::string& path);

}  // namespace fetch_later::scenario

#endif  // TOOLS_SCENARIO_SCENARIO_READER_H_
