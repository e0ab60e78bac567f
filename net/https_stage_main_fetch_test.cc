// Main fetch in the HTTPS network stage, end to end against the local HTTPS
// collector (net/testing/https_test_server.h): what arrives (method, body,
// Referer, Authorization, Origin), for every redirect hop and every retry,
// and what is refused (CSP, CORS, modes, redirect modes) with which reason.
// Each table row names the spec step or WPT file it follows. The pure rules
// have their own tests (csp_test, cors_test, origin_header_test,
// redirect_test, referrer_test); this file checks that the stage applies them
// on the wire.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/blocked_reason.h"
#include "net/csp.h"
#include "net/https_network_stage.h"
#include "net/origin.h"
#include "net/referrer.h"
#include "net/site.h"
#include "net/testing/https_test_server.h"

namespace fetch_later::net {
namespace {

using ::testing::HasSubstr;
using testing::HttpsTestServer;
using testing::RecordedRequest;
using testing::TestCertificateAuthority;
using State = HttpsNetworkStage::RequestState;

constexpr absl::Duration kIo = absl::Seconds(10);
constexpr char kPage[] = "https://a.test/page?q=1";

std::optional<std::string> Header(const RecordedRequest& r,
                                  absl::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return std::nullopt;
}

// "-" for an absent header.
std::string HeaderOrDash(const RecordedRequest& r, absl::string_view name) {
  return Header(r, name).value_or("-");
}

class MainFetchTest : public ::testing::TestWithParam<size_t> {
 protected:
  void SetUp() override {
    auto ca = TestCertificateAuthority::Create();
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::move(*ca);
    server_ = std::make_unique<HttpsTestServer>(ca_.get());
    ASSERT_TRUE(server_->Start().ok());
    HttpsNetworkStage::Options options;
    options.ca_pem = ca_->root_pem();
    options.host_resolver_rules =
        absl::StrCat("MAP * 127.0.0.1:", server_->port());
    options.clock = &clock_;
    options.attempt_timeout = kIo;
    options.event_loops = GetParam();
    auto stage = HttpsNetworkStage::Create(std::move(options));
    ASSERT_TRUE(stage.ok()) << stage.status();
    stage_ = std::move(*stage);
    stage_->SetOutcomeObserver([this](const RequestOutcome& outcome) {
      absl::MutexLock lock(&mu_);
      outcomes_.push_back(outcome);
    });
  }

  // A request from a document at kPage (origin https://a.test), referrer
  // "client", as the browser hands it over.
  OutgoingRequest FromPage(uint64_t id,
                           const std::string& method,
                           const std::string& url,
                           std::string body = "") {
    const Origin a = *Origin::Parse("https://a.test");
    OutgoingRequest r{id,
                      method,
                      *Url::Parse(url),
                      {},
                      std::move(body),
                      {SchemefulSite::Create(a), SchemefulSite::Create(a)},
                      std::nullopt,
                      false};
    if (!r.body.empty())
      r.headers.emplace_back("Content-Type", "text/plain;charset=UTF-8");
    r.origin = a;
    r.referrer = StripReferrerSource(*Url::Parse(kPage));
    return r;
  }

  std::vector<RecordedRequest> RequestsTo(absl::string_view path_prefix,
                                          absl::string_view method = "") {
    std::vector<RecordedRequest> out;
    for (RecordedRequest& r : server_->requests()) {
      if (absl::StartsWith(r.url_path, path_prefix) &&
          (method.empty() || r.method == method)) {
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  size_t Preflights(absl::string_view path_prefix) {
    return RequestsTo(path_prefix, "OPTIONS").size();
  }

  std::optional<RequestOutcome> OutcomeOf(uint64_t id) {
    absl::MutexLock lock(&mu_);
    for (const RequestOutcome& o : outcomes_) {
      if (o.request_id == id)
        return o;
    }
    return std::nullopt;
  }

  // The blocked reason of request `id` ("" when not blocked).
  std::string BlockedReasonOf(uint64_t id) {
    for (const auto& b : stage_->blocked()) {
      if (b.request_id == id)
        return BlockedReasonName(b.reason);
    }
    return "";
  }

  std::string BlockedMessageOf(uint64_t id) {
    for (const auto& b : stage_->blocked()) {
      if (b.request_id == id)
        return b.message;
    }
    return "";
  }

  void SendAndWait(OutgoingRequest r) {
    stage_->Send(std::move(r));
    ASSERT_TRUE(stage_->WaitForIdle(kIo));
  }

  // Declared before the stage, so the stage (and its observer) goes first.
  absl::Mutex mu_;
  std::vector<RequestOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<TestCertificateAuthority> ca_;
  std::unique_ptr<HttpsTestServer> server_;
  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  std::unique_ptr<HttpsNetworkStage> stage_;
};

// ---- Redirects: status x method x same/cross-origin x referrer policy ----

TEST_P(MainFetchTest, RedirectTable) {
  struct Row {
    const char* source;
    int status;
    const char* method;
    const char* from_host;  // the first URL's host
    const char* to_host;    // the redirect's target host
    ReferrerPolicy policy;
    const char* redirect_referrer_policy;  // on the 3xx; "" none
    // At the collector, on the redirect's target:
    const char* want_method;
    bool want_body;
    const char* want_referer;  // "-" none
    bool want_authorization;
    const char* want_origin;  // "-" none
  } rows[] = {
      {"HTTP-redirect fetch step 12: 301 POST -> GET", 301, "POST", "a.test",
       "a.test", ReferrerPolicy::kEmpty, "", "GET", false, kPage, true, "-"},
      {"step 12 + 13 + append Origin (cors): 302 POST cross-origin", 302,
       "POST", "a.test", "b.test", ReferrerPolicy::kEmpty, "", "GET", false,
       "https://a.test/", false, "https://a.test"},
      {"step 12: 303 PUT -> GET", 303, "PUT", "a.test", "a.test",
       ReferrerPolicy::kEmpty, "", "GET", false, kPage, true, "-"},
      {"307 keeps POST and body; cross-origin drops Authorization", 307, "POST",
       "a.test", "b.test", ReferrerPolicy::kEmpty, "", "POST", true,
       "https://a.test/", false, "https://a.test"},
      {"308 PUT within a cross-origin host keeps Authorization", 308, "PUT",
       "b.test", "b.test", ReferrerPolicy::kEmpty, "", "PUT", true,
       "https://a.test/", true, "https://a.test"},
      {"redirect-taint: tainted origin (cross -> cross)", 307, "POST", "b.test",
       "c.test", ReferrerPolicy::kEmpty, "", "POST", true, "https://a.test/",
       false, "null"},
      {"redirect-taint: tainted origin (cross -> back to the page's origin)",
       307, "POST", "b.test", "a.test", ReferrerPolicy::kEmpty, "", "POST",
       true, "https://a.test/", false, "null"},
      {"no-referrer: no Referer, Origin still sent (cors)", 307, "POST",
       "a.test", "b.test", ReferrerPolicy::kNoReferrer, "", "POST", true, "-",
       false, "https://a.test"},
      {"unsafe-url, same origin: full Referer, Origin on POST", 307, "POST",
       "a.test", "a.test", ReferrerPolicy::kUnsafeUrl, "", "POST", true, kPage,
       true, "https://a.test"},
      {"same-origin policy, cross-origin hop: no Referer", 301, "GET", "a.test",
       "b.test", ReferrerPolicy::kSameOrigin, "", "GET", false, "-", false,
       "https://a.test"},
      {"Referrer Policy: set request's referrer policy on redirect", 302,
       "POST", "a.test", "b.test", ReferrerPolicy::kUnsafeUrl, "no-referrer",
       "GET", false, "-", false, "https://a.test"},
      {"the referrer only narrows: origin-only stays origin-only", 307, "POST",
       "b.test", "a.test", ReferrerPolicy::kEmpty, "", "POST", true,
       "https://a.test/", false, "null"},
  };
  int i = 0;
  for (const Row& row : rows) {
    ++i;
    SCOPED_TRACE(row.source);
    const std::string start =
        absl::StrCat("https://", row.from_host, "/row", i, "/start");
    const std::string end =
        absl::StrCat("https://", row.to_host, "/row", i, "/end");
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Location", end}, {"Access-Control-Allow-Origin", "*"}};
    if (*row.redirect_referrer_policy)
      headers.emplace_back("Referrer-Policy", row.redirect_referrer_policy);
    server_->Respond({start, std::string(row.method), row.status, headers});
    OutgoingRequest r = FromPage(i, row.method, start,
                                 row.method == std::string("GET") ? "" : "x");
    r.headers.emplace_back("Authorization", "Bearer t");
    r.referrer_policy = row.policy;
    SendAndWait(std::move(r));
    std::vector<RecordedRequest> got =
        RequestsTo(absl::StrCat("/row", i, "/end"));
    // The target's preflight (if any) is separate; one request arrives.
    std::vector<RecordedRequest> sent;
    for (auto& g : got) {
      if (g.method != "OPTIONS") {
        sent.push_back(g);
        continue;
      }
      // Fetch "CORS-preflight fetch" step 1: a new request with no body and
      // none of the request's headers (Authorization is only named in
      // Access-Control-Request-Headers).
      EXPECT_EQ(g.body_bytes, 0u);
      EXPECT_EQ(Header(g, "Authorization"), std::nullopt);
      EXPECT_EQ(Header(g, "Content-Type"), std::nullopt);
      EXPECT_EQ(HeaderOrDash(g, "Access-Control-Request-Method"), row.method);
    }
    ASSERT_EQ(sent.size(), 1u) << BlockedMessageOf(i);
    const RecordedRequest& last = sent[0];
    EXPECT_EQ(last.method, row.want_method);
    EXPECT_EQ(last.body_bytes > 0, row.want_body);
    EXPECT_EQ(HeaderOrDash(last, "Referer"), row.want_referer);
    EXPECT_EQ(Header(last, "Authorization").has_value(),
              row.want_authorization);
    EXPECT_EQ(HeaderOrDash(last, "Origin"), row.want_origin);
    if (!row.want_body) {
      EXPECT_EQ(Header(last, "Content-Type"), std::nullopt);
    }
  }
  // The preflight checks above ran: the 308 PUT row's target (cross-origin,
  // with Authorization) needed one.
  EXPECT_EQ(Preflights("/row5/end"), 1u);
}

TEST_P(MainFetchTest, ReferrerPolicyOnRedirectReadsEveryFieldAndSkipsUnknown) {
  // Referrer Policy: "set request's referrer policy on redirect": the last
  // valid token of all `Referrer-Policy` fields; nothing valid leaves the
  // request's policy as it was.
  server_->Respond({"https://a.test/rp1/start",
                    std::nullopt,
                    307,
                    {{"Location", "https://a.test/rp1-end"},
                     {"Referrer-Policy", "unsafe-url"},
                     {"Referrer-Policy", "no-referrer"}}});
  server_->Respond({"https://a.test/rp2/start",
                    std::nullopt,
                    307,
                    {{"Location", "https://b.test/rp2-end"},
                     {"Referrer-Policy", "no-such-policy"}}});
  SendAndWait(FromPage(1, "GET", "https://a.test/rp1/start"));
  OutgoingRequest unsafe = FromPage(2, "GET", "https://a.test/rp2/start");
  unsafe.referrer_policy = ReferrerPolicy::kUnsafeUrl;
  SendAndWait(std::move(unsafe));
  ASSERT_EQ(RequestsTo("/rp1-end").size(), 1u);
  EXPECT_EQ(HeaderOrDash(RequestsTo("/rp1-end")[0], "Referer"), "-");
  ASSERT_EQ(RequestsTo("/rp2-end").size(), 1u);
  EXPECT_EQ(HeaderOrDash(RequestsTo("/rp2-end")[0], "Referer"), kPage);
}

TEST_P(MainFetchTest, RedirectModesAndBadLocations) {
  server_->Respond({"https://a.test/r",
                    std::nullopt,
                    302,
                    {{"Location", "https://a.test/next"}}});
  server_->Respond({"https://a.test/bad",
                    std::nullopt,
                    302,
                    {{"Location", "https://[::1"}}});
  server_->Respond({"https://a.test/ftp",
                    std::nullopt,
                    302,
                    {{"Location", "ftp://a.test/x"}}});
  server_->Respond({"https://a.test/http",
                    std::nullopt,
                    301,
                    {{"Location", "http://a.test/"}}});
  OutgoingRequest error = FromPage(1, "GET", "https://a.test/r");
  error.redirect = RedirectMode::kError;
  OutgoingRequest manual = FromPage(2, "GET", "https://a.test/r");
  manual.redirect = RedirectMode::kManual;
  stage_->Send(std::move(error));
  stage_->Send(std::move(manual));
  stage_->Send(FromPage(3, "GET", "https://a.test/bad"));
  stage_->Send(FromPage(4, "GET", "https://a.test/ftp"));
  stage_->Send(FromPage(5, "GET", "https://a.test/http"));
  stage_->Send(FromPage(6, "GET", "https://a.test/unaffected"));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  // Fetch "HTTP fetch" step 6.3: "error" is a network error, "manual" ends
  // the fetch with the redirect; neither sends anything further.
  EXPECT_EQ(BlockedReasonOf(1), "REDIRECT_MODE_ERROR");
  EXPECT_EQ(BlockedReasonOf(2), "");
  EXPECT_TRUE(RequestsTo("/next").empty());
  std::optional<RequestOutcome> manual_outcome = OutcomeOf(2);
  ASSERT_TRUE(manual_outcome.has_value());
  EXPECT_EQ(manual_outcome->kind, RequestOutcome::Kind::kResponse);
  EXPECT_EQ(manual_outcome->status, 302);
  // A Location that does not parse, or is not http(s), or http: (HTTPS
  // only): REDIRECT_NOT_HTTPS, the message naming the header.
  EXPECT_EQ(BlockedReasonOf(3), "REDIRECT_NOT_HTTPS");
  EXPECT_THAT(BlockedMessageOf(3), HasSubstr("header Location"));
  EXPECT_EQ(BlockedReasonOf(4), "REDIRECT_NOT_HTTPS");
  EXPECT_THAT(BlockedMessageOf(4), HasSubstr("header Location"));
  EXPECT_EQ(BlockedReasonOf(5), "REDIRECT_NOT_HTTPS");
  // Other requests are unaffected.
  EXPECT_EQ(RequestsTo("/unaffected").size(), 1u);
  EXPECT_EQ(OutcomeOf(6)->status, 204);
}

TEST_P(MainFetchTest, TwoLocationHeadersAreANetworkError) {
  // Fetch "location URL" step 2 extracts header list values given
  // `Location`, whose ABNF allows a single header: two are failure, and
  // "HTTP-redirect fetch" step 5 makes that a network error (the same value
  // twice too).
  server_->Respond({"https://a.test/two",
                    std::nullopt,
                    302,
                    {{"Location", "https://a.test/next1"},
                     {"Location", "https://a.test/next2"}}});
  server_->Respond({"https://a.test/same",
                    std::nullopt,
                    302,
                    {{"Location", "https://a.test/next3"},
                     {"Location", "https://a.test/next3"}}});
  SendAndWait(FromPage(1, "GET", "https://a.test/two"));
  SendAndWait(FromPage(2, "GET", "https://a.test/same"));
  for (uint64_t id : {1, 2}) {
    EXPECT_EQ(BlockedReasonOf(id), "REDIRECT_NOT_HTTPS");
    EXPECT_THAT(BlockedMessageOf(id), HasSubstr("header Location"));
  }
  EXPECT_TRUE(RequestsTo("/next").empty());
  // Redirect mode "manual" never reads Location: the redirect is the answer.
  OutgoingRequest manual = FromPage(3, "GET", "https://a.test/two");
  manual.redirect = RedirectMode::kManual;
  SendAndWait(std::move(manual));
  EXPECT_EQ(BlockedReasonOf(3), "");
  EXPECT_EQ(OutcomeOf(3)->status, 302);
}

TEST_P(MainFetchTest, CorsCheckOnARedirectResponse) {
  // Fetch "HTTP fetch" step 4.4 runs before following: a cross-origin
  // redirect without Access-Control-Allow-Origin is refused (CORS).
  server_->Respond({"https://b.test/r",
                    std::string("GET"),
                    302,
                    {{"Location", "https://b.test/next"}}});
  SendAndWait(FromPage(1, "GET", "https://b.test/r"));
  EXPECT_EQ(BlockedReasonOf(1), "CORS");
  EXPECT_THAT(BlockedMessageOf(1),
              HasSubstr("Access-Control-Allow-Origin is missing"));
  EXPECT_TRUE(RequestsTo("/next").empty());
  // A no-cors request is not checked.
  OutgoingRequest no_cors = FromPage(2, "GET", "https://b.test/r");
  no_cors.mode = RequestMode::kNoCors;
  SendAndWait(std::move(no_cors));
  EXPECT_EQ(RequestsTo("/next").size(), 1u);
}

// ---- Modes ----

TEST_P(MainFetchTest, Modes) {
  OutgoingRequest same = FromPage(1, "POST", "https://b.test/c", "x");
  same.mode = RequestMode::kSameOrigin;
  OutgoingRequest same_ok = FromPage(2, "POST", "https://a.test/c", "x");
  same_ok.mode = RequestMode::kSameOrigin;
  OutgoingRequest no_cors = FromPage(3, "POST", "https://b.test/nc", "x");
  no_cors.mode = RequestMode::kNoCors;
  no_cors.headers = {{"Content-Type", "application/json"}};
  OutgoingRequest no_cors_manual = FromPage(4, "GET", "https://b.test/nm");
  no_cors_manual.mode = RequestMode::kNoCors;
  no_cors_manual.redirect = RedirectMode::kManual;
  // A same-origin request that is redirected away.
  server_->Respond({"https://a.test/away",
                    std::nullopt,
                    307,
                    {{"Location", "https://b.test/away-end"}}});
  OutgoingRequest same_redirected =
      FromPage(5, "POST", "https://a.test/away", "x");
  same_redirected.mode = RequestMode::kSameOrigin;
  for (OutgoingRequest* r :
       {&same, &same_ok, &no_cors, &no_cors_manual, &same_redirected}) {
    stage_->Send(std::move(*r));
  }
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  // Main fetch step 12: "same-origin" to another origin is not sent.
  EXPECT_EQ(BlockedReasonOf(1), "MODE_SAME_ORIGIN");
  EXPECT_TRUE(RequestsTo("/c").size() == 1u &&
              RequestsTo("/c")[0].sni == "a.test");
  EXPECT_EQ(BlockedReasonOf(2), "");
  // "no-cors": opaque tainting, never a preflight; Origin on a POST.
  EXPECT_EQ(Preflights("/nc"), 0u);
  ASSERT_EQ(RequestsTo("/nc").size(), 1u);
  EXPECT_EQ(HeaderOrDash(RequestsTo("/nc")[0], "Origin"), "https://a.test");
  // "no-cors" needs redirect mode "follow".
  EXPECT_EQ(BlockedReasonOf(4), "REDIRECT_MODE_ERROR");
  EXPECT_TRUE(RequestsTo("/nm").empty());
  // Checked again on the redirect hop.
  EXPECT_EQ(BlockedReasonOf(5), "MODE_SAME_ORIGIN");
  EXPECT_TRUE(RequestsTo("/away-end").empty());
  EXPECT_EQ(RequestsTo("/away").size(), 1u);
}

// ---- CORS: safelisted or not x mode x credentials x preflight answer ----

TEST_P(MainFetchTest, CorsTable) {
  struct Row {
    const char* source;
    const char* content_type;
    CredentialsMode credentials;
    // The preflight's answer: empty = the collector's default (allows).
    std::vector<std::pair<std::string, std::string>> preflight_headers;
    int preflight_status;  // 0: default answer
    bool want_preflight;
    const char* want_blocked;  // "" sent
    const char* want_message;
  } rows[] = {
      {"CORS-safelisted Content-Type: no preflight",
       "text/plain",
       CredentialsMode::kSameOrigin,
       {},
       0,
       false,
       "",
       ""},
      {"JSON: preflight (WPT fetch/api/cors/cors-preflight.any.js)",
       "application/json",
       CredentialsMode::kSameOrigin,
       {},
       0,
       true,
       "",
       ""},
      {"preflight: Access-Control-Allow-Origin missing",
       "application/json",
       CredentialsMode::kSameOrigin,
       {{"Access-Control-Allow-Headers", "content-type"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "Access-Control-Allow-Origin is missing"},
      {"preflight: wrong origin",
       "application/json",
       CredentialsMode::kSameOrigin,
       {{"Access-Control-Allow-Origin", "https://x.test"},
        {"Access-Control-Allow-Headers", "content-type"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "\"https://x.test\""},
      {"preflight: * with credentials include",
       "application/json",
       CredentialsMode::kInclude,
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Credentials", "true"},
        {"Access-Control-Allow-Headers", "content-type"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "not allowed with credentials"},
      {"preflight: * without credentials",
       "application/json",
       CredentialsMode::kOmit,
       {{"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Headers", "*"}},
       204,
       true,
       "",
       ""},
      {"preflight: include without -Allow-Credentials",
       "application/json",
       CredentialsMode::kInclude,
       {{"Access-Control-Allow-Origin", "https://a.test"},
        {"Access-Control-Allow-Headers", "content-type"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "Access-Control-Allow-Credentials"},
      {"preflight: header not allowed",
       "application/json",
       CredentialsMode::kSameOrigin,
       {{"Access-Control-Allow-Origin", "https://a.test"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "does not list the header content-type"},
      {"preflight: non-ok status",
       "application/json",
       CredentialsMode::kSameOrigin,
       {{"Access-Control-Allow-Origin", "https://a.test"},
        {"Access-Control-Allow-Headers", "content-type"}},
       403,
       true,
       "CORS_PREFLIGHT",
       "403 is not an ok status"},
      {"preflight: malformed Access-Control-Allow-Headers",
       "application/json",
       CredentialsMode::kSameOrigin,
       {{"Access-Control-Allow-Origin", "https://a.test"},
        {"Access-Control-Allow-Headers", "content type"}},
       204,
       true,
       "CORS_PREFLIGHT",
       "Access-Control-Allow-Headers: \""},
  };
  int i = 0;
  for (const Row& row : rows) {
    ++i;
    SCOPED_TRACE(row.source);
    const std::string path = absl::StrCat("/cors", i, "/");
    const std::string url = absl::StrCat("https://b.test", path, "collect");
    if (row.preflight_status != 0) {
      server_->Respond({url, std::string("OPTIONS"), row.preflight_status,
                        row.preflight_headers});
    }
    OutgoingRequest r = FromPage(i, "POST", url, "{}");
    r.headers = {{"Content-Type", row.content_type}};
    r.credentials = row.credentials;
    SendAndWait(std::move(r));
    EXPECT_EQ(Preflights(path), row.want_preflight ? 1u : 0u);
    EXPECT_EQ(BlockedReasonOf(i), row.want_blocked);
    EXPECT_THAT(BlockedMessageOf(i), HasSubstr(row.want_message));
    EXPECT_EQ(RequestsTo(path, "POST").size(), *row.want_blocked ? 0u : 1u);
    if (row.want_preflight) {
      const RecordedRequest preflight = RequestsTo(path, "OPTIONS")[0];
      // Fetch "CORS-preflight fetch" steps 1-5: no body, no author headers.
      EXPECT_EQ(preflight.body_bytes, 0u);
      EXPECT_EQ(HeaderOrDash(preflight, "Access-Control-Request-Method"),
                "POST");
      EXPECT_EQ(HeaderOrDash(preflight, "Access-Control-Request-Headers"),
                "content-type");
      EXPECT_EQ(HeaderOrDash(preflight, "Origin"), "https://a.test");
      EXPECT_EQ(Header(preflight, "Content-Type"), std::nullopt);
    }
  }
}

TEST_P(MainFetchTest, PreflightCacheHitAndExpiry) {
  const std::string url = "https://b.test/cached/collect";
  server_->Respond({url,
                    std::string("OPTIONS"),
                    204,
                    {{"Access-Control-Allow-Origin", "https://a.test"},
                     {"Access-Control-Allow-Methods", "PUT"},
                     {"Access-Control-Max-Age", "60"}}});
  SendAndWait(FromPage(1, "PUT", url, "x"));
  SendAndWait(FromPage(2, "PUT", url, "x"));
  EXPECT_EQ(Preflights("/cached/"), 1u);  // a cache hit
  clock_.Advance(absl::Seconds(59));
  SendAndWait(FromPage(3, "PUT", url, "x"));
  EXPECT_EQ(Preflights("/cached/"), 1u);
  clock_.Advance(absl::Seconds(1));  // max-age ran out
  SendAndWait(FromPage(4, "PUT", url, "x"));
  EXPECT_EQ(Preflights("/cached/"), 2u);
  EXPECT_EQ(RequestsTo("/cached/", "PUT").size(), 4u);
  // Without Access-Control-Max-Age: Fetch's default 5 s.
  const std::string other = "https://b.test/default/collect";
  SendAndWait(FromPage(5, "PUT", other, "x"));
  clock_.Advance(absl::Seconds(4));
  SendAndWait(FromPage(6, "PUT", other, "x"));
  EXPECT_EQ(Preflights("/default/"), 1u);
  clock_.Advance(absl::Seconds(1));
  SendAndWait(FromPage(7, "PUT", other, "x"));
  EXPECT_EQ(Preflights("/default/"), 2u);
  // Capped at 2 hours (Chromium's limit).
  const std::string capped = "https://b.test/capped/collect";
  server_->Respond({capped,
                    std::string("OPTIONS"),
                    204,
                    {{"Access-Control-Allow-Origin", "https://a.test"},
                     {"Access-Control-Allow-Methods", "PUT"},
                     {"Access-Control-Max-Age", "86400"}}});
  SendAndWait(FromPage(8, "PUT", capped, "x"));
  clock_.Advance(absl::Hours(2) - absl::Seconds(1));
  SendAndWait(FromPage(9, "PUT", capped, "x"));
  EXPECT_EQ(Preflights("/capped/"), 1u);
  clock_.Advance(absl::Seconds(1));
  SendAndWait(FromPage(10, "PUT", capped, "x"));
  EXPECT_EQ(Preflights("/capped/"), 2u);
}

TEST_P(MainFetchTest, PreflightCacheIsKeyedByTheSerializedRequestOrigin) {
  // Fetch "CORS-preflight cache": an entry's "byte-serialized origin" is the
  // result of "byte-serializing a request origin": `null` for a request with
  // a redirect-tainted origin. What a server allowed for `null` does not
  // spare a request from https://a.test its own preflight.
  server_->Respond({"https://b.test/taint",
                    std::string("PUT"),
                    307,
                    {{"Location", "https://c.test/pc/collect"},
                     {"Access-Control-Allow-Origin", "https://a.test"}}});
  SendAndWait(FromPage(1, "PUT", "https://b.test/taint", "x"));
  ASSERT_EQ(RequestsTo("/pc/", "OPTIONS").size(), 1u);
  EXPECT_EQ(HeaderOrDash(RequestsTo("/pc/", "OPTIONS")[0], "Origin"), "null");
  ASSERT_EQ(RequestsTo("/pc/", "PUT").size(), 1u);
  SendAndWait(FromPage(2, "PUT", "https://c.test/pc/collect", "x"));
  ASSERT_EQ(RequestsTo("/pc/", "OPTIONS").size(), 2u);
  EXPECT_EQ(HeaderOrDash(RequestsTo("/pc/", "OPTIONS")[1], "Origin"),
            "https://a.test");
  EXPECT_EQ(RequestsTo("/pc/", "PUT").size(), 2u);
}

TEST_P(MainFetchTest, APreflightThatRefusesItsRequestIsNotCached) {
  // Fetch "CORS-preflight fetch" steps 7.5-7.7 return a network error before
  // steps 7.8-7.13 fill the cache: an answer that does not allow the request
  // it was sent for is not remembered for the methods it did list.
  const std::string url = "https://b.test/nostore/collect";
  server_->Respond({url,
                    std::string("OPTIONS"),
                    204,
                    {{"Access-Control-Allow-Origin", "https://a.test"},
                     {"Access-Control-Allow-Methods", "DELETE"},
                     {"Access-Control-Max-Age", "600"}}});
  SendAndWait(FromPage(1, "PUT", url, "x"));
  EXPECT_EQ(BlockedReasonOf(1), "CORS_PREFLIGHT");
  SendAndWait(FromPage(2, "DELETE", url));
  EXPECT_EQ(BlockedReasonOf(2), "");
  EXPECT_EQ(Preflights("/nostore/"), 2u);
  EXPECT_EQ(RequestsTo("/nostore/", "DELETE").size(), 1u);
  // Now DELETE's answer is cached.
  SendAndWait(FromPage(3, "DELETE", url));
  EXPECT_EQ(Preflights("/nostore/"), 2u);
}

TEST_P(MainFetchTest, PreflightCacheEntriesHoldCredentialsAsABoolean) {
  // Fetch "CORS-preflight cache": an entry's credentials is true when the
  // request's credentials mode is "include", false otherwise; "cache entry
  // match" takes a true entry for every request and a false one for requests
  // whose credentials mode is not "include".
  auto put = [this](uint64_t id, const std::string& url,
                    CredentialsMode credentials) {
    OutgoingRequest r = FromPage(id, "PUT", url, "x");
    r.credentials = credentials;
    SendAndWait(std::move(r));
    EXPECT_EQ(BlockedReasonOf(id), "") << BlockedMessageOf(id);
  };
  // "omit" and "same-origin" share the entry (both false).
  put(1, "https://b.test/cred1/collect", CredentialsMode::kOmit);
  put(2, "https://b.test/cred1/collect", CredentialsMode::kSameOrigin);
  EXPECT_EQ(Preflights("/cred1/"), 1u);
  // An "include" answer serves the others too.
  put(3, "https://b.test/cred2/collect", CredentialsMode::kInclude);
  put(4, "https://b.test/cred2/collect", CredentialsMode::kOmit);
  EXPECT_EQ(Preflights("/cred2/"), 1u);
  // Not the other way round.
  put(5, "https://b.test/cred3/collect", CredentialsMode::kSameOrigin);
  put(6, "https://b.test/cred3/collect", CredentialsMode::kInclude);
  EXPECT_EQ(Preflights("/cred3/"), 2u);
}

TEST_P(MainFetchTest, ConcurrentRequestsShareThePreflightInFlight) {
  const std::string url = "https://b.test/burst/collect";
  for (uint64_t id = 1; id <= 40; ++id) {
    OutgoingRequest r = FromPage(id, "POST", url, "{}");
    r.headers = {{"Content-Type", "application/json"}};
    stage_->Send(std::move(r));
  }
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(Preflights("/burst/"), 1u);
  EXPECT_EQ(RequestsTo("/burst/", "POST").size(), 40u);
}

TEST_P(MainFetchTest, AFailedSharedPreflightLeavesEachWaiterItsOwn) {
  // Fetch "HTTP fetch" step 4.1: every request without a cache match runs
  // its own "CORS-preflight fetch". Waiting for one in flight is only a way
  // to find the cache filled; when it fails, each waiter asks for itself, and
  // is refused by its own answer.
  const std::string url = "https://b.test/refused/collect";
  server_->Respond({url,
                    std::string("OPTIONS"),
                    204,
                    {{"Access-Control-Allow-Origin", "https://a.test"},
                     {"Access-Control-Allow-Headers", "content type"}}});
  for (uint64_t id = 1; id <= 3; ++id) {
    OutgoingRequest r = FromPage(id, "POST", url, "{}");
    r.headers = {{"Content-Type", "application/json"}};
    stage_->Send(std::move(r));
  }
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(Preflights("/refused/"), 3u);
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(BlockedReasonOf(id), "CORS_PREFLIGHT");
    EXPECT_THAT(BlockedMessageOf(id),
                HasSubstr("Access-Control-Allow-Headers: \"content type\""));
  }
  EXPECT_TRUE(RequestsTo("/refused/", "POST").empty());
}

TEST_P(MainFetchTest, ARedirectHopThatNeedsAPreflightGetsOne) {
  // A same-origin PUT (no preflight) redirected cross-origin (307 keeps PUT):
  // HTTP-redirect fetch step 22 runs main fetch again, which preflights.
  server_->Respond({"https://a.test/hop",
                    std::nullopt,
                    307,
                    {{"Location", "https://b.test/hop-end"}}});
  SendAndWait(FromPage(1, "PUT", "https://a.test/hop", "x"));
  EXPECT_EQ(Preflights("/hop"), 1u);
  EXPECT_EQ(RequestsTo("/hop-end", "OPTIONS").size(), 1u);
  EXPECT_EQ(RequestsTo("/hop-end", "PUT").size(), 1u);
}

// ---- CSP ----

TEST_P(MainFetchTest, CspBlocksTheFirstHopAndRedirectHops) {
  CspParseResult csp = ParseContentSecurityPolicies(
      {"connect-src 'self' https://b.test/ok/"}, CspDisposition::kEnforce);
  // WPT fetch-later/policies/csp-blocked: not sent, recorded.
  OutgoingRequest blocked = FromPage(1, "GET", "https://c.test/x");
  blocked.csp = csp.list;
  SendAndWait(std::move(blocked));
  EXPECT_EQ(BlockedReasonOf(1), "CSP");
  EXPECT_TRUE(RequestsTo("/x").empty());
  std::optional<RequestOutcome> outcome = OutcomeOf(1);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->kind, RequestOutcome::Kind::kBlocked);
  ASSERT_TRUE(outcome->csp_violation.has_value());
  EXPECT_EQ(outcome->csp_violation->violated_directive, "connect-src");
  EXPECT_EQ(outcome->csp_violation->original_policy,
            "connect-src 'self' https://b.test/ok/");
  // A redirect hop is checked too: a.test is allowed, c.test is not.
  server_->Respond({"https://a.test/to-c",
                    std::nullopt,
                    302,
                    {{"Location", "https://c.test/y"}}});
  OutgoingRequest hop = FromPage(2, "GET", "https://a.test/to-c");
  hop.csp = csp.list;
  SendAndWait(std::move(hop));
  EXPECT_EQ(BlockedReasonOf(2), "CSP");
  EXPECT_EQ(RequestsTo("/to-c").size(), 1u);
  EXPECT_TRUE(RequestsTo("/y").empty());
  EXPECT_EQ(OutcomeOf(2)->redirect_count, 1);
  // The path rule: respected before a redirect, skipped after one.
  OutgoingRequest wrong_path = FromPage(3, "GET", "https://b.test/other");
  wrong_path.csp = csp.list;
  SendAndWait(std::move(wrong_path));
  EXPECT_EQ(BlockedReasonOf(3), "CSP");
  server_->Respond({"https://a.test/to-b",
                    std::nullopt,
                    302,
                    {{"Location", "https://b.test/other2"}}});
  OutgoingRequest redirected = FromPage(4, "GET", "https://a.test/to-b");
  redirected.mode = RequestMode::kNoCors;
  redirected.csp = csp.list;
  SendAndWait(std::move(redirected));
  EXPECT_EQ(BlockedReasonOf(4), "");
  EXPECT_EQ(RequestsTo("/other2").size(), 1u);
}

TEST_P(MainFetchTest, CspSelfIsTheListsSelfOriginNotAnOpaqueDocumentOrigin) {
  // CSP: a CSP list's "self-origin" is its response's URL's origin ("parse a
  // response's Content Security Policies" step 4), and "Should request be
  // blocked by Content Security Policy?" matches 'self' against it: a
  // sandboxed document (opaque origin) at https://a.test still has 'self'
  // = https://a.test.
  CspParseResult csp = ParseContentSecurityPolicies(
      {"connect-src 'self'"}, CspDisposition::kEnforce,
      *Origin::Parse("https://a.test"));
  OutgoingRequest r = FromPage(1, "GET", "https://a.test/sandboxed");
  r.origin = Origin::CreateOpaque();
  r.csp = csp.list;
  SendAndWait(std::move(r));
  EXPECT_EQ(BlockedReasonOf(1), "") << BlockedMessageOf(1);
  ASSERT_EQ(RequestsTo("/sandboxed").size(), 1u);
  // An opaque origin is cross-origin to every URL: a cors request, Origin
  // `null`.
  EXPECT_EQ(HeaderOrDash(RequestsTo("/sandboxed")[0], "Origin"), "null");
  OutgoingRequest other = FromPage(2, "GET", "https://b.test/sandboxed2");
  other.origin = Origin::CreateOpaque();
  other.csp = csp.list;
  SendAndWait(std::move(other));
  EXPECT_EQ(BlockedReasonOf(2), "CSP");
}

// ---- Retries apply the policy again; a policy failure is not retried ----

TEST_P(MainFetchTest, EveryRetryAppliesCorsAgainAndAPolicyFailureIsFinal) {
  const Origin a = *Origin::Parse("https://a.test");
  stage_->OnDocumentActive(
      {SchemefulSite::Create(a), SchemefulSite::Create(a)});
  const std::string url = "https://b.test/retry/collect";
  server_->SetMode(testing::FaultMode::kReset);
  OutgoingRequest r = FromPage(1, "PUT", url, "x");
  RetryOptions retry;
  retry.max_attempts = 3;
  retry.max_age_ms = 600'000;
  r.retry_options = retry;
  stage_->Send(std::move(r));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  // The preflight met a reset connection: a transient error, retried.
  std::optional<HttpsNetworkStage::RequestStatus> status =
      stage_->GetRequestStatus(1);
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ(status->state, State::kRetryScheduled);
  // Now the collector refuses the preflight: the retry is refused by CORS,
  // at once and for good (no further retry, no waiting for maxAge).
  server_->SetMode(testing::FaultMode::kOk);
  server_->Respond({url, std::string("OPTIONS"), 403, {}});
  clock_.Advance(*status->next_retry_at - clock_.Now());
  ASSERT_TRUE(stage_->WaitForRequestState(1, State::kFailed, kIo));
  EXPECT_EQ(BlockedReasonOf(1), "CORS_PREFLIGHT");
  EXPECT_EQ(Preflights("/retry/"), 2u);
  EXPECT_TRUE(RequestsTo("/retry/", "PUT").empty());
  clock_.Advance(absl::Minutes(5));
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(stage_->WaitForIdle(kIo));
  EXPECT_EQ(Preflights("/retry/"), 2u);
}

// ---- The Origin header without a redirect ----

TEST_P(MainFetchTest, OriginHeaderOnFirstHops) {
  SendAndWait(FromPage(1, "GET", "https://a.test/o1"));  // same-origin GET
  SendAndWait(FromPage(2, "POST", "https://a.test/o2", "x"));  // same, POST
  SendAndWait(FromPage(3, "GET", "https://b.test/o3"));        // cors GET
  OutgoingRequest none = FromPage(4, "GET", "https://b.test/o4");
  none.origin.reset();  // from no document: as before main fetch
  SendAndWait(std::move(none));
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o1")[0], "Origin"), "-");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o2")[0], "Origin"), "https://a.test");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o3")[0], "Origin"), "https://a.test");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o4")[0], "Origin"), "-");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o3")[0], "Referer"), "https://a.test/");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o1")[0], "Referer"), kPage);
  // "Append a request `Origin` header" step 4.1: the referrer policy decides
  // only for modes other than "cors".
  OutgoingRequest cors = FromPage(5, "POST", "https://a.test/o5", "x");
  cors.referrer_policy = ReferrerPolicy::kNoReferrer;
  SendAndWait(std::move(cors));
  OutgoingRequest no_cors = FromPage(6, "POST", "https://a.test/o6", "x");
  no_cors.referrer_policy = ReferrerPolicy::kNoReferrer;
  no_cors.mode = RequestMode::kNoCors;
  SendAndWait(std::move(no_cors));
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o5")[0], "Origin"), "https://a.test");
  EXPECT_EQ(HeaderOrDash(RequestsTo("/o6")[0], "Origin"), "null");
}

TEST_P(MainFetchTest, AFinalResponseFailingTheCorsCheckIsANetworkError) {
  server_->Respond({"https://b.test/nocors", std::nullopt, 200, {}});
  SendAndWait(FromPage(1, "GET", "https://b.test/nocors"));
  EXPECT_EQ(RequestsTo("/nocors").size(), 1u);  // delivered
  std::optional<RequestOutcome> outcome = OutcomeOf(1);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->kind, RequestOutcome::Kind::kNetworkError);
  ASSERT_TRUE(outcome->error.has_value());
  EXPECT_EQ(outcome->error->kind, NetworkErrorKind::kCorsFailed);
  EXPECT_EQ(BlockedReasonOf(1), "");  // it was sent
}

INSTANTIATE_TEST_SUITE_P(Loops, MainFetchTest, ::testing::Values(1, 4));

}  // namespace
}  // namespace fetch_later::net
