// The multi-process browser for real: the `browser` binary as a child process
// launching one `renderer` process per site, driven through its control socket;
// page steps run in the renderer processes; beacons arrive over TLS at a local
// collector. Includes the reliability requirement: a renderer SIGKILLed in the
// middle of a burst of fetchLater calls loses none of the calls the browser
// accepted and sends none twice; and the sandbox: every renderer runs under its
// seccomp filter with no-new-privs (read here from /proc/PID/status, as a user
// would), and the browser cuts off a renderer that is not sandboxed.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ipc/debug.grpc.pb.h"
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
    StartBrowser({});
  }

  // (Re)starts the browser with `extra_flags`.
  void StartBrowser(std::vector<std::string> extra_flags) {
    browser_.reset();
    BrowserProcess::Options options;
    options.browser_binary = RunfilesPath("browser/browser");
    options.ca_file = ca_file_;
    options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", collector_->port());
    options.extra_flags = std::move(extra_flags);
    auto browser = BrowserProcess::Start(options);
    ASSERT_TRUE(browser.ok()) << browser.status();
    browser_ = std::move(*browser);
  }

  ipc::debug::Snapshot Snapshot() {
    auto debug = ipc::debug::DebugService::NewStub(grpc::CreateChannel(
        browser_->debug_address(), grpc::InsecureChannelCredentials()));
    ipc::debug::Snapshot snapshot;
    grpc::ClientContext context;
    EXPECT_TRUE(debug->GetSnapshot(&context, {}, &snapshot).ok());
    return snapshot;
  }

  // The renderer of `site` in the browser's snapshot.
  ipc::debug::Renderer RendererOf(const std::string& site) {
    const ipc::debug::Snapshot snapshot = Snapshot();
    for (const ipc::debug::Renderer& r : snapshot.renderers()) {
      if (r.site() == site)
        return r;
    }
    ADD_FAILURE() << "no renderer for " << site;
    return {};
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
// BrowserProcess passes --profile_dir= when it has no profile: an empty value
// means no journal, never the default journal under the user's home (Abseil
// would read an empty std::optional flag as "not given").
TEST_F(MultiProcessTest, AnEmptyProfileDirMeansNoJournal) {
  EXPECT_EQ(browser_->journal_path(), "");
  const std::string profile = dir_ + "/profile";
  StartBrowser({"--profile_dir=" + profile});
  EXPECT_EQ(browser_->journal_path(), profile + "/deferred_fetches.db");
}

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

// SIGTERM with a debug watcher and an idle control client still connected:
// the browser sends the pending fetch first, the watcher sees it sent before
// its stream ends (the server ends the streams after the drain), the idle
// client does not keep it from exiting, and it exits 0.
TEST_F(MultiProcessTest, SigtermWithClientsConnectedSendsPendingFetchFirst) {
  ipc::Frame page = Open("https://a.test/");
  ipc::StepResult result;
  ASSERT_TRUE(FetchLater(page, "/watched", &result).ok());
  ASSERT_EQ(result.outcome(), ipc::JS_OK);

  // A second control client, connected and idle through the shutdown.
  auto idle = ipc::BrowserControl::NewStub(grpc::CreateChannel(
      browser_->control_address(), grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    ipc::CreateTabResponse tab;
    ASSERT_TRUE(idle->CreateTab(&context, {}, &tab).ok());
  }

  auto debug = ipc::debug::DebugService::NewStub(grpc::CreateChannel(
      browser_->debug_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext watch_context;
  ipc::debug::WatchRequest watch;
  watch.set_include_backlog(true);
  std::unique_ptr<grpc::ClientReader<ipc::debug::Event>> reader =
      debug->WatchEvents(&watch_context, watch);
  // The backlog's first event: the stream is open on the browser's side.
  ipc::debug::Event event;
  ASSERT_TRUE(reader->Read(&event));
  std::vector<std::string> sent_urls;
  std::thread watcher([&] {
    ipc::debug::Event e;
    while (reader->Read(&e)) {
      if (e.type() == "request.sent")
        sent_urls.push_back(e.fields().at("url"));
    }
  });

  EXPECT_EQ(browser_->Terminate(), 0);
  watcher.join();  // the stream ended
  EXPECT_THAT(sent_urls, ::testing::ElementsAre("https://a.test/watched"));
  EXPECT_EQ(collector_->request_count(), 1u);
}

// "Key:\tvalue" lines of a /proc status file.
std::map<std::string, std::string> ProcStatus(const std::string& path) {
  std::map<std::string, std::string> fields;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
    if (kv.size() == 2)
      fields[kv[0]] = std::string(absl::StripAsciiWhitespace(kv[1]));
  }
  return fields;
}

// Issue: a renderer spawned by the browser (as the shell spawns it) shows
// `Seccomp: 2` and `NoNewPrivs: 1` in its /proc/PID/status, on every thread,
// and lives in its own network namespace. The browser saw the same.
TEST_F(MultiProcessTest, RenderersRunInTheirSandbox) {
  EXPECT_EQ(browser_->sandbox(), "on");
  ipc::Frame page = Open("https://a.test/");
  ipc::StepResult result;
  ASSERT_TRUE(FetchLater(page, "/sandboxed", &result).ok());
  ASSERT_EQ(result.outcome(), ipc::JS_OK);
  const ipc::debug::Renderer renderer = RendererOf("https://a.test");
  const int pid = renderer.sandbox().pid();
  ASSERT_GT(pid, 0);
  const std::string proc = absl::StrCat("/proc/", pid);
  std::map<std::string, std::string> status = ProcStatus(proc + "/status");
  EXPECT_EQ(status["Seccomp"], "2");
  EXPECT_EQ(status["NoNewPrivs"], "1");
  EXPECT_THAT(status["Name"], ::testing::StartsWith("renderer"));
  int threads = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(proc + "/task")) {
    std::map<std::string, std::string> thread =
        ProcStatus(entry.path().string() + "/status");
    if (thread.empty())
      continue;  // exited meanwhile
    ++threads;
    EXPECT_EQ(thread["Seccomp"], "2") << entry.path();
    EXPECT_EQ(thread["NoNewPrivs"], "1") << entry.path();
  }
  EXPECT_GT(threads, 1);
  EXPECT_NE(std::filesystem::read_symlink(proc + "/ns/net"),
            std::filesystem::read_symlink("/proc/self/ns/net"));
  // What the browser's check recorded agrees.
  EXPECT_EQ(renderer.sandbox().verdict(), "sandboxed");
  EXPECT_TRUE(renderer.sandbox().required());
  EXPECT_EQ(renderer.sandbox().seccomp_mode(), 2);
  EXPECT_TRUE(renderer.sandbox().no_new_privs());
  EXPECT_TRUE(renderer.sandbox().own_user_namespace());
  EXPECT_TRUE(renderer.sandbox().own_net_namespace());
  EXPECT_EQ(renderer.sandbox().threads_sandboxed(),
            renderer.sandbox().threads());
}

// The browser does not take the renderer's word for it: a renderer that did
// not seal itself (started with --no-sandbox behind the browser's back) is
// cut off and killed once its channel is up, and says why.
TEST_F(MultiProcessTest, AnUnsandboxedRendererIsCutOff) {
  StartBrowser(
      {"--renderer_binary=" + RunfilesPath("tests/unsandboxed_renderer.sh")});
  ipc::Frame page = Open("https://a.test/");
  ipc::StepResult result;
  EXPECT_FALSE(FetchLater(page, "/never", &result).ok());
  const ipc::debug::Snapshot snapshot = Snapshot();
  ASSERT_EQ(snapshot.renderers_size(), 1);
  const ipc::debug::Renderer& renderer = snapshot.renderers(0);
  EXPECT_TRUE(renderer.terminated());
  const std::string verdict =
      "not sandboxed: seccomp mode 0 on the main thread (2 is a filter)";
  EXPECT_EQ(renderer.termination_reason(),
            absl::StrCat("RENDERER_NOT_SANDBOXED: ", verdict));
  EXPECT_EQ(renderer.sandbox().verdict(), verdict);
  EXPECT_EQ(renderer.sandbox().seccomp_mode(), 0);
  ASSERT_EQ(snapshot.bad_messages_size(), 1);
  EXPECT_EQ(snapshot.bad_messages(0).reason(), "RENDERER_NOT_SANDBOXED");
  EXPECT_EQ(snapshot.bad_messages(0).detail(), verdict);
  // Its process is gone.
  const int pid = renderer.sandbox().pid();
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 200 && kill(pid, 0) == 0; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_NE(kill(pid, 0), 0);
}

// --no-sandbox: for debugging, renderers run unsandboxed and unchecked, and the
// start line says so.
TEST_F(MultiProcessTest, NoSandboxIsLoudAndUnchecked) {
  StartBrowser({"--no-sandbox"});
  EXPECT_THAT(browser_->sandbox(), ::testing::StartsWith("OFF (--no-sandbox)"));
  ipc::Frame page = Open("https://a.test/");
  ipc::StepResult result;
  ASSERT_TRUE(FetchLater(page, "/unsandboxed", &result).ok());
  EXPECT_EQ(result.outcome(), ipc::JS_OK);
  const ipc::debug::Renderer renderer = RendererOf("https://a.test");
  EXPECT_FALSE(renderer.terminated());
  EXPECT_EQ(renderer.sandbox().verdict(), "unchecked: --no-sandbox");
  EXPECT_FALSE(renderer.sandbox().required());
  EXPECT_EQ(renderer.sandbox().seccomp_mode(), 0);
}

}  // namespace
}  // namespace fetch_later::testing
