#include "tools/scenario/scenario_reader.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tools/scenario/error_text.h"
#include "tools/scenario/json_scenario.h"
#include "tools/scenario/textproto_scenario.h"

namespace fetch_later::scenario {

absl::StatusOr<ScenarioFormat> ScenarioFormatForPath(absl::string_view path) {
  if (absl::EndsWith(path, ".json"))
    return ScenarioFormat::kJson;
  if (absl::EndsWith(path, ".textproto") || absl::EndsWith(path, ".txtpb"))
    return ScenarioFormat::kTextproto;
  return absl::InvalidArgumentError(
      absl::StrCat(path,
                   ": unknown scenario file extension (use .json, "
                   ".textproto or .txtpb)"));
}

absl::StatusOr<Scenario> ParseScenario(absl::string_view text,
                                       ScenarioFormat format) {
  switch (format) {
    case ScenarioFormat::kJson:
      return ParseJsonScenario(text);
    case ScenarioFormat::kTextproto:
      return ParseTextprotoScenario(text);
  }
  return absl::InvalidArgumentError("unknown scenario format");
}

absl::StatusOr<Scenario> ReadScenarioFile(const std::string& path) {
  absl::StatusOr<ScenarioFormat> format = ScenarioFormatForPath(path);
  if (!format.ok())
    return format.status();
  std::ifstream file(path, std::ios::binary);
  if (!file)
    return absl::NotFoundError(absl::StrCat(path, ": cannot be read"));
  std::stringstream contents;
  contents << file.rdbuf();
  absl::StatusOr<Scenario> scenario = ParseScenario(contents.str(), *format);
  if (!scenario.ok())
    return Prefixed(path, scenario.status());
  if (absl::Status s = ValidateScenario(*scenario); !s.ok())
    return Prefixed(path, s);
  // loadScript paths are relative to the scenario file: resolved here, once,
  // so every runner finds them; a file that cannot be read is the scenario's
  // error, reported before anything runs.
  const std::string::size_type slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : path.substr(0, slash + 1);
  for (int i = 0; i < scenario->steps_size(); ++i) {
    if (!scenario->steps(i).has_load_script())
      continue;
    LoadScript* load = scenario->mutable_steps(i)->mutable_load_script();
    std::string resolved = load->path();
    if (!absl::StartsWith(resolved, "/"))
      resolved = dir + resolved;
    if (!std::ifstream(resolved, std::ios::binary)) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": step ", i, " (loadScript): field \"path\": cannot read \"",
          resolved, "\""));
    }
    load->set_path(resolved);
  }
  return scenario;
}

}  // namespace fetch_later::scenario
