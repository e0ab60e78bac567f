// The whole path with real parts: a renderer connection over gRPC on a Unix
// socket, the browser's quota and lifecycle decisions, and the HTTPS-only
// network stage on BoringSSL delivering beacons to a local HTTPS collector (its
// certificates minted by a test CA for each SNI name), including a retry
// through a flaky collector gated on a live document with the same network
// isolation key.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "browser/blocked_requests.h"
#include "gtest/gtest.h"
#include "net/https_network_stage.h"
#include "net/testing/https_test_server.h"
#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/request.h"
#include "tests/ipc_test_fixture.h"

namespace fetch_later::testing {
namespace {

using net::testing::FaultMode;
using net::testing::HttpsTestServer;
using net::testing::TestCertificateAuthority;
using renderer::BodyInit;
using renderer::DeferredRequestInit;
using renderer::RequestInfo;
using renderer::RetryOptionsInit;

constexpr absl::Duration kIo = absl::Seconds(10);

std::string HeaderValue(const net::testing::RecordedRequest& r,
                        absl::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return "<absent>";
}

class HttpsEndToEndTest : public IpcTest {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    collector_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(collector_->Start().ok());
    net::HttpsNetworkStage::Options options;
    options.ca_pem = ca_->root_pem();
    // Like Chromium's --host-resolver-rules: every host is the local collector.
    options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", collector_->port());
    options.clock = &clock_;
    options.jitter_for_testing = [] { return 0.0; };
    auto stage = net::HttpsNetworkStage::Create(std::move(options));
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);
    IpcTest::SetUp();
  }

  void TearDown() override {
    IpcTest::TearDown();
    stage_.reset();
    collector_.reset();
  }

  net::NetworkStage* NetworkStageForTest() override { return stage_.get(); }
  // As the browser's main wires it.
  std::function<std::vector<ipc::BlockedRequest>()> TakeBlockedRequestsForTest()
      override {
    auto feed = std::make_shared<browser::BlockedRequestFeed>(
        [stage = stage_.get()] { return stage->blocked(); });
    return [feed] { return feed->TakeNew(); };
  }

  // BrowserControl.TakeBlockedRequests.
  std::vector<ipc::BlockedRequest> TakeBlocked() {
    ipc::BlockedRequests response;
    grpc::ClientContext context;
    EXPECT_TRUE(
        control_->TakeBlockedRequests(&context, ipc::Empty(), &response).ok());
    return {response.requests().begin(), response.requests().end()};
  }

  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<HttpsTestServer> collector_;
  std::unique_ptr<net::HttpsNetworkStage> stage_;
};

// Closing the tab delivers every pending beacon over verified TLS, with the SNI
// name, Host, body and the headers that counted toward quota.
TEST_F(HttpsEndToEndTest, TabCloseDeliversEveryBeaconOverTls) {
  ipc::Frame page = OpenPage("https://a.test/page");
  ipc::Frame frame = Iframe(page, "https://b.test/frame");
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("https://collector.test/get?i=1")).ok());
  DeferredRequestInit post;
  post.method = "POST";
  post.body = BodyInit::String(std::string(1000, 'x'));
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("https://collector.test/post?i=2"), post)
          .ok());
  ASSERT_TRUE(
      FetchLater(frame, RequestInfo("https://analytics.test/f?i=3")).ok());
  EXPECT_EQ(collector_->request_count(), 0u);

  ASSERT_TRUE(CloseTab(tab_).ok());
  ASSERT_EQ(collector_->WaitForRequests(3, kIo), 3u);
  auto requests = collector_->requests();
  std::map<std::string, net::testing::RecordedRequest> by_path;
  for (const auto& r : requests)
    by_path[r.url_path] = r;
  const auto& get = by_path.at("/get?i=1");
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.sni, "collector.test");
  EXPECT_EQ(get.host, "collector.test");
  EXPECT_EQ(HeaderValue(get, "Referer"), "https://a.test/");
  const auto& posted = by_path.at("/post?i=2");
  EXPECT_EQ(posted.method, "POST");
  EXPECT_EQ(posted.body_bytes, 1000u);
  EXPECT_EQ(HeaderValue(posted, "Content-Type"), "text/plain;charset=UTF-8");
  const auto& framed = by_path.at("/f?i=3");
  EXPECT_EQ(framed.sni, "analytics.test");
  EXPECT_EQ(HeaderValue(framed, "Referer"), "https://b.test/");
  EXPECT_EQ(HeaderValue(framed, "Retry-Attempt"), "<absent>");
}

// fetchLater accepts http://localhost (potentially trustworthy), but the
// network stage is HTTPS only: it is never sent, and the refusal is recorded.
TEST_F(HttpsEndToEndTest, HttpLocalhostIsQueuedButNeverSent) {
  ipc::Frame page = OpenPage("https://a.test/");
  ASSERT_TRUE(FetchLater(page, RequestInfo("http://localhost/beacon")).ok());
  ASSERT_TRUE(CloseTab(tab_).ok());
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto attempts = stage_->attempts();
  ASSERT_TRUE(attempts[0].error.has_value());
  EXPECT_EQ(attempts[0].error->kind, net::NetworkErrorKind::kNotHttps);
  EXPECT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(collector_->request_count(), 0u);
}

// BrowserControl.TakeBlockedRequests: what the stage refused to put on the
// wire since the last call, oldest first, with the reason's report name and
// the refused URL (a refused redirect's target).
TEST_F(HttpsEndToEndTest, TakeBlockedRequestsListsRefusalsOnce) {
  EXPECT_TRUE(TakeBlocked().empty());
  // The redirect response passes the CORS check (a cors request to another
  // origin: Fetch "HTTP fetch" checks it before following), so the refusal is
  // the redirect's http: target.
  collector_->Respond({"https://collector.test/r",
                       std::nullopt,
                       302,
                       {{"Location", "http://insecure.test/target"},
                        {"Access-Control-Allow-Origin", "https://a.test"}}});
  ipc::Frame page = OpenPage("https://a.test/");
  DeferredRequestInit now;
  now.activate_after = 0;
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("http://localhost/beacon"), now).ok());
  AdvanceClock(0);  // activateAfter 0: sent when the timers run
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("https://collector.test/r"), now).ok());
  AdvanceClock(0);
  ASSERT_EQ(collector_->WaitForRequests(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  std::vector<ipc::BlockedRequest> blocked = TakeBlocked();
  ASSERT_EQ(blocked.size(), 2u);
  EXPECT_EQ(blocked[0].url(), "http://localhost/beacon");
  EXPECT_EQ(blocked[0].reason(), "NOT_HTTPS");
  EXPECT_FALSE(blocked[0].message().empty());
  EXPECT_EQ(blocked[1].url(), "http://insecure.test/target");
  EXPECT_EQ(blocked[1].reason(), "REDIRECT_NOT_HTTPS");
  EXPECT_NE(blocked[0].request_id(), blocked[1].request_id());
  EXPECT_TRUE(TakeBlocked().empty());
}

// A retry after unload waits for a fully active document with the same network
// isolation key, then fires (with Retry-Attempt: 1) once one exists and the
// collector is back.
TEST_F(HttpsEndToEndTest, RetryAfterUnloadWaitsForSameKeyDocument) {
  collector_->SetMode(FaultMode::kRefuse);
  ipc::Frame page = OpenPage("https://a.test/");
  RetryOptionsInit retry;
  retry.max_attempts = 3;
  retry.initial_delay_ms = 1000;
  retry.retry_after_unload = true;
  ASSERT_TRUE(RendererFor(page)
                  .FetchLater(page.document_token(),
                              RequestInfo("https://collector.test/r"), {},
                              retry)
                  .ok());
  ASSERT_TRUE(
      CloseTab(tab_).ok());  // initiator gone; the first attempt is refused
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  collector_->SetMode(FaultMode::kOk);
  AdvanceClock(
      5000);  // the backoff has long passed, but no a.test document is alive
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(collector_->request_count(), 0u);
  // A document of another site does not release it.
  OpenPage("https://other.test/");
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(collector_->request_count(), 0u);
  // A new a.test page (same top-frame site and frame site) does.
  OpenPage("https://a.test/again");
  ASSERT_EQ(collector_->WaitForRequests(1, kIo), 1u);
  EXPECT_EQ(HeaderValue(collector_->requests()[0], "Retry-Attempt"), "1");
}

}  // namespace
}  // namespace fetch_later::testing
