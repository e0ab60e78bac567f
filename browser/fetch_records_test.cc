// FetchRecords: the fetch() calls in flight per document. Fetch's keepalive
// limit ("HTTP-network-or-cache fetch": 64 KiB of in-flight keepalive bodies
// per fetch group), fetch group termination (those without keepalive are
// terminated), and what the renderer is told of each fetch's end.
#include "browser/fetch_records.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/origin.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::browser {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr DocumentId kDoc(1);
constexpr DocumentId kOtherDoc(2);

DocumentStateChange Change(DocumentId document,
                           bool fully_active,
                           bool created,
                           bool destroyed) {
  const net::SchemefulSite site = net::SchemefulSite::Create(
      net::Origin::Create(*net::Url::Parse("https://a.test/")));
  return DocumentStateChange{
      document, {site, site}, fully_active, created, destroyed};
}

DocumentStateChange Created(DocumentId document) {
  return Change(document, /*fully_active=*/true, /*created=*/true,
                /*destroyed=*/false);
}

DocumentStateChange Destroyed(DocumentId document) {
  return Change(document, /*fully_active=*/false, /*created=*/false,
                /*destroyed=*/true);
}

FetchRecords::Request Keepalive(std::optional<uint64_t> body_length) {
  return {/*keepalive=*/true, body_length};
}

FetchRecords::Request Plain(std::optional<uint64_t> body_length) {
  return {/*keepalive=*/false, body_length};
}

net::RequestOutcome Ok(uint64_t request_id) {
  net::RequestOutcome o;
  o.kind = net::RequestOutcome::Kind::kResponse;
  o.request_id = request_id;
  o.status = 200;
  o.status_text = "OK";
  o.url = "https://a.test/r";
  o.body = "hi";
  o.body_length = 2;
  return o;
}

class FetchRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    records_.OnDocumentStateChanged(Created(kDoc));
    records_.OnDocumentStateChanged(Created(kOtherDoc));
  }
  FetchRecords records_;
};

// Fetch "HTTP-network-or-cache fetch": "If the sum of contentLength and
// inflightKeepaliveBytes is greater than 64 kibibytes, then return a network
// error." Only keepalive requests with a body count, per fetch group.
TEST_F(FetchRecordsTest, KeepaliveBodiesInFlightAreLimitedTo64KiB) {
  FetchRecords::Started a = records_.Start(kDoc, 1, Keepalive(40'000));
  ASSERT_EQ(a.outcome, FetchRecords::StartOutcome::kStarted);
  FetchRecords::Started over = records_.Start(kDoc, 2, Keepalive(30'000));
  ASSERT_EQ(over.outcome, FetchRecords::StartOutcome::kKeepaliveLimit);
  EXPECT_EQ(over.network_error.client_id(), 2u);
  EXPECT_THAT(over.network_error.network_error().message(),
              HasSubstr("40000 bytes of this document's keepalive request "
                        "bodies are in flight, and 30000 more would exceed "
                        "65536"));
  // Exactly 64 KiB is allowed ("greater than").
  EXPECT_EQ(records_.Start(kDoc, 3, Keepalive(65'536 - 40'000)).outcome,
            FetchRecords::StartOutcome::kStarted);
  EXPECT_EQ(records_.InFlightKeepaliveBytes(kDoc), 65'536u);
  // Not counted: a request without keepalive, a keepalive one with a null
  // body, and another document's fetch group.
  EXPECT_EQ(records_.Start(kDoc, 4, Plain(150'000)).outcome,
            FetchRecords::StartOutcome::kStarted);
  EXPECT_EQ(records_.Start(kDoc, 5, Keepalive(std::nullopt)).outcome,
            FetchRecords::StartOutcome::kStarted);
  EXPECT_EQ(records_.Start(kOtherDoc, 1, Keepalive(60'000)).outcome,
            FetchRecords::StartOutcome::kStarted);
  // A done fetch no longer counts.
  ASSERT_TRUE(records_.OnRequestOutcome(Ok(a.request_id)).has_value());
  EXPECT_EQ(records_.InFlightKeepaliveBytes(kDoc), 65'536u - 40'000u);
  EXPECT_EQ(records_.Start(kDoc, 2, Keepalive(30'000)).outcome,
            FetchRecords::StartOutcome::kStarted);
}

// Fetch: fetch group "terminated": records whose keepalive is false are
// terminated; keepalive ones continue, unobserved.
TEST_F(FetchRecordsTest,
       DestroyingTheDocumentTerminatesFetchesWithoutKeepalive) {
  FetchRecords::Started plain = records_.Start(kDoc, 1, Plain(10));
  FetchRecords::Started kept = records_.Start(kDoc, 2, Keepalive(10));
  FetchRecords::Started plain2 = records_.Start(kDoc, 3, Plain(std::nullopt));
  FetchRecords::Started other = records_.Start(kOtherDoc, 1, Plain(10));
  EXPECT_THAT(records_.OnDocumentStateChanged(Destroyed(kDoc)),
              UnorderedElementsAre(plain.request_id, plain2.request_id));
  // The keepalive fetch ends later: nobody is told.
  EXPECT_FALSE(records_.OnRequestOutcome(Ok(kept.request_id)).has_value());
  EXPECT_FALSE(records_.OnRequestOutcome(Ok(plain.request_id)).has_value());
  // No fetch() starts in a destroyed document; the other goes on.
  EXPECT_EQ(records_.Start(kDoc, 4, Plain(10)).outcome,
            FetchRecords::StartOutcome::kDocumentGone);
  EXPECT_EQ(records_.InFlightCount(), 1u);
  std::optional<FetchRecords::Completion> done =
      records_.OnRequestOutcome(Ok(other.request_id));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->document, kOtherDoc);
  EXPECT_EQ(done->event.client_id(), 1u);
  // A state change that is not a destruction terminates nothing.
  const DocumentStateChange bfcache =
      Change(kOtherDoc, /*fully_active=*/false, /*created=*/false,
             /*destroyed=*/false);
  records_.Start(kOtherDoc, 2, Plain(1));
  EXPECT_TRUE(records_.OnDocumentStateChanged(bfcache).empty());
  EXPECT_EQ(records_.InFlightCount(), 1u);
}

TEST_F(FetchRecordsTest, ClientIdsIdsAndAborts) {
  FetchRecords::Started first = records_.Start(kDoc, 7, Plain(1));
  EXPECT_NE(first.request_id & FetchRecords::kRequestIdBit, 0u);
  EXPECT_EQ(records_.Start(kDoc, 7, Plain(1)).outcome,
            FetchRecords::StartOutcome::kClientIdInUse);
  // Another document may use the same client id.
  FetchRecords::Started second = records_.Start(kOtherDoc, 7, Plain(1));
  EXPECT_NE(second.request_id, first.request_id);
  // A deferred fetch's outcome (no top bit) is not a fetch()'s.
  net::RequestOutcome deferred = Ok(first.request_id);
  deferred.request_id = first.request_id & ~FetchRecords::kRequestIdBit;
  EXPECT_FALSE(records_.OnRequestOutcome(deferred).has_value());
  // Abort: the record goes (its request id is cancelled by the caller), its
  // outcome is told to nobody, and the client id is free again.
  EXPECT_EQ(records_.Abort(kDoc, 7), first.request_id);
  EXPECT_EQ(records_.Abort(kDoc, 7), std::nullopt);
  EXPECT_FALSE(records_.OnRequestOutcome(Ok(first.request_id)).has_value());
  EXPECT_EQ(records_.Start(kDoc, 7, Plain(1)).outcome,
            FetchRecords::StartOutcome::kStarted);
}

// What the renderer is told: the filtered response, or a network error whose
// message says why.
TEST(FetchCompletedForTest, ResponsesAndNetworkErrors) {
  net::RequestOutcome ok = Ok(1);
  ok.headers = {{"Content-Type", "text/plain"}, {"Set-Cookie", "a=b"}};
  ok.redirect_count = 2;
  ipc::FetchCompleted basic = FetchCompletedFor(
      ok, net::RedirectMode::kFollow, net::CredentialsMode::kSameOrigin);
  ASSERT_TRUE(basic.has_response());
  EXPECT_EQ(basic.response().type(), ipc::RESPONSE_TYPE_BASIC);
  EXPECT_EQ(basic.response().status(), 200u);
  EXPECT_EQ(basic.response().status_text(), "OK");
  EXPECT_EQ(basic.response().url(), "https://a.test/r");
  EXPECT_TRUE(basic.response().redirected());
  ASSERT_EQ(basic.response().headers_size(), 1);  // no Set-Cookie
  EXPECT_EQ(basic.response().headers(0).name(), "Content-Type");
  ASSERT_TRUE(basic.response().has_body());
  EXPECT_EQ(basic.response().body(), "hi");

  net::RequestOutcome opaque = Ok(1);
  opaque.tainting = net::ResponseTainting::kOpaque;
  ipc::FetchCompleted filtered = FetchCompletedFor(
      opaque, net::RedirectMode::kFollow, net::CredentialsMode::kSameOrigin);
  ASSERT_TRUE(filtered.has_response());
  EXPECT_EQ(filtered.response().type(), ipc::RESPONSE_TYPE_OPAQUE);
  EXPECT_EQ(filtered.response().status(), 0u);
  EXPECT_FALSE(filtered.response().has_body());

  net::RequestOutcome redirect = Ok(1);
  redirect.status = 302;
  EXPECT_EQ(FetchCompletedFor(redirect, net::RedirectMode::kManual,
                              net::CredentialsMode::kSameOrigin)
                .response()
                .type(),
            ipc::RESPONSE_TYPE_OPAQUE_REDIRECT);

  struct Row {
    const char* source;
    net::RequestOutcome outcome;
    const char* message;
  };
  net::RequestOutcome csp;
  csp.kind = net::RequestOutcome::Kind::kBlocked;
  csp.blocked_reason = net::BlockedReason::kCsp;
  csp.message = "refused by Content-Security-Policy: ...";
  net::RequestOutcome refused;
  refused.kind = net::RequestOutcome::Kind::kNetworkError;
  refused.error = net::NetworkError::Make(
      net::NetworkErrorKind::kConnectionRefused, false, "connect: refused");
  net::RequestOutcome too_big = Ok(1);
  too_big.body = std::string(10, 'x');
  too_big.body_length = 20;
  const Row rows[] = {
      {"a refusal names its reason", csp,
       "fetch: blocked (CSP): refused by Content-Security-Policy: ..."},
      {"a network error names its kind", refused,
       "fetch: network error: refused: connect: refused"},
      {"a body cut at the stage's limit is no body", too_big,
       "fetch: the response body of https://a.test/r is 20 bytes, more than "
       "the 10 this browser keeps of a response"},
  };
  for (const Row& row : rows) {
    ipc::FetchCompleted event =
        FetchCompletedFor(row.outcome, net::RedirectMode::kFollow,
                          net::CredentialsMode::kSameOrigin);
    ASSERT_TRUE(event.has_network_error()) << row.source;
    EXPECT_EQ(event.network_error().message(), row.message) << row.source;
  }
}

}  // namespace
}  // namespace fetch_later::browser
