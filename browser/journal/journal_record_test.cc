#include "browser/journal/journal_record.h"

#include <string>

#include "browser/journal/journal_record.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/csp.h"
#include "net/site.h"
#include "net/url.h"

namespace fetch_later::browser::journal {
namespace {

using ::testing::HasSubstr;

net::Url U(const std::string& s) {
  return *net::Url::Parse(s);
}

net::SchemefulSite Site(const std::string& s) {
  return net::SchemefulSite::Create(*net::Origin::Parse(s));
}

JournaledFetch Sample() {
  DeferredRequest request{"POST", U("https://collector.test/beacon?x=1")};
  request.headers = {{"Content-Type", "text/plain;charset=UTF-8"},
                     {"X-Bytes", std::string("\x01\xff", 2)}};
  request.body = "payload";
  request.body_length = 7;
  request.referrer_url = "https://a.test/page";
  request.referrer_policy = net::ReferrerPolicy::kOrigin;
  request.mode = net::RequestMode::kNoCors;
  request.credentials = net::CredentialsMode::kInclude;
  request.redirect = net::RedirectMode::kManual;
  net::RetryOptions retry;
  retry.max_attempts = 3;
  retry.initial_delay_ms = 500;
  retry.backoff_factor = 2.5;
  retry.max_age_ms = 60000;
  retry.retry_after_unload = true;
  retry.retry_non_idempotent = true;
  request.retry_options = retry;
  return JournaledFetch{
      std::move(request),
      net::NetworkIsolationKey{Site("https://a.test"), Site("https://b.test")},
      *net::Origin::Parse("https://sub.b.test"),
      "https://sub.b.test/frame",
      net::ParseContentSecurityPolicies(
          {"connect-src https://collector.test, default-src 'self'"},
          net::CspDisposition::kEnforce)
          .list,
      absl::FromUnixMillis(1'700'000'000'123),
      absl::FromUnixMillis(1'700'000'060'123)};
}

TEST(JournalRecordTest, EveryFieldSurvivesTheRoundTrip) {
  const JournaledFetch in = Sample();
  absl::StatusOr<JournaledFetch> out =
      DecodeJournalRecord(EncodeJournalRecord(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->request.method, "POST");
  EXPECT_EQ(out->request.url.Serialize(), "https://collector.test/beacon?x=1");
  EXPECT_EQ(out->request.headers, in.request.headers);
  EXPECT_EQ(out->request.body, "payload");
  EXPECT_EQ(out->request.body_length, 7u);
  EXPECT_EQ(out->request.referrer_url, "https://a.test/page");
  EXPECT_FALSE(out->request.no_referrer);
  EXPECT_EQ(out->request.referrer_policy, net::ReferrerPolicy::kOrigin);
  EXPECT_EQ(out->request.mode, net::RequestMode::kNoCors);
  EXPECT_EQ(out->request.credentials, net::CredentialsMode::kInclude);
  EXPECT_EQ(out->request.redirect, net::RedirectMode::kManual);
  ASSERT_TRUE(out->request.retry_options.has_value());
  EXPECT_EQ(out->request.retry_options->max_attempts, 3u);
  EXPECT_EQ(out->request.retry_options->initial_delay_ms, 500u);
  EXPECT_EQ(out->request.retry_options->backoff_factor, 2.5);
  EXPECT_EQ(out->request.retry_options->max_age_ms, 60000u);
  EXPECT_TRUE(out->request.retry_options->retry_after_unload);
  EXPECT_TRUE(out->request.retry_options->retry_non_idempotent);
  EXPECT_FALSE(out->request.retry_options->retry_only_if_server_unreached);
  EXPECT_EQ(out->network_isolation_key, in.network_isolation_key);
  ASSERT_TRUE(out->origin.has_value());
  EXPECT_EQ(out->origin->Serialize(), "https://sub.b.test");
  EXPECT_EQ(out->document_url, "https://sub.b.test/frame");
  ASSERT_NE(out->csp_list, nullptr);
  ASSERT_EQ(out->csp_list->policies.size(), 2u);  // comma: two policies
  EXPECT_EQ(out->csp_list->policies[0].serialized,
            in.csp_list->policies[0].serialized);
  ASSERT_NE(out->csp_list->policies[0].Find("connect-src"), nullptr);
  EXPECT_EQ(out->queued_at, in.queued_at);
  EXPECT_EQ(out->activate_at, in.activate_at);
}

TEST(JournalRecordTest, ANullBodyNoReferrerAndOpaqueOriginRoundTrip) {
  JournaledFetch in{
      DeferredRequest{"GET", U("https://c.test/")},
      net::NetworkIsolationKey{
          net::SchemefulSite::Create(net::Origin::CreateOpaque()),
          net::SchemefulSite::Create(net::Origin::CreateOpaque())},
      net::Origin::CreateOpaque(),
      "",
      nullptr,
      absl::FromUnixMillis(5),
      std::nullopt};
  in.request.no_referrer = true;
  absl::StatusOr<JournaledFetch> out =
      DecodeJournalRecord(EncodeJournalRecord(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->request.body_length.has_value());
  EXPECT_TRUE(out->request.no_referrer);
  EXPECT_FALSE(out->request.referrer_url.has_value());
  EXPECT_FALSE(out->request.retry_options.has_value());
  ASSERT_TRUE(out->origin.has_value());
  EXPECT_TRUE(out->origin->opaque());
  EXPECT_TRUE(out->network_isolation_key.top_frame_site.opaque());
  EXPECT_EQ(out->csp_list, nullptr);
  EXPECT_FALSE(out->activate_at.has_value());
}

TEST(JournalRecordTest, UnknownFutureFieldsAreSkipped) {
  std::string bytes = EncodeJournalRecord(Sample());
  // Field 1000, length-delimited, 3 bytes: a field a later layout may add.
  bytes += std::string("\xc2\x3e\x03xyz", 6);
  absl::StatusOr<JournaledFetch> out = DecodeJournalRecord(bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->request.method, "POST");
}

// Each row: a damaged record and the field the error must name.
TEST(JournalRecordTest, DamagedRecordsAreRefusedNamingTheField) {
  struct Row {
    const char* what;
    void (*damage)(JournalRecord&);
    const char* field;
  } rows[] = {
      {"newer layout", [](JournalRecord& r) { r.set_version(99); }, "version"},
      {"no version", [](JournalRecord& r) { r.set_version(0); }, "version"},
      {"empty method", [](JournalRecord& r) { r.set_method(""); }, "method"},
      {"bad URL", [](JournalRecord& r) { r.set_url("https://[::1"); }, "url"},
      {"bad mode", [](JournalRecord& r) { r.set_mode("navigate-ish"); },
       "mode"},
      {"bad credentials",
       [](JournalRecord& r) { r.set_credentials("sometimes"); }, "credentials"},
      {"bad redirect", [](JournalRecord& r) { r.set_redirect("maybe"); },
       "redirect"},
      {"bad referrer policy",
       [](JournalRecord& r) { r.set_referrer_policy("unsafe"); },
       "referrer_policy"},
      {"bad origin", [](JournalRecord& r) { r.set_origin("https://"); },
       "origin"},
      {"bad site", [](JournalRecord& r) { r.set_frame_site("::"); },
       "frame_site"},
      {"body longer than its length",
       [](JournalRecord& r) { r.set_body_length(1); }, "body_length"},
  };
  for (const Row& row : rows) {
    JournalRecord record;
    ASSERT_TRUE(record.ParseFromString(EncodeJournalRecord(Sample())));
    row.damage(record);
    absl::StatusOr<JournaledFetch> out =
        DecodeJournalRecord(record.SerializeAsString());
    EXPECT_FALSE(out.ok()) << row.what;
    EXPECT_THAT(std::string(out.status().message()), HasSubstr(row.field))
        << row.what;
  }
  EXPECT_FALSE(DecodeJournalRecord("\xff\xff\xff").ok());
}

}  // namespace
}  // namespace fetch_later::browser::journal
