// Benchmark: what CORS preflights cost a flush burst. A tab on https://a.test/
// with 1,000 pending deferred POSTs to one collector URL on each of 4
// cross-origin hosts (https://o<k>.test/collect, k = N mod 4) is closed, and
// the time until the network stage has delivered all 1,000 (every response
// read: HttpsNetworkStage::WaitForIdle) is measured twice in the same run:
//
//   json:  `Content-Type: application/json`: not CORS-safelisted, so each
//          request needs a preflight (OPTIONS) that the collector's default
//          answer allows;
//   plain: `Content-Type: text/plain`: CORS-safelisted, no preflight.
//
// Target (issue): json <= 1.15x plain, because the stage's CORS-preflight
// cache, and requests that wait for the preflight already in flight for the
// same key, make it one preflight per URL rather than one per beacon. The
// preflights the collector saw are counted and printed (4 expected per run:
// one per URL).
//
// Each run is cold: a new stage (new TLS context, no pooled connection, an
// empty preflight cache) and a new BrowserCore, against one in-process
// HttpsTestServer (TLS session resumption off). Runs alternate json/plain
// after one warm-up pair; medians over the runs are compared.
//
//   bazel run -c opt //tools:preflight_bench [-- --runs=N | --quick] [--tsv]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/deferred_request.h"
#include "net/clock.h"
#include "net/https_network_stage.h"
#include "net/testing/https_test_server.h"
#include "net/url.h"
#include "tools/bench_tsv.h"

namespace fetch_later::tools {
namespace {

using net::testing::HttpsTestServer;
using net::testing::RecordedRequest;
using net::testing::TestCertificateAuthority;

constexpr int kRequests = 1000;
constexpr int kOrigins = 4;
constexpr char kPageUrl[] = "https://a.test/";
constexpr absl::Duration kTimeout = absl::Seconds(60);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "preflight_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string Url(int i) {
  return absl::StrCat("https://o", i % kOrigins, ".test/collect");
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct RunResult {
  double ms = 0;
  int posts = 0;
  int preflights = 0;
};

// One cold run: queue 1,000 POSTs with `content_type`, close the tab, wait
// until the stage has delivered them all.
RunResult RunOnce(const TestCertificateAuthority& ca,
                  HttpsTestServer& server,
                  const char* content_type) {
  net::RealClock clock;
  net::HttpsNetworkStage::Options options;
  options.ca_pem = ca.root_pem();
  options.host_resolver_rules = absl::StrCat("MAP * 127.0.0.1:", server.port());
  options.clock = &clock;
  auto stage = net::HttpsNetworkStage::Create(std::move(options));
  if (!stage.ok())
    Die(std::string(stage.status().message()));
  auto core = std::make_unique<browser::BrowserCore>(
      browser::BrowserCore::Options{stage->get(), &clock});
  const browser::NavigableId tab = core->CreateTab();
  browser::NavigationParams nav{*net::Url::Parse(kPageUrl)};
  nav.permissions_policy = "deferred-fetch-minimal=()";
  auto committed = core->Navigate(tab, nav);
  if (!committed.ok())
    Die(std::string(committed.status().message()));
  for (int i = 0; i < kRequests; ++i) {
    browser::DeferredRequest request{"POST", *net::Url::Parse(Url(i))};
    request.headers = {{"Content-Type", content_type}};
    request.body = absl::StrCat("{\"i\":", i, "}");
    request.body_length = request.body.size();
    auto decision = core->frame_tree().QueueDeferredFetch(
        committed->document, std::move(request), std::nullopt);
    if (!decision.ok() ||
        decision->outcome != browser::FetchLaterOutcome::kQueued) {
      Die(absl::StrCat("request ", i, " was not queued"));
    }
  }
  const size_t first_request = server.request_count();
  const auto start = std::chrono::steady_clock::now();
  if (!core->CloseTab(tab).ok())
    Die("CloseTab failed");
  if (!(*stage)->WaitForIdle(kTimeout))
    Die("the stage did not become idle");
  RunResult result;
  result.ms = std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - start)
                  .count();
  std::vector<RecordedRequest> requests = server.requests();
  for (size_t i = first_request; i < requests.size(); ++i) {
    if (requests[i].method == "OPTIONS")
      ++result.preflights;
    else if (requests[i].method == "POST")
      ++result.posts;
  }
  if (result.posts != kRequests) {
    Die(absl::StrCat(content_type, ": the collector got ", result.posts,
                     " POSTs, expected ", kRequests,
                     " (blocked: ", (*stage)->blocked().size(), ")"));
  }
  core.reset();  // before the stage it points to
  stage->reset();
  return result;
}

void Settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

int Main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      runs = 1;
    } else if (arg == "--tsv") {
      bench_tsv::Begin();
    } else if (absl::StartsWith(arg, "--runs=")) {
      if (!absl::SimpleAtoi(arg.substr(7), &runs) || runs < 1)
        Die("--runs=N needs N >= 1");
    } else {
      Die(absl::StrCat("unknown argument ", arg));
    }
  }
  auto ca = TestCertificateAuthority::Create();
  if (!ca.ok())
    Die(std::string(ca.status().message()));
  HttpsTestServer server(ca->get());
  if (absl::Status started = server.Start(); !started.ok())
    Die(std::string(started.message()));

  std::printf(
      "%d deferred POSTs to one URL on each of %d cross-origin hosts, "
      "flushed by closing the tab; %d runs after a warm-up pair\n\n",
      kRequests, kOrigins, runs);
  RunOnce(**ca, server, "application/json");
  Settle();
  RunOnce(**ca, server, "text/plain");
  std::printf("%-3s | %10s %10s | %10s | %6s\n", "run", "json ms", "plain ms",
              "preflights", "ratio");
  std::vector<double> json_ms, plain_ms;
  int preflights_min = 1 << 30, preflights_max = 0, plain_preflights = 0;
  for (int r = 0; r < runs; ++r) {
    Settle();
    RunResult j = RunOnce(**ca, server, "application/json");
    Settle();
    RunResult p = RunOnce(**ca, server, "text/plain");
    json_ms.push_back(j.ms);
    plain_ms.push_back(p.ms);
    preflights_min = std::min(preflights_min, j.preflights);
    preflights_max = std::max(preflights_max, j.preflights);
    plain_preflights += p.preflights;
    std::printf("%-3d | %10.1f %10.1f | %10d | %5.2fx\n", r + 1, j.ms, p.ms,
                j.preflights, j.ms / p.ms);
  }
  const double jm = Median(json_ms), pm = Median(plain_ms);
  std::printf(
      "\nmedian: json %.1f ms, plain %.1f ms, ratio %.2fx (target <= "
      "1.15x: %s)\n",
      jm, pm, jm / pm, jm / pm <= 1.15 ? "ok" : "OVER");
  std::printf(
      "preflights seen by the collector per json run: %d..%d (%d "
      "URLs); per plain run: %d\n",
      preflights_min, preflights_max, kOrigins, plain_preflights / runs);

  auto ms = [](double v) { return bench_tsv::Fmt("%.1f ms", v); };
  bench_tsv::Row("1,000 JSON POSTs (preflight) vs text/plain", ms(jm), ms(pm),
                 bench_tsv::Fmt("%.2fx", jm / pm), "<= 1.15x",
                 bench_tsv::Verdict(jm / pm <= 1.15));
  bench_tsv::Row("  preflights per run (4 URLs)",
                 bench_tsv::Fmt("%d..%d", preflights_min, preflights_max),
                 bench_tsv::Fmt("%d", kOrigins), "-", "-",
                 preflights_max <= kOrigins ? "info" : "OVER");
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
