// The browser's read-only debug interface over a real Unix socket: the
// snapshot of a known frame tree has the exact origins, control documents,
// reservations, pools and pending bytes; a known scenario (queue, quota denied,
// abort, tab close with the HTTPS stage sending, a refused attempt retried
// after a same-NIK document appears) streams the exact NetLog event sequence;
// the socket is owner-only and the service has no mutating method; and the real
// `browser` binary's --net-log file is JSON lines, its debug socket answers,
// and `fetchlater_debug` prints it.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "browser/debug_service.h"
#include "browser/net_log.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/debug.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "net/clock.h"
#include "net/csp.h"
#include "net/https_network_stage.h"
#include "net/origin.h"
#include "net/site.h"
#include "net/testing/https_test_server.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/renderer_connection.h"
#include "renderer/request.h"
#include "sandbox/sandbox.h"
#include "tests/ipc_test_fixture.h"
#include "tools/browser_process.h"

namespace fetch_later::testing {
namespace {

using net::testing::FaultMode;
using net::testing::HttpsTestServer;
using net::testing::TestCertificateAuthority;
using renderer::AbortController;
using renderer::BodyInit;
using renderer::DeferredRequestInit;
using renderer::RetryOptionsInit;

constexpr absl::Duration kIo = absl::Seconds(10);

// Reads a WatchEvents stream on its own thread.
class EventCollector {
 public:
  explicit EventCollector(ipc::debug::DebugService::Stub* stub) {
    ipc::debug::WatchRequest request;
    request.set_include_backlog(true);
    reader_ = stub->WatchEvents(&context_, request);
    thread_ = std::thread([this] {
      ipc::debug::Event event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(event);
      }
    });
  }
  ~EventCollector() {
    context_.TryCancel();
    thread_.join();
    (void)reader_->Finish();
  }

  // Waits until `count` events of `type` arrived.
  bool WaitFor(const std::string& type, int count = 1) {
    absl::MutexLock lock(&mu_);
    auto seen = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      int n = 0;
      for (const auto& e : events_)
        n += e.type() == type ? 1 : 0;
      return n >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), kIo);
  }

  std::vector<ipc::debug::Event> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<ipc::debug::Event>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<ipc::debug::Event> events_ ABSL_GUARDED_BY(mu_);
};

// The events whose type is not in `except_prefixes`, as "type" strings.
std::vector<std::string> Types(const std::vector<ipc::debug::Event>& events,
                               const std::vector<std::string>& except) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    bool skip = false;
    for (const auto& prefix : except)
      skip = skip || absl::StartsWith(e.type(), prefix);
    if (!skip)
      out.push_back(e.type());
  }
  return out;
}

// An in-process browser (fake clock, the real HTTPS stage against a local
// collector, an event log) serving its renderer, control and debug sockets.
class DebugServiceTest : public IpcTest {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    collector_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(collector_->Start().ok());
    net_log_ = std::make_unique<browser::NetLog>(&clock_);

    net::HttpsNetworkStage::Options stage_options;
    stage_options.ca_pem = ca_->root_pem();
    stage_options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", collector_->port());
    stage_options.clock = &clock_;
    stage_options.jitter_for_testing = [] { return 0.0; };
    stage_options.attempt_observer =
        browser::NetLogAttemptObserver(net_log_.get());
    auto stage = net::HttpsNetworkStage::Create(std::move(stage_options));
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);

    IpcTest::SetUp();
    debug_ = ipc::debug::DebugService::NewStub(grpc::CreateChannel(
        server_->debug_address(), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    IpcTest::TearDown();
    stage_.reset();
    net_log_.reset();
    collector_.reset();
  }

  net::NetworkStage* NetworkStageForTest() override { return stage_.get(); }
  browser::NetLog* NetLogForTest() override { return net_log_.get(); }
  std::unique_ptr<browser::DebugService> CreateDebugServiceForTest(
      browser::BrowserCore* core) override {
    return std::make_unique<browser::DebugService>(core, stage_.get(),
                                                   net_log_.get());
  }

  uint64_t DocumentId(const ipc::Frame& frame) {
    auto id = core_->DocumentForToken(frame.document_token());
    EXPECT_TRUE(id.ok());
    return id.ok() ? id->value() : 0;
  }

  ipc::debug::Snapshot Snapshot() {
    ipc::debug::Snapshot snapshot;
    grpc::ClientContext context;
    grpc::Status status = debug_->GetSnapshot(&context, {}, &snapshot);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return snapshot;
  }

  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<HttpsTestServer> collector_;
  std::unique_ptr<browser::NetLog> net_log_;
  std::unique_ptr<net::HttpsNetworkStage> stage_;
  std::unique_ptr<ipc::debug::DebugService::Stub> debug_;
};

// Security: the socket is the owner's only, in the owner's 0700 directory, and
// the service can only read.
TEST_F(DebugServiceTest, SocketIsOwnerOnlyAndServiceHasNoMutatingMethods) {
  const std::string path = server_->socket_dir() + "/debug.sock";
  EXPECT_EQ(server_->debug_address(), "unix:" + path);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(server_->socket_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  const google::protobuf::ServiceDescriptor* service =
      ipc::debug::Snapshot::descriptor()->file()->FindServiceByName(
          "DebugService");
  ASSERT_NE(service, nullptr);
  std::set<std::string> methods;
  for (int i = 0; i < service->method_count(); ++i)
    methods.insert(service->method(i)->name());
  EXPECT_EQ(methods, (std::set<std::string>{"GetSnapshot", "WatchEvents"}));
  EXPECT_EQ(
      service->FindMethodByName("GetSnapshot")->input_type()->field_count(), 0);
}

// A known tree: a.test with a delegated b.test iframe (64 KiB), a minimal
// c.test iframe (8 KiB) and a same-origin a.test iframe (no reservation, the
// top's control document); pending records in each group.
TEST_F(DebugServiceTest, SnapshotOfKnownTreeHasExactQuotaNumbers) {
  const ipc::Frame top = OpenPage("https://a.test/");
  const ipc::Frame b = Iframe(top, "https://b.test/frame", "deferred-fetch");
  const ipc::Frame c = Iframe(top, "https://c.test/frame");
  const ipc::Frame same = Iframe(top, "https://a.test/same");
  const std::string t1 = "https://collector.test/t1";
  const std::string t2 = "https://collector.test/t2-longer";
  const std::string b1 = "https://other.test/b1";
  const std::string c1 = "https://collector.test/c1";
  ASSERT_TRUE(FetchLater(top, t1).ok());
  ASSERT_TRUE(FetchLater(same, t2).ok());
  DeferredRequestInit later;
  later.activate_after = 5000;
  ASSERT_TRUE(FetchLater(b, b1, later).ok());
  ASSERT_TRUE(FetchLater(c, c1).ok());

  const ipc::debug::Snapshot s = Snapshot();
  EXPECT_EQ(s.now_ms(), 0);  // the fake clock starts at the Unix epoch
  ASSERT_EQ(s.tabs_size(), 1);
  const ipc::debug::Frame& f = s.tabs(0).top();
  EXPECT_EQ(f.navigable_id(), top.navigable_id());
  EXPECT_FALSE(f.has_reserved_quota());
  const uint64_t top_doc = DocumentId(top);
  EXPECT_EQ(f.active_document().id(), top_doc);
  EXPECT_EQ(f.active_document().origin(), "https://a.test");
  EXPECT_EQ(f.active_document().url(), "https://a.test/");
  EXPECT_EQ(f.active_document().state(), "active");
  EXPECT_TRUE(f.active_document().fully_active());
  EXPECT_EQ(f.active_document().control_document(), top_doc);
  EXPECT_EQ(f.active_document().renderer_site(), "https://a.test");
  ASSERT_EQ(f.active_document().policy_size(), 2);
  EXPECT_EQ(f.active_document().policy(0).feature(), "deferred-fetch");
  EXPECT_TRUE(f.active_document().policy(0).allowed_to_use());
  EXPECT_EQ(f.active_document().policy(1).feature(), "deferred-fetch-minimal");
  ASSERT_EQ(f.active_document().pending_size(), 1);
  EXPECT_EQ(f.active_document().pending(0).url(), t1);
  EXPECT_EQ(f.active_document().pending(0).method(), "GET");
  EXPECT_EQ(f.active_document().pending(0).total_request_length(), t1.size());
  EXPECT_EQ(f.active_document().pending(0).invoke_state(), "pending");
  EXPECT_FALSE(f.active_document().pending(0).has_activate_at_ms());

  ASSERT_EQ(f.children_size(), 3);
  // Frames in insertion order: b (64 KiB), c (8 KiB), same-origin (0).
  struct Row {
    const ipc::Frame* frame;
    std::string origin;
    int64_t reserved;
    uint64_t control;
    std::string allow;
  };
  const std::vector<Row> rows = {
      {&b, "https://b.test", 65536, DocumentId(b), "deferred-fetch"},
      {&c, "https://c.test", 8192, DocumentId(c), ""},
      {&same, "https://a.test", 0, top_doc, ""},
  };
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE(rows[i].origin);
    const ipc::debug::Frame& child = f.children(i);
    EXPECT_EQ(child.navigable_id(), rows[i].frame->navigable_id());
    ASSERT_TRUE(child.has_reserved_quota());
    EXPECT_EQ(child.reserved_quota(), rows[i].reserved);
    EXPECT_EQ(child.allow(), rows[i].allow);
    EXPECT_EQ(child.active_document().origin(), rows[i].origin);
    EXPECT_EQ(child.active_document().control_document(), rows[i].control);
    EXPECT_EQ(child.active_document().renderer_site(), rows[i].origin);
  }
  ASSERT_EQ(f.children(0).active_document().pending_size(), 1);
  EXPECT_EQ(f.children(0).active_document().pending(0).activate_at_ms(), 5000);

  // Quota groups in tree order of their control documents.
  const auto& groups = s.tabs(0).quota_groups();
  ASSERT_EQ(groups.size(), 3);
  const int64_t top_pending = static_cast<int64_t>(t1.size() + t2.size());
  EXPECT_EQ(groups[0].control_document(), top_doc);
  EXPECT_TRUE(groups[0].top_level());
  EXPECT_EQ(groups[0].pool_bytes(), 524288);  // 640 KiB - 128 KiB minimal
  EXPECT_EQ(groups[0].reserved_bytes(), 65536 + 8192);
  EXPECT_EQ(groups[0].pending_bytes(), top_pending);
  EXPECT_EQ(groups[0].available_bytes(), 524288 - 73728 - top_pending);
  EXPECT_EQ(groups[0].minimal_reservations(), 1);
  ASSERT_EQ(groups[0].origins_size(), 1);
  EXPECT_EQ(groups[0].origins(0).origin(), "https://collector.test");
  EXPECT_EQ(groups[0].origins(0).pending_bytes(), top_pending);

  EXPECT_EQ(groups[1].control_document(), DocumentId(b));
  EXPECT_FALSE(groups[1].top_level());
  EXPECT_EQ(groups[1].pool_bytes(), 65536);
  EXPECT_EQ(groups[1].reserved_bytes(), 0);
  EXPECT_EQ(groups[1].pending_bytes(), static_cast<int64_t>(b1.size()));
  EXPECT_EQ(groups[1].available_bytes(),
            65536 - static_cast<int64_t>(b1.size()));
  ASSERT_EQ(groups[1].origins_size(), 1);
  EXPECT_EQ(groups[1].origins(0).origin(), "https://other.test");

  EXPECT_EQ(groups[2].control_document(), DocumentId(c));
  EXPECT_EQ(groups[2].pool_bytes(), 8192);
  EXPECT_EQ(groups[2].pending_bytes(), static_cast<int64_t>(c1.size()));
  EXPECT_EQ(groups[2].available_bytes(),
            8192 - static_cast<int64_t>(c1.size()));

  // The same number the browser answers fetchLater with (below the 64 KiB
  // per-origin cap).
  EXPECT_EQ(*core_->AvailableQuota(c.document_token(), std::nullopt),
            groups[2].available_bytes());

  // Renderers: one per site, live.
  std::map<std::string, int> docs_per_site;
  for (const auto& r : s.renderers()) {
    EXPECT_FALSE(r.terminated());
    docs_per_site[r.site()] = r.documents();
  }
  EXPECT_EQ(docs_per_site, (std::map<std::string, int>{{"https://a.test", 2},
                                                       {"https://b.test", 1},
                                                       {"https://c.test", 1}}));
  EXPECT_EQ(s.bad_messages_size(), 0);
  // Nothing was sent yet.
  EXPECT_EQ(s.attempts_size(), 0);
  EXPECT_EQ(s.requests_size(), 0);
}

// The scenario's events, in order: queue, quota denied (with its numbers),
// abort, tab close sending over HTTPS, then a refused attempt, its retry
// scheduled, waiting for a same-NIK document, and sent once one exists.
TEST_F(DebugServiceTest, EventStreamFollowsKnownScenario) {
  EventCollector events(debug_.get());
  // Phase 1: quota and abort, then the tab closes and the beacon is sent.
  const ipc::Frame top = OpenPage("https://a.test/");
  const ipc::Frame c = Iframe(top, "https://c.test/frame");  // 8 KiB minimal
  ASSERT_TRUE(FetchLater(top, "https://collector.test/beacon").ok());
  DeferredRequestInit big;
  big.method = "POST";
  big.body = BodyInit::String(std::string(9000, 'x'));
  auto denied = FetchLater(c, "https://collector.test/big", big);
  ASSERT_FALSE(denied.ok());
  ASSERT_EQ(denied.error().type, renderer::JsErrorType::kQuotaExceededError);
  AbortController controller;
  DeferredRequestInit abortable;
  abortable.signal = controller.signal();
  ASSERT_TRUE(
      FetchLater(top, "https://collector.test/aborted", abortable).ok());
  controller.Abort();
  ASSERT_TRUE(events.WaitFor("record.aborted"));
  ASSERT_TRUE(CloseTab(tab_).ok());
  ASSERT_EQ(collector_->WaitForRequests(1, kIo), 1u);
  ASSERT_TRUE(events.WaitFor("request.sent"));

  // Phase 2: a refused attempt, retried after unload once a.test is back.
  collector_->SetMode(FaultMode::kRefuse);
  const ipc::Frame again = OpenPage("https://a.test/again");
  RetryOptionsInit retry;
  retry.max_attempts = 2;
  retry.initial_delay_ms = 1000;
  retry.retry_after_unload = true;
  ASSERT_TRUE(
      FetchLater(again, "https://collector.test/retry", {}, retry).ok());
  ASSERT_TRUE(CloseTab(tab_).ok());
  ASSERT_TRUE(events.WaitFor("attempt.retry_scheduled"));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  collector_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Milliseconds(1000));
  ASSERT_TRUE(events.WaitFor("attempt.waiting_for_nik"));
  // (The event comes just before the stage publishes the state.)
  uint64_t retry_id = 0;
  for (const auto& event : events.events()) {
    if (event.type() == "record.queued")
      retry_id = std::stoull(event.fields().at("id"));
  }
  ASSERT_TRUE(stage_->WaitForRequestState(
      retry_id,
      net::HttpsNetworkStage::RequestState::kWaitingForSameNikDocument, kIo));
  {
    // The snapshot shows the request waiting, and the failed attempt.
    const ipc::debug::Snapshot s = Snapshot();
    ASSERT_EQ(s.requests_size(), 1);
    EXPECT_EQ(s.requests(0).state(), "waiting-for-same-nik-document");
    EXPECT_EQ(s.requests(0).retries_started(), 0u);
    ASSERT_EQ(s.attempts_size(), 2);
    EXPECT_EQ(s.attempts(0).http_status(), 204);  // the collector's answer
    EXPECT_TRUE(absl::StartsWith(s.attempts(1).error(), "refused"))
        << s.attempts(1).error();
    EXPECT_EQ(s.attempts(1).url(), "https://collector.test/retry");
    ASSERT_GE(s.pools_size(), 1);
  }
  OpenPage("https://a.test/third");
  ASSERT_EQ(collector_->WaitForRequests(2, kIo), 2u);
  ASSERT_TRUE(events.WaitFor("request.sent", 2));

  const std::vector<ipc::debug::Event> all = events.events();
  // document.* events interleave with the network stage's threads; the rest is
  // one causal chain.
  EXPECT_EQ(Types(all, {"document."}),
            (std::vector<std::string>{
                "record.queued",               // /beacon
                "quota.denied",                // /big in the 8 KiB iframe
                "record.queued",               // /aborted
                "record.aborted",              //
                "record.sent_on_termination",  // /beacon at tab close
                "attempt.started",             //
                "request.sent",                // 204
                "record.queued",               // /retry
                "record.sent_on_termination",  //
                "attempt.started",             //
                "attempt.failed",              // refused
                "attempt.retry_scheduled",     // in 1000 ms
                "attempt.waiting_for_nik",     // no a.test document
                "attempt.started",             // Retry-Attempt: 1
                "request.sent",                // 204
            }));
  // The numbers and fields.
  std::vector<ipc::debug::Event> e;
  for (const auto& event : all) {
    if (!absl::StartsWith(event.type(), "document."))
      e.push_back(event);
  }
  ASSERT_EQ(e.size(), 15u);
  EXPECT_EQ(e[0].fields().at("url"), "https://collector.test/beacon");
  EXPECT_EQ(e[1].fields().at("quota"), "8192");
  EXPECT_EQ(e[1].fields().at("quota"), absl::StrCat(*denied.error().quota));
  EXPECT_EQ(e[1].fields().at("requested"),
            absl::StrCat(*denied.error().requested));
  EXPECT_EQ(e[3].fields().at("id"), e[2].fields().at("id"));
  EXPECT_EQ(e[4].fields().at("id"), e[0].fields().at("id"));
  EXPECT_EQ(e[5].fields().at("id"), e[0].fields().at("id"));
  EXPECT_EQ(e[6].fields().at("status"), "204");
  EXPECT_EQ(e[10].fields().at("error"), "refused");
  EXPECT_EQ(e[11].fields().at("delay_ms"), "1000");
  EXPECT_EQ(e[12].fields().at("id"), e[7].fields().at("id"));
  EXPECT_EQ(e[13].fields().at("retry_attempt"), "1");
  EXPECT_EQ(e[14].fields().at("url"), "https://collector.test/retry");
  // Numbered 1, 2, 3, ... with time never going back.
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].sequence(), i + 1);
    if (i > 0) {
      EXPECT_GE(all[i].monotonic_us(), all[i - 1].monotonic_us());
    }
  }
  EXPECT_EQ(e[11].clock_ms(), 0);
  EXPECT_EQ(e[12].clock_ms(), 1000);  // on the browser's (fake) clock
  // Each document came (top, c, again, third) and went (all but third).
  std::map<std::string, int> document_events;
  for (const std::string& type :
       Types(all, {"record.", "quota.", "attempt.", "request."})) {
    document_events[type]++;
  }
  EXPECT_EQ(document_events,
            (std::map<std::string, int>{{"document.created", 4},
                                        {"document.destroyed", 3}}));
}

// A request the network stage refuses to put on the wire is a
// "request.blocked" event with the scenario report's reason, the refused URL
// and a readable message.
TEST_F(DebugServiceTest, RefusedRequestIsARequestBlockedEvent) {
  EventCollector events(debug_.get());
  const net::SchemefulSite a = net::SchemefulSite::Create(
      net::Origin::Create(*net::Url::Parse("https://a.test/")));
  stage_->Send(
      net::OutgoingRequest{41,
                           "POST",
                           *net::Url::Parse("http://collector.test/plain"),
                           {},
                           "x",
                           net::NetworkIsolationKey{a, a},
                           std::nullopt,
                           false});
  ASSERT_TRUE(events.WaitFor("request.blocked"));
  for (const ipc::debug::Event& event : events.events()) {
    if (event.type() != "request.blocked")
      continue;
    EXPECT_EQ(event.fields().at("id"), "41");
    EXPECT_EQ(event.fields().at("reason"), "NOT_HTTPS");
    EXPECT_EQ(event.fields().at("url"), "http://collector.test/plain");
    EXPECT_EQ(event.fields().at("method"), "POST");
    EXPECT_TRUE(absl::StrContains(event.fields().at("message"), "not https"))
        << event.fields().at("message");
  }
  EXPECT_EQ(collector_->request_count(), 0u);
}

// Main fetch's refusals (here CSP and mode "same-origin") are NetLog events
// with their reason and are listed in the snapshot's `blocked`.
TEST_F(DebugServiceTest, PolicyRefusalsAreEventsAndInTheSnapshot) {
  EventCollector events(debug_.get());
  const net::Origin a_origin = *net::Origin::Parse("https://a.test");
  const net::SchemefulSite a = net::SchemefulSite::Create(a_origin);
  auto request = [&](uint64_t id, const char* url) {
    net::OutgoingRequest r{id,           "GET", *net::Url::Parse(url),
                           {},           "",    net::NetworkIsolationKey{a, a},
                           std::nullopt, false};
    r.origin = a_origin;
    return r;
  };
  net::OutgoingRequest csp = request(51, "https://c.test/csp");
  csp.csp = net::ParseContentSecurityPolicies({"connect-src 'self'"},
                                              net::CspDisposition::kEnforce)
                .list;
  net::OutgoingRequest same = request(52, "https://c.test/same");
  same.mode = net::RequestMode::kSameOrigin;
  stage_->Send(std::move(csp));
  stage_->Send(std::move(same));
  ASSERT_TRUE(stage_->WaitForIdle(absl::Seconds(10)));
  ASSERT_TRUE(events.WaitFor("request.blocked"));
  std::map<std::string, std::string> reasons;
  for (int tries = 0; tries < 100 && reasons.size() < 2; ++tries) {
    for (const ipc::debug::Event& event : events.events()) {
      if (event.type() == "request.blocked")
        reasons[event.fields().at("id")] = event.fields().at("reason");
    }
    if (reasons.size() < 2)
      absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(reasons["51"], "CSP");
  EXPECT_EQ(reasons["52"], "MODE_SAME_ORIGIN");
  ipc::debug::Snapshot snapshot = Snapshot();
  ASSERT_EQ(snapshot.blocked_size(), 2);
  EXPECT_EQ(snapshot.blocked(0).request_id(), 51u);
  EXPECT_EQ(snapshot.blocked(0).reason(), "CSP");
  EXPECT_EQ(snapshot.blocked(0).url(), "https://c.test/csp");
  EXPECT_TRUE(absl::StrContains(snapshot.blocked(0).message(), "connect-src"))
      << snapshot.blocked(0).message();
  EXPECT_EQ(snapshot.blocked(1).reason(), "MODE_SAME_ORIGIN");
  EXPECT_EQ(collector_->request_count(), 0u);
}

// A bad message: reported with its reason, and the renderer is killed.
TEST_F(DebugServiceTest, BadMessageIsInSnapshotAndEvents) {
  EventCollector events(debug_.get());
  const ipc::Frame top = OpenPage("https://a.test/");
  RendererFor(top);
  // The renderer, compromised, on its own channel.
  auto stub =
      ipc::DeferredFetchHost::NewStub(RendererChannel(top.renderer_token()));
  ipc::FetchLaterRequest request;
  request.set_document_token(top.document_token());
  request.set_method("GET");
  request.set_url("https://collector.test/x");
  request.set_total_request_length(1);  // a lie
  request.set_client_id(1);
  ipc::FetchLaterResponse response;
  grpc::ClientContext context;
  context.AddMetadata("renderer-token", top.renderer_token());
  EXPECT_FALSE(stub->FetchLater(&context, request, &response).ok());
  ASSERT_TRUE(events.WaitFor("renderer.killed"));
  const ipc::debug::Snapshot s = Snapshot();
  ASSERT_EQ(s.bad_messages_size(), 1);
  EXPECT_EQ(s.bad_messages(0).site(), "https://a.test");
  EXPECT_FALSE(s.bad_messages(0).reason().empty());
  EXPECT_EQ(s.bad_messages(0).reason(), "FETCH_LATER_TOTAL_LENGTH_MISMATCH");
  EXPECT_EQ(s.bad_messages(0).detail(),
            "total_request_length: says 1, the request is 24");
  ASSERT_EQ(s.renderers_size(), 1);
  EXPECT_TRUE(s.renderers(0).terminated());
  EXPECT_EQ(s.renderers(0).termination_reason(),
            s.bad_messages(0).reason() + ": " + s.bad_messages(0).detail());
  // The crashed frame has no document.
  ASSERT_EQ(s.tabs_size(), 1);
  EXPECT_FALSE(s.tabs(0).top().has_active_document());
  const auto all = events.events();
  std::vector<std::string> renderer_events =
      Types(all, {"record.", "quota.", "attempt.", "request.", "document."});
  EXPECT_EQ(renderer_events, (std::vector<std::string>{"renderer.bad_message",
                                                       "renderer.killed"}));
  // The event names the check (its stable name) and what the renderer sent.
  for (const ipc::debug::Event& event : all) {
    if (event.type() != "renderer.bad_message")
      continue;
    EXPECT_EQ(event.fields().at("reason"), "FETCH_LATER_TOTAL_LENGTH_MISMATCH");
    EXPECT_EQ(event.fields().at("detail"), s.bad_messages(0).detail());
    EXPECT_EQ(event.fields().at("site"), "https://a.test");
  }
}

// NetLog by itself: backlog bound, watcher queue, JSON escaping.
TEST(NetLogTest, BacklogWatchersAndJson) {
  net::FakeClock clock(absl::FromUnixMillis(1234));
  browser::NetLog log(&clock, /*backlog=*/2);
  auto early = log.Watch(/*include_backlog=*/false);
  log.AddEvent("a", {});
  log.AddEvent("b", {{"k", "quote\" backslash\\ newline\n"}});
  log.AddEvent("c", {});
  EXPECT_EQ(log.event_count(), 3u);
  ASSERT_EQ(log.Backlog().size(), 2u);
  EXPECT_EQ(log.Backlog()[0].type(), "b");
  auto late = log.Watch(/*include_backlog=*/true);
  log.AddEvent("d", {});
  std::vector<std::string> seen;
  while (auto e = late->Next(absl::ZeroDuration()))
    seen.push_back(e->type());
  EXPECT_EQ(seen, (std::vector<std::string>{"b", "c", "d"}));
  seen.clear();
  while (auto e = early->Next(absl::ZeroDuration()))
    seen.push_back(absl::StrCat(e->type(), e->sequence()));
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "b2", "c3", "d4"}));
  EXPECT_EQ(early->dropped(), 0u);

  ipc::debug::Event event = log.Backlog()[0];  // "c"
  event.set_type("b");
  (*event.mutable_fields())["k"] = "quote\" backslash\\ newline\n\x01";
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  browser::NetLog::ToJson(event), &parsed)
                  .ok())
      << browser::NetLog::ToJson(event);
  EXPECT_EQ(parsed.fields().at("type").string_value(), "b");
  EXPECT_EQ(parsed.fields().at("sequence").number_value(), 3);
  EXPECT_EQ(parsed.fields().at("clock_ms").number_value(), 1234);
  EXPECT_EQ(parsed.fields()
                .at("fields")
                .struct_value()
                .fields()
                .at("k")
                .string_value(),
            "quote\" backslash\\ newline\n\x01");
}

// The real browser binary: --net-log=FILE gets JSON lines of the right types,
// the start line's debug socket answers, and fetchlater_debug prints tables.
TEST(BrowserBinaryDebugTest, NetLogFileAndDebugSocket) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  char dir[] = "/tmp/dfdbgXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string ca_file = std::string(dir) + "/ca.pem";
  const std::string log_file = std::string(dir) + "/netlog.jsonl";
  ASSERT_TRUE((*ca)->WriteRootPem(ca_file).ok());
  HttpsTestServer collector(ca->get());
  ASSERT_TRUE(collector.Start().ok());
  tools::BrowserProcess::Options options;
  options.browser_binary = tools::RunfilesPath("browser/browser");
  options.ca_file = ca_file;
  options.host_resolver_rules =
      absl::StrCat("MAP * 127.0.0.1:", collector.port());
  options.extra_flags = {"--net-log=" + log_file};
  auto browser = tools::BrowserProcess::Start(options);
  ASSERT_TRUE(browser.ok()) << browser.status();
  auto& control = (*browser)->control();

  grpc::ClientContext c1;
  ipc::CreateTabResponse tab;
  ASSERT_TRUE(control.CreateTab(&c1, {}, &tab).ok());
  ipc::NavigateRequest navigate;
  navigate.set_navigable_id(tab.navigable_id());
  navigate.set_url("https://a.test/");
  ipc::Frame page;
  grpc::ClientContext c2;
  ASSERT_TRUE(control.Navigate(&c2, navigate, &page).ok());
  ipc::RunPageStepRequest step;
  step.set_document_token(page.document_token());
  step.mutable_step()->mutable_fetch_later()->set_url("/beacon");
  ipc::StepResult result;
  grpc::ClientContext c3;
  ASSERT_TRUE(control.RunPageStep(&c3, step, &result).ok());
  ASSERT_EQ(result.outcome(), ipc::JS_OK) << result.message();

  // The debug socket sits next to the control socket (the start line's
  // "debug").
  const std::string debug_address = absl::StrReplaceAll(
      (*browser)->control_address(), {{"control.sock", "debug.sock"}});
  auto debug = ipc::debug::DebugService::NewStub(
      grpc::CreateChannel(debug_address, grpc::InsecureChannelCredentials()));
  ipc::debug::Snapshot snapshot;
  grpc::ClientContext c4;
  ASSERT_TRUE(debug->GetSnapshot(&c4, {}, &snapshot).ok());
  ASSERT_EQ(snapshot.tabs_size(), 1);
  ASSERT_EQ(snapshot.tabs(0).top().active_document().pending_size(), 1);
  EXPECT_EQ(snapshot.tabs(0).top().active_document().pending(0).url(),
            "https://a.test/beacon");
  EXPECT_EQ(snapshot.tabs(0).quota_groups(0).pool_bytes(), 524288);

  // fetchlater_debug against it.
  auto run = [&](const std::string& args) {
    std::string out;
    const std::string command =
        absl::StrCat(tools::RunfilesPath("tools/fetchlater_debug"),
                     " --debug=", debug_address, " ", args);
    FILE* pipe = popen(command.c_str(), "r");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
      out.append(buffer, n);
    EXPECT_EQ(pclose(pipe), 0) << command;
    return out;
  };
  EXPECT_TRUE(absl::StrContains(run("tree"), "https://a.test  doc"));
  EXPECT_TRUE(absl::StrContains(run("quota"), "524288"));
  EXPECT_TRUE(absl::StrContains(run("pending"), "https://a.test/beacon"));
  EXPECT_TRUE(
      absl::StrContains(run("pending --json"), "\"total_request_length\""));
  EXPECT_TRUE(
      absl::StrContains(run("watch --backlog --count=2"), "document.created"));
  // The renderer's sandbox, like chrome://sandbox: seccomp filter and
  // no-new-privs on every thread, seen by the browser in /proc.
  const std::string sandbox = run("sandbox");
  std::vector<std::string> lines = absl::StrSplit(sandbox, '\n');
  ASSERT_GE(lines.size(), 2u) << sandbox;
  const std::vector<std::string> header =
      absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  const std::vector<std::string> row =
      absl::StrSplit(lines[1], ' ', absl::SkipEmpty());
  ASSERT_EQ(row.size(), header.size()) << sandbox;
  std::map<std::string, std::string> cells;
  for (size_t i = 0; i < header.size(); ++i)
    cells[header[i]] = row[i];
  EXPECT_EQ(cells["SITE"], "https://a.test");
  EXPECT_EQ(cells["SECCOMP"], "filter");
  EXPECT_EQ(cells["NNP"], "yes");
  EXPECT_EQ(cells["NS"], "user+net");
  if (sandbox::IsThreadSanitizerPolicyBuild()) {
    // The tsan config's sandbox policy leaves Landlock out (README).
    EXPECT_EQ(cells["LANDLOCK"], "no") << sandbox;
  } else {
    EXPECT_TRUE(absl::StartsWith(cells["LANDLOCK"], "ABI:")) << sandbox;
  }
  EXPECT_EQ(cells["VERDICT"], "sandboxed");

  grpc::ClientContext c5;
  ipc::NavigableRequest close;
  close.set_navigable_id(tab.navigable_id());
  ipc::Empty empty;
  ASSERT_TRUE(control.CloseTab(&c5, close, &empty).ok());
  ASSERT_EQ(collector.WaitForRequests(1, kIo), 1u);
  EXPECT_EQ((*browser)->Terminate(), 0);

  std::ifstream in(log_file);
  std::string line;
  std::vector<std::string> types;
  int64_t last_sequence = 0;
  while (std::getline(in, line)) {
    google::protobuf::Struct parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok())
        << line;
    const auto& fields = parsed.fields();
    ASSERT_TRUE(fields.contains("type")) << line;
    ASSERT_TRUE(fields.contains("monotonic_us")) << line;
    ASSERT_TRUE(fields.contains("clock_ms")) << line;
    ASSERT_TRUE(fields.at("fields").has_struct_value()) << line;
    EXPECT_EQ(fields.at("sequence").number_value(), last_sequence + 1);
    last_sequence = static_cast<int64_t>(fields.at("sequence").number_value());
    types.push_back(fields.at("type").string_value());
  }
  // The causal chain in order; the document's events (which interleave with the
  // network stage's threads) and the renderer's at shutdown, present.
  std::vector<std::string> chain;
  for (const std::string& type : types) {
    if (!absl::StartsWith(type, "document.") &&
        !absl::StartsWith(type, "renderer.")) {
      chain.push_back(type);
    }
  }
  EXPECT_EQ(chain, (std::vector<std::string>{
                       "record.queued", "record.sent_on_termination",
                       "attempt.started", "request.sent"}))
      << absl::StrJoin(types, " ");
  EXPECT_EQ(std::count(types.begin(), types.end(), "renderer.sandbox"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "document.created"), 1);
  EXPECT_EQ(std::count(types.begin(), types.end(), "document.destroyed"), 1);
  unlink(ca_file.c_str());
  unlink(log_file.c_str());
  rmdir(dir);
}

// A request journaled by a browser that was killed is restored by the next
// browser on the same profile: while the collector holds its attempt (STALL)
// the snapshot lists it under `restored` ("restored after restart: sent"),
// `fetchlater_debug pending` prints it, and the NetLog says what was decided
// (README, "Deferred fetches survive the browser's exit and crash": "Seen
// from outside").
TEST(BrowserBinaryDebugTest, ARestoredRequestIsListedAndItsDecisionLogged) {
  auto ca = TestCertificateAuthority::Create();
  ASSERT_TRUE(ca.ok());
  char dir[] = "/tmp/dfdbgXXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string ca_file = std::string(dir) + "/ca.pem";
  const std::string log_file = std::string(dir) + "/netlog.jsonl";
  ASSERT_TRUE((*ca)->WriteRootPem(ca_file).ok());
  HttpsTestServer collector(ca->get());
  ASSERT_TRUE(collector.Start().ok());
  tools::BrowserProcess::Options options;
  options.browser_binary = tools::RunfilesPath("browser/browser");
  options.ca_file = ca_file;
  options.host_resolver_rules =
      absl::StrCat("MAP * 127.0.0.1:", collector.port());
  options.profile_dir = std::string(dir) + "/profile";

  {
    auto first = tools::BrowserProcess::Start(options);
    ASSERT_TRUE(first.ok()) << first.status();
    auto& control = (*first)->control();
    grpc::ClientContext c1;
    ipc::CreateTabResponse tab;
    ASSERT_TRUE(control.CreateTab(&c1, {}, &tab).ok());
    ipc::NavigateRequest navigate;
    navigate.set_navigable_id(tab.navigable_id());
    navigate.set_url("https://a.test/");
    ipc::Frame page;
    grpc::ClientContext c2;
    ASSERT_TRUE(control.Navigate(&c2, navigate, &page).ok());
    ipc::RunPageStepRequest step;
    step.set_document_token(page.document_token());
    step.mutable_step()->mutable_fetch_later()->set_url("/restored-beacon");
    ipc::StepResult result;
    grpc::ClientContext c3;
    ASSERT_TRUE(control.RunPageStep(&c3, step, &result).ok());
    ASSERT_EQ(result.outcome(), ipc::JS_OK) << result.message();
    (*first)->Kill();  // the crash: nothing was sent
  }
  EXPECT_EQ(collector.requests().size(), 0u);

  collector.SetMode(FaultMode::kStall);
  options.extra_flags = {"--net-log=" + log_file};
  auto second = tools::BrowserProcess::Start(options);
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(collector.WaitForRequests(1, kIo), 1u);
  EXPECT_EQ(collector.requests()[0].url_path, "/restored-beacon");

  const std::string debug_address = absl::StrReplaceAll(
      (*second)->control_address(), {{"control.sock", "debug.sock"}});
  auto debug = ipc::debug::DebugService::NewStub(
      grpc::CreateChannel(debug_address, grpc::InsecureChannelCredentials()));
  ipc::debug::Snapshot snapshot;
  grpc::ClientContext c4;
  ASSERT_TRUE(debug->GetSnapshot(&c4, {}, &snapshot).ok());
  ASSERT_EQ(snapshot.restored_size(), 1);
  EXPECT_EQ(snapshot.restored(0).url(), "https://a.test/restored-beacon");
  EXPECT_EQ(snapshot.restored(0).method(), "GET");
  EXPECT_EQ(snapshot.restored(0).invoke_state(), "restored after restart");
  EXPECT_TRUE(absl::StartsWith(snapshot.restored(0).restored(),
                               "restored after restart: sent"))
      << snapshot.restored(0).restored();

  std::string out;
  const std::string command =
      absl::StrCat(tools::RunfilesPath("tools/fetchlater_debug"),
                   " --debug=", debug_address, " pending");
  FILE* pipe = popen(command.c_str(), "r");
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    out.append(buffer, n);
  EXPECT_EQ(pclose(pipe), 0) << command;
  EXPECT_TRUE(absl::StrContains(out, "restored")) << out;
  EXPECT_TRUE(absl::StrContains(out, "https://a.test/restored-beacon")) << out;
  EXPECT_TRUE(absl::StrContains(out, "restored after restart: sent")) << out;
  (*second)->Kill();

  std::ifstream in(log_file);
  std::string line;
  int restored_events = 0;
  while (std::getline(in, line)) {
    google::protobuf::Struct parsed;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok())
        << line;
    const auto& fields = parsed.fields();
    if (fields.at("type").string_value() != "journal.restored")
      continue;
    ++restored_events;
    const auto& detail = fields.at("fields").struct_value().fields();
    EXPECT_EQ(detail.at("decision").string_value(), "sent") << line;
    EXPECT_EQ(detail.at("url").string_value(), "https://a.test/restored-beacon")
        << line;
  }
  EXPECT_EQ(restored_events, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fetch_later::testing
