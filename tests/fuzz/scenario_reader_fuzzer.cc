// libFuzzer target: the scenario reader (tools/scenario/scenario_reader.h),
// JSON and textproto. First byte: bit 0 picks the format; the rest is the file
// text. Whatever parses is validated; every error must be InvalidArgument with
// a message (never a crash).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/scenario/scenario_reader.h"

namespace sc = fetch_later::scenario;

namespace {
void CheckError(const absl::Status& s, const char* where) {
  if (s.ok())
    return;
  if (s.code() != absl::StatusCode::kInvalidArgument || s.message().empty()) {
    std::fprintf(stderr, "INVARIANT VIOLATED: %s error is not InvalidArgument: %s\n",
                 where, s.ToString().c_str());
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fetch_later::fuzz::FuzzInput in(data, size);
  const sc::ScenarioFormat format =
      (in.Byte() & 1) ? sc::ScenarioFormat::kTextproto : sc::ScenarioFormat::kJson;
  const std::string text = in.Rest();
  absl::StatusOr<sc::Scenario> scenario = sc::ParseScenario(text, format);
  CheckError(scenario.status(), "ParseScenario");
  if (!scenario.ok())
    return 0;
  CheckError(sc::ValidateScenario(*scenario), "ValidateScenario");
  for (const auto& step : scenario->steps())
    (void)sc::StepKind(step);
  return 0;
}
