#include "browser/journal/fetch_journal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "browser/journal/journal_record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fetch_later::browser::journal {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

class FetchJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dfjXXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/profile";
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + root_ + "'";
    (void)system(cmd.c_str());
  }

  std::unique_ptr<FetchJournal> Open(
      std::vector<std::string>* notes = nullptr) {
    absl::StatusOr<std::unique_ptr<FetchJournal>> journal =
        FetchJournal::Open({dir_}, notes);
    EXPECT_TRUE(journal.ok()) << journal.status();
    return journal.ok() ? *std::move(journal) : nullptr;
  }

  static std::string Record(const std::string& url) {
    JournaledFetch fetch{
        DeferredRequest{"GET", *net::Url::Parse(url)},
        net::NetworkIsolationKey{
            net::SchemefulSite::Create(*net::Origin::Parse("https://a.test")),
            net::SchemefulSite::Create(*net::Origin::Parse("https://a.test"))},
        *net::Origin::Parse("https://a.test"),
        "https://a.test/",
        nullptr,
        absl::FromUnixMillis(1000),
        std::nullopt};
    return EncodeJournalRecord(fetch);
  }

  static std::vector<std::string> Urls(
      const std::vector<FetchJournal::Entry>& entries) {
    std::vector<std::string> urls;
    for (const auto& e : entries)
      urls.push_back(e.fetch.request.url.Serialize());
    return urls;
  }

  std::string path() const { return dir_ + "/" + FetchJournal::kFileName; }

  std::string root_;
  std::string dir_;
};

TEST_F(FetchJournalTest, WritesReadsAndDeletesAcrossReopen) {
  {
    auto journal = Open();
    ASSERT_NE(journal, nullptr);
    ASSERT_TRUE(journal->Add(1, Record("https://c.test/1")).ok());
    ASSERT_TRUE(journal->Add(2, Record("https://c.test/2")).ok());
    ASSERT_TRUE(journal->Add(3, Record("https://c.test/3")).ok());
    journal->Remove(2);  // acknowledged
    journal->OnAttemptStarted(3, 0);
    journal->OnAttemptFailed(3, absl::FromUnixMillis(5000),
                             /*retry_granted=*/true);
    EXPECT_EQ(journal->RecordCountForTesting(), 2);
  }
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  std::vector<std::string> errors;
  std::vector<FetchJournal::Entry> entries = journal->ReadAll(&errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_THAT(Urls(entries),
              ElementsAre("https://c.test/1", "https://c.test/3"));
  EXPECT_EQ(entries[0].phase, FetchJournal::Phase::kPending);
  EXPECT_EQ(entries[0].attempts_started, 0u);
  EXPECT_EQ(entries[1].phase, FetchJournal::Phase::kRetryPending);
  EXPECT_EQ(entries[1].attempts_started, 1u);
  EXPECT_EQ(entries[1].first_failure, absl::FromUnixMillis(5000));
  // A restored record is adopted under a new id and removed through it.
  journal->Adopt(77, entries[0].key);
  journal->Remove(77);
  EXPECT_EQ(journal->RecordCountForTesting(), 1);
}

TEST_F(FetchJournalTest, UsesWalAndCreatesPrivateFiles) {
  auto journal = Open();
  ASSERT_NE(journal, nullptr);
  ASSERT_TRUE(journal->Add(1, Record("https://c.test/1")).ok());
  struct stat st;
  ASSERT_EQ(stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The WAL file exists while the journal is open, with the database's mode.
  ASSERT_EQ(stat((path() + "-wal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  journal.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(FetchJournalTest, ARecordWrittenIsOnDiskBeforeAddReturns) {
  auto journal = Open();
  ASSERT_TRUE(journal->Add(1, Record("https://c.test/1")).ok());
  // Another connection (as a process after a crash would) sees it now, with
  // the writer still open: the commit reached the kernel.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM fetches", -1,
                                    &stmt, nullptr);
  // The exclusive lock keeps other processes out while the browser runs;
  // the file's bytes are what count: the WAL holds the committed frame.
  if (rc == SQLITE_OK)
    sqlite3_finalize(stmt);
  sqlite3_close(db);
  struct stat st;
  ASSERT_EQ(stat((path() + "-wal").c_str(), &st), 0);
  EXPECT_GT(st.st_size, 0);
}

TEST_F(FetchJournalTest, EventsBeforeAddAreAppliedAndRemovalWins) {
  auto journal = Open();
  // Sent and acknowledged by a racing thread before Add(): nothing written.
  journal->OnAttemptStarted(5, 0);
  journal->Remove(5);
  ASSERT_TRUE(journal->Add(5, Record("https://c.test/5")).ok());
  // Handed over before Add(): written as on the wire.
  journal->OnAttemptStarted(6, 0);
  ASSERT_TRUE(journal->Add(6, Record("https://c.test/6")).ok());
  journal.reset();
  journal = Open();
  std::vector<FetchJournal::Entry> entries = journal->ReadAll(nullptr);
  EXPECT_THAT(Urls(entries), ElementsAre("https://c.test/6"));
  EXPECT_EQ(entries[0].phase, FetchJournal::Phase::kOnWire);
  EXPECT_EQ(entries[0].attempts_started, 1u);
}

TEST_F(FetchJournalTest, ADirectoryNotOursOrTooOpenIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  absl::StatusOr<std::unique_ptr<FetchJournal>> journal =
      FetchJournal::Open({dir_}, nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(journal.status()));
  EXPECT_THAT(std::string(journal.status().message()), HasSubstr("mode 0755"));
  EXPECT_THAT(std::string(journal.status().message()), HasSubstr(dir_));
}

TEST_F(FetchJournalTest, ADatabaseFileTooOpenIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  { std::ofstream(path()) << ""; }
  ASSERT_EQ(chmod(path().c_str(), 0644), 0);
  absl::StatusOr<std::unique_ptr<FetchJournal>> journal =
      FetchJournal::Open({dir_}, nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(journal.status()));
  EXPECT_THAT(std::string(journal.status().message()), HasSubstr(path()));
  EXPECT_THAT(std::string(journal.status().message()), HasSubstr("0644"));
}

TEST_F(FetchJournalTest, ASymlinkedDatabaseIsRefused) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  const std::string target = root_ + "/elsewhere.db";
  { std::ofstream(target) << ""; }
  ASSERT_EQ(symlink(target.c_str(), path().c_str()), 0);
  absl::StatusOr<std::unique_ptr<FetchJournal>> journal =
      FetchJournal::Open({dir_}, nullptr);
  ASSERT_FALSE(journal.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(journal.status()));
}

TEST_F(FetchJournalTest, ASecondProcessOnTheSameProfileIsRefused) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<FetchJournal>> second =
      FetchJournal::Open({dir_}, nullptr);
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(second.status())) << second.status();
}

TEST_F(FetchJournalTest, AFileThatIsNoDatabaseIsSetAsideAndANewOneStarts) {
  ASSERT_EQ(mkdir(dir_.c_str(), 0700), 0);
  {
    std::ofstream file(path());
    file << std::string(8192, 'x');
  }
  ASSERT_EQ(chmod(path().c_str(), 0600), 0);
  std::vector<std::string> notes;
  auto journal = Open(&notes);
  ASSERT_NE(journal, nullptr);
  ASSERT_THAT(notes, SizeIs(1));
  EXPECT_THAT(notes[0], HasSubstr(path()));
  EXPECT_THAT(notes[0], HasSubstr(".corrupt-"));
  EXPECT_THAT(journal->ReadAll(nullptr), IsEmpty());
  ASSERT_TRUE(journal->Add(1, Record("https://c.test/1")).ok());
  // The damaged file is kept beside it.
  const std::string aside =
      notes[0].substr(notes[0].find(path() + ".corrupt-"));
  const std::string aside_path = aside.substr(0, aside.find(','));
  struct stat st;
  EXPECT_EQ(stat(aside_path.c_str(), &st), 0) << aside_path;
}

TEST_F(FetchJournalTest, ATruncatedDatabaseIsSetAsideAndTheBrowserStarts) {
  {
    auto journal = Open();
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE(
          journal
              ->Add(i + 1, Record(absl::StrCat("https://c.test/", i, "/",
                                               std::string(300, 'p'))))
              .ok());
    }
  }  // closed: checkpointed into the main file
  struct stat st;
  ASSERT_EQ(stat(path().c_str(), &st), 0);
  ASSERT_GT(st.st_size, 8192);
  ASSERT_EQ(truncate(path().c_str(), st.st_size / 2), 0);
  std::vector<std::string> notes, errors;
  absl::StatusOr<std::unique_ptr<FetchJournal>> journal =
      FetchJournal::Open({dir_}, &notes);
  ASSERT_TRUE(journal.ok()) << journal.status();
  std::vector<FetchJournal::Entry> entries = (*journal)->ReadAll(&errors);
  // Either Open() or ReadAll() found the damage; the file was set aside and
  // the journal works.
  std::vector<std::string> all = notes;
  all.insert(all.end(), errors.begin(), errors.end());
  ASSERT_FALSE(all.empty());
  EXPECT_THAT(all[0], HasSubstr(".corrupt-"));
  EXPECT_TRUE((*journal)->Add(999, Record("https://c.test/new")).ok());
}

TEST_F(FetchJournalTest, AnUndecodableRecordIsSkippedNamingFileAndRecord) {
  {
    auto journal = Open();
    ASSERT_TRUE(journal->Add(1, Record("https://c.test/1")).ok());
    ASSERT_TRUE(journal->Add(2, "\x0a\xff\xff garbage").ok());
    ASSERT_TRUE(journal->Add(3, Record("https://c.test/3")).ok());
  }
  auto journal = Open();
  std::vector<std::string> errors;
  std::vector<FetchJournal::Entry> entries = journal->ReadAll(&errors);
  EXPECT_THAT(Urls(entries),
              ElementsAre("https://c.test/1", "https://c.test/3"));
  ASSERT_THAT(errors, SizeIs(1));
  EXPECT_THAT(errors[0], HasSubstr(path()));
  EXPECT_THAT(errors[0], HasSubstr("record 2"));
  // Moved aside, not read again.
  EXPECT_EQ(journal->RecordCountForTesting(), 2);
  errors.clear();
  EXPECT_THAT(journal->ReadAll(&errors), SizeIs(2));
  EXPECT_THAT(errors, IsEmpty());
}

}  // namespace
}  // namespace fetch_later::browser::journal
