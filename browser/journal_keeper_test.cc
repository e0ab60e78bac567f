// JournalKeeper's replay rules, table by table, over a real journal file: what
// a restarted browser sends, resends, holds for the retry gate or drops, and
// why (README, "Deferred fetches survive the browser's exit and crash").
#include "browser/journal_keeper.h"

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "browser/journal/fetch_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/site.h"

namespace fetch_later::browser {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using Kind = net::OutgoingRequest::Resumption::Kind;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

class JournalKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dfkXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { (void)system(("rm -rf '" + root_ + "'").c_str()); }

  std::unique_ptr<journal::FetchJournal> OpenJournal() {
    auto journal = journal::FetchJournal::Open({root_ + "/p"}, nullptr);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return *std::move(journal);
  }

  // A keeper over a fresh journal, as one browser process has it.
  struct Process {
    std::unique_ptr<journal::FetchJournal> journal;
    std::unique_ptr<JournalKeeper> keeper;
  };
  Process Start() {
    Process p;
    p.journal = OpenJournal();
    p.keeper = std::make_unique<JournalKeeper>(JournalKeeper::Options{
        p.journal.get(), &clock_, nullptr, absl::Hours(1)});
    return p;
  }

  static DeferredFetchClient Client() {
    const net::Origin a = *net::Origin::Parse("https://a.test");
    return DeferredFetchClient{
        net::NetworkIsolationKey{net::SchemefulSite::Create(a),
                                 net::SchemefulSite::Create(a)},
        a, "https://a.test/page", nullptr};
  }

  static DeferredRequest Request(const std::string& method,
                                 const std::string& url,
                                 bool retry_non_idempotent = false) {
    DeferredRequest request{method, *net::Url::Parse(url)};
    if (retry_non_idempotent) {
      net::RetryOptions retry;
      retry.max_attempts = 2;
      retry.retry_non_idempotent = true;
      request.retry_options = retry;
    }
    return request;
  }

  net::FakeClock clock_{kStart};
  std::string root_;
};

TEST_F(JournalKeeperTest, PendingRecordsAreSentAsIfTheirDocumentWasDestroyed) {
  {
    Process first = Start();
    first.keeper->OnQueued(DeferredFetchId(7),
                           Request("POST", "https://c.test/p"), Client(),
                           absl::Seconds(60));
  }  // crash: nothing else happened
  clock_.Advance(absl::Seconds(5));
  Process second = Start();
  std::vector<ProcessedDeferredFetch> sent = second.keeper->Replay({});
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_GE(sent[0].id.value(), kRestoredRequestIdBase);
  EXPECT_FALSE(sent[0].notify_invoked);          // no document to notify
  EXPECT_FALSE(sent[0].resumption.has_value());  // a first attempt
  EXPECT_EQ(sent[0].request.method, "POST");
  EXPECT_EQ(sent[0].origin->Serialize(), "https://a.test");
  ASSERT_TRUE(sent[0].client_referrer.has_value());
  EXPECT_EQ(sent[0].client_referrer->referrer_url.Serialize(),
            "https://a.test/page");
  EXPECT_THAT(second.keeper->TakeBlocked(), IsEmpty());
  ASSERT_THAT(second.keeper->RestoredPending(), SizeIs(1));
  EXPECT_THAT(second.keeper->RestoredPending()[0].decision, HasSubstr("sent"));
  // Acknowledged by this process: gone from the journal and the list.
  net::RequestOutcome ack;
  ack.request_id = sent[0].id.value();
  ack.status = 204;
  second.keeper->OnRequestOutcome(ack);
  EXPECT_EQ(second.journal->RecordCountForTesting(), 0);
  EXPECT_THAT(second.keeper->RestoredPending(), IsEmpty());
}

// One row per phase at the crash and method (README's rules).
TEST_F(JournalKeeperTest, ReplayDecidesByPhaseAndMethod) {
  struct Row {
    const char* what;
    const char* method;
    bool retry_non_idempotent;
    // What the first process saw: -1 nothing; else attempts started, then
    // whether the last failed and whether a retry was granted.
    int attempts;
    bool failed;
    bool retry_granted;
    // Expected: nullopt dropped (with `blocked_reason`), or the resumption.
    bool sent;
    std::optional<Kind> kind;
    uint32_t attempts_started;
    const char* blocked_reason;
  } rows[] = {
      {"pending GET", "GET", false, -1, false, false, true, std::nullopt, 0,
       ""},
      {"GET on the wire: idempotent, resent", "GET", false, 1, false, false,
       true, Kind::kResendAttempt, 1, ""},
      {"PUT on the wire: idempotent, resent", "PUT", false, 1, false, false,
       true, Kind::kResendAttempt, 1, ""},
      {"POST on the wire: dropped", "POST", false, 1, false, false, false,
       std::nullopt, 0, "IN_FLIGHT_AT_CRASH"},
      {"POST on the wire, retryNonIdempotent: resent", "POST", true, 1, false,
       false, true, Kind::kResendAttempt, 1, ""},
      {"retry 2 on the wire: resent as retry 3", "GET", false, 3, false, false,
       true, Kind::kResendAttempt, 3, ""},
      {"POST waiting for its retry: due", "POST", true, 1, true, true, true,
       Kind::kDueRetry, 1, ""},
      {"failed with no retry to come: removed", "GET", false, 1, true, false,
       false, std::nullopt, 0, ""},
  };
  uint64_t id = 1;
  {
    Process first = Start();
    for (const Row& row : rows) {
      first.keeper->OnQueued(
          DeferredFetchId(id),
          Request(row.method, absl::StrCat("https://c.test/", id),
                  row.retry_non_idempotent),
          Client(), std::nullopt);
      if (row.attempts >= 1) {
        first.journal->OnAttemptStarted(id, row.attempts - 1);
        if (row.failed) {
          first.journal->OnAttemptFailed(id, kStart, false);
          if (row.retry_granted)
            first.journal->OnRetryScheduled(id);
        }
      }
      ++id;
    }
  }
  Process second = Start();
  std::vector<ProcessedDeferredFetch> sent = second.keeper->Replay({});
  std::vector<ipc::BlockedRequest> blocked = second.keeper->TakeBlocked();
  id = 1;
  for (const Row& row : rows) {
    const std::string url = absl::StrCat("https://c.test/", id++);
    const ProcessedDeferredFetch* found = nullptr;
    for (const auto& s : sent) {
      if (s.request.url.Serialize() == url)
        found = &s;
    }
    const ipc::BlockedRequest* refused = nullptr;
    for (const auto& b : blocked) {
      if (b.url() == url)
        refused = &b;
    }
    EXPECT_EQ(found != nullptr, row.sent) << row.what;
    if (found != nullptr) {
      EXPECT_EQ(found->resumption.has_value(), row.kind.has_value())
          << row.what;
      if (found->resumption && row.kind) {
        EXPECT_EQ(found->resumption->kind, *row.kind) << row.what;
        EXPECT_EQ(found->resumption->attempts_started, row.attempts_started)
            << row.what;
      }
    }
    EXPECT_EQ(refused != nullptr, std::string(row.blocked_reason) != "")
        << row.what;
    if (refused != nullptr) {
      EXPECT_EQ(refused->reason(), row.blocked_reason) << row.what;
    }
  }
  // The dropped and removed ones are gone from the journal; the others stay
  // until this process's network acknowledges them.
  EXPECT_EQ(second.journal->RecordCountForTesting(),
            static_cast<int64_t>(sent.size()));
}

TEST_F(JournalKeeperTest, ARecordOlderThanReplayMaxAgeIsDroppedExpired) {
  {
    Process first = Start();
    first.keeper->OnQueued(DeferredFetchId(1),
                           Request("GET", "https://c.test/old"), Client(),
                           std::nullopt);
  }
  clock_.Advance(absl::Hours(1) + absl::Seconds(1));
  Process second = Start();
  EXPECT_THAT(second.keeper->Replay({}), IsEmpty());
  std::vector<ipc::BlockedRequest> blocked = second.keeper->TakeBlocked();
  ASSERT_THAT(blocked, SizeIs(1));
  EXPECT_EQ(blocked[0].reason(), "EXPIRED");
  EXPECT_THAT(blocked[0].message(), HasSubstr("--replay_max_age"));
  EXPECT_EQ(second.journal->RecordCountForTesting(), 0);
}

TEST_F(JournalKeeperTest, AbortedAndAcknowledgedRecordsAreNeverReplayed) {
  {
    Process first = Start();
    first.keeper->OnQueued(DeferredFetchId(1),
                           Request("GET", "https://c.test/1"), Client(),
                           std::nullopt);
    first.keeper->OnQueued(DeferredFetchId(2),
                           Request("GET", "https://c.test/2"), Client(),
                           std::nullopt);
    first.keeper->OnAborted(DeferredFetchId(1));
    first.journal->OnAttemptStarted(2, 0);
    net::RequestOutcome ack;
    ack.request_id = 2;
    ack.status = 500;  // any HTTP response acknowledges
    first.keeper->OnRequestOutcome(ack);
  }
  Process second = Start();
  EXPECT_THAT(second.keeper->Replay({}), IsEmpty());
  EXPECT_THAT(second.keeper->TakeBlocked(), IsEmpty());
}

TEST_F(JournalKeeperTest, WithoutAJournalNothingHappens) {
  JournalKeeper keeper({nullptr, &clock_, nullptr, absl::Hours(1)});
  EXPECT_FALSE(keeper.enabled());
  keeper.OnQueued(DeferredFetchId(1), Request("GET", "https://c.test/1"),
                  Client(), std::nullopt);
  EXPECT_THAT(keeper.Replay({}), IsEmpty());
}

}  // namespace
}  // namespace fetch_later::browser
