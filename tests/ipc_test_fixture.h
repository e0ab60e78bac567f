// A browser (BrowserCore on a fake clock, a recording network stage) serving
// its real gRPC interfaces (the control interface on its Unix socket), driven
// through the BrowserControl stub, with renderer connections made the way a
// renderer process makes them: over a channel the browser made for that
// renderer (a socket pair). For cross-component tests.
//
// A test fixture deriving from IpcTest may give the browser a real network
// stage (NetworkStageForTest), an event log (NetLogForTest) and a debug
// service on debug.sock (CreateDebugServiceForTest); it sets up what those
// need before calling IpcTest::SetUp() and tears it down after
// IpcTest::TearDown().
#ifndef TESTS_IPC_TEST_FIXTURE_H_
#define TESTS_IPC_TEST_FIXTURE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "browser/browser_core.h"
#include "browser/browser_server.h"
#include "browser/debug_service.h"
#include "browser/net_log.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/renderer_connection.h"
#include "renderer/request.h"

namespace fetch_later::testing {

class IpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    browser::BrowserCore::Options options;
    options.network_stage = NetworkStageForTest();
    options.clock = &clock_;
    options.fake_clock = &clock_;
    options.net_log = NetLogForTest();
    options.take_blocked_requests = TakeBlockedRequestsForTest();
    core_ = std::make_unique<browser::BrowserCore>(options);
    debug_service_ = CreateDebugServiceForTest(core_.get());
    auto server = browser::BrowserServer::Start(core_.get(), "/tmp",
                                                debug_service_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    control_ = ipc::BrowserControl::NewStub(grpc::CreateChannel(
        server_->control_address(), grpc::InsecureChannelCredentials()));
  }

  // The stage the browser hands activated fetches to; the recording one unless
  // a test installs a real one.
  virtual net::NetworkStage* NetworkStageForTest() { return &network_; }
  // Where the browser records its events; none unless a test installs a log.
  virtual browser::NetLog* NetLogForTest() { return nullptr; }
  // BrowserCore::Options::take_blocked_requests; none unless a test installs
  // a real stage's.
  virtual std::function<std::vector<ipc::BlockedRequest>()>
  TakeBlockedRequestsForTest() {
    return nullptr;
  }
  // The debug service the server exposes on debug.sock, made for `core`
  // (which outlives it); none unless a test makes one.
  virtual std::unique_ptr<browser::DebugService> CreateDebugServiceForTest(
      browser::BrowserCore* core) {
    return nullptr;
  }

  void TearDown() override {
    renderers_.clear();
    server_.reset();
    debug_service_.reset();
    core_.reset();
  }

  uint64_t CreateTab() {
    grpc::ClientContext context;
    ipc::CreateTabResponse response;
    EXPECT_TRUE(control_->CreateTab(&context, {}, &response).ok());
    return response.navigable_id();
  }

  ipc::Frame Navigate(uint64_t navigable,
                      const std::string& url,
                      const std::string& policy = "",
                      bool enter_bfcache = false) {
    ipc::NavigateRequest request;
    request.set_navigable_id(navigable);
    request.set_url(url);
    request.set_permissions_policy(policy);
    request.set_enter_bfcache(enter_bfcache);
    ipc::Frame frame;
    grpc::ClientContext context;
    grpc::Status status = control_->Navigate(&context, request, &frame);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return frame;
  }

  // A tab showing `url`.
  ipc::Frame OpenPage(const std::string& url, const std::string& policy = "") {
    tab_ = CreateTab();
    return Navigate(tab_, url, policy);
  }

  ipc::Frame Iframe(const ipc::Frame& parent,
                    const std::string& src,
                    const std::string& allow = "") {
    ipc::CreateIframeRequest request;
    request.set_parent_document_token(parent.document_token());
    request.set_src(src);
    request.set_allow(allow);
    ipc::Frame frame;
    grpc::ClientContext context;
    grpc::Status status = control_->CreateIframe(&context, request, &frame);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return frame;
  }

  grpc::Status RemoveIframe(const ipc::Frame& frame) {
    ipc::RemoveIframeRequest request;
    request.set_navigable_id(frame.navigable_id());
    ipc::Empty empty;
    grpc::ClientContext context;
    return control_->RemoveIframe(&context, request, &empty);
  }

  grpc::Status CloseTab(uint64_t navigable) {
    ipc::NavigableRequest request;
    request.set_navigable_id(navigable);
    ipc::Empty empty;
    grpc::ClientContext context;
    return control_->CloseTab(&context, request, &empty);
  }

  ipc::Frame RestoreFromBfcache(uint64_t navigable) {
    ipc::NavigableRequest request;
    request.set_navigable_id(navigable);
    ipc::Frame frame;
    grpc::ClientContext context;
    EXPECT_TRUE(control_->RestoreFromBfcache(&context, request, &frame).ok());
    return frame;
  }

  void AdvanceClock(uint64_t ms) {
    ipc::AdvanceClockRequest request;
    request.set_ms(ms);
    ipc::Empty empty;
    grpc::ClientContext context;
    ASSERT_TRUE(control_->AdvanceClock(&context, request, &empty).ok());
  }

  // A channel the browser made for the renderer whose launch token is
  // `renderer_token`, as it hands one to each renderer process it launches; for
  // a token no live renderer has, a channel bound to no renderer.
  std::shared_ptr<grpc::Channel> RendererChannel(
      const std::string& renderer_token) {
    browser::RendererHost* host = core_->AuthenticateRenderer(renderer_token);
    absl::StatusOr<browser::ScopedFd> fd =
        host != nullptr ? server_->OpenRendererChannel(*host)
                        : server_->OpenUnboundRendererChannelForTesting();
    EXPECT_TRUE(fd.ok()) << fd.status();
    return renderer::RendererConnection::ChannelFromFd(fd->Release());
  }

  // The renderer process hosting `frame`, connected on first use; waits until
  // the frame's document was committed to it.
  renderer::RendererConnection& RendererFor(const ipc::Frame& frame) {
    auto& connection = renderers_[frame.renderer_token()];
    if (connection == nullptr) {
      auto made = renderer::RendererConnection::Connect(
          RendererChannel(frame.renderer_token()), frame.renderer_token());
      EXPECT_TRUE(made.ok()) << made.status();
      connection = std::move(*made);
    }
    EXPECT_TRUE(
        connection->WaitForDocument(frame.document_token(), absl::Seconds(5)))
        << frame.document_token();
    return *connection;
  }

  // Simulates the renderer process hosting `frame` dying.
  void KillRenderer(const ipc::Frame& frame) {
    renderers_.erase(frame.renderer_token());
  }

  renderer::JsResult<renderer::FetchLaterResult> FetchLater(
      const ipc::Frame& frame,
      const std::optional<renderer::RequestInfo>& input,
      const renderer::DeferredRequestInit& init = {},
      const std::optional<renderer::RetryOptionsInit>& retry = {}) {
    return RendererFor(frame).FetchLater(frame.document_token(), input, init,
                                         retry);
  }

  std::vector<std::string> SentUrls() {
    std::vector<std::string> urls;
    for (const auto& r : network_.sent())
      urls.push_back(r.url.Serialize());
    return urls;
  }

  net::FakeClock clock_;
  net::RecordingNetworkStage network_;
  std::unique_ptr<browser::BrowserCore> core_;
  std::unique_ptr<browser::DebugService> debug_service_;
  std::unique_ptr<browser::BrowserServer> server_;
  std::unique_ptr<ipc::BrowserControl::Stub> control_;
  std::map<std::string, std::unique_ptr<renderer::RendererConnection>>
      renderers_;
  uint64_t tab_ = 0;
};

}  // namespace fetch_later::testing

#endif  // TESTS_IPC_TEST_FIXTURE_H_
