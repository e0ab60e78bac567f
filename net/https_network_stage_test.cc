// The HTTPS network stage against the real HttpsTestServer on loopback (its
// test CA as the only trust anchor, every host mapped to it with `MAP *
// 127.0.0.1:<port>`). Backoff and maxAge run on a FakeClock, so no test sleeps
// for a retry; only socket I/O uses real time.
//
// Redirects are live here (HttpsTestServer::Respond) for what the stage itself
// decides (https-only hops, the limit); the rewriting rules are tested in
// redirect_test.cc on the function the stage calls for every 3xx.
#include "net/https_network_stage.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/blocked_reason.h"
#include "net/origin.h"
#include "net/redirect.h"
#include "net/site.h"
#include "net/testing/https_test_server.h"

namespace fetch_later::net {
namespace {

using testing::FaultMode;
using ::testing::HasSubstr;
using testing::HttpsTestServer;
using testing::RecordedRequest;
using testing::TestCertificateAuthority;
using State = HttpsNetworkStage::RequestState;

constexpr absl::Duration kIo =
    absl::Seconds(10);  // generous real-time bound for socket I/O

NetworkIsolationKey Nik(const char* top, const char* frame) {
  return NetworkIsolationKey{
      SchemefulSite::Create(Origin::Create(*Url::Parse(top))),
      SchemefulSite::Create(Origin::Create(*Url::Parse(frame)))};
}

std::optional<std::string> Header(const RecordedRequest& r,
                                  absl::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return std::nullopt;
}

RetryOptions Retry(uint32_t max_attempts) {
  RetryOptions o;
  o.max_attempts = max_attempts;
  return o;
}

// Every test runs with one event loop and with four (more loops than the
// default on small machines, so pools land on different loops).
class HttpsNetworkStageTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    server_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(server_->Start().ok());
  }

  HttpsNetworkStage::Options DefaultOptions() {
    HttpsNetworkStage::Options options;
    options.ca_pem = ca_->root_pem();
    options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", server_->port());
    options.clock = &clock_;
    options.attempt_timeout = kIo;
    options.event_loops = GetParam();
    return options;
  }

  void MakeStage(HttpsNetworkStage::Options options) {
    auto stage = HttpsNetworkStage::Create(std::move(options));
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);
  }
  void MakeStage() { MakeStage(DefaultOptions()); }

  OutgoingRequest Request(uint64_t id,
                          const char* method,
                          const char* url,
                          NetworkIsolationKey nik = Nik("https://top.test",
                                                        "https://top.test"),
                          std::string body = "") {
    return OutgoingRequest{id,
                           method,
                           *Url::Parse(url),
                           {},
                           std::move(body),
                           std::move(nik),
                           std::nullopt,
                           false};
  }

  // Advances the fake clock to the scheduled retry of `id` and waits until
  // `attempts` attempts were recorded.
  void RunScheduledRetry(uint64_t id, size_t attempts) {
    auto status = stage_->GetRequestStatus(id);
    ASSERT_TRUE(status && status->state == State::kRetryScheduled);
    clock_.Advance(*status->next_retry_at - clock_.Now());
    ASSERT_EQ(stage_->WaitForAttempts(attempts, kIo), attempts);
  }

  // Every retry waits for a fully active document with the request's network
  // isolation key: tests that retry open the gate for `nik` (by default the
  // key Request() uses).
  void ActivateDocument(const NetworkIsolationKey& nik =
                            Nik("https://top.test", "https://top.test")) {
    stage_->OnDocumentActive(nik);
  }

  // Nothing more happens for a moment (real time), e.g. no retry.
  void Settle() {
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(stage_->WaitForIdle(kIo));
  }

  // Keeps every outcome the stage reports from now on.
  void RecordOutcomes() {
    stage_->SetOutcomeObserver([this](const RequestOutcome& outcome) {
      absl::MutexLock lock(&outcomes_mu_);
      outcomes_.push_back(outcome);
    });
  }
  // The outcomes reported for request `id`, in order.
  std::vector<RequestOutcome> OutcomesOf(uint64_t id) {
    absl::MutexLock lock(&outcomes_mu_);
    std::vector<RequestOutcome> out;
    for (const RequestOutcome& o : outcomes_) {
      if (o.request_id == id)
        out.push_back(o);
    }
    return out;
  }

  // Declared before the stage, so the stage (and its observer) goes first.
  absl::Mutex outcomes_mu_;
  std::vector<RequestOutcome> outcomes_ ABSL_GUARDED_BY(outcomes_mu_);
  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<HttpsTestServer> server_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<HttpsNetworkStage> stage_;
};

TEST_P(HttpsNetworkStageTest, GetAndPostArriveExactly) {
  MakeStage();
  stage_->Send(Request(1, "GET", "https://a.test/beacon?i=1#frag"));
  OutgoingRequest post =
      Request(2, "POST", "https://b.test:8443/collect",
              Nik("https://a.test", "https://a.test"), "payload");
  post.headers = {{"Content-Type", "text/plain;charset=UTF-8"},
                  {"X-Beacon", "yes"}};
  stage_->Send(std::move(post));
  ASSERT_EQ(server_->WaitForRequests(2, kIo), 2u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));

  std::vector<RecordedRequest> got = server_->requests();
  std::sort(got.begin(), got.end(),
            [](const RecordedRequest& a, const RecordedRequest& b) {
              return a.method < b.method;
            });
  const RecordedRequest& get = got[0];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.url_path, "/beacon?i=1");  // origin-form, no fragment
  EXPECT_EQ(get.host, "a.test");
  EXPECT_EQ(get.sni, "a.test");
  EXPECT_EQ(Header(get, "User-Agent"), "fetchLater-prototype/1.0");
  EXPECT_EQ(Header(get, "Connection"), "keep-alive");
  EXPECT_EQ(Header(get, "Content-Length"), std::nullopt);
  EXPECT_EQ(Header(get, "Retry-Attempt"),
            std::nullopt);  // absent on the first attempt
  EXPECT_EQ(get.body_bytes, 0u);

  const RecordedRequest& p = got[1];
  EXPECT_EQ(p.method, "POST");
  EXPECT_EQ(p.url_path, "/collect");
  EXPECT_EQ(p.host, "b.test:8443");
  EXPECT_EQ(p.sni, "b.test");
  EXPECT_EQ(Header(p, "Content-Length"), "7");
  EXPECT_EQ(Header(p, "Content-Type"), "text/plain;charset=UTF-8");
  EXPECT_EQ(Header(p, "X-Beacon"), "yes");
  EXPECT_EQ(p.body, "payload");

  for (const auto& a : stage_->attempts()) {
    EXPECT_EQ(a.http_status, 204) << a.ToString();
    EXPECT_FALSE(a.error) << a.ToString();
  }
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kSucceeded);
  EXPECT_EQ(stage_->GetRequestStatus(2)->state, State::kSucceeded);
}

TEST_P(HttpsNetworkStageTest, KeepAliveReuseWithinAPartitionButNeverAcross) {
  MakeStage();
  const NetworkIsolationKey nik_a = Nik("https://a.test", "https://a.test");
  const NetworkIsolationKey nik_b = Nik("https://b.test", "https://a.test");
  const Url url = *Url::Parse("https://collector.test/x");
  for (uint64_t id : {1, 2}) {
    stage_->Send(Request(id, "GET", "https://collector.test/x", nik_a));
    ASSERT_EQ(server_->WaitForRequests(id, kIo), id);
    ASSERT_TRUE(stage_->WaitForIdle(kIo));
  }
  stage_->Send(Request(3, "GET", "https://collector.test/x", nik_b));
  ASSERT_EQ(server_->WaitForRequests(3, kIo), 3u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));

  std::vector<RecordedRequest> got = server_->requests();
  EXPECT_EQ(got[0].connection_id, got[1].connection_id);  // same NIK: reused
  EXPECT_NE(got[2].connection_id,
            got[0].connection_id);  // other NIK: its own socket
  EXPECT_EQ(server_->connections_accepted(), 2u);

  std::vector<HttpsNetworkStage::AttemptRecord> attempts = stage_->attempts();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_FALSE(attempts[0].connection_reused);
  EXPECT_TRUE(attempts[1].connection_reused);
  EXPECT_EQ(attempts[0].connection_id, attempts[1].connection_id);
  EXPECT_FALSE(attempts[2].connection_reused);
  EXPECT_EQ(stage_->OpenConnectionCount(url, nik_a), 1u);
  EXPECT_EQ(stage_->OpenConnectionCount(url, nik_b), 1u);
  EXPECT_EQ(stage_->TotalOpenConnections(), 2u);
}

TEST_P(HttpsNetworkStageTest, ConnectionLimitHoldsUnderABurst) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.max_connections_per_pool = 2;
  MakeStage(std::move(options));
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  constexpr int kBurst = 20;
  for (int i = 1; i <= kBurst; ++i) {
    stage_->Send(Request(i, "POST", "https://collector.test/burst", nik,
                         absl::StrCat("n=", i)));
  }
  ASSERT_EQ(server_->WaitForRequests(kBurst, kIo), static_cast<size_t>(kBurst));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_LE(server_->connections_accepted(), 2u);
  EXPECT_LE(
      stage_->PeakConnectionCount(*Url::Parse("https://collector.test/"), nik),
      2u);
  for (int i = 1; i <= kBurst; ++i)
    EXPECT_EQ(stage_->GetRequestStatus(i)->state, State::kSucceeded);
}

TEST_P(HttpsNetworkStageTest, HttpsOnlyEvenForLocalhost) {
  MakeStage();
  // Potentially trustworthy for fetchLater, but this stage sends HTTPS only: no
  // upgrade, no exception.
  OutgoingRequest local = Request(1, "GET", "http://localhost/x");
  local.retry_options = Retry(3);
  stage_->Send(std::move(local));
  stage_->Send(
      Request(2, "GET",
              absl::StrCat("http://127.0.0.1:", server_->port(), "/").c_str()));
  ASSERT_EQ(stage_->WaitForAttempts(2, kIo), 2u);
  Settle();
  for (const auto& a : stage_->attempts()) {
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->kind, NetworkErrorKind::kNotHttps) << a.ToString();
    EXPECT_FALSE(a.error->server_reached);
    EXPECT_EQ(a.connection_id, 0u);
  }
  EXPECT_EQ(stage_->GetRequestStatus(1)->state,
            State::kFailedPendingMaxAge);  // never retried
  EXPECT_EQ(stage_->GetRequestStatus(2)->state, State::kFailed);
  EXPECT_EQ(server_->connections_accepted(), 0u);
  EXPECT_EQ(server_->request_count(), 0u);
  // Each refusal is a blocked entry with the scenario report's reason.
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 2u);
  std::sort(blocked.begin(), blocked.end(), [](const auto& a, const auto& b) {
    return a.request_id < b.request_id;
  });
  EXPECT_EQ(blocked[0].reason, BlockedReason::kNotHttps);
  EXPECT_EQ(blocked[0].url, "http://localhost/x");
  EXPECT_THAT(blocked[0].message, HasSubstr("not https"));
  EXPECT_EQ(blocked[1].reason, BlockedReason::kNotHttps);
  EXPECT_EQ(blocked[1].url,
            absl::StrCat("http://127.0.0.1:", server_->port(), "/"));
  EXPECT_EQ(stage_->GetRequestStatus(1)->blocked_reason,
            BlockedReason::kNotHttps);
}

TEST_P(HttpsNetworkStageTest, FetchBadPortsAreRefused) {
  MakeStage();
  OutgoingRequest smtp = Request(1, "GET", "https://a.test:25/");
  smtp.retry_options = Retry(3);
  stage_->Send(std::move(smtp));
  stage_->Send(Request(2, "GET", "https://a.test:6667/"));
  ASSERT_EQ(stage_->WaitForAttempts(2, kIo), 2u);
  clock_.Advance(absl::Minutes(1));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 2u);
  for (const auto& a : stage_->attempts()) {
    ASSERT_TRUE(a.error);
    EXPECT_EQ(a.error->kind, NetworkErrorKind::kBadPort) << a.ToString();
  }
  EXPECT_EQ(server_->connections_accepted(),
            0u);  // the MAP rule would have reached it
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 2u);
  std::set<std::string> urls;
  for (const auto& b : blocked) {
    EXPECT_EQ(b.reason, BlockedReason::kBadPort) << b.url;
    EXPECT_THAT(b.message, HasSubstr("bad port"));
    urls.insert(b.url);
  }
  EXPECT_THAT(urls, ::testing::ElementsAre("https://a.test:25/",
                                           "https://a.test:6667/"));
  EXPECT_EQ(stage_->GetRequestStatus(2)->blocked_reason,
            BlockedReason::kBadPort);
}

// Fetch "HTTP-redirect fetch" hops are https-only here too: a redirect to
// http: is refused before any socket opens to it, and reported as blocked
// (REDIRECT_NOT_HTTPS, with the redirect's target), to the observer as well.
TEST_P(HttpsNetworkStageTest, RedirectToHttpIsBlocked) {
  HttpsNetworkStage::Options options = DefaultOptions();
  absl::Mutex mu;
  std::vector<std::string> events;  // "reason url method: message"
  options.attempt_observer = [&](const HttpsNetworkStage::AttemptEvent& e) {
    if (e.type != HttpsNetworkStage::AttemptEvent::Type::kBlocked)
      return;
    absl::MutexLock lock(&mu);
    events.push_back(absl::StrCat(BlockedReasonName(*e.blocked_reason), " ",
                                  e.url->Serialize(), " ", *e.method, ": ",
                                  *e.message));
  };
  MakeStage(std::move(options));
  server_->Respond({"https://a.test/r",
                    std::nullopt,
                    302,
                    {{"Location", "http://a.test/plain#f"}}});
  stage_->Send(Request(1, "GET", "https://a.test/r"));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  const auto a = stage_->attempts()[0];
  ASSERT_TRUE(a.error) << a.ToString();
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kNotHttps);
  EXPECT_EQ(a.redirects, 1);
  EXPECT_EQ(server_->request_count(), 1u);  // only the first hop went out
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].reason, BlockedReason::kRedirectNotHttps);
  EXPECT_EQ(blocked[0].url, "http://a.test/plain");
  EXPECT_THAT(blocked[0].message, HasSubstr("redirect 1"));
  EXPECT_EQ(stage_->GetRequestStatus(1)->blocked_reason,
            BlockedReason::kRedirectNotHttps);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0],
              ::testing::StartsWith(
                  "REDIRECT_NOT_HTTPS http://a.test/plain#f GET: redirect 1"));
}

// Fetch: "HTTP-redirect fetch" step 5: the 21st redirect is a network error;
// the stage reports it as REDIRECT_LIMIT with the refused target.
TEST_P(HttpsNetworkStageTest, TooManyRedirectsAreBlocked) {
  MakeStage();
  server_->Respond(
      {"https://a.test/loop", std::nullopt, 307, {{"Location", "/loop?n"}}});
  stage_->Send(Request(1, "GET", "https://a.test/loop"));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  const auto a = stage_->attempts()[0];
  ASSERT_TRUE(a.error) << a.ToString();
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kTooManyRedirects);
  EXPECT_EQ(a.redirects, kMaxRedirects);
  EXPECT_EQ(server_->request_count(), kMaxRedirects + 1u);
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].reason, BlockedReason::kRedirectLimit);
  EXPECT_EQ(blocked[0].url, "https://a.test/loop?n");
  EXPECT_THAT(blocked[0].message, HasSubstr("more than 20 redirects"));
  EXPECT_EQ(stage_->GetRequestStatus(1)->blocked_reason,
            BlockedReason::kRedirectLimit);
}

// A plain network error is not a refusal: nothing is blocked.
TEST_P(HttpsNetworkStageTest, FollowedRedirectsAndErrorsAreNotBlocked) {
  MakeStage();
  server_->Respond(
      {"https://a.test/moved", std::nullopt, 301, {{"Location", "/new"}}});
  stage_->Send(Request(1, "GET", "https://a.test/moved"));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  EXPECT_EQ(stage_->attempts()[0].url, "https://a.test/new");
  server_->SetMode(FaultMode::kRefuse);
  stage_->Send(Request(2, "GET", "https://a.test/"));
  ASSERT_TRUE(stage_->WaitForRequestState(2, State::kFailed, kIo));
  EXPECT_TRUE(stage_->blocked().empty());
  EXPECT_FALSE(stage_->GetRequestStatus(2)->blocked_reason);
}

TEST_P(HttpsNetworkStageTest, WrongHostCertificateIsATlsErrorAndNeverRetried) {
  MakeStage();
  server_->SetMode(FaultMode::kTlsFail);
  OutgoingRequest r = Request(1, "GET", "https://a.test/");
  r.retry_options = Retry(3);
  r.retry_options->max_age_ms = 60'000;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto a = stage_->attempts()[0];
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kTlsFailure) << a.ToString();
  EXPECT_THAT(a.error->detail, HasSubstr("certificate"));
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kFailedPendingMaxAge);
  clock_.Advance(absl::Seconds(30));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(server_->request_count(), 0u);
  // The error is surfaced (final) only at maxAge.
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  EXPECT_THAT(stage_->GetRequestStatus(1)->note, HasSubstr("maxAge"));
}

TEST_P(HttpsNetworkStageTest, UntrustedCaIsATlsError) {
  auto other = TestCertificateAuthority::Create("Not The Server's Root");
  ASSERT_TRUE(other.ok());
  HttpsNetworkStage::Options options = DefaultOptions();
  options.ca_pem = (*other)->root_pem();
  MakeStage(std::move(options));
  stage_->Send(Request(1, "GET", "https://a.test/"));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto a = stage_->attempts()[0];
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kTlsFailure) << a.ToString();
  EXPECT_EQ(server_->request_count(), 0u);
}

TEST_P(HttpsNetworkStageTest, RefusedRetriesWithBackoffAndRetryAttemptHeader) {
  MakeStage();
  ActivateDocument();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(7, "GET", "https://a.test/r");
  r.retry_options = Retry(3);
  r.retry_options->backoff_factor = 2.0;  // initialDelay: the 500 ms default
  stage_->Send(std::move(r));
  for (size_t n = 1; n <= 3; ++n) {
    ASSERT_EQ(stage_->WaitForAttempts(n, kIo), n);
    const auto last = stage_->attempts().back();
    ASSERT_TRUE(last.error);
    EXPECT_EQ(last.error->kind, NetworkErrorKind::kConnectionRefused)
        << last.ToString();
    EXPECT_EQ(last.retry_attempt, n - 1);
    auto status = stage_->GetRequestStatus(7);
    ASSERT_EQ(status->state, State::kRetryScheduled);
    const absl::Duration delay = *status->next_retry_at - last.finished_at;
    const absl::Duration floor = absl::Milliseconds(500) * (1 << (n - 1));
    EXPECT_GE(delay, floor) << n;  // max(500 ms, initialDelay) · factor^(n-1)
    EXPECT_LE(delay, floor * 1.1) << n;  // jitter is at most +10%
    // Just before the retry is due, nothing happens.
    clock_.Advance(*status->next_retry_at - clock_.Now() -
                   absl::Milliseconds(1));
    Settle();
    EXPECT_EQ(stage_->attempts().size(), n);
    if (n == 3)
      server_->SetMode(FaultMode::kOk);
    clock_.Advance(absl::Milliseconds(1));
  }
  ASSERT_EQ(stage_->WaitForAttempts(4, kIo), 4u);
  ASSERT_TRUE(stage_->WaitForRequestState(7, State::kSucceeded, kIo));
  const auto attempts = stage_->attempts();
  EXPECT_EQ(attempts[3].http_status, 204);
  EXPECT_EQ(attempts[3].retry_attempt, 3u);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_GE(attempts[i].started_at - attempts[i - 1].finished_at,
              absl::Milliseconds(500) * (1 << (i - 1)));
  }
  ASSERT_EQ(server_->request_count(), 1u);
  EXPECT_EQ(Header(server_->requests()[0], "Retry-Attempt"), "3");
  EXPECT_EQ(server_->requests()[0].url_path, "/r");
}

TEST_P(HttpsNetworkStageTest, ResetPostRetriesOnlyWithRetryNonIdempotent) {
  MakeStage();
  ActivateDocument(Nik("https://a.test", "https://a.test"));
  server_->SetMode(FaultMode::kReset);
  OutgoingRequest no = Request(1, "POST", "https://a.test/p",
                               Nik("https://a.test", "https://a.test"), "x");
  no.retry_options = Retry(3);
  stage_->Send(std::move(no));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto first = stage_->attempts()[0];
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->kind, NetworkErrorKind::kConnectionReset)
      << first.ToString();
  EXPECT_THAT(first.retry_decision, HasSubstr("retryNonIdempotent"));
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kFailedPendingMaxAge);
  clock_.Advance(absl::Minutes(5));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(server_->request_count(),
            1u);  // it reached the server once, then the RST

  OutgoingRequest yes = Request(2, "POST", "https://a.test/p",
                                Nik("https://a.test", "https://a.test"), "y");
  yes.retry_options = Retry(3);
  yes.retry_options->retry_non_idempotent = true;
  stage_->Send(std::move(yes));
  ASSERT_EQ(stage_->WaitForAttempts(2, kIo), 2u);
  ASSERT_TRUE(stage_->WaitForRequestState(2, State::kRetryScheduled, kIo));
  RunScheduledRetry(
      2, 3);  // still RESET: Retry-Attempt 1 reaches the server, then RST
  server_->SetMode(FaultMode::kOk);
  ASSERT_TRUE(stage_->WaitForRequestState(2, State::kRetryScheduled, kIo));
  RunScheduledRetry(2, 4);
  ASSERT_TRUE(stage_->WaitForRequestState(2, State::kSucceeded, kIo));
  std::vector<RecordedRequest> got = server_->requests();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(Header(got[1], "Retry-Attempt"), std::nullopt);
  EXPECT_EQ(Header(got[2], "Retry-Attempt"), "1");
  EXPECT_EQ(Header(got[3], "Retry-Attempt"), "2");
  EXPECT_EQ(got[3].body, "y");  // the original request, body and all
}

TEST_P(HttpsNetworkStageTest, HttpErrorStatusIsNotRetried) {
  MakeStage();
  server_->SetMode(FaultMode::kHttp500);
  OutgoingRequest r = Request(1, "GET", "https://a.test/");
  r.retry_options = Retry(5);
  stage_->Send(std::move(r));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  clock_.Advance(absl::Minutes(1));
  Settle();
  ASSERT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(stage_->attempts()[0].http_status, 500);
  EXPECT_EQ(stage_->GetRequestStatus(1)->http_status, 500);
}

TEST_P(HttpsNetworkStageTest, StallHitsThePerAttemptTimeoutThenRetries) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.attempt_timeout = absl::Milliseconds(200);
  MakeStage(std::move(options));
  ActivateDocument();
  server_->SetMode(FaultMode::kStall);
  OutgoingRequest r = Request(1, "GET", "https://a.test/s");
  r.retry_options = Retry(2);
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto first = stage_->attempts()[0];
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->kind, NetworkErrorKind::kTimedOut) << first.ToString();
  EXPECT_TRUE(first.error->server_reached);
  server_->SetMode(FaultMode::kOk);
  RunScheduledRetry(1, 2);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  std::vector<RecordedRequest> got = server_->requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Header(got[1], "Retry-Attempt"), "1");
  EXPECT_NE(got[0].connection_id,
            got[1].connection_id);  // the stalled socket was dropped
}

TEST_P(HttpsNetworkStageTest, RetryOnlyIfServerUnreached) {
  MakeStage();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest refused = Request(1, "GET", "https://a.test/");
  refused.retry_options = Retry(3);
  refused.retry_options->retry_only_if_server_unreached = true;
  stage_->Send(std::move(refused));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kRetryScheduled);

  server_->SetMode(FaultMode::kReset);
  OutgoingRequest reset = Request(2, "GET", "https://a.test/");
  reset.retry_options = Retry(3);
  reset.retry_options->retry_only_if_server_unreached = true;
  stage_->Send(std::move(reset));
  ASSERT_EQ(stage_->WaitForAttempts(2, kIo), 2u);
  auto a = stage_->attempts()[1];
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kConnectionReset);
  EXPECT_THAT(a.retry_decision, HasSubstr("retryOnlyIfServerUnreached"));
  EXPECT_EQ(stage_->GetRequestStatus(2)->state, State::kFailedPendingMaxAge);
}

TEST_P(HttpsNetworkStageTest, DnsFailureIsTransientAndUnreached) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.host_resolver_rules = absl::StrCat(
      "MAP gone.test ~NOTFOUND, MAP * 127.0.0.1:", server_->port());
  MakeStage(std::move(options));
  OutgoingRequest r = Request(1, "GET", "https://gone.test/");
  r.retry_options = Retry(1);
  r.retry_options->retry_only_if_server_unreached = true;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  auto a = stage_->attempts()[0];
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.error->kind, NetworkErrorKind::kDnsFailure);
  EXPECT_FALSE(a.error->server_reached);
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kRetryScheduled);
}

TEST_P(HttpsNetworkStageTest, MaxAgeStopsRetries) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.jitter_for_testing = [] { return 0.0; };
  MakeStage(std::move(options));
  ActivateDocument();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/");
  r.retry_options = Retry(10);
  r.retry_options->initial_delay_ms = 1000;
  r.retry_options->backoff_factor = 2.0;
  r.retry_options->max_age_ms = 5000;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  RunScheduledRetry(1, 2);  // at +1 s
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kRetryScheduled, kIo));
  RunScheduledRetry(1, 3);  // at +3 s; the next would be at +7 s > maxAge
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailedPendingMaxAge, kIo));
  EXPECT_THAT(stage_->attempts()[2].retry_decision, HasSubstr("maxAge"));
  clock_.Advance(absl::Seconds(2));  // +5 s: maxAge
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  auto status = stage_->GetRequestStatus(1);
  ASSERT_TRUE(status->last_error);
  EXPECT_EQ(status->last_error->kind, NetworkErrorKind::kConnectionRefused);
  EXPECT_EQ(stage_->attempts().size(), 3u);
}

// WaitForIdle() (what a scenario's drain after advanceTime waits for) covers a
// maxAge whose time has come: once it returns, the error has been surfaced
// (the request is final), so the fetch() it ends has been told.
TEST_P(HttpsNetworkStageTest, IdleOnlyOnceADueMaxAgeSurfacedTheError) {
  MakeStage();
  ActivateDocument();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/");
  r.retry_options = Retry(0);
  r.retry_options->max_age_ms = 5000;
  stage_->Send(std::move(r));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailedPendingMaxAge, kIo));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  clock_.Advance(absl::Milliseconds(4999));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kFailedPendingMaxAge);
  clock_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kFailed);
}

// The regression: the network refuses until 5 s and is back after;
// retryOptions {maxAttempts: 5, initialDelay: 1000, backoffFactor: 2,
// maxAge: 1500}; the virtual clock is advanced in one step to 65 s, so the
// retry timer (due at 1 s) fires late, after maxAge (1.5 s from the first
// failure). Nothing may arrive.
TEST_P(HttpsNetworkStageTest, NoRetryAfterMaxAgeWhenTheClockJumps) {
  MakeStage();
  ActivateDocument();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/late");
  r.retry_options = Retry(5);
  r.retry_options->initial_delay_ms = 1000;
  r.retry_options->backoff_factor = 2.0;
  r.retry_options->max_age_ms = 1500;
  const absl::Time t0 = clock_.Now();
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kRetryScheduled, kIo));
  EXPECT_EQ(stage_->GetRequestStatus(1)->max_age_deadline,
            t0 + absl::Milliseconds(1500));
  server_->SetMode(FaultMode::kOk);   // the network is back at 5 s
  clock_.Advance(absl::Seconds(65));  // one step
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  Settle();
  EXPECT_EQ(server_->request_count(), 0u);
  EXPECT_EQ(stage_->attempts().size(), 1u);
  auto status = stage_->GetRequestStatus(1);
  EXPECT_THAT(status->note, HasSubstr("maxAge"));
  EXPECT_EQ(status->retries_started, 0u);
  ASSERT_TRUE(status->last_error);
  EXPECT_EQ(status->last_error->kind, NetworkErrorKind::kConnectionRefused);
  EXPECT_TRUE(stage_->blocked().empty());  // maxAge, not a refusal
}

// Explainer: maxAge is "measured from the first failure", not from the first
// attempt's start: a first attempt that stalls for 3 s (virtual) moves the
// deadline by 3 s.
TEST_P(HttpsNetworkStageTest, MaxAgeIsMeasuredFromTheFirstFailure) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.attempt_timeout = absl::Milliseconds(300);
  MakeStage(std::move(options));
  server_->SetMode(FaultMode::kStall);
  OutgoingRequest r = Request(1, "GET", "https://a.test/slow");
  r.retry_options = Retry(2);
  r.retry_options->max_age_ms = 5000;
  const absl::Time t0 = clock_.Now();
  stage_->Send(std::move(r));
  ASSERT_EQ(server_->WaitForRequests(1, kIo), 1u);  // stalled, in flight
  EXPECT_FALSE(stage_->GetRequestStatus(1)->max_age_deadline);
  clock_.Advance(absl::Seconds(3));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);  // the attempt times out
  const auto first = stage_->attempts()[0];
  ASSERT_TRUE(first.error);
  EXPECT_EQ(first.error->kind, NetworkErrorKind::kTimedOut);
  EXPECT_EQ(first.finished_at, t0 + absl::Seconds(3));
  EXPECT_EQ(stage_->GetRequestStatus(1)->max_age_deadline,
            t0 + absl::Seconds(3 + 5));
}

TEST_P(HttpsNetworkStageTest, RetryAfterUnloadWaitsForASameNikDocument) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/gated", nik);
  r.initiator_gone = true;
  r.retry_options = Retry(2);
  r.retry_options->retry_after_unload = true;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  server_->SetMode(FaultMode::kOk);
  auto status = stage_->GetRequestStatus(1);
  ASSERT_EQ(status->state, State::kRetryScheduled);
  clock_.Advance(*status->next_retry_at - clock_.Now() + absl::Seconds(5));
  ASSERT_TRUE(
      stage_->WaitForRequestState(1, State::kWaitingForSameNikDocument, kIo));
  Settle();
  EXPECT_EQ(stage_->attempts().size(),
            1u);  // nothing sent without a same-NIK document
  EXPECT_EQ(server_->request_count(), 0u);

  stage_->OnDocumentActive(
      Nik("https://b.test", "https://b.test"));  // another partition
  stage_->OnDocumentActive(
      Nik("https://b.test", "https://a.test"));  // same frame, other top
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(stage_->GetRequestStatus(1)->state,
            State::kWaitingForSameNikDocument);

  stage_->OnDocumentActive(nik);
  ASSERT_EQ(server_->WaitForRequests(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  EXPECT_EQ(Header(server_->requests()[0], "Retry-Attempt"), "1");
}

TEST_P(HttpsNetworkStageTest,
       GateHoldsAfterTheDocumentGoesAwayAndMaxAgeStillApplies) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  stage_->OnDocumentActive(nik);
  stage_->OnDocumentInactive(nik);  // count back to 0
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/", nik);
  r.initiator_gone = true;
  r.retry_options = Retry(2);
  r.retry_options->retry_after_unload = true;
  r.retry_options->max_age_ms = 10'000;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(
      stage_->WaitForRequestState(1, State::kWaitingForSameNikDocument, kIo));
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  EXPECT_THAT(stage_->GetRequestStatus(1)->note,
              HasSubstr("waiting for same-NIK document"));
  stage_->OnDocumentActive(nik);  // too late
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
}

// Fetch-retry explainer (issue text): "An attempt after the first is made only
// while a fully active document with the initiator's network isolation key
// exists"; the initiator being alive is not enough.
TEST_P(HttpsNetworkStageTest, EveryRetryWaitsForAFullyActiveSameNikDocument) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/w", nik);
  r.retry_options = Retry(2);
  stage_->Send(std::move(r));  // the first attempt needs no document
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  server_->SetMode(FaultMode::kOk);
  auto status = stage_->GetRequestStatus(1);
  ASSERT_EQ(status->state, State::kRetryScheduled);
  clock_.Advance(*status->next_retry_at - clock_.Now() + absl::Seconds(1));
  ASSERT_TRUE(
      stage_->WaitForRequestState(1, State::kWaitingForSameNikDocument, kIo));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(server_->request_count(), 0u);

  stage_->OnDocumentActive(Nik("https://b.test", "https://b.test"));
  Settle();
  EXPECT_EQ(stage_->GetRequestStatus(1)->state,
            State::kWaitingForSameNikDocument);
  EXPECT_EQ(server_->request_count(), 0u);

  stage_->OnDocumentActive(nik);  // released
  ASSERT_EQ(server_->WaitForRequests(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  EXPECT_EQ(Header(server_->requests()[0], "Retry-Attempt"), "1");
}

TEST_P(HttpsNetworkStageTest, RetryWaitingForTheGateIsDroppedAtMaxAge) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/w", nik);
  r.retry_options = Retry(2);
  r.retry_options->max_age_ms = 10'000;
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  server_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(
      stage_->WaitForRequestState(1, State::kWaitingForSameNikDocument, kIo));
  clock_.Advance(absl::Seconds(10));  // maxAge; no document came
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  auto status = stage_->GetRequestStatus(1);
  EXPECT_THAT(status->note, HasSubstr("waiting for same-NIK document"));
  ASSERT_TRUE(status->last_error);
  EXPECT_EQ(status->last_error->kind, NetworkErrorKind::kConnectionRefused);
  stage_->OnDocumentActive(nik);  // too late
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(server_->request_count(), 0u);
  // Dropped at the gate: RETRY_GATE, with the URL the retry would have used.
  EXPECT_EQ(status->blocked_reason, BlockedReason::kRetryGate);
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 1u);
  EXPECT_EQ(blocked[0].request_id, 1u);
  EXPECT_EQ(blocked[0].reason, BlockedReason::kRetryGate);
  EXPECT_EQ(blocked[0].url, "https://a.test/w");
  EXPECT_THAT(blocked[0].message, HasSubstr("network isolation key"));
  EXPECT_EQ(blocked[0].at, clock_.Now());
}

// The browser reports a document entering the bfcache as inactive and a
// restored one as active again: an initiator in the bfcache does not count.
TEST_P(HttpsNetworkStageTest, InitiatorInTheBfcacheHoldsRetriesUntilRestored) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  stage_->OnDocumentActive(nik);
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/b", nik);
  r.retry_options = Retry(2);
  stage_->Send(std::move(r));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  ASSERT_EQ(stage_->GetRequestStatus(1)->state, State::kRetryScheduled);
  stage_->OnDocumentInactive(nik);  // the initiator enters the bfcache
  server_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(
      stage_->WaitForRequestState(1, State::kWaitingForSameNikDocument, kIo));
  Settle();
  EXPECT_EQ(server_->request_count(), 0u);

  stage_->OnDocumentActive(nik);  // restored from the bfcache
  ASSERT_EQ(server_->WaitForRequests(1, kIo), 1u);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  EXPECT_EQ(Header(server_->requests()[0], "Retry-Attempt"), "1");
  EXPECT_EQ(stage_->attempts().size(), 2u);
}

TEST_P(HttpsNetworkStageTest,
       InitiatorGoneWithoutRetryAfterUnloadDoesNotRetry) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  stage_->OnDocumentActive(nik);
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest gone = Request(1, "GET", "https://a.test/", nik);
  gone.initiator_gone = true;
  gone.retry_options = Retry(3);
  stage_->Send(std::move(gone));
  ASSERT_EQ(stage_->WaitForAttempts(1, kIo), 1u);
  EXPECT_EQ(stage_->GetRequestStatus(1)->state, State::kFailedPendingMaxAge);
  EXPECT_THAT(stage_->attempts()[0].retry_decision,
              HasSubstr("retryAfterUnload"));

  // The initiator goes away after hand-over, while the retry is scheduled.
  OutgoingRequest later = Request(2, "GET", "https://a.test/", nik);
  later.retry_options = Retry(3);
  stage_->Send(std::move(later));
  ASSERT_EQ(stage_->WaitForAttempts(2, kIo), 2u);
  ASSERT_EQ(stage_->GetRequestStatus(2)->state, State::kRetryScheduled);
  stage_->OnInitiatorGone(2);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));  // handled before the clock moves
  clock_.Advance(absl::Seconds(5));
  ASSERT_TRUE(stage_->WaitForRequestState(2, State::kFailedPendingMaxAge, kIo));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 2u);
}

TEST_P(HttpsNetworkStageTest, PerInitiatorRetryCap) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.retry_caps.max_retries_per_initiator = 2;
  MakeStage(std::move(options));
  server_->SetMode(FaultMode::kRefuse);
  for (uint64_t id : {1, 2, 3}) {
    OutgoingRequest r = Request(id, "GET", "https://a.test/");
    r.retry_options = Retry(5);
    stage_->Send(std::move(r));
  }
  ASSERT_EQ(stage_->WaitForAttempts(3, kIo), 3u);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  int scheduled = 0;
  for (uint64_t id : {1, 2, 3}) {
    scheduled += stage_->GetRequestStatus(id)->state == State::kRetryScheduled;
  }
  EXPECT_EQ(scheduled, 2);
}

TEST_P(HttpsNetworkStageTest, ManyPoolsOverTheLoopsKeepTheirCapsAndCounts) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.max_connections_per_pool = 2;
  MakeStage(std::move(options));
  EXPECT_EQ(stage_->event_loop_count(), GetParam());
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  constexpr int kHosts = 6, kPerHost = 12;
  uint64_t id = 0;
  for (int i = 0; i < kPerHost; ++i) {
    for (int h = 0; h < kHosts; ++h) {
      stage_->Send(
          Request(++id, "GET",
                  absl::StrCat("https://h", h, ".test/x?i=", i).c_str(), nik));
    }
  }
  constexpr size_t kTotal = kHosts * kPerHost;
  ASSERT_EQ(server_->WaitForRequests(kTotal, kIo), kTotal);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(stage_->attempts().size(), kTotal);
  EXPECT_LE(server_->connections_accepted(), 2u * kHosts);
  size_t open = 0;
  for (int h = 0; h < kHosts; ++h) {
    const Url url = *Url::Parse(absl::StrCat("https://h", h, ".test/"));
    EXPECT_LE(stage_->PeakConnectionCount(url, nik), 2u) << h;
    EXPECT_GE(stage_->PeakConnectionCount(url, nik), 1u) << h;
    open += stage_->OpenConnectionCount(url, nik);
  }
  EXPECT_EQ(stage_->TotalOpenConnections(), open);
  for (uint64_t i = 1; i <= kTotal; ++i)
    EXPECT_EQ(stage_->GetRequestStatus(i)->state, State::kSucceeded) << i;
  // Per pool, requests go out in the order they were sent (FIFO queue): on
  // each connection the path numbers increase.
  std::map<uint64_t, int> last_on_connection;
  for (const RecordedRequest& r : server_->requests()) {
    const int i = std::stoi(r.url_path.substr(r.url_path.find("i=") + 2));
    auto [it, inserted] = last_on_connection.try_emplace(r.connection_id, i);
    if (!inserted) {
      EXPECT_GT(i, it->second) << r.host;
      it->second = i;
    }
  }
}

TEST_P(HttpsNetworkStageTest, OneDocumentReleasesWaitingRetriesOnEveryLoop) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  server_->SetMode(FaultMode::kRefuse);
  constexpr uint64_t kRequests = 8;  // 8 pools: spread over the loops
  for (uint64_t id = 1; id <= kRequests; ++id) {
    OutgoingRequest r = Request(
        id, "GET", absl::StrCat("https://g", id, ".test/").c_str(), nik);
    r.initiator_gone = true;
    r.retry_options = Retry(2);
    r.retry_options->retry_after_unload = true;
    stage_->Send(std::move(r));
  }
  ASSERT_EQ(stage_->WaitForAttempts(kRequests, kIo), kRequests);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  server_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Seconds(5));
  for (uint64_t id = 1; id <= kRequests; ++id) {
    ASSERT_TRUE(
        stage_->WaitForRequestState(id, State::kWaitingForSameNikDocument, kIo))
        << id;
  }
  EXPECT_EQ(server_->request_count(), 0u);
  stage_->OnDocumentActive(nik);
  ASSERT_EQ(server_->WaitForRequests(kRequests, kIo), kRequests);
  for (uint64_t id = 1; id <= kRequests; ++id)
    ASSERT_TRUE(stage_->WaitForRequestState(id, State::kSucceeded, kIo)) << id;
  for (const RecordedRequest& r : server_->requests())
    EXPECT_EQ(Header(r, "Retry-Attempt"), "1");
}

TEST_P(HttpsNetworkStageTest, InitiatorGoneReachesRequestsOnEveryLoop) {
  MakeStage();
  const NetworkIsolationKey nik = Nik("https://a.test", "https://a.test");
  server_->SetMode(FaultMode::kRefuse);
  constexpr uint64_t kRequests = 6;
  for (uint64_t id = 1; id <= kRequests; ++id) {
    OutgoingRequest r = Request(
        id, "GET", absl::StrCat("https://i", id, ".test/").c_str(), nik);
    r.retry_options = Retry(3);
    stage_->Send(std::move(r));
  }
  ASSERT_EQ(stage_->WaitForAttempts(kRequests, kIo), kRequests);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  for (uint64_t id = 1; id <= kRequests; ++id)
    stage_->OnInitiatorGone(id);
  clock_.Advance(absl::Seconds(5));
  for (uint64_t id = 1; id <= kRequests; ++id) {
    ASSERT_TRUE(
        stage_->WaitForRequestState(id, State::kFailedPendingMaxAge, kIo))
        << id;
  }
  Settle();
  EXPECT_EQ(stage_->attempts().size(), kRequests);
}

TEST_P(HttpsNetworkStageTest, PerInitiatorRetryCapHoldsAcrossPools) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.retry_caps.max_retries_per_initiator = 3;
  MakeStage(std::move(options));
  server_->SetMode(FaultMode::kRefuse);
  constexpr uint64_t kRequests = 8;  // same NIK, 8 pools (so several loops)
  for (uint64_t id = 1; id <= kRequests; ++id) {
    OutgoingRequest r =
        Request(id, "GET", absl::StrCat("https://c", id, ".test/").c_str());
    r.retry_options = Retry(5);
    stage_->Send(std::move(r));
  }
  ASSERT_EQ(stage_->WaitForAttempts(kRequests, kIo), kRequests);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  int scheduled = 0;
  for (uint64_t id = 1; id <= kRequests; ++id) {
    scheduled += stage_->GetRequestStatus(id)->state == State::kRetryScheduled;
  }
  EXPECT_EQ(scheduled, 3);
}

TEST_P(HttpsNetworkStageTest, AttemptLogAndFinishedStatusesAreBounded) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.max_attempt_records = 5;
  options.max_finished_statuses = 3;
  MakeStage(std::move(options));
  // One pending request (retry scheduled) is never forgotten.
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest pending = Request(100, "GET", "https://p.test/");
  pending.retry_options = Retry(3);
  stage_->Send(std::move(pending));
  ASSERT_TRUE(stage_->WaitForRequestState(100, State::kRetryScheduled, kIo));
  server_->SetMode(FaultMode::kOk);
  constexpr uint64_t kRequests = 12;
  for (uint64_t id = 1; id <= kRequests; ++id) {
    stage_->Send(Request(id, "GET",
                         absl::StrCat("https://b", id % 3, ".test/").c_str()));
  }
  ASSERT_EQ(server_->WaitForRequests(kRequests, kIo), kRequests);
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(stage_->WaitForAttempts(kRequests + 1, kIo), kRequests + 1);
  const auto attempts = stage_->attempts();
  ASSERT_EQ(attempts.size(), 5u);
  for (const auto& a : attempts) {
    EXPECT_EQ(a.http_status, 204) << a.ToString();  // the newest five
    EXPECT_TRUE(absl::StartsWith(a.url, "https://b")) << a.ToString();
    EXPECT_EQ(a.method, "GET");
  }
  int known = 0;
  for (uint64_t id = 1; id <= kRequests; ++id) {
    if (auto status = stage_->GetRequestStatus(id)) {
      EXPECT_EQ(status->state, State::kSucceeded);
      ++known;
    }
  }
  EXPECT_EQ(known, 3);
  ASSERT_TRUE(stage_->GetRequestStatus(100));
  EXPECT_EQ(stage_->GetRequestStatus(100)->state, State::kRetryScheduled);
}

TEST_P(HttpsNetworkStageTest, BlockedRecordsAreBounded) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.max_blocked_records = 2;
  MakeStage(std::move(options));
  for (uint64_t id = 1; id <= 3; ++id) {
    stage_->Send(Request(id, "GET", "http://a.test/"));
    ASSERT_TRUE(stage_->WaitForRequestState(id, State::kFailed, kIo));
  }
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage_->blocked();
  ASSERT_EQ(blocked.size(), 2u);
  EXPECT_EQ(blocked[0].request_id, 2u);  // the newest two, oldest first
  EXPECT_EQ(blocked[1].request_id, 3u);
}

// Destroying the stage in the middle of a stalled burst, with every request
// retryable, returns promptly (it joins every loop and closes the stalled
// connections) and nothing runs afterwards: no retry, no queued request, no new
// connection, however far the clock moves and though the server answers again.
TEST_P(HttpsNetworkStageTest, StageDestroyedMidBurstWithRetriesPending) {
  HttpsNetworkStage::Options options = DefaultOptions();
  options.max_connections_per_pool = 6;
  MakeStage(std::move(options));
  server_->SetMode(FaultMode::kStall);
  for (uint64_t id = 1; id <= 40; ++id) {
    OutgoingRequest r =
        Request(id, "POST", absl::StrCat("https://d", id % 5, ".test/").c_str(),
                Nik("https://a.test", "https://a.test"), "x");
    r.retry_options = Retry(2);
    stage_->Send(std::move(r));
  }
  // Five pools (one per host), six connections each: 30 requests reach the
  // stalled server, the other 10 queue behind them.
  ASSERT_EQ(server_->WaitForRequests(30, kIo), 30u);
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_EQ(server_->request_count(), 30u);
  const uint64_t connections = server_->connections_accepted();

  const absl::Time before = absl::Now();
  stage_.reset();                        // joins every loop
  EXPECT_LT(absl::Now() - before, kIo);  // did not wait for the stalls

  clock_.Advance(absl::Minutes(5));
  server_->SetMode(FaultMode::kOk);
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(server_->request_count(), 30u);
  EXPECT_EQ(server_->connections_accepted(), connections);
}

// ---- Cancel(): Fetch "terminate" (a fetch() whose fetch group was terminated
// without keepalive, or whose signal aborted).

// An attempt in flight (the server holds the request and never answers) ends
// at once: its connection is closed, no retry follows however much time
// passes, and its one outcome is an "aborted" network error.
TEST_P(HttpsNetworkStageTest, CancelEndsTheAttemptInFlight) {
  MakeStage();
  RecordOutcomes();
  ActivateDocument();
  server_->SetMode(FaultMode::kStall);
  OutgoingRequest r = Request(1, "GET", "https://a.test/stalled");
  r.retry_options = Retry(3);
  stage_->Send(std::move(r));
  ASSERT_EQ(server_->WaitForRequests(1, kIo), 1u);
  stage_->Cancel(1);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(stage_->TotalOpenConnections(), 0u);
  std::vector<HttpsNetworkStage::AttemptRecord> attempts = stage_->attempts();
  ASSERT_EQ(attempts.size(), 1u);
  ASSERT_TRUE(attempts[0].error.has_value());
  EXPECT_EQ(attempts[0].error->kind, NetworkErrorKind::kAborted);
  EXPECT_TRUE(attempts[0].error->server_reached);
  EXPECT_EQ(attempts[0].retry_decision, "cancelled: final (never retried)");
  EXPECT_EQ(stage_->GetRequestStatus(1)->note, "cancelled");
  std::vector<RequestOutcome> outcomes = OutcomesOf(1);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, RequestOutcome::Kind::kNetworkError);
  ASSERT_TRUE(outcomes[0].error.has_value());
  EXPECT_EQ(outcomes[0].error->kind, NetworkErrorKind::kAborted);

  server_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Minutes(5));
  Settle();
  EXPECT_EQ(server_->request_count(), 1u);
  EXPECT_EQ(OutcomesOf(1).size(), 1u);
}

// Between attempts (a retry scheduled after a refused connection), the
// pending retry is dropped.
TEST_P(HttpsNetworkStageTest, CancelDropsAPendingRetry) {
  MakeStage();
  RecordOutcomes();
  ActivateDocument();
  server_->SetMode(FaultMode::kRefuse);
  OutgoingRequest r = Request(1, "GET", "https://a.test/refused");
  r.retry_options = Retry(3);
  stage_->Send(std::move(r));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kRetryScheduled, kIo));
  stage_->Cancel(1);
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  server_->SetMode(FaultMode::kOk);
  clock_.Advance(absl::Minutes(5));
  Settle();
  EXPECT_EQ(stage_->attempts().size(), 1u);
  EXPECT_EQ(server_->request_count(), 0u);
  std::vector<RequestOutcome> outcomes = OutcomesOf(1);
  ASSERT_EQ(outcomes.size(), 1u);
  ASSERT_TRUE(outcomes[0].error.has_value());
  EXPECT_EQ(outcomes[0].error->kind, NetworkErrorKind::kAborted);
}

// A cancellation that races the hand-over (the request may still be in a
// loop's inbox) is not lost; one for a finished or unknown request changes
// nothing; other requests of the same pool go on.
TEST_P(HttpsNetworkStageTest, CancelRightAfterSendAndOfFinishedRequests) {
  MakeStage();
  RecordOutcomes();
  stage_->Send(Request(1, "GET", "https://a.test/done"));
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kSucceeded, kIo));
  server_->SetMode(FaultMode::kStall);
  for (uint64_t id = 2; id <= 9; ++id) {
    stage_->Send(Request(id, "GET", "https://a.test/raced"));
    stage_->Cancel(id);
  }
  stage_->Cancel(1);    // finished
  stage_->Cancel(404);  // never sent
  for (uint64_t id = 2; id <= 9; ++id)
    ASSERT_TRUE(stage_->WaitForRequestState(id, State::kFailed, kIo)) << id;
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  for (uint64_t id = 2; id <= 9; ++id) {
    std::vector<RequestOutcome> outcomes = OutcomesOf(id);
    ASSERT_EQ(outcomes.size(), 1u) << id;
    ASSERT_TRUE(outcomes[0].error.has_value()) << id;
    EXPECT_EQ(outcomes[0].error->kind, NetworkErrorKind::kAborted) << id;
  }
  std::vector<RequestOutcome> done = OutcomesOf(1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].kind, RequestOutcome::Kind::kResponse);
  EXPECT_TRUE(OutcomesOf(404).empty());
  server_->SetMode(FaultMode::kOk);
  stage_->Send(Request(10, "GET", "https://a.test/after"));
  ASSERT_TRUE(stage_->WaitForRequestState(10, State::kSucceeded, kIo));
}

INSTANTIATE_TEST_SUITE_P(EventLoops,
                         HttpsNetworkStageTest,
                         ::testing::Values(1, 4),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return absl::StrCat(info.param, "Loops");
                         });

TEST(HttpsNetworkStageCreateTest, RejectsBadConfiguration) {
  HttpsNetworkStage::Options options;
  options.host_resolver_rules = "MAP onlytwo";
  EXPECT_FALSE(HttpsNetworkStage::Create(options).ok());
  options.host_resolver_rules.clear();
  options.ca_pem = "garbage";
  EXPECT_FALSE(HttpsNetworkStage::Create(options).ok());
  options.ca_pem.clear();
  EXPECT_TRUE(HttpsNetworkStage::Create(options).ok());  // the system bundle
  options.event_loops = HttpsNetworkStage::kMaxEventLoops + 1;
  EXPECT_FALSE(HttpsNetworkStage::Create(options).ok());
  options.event_loops = 0;
  options.max_attempt_records = 0;
  EXPECT_FALSE(HttpsNetworkStage::Create(options).ok());
  options.max_attempt_records = 1;
  options.max_blocked_records = 0;
  EXPECT_FALSE(HttpsNetworkStage::Create(options).ok());
}

TEST(HttpsNetworkStageCreateTest, DefaultEventLoopCount) {
  const size_t n = HttpsNetworkStage::DefaultEventLoopCount();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, HttpsNetworkStage::kMaxAutoEventLoops);
  auto stage = HttpsNetworkStage::Create({});
  ASSERT_TRUE(stage.ok()) << stage.status();
  EXPECT_EQ((*stage)->event_loop_count(), n);
}

}  // namespace
}  // namespace fetch_later::net
