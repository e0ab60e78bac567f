// The browser shell: runs a scenario through the real multi-process browser and
// a local HTTPS collector, and reports what happened.
//
//   bazel run //tools:shell                                  # the embedded
//   demo, readable bazel run //tools:shell -- --scenario=$PWD/examples/x.json
//   [--report=FILE] [--real-time] [--inspect]
//
// Each time a browser process starts, its internals page URL is printed (on
// stderr). --inspect keeps the browser running after the steps until Ctrl-C,
// so its internals page and debug socket show what the scenario left.
//
// With --scenario the JSON report (../shared/SCENARIOS.md) goes to stdout (or
// --report) and the readable account to stderr. Exit status: 0 every
// expectation held, 1 one did not (or a step could not run), 2 the scenario is
// invalid (the message names the step and field) or the browser could not
// start.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tools/scenario/report.h"
#include "tools/scenario/scenario_reader.h"
#include "tools/scenario_runner.h"
#include "tools/shell_default_scenario.h"

namespace fetch_later::tools {
namespace {

constexpr char kUsage[] =
    "usage: shell [--scenario=FILE.json|FILE.textproto] [--report=FILE] "
    "[--real-time] [--inspect]\n";

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) {
  g_interrupted = true;
}

int Main(int argc, char** argv) {
  std::string scenario_path, report_path;
  bool real_time = false, inspect = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--scenario=")) {
      scenario_path = arg.substr(strlen("--scenario="));
    } else if (absl::StartsWith(arg, "--report=")) {
      report_path = arg.substr(strlen("--report="));
    } else if (arg == "--real-time" || arg == "--real_time") {
      real_time = true;
    } else if (arg == "--inspect") {
      inspect = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "shell: unknown argument %s\n%s", arg.c_str(),
                   kUsage);
      return 2;
    }
  }

  absl::StatusOr<scenario::Scenario> parsed =
      scenario_path.empty()
          ? scenario::ParseScenario(kDefaultScenarioJson,
                                    scenario::ScenarioFormat::kJson)
          : scenario::ReadScenarioFile(scenario_path);
  if (!parsed.ok()) {
    std::fprintf(stderr, "shell: invalid scenario %s: %s\n",
                 scenario_path.c_str(),
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  absl::Status valid = scenario::ValidateScenario(*parsed);
  if (!valid.ok()) {
    std::fprintf(stderr, "shell: invalid scenario %s: %s\n",
                 scenario_path.c_str(), std::string(valid.message()).c_str());
    return 2;
  }

  std::vector<std::string> transcript;
  RunOptions options;
  options.real_time = real_time;
  options.scenario_path = scenario_path;
  options.transcript = &transcript;
  options.on_browser_started = [](const std::string& internals_url) {
    std::fprintf(stderr, "shell: browser internals page: %s\n",
                 internals_url.c_str());
  };
  if (inspect) {
    options.keep_browser_running =
        [&transcript](const std::string& internals_url) {
          for (const std::string& line : transcript)
            std::fprintf(stderr, "%s\n", line.c_str());
          transcript.clear();
          if (internals_url.empty()) {
            std::fprintf(stderr, "shell: --inspect: the browser is down\n");
            return;
          }
          std::fprintf(stderr,
                       "shell: --inspect: the browser keeps running; its "
                       "internals page is %s\nshell: Ctrl-C ends it\n",
                       internals_url.c_str());
          signal(SIGINT, OnInterrupt);
          while (!g_interrupted)
            absl::SleepFor(absl::Milliseconds(100));
          signal(SIGINT, SIG_DFL);
        };
  }
  absl::StatusOr<scenario::Report> report = RunScenario(*parsed, options);
  if (!report.ok()) {
    std::fprintf(stderr, "shell: %s\n", report.status().ToString().c_str());
    return 2;
  }
  const std::string json = scenario::ReportToJson(*report);
  const bool readable = scenario_path.empty() && report_path.empty();
  FILE* account = readable ? stdout : stderr;
  for (const std::string& line : transcript)
    std::fprintf(account, "%s\n", line.c_str());
  if (report->failures.empty()) {
    std::fprintf(
        account, "all %zu expectations held\n",
        static_cast<size_t>(parsed->expect_sent_size()) + report->steps.size());
  } else {
    for (const std::string& f : report->failures)
      std::fprintf(account, "FAILED: %s\n", f.c_str());
  }
  if (!report_path.empty()) {
    std::ofstream(report_path) << json << "\n";
  } else if (!readable) {
    std::fputs(json.c_str(), stdout);
    std::fputs("\n", stdout);
  }
  return report->failures.empty() ? 0 : 1;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
