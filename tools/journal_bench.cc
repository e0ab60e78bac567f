// Benchmark: deferred fetches that survive the browser's exit and crash (the
// journal, README "Deferred fetches survive the browser's exit and crash"),
// and what the journal costs. Every figure is measured in one run, with its
// reference measured in the same run:
//
//   P8 exit     one tab with 3,000 pending deferred fetches (GETs to 10
//               origins, queued by a page script), then
//                 (a) SIGTERM: how many arrive, and the last one's arrival
//                     after the signal (target: 3,000, within 2 s);
//                 (b) SIGKILL, then a new browser on the same profile: how
//                     many arrive (minus in-flight non-idempotent drops,
//                     counted), the last one's arrival after the restart's
//                     spawn (target: 3,000, within 2 s);
//                 (c) the same page in Debian's Chromium (headless, over the
//                     DevTools protocol, hosts mapped to the same collector,
//                     its certificate errors ignored: the collector's test CA
//                     is not in Chromium's store): how many arrive when it
//                     exits (SIGTERM).
//   P7 close    one beacon, then the tab closes; from the close to the
//               beacon's arrival at the collector, loopback HTTPS, real time
//               and real processes, with the journal on; cold (a host never
//               contacted: TCP + TLS in the measurement) and warm (a host
//               just fetched from, its connection kept alive) separately;
//               the same in Chromium (Page.close). Targets: median <= 3 ms
//               warm, <= 6 ms cold, p99 <= 15 ms; ratio to Chromium's median
//               (goal <= 0.1x).
//   Journal     (a) the fetchLater round trip (RendererConnection::FetchLater
//   cost            -> the browser's renderer socket -> QUEUED) with the
//                   journal on vs off, two in-process browsers alternating
//                   blocks (target: <= 1.1x at p50 and p99), and vs a bare
//                   gRPC echo of the same size on a third server (<= 1.3x);
//               (b) browser start (spawn) to the first accepted fetchLater
//                   with 10,000 journaled records vs an empty journal
//                   (target: <= 1.5x; the records go to a port where nothing
//                   listens, so they are dropped as refused).
//
//   bazel run -c opt //tools:journal_bench -- [--quick] [--tsv] [--no-chromium]
//       [--chromium=PATH]  (default /usr/bin/chromium; absent: the Chromium
//                           comparisons are skipped with a message)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "browser/journal/fetch_journal.h"
#include "browser/journal/journal_record.h"
#include "browser/renderer_host.h"
#include "grpcpp/grpcpp.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/echo.grpc.pb.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"
#include "net/site.h"
#include "net/testing/https_test_server.h"
#include "renderer/renderer_connection.h"
#include "tools/bench_tsv.h"
#include "tools/browser_process.h"
#include "tools/headless_chromium.h"

namespace fetch_later::tools {
namespace {

using bench_tsv::Fmt;
using bench_tsv::Row;
namespace journal = browser::journal;

struct Config {
  bool quick = false;
  bool chromium = true;
  std::string chromium_binary = HeadlessChromium::kBinary;
  int p8_count = 3000;
  int p7_runs = 80;
  int round_trip_calls = 2000;
  int round_trip_blocks = 10;
  int startup_iterations = 5;
  int startup_records = 10000;
};

struct Percentiles {
  double p50 = 0, p99 = 0;
  size_t n = 0;
};

Percentiles Of(std::vector<double> v) {
  Percentiles p;
  p.n = v.size();
  if (v.empty())
    return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(q * v.size());
    return v[std::min(i, v.size() - 1)];
  };
  p.p50 = rank(0.5);
  p.p99 = rank(0.99);
  return p;
}

std::string MakeDir(const char* prefix) {
  std::string pattern = absl::StrCat("/tmp/", prefix, "XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr)
    return "";
  return pattern;
}

void RemoveTree(const std::string& dir) {
  std::error_code ignored;
  if (!dir.empty())
    std::filesystem::remove_all(dir, ignored);
}

double Ms(absl::Duration d) {
  return absl::ToDoubleMilliseconds(d);
}

// The local collector every browser here sends to.
struct Collector {
  std::unique_ptr<net::testing::TestCertificateAuthority> ca;
  std::unique_ptr<net::testing::HttpsTestServer> server;
  std::string dir;
  std::string ca_file;

  absl::Status Start() {
    auto made = net::testing::TestCertificateAuthority::Create();
    if (!made.ok())
      return made.status();
    ca = std::move(*made);
    dir = MakeDir("dfjb");
    ca_file = dir + "/ca.pem";
    if (absl::Status s = ca->WriteRootPem(ca_file); !s.ok())
      return s;
    server = std::make_unique<net::testing::HttpsTestServer>(ca.get());
    return server->Start();
  }
  // Waits until `count` requests whose URL path contains `marker` arrived
  // (or `timeout`); returns them (wall-clock arrival times).
  std::vector<absl::Time> WaitFor(const std::string& marker,
                                  size_t count,
                                  absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<absl::Time> arrived;
    while (true) {
      arrived.clear();
      for (const auto& r : server->requests()) {
        if (absl::StrContains(r.url_path, marker))
          arrived.push_back(r.received_at);
      }
      if (arrived.size() >= count || absl::Now() >= deadline)
        return arrived;
      absl::SleepFor(absl::Milliseconds(2));
    }
  }
};

absl::Status FromGrpc(const grpc::Status& status) {
  return status.ok()
             ? absl::OkStatus()
             : absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                            status.error_message());
}

// A browser process on `profile_dir`, on the real clock, sending to
// `collector` (or, with `port` given, to that loopback port).
absl::StatusOr<std::unique_ptr<BrowserProcess>> StartBrowser(
    const Collector& collector,
    const std::string& profile_dir,
    int port = 0) {
  BrowserProcess::Options options;
  options.browser_binary = RunfilesPath("browser/browser");
  options.ca_file = collector.ca_file;
  options.host_resolver_rules = absl::StrCat(
      "MAP * 127.0.0.1:", port != 0 ? port : collector.server->port());
  options.virtual_time = false;
  options.profile_dir = profile_dir;
  options.extra_flags = {
      absl::StrCat("--renderer_binary=", RunfilesPath("renderer/renderer"))};
  return BrowserProcess::Start(options);
}

// A tab at `url`: its navigable and document token.
struct Tab {
  uint64_t navigable = 0;
  std::string document;
};

absl::StatusOr<Tab> OpenTab(BrowserProcess& browser, const std::string& url) {
  Tab tab;
  ipc::CreateTabResponse created;
  grpc::ClientContext c1;
  if (absl::Status s = FromGrpc(browser.control().CreateTab(&c1, {}, &created));
      !s.ok()) {
    return s;
  }
  tab.navigable = created.navigable_id();
  ipc::NavigateRequest navigate;
  navigate.set_navigable_id(tab.navigable);
  navigate.set_url(url);
  ipc::Frame frame;
  grpc::ClientContext c2;
  if (absl::Status s =
          FromGrpc(browser.control().Navigate(&c2, navigate, &frame));
      !s.ok()) {
    return s;
  }
  tab.document = frame.document_token();
  return tab;
}

absl::Status RunScript(BrowserProcess& browser,
                       const Tab& tab,
                       const std::string& source) {
  ipc::RunPageStepRequest request;
  request.set_document_token(tab.document);
  request.set_timeout_ms(60000);
  request.mutable_step()->mutable_run_script()->set_source(source);
  request.mutable_step()->mutable_run_script()->set_source_url("bench.js");
  ipc::StepResult result;
  grpc::ClientContext context;
  if (absl::Status s =
          FromGrpc(browser.control().RunPageStep(&context, request, &result));
      !s.ok()) {
    return s;
  }
  if (result.outcome() != ipc::JS_OK)
    return absl::InternalError("script: " + result.message());
  return absl::OkStatus();
}

absl::Status CloseTab(BrowserProcess& browser, const Tab& tab) {
  ipc::NavigableRequest request;
  request.set_navigable_id(tab.navigable);
  ipc::Empty empty;
  grpc::ClientContext context;
  return FromGrpc(browser.control().CloseTab(&context, request, &empty));
}

std::string FillScript(const std::string& marker, int count) {
  return absl::StrCat("for (let i = 0; i < ", count,
                      "; i++) fetchLater('https://o' + (i % 10) + '.test/",
                      marker, "?i=' + i);");
}

// ---- P8 ----

struct P8Result {
  size_t arrived = 0;
  double last_ms = -1;  // after the signal (or the restart's spawn)
  size_t in_flight_dropped = 0;
};

absl::StatusOr<P8Result> P8Sigterm(Collector& collector, const Config& config) {
  const std::string profile = MakeDir("dfjp");
  auto browser = StartBrowser(collector, profile + "/p");
  if (!browser.ok())
    return browser.status();
  auto tab = OpenTab(**browser, "https://a.test/page");
  if (!tab.ok())
    return tab.status();
  if (absl::Status s =
          RunScript(**browser, *tab, FillScript("p8term", config.p8_count));
      !s.ok()) {
    return s;
  }
  const absl::Time signal = absl::Now();
  (*browser)->Terminate();
  std::vector<absl::Time> arrived =
      collector.WaitFor("p8term", config.p8_count, absl::Seconds(10));
  P8Result result;
  result.arrived = arrived.size();
  if (!arrived.empty())
    result.last_ms =
        Ms(*std::max_element(arrived.begin(), arrived.end()) - signal);
  RemoveTree(profile);
  return result;
}

absl::StatusOr<P8Result> P8Sigkill(Collector& collector, const Config& config) {
  const std::string profile = MakeDir("dfjp");
  P8Result result;
  {
    auto browser = StartBrowser(collector, profile + "/p");
    if (!browser.ok())
      return browser.status();
    auto tab = OpenTab(**browser, "https://a.test/page");
    if (!tab.ok())
      return tab.status();
    if (absl::Status s =
            RunScript(**browser, *tab, FillScript("p8kill", config.p8_count));
        !s.ok()) {
      return s;
    }
    (*browser)->Kill();
  }
  const absl::Time restart = absl::Now();
  auto browser = StartBrowser(collector, profile + "/p");
  if (!browser.ok())
    return browser.status();
  std::vector<absl::Time> arrived =
      collector.WaitFor("p8kill", config.p8_count, absl::Seconds(10));
  result.arrived = arrived.size();
  if (!arrived.empty())
    result.last_ms =
        Ms(*std::max_element(arrived.begin(), arrived.end()) - restart);
  ipc::BlockedRequests blocked;
  grpc::ClientContext context;
  (void)(*browser)->control().TakeBlockedRequests(&context, {}, &blocked);
  for (const auto& b : blocked.requests()) {
    if (b.reason() == "IN_FLIGHT_AT_CRASH")
      ++result.in_flight_dropped;
  }
  (*browser)->Terminate();
  RemoveTree(profile);
  return result;
}

std::vector<std::string> ChromiumFlags(const Collector& collector) {
  return {absl::StrCat("--host-resolver-rules=MAP * 127.0.0.1:",
                       collector.server->port()),
          "--ignore-certificate-errors"};
}

// The page Chromium loads: https://a.test/page, and https://a<i>.test/page
// for the cold runs (a new top-level site each: a new network isolation key,
// so a new connection to the beacon's host, whose certificate is already
// minted).
void ServePages(Collector& collector, int runs) {
  for (int i = -1; i < runs; ++i) {
    net::testing::ResponseRule page;
    page.url_prefix = i < 0 ? "https://a.test/page"
                            : absl::StrCat("https://a", i, ".test/page");
    page.method = "GET";
    page.status = 200;
    page.headers = {{"Content-Type", "text/html"}};
    page.body = "<!doctype html><title>journal bench</title><p>bench</p>";
    collector.server->Respond(page);
  }
}

absl::StatusOr<P8Result> P8Chromium(Collector& collector,
                                    const Config& config) {
  const std::string dir = MakeDir("dfjc");
  auto chromium = HeadlessChromium::Launch(dir, ChromiumFlags(collector),
                                           config.chromium_binary);
  if (!chromium.ok()) {
    RemoveTree(dir);
    return chromium.status();
  }
  auto page = (*chromium)->OpenPage("https://a.test/page");
  if (!page.ok())
    return page.status();
  absl::StatusOr<std::string> queued = (*page)->Evaluate(
      absl::StrCat("(() => { let ok = 0; for (let i = 0; i < ", config.p8_count,
                   "; i++) { try { fetchLater('https://o' + (i % 10) + "
                   "'.test/p8chromium?i=' "
                   "+ i); ok++; } catch (e) {} } return ok; })()"));
  if (!queued.ok())
    return queued.status();
  std::fprintf(stderr, "chromium: fetchLater() accepted %s of %d\n",
               queued->c_str(), config.p8_count);
  page->reset();
  (*chromium)->Terminate(absl::Seconds(20));
  std::vector<absl::Time> arrived =
      collector.WaitFor("p8chromium", config.p8_count, absl::Seconds(3));
  P8Result result;
  result.arrived = arrived.size();
  chromium->reset();
  RemoveTree(dir);
  return result;
}

// ---- P7 ----

struct P7Result {
  Percentiles cold, warm;
};

absl::StatusOr<P7Result> P7Ours(Collector& collector, const Config& config) {
  const std::string profile = MakeDir("dfjp");
  auto browser = StartBrowser(collector, profile + "/p");
  if (!browser.ok())
    return browser.status();
  std::vector<double> cold, warm;
  for (int i = 0; i < config.p7_runs; ++i) {
    for (bool is_warm : {false, true}) {
      // Cold: a new top-level site, so a new network isolation key and a
      // new connection (TCP + TLS) to cold.test.
      auto tab = OpenTab(**browser,
                         is_warm ? std::string("https://a.test/page")
                                 : absl::StrCat("https://a", i, ".test/page"));
      if (!tab.ok())
        return tab.status();
      const std::string marker = absl::StrCat(is_warm ? "p7w" : "p7c", "_", i);
      const std::string host = is_warm ? "warm.test" : "cold.test";
      if (is_warm) {
        // The connection to warm.test is open and idle when the tab closes.
        if (absl::Status s = RunScript(
                **browser, *tab,
                absl::StrCat("fetch('https://warm.test/", marker, "_pre')"));
            !s.ok()) {
          return s;
        }
        collector.WaitFor(marker + "_pre", 1, absl::Seconds(5));
      }
      if (absl::Status s = RunScript(**browser, *tab,
                                     absl::StrCat("fetchLater('https://", host,
                                                  "/", marker, "_beacon')"));
          !s.ok()) {
        return s;
      }
      const absl::Time close = absl::Now();
      if (absl::Status s = CloseTab(**browser, *tab); !s.ok())
        return s;
      std::vector<absl::Time> arrived =
          collector.WaitFor(marker + "_beacon", 1, absl::Seconds(5));
      if (arrived.empty())
        return absl::DeadlineExceededError("a beacon did not arrive");
      (is_warm ? warm : cold).push_back(Ms(arrived[0] - close));
    }
  }
  (*browser)->Terminate();
  RemoveTree(profile);
  return P7Result{Of(cold), Of(warm)};
}

absl::StatusOr<P7Result> P7Chromium(Collector& collector,
                                    const Config& config) {
  const std::string dir = MakeDir("dfjc");
  auto chromium = HeadlessChromium::Launch(dir, ChromiumFlags(collector),
                                           config.chromium_binary);
  if (!chromium.ok()) {
    RemoveTree(dir);
    return chromium.status();
  }
  std::vector<double> cold, warm;
  for (int i = 0; i < config.p7_runs; ++i) {
    for (bool is_warm : {false, true}) {
      auto page = (*chromium)->OpenPage(
          is_warm ? std::string("https://a.test/page")
                  : absl::StrCat("https://a", i, ".test/page"));
      if (!page.ok())
        return page.status();
      const std::string marker = absl::StrCat(is_warm ? "c7w" : "c7c", "_", i);
      const std::string host = is_warm ? "warm.test" : "cold.test";
      if (is_warm) {
        absl::StatusOr<std::string> pre = (*page)->Evaluate(absl::StrCat(
            "fetch('https://warm.test/", marker, "_pre').then(() => 1)"));
        if (!pre.ok())
          return pre.status();
      }
      absl::StatusOr<std::string> queued = (*page)->Evaluate(absl::StrCat(
          "fetchLater('https://", host, "/", marker, "_beacon') && 1"));
      if (!queued.ok())
        return queued.status();
      const absl::Time close = absl::Now();
      (*page)->Send("Page.close");
      std::vector<absl::Time> arrived =
          collector.WaitFor(marker + "_beacon", 1, absl::Seconds(10));
      if (arrived.empty())
        return absl::DeadlineExceededError("a Chromium beacon did not arrive");
      (is_warm ? warm : cold).push_back(Ms(arrived[0] - close));
    }
  }
  chromium->reset();
  RemoveTree(dir);
  return P7Result{Of(cold), Of(warm)};
}

// ---- Journal cost: the fetchLater round trip ----

class EchoService final : public ipc::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*,
                    const ipc::EchoRequest* request,
                    ipc::EchoReply* reply) override {
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

// An in-process browser (fake clock, recording network stage) serving its
// renderer socket, and one renderer connected with a tab at site.test.
class InProcessBrowser {
 public:
  absl::Status Start(journal::FetchJournal* fetch_journal) {
    browser::BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    options.journal = fetch_journal;
    core_ = std::make_unique<browser::BrowserCore>(options);
    auto server = browser::BrowserServer::Start(core_.get());
    if (!server.ok())
      return server.status();
    server_ = std::move(*server);
    tab_ = core_->CreateTab();
    if (absl::Status s = Renavigate(); !s.ok())
      return s;
    // The renderer's channel is one the browser made for it (a socket pair),
    // as it hands one to each renderer process it launches.
    browser::RendererHost* host =
        core_->AuthenticateRenderer(frame_.renderer_token);
    if (host == nullptr)
      return absl::InternalError("no renderer host for the tab's renderer");
    absl::StatusOr<browser::ScopedFd> fd = server_->OpenRendererChannel(*host);
    if (!fd.ok())
      return fd.status();
    auto renderer = renderer::RendererConnection::Connect(
        renderer::RendererConnection::ChannelFromFd(fd->Release()),
        frame_.renderer_token);
    if (!renderer.ok())
      return renderer.status();
    renderer_ = std::move(*renderer);
    if (!renderer_->WaitForDocument(frame_.document_token, absl::Seconds(5)))
      return absl::DeadlineExceededError("renderer never saw its document");
    return absl::OkStatus();
  }
  ~InProcessBrowser() {
    renderer_.reset();
    server_.reset();
    core_.reset();
  }

  // A fresh document (fresh quota); the old one's records are sent.
  absl::Status Renavigate() {
    browser::NavigationParams params{*net::Url::Parse("https://site.test/")};
    params.permissions_policy = "deferred-fetch-minimal=()";
    auto frame = core_->Navigate(tab_, params);
    if (!frame.ok())
      return frame.status();
    frame_ = *frame;
    if (renderer_ != nullptr &&
        !renderer_->WaitForDocument(frame_.document_token, absl::Seconds(5))) {
      return absl::DeadlineExceededError("renderer never saw its document");
    }
    return absl::OkStatus();
  }

  // `calls` sequential fetchLater() round trips, in microseconds.
  absl::Status Block(int calls, int* serial, std::vector<double>* out) {
    if (absl::Status s = Renavigate(); !s.ok())
      return s;
    for (int i = 0; i < calls; ++i) {
      const std::string url = absl::StrCat("https://collector", *serial % 10,
                                           ".test/b?i=", *serial);
      ++*serial;
      const auto start = std::chrono::steady_clock::now();
      auto result = renderer_->FetchLater(frame_.document_token,
                                          renderer::RequestInfo(url), {});
      out->push_back(std::chrono::duration<double, std::micro>(
                         std::chrono::steady_clock::now() - start)
                         .count());
      if (!result.ok())
        return absl::InternalError("fetchLater was not queued");
    }
    return absl::OkStatus();
  }

 private:
  net::FakeClock clock_{absl::Now()};
  net::RecordingNetworkStage network_;
  std::unique_ptr<browser::BrowserCore> core_;
  std::unique_ptr<browser::BrowserServer> server_;
  std::unique_ptr<renderer::RendererConnection> renderer_;
  browser::NavigableId tab_;
  browser::CommittedFrame frame_;
};

struct RoundTrip {
  Percentiles off, on, echo;
};

absl::StatusOr<RoundTrip> MeasureRoundTrip(const Config& config) {
  const std::string dir = MakeDir("dfjr");
  auto opened = journal::FetchJournal::Open({dir + "/p"}, nullptr);
  if (!opened.ok())
    return opened.status();
  InProcessBrowser off, on;
  if (absl::Status s = off.Start(nullptr); !s.ok())
    return s;
  if (absl::Status s = on.Start(opened->get()); !s.ok())
    return s;
  // The echo: its own server on a Unix socket, a payload of a
  // FetchLaterRequest's size.
  EchoService echo_service;
  const std::string echo_dir = MakeDir("dfje");
  const std::string echo_address = "unix:" + echo_dir + "/echo.sock";
  grpc::ServerBuilder builder;
  builder.AddListeningPort(echo_address, grpc::InsecureServerCredentials());
  builder.RegisterService(&echo_service);
  std::unique_ptr<grpc::Server> echo_server = builder.BuildAndStart();
  auto echo = ipc::Echo::NewStub(
      grpc::CreateChannel(echo_address, grpc::InsecureChannelCredentials()));
  ipc::EchoRequest echo_request;
  echo_request.set_payload(std::string(120, 'x'));

  std::vector<double> off_us, on_us, echo_us;
  int serial = 0;
  const int per_block = config.round_trip_calls / config.round_trip_blocks;
  for (int block = 0; block < config.round_trip_blocks; ++block) {
    // Alternating order, so drift hurts neither side.
    for (int k = 0; k < 3; ++k) {
      const int which = (block + k) % 3;
      if (which == 0) {
        if (absl::Status s = off.Block(per_block, &serial, &off_us); !s.ok())
          return s;
      } else if (which == 1) {
        if (absl::Status s = on.Block(per_block, &serial, &on_us); !s.ok())
          return s;
      } else {
        for (int i = 0; i < per_block; ++i) {
          ipc::EchoReply reply;
          grpc::ClientContext context;
          const auto start = std::chrono::steady_clock::now();
          (void)echo->Echo(&context, echo_request, &reply);
          echo_us.push_back(std::chrono::duration<double, std::micro>(
                                std::chrono::steady_clock::now() - start)
                                .count());
        }
      }
    }
  }
  echo_server->Shutdown();
  RemoveTree(echo_dir);
  RemoveTree(dir);
  return RoundTrip{Of(off_us), Of(on_us), Of(echo_us)};
}

// ---- Journal cost: start-up with 10,000 records ----

absl::Status WriteRecords(const std::string& profile_dir, int count) {
  auto opened = journal::FetchJournal::Open({profile_dir}, nullptr);
  if (!opened.ok())
    return opened.status();
  const net::Origin a = *net::Origin::Parse("https://a.test");
  for (int i = 0; i < count; ++i) {
    journal::JournaledFetch fetch{
        browser::DeferredRequest{
            "GET", *net::Url::Parse(
                       absl::StrCat("https://o", i % 10, ".test/start?i=", i))},
        net::NetworkIsolationKey{net::SchemefulSite::Create(a),
                                 net::SchemefulSite::Create(a)},
        a,
        "https://a.test/page",
        nullptr,
        absl::Now(),
        std::nullopt};
    if (absl::Status s = (*opened)->Add(static_cast<uint64_t>(i) + 1,
                                        journal::EncodeJournalRecord(fetch));
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

// Spawn to the first fetchLater() accepted in a fresh renderer.
absl::StatusOr<double> StartToFirstFetchLater(const Collector& collector,
                                              const std::string& profile_dir) {
  const absl::Time start = absl::Now();
  // Port 1: nothing listens; the restored records fail at once (refused).
  auto browser = StartBrowser(collector, profile_dir, /*port=*/1);
  if (!browser.ok())
    return browser.status();
  auto tab = OpenTab(**browser, "https://a.test/");
  if (!tab.ok())
    return tab.status();
  ipc::RunPageStepRequest request;
  request.set_document_token(tab->document);
  request.mutable_step()->mutable_fetch_later()->set_url("/x");
  double ms = -1;
  for (int attempt = 0; attempt < 500 && ms < 0; ++attempt) {
    ipc::StepResult result;
    grpc::ClientContext context;
    grpc::Status s =
        (*browser)->control().RunPageStep(&context, request, &result);
    if (s.ok() && result.outcome() == ipc::JS_OK)
      ms = Ms(absl::Now() - start);
    else
      absl::SleepFor(absl::Milliseconds(1));
  }
  (*browser)->Terminate();
  if (ms < 0)
    return absl::DeadlineExceededError("no fetchLater accepted");
  return ms;
}

struct Startup {
  double empty_ms = 0, full_ms = 0;
};

absl::StatusOr<Startup> MeasureStartup(const Collector& collector,
                                       const Config& config) {
  const std::string dir = MakeDir("dfjs");
  const std::string template_dir = dir + "/template";
  if (absl::Status s = WriteRecords(template_dir, config.startup_records);
      !s.ok()) {
    return s;
  }
  std::vector<double> empty, full;
  for (int i = 0; i < config.startup_iterations + 1; ++i) {
    const std::string empty_profile = absl::StrCat(dir, "/empty", i);
    const std::string full_profile = absl::StrCat(dir, "/full", i);
    mkdir(full_profile.c_str(), 0700);
    std::error_code copy_error;
    std::filesystem::copy_file(
        absl::StrCat(template_dir, "/", journal::FetchJournal::kFileName),
        absl::StrCat(full_profile, "/", journal::FetchJournal::kFileName),
        copy_error);
    if (copy_error)
      return absl::InternalError("copy the journal: " + copy_error.message());
    for (bool with_records : {i % 2 == 0, i % 2 != 0}) {
      absl::StatusOr<double> ms = StartToFirstFetchLater(
          collector, with_records ? full_profile : empty_profile);
      if (!ms.ok())
        return ms.status();
      if (i > 0)  // the first round warms the page cache
        (with_records ? full : empty).push_back(*ms);
    }
  }
  RemoveTree(dir);
  return Startup{Of(empty).p50, Of(full).p50};
}

// ---- Output ----

std::string Ratio(double a, double b) {
  return b > 0 ? Fmt("%.2fx", a / b) : "-";
}

int Main(int argc, char** argv) {
  Config config;
  bool tsv = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      config.quick = true;
      config.p8_count = 300;
      config.p7_runs = 5;
      config.round_trip_calls = 200;
      config.round_trip_blocks = 4;
      config.startup_iterations = 1;
      config.startup_records = 1000;
    } else if (arg == "--tsv") {
      tsv = true;
    } else if (arg == "--no-chromium") {
      config.chromium = false;
    } else if (absl::StartsWith(arg, "--chromium=")) {
      config.chromium_binary = arg.substr(strlen("--chromium="));
    } else {
      std::fprintf(stderr,
                   "usage: journal_bench [--quick] [--tsv] [--no-chromium] "
                   "[--chromium=PATH]\n");
      return 2;
    }
  }
  if (tsv)
    bench_tsv::Begin();
  Collector collector;
  if (absl::Status s = collector.Start(); !s.ok()) {
    std::fprintf(stderr, "collector: %s\n", s.ToString().c_str());
    return 1;
  }
  ServePages(collector, config.p7_runs);
  int failures = 0;
  auto report = [&](const absl::Status& s, const char* what) {
    std::fprintf(stderr, "journal_bench: %s: %s\n", what, s.ToString().c_str());
    ++failures;
  };
  const int n = config.p8_count;
  std::printf("journal_bench (%s)\n\n", config.quick ? "quick" : "full");

  // P8.
  absl::StatusOr<P8Result> term = P8Sigterm(collector, config);
  absl::StatusOr<P8Result> crash = P8Sigkill(collector, config);
  std::optional<P8Result> chromium;
  std::string chromium_note = "not run (--no-chromium)";
  if (config.chromium) {
    absl::StatusOr<P8Result> c = P8Chromium(collector, config);
    if (c.ok()) {
      chromium = *c;
    } else {
      // Not installed (or does not start): the comparison is skipped, with
      // this message; anything else is a failure of the benchmark.
      chromium_note = absl::StrCat(
          "skipped: ", std::string(c.status().message()).substr(0, 200));
      if (!absl::IsUnavailable(c.status()))
        report(c.status(), "P8 Chromium");
    }
  }
  std::printf("P8 exit: one tab, %d pending deferred fetches to 10 origins\n",
              n);
  if (term.ok()) {
    std::printf(
        "  SIGTERM:           %zu of %d arrived, the last %.0f ms after "
        "the signal\n",
        term->arrived, n, term->last_ms);
    Row(Fmt("P8 SIGTERM: arrived of %d", n), Fmt("%zu", term->arrived),
        Fmt("%d", n), Fmt("%.1f%%", 100.0 * term->arrived / n), "= 100%",
        bench_tsv::Verdict(term->arrived == static_cast<size_t>(n)));
    Row("P8 SIGTERM: last arrival after the signal",
        Fmt("%.0f ms", term->last_ms), "-", "-", "<= 2000 ms",
        bench_tsv::Verdict(term->last_ms >= 0 && term->last_ms <= 2000));
  } else {
    report(term.status(), "P8 SIGTERM");
  }
  if (crash.ok()) {
    std::printf(
        "  SIGKILL + restart: %zu of %d arrived (%zu in-flight "
        "non-idempotent dropped), the last %.0f ms after the restart\n",
        crash->arrived, n, crash->in_flight_dropped, crash->last_ms);
    Row(Fmt("P8 SIGKILL+restart: arrived of %d (in-flight dropped %zu)", n,
            crash->in_flight_dropped),
        Fmt("%zu", crash->arrived), Fmt("%zu", n - crash->in_flight_dropped),
        Fmt("%.1f%%", 100.0 * crash->arrived / n), "= 100% - dropped",
        bench_tsv::Verdict(crash->arrived + crash->in_flight_dropped ==
                           static_cast<size_t>(n)));
    Row("P8 SIGKILL+restart: last arrival after the restart",
        Fmt("%.0f ms", crash->last_ms), "-", "-", "<= 2000 ms",
        bench_tsv::Verdict(crash->last_ms >= 0 && crash->last_ms <= 2000));
  } else {
    report(crash.status(), "P8 SIGKILL");
  }
  if (chromium) {
    std::printf("  Chromium (%s), exits (SIGTERM): %zu of %d arrived\n",
                config.chromium_binary.c_str(), chromium->arrived, n);
    Row(Fmt("P8 Chromium exit: arrived of %d", n),
        Fmt("%zu", chromium->arrived), Fmt("%d", n),
        Fmt("%.1f%%", 100.0 * chromium->arrived / n), "-", "info");
  } else {
    std::printf("  Chromium: %s\n", chromium_note.c_str());
  }

  // P7.
  absl::StatusOr<P7Result> ours = P7Ours(collector, config);
  absl::StatusOr<P7Result> theirs =
      config.chromium
          ? P7Chromium(collector, config)
          : absl::StatusOr<P7Result>(absl::UnavailableError("--no-chromium"));
  std::printf(
      "\nP7 close to arrival: one beacon, closeTab, %d runs each, "
      "journal on\n",
      config.p7_runs);
  if (ours.ok()) {
    for (bool warm : {true, false}) {
      const Percentiles& p = warm ? ours->warm : ours->cold;
      const double goal = warm ? 3 : 6;
      const char* name = warm ? "warm" : "cold";
      std::optional<Percentiles> c;
      if (theirs.ok())
        c = warm ? theirs->warm : theirs->cold;
      std::printf("  %s: median %.2f ms, p99 %.2f ms", name, p.p50, p.p99);
      if (c) {
        std::printf("; Chromium median %.2f ms, p99 %.2f ms; ratio %.3fx",
                    c->p50, c->p99, p.p50 / c->p50);
      }
      std::printf("\n");
      Row(Fmt("P7 %s: median close->arrival", name), Fmt("%.2f ms", p.p50),
          c ? Fmt("%.2f ms (Chromium)", c->p50) : "-",
          c ? Ratio(p.p50, c->p50) : "-", Fmt("<= %.0f ms; <= 0.1x", goal),
          bench_tsv::Verdict(p.p50 <= goal && (!c || p.p50 <= 0.1 * c->p50)));
      Row(Fmt("P7 %s: p99 close->arrival", name), Fmt("%.2f ms", p.p99),
          c ? Fmt("%.2f ms (Chromium)", c->p99) : "-",
          c ? Ratio(p.p99, c->p99) : "-", "<= 15 ms",
          bench_tsv::Verdict(p.p99 <= 15));
    }
  } else {
    report(ours.status(), "P7");
  }
  if (config.chromium && !theirs.ok()) {
    if (absl::IsUnavailable(theirs.status())) {
      std::printf(
          "  Chromium: skipped: %s\n",
          std::string(theirs.status().message()).substr(0, 200).c_str());
    } else {
      report(theirs.status(), "P7 Chromium");
    }
  }

  // Journal cost.
  absl::StatusOr<RoundTrip> rt = MeasureRoundTrip(config);
  std::printf("\nJournal cost\n");
  if (rt.ok()) {
    std::printf(
        "  fetchLater round trip: journal off p50 %.1f us p99 %.1f us;"
        " on p50 %.1f us p99 %.1f us; echo p50 %.1f us p99 %.1f us\n",
        rt->off.p50, rt->off.p99, rt->on.p50, rt->on.p99, rt->echo.p50,
        rt->echo.p99);
    Row("round trip p50: journal on vs off", Fmt("%.1f us", rt->on.p50),
        Fmt("%.1f us", rt->off.p50), Ratio(rt->on.p50, rt->off.p50), "<= 1.1x",
        bench_tsv::Verdict(rt->on.p50 <= 1.1 * rt->off.p50));
    Row("round trip p99: journal on vs off", Fmt("%.1f us", rt->on.p99),
        Fmt("%.1f us", rt->off.p99), Ratio(rt->on.p99, rt->off.p99), "<= 1.1x",
        bench_tsv::Verdict(rt->on.p99 <= 1.1 * rt->off.p99));
    Row("round trip p50: journal on vs bare echo", Fmt("%.1f us", rt->on.p50),
        Fmt("%.1f us", rt->echo.p50), Ratio(rt->on.p50, rt->echo.p50),
        "<= 1.3x", bench_tsv::Verdict(rt->on.p50 <= 1.3 * rt->echo.p50));
    Row("round trip p99: journal on vs bare echo", Fmt("%.1f us", rt->on.p99),
        Fmt("%.1f us", rt->echo.p99), Ratio(rt->on.p99, rt->echo.p99),
        "<= 1.3x", bench_tsv::Verdict(rt->on.p99 <= 1.3 * rt->echo.p99));
  } else {
    report(rt.status(), "round trip");
  }
  absl::StatusOr<Startup> startup = MeasureStartup(collector, config);
  if (startup.ok()) {
    std::printf(
        "  start to first accepted fetchLater: %d journaled records "
        "%.1f ms, empty journal %.1f ms (medians)\n",
        config.startup_records, startup->full_ms, startup->empty_ms);
    Row(Fmt("start->first fetchLater: %d records vs empty",
            config.startup_records),
        Fmt("%.1f ms", startup->full_ms), Fmt("%.1f ms", startup->empty_ms),
        Ratio(startup->full_ms, startup->empty_ms), "<= 1.5x",
        bench_tsv::Verdict(startup->full_ms <= 1.5 * startup->empty_ms));
  } else {
    report(startup.status(), "start-up");
  }
  collector.server.reset();
  RemoveTree(collector.dir);
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
