// Benchmark: what the renderer's sandbox costs, measured against the same
// browser with --no-sandbox in one run (both browsers running side by side,
// measurements alternating). Targets (issue):
//
//   - renderer start to first accepted fetchLater: with the sandbox at most
//     1.1x the time without. In a running browser: CreateTab, Navigate to a new
//     site (the browser launches a fresh renderer process, which enters its
//     namespaces, warms up, seals itself and opens its channel; the browser
//     then checks its /proc) and RunPageStep runScript("fetchLater('/x')")
//     until it reports OK. Then the renderer is crashed (its process killed),
//     outside the timing, so processes do not pile up.
//   - the fetchLater round trip (P1) unchanged: at most 1.05x. Measured inside
//     the renderer process, where the sandbox is: one page script times N
//     sequential fetchLater() calls (each a round trip stub -> browser ->
//     reply over the renderer's channel) with Date.now(), and reports the
//     mean per call; the tab is navigated again between samples for fresh
//     quota (outside the timing). The calls are GETs of
//     https://collector<i % 10>.test/b?i=<i>: ten origins of 64 KiB each keep
//     every call within quota.
//
// Both browsers run on the real clock with every host mapped to 127.0.0.1:1
// (nothing listens: nothing is sent while measuring; pending fetches fail at
// shutdown). Medians over the iterations; the order of the two browsers flips
// every iteration.
//
//   bazel run -c opt //tools:sandbox_bench -- [--iterations=N | --quick]
//   [--tsv]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "tools/bench_tsv.h"
#include "tools/browser_process.h"

namespace fetch_later::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kTimeoutMs = 20000;
constexpr int kRoundTripSamplesPerIteration = 4;
constexpr double kStartTarget = 1.10;
constexpr double kRoundTripTarget = 1.05;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// One browser under test and its tab for the round-trip samples.
struct Browser {
  const char* name;  // "sandbox" or "--no-sandbox"
  std::unique_ptr<BrowserProcess> process;
  int sites = 0;  // new sites used so far (one fresh renderer each)
  uint64_t round_trip_tab = 0;
};

absl::StatusOr<ipc::Frame> Navigate(BrowserProcess& browser,
                                    uint64_t tab,
                                    const std::string& url) {
  ipc::NavigateRequest request;
  request.set_navigable_id(tab);
  request.set_url(url);
  ipc::Frame frame;
  grpc::ClientContext context;
  grpc::Status s = browser.control().Navigate(&context, request, &frame);
  if (!s.ok())
    return absl::InternalError("Navigate: " + s.error_message());
  return frame;
}

// A new tab showing `url`; its id in `tab_out` when given.
absl::StatusOr<ipc::Frame> OpenTab(BrowserProcess& browser,
                                   const std::string& url,
                                   uint64_t* tab_out = nullptr) {
  ipc::CreateTabResponse tab;
  grpc::ClientContext context;
  grpc::Status s =
      browser.control().CreateTab(&context, ipc::CreateTabRequest(), &tab);
  if (!s.ok())
    return absl::InternalError("CreateTab: " + s.error_message());
  if (tab_out != nullptr)
    *tab_out = tab.navigable_id();
  return Navigate(browser, tab.navigable_id(), url);
}

// Runs `source` in the document until the step comes back (a fresh renderer
// may not have opened its channel yet: the browser then answers with an
// error, and the step is retried).
absl::StatusOr<ipc::StepResult> RunScript(BrowserProcess& browser,
                                          const std::string& document_token,
                                          const std::string& source) {
  ipc::RunPageStepRequest request;
  request.set_document_token(document_token);
  request.mutable_step()->mutable_run_script()->set_source(source);
  request.set_timeout_ms(kTimeoutMs);
  const auto deadline = Clock::now() + std::chrono::milliseconds(kTimeoutMs);
  std::string last;
  while (Clock::now() < deadline) {
    ipc::StepResult result;
    grpc::ClientContext context;
    grpc::Status s = browser.control().RunPageStep(&context, request, &result);
    if (s.ok())
      return result;
    last = s.error_message();
  }
  return absl::DeadlineExceededError("the script step never ran: " + last);
}

// Renderer start to first accepted fetchLater, in ms.
absl::StatusOr<double> MeasureRendererStart(Browser& browser) {
  const std::string url =
      absl::StrCat("https://start", browser.sites++, ".test/");
  const auto start = Clock::now();
  absl::StatusOr<ipc::Frame> frame = OpenTab(*browser.process, url);
  if (!frame.ok())
    return frame.status();
  absl::StatusOr<ipc::StepResult> result =
      RunScript(*browser.process, frame->document_token(), "fetchLater('/x')");
  if (!result.ok())
    return result.status();
  if (result->outcome() != ipc::JS_OK) {
    return absl::InternalError(
        absl::StrCat(browser.name, ": fetchLater outcome ",
                     ipc::JsOutcome_Name(result->outcome()), " ",
                     result->errors_size() ? result->errors(0).message() : ""));
  }
  const double ms = MsSince(start);
  // Outside the timing: the renderer goes (its process is killed).
  ipc::CrashRendererRequest crash;
  crash.set_document_token(frame->document_token());
  ipc::Empty empty;
  grpc::ClientContext context;
  browser.process->control().CrashRenderer(&context, crash, &empty);
  return ms;
}

// Mean us per fetchLater() round trip over `calls` sequential calls timed by
// the page itself.
absl::StatusOr<double> MeasureRoundTrip(Browser& browser, int calls) {
  absl::StatusOr<ipc::Frame> frame = Navigate(
      *browser.process, browser.round_trip_tab, "https://roundtrip.test/");
  if (!frame.ok())
    return frame.status();
  const std::string source = absl::StrCat(
      "const n = ", calls,
      ";\n"
      "const t0 = Date.now();\n"
      "for (let i = 0; i < n; i++)\n"
      "  fetchLater('https://collector' + (i % 10) + '.test/b?i=' + i);\n"
      "console.log(String(Date.now() - t0));\n");
  absl::StatusOr<ipc::StepResult> result =
      RunScript(*browser.process, frame->document_token(), source);
  if (!result.ok())
    return result.status();
  if (result->outcome() != ipc::JS_OK || result->console_size() != 1) {
    return absl::InternalError(absl::StrCat(
        browser.name,
        ": the timing script failed: ", ipc::JsOutcome_Name(result->outcome()),
        " ", result->errors_size() ? result->errors(0).message() : ""));
  }
  // "log: <ms>"
  const std::string line = result->console(0);
  double ms = 0;
  if (!absl::SimpleAtod(line.substr(line.find(' ') + 1), &ms))
    return absl::InternalError("unexpected console line: " + line);
  return ms * 1000 / calls;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

constexpr char kUsage[] =
    "usage: sandbox_bench [--iterations=N | --quick] [--tsv]\n"
    "  The renderer sandbox's cost: renderer start to first accepted "
    "fetchLater,\n"
    "  and the fetchLater round trip timed inside the renderer, with the "
    "sandbox\n"
    "  vs --no-sandbox, two browsers side by side, alternating.\n"
    "  --iterations=N  renderer starts of each (default 20), each with 4 "
    "interleaved\n"
    "                  round-trip samples of 500 calls\n"
    "  --quick         2 iterations, fewer calls: a smoke check\n"
    "  --control       both browsers sandboxed: the ratios then show the "
    "noise\n"
    "  --tsv           only the figure rows on stdout, for tools/bench\n";

int Main(int argc, char** argv) {
  int iterations = 20;
  int calls = 500;
  bool control = false;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strncmp(arg, "--iterations=", 13) == 0) {
      iterations = std::max(1, std::atoi(arg + 13));
    } else if (std::strcmp(arg, "--quick") == 0) {
      iterations = 2;
      calls = 100;
    } else if (std::strcmp(arg, "--control") == 0) {
      control = true;
    } else if (std::strcmp(arg, "--tsv") == 0) {
      bench_tsv::Begin();
    } else if (std::strcmp(arg, "--help") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "sandbox_bench: unknown argument %s\n%s", arg,
                   kUsage);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);

  BrowserProcess::Options options;
  options.browser_binary = RunfilesPath("browser/browser");
  options.virtual_time = false;
  options.host_resolver_rules = "MAP * 127.0.0.1:1";
  options.extra_flags = {"--shutdown_deadline_ms=2000"};
  if (access(options.browser_binary.c_str(), X_OK) != 0) {
    std::fprintf(stderr,
                 "sandbox_bench: %s is not executable (run it with bazel run, "
                 "or from its .runfiles)\n",
                 options.browser_binary.c_str());
    return 1;
  }
  Browser browsers[2] = {{"sandbox"},
                         {control ? "sandbox (2)" : "--no-sandbox"}};
  for (Browser& b : browsers) {
    BrowserProcess::Options o = options;
    if (std::string(b.name) == "--no-sandbox")
      o.extra_flags.push_back("--no-sandbox");
    absl::StatusOr<std::unique_ptr<BrowserProcess>> started =
        BrowserProcess::Start(o);
    if (!started.ok()) {
      std::fprintf(stderr, "sandbox_bench: %s: %s\n", b.name,
                   started.status().ToString().c_str());
      return 1;
    }
    b.process = std::move(*started);
    absl::StatusOr<ipc::Frame> frame =
        OpenTab(*b.process, "https://roundtrip.test/", &b.round_trip_tab);
    if (!frame.ok()) {
      std::fprintf(stderr, "sandbox_bench: %s\n",
                   frame.status().ToString().c_str());
      return 1;
    }
  }

#ifdef NDEBUG
  const char* build = "-c opt (NDEBUG)";
#else
  const char* build = "NOT -c opt: numbers are not meaningful";
#endif
  std::printf("sandbox: the renderer sandbox's cost, %s\n",
              control ? "CONTROL RUN: sandbox vs sandbox (the noise floor)"
                      : "sandbox vs --no-sandbox");
  std::printf(
      "machine: nproc %ld; build %s; %d renderer starts each after 1 "
      "warm-up; %d round-trip samples each of %d calls\n\n",
      sysconf(_SC_NPROCESSORS_ONLN), build, iterations,
      iterations * kRoundTripSamplesPerIteration, calls);

  std::vector<double> start_ms[2], round_trip_us[2];
  int exit_status = 0;
  auto failed = [&](const Browser& b, const absl::Status& s) {
    if (s.ok())
      return false;
    std::fprintf(stderr, "sandbox_bench: %s: %s\n", b.name,
                 s.ToString().c_str());
    exit_status = 1;
    return true;
  };
  // Short samples, interleaved: load that comes and goes on this small
  // machine falls on both sides alike.
  for (int i = -1; i < iterations && exit_status == 0; ++i) {
    for (int j = 0; j < 2 && exit_status == 0; ++j) {
      const int which = (i + j + 2) % 2;  // flips every iteration
      absl::StatusOr<double> start = MeasureRendererStart(browsers[which]);
      if (failed(browsers[which], start.status()))
        break;
      if (i >= 0)  // the first pass is the warm-up
        start_ms[which].push_back(*start);
    }
    for (int k = 0; k < kRoundTripSamplesPerIteration && exit_status == 0;
         ++k) {
      for (int j = 0; j < 2 && exit_status == 0; ++j) {
        const int which = (i + k + j + 2) % 2;
        absl::StatusOr<double> round_trip =
            MeasureRoundTrip(browsers[which], calls);
        if (failed(browsers[which], round_trip.status()))
          break;
        if (i >= 0)
          round_trip_us[which].push_back(*round_trip);
      }
    }
  }
  for (Browser& b : browsers)
    b.process->Terminate(kTimeoutMs);
  if (exit_status != 0)
    return exit_status;

  const double start_on = Median(start_ms[0]), start_off = Median(start_ms[1]);
  const double rt_on = Median(round_trip_us[0]),
               rt_off = Median(round_trip_us[1]);
  const double start_ratio = start_on / start_off;
  const double rt_ratio = rt_on / rt_off;
  std::printf("%-58s %12s %14s %7s %7s\n", "figure (median)", browsers[0].name,
              browsers[1].name, "ratio", "target");
  std::printf("%-58s %9.1f ms %11.1f ms %6.2fx %7s\n",
              "renderer start -> first fetchLater() accepted", start_on,
              start_off, start_ratio, "<=1.10x");
  std::printf("%-58s %9.1f us %11.1f us %6.2fx %7s\n",
              "fetchLater() round trip, timed in the renderer", rt_on, rt_off,
              rt_ratio, "<=1.05x");
  if (control)
    return 0;  // not figures: the noise
  bench_tsv::Row("renderer start -> first fetchLater OK, sandbox vs off",
                 bench_tsv::Fmt("%.1f ms", start_on),
                 bench_tsv::Fmt("%.1f ms", start_off),
                 bench_tsv::Fmt("%.2fx", start_ratio), "<= 1.1x",
                 bench_tsv::Verdict(start_ratio <= kStartTarget));
  bench_tsv::Row("fetchLater round trip (P1) in renderer, sandbox vs off",
                 bench_tsv::Fmt("%.1f us", rt_on),
                 bench_tsv::Fmt("%.1f us", rt_off),
                 bench_tsv::Fmt("%.2fx", rt_ratio), "<= 1.05x",
                 bench_tsv::Verdict(rt_ratio <= kRoundTripTarget));
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
