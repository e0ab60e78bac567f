// fetch() in the browser (BrowserCore::Fetch): its own path, not the
// deferred-fetch one. No deferred-fetch quota and no Permissions Policy gate;
// Fetch's keepalive limit; the fetch group's termination cancels fetches
// without keepalive; the end of each fetch reaches the renderer as a filtered
// response or a network error, only while its document lives; and the
// renderer's word is checked again (bad messages).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/fetch_records.h"
#include "browser/frame_tree_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"

namespace fetch_later::browser {
namespace {

using ::testing::HasSubstr;
using testing::U;

class FetchTest : public ::testing::Test {
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
                          const std::string& permissions_policy = "",
                          std::vector<std::string> csp = {}) {
    NavigationParams params{U(url)};
    params.permissions_policy = permissions_policy;
    params.content_security_policy = std::move(csp);
    absl::StatusOr<CommittedFrame> frame = core_->Navigate(tab_, params);
    EXPECT_TRUE(frame.ok()) << frame.status();
    return *frame;
  }

  RendererHost* Host(const CommittedFrame& frame) {
    return core_->AuthenticateRenderer(frame.renderer_token);
  }

  // What an honest renderer's fetch(url, {method, body, keepalive}) sends.
  static ipc::FetchRequest Message(const CommittedFrame& frame,
                                   uint64_t client_id,
                                   const std::string& url,
                                   const std::string& method = "GET",
                                   std::optional<std::string> body = {},
                                   bool keepalive = false) {
    ipc::FetchRequest m;
    m.set_document_token(frame.document_token);
    m.set_client_id(client_id);
    m.set_method(method);
    m.set_url(url);
    if (body) {
      m.set_body(*body);
      ipc::Header* type = m.add_headers();
      type->set_name("Content-Type");
      type->set_value("text/plain;charset=UTF-8");
    }
    m.set_keepalive(keepalive);
    return m;
  }

  BadMessageOr<ipc::FetchAccepted> Fetch(const CommittedFrame& frame,
                                         const ipc::FetchRequest& m) {
    RendererHost* host = Host(frame);
    EXPECT_NE(host, nullptr);
    return core_->Fetch(*host, m);
  }

  // The events the renderer of `frame` was sent since the last call.
  std::vector<ipc::RendererEvent> Events(const CommittedFrame& frame) {
    std::vector<ipc::RendererEvent> out;
    RendererHost* host = Host(frame);
    if (host == nullptr)
      return out;
    while (std::optional<ipc::RendererEvent> e =
               host->PopEvent(absl::Milliseconds(10))) {
      out.push_back(std::move(*e));
    }
    return out;
  }

  std::vector<ipc::FetchCompleted> Completed(const CommittedFrame& frame) {
    std::vector<ipc::FetchCompleted> out;
    for (const ipc::RendererEvent& e : Events(frame)) {
      if (e.has_fetch_completed())
        out.push_back(e.fetch_completed());
    }
    return out;
  }

  // The request the network stage was handed for `url`.
  std::optional<net::OutgoingRequest> SentTo(const std::string& url) {
    for (const net::OutgoingRequest& r : network_.sent()) {
      if (r.url.Serialize() == url)
        return r;
    }
    return std::nullopt;
  }

  net::RecordingNetworkStage network_;
  net::FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<BrowserCore> core_;
  NavigableId tab_;
};

// The regression: under `deferred-fetch=()` fetchLater() has no quota
// at all, while fetch() (no quota, no Permissions Policy) goes out at once,
// with a body larger than any deferred request may be.
TEST_F(FetchTest, NoDeferredFetchQuotaAndNoPermissionsPolicyGate) {
  CommittedFrame page = Navigate("https://a.test/", "deferred-fetch=()");
  EXPECT_EQ(*core_->AvailableQuota(page.document_token, std::nullopt), 0);
  const std::string body(100'000, 'x');
  ASSERT_TRUE(
      Fetch(page, Message(page, 1, "https://c.test/big", "POST", body)).ok());
  std::optional<net::OutgoingRequest> sent = SentTo("https://c.test/big");
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->body.size(), body.size());
  EXPECT_NE(sent->id & FetchRecords::kRequestIdBit, 0u);
  EXPECT_FALSE(sent->initiator_gone);
  // Main fetch needs the document's origin and referrer, from the browser's
  // own record.
  ASSERT_TRUE(sent->origin.has_value());
  EXPECT_EQ(sent->origin->Serialize(), "https://a.test");
  EXPECT_TRUE(sent->referrer.has_value());
  EXPECT_TRUE(core_->bad_messages().empty());
  // No record of the deferred-fetch kind was made, and the quota is as it was.
  EXPECT_EQ(core_->frame_tree().PendingCount(), 0);
}

// The stage's outcome reaches the document as the filtered response.
TEST_F(FetchTest, TheResponseReachesTheLiveDocument) {
  CommittedFrame page = Navigate("https://a.test/");
  ASSERT_TRUE(Fetch(page, Message(page, 7, "https://a.test/r")).ok());
  std::optional<net::OutgoingRequest> sent = SentTo("https://a.test/r");
  ASSERT_TRUE(sent.has_value());
  Events(page);
  net::RequestOutcome ok;
  ok.request_id = sent->id;
  ok.status = 201;
  ok.status_text = "Created";
  ok.headers = {{"Content-Type", "application/json"}, {"Set-Cookie", "a=b"}};
  ok.body = "{\"ok\":true}";
  ok.body_length = ok.body.size();
  ok.url = "https://a.test/r";
  network_.ReportOutcomeForTesting(ok);
  std::vector<ipc::FetchCompleted> done = Completed(page);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].document_token(), page.document_token);
  EXPECT_EQ(done[0].client_id(), 7u);
  ASSERT_TRUE(done[0].has_response());
  EXPECT_EQ(done[0].response().status(), 201u);
  EXPECT_EQ(done[0].response().status_text(), "Created");
  ASSERT_EQ(done[0].response().headers_size(), 1);  // basic: no Set-Cookie
  EXPECT_EQ(done[0].response().body(), "{\"ok\":true}");
  // Told once.
  network_.ReportOutcomeForTesting(ok);
  EXPECT_TRUE(Completed(page).empty());
}

// Fetch "HTTP-network-or-cache fetch": more than 64 KiB of keepalive bodies in
// flight in the document's fetch group is a network error, at once and
// without asking the network.
TEST_F(FetchTest, KeepaliveLimitExceededIsANetworkError) {
  CommittedFrame page = Navigate("https://a.test/");
  const std::string body(40'000, 'k');
  ASSERT_TRUE(Fetch(page, Message(page, 1, "https://c.test/1", "POST", body,
                                  /*keepalive=*/true))
                  .ok());
  Events(page);
  ASSERT_TRUE(Fetch(page, Message(page, 2, "https://c.test/2", "POST", body,
                                  /*keepalive=*/true))
                  .ok());
  std::vector<ipc::FetchCompleted> done = Completed(page);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].client_id(), 2u);
  ASSERT_TRUE(done[0].has_network_error());
  EXPECT_THAT(done[0].network_error().message(),
              HasSubstr("would exceed 65536"));
  EXPECT_FALSE(SentTo("https://c.test/2").has_value());
  // Without keepalive there is no such limit.
  ASSERT_TRUE(
      Fetch(page, Message(page, 3, "https://c.test/3", "POST", body)).ok());
  EXPECT_TRUE(SentTo("https://c.test/3").has_value());
  EXPECT_TRUE(core_->bad_messages().empty());
}

// Fetch: when the document's fetch group is terminated, fetches without
// keepalive are terminated (the stage cancels them) and keepalive ones go on;
// the document is gone, so nobody hears how either ends.
TEST_F(FetchTest, NavigatingAwayCancelsFetchesWithoutKeepalive) {
  CommittedFrame page = Navigate("https://a.test/");
  ASSERT_TRUE(Fetch(page, Message(page, 1, "https://c.test/plain")).ok());
  ipc::FetchRequest kept = Message(page, 2, "https://c.test/kept", "GET", {},
                                   /*keepalive=*/true);
  kept.mutable_retry_options()->set_max_attempts(2);
  kept.mutable_retry_options()->set_retry_after_unload(true);
  ASSERT_TRUE(Fetch(page, kept).ok());
  const uint64_t plain_id = SentTo("https://c.test/plain")->id;
  const uint64_t kept_id = SentTo("https://c.test/kept")->id;
  EXPECT_TRUE(network_.cancelled().empty());
  Events(page);
  Navigate("https://b.test/");
  EXPECT_EQ(network_.cancelled(), std::vector<uint64_t>{plain_id});
  // The keepalive fetch's retries now need retryAfterUnload.
  EXPECT_EQ(network_.initiators_gone(), std::vector<uint64_t>{kept_id});
  net::RequestOutcome ok;
  ok.request_id = kept_id;
  ok.status = 204;
  network_.ReportOutcomeForTesting(ok);
  EXPECT_TRUE(Completed(page).empty());
}

TEST_F(FetchTest, AbortTerminatesTheFetch) {
  CommittedFrame page = Navigate("https://a.test/");
  ASSERT_TRUE(Fetch(page, Message(page, 5, "https://c.test/a", "GET", {},
                                  /*keepalive=*/true))
                  .ok());
  const uint64_t id = SentTo("https://c.test/a")->id;
  ipc::AbortFetchRequest abort;
  abort.set_document_token(page.document_token);
  abort.set_client_id(5);
  BadMessageOr<ipc::AbortFetchResponse> first =
      core_->AbortFetch(*Host(page), abort);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->was_in_flight());
  EXPECT_EQ(network_.cancelled(), std::vector<uint64_t>{id});
  // A second abort (or one for a fetch that ended) is no bad message.
  BadMessageOr<ipc::AbortFetchResponse> again =
      core_->AbortFetch(*Host(page), abort);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->was_in_flight());
  Events(page);
  net::RequestOutcome aborted;
  aborted.request_id = id;
  aborted.kind = net::RequestOutcome::Kind::kNetworkError;
  aborted.error =
      net::NetworkError::Make(net::NetworkErrorKind::kAborted, false, "x");
  network_.ReportOutcomeForTesting(aborted);
  EXPECT_TRUE(Completed(page).empty());  // the renderer already rejected
}

// A CSP block of a fetch() is a violation for the document and a network
// error for the fetch.
TEST_F(FetchTest, ACspBlockIsAViolationAndANetworkError) {
  CommittedFrame page =
      Navigate("https://a.test/page", "", {"connect-src 'self'"});
  ASSERT_TRUE(Fetch(page, Message(page, 1, "https://c.test/x")).ok());
  std::optional<net::OutgoingRequest> sent = SentTo("https://c.test/x");
  ASSERT_TRUE(sent.has_value());
  ASSERT_NE(sent->csp, nullptr);
  Events(page);
  net::RequestOutcome blocked;
  blocked.kind = net::RequestOutcome::Kind::kBlocked;
  blocked.request_id = sent->id;
  blocked.blocked_reason = net::BlockedReason::kCsp;
  blocked.blocked_url = "https://c.test/x";
  blocked.message = "refused by Content-Security-Policy";
  blocked.csp_violation =
      net::CspViolation{"connect-src", "connect-src", "connect-src 'self'"};
  network_.ReportOutcomeForTesting(blocked);
  std::vector<ipc::RendererEvent> events = Events(page);
  ASSERT_EQ(events.size(), 2u);
  ASSERT_TRUE(events[0].has_security_policy_violation());
  EXPECT_EQ(events[0].security_policy_violation().document_url(),
            "https://a.test/page");
  ASSERT_TRUE(events[1].has_fetch_completed());
  EXPECT_EQ(events[1].fetch_completed().network_error().message(),
            "fetch: blocked (CSP): refused by Content-Security-Policy");
}

// A document that is not a secure context may fetch() plain http: (no mixed
// content there); the HTTPS-only stage refuses it, a network error.
TEST_F(FetchTest, PlainHttpFromANonSecureDocumentGoesToTheStage) {
  CommittedFrame page = Navigate("http://a.test/");
  ASSERT_TRUE(Fetch(page, Message(page, 1, "http://a.test/plain")).ok());
  ASSERT_EQ(network_.refused().size(), 1u);
  EXPECT_EQ(network_.refused()[0].url.Serialize(), "http://a.test/plain");
  EXPECT_TRUE(core_->bad_messages().empty());
}

// What no honest renderer sends: each is a bad message, and the renderer is
// cut off.
TEST_F(FetchTest, BadMessages) {
  struct Row {
    const char* source;
    const char* page;
    std::function<void(ipc::FetchRequest&)> forge;
    BadMessage expected;
  };
  const Row rows[] = {
      {"Mixed Content: the renderer blocks http: from a secure context",
       "https://a.test/",
       [](ipc::FetchRequest& m) { m.set_url("http://c.test/"); },
       {BadMessageReason::kFetchMixedContent,
        "url: not potentially trustworthy, from a secure context (mixed "
        "content)"}},
      {"fetch-retry explainer: retryAfterUnload requires keepalive",
       "https://a.test/",
       [](ipc::FetchRequest& m) {
         m.mutable_retry_options()->set_retry_after_unload(true);
       },
       {BadMessageReason::kFetchRetryAfterUnloadWithoutKeepalive,
        "retry_options.retry_after_unload: without keepalive"}},
      {"retryOptions is [SecureContext]",
       "http://a.test/",
       [](ipc::FetchRequest& m) {
         m.mutable_retry_options()->set_max_attempts(1);
       },
       {BadMessageReason::kFetchLaterRetryOptionsNotSecureContext,
        "retry_options: [SecureContext], the document is not one"}},
      {"a token this renderer does not host",
       "https://a.test/",
       [](ipc::FetchRequest& m) { m.set_document_token("0123"); },
       {BadMessageReason::kFetchDocumentNotHosted,
        "document_token: not a document this renderer hosts"}},
      {"the shared request checks: a forbidden header",
       "https://a.test/",
       [](ipc::FetchRequest& m) {
         ipc::Header* h = m.add_headers();
         h->set_name("Cookie");
         h->set_value("a=b");
       },
       {BadMessageReason::kFetchLaterHeaderForbidden,
        "headers[0]: forbidden request-header \"Cookie\""}},
      {"a body over MAX_FETCH_BODY_BYTES",
       "https://a.test/",
       [](ipc::FetchRequest& m) {
         m.set_method("POST");
         m.set_body(std::string(ipc::MAX_FETCH_BODY_BYTES + 1, 'x'));
       },
       {BadMessageReason::kFetchLaterBodyTooLong,
        "body: longer than MAX_FETCH_BODY_BYTES"}},
  };
  for (const Row& row : rows) {
    CommittedFrame page = Navigate(row.page);
    ipc::FetchRequest m = Message(page, 1, "https://c.test/");
    row.forge(m);
    RendererHost* host = Host(page);
    ASSERT_NE(host, nullptr) << row.source;
    BadMessageOr<ipc::FetchAccepted> answer = core_->Fetch(*host, m);
    ASSERT_FALSE(answer.ok()) << row.source;
    EXPECT_EQ(answer.bad_message(), row.expected) << row.source;
    EXPECT_TRUE(host->terminated()) << row.source;
  }
  // A client id of a fetch() in flight.
  CommittedFrame page = Navigate("https://a.test/");
  ASSERT_TRUE(Fetch(page, Message(page, 9, "https://c.test/once")).ok());
  BadMessageOr<ipc::FetchAccepted> twice =
      Fetch(page, Message(page, 9, "https://c.test/twice"));
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.bad_message().reason, BadMessageReason::kFetchClientIdReused);
  EXPECT_FALSE(SentTo("https://c.test/twice").has_value());
}

}  // namespace
}  // namespace fetch_later::browser
