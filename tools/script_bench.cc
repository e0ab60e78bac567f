// Benchmark: what the JavaScript binding costs on the fetchLater() path,
// in-process (no gRPC, no browser), measured side by side in one run.
//
//   1. fetchLater(url, {method: 'POST', body: <100-byte string>,
//      activateAfter: 60000}) called N times from one JavaScript loop in a
//      DocumentScript, versus the same work called N times directly from C++
//      (the reference). Both sides end in the same ScriptDelegate::FetchLater
//      of this file: the real ValidateFetchLater (fetchLater() steps 1-9) and
//      a FetchLaterResult (no IPC); the C++ side passes an equivalent,
//      prebuilt RequestInfo and DeferredRequestInit. The difference is the
//      binding: argument conversion (the DeferredRequestInit dictionary, the
//      USVString body), the delegate's Client() read, and the
//      FetchLaterResult wrapper (plus the JS loop and the init object
//      literal the page allocates per call, and the GC of dropped wrappers).
//      Target: JS <= 3x C++. Also with a Headers init
//      (`headers: {'X-Trace': '1'}`), same target.
//   2. info: a script task's fixed cost (RunClassicScript("1"), microtask
//      checkpoint included) and the cost of creating a DocumentScript (a new
//      realm: global object, bindings, the JS prelude).
//   3. info: memory per FetchLaterResult kept alive from script (an array of
//      N results), versus the same array of N plain `{}` objects, in one
//      realm: process RSS delta per object (JavaScriptCore's heap, which does
//      not use glibc malloc, plus the C++ side) and the glibc heap delta per
//      object (mallinfo2: the C++ FetchLaterResult behind each wrapper). The
//      public JSC API gives no per-realm heap size here (DocumentScript does
//      not expose its context); RSS is coarse, hence info only.
//
// Each timing is the best of R runs of N calls (JS and C++ runs
// interleaved, after a warm-up run that lets JavaScriptCore tier up). The
// machine is small and noisy: read the ratios, not the absolute times.
//
//   bazel run -c opt //tools:script_bench [-- --calls=N --runs=R | --quick]
//       [--tsv]
//
// --quick: tiny N, a smoke check (numbers not meaningful); --tsv: only the
// figure rows for tools/bench on stdout (tools/bench_tsv.h), the tables on
// stderr.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/url.h"
#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/headers.h"
#include "renderer/js_error.h"
#include "renderer/request.h"
#include "renderer/script/document_script.h"
#include "tools/bench_tsv.h"

namespace fetch_later::renderer {
namespace {

namespace tsv = ::fetch_later::tools::bench_tsv;

constexpr char kPageUrl[] = "https://a.test/page";
constexpr char kBeaconUrl[] = "https://a.test/beacon";
constexpr int kBodyBytes = 100;
constexpr double kActivateAfterMs = 60000;

// The renderer's fetchLater() stub without its IPC: steps 1-9, then a
// FetchLaterResult whose `activated` flag nothing sets.
class BenchDelegate : public ScriptDelegate {
 public:
  BenchDelegate()
      : client_(ClientContext::ForDocument(*net::Url::Parse(kPageUrl))) {}

  JsResult<FetchLaterResult> FetchLater(
      const RequestInfo& input,
      const DeferredRequestInit& init,
      const std::optional<RetryOptionsInit>& /*retry*/) override {
    JsResult<ValidatedFetchLater> validated =
        ValidateFetchLater(input, init, client_);
    if (!validated.ok()) {
      ++rejected;
      last_error = validated.error().message;
      return validated.error();
    }
    ++accepted;
    body_bytes += validated->request.body_length().value_or(0);
    return FetchLaterResult(std::make_shared<std::atomic<bool>>(false));
  }

  // fetch() is not measured: the request is refused (its promise rejects).
  JsResult<uint64_t> Fetch(
      const Request& /*request*/,
      const std::optional<RetryOptionsInit>& /*retry*/) override {
    return MakeTypeError("script_bench: no network");
  }
  void AbortFetch(uint64_t /*fetch_id*/) override {}

  ClientContext Client() override { return client_; }
  std::vector<std::string> AllowedFeatures() override {
    return {"deferred-fetch"};
  }

  int64_t accepted = 0;
  int64_t rejected = 0;
  uint64_t body_bytes = 0;
  std::string last_error;

 private:
  ClientContext client_;
};

using Clock = std::chrono::steady_clock;

double NsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "script_bench: %s\n", what.c_str());
  std::exit(1);
}

// Runs `source` as a task; any uncaught error is a bench failure.
void RunOrDie(DocumentScript& script, const std::string& source) {
  ScriptRunResult r = script.RunClassicScript(source, "bench.js");
  if (!r.errors.empty())
    Fail("script error: " + r.errors.front().ToString());
}

std::string Body() {
  return std::string(kBodyBytes, 'x');
}

// The page: `calls` fetchLater() calls from one loop, results dropped.
std::string FetchLaterLoop(int calls, bool headers) {
  return absl::StrCat(
      "(() => {\n"
      "  const url = '",
      kBeaconUrl,
      "';\n"
      "  const body = 'x'.repeat(",
      kBodyBytes,
      ");\n"
      "  for (let i = 0; i < ",
      calls,
      "; ++i)\n"
      "    fetchLater(url, {method: 'POST', body, ",
      headers ? "headers: {'X-Trace': '1'}, " : "",
      "activateAfter: ", kActivateAfterMs,
      "});\n"
      "})();");
}

// ns per call of one run of `calls` calls from JS.
double RunJs(DocumentScript& script,
             BenchDelegate& delegate,
             const std::string& loop,
             int calls) {
  const int64_t before = delegate.accepted;
  const auto start = Clock::now();
  RunOrDie(script, loop);
  const double ns = NsSince(start);
  if (delegate.accepted - before != calls) {
    Fail(absl::StrCat("JS run: ", delegate.accepted - before, " of ", calls,
                      " fetchLater() calls accepted (", delegate.last_error,
                      ")"));
  }
  return ns / calls;
}

// ns per call of one run of `calls` calls from C++, through the delegate
// interface as the binding calls it.
double RunCpp(ScriptDelegate& delegate,
              const RequestInfo& input,
              const DeferredRequestInit& init,
              int calls) {
  int accepted = 0;
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    JsResult<FetchLaterResult> result =
        delegate.FetchLater(input, init, std::nullopt);
    accepted += result.ok();
  }
  const double ns = NsSince(start);
  if (accepted != calls)
    Fail(absl::StrCat("C++ run: ", accepted, " of ", calls, " accepted"));
  return ns / calls;
}

// The same, but each call first builds its RequestInfo and
// DeferredRequestInit from C++ strings (what any caller of the steps pays:
// the URL, method and 100-byte body copied into the init).
double RunCppBuildingInit(ScriptDelegate& delegate, bool headers, int calls) {
  int accepted = 0;
  const std::string url = kBeaconUrl;
  const std::string body = Body();
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) {
    const RequestInfo input(url);
    DeferredRequestInit init;
    init.method = "POST";
    init.body = BodyInit::String(body);
    init.activate_after = kActivateAfterMs;
    if (headers)
      init.headers = HeaderList{{"X-Trace", "1"}};
    JsResult<FetchLaterResult> result =
        delegate.FetchLater(input, init, std::nullopt);
    accepted += result.ok();
  }
  const double ns = NsSince(start);
  if (accepted != calls)
    Fail(absl::StrCat("C++ run: ", accepted, " of ", calls, " accepted"));
  return ns / calls;
}

struct Pair {
  double js_ns;
  double cpp_ns;
  // C++ building its init per call (info).
  double cpp_build_ns;
};

Pair MeasureCallCost(ScriptEngine& engine, bool headers, int calls, int runs) {
  BenchDelegate delegate;
  DocumentScript script(&engine, &delegate, DocumentScriptOptions{});
  const std::string loop = FetchLaterLoop(calls, headers);
  const RequestInfo input(kBeaconUrl);
  DeferredRequestInit init;
  init.method = "POST";
  init.body = BodyInit::String(Body());
  init.activate_after = kActivateAfterMs;
  if (headers)
    init.headers = HeaderList{{"X-Trace", "1"}};

  // Warm-up: JSC tiers the loop up; the heap reaches its working size.
  RunJs(script, delegate, loop, calls);
  RunCpp(delegate, input, init, calls);
  RunCppBuildingInit(delegate, headers, calls);
  Pair best{1e300, 1e300, 1e300};
  for (int r = 0; r < runs; ++r) {
    best.js_ns = std::min(best.js_ns, RunJs(script, delegate, loop, calls));
    best.cpp_ns = std::min(best.cpp_ns, RunCpp(delegate, input, init, calls));
    best.cpp_build_ns = std::min(best.cpp_build_ns,
                                 RunCppBuildingInit(delegate, headers, calls));
  }
  if (delegate.body_bytes !=
      static_cast<uint64_t>(delegate.accepted) * kBodyBytes) {
    Fail("the validated requests do not carry the 100-byte body");
  }
  return best;
}

// µs per trivial script task, best of `runs` runs of `tasks` tasks.
double MeasureTask(ScriptEngine& engine, int tasks, int runs) {
  BenchDelegate delegate;
  DocumentScript script(&engine, &delegate, DocumentScriptOptions{});
  RunOrDie(script, "1");
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    for (int i = 0; i < tasks; ++i)
      script.RunClassicScript("1", "bench.js");
    best = std::min(best, NsSince(start) / tasks / 1000);
  }
  return best;
}

// µs to create one DocumentScript (median of `count`); destruction not timed.
double MeasureRealmCreation(ScriptEngine& engine, int count) {
  BenchDelegate delegate;
  std::vector<double> us;
  for (int i = 0; i < count; ++i) {
    const auto start = Clock::now();
    auto script = std::make_unique<DocumentScript>(&engine, &delegate,
                                                   DocumentScriptOptions{});
    us.push_back(NsSince(start) / 1000);
    // A realm that failed to install its bindings reports it on each task.
    RunOrDie(*script, "1");
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

int64_t RssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (!f || std::fscanf(f, "%ld %ld", &size, &resident) != 2)
    Fail("cannot read /proc/self/statm");
  std::fclose(f);
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

int64_t MallocBytes() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks + mi.hblkhd);
}

struct Memory {
  double rss_per_result;
  double malloc_per_result;
  double rss_per_plain;
  double malloc_per_plain;
};

// Bytes per object kept alive from script: `count` FetchLaterResults in an
// array versus `count` plain objects in another, in one realm.
Memory MeasureMemory(ScriptEngine& engine, int count) {
  BenchDelegate delegate;
  DocumentScript script(&engine, &delegate, DocumentScriptOptions{});
  const std::string setup =
      absl::StrCat("globalThis.url = '", kBeaconUrl,
                   "';\n"
                   "globalThis.init = {method: 'POST', body: 'x'.repeat(",
                   kBodyBytes, "), activateAfter: ", kActivateAfterMs,
                   "};\n"
                   "globalThis.keep = (n, make) => {\n"
                   "  const a = new Array(n);\n"
                   "  for (let i = 0; i < n; ++i) a[i] = make();\n"
                   "  return a;\n"
                   "};\n"
                   "globalThis.makeResult = () => fetchLater(url, init);\n"
                   "globalThis.makePlain = () => ({});\n");
  RunOrDie(script, setup);
  // Warm-up: the same code paths with a few objects, dropped.
  RunOrDie(script, "keep(1000, makeResult); keep(1000, makePlain);");

  Memory m;
  int64_t rss = RssBytes(), heap = MallocBytes();
  RunOrDie(script,
           absl::StrCat("globalThis.plain = keep(", count, ", makePlain);"));
  m.rss_per_plain = static_cast<double>(RssBytes() - rss) / count;
  m.malloc_per_plain = static_cast<double>(MallocBytes() - heap) / count;

  const int64_t before = delegate.accepted;
  rss = RssBytes();
  heap = MallocBytes();
  RunOrDie(script,
           absl::StrCat("globalThis.results = keep(", count, ", makeResult);"));
  m.rss_per_result = static_cast<double>(RssBytes() - rss) / count;
  m.malloc_per_result = static_cast<double>(MallocBytes() - heap) / count;
  if (delegate.accepted - before != count)
    Fail("memory run: not every fetchLater() call was accepted");
  // Still reachable, and really FetchLaterResults.
  RunOrDie(script,
           "if (results.length !== plain.length || "
           "!(results[results.length - 1] instanceof FetchLaterResult) || "
           "results[0].activated !== false) throw new Error('bad results');");
  return m;
}

std::string Ns(double ns) {
  return tsv::Fmt("%.0f ns", ns);
}

int Main(int argc, char** argv) {
  int calls = 20000;
  int runs = 5;
  int tasks = 2000;
  int realms = 20;
  int kept = 100000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--calls=", 8) == 0) {
      calls = std::max(1, std::atoi(argv[i] + 8));
    } else if (std::strncmp(argv[i], "--runs=", 7) == 0) {
      runs = std::max(1, std::atoi(argv[i] + 7));
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      calls = 200;
      runs = 2;
      tasks = 50;
      realms = 3;
      kept = 2000;
    } else if (std::strcmp(argv[i], "--tsv") == 0) {
      tsv::Begin();
    } else {
      std::fprintf(stderr,
                   "usage: script_bench [--calls=N --runs=R | --quick] "
                   "[--tsv]\n");
      return 2;
    }
  }

  // A long watchdog: a full run's loop must not be terminated.
  ScriptEngine engine(ScriptEngineOptions{absl::Seconds(120)});

  // Memory first, while the process heap is still small (freed pages of
  // later phases would be reused and hide growth).
  const Memory mem = MeasureMemory(engine, kept);
  const Pair plain = MeasureCallCost(engine, /*headers=*/false, calls, runs);
  const Pair with_headers =
      MeasureCallCost(engine, /*headers=*/true, calls, runs);
  const double task_us = MeasureTask(engine, tasks, runs);
  const double realm_us = MeasureRealmCreation(engine, realms);

  std::printf(
      "fetchLater() binding cost, best of %d runs of %d calls (JS and C++ "
      "runs interleaved)\n\n",
      runs, calls);
  std::printf("%-44s %10s %10s %8s %8s %s\n", "figure", "from JS", "from C++",
              "ratio", "target", "");
  auto call_row = [&](const char* figure, const Pair& p) {
    const double ratio = p.js_ns / p.cpp_ns;
    const bool ok = ratio <= 3.0;
    std::printf("%-44s %7.0f ns %7.0f ns %7.2fx %8s %s\n", figure, p.js_ns,
                p.cpp_ns, ratio, "<= 3x", tsv::Verdict(ok));
    tsv::Row(figure, Ns(p.js_ns), Ns(p.cpp_ns) + " C++",
             tsv::Fmt("%.2fx", ratio), "<= 3x", tsv::Verdict(ok));
  };
  auto build_row = [&](const char* label, const char* figure, const Pair& p) {
    const double ratio = p.js_ns / p.cpp_build_ns;
    std::printf("  %-42s %7.0f ns %7.0f ns %7.2fx %8s %s\n", label, p.js_ns,
                p.cpp_build_ns, ratio, "-", "info");
    tsv::Row(figure, Ns(p.js_ns), Ns(p.cpp_build_ns) + " C++ + init",
             tsv::Fmt("%.2fx", ratio), "-", "info");
  };
  call_row("fetchLater() POST 100 B body, per call", plain);
  call_row("fetchLater() + headers init, per call", with_headers);
  std::printf("reference: C++ building its init per call\n");
  build_row("POST 100 B body",
            "fetchLater() POST 100 B body vs C++ building its init", plain);
  build_row("+ headers init", "fetchLater() + headers vs C++ building its init",
            with_headers);
  std::printf("binding overhead per call: %.0f ns (%.0f ns with headers)\n",
              plain.js_ns - plain.cpp_ns,
              with_headers.js_ns - with_headers.cpp_ns);

  std::printf("\nscript tasks (info)\n");
  std::printf("  %-54s %8.1f us\n",
              "trivial script task RunClassicScript(\"1\")", task_us);
  std::printf("  %-54s %8.1f us\n",
              "create a DocumentScript (realm + bindings + prelude)", realm_us);
  tsv::Row("trivial script task (\"1\" + microtask checkpoint)",
           tsv::Fmt("%.1f us", task_us), "-", "-", "-", "info");
  tsv::Row("DocumentScript creation (realm + prelude), median",
           tsv::Fmt("%.0f us", realm_us), tsv::Fmt("%.1f us task", task_us),
           tsv::Fmt("%.0fx", realm_us / task_us), "-", "info");

  std::printf(
      "\nmemory per object kept alive from script, %d in an array (info)\n",
      kept);
  std::printf("  %-40s %12s %12s\n", "", "RSS", "glibc heap");
  std::printf("  %-40s %10.0f B %10.0f B\n", "FetchLaterResult",
              mem.rss_per_result, mem.malloc_per_result);
  std::printf("  %-40s %10.0f B %10.0f B\n", "plain {} (reference)",
              mem.rss_per_plain, mem.malloc_per_plain);
  tsv::Row("RSS per kept FetchLaterResult",
           tsv::Fmt("%.0f B", mem.rss_per_result),
           tsv::Fmt("%.0f B plain {}", mem.rss_per_plain),
           mem.rss_per_plain > 0
               ? tsv::Fmt("%.2fx", mem.rss_per_result / mem.rss_per_plain)
               : std::string("-"),
           "-", "info");
  tsv::Row("glibc heap per kept FetchLaterResult",
           tsv::Fmt("%.0f B", mem.malloc_per_result),
           tsv::Fmt("%.0f B plain {}", mem.malloc_per_plain), "-", "-", "info");
  return 0;
}

}  // namespace
}  // namespace fetch_later::renderer

int main(int argc, char** argv) {
  return fetch_later::renderer::Main(argc, argv);
}
