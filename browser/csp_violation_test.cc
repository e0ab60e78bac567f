// A document's Content-Security-Policy in the browser: parsed into the
// document's policy container when it commits (what was ignored reaches its
// console), handed with every deferred fetch to the network stage, and a
// request the stage refused by CSP becomes a `securitypolicyviolation` event
// for the document, only while it lives (CSP3 "report a violation"; WPT
// fetch-later/policies/csp-blocked).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/frame_tree_test_support.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/csp.h"
#include "net/recording_network_stage.h"

namespace fetch_later::browser {
namespace {

using testing::U;

class CspViolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    core_ = std::make_unique<BrowserCore>(options);
    tab_ = core_->CreateTab();
  }
  void TearDown() override { core_.reset(); }

  CommittedFrame Navigate(const std::string& url,
                          std::vector<std::string> csp) {
    NavigationParams params{U(url)};
    params.content_security_policy = std::move(csp);
    absl::StatusOr<CommittedFrame> frame = core_->Navigate(tab_, params);
    EXPECT_TRUE(frame.ok()) << frame.status();
    return *frame;
  }

  // fetchLater(url) from `frame`, activated at once (activateAfter: 0 and the
  // timers run), so it reaches the network while the document lives.
  void FetchLaterAndActivate(const CommittedFrame& frame,
                             const std::string& url,
                             uint64_t client_id) {
    RendererHost* host = core_->AuthenticateRenderer(frame.renderer_token);
    ASSERT_NE(host, nullptr);
    ipc::FetchLaterRequest m;
    m.set_document_token(frame.document_token);
    m.set_method("GET");
    m.set_url(url);
    m.set_total_request_length(m.url().size());
    m.set_client_id(client_id);
    m.set_activate_after_ms(0);
    BadMessageOr<ipc::FetchLaterResponse> queued = core_->FetchLater(*host, m);
    ASSERT_TRUE(queued.ok()) << queued.bad_message();
    core_->RunDueTimers();
  }

  // The events the renderer of `frame` was sent, in order.
  std::vector<ipc::RendererEvent> Events(const CommittedFrame& frame) {
    std::vector<ipc::RendererEvent> out;
    RendererHost* host = core_->AuthenticateRenderer(frame.renderer_token);
    if (host == nullptr)
      return out;
    while (std::optional<ipc::RendererEvent> e =
               host->PopEvent(absl::Milliseconds(10))) {
      out.push_back(std::move(*e));
    }
    return out;
  }

  std::vector<ipc::SecurityPolicyViolation> Violations(
      const CommittedFrame& frame) {
    std::vector<ipc::SecurityPolicyViolation> out;
    for (const ipc::RendererEvent& e : Events(frame)) {
      if (e.has_security_policy_violation())
        out.push_back(e.security_policy_violation());
    }
    return out;
  }

  // What the network stage says of request `id` when CSP refused it.
  net::RequestOutcome CspBlocked(uint64_t id,
                                 const std::string& url,
                                 int redirect_count = 0) {
    net::RequestOutcome o;
    o.kind = net::RequestOutcome::Kind::kBlocked;
    o.request_id = id;
    o.blocked_reason = net::BlockedReason::kCsp;
    o.blocked_url = url;
    o.csp_violation =
        net::CspViolation{"connect-src", "connect-src", "connect-src 'self'"};
    o.redirect_count = redirect_count;
    return o;
  }

  net::RecordingNetworkStage network_;
  net::FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<BrowserCore> core_;
  NavigableId tab_;
};

TEST_F(CspViolationTest, TheDocumentsCspTravelsWithItsRequests) {
  CommittedFrame page =
      Navigate("https://a.test/page", {"connect-src 'self'", "img-src *"});
  FetchLaterAndActivate(page, "https://c.test/beacon", 1);
  ASSERT_EQ(network_.sent().size(), 1u);
  const net::OutgoingRequest sent = network_.sent()[0];
  ASSERT_NE(sent.csp, nullptr);
  EXPECT_EQ(sent.csp->policies.size(), 2u);
  // CSP: "parse a response's Content Security Policies" step 4: the list's
  // self-origin is the response URL's origin (what 'self' matches, also for
  // a sandboxed document whose own origin is opaque).
  ASSERT_TRUE(sent.csp->self_origin.has_value());
  EXPECT_EQ(sent.csp->self_origin->Serialize(), "https://a.test");
  ASSERT_TRUE(sent.origin.has_value());
  EXPECT_EQ(sent.origin->Serialize(), "https://a.test");
  EXPECT_TRUE(
      net::ShouldRequestBeBlockedByCsp(*sent.csp, sent.url, *sent.origin, 0)
          .has_value());
}

TEST_F(CspViolationTest, ALiveDocumentGetsSecurityPolicyViolation) {
  CommittedFrame page = Navigate("https://a.test/page", {"connect-src 'self'"});
  FetchLaterAndActivate(page, "https://c.test/beacon?x=1", 1);
  ASSERT_EQ(network_.sent().size(), 1u);
  Events(page);  // the commit and its state changes
  network_.ReportOutcomeForTesting(
      CspBlocked(network_.sent()[0].id, "https://c.test/beacon?x=1"));
  std::vector<ipc::SecurityPolicyViolation> v = Violations(page);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].document_token(), page.document_token);
  EXPECT_EQ(v[0].blocked_url(), "https://c.test/beacon?x=1");
  EXPECT_EQ(v[0].violated_directive(), "connect-src");
  EXPECT_EQ(v[0].effective_directive(), "connect-src");
  EXPECT_EQ(v[0].original_policy(), "connect-src 'self'");
  EXPECT_EQ(v[0].disposition(), "enforce");
  EXPECT_EQ(v[0].document_url(), "https://a.test/page");
}

TEST_F(CspViolationTest, AfterARedirectOnlyTheOriginalOriginIsReported) {
  CommittedFrame page = Navigate("https://a.test/page", {"connect-src 'self'"});
  FetchLaterAndActivate(page, "https://a.test/redirect?secret=1", 1);
  Events(page);
  network_.ReportOutcomeForTesting(CspBlocked(
      network_.sent()[0].id, "https://c.test/target", /*redirect_count=*/1));
  std::vector<ipc::SecurityPolicyViolation> v = Violations(page);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].blocked_url(), "https://a.test");
}

TEST_F(CspViolationTest, AGoneDocumentGetsNothing) {
  CommittedFrame page = Navigate("https://a.test/page", {"connect-src 'self'"});
  // Sent while the document lived, refused after it was gone.
  FetchLaterAndActivate(page, "https://c.test/1", 1);
  // Queued, and sent only when the document goes (fetch group terminated).
  RendererHost* host = core_->AuthenticateRenderer(page.renderer_token);
  ipc::FetchLaterRequest m;
  m.set_document_token(page.document_token);
  m.set_method("GET");
  m.set_url("https://c.test/2");
  m.set_total_request_length(m.url().size());
  m.set_client_id(2);
  ASSERT_TRUE(core_->FetchLater(*host, m).ok());
  Events(page);
  Navigate("https://a.test/next", {});
  ASSERT_EQ(network_.sent().size(), 2u);
  for (const net::OutgoingRequest& r : network_.sent())
    network_.ReportOutcomeForTesting(CspBlocked(r.id, r.url.Serialize()));
  EXPECT_TRUE(Violations(page).empty());
}

TEST_F(CspViolationTest, IgnoredPolicyPartsReachTheDocumentsConsole) {
  CommittedFrame page =
      Navigate("https://a.test/", {"connect-src https://b.test:x 'self'"});
  std::vector<std::string> warnings;
  for (const ipc::RendererEvent& e : Events(page)) {
    if (e.has_document_committed()) {
      warnings.assign(e.document_committed().console_warnings().begin(),
                      e.document_committed().console_warnings().end());
    }
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("\"https://b.test:x\""), std::string::npos);
}

}  // namespace
}  // namespace fetch_later::browser
