// fetchLater() end to end over the real process boundary's transport: a
// renderer connection (renderer/) talking gRPC over a Unix socket to the
// browser (browser/), which owns quota and activation. WPT groups A-D of
// SPEC-NOTES.md section 2, the seeds' examples, and renderer death.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/referrer.h"
#include "renderer/abort_signal.h"
#include "renderer/body.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/request.h"
#include "tests/ipc_test_fixture.h"

namespace fetch_later::testing {
namespace {

using renderer::AbortController;
using renderer::BodyInit;
using renderer::DeferredRequestInit;
using renderer::JsErrorType;
using renderer::RequestInfo;

constexpr int64_t KiB = 1024;

DeferredRequestInit Post(std::string body,
                         std::optional<double> activate_after = {}) {
  DeferredRequestInit init;
  init.method = "POST";
  init.body = BodyInit::String(std::move(body));
  init.activate_after = activate_after;
  return init;
}

DeferredRequestInit ActivateAfter(double ms) {
  DeferredRequestInit init;
  init.activate_after = ms;
  return init;
}

// ---- A-1 basic.https.window.js
// -----------------------------------------------------------

struct BasicCase {
  const char* source;
  std::optional<std::string> url;  // nullopt: fetchLater() with no argument
  std::optional<JsErrorType> error;
};

class WptBasicTest : public IpcTest,
                     public ::testing::WithParamInterface<BasicCase> {};

TEST_P(WptBasicTest, ArgumentValidation) {
  const BasicCase& c = GetParam();
  ipc::Frame page = OpenPage("https://a.test/basic.html");
  std::optional<RequestInfo> input;
  if (c.url)
    input = RequestInfo(*c.url);
  auto result = FetchLater(page, input);
  if (c.error) {
    ASSERT_FALSE(result.ok()) << c.source;
    EXPECT_EQ(result.error().type, *c.error)
        << c.source << ": " << result.error().message;
  } else {
    ASSERT_TRUE(result.ok()) << c.source << ": " << result.error().message;
    EXPECT_FALSE(result->activated()) << c.source;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Wpt,
    WptBasicTest,
    ::testing::Values(
        BasicCase{"fetchLater() with no arguments", std::nullopt,
                  JsErrorType::kTypeError},
        BasicCase{"'/'", "/", std::nullopt},
        BasicCase{"http://localhost", "http://localhost", std::nullopt},
        BasicCase{"https://localhost", "https://localhost", std::nullopt},
        BasicCase{"http://127.0.0.1", "http://127.0.0.1", std::nullopt},
        BasicCase{"https://127.0.0.1", "https://127.0.0.1", std::nullopt},
        BasicCase{"http://[::1]", "http://[::1]", std::nullopt},
        BasicCase{"https://[::1]", "https://[::1]", std::nullopt},
        BasicCase{"https://example.com", "https://example.com", std::nullopt},
        BasicCase{"http://example.com is not trustworthy", "http://example.com",
                  JsErrorType::kTypeError},
        BasicCase{"file://tmp", "file://tmp", JsErrorType::kTypeError},
        BasicCase{"ftp://", "ftp://", JsErrorType::kTypeError},
        BasicCase{"ssh://", "ssh://", JsErrorType::kTypeError},
        BasicCase{"wss://", "wss://", JsErrorType::kTypeError},
        BasicCase{"about:blank", "about:blank", JsErrorType::kTypeError},
        BasicCase{"javascript:", "javascript:", JsErrorType::kTypeError},
        BasicCase{"data:", "data:", JsErrorType::kTypeError},
        BasicCase{"blob:https://example.com/uuid",
                  "blob:https://example.com/uuid", JsErrorType::kTypeError}));

TEST_F(IpcTest, WptBasicNegativeActivateAfterIsRangeError) {
  ipc::Frame page = OpenPage("https://a.test/");
  auto result = FetchLater(page, RequestInfo("/"), ActivateAfter(-1));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kRangeError);
}

TEST_F(IpcTest, WptBasicAbortedSignalThrowsAbortError) {
  ipc::Frame page = OpenPage("https://a.test/");
  AbortController controller;
  controller.Abort();
  DeferredRequestInit init;
  init.signal = controller.signal();
  auto result = FetchLater(page, RequestInfo("/"), init);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kAbortError);
  EXPECT_EQ(result.error().name(), "AbortError");
}

// "Aborting after queuing does not throw, and activated stays false"; the
// aborted request is never sent, even when the page goes away.
TEST_F(IpcTest, WptBasicAbortAfterQueueingNeverSends) {
  ipc::Frame page = OpenPage("https://a.test/");
  AbortController controller;
  DeferredRequestInit init;
  init.signal = controller.signal();
  auto result = FetchLater(page, RequestInfo("/aborted"), init);
  ASSERT_TRUE(result.ok()) << result.error().message;
  controller.Abort();
  EXPECT_FALSE(result->activated());
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_TRUE(network_.sent().empty());
}

// ---- Quota decisions cross the boundary with their numbers
// --------------------------------

// WPT quota/max-payload: the QuotaExceededError carries quota 65536 and
// requested 65537.
TEST_F(IpcTest, QuotaExceededErrorCarriesQuotaAndRequested) {
  ipc::Frame page = OpenPage("https://a.test/");
  const std::string url = "https://a.test/beacon";  // 21 bytes
  DeferredRequestInit over = Post(std::string(64 * KiB - 21 - 36 + 1, '*'));
  over.referrer = "";
  auto result = FetchLater(page, RequestInfo(url), over);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kQuotaExceededError);
  EXPECT_EQ(result.error().quota, 65536u);
  EXPECT_EQ(result.error().requested, 65537u);
  DeferredRequestInit exact = Post(std::string(64 * KiB - 21 - 36, '*'));
  exact.referrer = "";
  EXPECT_TRUE(FetchLater(page, RequestInfo(url), exact).ok());
  // Now the origin's budget is spent: even 1 byte more reports quota 0.
  auto again = FetchLater(page, RequestInfo(url));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().quota, 0u);
  EXPECT_EQ(again.error().requested, 21u);
}

// A request that can never fit (a 72 KiB URL) asks the browser only for the
// available quota, and still reports both numbers.
TEST_F(IpcTest, OversizedRequestReportsQuotaWithoutSendingIt) {
  ipc::Frame page = OpenPage("https://a.test/");
  const std::string url = "https://a.test/?" + std::string(72 * KiB, 'x');
  auto result = FetchLater(page, RequestInfo(url));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().type, JsErrorType::kQuotaExceededError);
  EXPECT_EQ(result.error().quota, 65536u);
  EXPECT_EQ(result.error().requested, url.size());
  EXPECT_TRUE(core_->bad_messages().empty());
}

// A cross-origin iframe's 8 KiB minimal quota, decided by the browser.
TEST_F(IpcTest, CrossOriginIframeGetsMinimalQuotaOverIpc) {
  ipc::Frame page = OpenPage("https://a.test/");
  ipc::Frame frame = Iframe(page, "https://b.test/frame");
  EXPECT_NE(frame.renderer_token(), page.renderer_token());  // site-per-process
  auto result = FetchLater(frame, RequestInfo("https://a.test/"),
                           Post(std::string(9000, 'x')));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().quota, 8192u);
  EXPECT_EQ(result.error().requested, 15u + 36u + 9000u);
}

// ---- B-6 activate-after.https.window.js
// ---------------------------------------------------

TEST_F(IpcTest, WptActivateAfterIframeRemovedSendsOnce) {
  ipc::Frame page = OpenPage("https://a.test/");
  ipc::Frame frame = Iframe(page, "https://a.test/iframe");
  ASSERT_TRUE(FetchLater(frame, RequestInfo("https://a.test/b?i=1"),
                         ActivateAfter(1000))
                  .ok());
  ASSERT_TRUE(RemoveIframe(frame).ok());
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://a.test/b?i=1"});
  AdvanceClock(2000);
  EXPECT_EQ(network_.sent().size(), 1u);
}

// activateAfter expiry sends the request and the page sees activated = true.
TEST_F(IpcTest, ActivateAfterExpiryActivatesResult) {
  ipc::Frame page = OpenPage("https://a.test/");
  auto result = FetchLater(page, RequestInfo("/timed"), ActivateAfter(1000));
  ASSERT_TRUE(result.ok());
  AdvanceClock(999);
  EXPECT_TRUE(network_.sent().empty());
  AdvanceClock(1);
  EXPECT_TRUE(RendererFor(page).WaitForActivated(*result, absl::Seconds(5)));
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://a.test/timed"});
}

// ---- C send-on-discard
// --------------------------------------------------------------------

// C-7 send-multiple and C-8 send-multiple-with-activate-after: removing the
// iframe sends all 40 at once, timers notwithstanding.
TEST_F(IpcTest, WptSendMultipleOnIframeRemoval) {
  for (bool with_timers : {false, true}) {
    ipc::Frame page = OpenPage("https://a.test/");
    ipc::Frame frame = Iframe(page, "https://a.test/iframe");
    const size_t before = network_.sent().size();
    for (int i = 0; i < 20; ++i) {
      DeferredRequestInit get;
      if (with_timers)
        get.activate_after = 10000;
      ASSERT_TRUE(
          FetchLater(frame, RequestInfo("/get?i=" + std::to_string(i)), get)
              .ok());
      ASSERT_TRUE(
          FetchLater(frame, RequestInfo("/post?i=" + std::to_string(i)),
                     Post("payload", with_timers ? std::optional<double>(8000)
                                                 : std::nullopt))
              .ok());
    }
    ASSERT_TRUE(RemoveIframe(frame).ok());
    EXPECT_EQ(network_.sent().size() - before, 40u)
        << "timers: " << with_timers;
  }
}

// C-9 not-send-after-abort.
TEST_F(IpcTest, WptNotSendAfterAbort) {
  ipc::Frame page = OpenPage("https://a.test/");
  ipc::Frame frame = Iframe(page, "https://a.test/iframe");
  AbortController controller;
  DeferredRequestInit aborted;
  aborted.signal = controller.signal();
  ASSERT_TRUE(FetchLater(frame, RequestInfo("/aborted"), aborted).ok());
  ASSERT_TRUE(FetchLater(frame, RequestInfo("/kept"), Post("x")).ok());
  controller.Abort();
  ASSERT_TRUE(RemoveIframe(frame).ok());
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://a.test/kept"});
}

// ---- D send-on-deactivate (bfcache)
// -------------------------------------------------------

// D-10.1 / D-10.5: entering the bfcache flushes (Chromium and the WPT; the spec
// only sends on termination or timer); after the restore, `activated` tells the
// page not to send again.
TEST_F(IpcTest, WptBfcacheEntryFlushesAndRestoredPageSeesActivated) {
  ipc::Frame page = OpenPage("https://a.test/");
  auto plain = FetchLater(page, RequestInfo("/default"));
  auto timed = FetchLater(page, RequestInfo("/later"), ActivateAfter(60000));
  ASSERT_TRUE(plain.ok() && timed.ok());
  Navigate(tab_, "https://c.test/", "", /*enter_bfcache=*/true);
  EXPECT_EQ(network_.sent().size(), 2u);
  renderer::RendererConnection& renderer = RendererFor(page);
  EXPECT_TRUE(renderer.WaitForActivated(*plain, absl::Seconds(5)));
  EXPECT_TRUE(renderer.WaitForActivated(*timed, absl::Seconds(5)));
  // While in the bfcache the document is not fully active: fetchLater throws
  // TypeError.
  auto in_cache = FetchLater(page, RequestInfo("/x"));
  ASSERT_FALSE(in_cache.ok());
  EXPECT_EQ(in_cache.error().type, JsErrorType::kTypeError);
  RestoreFromBfcache(tab_);
  AdvanceClock(61000);
  EXPECT_EQ(network_.sent().size(), 2u);  // nothing twice
}

// D-10.3: navigating away without the bfcache unloads the document and sends.
TEST_F(IpcTest, WptNavigationAwaySends) {
  ipc::Frame page = OpenPage("https://a.test/");
  ASSERT_TRUE(FetchLater(page, RequestInfo("/unload")).ok());
  Navigate(tab_, "https://c.test/");
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://a.test/unload"});
}

// ---- Renderer death
// -----------------------------------------------------------------------

// A renderer that crashes or disconnects: its documents are destroyed by the
// browser and their pending deferred fetches are sent; the other renderer's are
// not.
TEST_F(IpcTest, RendererDeathSendsItsPendingFetchesOnly) {
  ipc::Frame page = OpenPage("https://a.test/");
  ipc::Frame frame = Iframe(page, "https://b.test/frame");
  ASSERT_TRUE(FetchLater(page, RequestInfo("/top")).ok());
  ASSERT_TRUE(FetchLater(frame, RequestInfo("https://b.test/child")).ok());
  KillRenderer(frame);
  EXPECT_EQ(network_.WaitForSent(1, absl::Seconds(5)), 1u);
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://b.test/child"});
  // The top document's renderer is unaffected and keeps its pending fetch.
  EXPECT_TRUE(FetchLater(page, RequestInfo("/still-works")).ok());
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_EQ(network_.sent().size(), 3u);
}

// ---- Explainer: "Implement PendingBeacon with fetchLater()" (ported to C++)
// ----------------

// The explainer's class, against the renderer stub: every update aborts the
// pending request and schedules a new one, unless the previous one was already
// activated.
class PendingBeacon {
 public:
  PendingBeacon(renderer::RendererConnection* renderer,
                std::string document_token,
                std::string url,
                std::optional<double> activate_after)
      : renderer_(renderer),
        document_token_(std::move(document_token)),
        url_(std::move(url)),
        activate_after_(activate_after) {
    Schedule();
  }
  void Update(std::string url) {
    url_ = std::move(url);
    Schedule();
  }
  bool activated() const { return result_ && result_->activated(); }

 private:
  void Schedule() {
    if (result_ && result_->activated())
      abort_controller_.reset();
    if (abort_controller_)
      abort_controller_->Abort();  // cancel the previous request
    abort_controller_.emplace();
    DeferredRequestInit init;
    init.signal = abort_controller_->signal();
    init.activate_after = activate_after_;
    auto result =
        renderer_->FetchLater(document_token_, RequestInfo(url_), init);
    if (result.ok())
      result_.emplace(*result);
  }

  renderer::RendererConnection* renderer_;
  std::string document_token_;
  std::string url_;
  std::optional<double> activate_after_;
  std::optional<AbortController> abort_controller_;
  std::optional<renderer::FetchLaterResult> result_;
};

TEST_F(IpcTest, ExplainerPendingBeaconSendsOnlyTheLatestUpdate) {
  ipc::Frame page = OpenPage("https://a.test/");
  PendingBeacon beacon(&RendererFor(page), page.document_token(), "/beacon?v=1",
                       std::nullopt);
  beacon.Update("/beacon?v=2");
  beacon.Update("/beacon?v=3");
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_EQ(SentUrls(), std::vector<std::string>{"https://a.test/beacon?v=3"});
}

TEST_F(IpcTest, ExplainerPendingBeaconAfterActivationStartsANewRequest) {
  ipc::Frame page = OpenPage("https://a.test/");
  PendingBeacon beacon(&RendererFor(page), page.document_token(), "/beacon?v=1",
                       1000);
  AdvanceClock(1000);
  ASSERT_TRUE(network_.WaitForSent(1, absl::Seconds(5)) == 1);
  // Wait for the activation to reach the renderer, then update: a new request,
  // no abort of the sent one.
  for (int i = 0; i < 100 && !beacon.activated(); ++i)
    absl::SleepFor(absl::Milliseconds(10));
  ASSERT_TRUE(beacon.activated());
  beacon.Update("/beacon?v=2");
  ASSERT_TRUE(CloseTab(tab_).ok());
  EXPECT_EQ(SentUrls(),
            (std::vector<std::string>{"https://a.test/beacon?v=1",
                                      "https://a.test/beacon?v=2"}));
}

// Explainer, "Defer a POST request for around 1 minute".
TEST_F(IpcTest, ExplainerDeferPostForAboutOneMinute) {
  ipc::Frame page = OpenPage("https://a.test/");
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("/send_beacon"), Post("beacon-data", 60000))
          .ok());
  AdvanceClock(59999);
  EXPECT_TRUE(network_.sent().empty());
  AdvanceClock(1);
  ASSERT_EQ(network_.sent().size(), 1u);
  EXPECT_EQ(network_.sent()[0].method, "POST");
  EXPECT_EQ(network_.sent()[0].body, "beacon-data");
}

// What reaches the network stage: the counted headers, the Referer the browser
// computed (strict-origin-when-cross-origin: the origin for a cross-origin
// target), the body, and the network isolation key.
TEST_F(IpcTest, SentRequestCarriesBrowserComputedRefererAndKey) {
  ipc::Frame page = OpenPage("https://www.a.test/page?secret=1");
  ipc::Frame frame = Iframe(page, "https://b.test/frame");
  ASSERT_TRUE(
      FetchLater(frame, RequestInfo("https://collector.test/x"), Post("hi"))
          .ok());
  ASSERT_TRUE(RemoveIframe(frame).ok());
  ASSERT_EQ(network_.sent().size(), 1u);
  const net::OutgoingRequest sent = network_.sent()[0];
  // The Referer is no longer a header the browser adds once: the browser
  // hands over the referrer (its own record of the document: "client" =
  // the frame's URL) and the policy, and the network stage determines the
  // header for every hop. For this first hop that is the frame's origin.
  std::vector<std::pair<std::string, std::string>> expected = {
      {"Content-Type", "text/plain;charset=UTF-8"}};
  EXPECT_EQ(sent.headers, expected);
  ASSERT_TRUE(sent.referrer.has_value());
  std::optional<net::Url> referer = net::DetermineRequestReferrer(
      sent.referrer_policy, *sent.referrer, sent.url);
  ASSERT_TRUE(referer.has_value());
  EXPECT_EQ(referer->Serialize(), "https://b.test/");
  ASSERT_TRUE(sent.origin.has_value());
  EXPECT_EQ(sent.origin->Serialize(), "https://b.test");
  EXPECT_EQ(sent.network_isolation_key.top_frame_site.Serialize(),
            "https://a.test");
  EXPECT_EQ(sent.network_isolation_key.frame_site.Serialize(),
            "https://b.test");
  EXPECT_TRUE(sent.initiator_gone);
}

// RequestInit's mode, credentials and redirect travel from the renderer's
// Request through the browser's re-check to the network stage, and a no-cors
// request carries only what its guard kept.
TEST_F(IpcTest, ModesReachTheNetworkStage) {
  ipc::Frame page = OpenPage("https://a.test/page");
  DeferredRequestInit no_cors = Post("hi");
  no_cors.mode = "no-cors";
  no_cors.credentials = "include";
  no_cors.redirect = "error";
  no_cors.referrer = "";
  no_cors.headers = renderer::HeaderList{{"X-Trace", "1"}, {"Accept", "a/b"}};
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("https://collector.test/n"), no_cors).ok());
  DeferredRequestInit same_origin;
  same_origin.mode = "same-origin";
  same_origin.credentials = "omit";
  same_origin.redirect = "manual";
  ASSERT_TRUE(
      FetchLater(page, RequestInfo("https://a.test/s"), same_origin).ok());
  ASSERT_TRUE(FetchLater(page, RequestInfo("https://collector.test/d")).ok());
  ASSERT_TRUE(CloseTab(tab_).ok());
  ASSERT_EQ(network_.sent().size(), 3u);
  const std::vector<net::OutgoingRequest> sent = network_.sent();
  auto find = [&](const std::string& url) -> const net::OutgoingRequest& {
    for (const net::OutgoingRequest& request : sent) {
      if (request.url.Serialize() == url)
        return request;
    }
    ADD_FAILURE() << "not sent: " << url;
    return sent.front();
  };
  const net::OutgoingRequest& n = find("https://collector.test/n");
  EXPECT_EQ(n.mode, net::RequestMode::kNoCors);
  EXPECT_EQ(n.credentials, net::CredentialsMode::kInclude);
  EXPECT_EQ(n.redirect, net::RedirectMode::kError);
  std::vector<std::pair<std::string, std::string>> kept = {
      {"Accept", "a/b"}, {"Content-Type", "text/plain;charset=UTF-8"}};
  EXPECT_EQ(n.headers, kept);
  const net::OutgoingRequest& s = find("https://a.test/s");
  EXPECT_EQ(s.mode, net::RequestMode::kSameOrigin);
  EXPECT_EQ(s.credentials, net::CredentialsMode::kOmit);
  EXPECT_EQ(s.redirect, net::RedirectMode::kManual);
  const net::OutgoingRequest& d = find("https://collector.test/d");
  EXPECT_EQ(d.mode, net::RequestMode::kCors);
  EXPECT_EQ(d.credentials, net::CredentialsMode::kSameOrigin);
  EXPECT_EQ(d.redirect, net::RedirectMode::kFollow);
}

}  // namespace
}  // namespace fetch_later::testing
