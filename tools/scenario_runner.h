// ScenarioRunner: runs a scenario (../shared/SCENARIOS.md) against the real
// multi-process browser: it starts a local HTTPS collector with a test CA of
// its own, starts the `browser` binary (which launches a renderer process per
// site) trusting that CA and resolving every host to the collector, turns each
// step into control calls and page steps, drains the network stage, and builds
// the report from what the collector received.
//
// One runner per run: each Run() gets a fresh browser and collector. Used by
// the shell (tools/shell.cc) and by the examples test.
#ifndef TOOLS_SCENARIO_RUNNER_H_
#define TOOLS_SCENARIO_RUNNER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/scenario/report.h"
#include "tools/scenario/scenario.pb.h"

namespace fetch_later::tools {

struct RunOptions {
  // Wall-clock time: `advanceTime` sleeps instead of moving a virtual clock.
  bool real_time = false;
  // The `browser` executable; default: from the runfiles.
  std::string browser_binary;
  // The scenario's file, if it came from one: inline scripts are named
  // "<its base name>#step<index>" in errors (else "scenario#step<index>").
  std::string scenario_path;
  // Appends a readable account (frames, calls, arrivals) to `transcript` when
  // set.
  std::vector<std::string>* transcript = nullptr;
  // Called each time a browser process has started (`internals_url`: its
  // internals page, with the access token).
  std::function<void(const std::string& internals_url)> on_browser_started;
  // When set, called after the report is built and before the browser is
  // ended (its internals page URL, "" when the browser is down): the shell's
  // --inspect returns from it on Ctrl-C.
  std::function<void(const std::string& internals_url)> keep_browser_running;
};

// Runs a validated scenario. An error status means the run itself could not
// proceed (the browser did not start); unmet expectations are in the report's
// failures.
absl::StatusOr<scenario::Report> RunScenario(const scenario::Scenario& scenario,
                                             const RunOptions& options);

}  // namespace fetch_later::tools

#endif  // TOOLS_SCENARIO_RUNNER_H_
