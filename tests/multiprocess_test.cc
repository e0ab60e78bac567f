// The multi-process browser for real: the `browser` binary as a child process
// launching one `renderer` process per site, driven through its control socket;
// page steps run in the renderer processes; beacons arrive over TLS at a local
// collector. Includes the reliability requirement: a renderer SIGKILLed in the
// middle of a burst of fetchLater calls loses none of the calls the browser
// accepted and sends none twice.
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/testing/https_test_server.h"
#include "tools/browser_process.h"

namespace fetch_later::testing {
namespace {

using net::testing::HttpsTestServer;
using net::testing::TestCertificateAuthority;
using tools::BrowserProcess;
using tools::RunfilesPath;

constexpr absl::Duration kIo = absl::Seconds(15);

class MultiProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok());
    ca_ = std::move(*ca);
    char dir[] = "/tmp/dfmpXXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ca_file_ = dir_ + "/ca.pem";
    ASSERT_TRUE(ca_->WriteRootPem(ca_file_).ok());
    collector_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(collector_->Start().ok());
    BrowserProcess::Options options;
    options.browser_binary = RunfilesPath("browser/browser");
    options.ca_file = ca_file_;
    options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", collector_->port());
    auto browser = BrowserProcess::Start(options);
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = std::move(*browser);
  }

  void TearDown() override {
    browser_.reset();
    collector_.reset();
    unlink(ca_file_.c_str());
    rmdir(dir_.c_str());
  }

  ipc::Frame Open(const std::string& url) {
    grpc::ClientContext c1;
    ipc::CreateTabResponse tab;
    EXPECT_TRUE(browser_->control().CreateTab(&c1, {}, &tab).ok());
    tab_ = tab.navigable_id();
    ipc::NavigateRequest navigate;
    navigate.set_navigable_id(tab_);
    navigate.set_url(url);
    ipc::Frame frame;
    grpc::ClientContext c2;
    grpc::Status status = browser_->control().Navigate(&c2, navigate, &frame);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return frame;
  }

  ipc::Frame Iframe(const ipc::Frame& parent, const std::string& src) {
    ipc::CreateIframeRequest request;
    request.set_parent_document_token(parent.document_token());
    request.set_src(src);
    ipc::Frame frame;
    grpc::ClientContext context;
    grpc::Status status =
        browser_->control().CreateIframe(&context, request, &frame);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return frame;
  }

  grpc::Status FetchLater(const ipc::Frame& frame,
                          const std::string& url,
                          ipc::StepResult* result) {
    ipc::RunPageStepRequest request;
    request.set_document_token(frame.document_token());
    request.mutable_step()->mutable_fetch_later()->set_url(url);
    grpc::ClientContext context;
    return browser_->control().RunPageStep(&context, request, result);
  }

  grpc::Status CloseTab() {
    ipc::NavigableRequest request;
    request.set_navigable_id(tab_);
    ipc::Empty empty;
    grpc::ClientContext context;
    return browser_->control().CloseTab(&context, request, &empty);
  }

  std::map<std::string, int> ArrivedPaths() {
    std::map<std::string, int> paths;
    for (const auto& r : collector_->requests())
      paths[r.url_path]++;
    return paths;
  }

  std::unique_ptr<TestCertificateAuthority> ca_;
  std::string dir_, ca_file_;
  std::unique_ptr<HttpsTestServer> collector_;
  std::unique_ptr<BrowserProcess> browser_;
  uint64_t tab_ = 0;
};

// Two sites, two renderer processes; page steps run in them; closing the tab
// sends both.
TEST_F(MultiProcessTest, PageStepsRunInRendererProcessesAndBeaconsArrive) {
  ipc::Frame page = Open("https://a.test/");
  ipc::Frame frame = Iframe(page, "https://b.test/frame");
  EXPECT_NE(page.renderer_token(), frame.renderer_token());
  ipc::StepResult result;
  ASSERT_TRUE(FetchLater(page, "/top-beacon", &result).ok());
  EXPECT_EQ(result.outcome(), ipc::JS_OK) << result.message();
  ASSERT_TRUE(
      FetchLater(frame, "https://collector.test/frame-beacon", &result).ok());
  EXPECT_EQ(result.outcome(), ipc::JS_OK) << result.message();
  // A step the renderer's stub refuses reports the JS error.
  ASSERT_TRUE(FetchLater(page, "http://example.com/", &result).ok());
  EXPECT_EQ(result.outcome(), ipc::JS_TYPE_ERROR);
  EXPECT_EQ(collector_->request_count(), 0u);
  ASSERT_TRUE(CloseTab().ok());
  ASSERT_EQ(collector_->WaitForRequests(2, kIo), 2u);
  auto paths = ArrivedPaths();
  EXPECT_EQ(paths["/top-beacon"], 1);
  EXPECT_EQ(paths["/frame-beacon"], 1);
}

// SIGKILL the renderer in the middle of a burst: every call the browser
// accepted is sent exactly once, calls it had not accepted are not sent.
TEST_F(MultiProcessTest,
       RendererKilledMidBurstLosesNothingAndDuplicatesNothing) {
  ipc::Frame page = Open("https://a.test/");
  ipc::Frame frame =
      Iframe(page, "https://b.test/frame");  // the renderer to kill
  constexpr int kCalls = 200;
  std::vector<int> outcome(kCalls, -1);  // 1: JS_OK, 0: refused or no answer
  std::atomic<int> issued{0};
  std::thread burst([&] {
    for (int i = 0; i < kCalls; ++i) {
      ipc::StepResult result;
      grpc::Status status = FetchLater(
          frame, "https://collector.test/b?i=" + std::to_string(i), &result);
      outcome[i] = status.ok() && result.outcome() == ipc::JS_OK ? 1 : 0;
      issued = i + 1;
    }
  });
  while (issued < 40)
    absl::SleepFor(absl::Milliseconds(1));
  ipc::CrashRendererRequest crash;
  crash.set_document_token(frame.document_token());
  ipc::Empty empty;
  grpc::ClientContext context;
  ASSERT_TRUE(browser_->control().CrashRenderer(&context, crash, &empty).ok());
  burst.join();

  // The crash destroyed the frame's document: its pending fetches were sent.
  int accepted = 0;
  for (int v : outcome)
    accepted += v;
  ASSERT_GE(accepted, 40);
  ASSERT_LT(accepted, kCalls);  // calls after the kill are refused
  collector_->WaitForRequests(accepted, kIo);
  absl::SleepFor(
      absl::Milliseconds(300));  // anything extra would have arrived by now
  auto paths = ArrivedPaths();
  int sent = 0;
  for (int i = 0; i < kCalls; ++i) {
    const int count = paths["/b?i=" + std::to_string(i)];
    EXPECT_LE(count, 1) << "sent twice: " << i;
    if (outcome[i] == 1) {
      EXPECT_EQ(count, 1) << "accepted but not sent: " << i;
    }
    sent += count;
  }
  // At most the one call in flight at the kill was accepted by the browser
  // without its answer reaching the driver.
  EXPECT_LE(sent - accepted, 1);
  // The other renderer is untouched and still works.
  ipc::StepResult result;
  ASSERT_TRUE(FetchLater(page, "/after", &result).ok());
  EXPECT_EQ(result.outcome(), ipc::JS_OK);
}

// SIGTERM: the browser closes every tab (sending pending fetches), drains, and
// exits 0.
TEST_F(MultiProcessTest, SigtermSendsPendingFetchesAndExitsZero) {
  ipc::Frame page = Open("https://a.test/");
  ipc::StepResult result;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        FetchLater(page, "/shutdown?i=" + std::to_string(i), &result).ok());
    ASSERT_EQ(result.outcome(), ipc::JS_OK);
  }
  EXPECT_EQ(browser_->Terminate(), 0);
  EXPECT_EQ(collector_->request_count(), 5u);
}

}  // namespace
}  // namespace fetch_later::testing
