#include "browser/journal/fetch_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace fetch_later::browser::journal {
namespace {

// `key` is the rowid (no AUTOINCREMENT: its sqlite_sequence row would be one
// more page written per insert); a key is unique among live rows, and may be
// given again once its row is gone.
// clang-format off
constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS fetches ("
    "  key INTEGER PRIMARY KEY,"
    "  record BLOB NOT NULL,"
    "  phase INTEGER NOT NULL,"
    "  attempts INTEGER NOT NULL,"
    "  first_failure_ms INTEGER);"
    "CREATE TABLE IF NOT EXISTS set_aside ("
    "  key INTEGER, record BLOB, error TEXT, set_aside_at_ms INTEGER);"
    "PRAGMA user_version = 1;";
// clang-format on

std::string ModeString(mode_t mode) {
  return absl::StrFormat("%04o", mode & 07777);
}

// The profile directory: created 0700 (with its missing parents) when absent;
// otherwise it must be a real directory, ours, with no group or other bits.
absl::Status EnsurePrivateDirectory(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::InternalError(
          absl::StrCat("profile directory ", dir, ": ", strerror(errno)));
    }
    const size_t slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      const std::string parent = dir.substr(0, slash);
      struct stat parent_st;
      if (stat(parent.c_str(), &parent_st) != 0) {
        if (absl::Status made = EnsurePrivateDirectory(parent); !made.ok())
          return made;
      }
    }
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return absl::InternalError(absl::StrCat(
          "cannot create profile directory ", dir, ": ", strerror(errno)));
    }
    if (lstat(dir.c_str(), &st) != 0) {
      return absl::InternalError(
          absl::StrCat("profile directory ", dir, ": ", strerror(errno)));
    }
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "profile directory ", dir, " is not a directory (or is a symlink)"));
  }
  if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("profile directory ", dir, " is owned by uid ", st.st_uid,
                     " with mode ", ModeString(st.st_mode), "; it must be uid ",
                     geteuid(), "'s with mode 0700"));
  }
  return absl::OkStatus();
}

// The database file: created 0600 when absent; otherwise a regular file,
// ours, mode 0600 (or stricter).
absl::Status EnsurePrivateFile(const std::string& path) {
  const int fd = open(path.c_str(),
                      O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    return absl::OkStatus();
  }
  if (errno != EEXIST) {
    return absl::InternalError(
        absl::StrCat("cannot create ", path, ": ", strerror(errno)));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return absl::InternalError(absl::StrCat(path, ": ", strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(
        absl::StrCat("journal ", path, " is not a regular file"));
  }
  if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("journal ", path, " is owned by uid ", st.st_uid,
                     " with mode ", ModeString(st.st_mode), "; it must be uid ",
                     geteuid(), "'s with mode 0600: not ours, refused"));
  }
  return absl::OkStatus();
}

std::string UtcStamp() {
  return absl::FormatTime("%Y%m%dT%H%M%E3SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<std::unique_ptr<FetchJournal>> FetchJournal::Open(
    const Options& options,
    std::vector<std::string>* notes) {
  if (options.profile_dir.empty())
    return absl::InvalidArgumentError("profile_dir: empty");
  if (absl::Status dir = EnsurePrivateDirectory(options.profile_dir);
      !dir.ok()) {
    return dir;
  }
  const std::string path = absl::StrCat(options.profile_dir, "/", kFileName);
  if (absl::Status file = EnsurePrivateFile(path); !file.ok())
    return file;
  std::unique_ptr<FetchJournal> journal(new FetchJournal(path, options.sync));
  absl::MutexLock lock(&journal->mu_);
  absl::Status opened = journal->OpenDatabase();
  if (opened.ok())
    return journal;
  if (absl::IsFailedPrecondition(opened))
    return opened;  // in use by another process: not ours to touch
  // Not a database, or a damaged one: set it aside, start a new one.
  std::string note = journal->SetAsideAndReopen(std::string(opened.message()));
  if (journal->db_ == nullptr)
    return absl::InternalError(note);
  if (notes != nullptr)
    notes->push_back(std::move(note));
  return journal;
}

FetchJournal::FetchJournal(std::string path, bool sync)
    : path_(std::move(path)), sync_(sync) {}

FetchJournal::~FetchJournal() {
  absl::MutexLock lock(&mu_);
  CloseDatabase();
}

absl::Status FetchJournal::Error(const char* what) {
  return absl::InternalError(
      absl::StrCat(path_, ": ", what, ": ",
                   db_ != nullptr ? sqlite3_errmsg(db_) : "cannot open"));
}

absl::Status FetchJournal::Exec(const char* sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc == SQLITE_OK)
    return absl::OkStatus();
  std::string text = absl::StrCat(path_, ": ", message ? message : "", " (",
                                  sqlite3_errstr(rc), ")");
  sqlite3_free(message);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    return absl::FailedPreconditionError(
        absl::StrCat(text, ": another browser process uses this profile"));
  }
  return absl::InternalError(std::move(text));
}

absl::Status FetchJournal::OpenDatabase() {
  if (sqlite3_open_v2(
          path_.c_str(), &db_,
          SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
          nullptr) != SQLITE_OK) {
    absl::Status status = Error("open");
    CloseDatabase();
    return status;
  }
  // The exclusive lock is taken by the first transaction and kept: a second
  // browser on the same profile gets SQLITE_BUSY at once. 1 KiB pages: a
  // record is ~100-300 bytes, and each commit writes whole pages to the WAL
  // (measured: an insert ~35% cheaper than with 4 KiB pages). A checkpoint
  // (with synchronous=NORMAL, the one fsync) every 10,000 WAL pages rather
  // than SQLite's 1,000, so that few fetchLater() calls pay for one.
  sqlite3_busy_timeout(db_, 0);
  const std::string pragmas = absl::StrCat(
      "PRAGMA page_size = 1024;"
      "PRAGMA locking_mode = EXCLUSIVE;"
      "PRAGMA journal_mode = WAL;"
      "PRAGMA wal_autocheckpoint = 10000; PRAGMA synchronous = ",
      sync_ ? "FULL" : "NORMAL", ";");
  absl::Status status = Exec(pragmas.c_str());
  if (status.ok())
    status = Exec("BEGIN EXCLUSIVE; COMMIT;");
  if (status.ok()) {
    // Catches a file that is not a database or is damaged, before any
    // record is trusted. O(pages), done once at start.
    sqlite3_stmt* check = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &check, nullptr) !=
        SQLITE_OK) {
      status = Error("quick_check");
    } else {
      const int rc = sqlite3_step(check);
      const unsigned char* text =
          rc == SQLITE_ROW ? sqlite3_column_text(check, 0) : nullptr;
      if (rc != SQLITE_ROW || text == nullptr ||
          std::strcmp(reinterpret_cast<const char*>(text), "ok") != 0) {
        status = absl::InternalError(
            absl::StrCat(path_, ": quick_check: ",
                         text != nullptr ? reinterpret_cast<const char*>(text)
                                         : sqlite3_errmsg(db_)));
      }
      sqlite3_finalize(check);
    }
  }
  if (status.ok())
    status = Exec(kSchema);
  if (status.ok()) {
    const struct {
      sqlite3_stmt** stmt;
      const char* sql;
    } statements[] = {
        {&insert_,
         "INSERT INTO fetches (record, phase, attempts, first_failure_ms) "
         "VALUES (?1, ?2, ?3, ?4)"},
        {&update_,
         "UPDATE fetches SET phase = ?2, attempts = ?3, first_failure_ms = ?4 "
         "WHERE key = ?1"},
        {&delete_, "DELETE FROM fetches WHERE key = ?1"},
    };
    for (const auto& s : statements) {
      if (sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt,
                             nullptr) != SQLITE_OK) {
        status = Error("prepare");
        break;
      }
    }
  }
  if (!status.ok())
    CloseDatabase();
  return status;
}

void FetchJournal::CloseDatabase() {
  for (sqlite3_stmt** stmt : {&insert_, &update_, &delete_}) {
    sqlite3_finalize(*stmt);
    *stmt = nullptr;
  }
  if (db_ != nullptr) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

std::string FetchJournal::SetAsideAndReopen(const std::string& why) {
  CloseDatabase();
  const std::string aside = absl::StrCat(path_, ".corrupt-", UtcStamp());
  std::string note;
  if (rename(path_.c_str(), aside.c_str()) != 0) {
    note = absl::StrCat("journal ", path_, " is damaged (", why,
                        ") and could not be set aside: ", strerror(errno));
    return note;
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string from = path_ + suffix;
    if (access(from.c_str(), F_OK) == 0)
      rename(from.c_str(), (aside + suffix).c_str());
  }
  note = absl::StrCat("journal ", path_, " is damaged (", why,
                      "); set aside as ", aside, ", starting a new journal");
  if (absl::Status file = EnsurePrivateFile(path_); !file.ok()) {
    absl::StrAppend(&note, "; ", file.message());
    return note;
  }
  if (absl::Status opened = OpenDatabase(); !opened.ok())
    absl::StrAppend(&note, "; the new journal failed too: ", opened.message());
  return note;
}

std::vector<FetchJournal::Entry> FetchJournal::ReadAll(
    std::vector<std::string>* errors) {
  // The rows are read under the lock; they are decoded without it, so that
  // fetchLater() calls (Add()) do not wait for a large journal to decode.
  struct Row {
    int64_t key = 0;
    std::string record;
    int phase = 0;
    int64_t attempts = 0;
    std::optional<int64_t> first_failure_ms;
  };
  std::vector<Row> rows;
  {
    absl::MutexLock lock(&mu_);
    if (db_ == nullptr)
      return {};
    sqlite3_stmt* select = nullptr;
    int rc = sqlite3_prepare_v2(
        db_,
        "SELECT key, record, phase, attempts, first_failure_ms FROM fetches "
        "ORDER BY key",
        -1, &select, nullptr);
    if (rc == SQLITE_OK) {
      while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        Row row;
        row.key = sqlite3_column_int64(select, 0);
        const void* blob = sqlite3_column_blob(select, 1);
        row.record.assign(static_cast<const char*>(blob),
                          sqlite3_column_bytes(select, 1));
        row.phase = sqlite3_column_int(select, 2);
        row.attempts = sqlite3_column_int64(select, 3);
        if (sqlite3_column_type(select, 4) != SQLITE_NULL)
          row.first_failure_ms = sqlite3_column_int64(select, 4);
        rows.push_back(std::move(row));
      }
    }
    sqlite3_finalize(select);
    if (rc != SQLITE_DONE) {
      // Damaged beyond what quick_check saw: keep what was read, in a new
      // file (a row that does not decode goes to its set_aside table below,
      // like any other).
      const std::string why = sqlite3_errmsg(db_);
      if (errors != nullptr)
        errors->push_back(SetAsideAndReopen(why));
      if (db_ == nullptr)
        return {};
      for (Row& row : rows) {
        Tracked state;
        state.phase = static_cast<Phase>(std::clamp(row.phase, 0, 3));
        state.attempts_started = static_cast<uint32_t>(
            std::clamp<int64_t>(row.attempts, 0, 1'000'000));
        state.first_failure_ms = row.first_failure_ms;
        absl::StatusOr<int64_t> key = Insert(row.record, state);
        row.key = key.ok() ? *key : 0;
      }
    }
  }

  std::vector<Entry> entries;
  entries.reserve(rows.size());
  struct Undecodable {
    int64_t key;
    std::string error;
  };
  std::vector<Undecodable> undecodable;
  for (Row& row : rows) {
    absl::StatusOr<JournaledFetch> fetch = DecodeJournalRecord(row.record);
    if (fetch.ok() && (row.phase < 0 || row.phase > 3)) {
      fetch = absl::InvalidArgumentError(
          absl::StrCat("phase: ", row.phase, " is not a phase"));
    } else if (fetch.ok() && (row.attempts < 0 || row.attempts > 1'000'000)) {
      fetch = absl::InvalidArgumentError(
          absl::StrCat("attempts: ", row.attempts, " out of range"));
    }
    if (!fetch.ok()) {
      undecodable.push_back({row.key, std::string(fetch.status().message())});
      continue;
    }
    Entry entry{row.key, *std::move(fetch), static_cast<Phase>(row.phase),
                static_cast<uint32_t>(row.attempts)};
    if (row.first_failure_ms)
      entry.first_failure = absl::FromUnixMillis(*row.first_failure_ms);
    entries.push_back(std::move(entry));
  }
  if (undecodable.empty())
    return entries;
  absl::MutexLock lock(&mu_);
  for (const Undecodable& bad : undecodable) {
    const std::string message =
        absl::StrCat(path_, ": record ", bad.key, " does not decode (",
                     bad.error, "); moved to table set_aside, skipped");
    if (errors != nullptr)
      errors->push_back(message);
    sqlite3_stmt* move = nullptr;
    if (db_ == nullptr ||
        sqlite3_prepare_v2(db_,
                           "INSERT INTO set_aside SELECT key, record, ?2, ?3 "
                           "FROM fetches WHERE key = ?1",
                           -1, &move, nullptr) != SQLITE_OK) {
      continue;
    }
    sqlite3_bind_int64(move, 1, bad.key);
    sqlite3_bind_text(move, 2, bad.error.data(),
                      static_cast<int>(bad.error.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(move, 3, absl::ToUnixMillis(absl::Now()));
    const bool moved = sqlite3_step(move) == SQLITE_DONE;
    sqlite3_finalize(move);
    if (moved)
      Delete(bad.key);
  }
  return entries;
}

absl::StatusOr<int64_t> FetchJournal::Insert(const std::string& record,
                                             const Tracked& state) {
  sqlite3_bind_blob(insert_, 1, record.data(), static_cast<int>(record.size()),
                    SQLITE_STATIC);
  sqlite3_bind_int(insert_, 2, static_cast<int>(state.phase));
  sqlite3_bind_int64(insert_, 3, state.attempts_started);
  if (state.first_failure_ms)
    sqlite3_bind_int64(insert_, 4, *state.first_failure_ms);
  else
    sqlite3_bind_null(insert_, 4);
  const int rc = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  sqlite3_clear_bindings(insert_);
  if (rc != SQLITE_DONE)
    return Error("insert");
  return sqlite3_last_insert_rowid(db_);
}

void FetchJournal::WriteState(const Tracked& state) {
  if (db_ == nullptr || state.key == 0)
    return;
  sqlite3_bind_int64(update_, 1, state.key);
  sqlite3_bind_int(update_, 2, static_cast<int>(state.phase));
  sqlite3_bind_int64(update_, 3, state.attempts_started);
  if (state.first_failure_ms)
    sqlite3_bind_int64(update_, 4, *state.first_failure_ms);
  else
    sqlite3_bind_null(update_, 4);
  const int rc = sqlite3_step(update_);
  sqlite3_reset(update_);
  if (rc != SQLITE_DONE)
    ReportWriteError("update");
}

void FetchJournal::Delete(int64_t key) {
  if (db_ == nullptr)
    return;
  sqlite3_bind_int64(delete_, 1, key);
  const int rc = sqlite3_step(delete_);
  sqlite3_reset(delete_);
  if (rc != SQLITE_DONE)
    ReportWriteError("delete");
}

void FetchJournal::ReportWriteError(const char* what) {
  if (write_error_reported_)
    return;
  write_error_reported_ = true;
  std::fprintf(stderr,
               "browser: journal %s: %s failed: %s (reported once; deferred "
               "fetches are still sent, they may not survive a crash)\n",
               path_.c_str(), what, sqlite3_errmsg(db_));
}

absl::Status FetchJournal::Add(uint64_t request_id,
                               const std::string& encoded_record) {
  absl::MutexLock lock(&mu_);
  Tracked& state = tracked_[request_id];
  if (state.removed) {
    tracked_.erase(request_id);  // acknowledged before it was written
    return absl::OkStatus();
  }
  if (db_ == nullptr)
    return absl::FailedPreconditionError(absl::StrCat(path_, ": not open"));
  absl::StatusOr<int64_t> key = Insert(encoded_record, state);
  if (!key.ok()) {
    tracked_.erase(request_id);
    return key.status();
  }
  state.key = *key;
  return absl::OkStatus();
}

void FetchJournal::Adopt(uint64_t request_id, int64_t key) {
  absl::MutexLock lock(&mu_);
  Tracked& state = tracked_[request_id];
  state.key = key;
}

template <typename Change>
void FetchJournal::Update(uint64_t request_id, Change change) {
  Tracked& state = tracked_[request_id];
  if (state.removed)
    return;
  if (change(state))
    WriteState(state);
}

void FetchJournal::OnAttemptStarted(uint64_t request_id,
                                    uint32_t retry_attempt) {
  absl::MutexLock lock(&mu_);
  Update(request_id, [retry_attempt](Tracked& state) {
    if (state.phase == Phase::kOnWire &&
        state.attempts_started == retry_attempt + 1) {
      return false;  // written already
    }
    state.phase = Phase::kOnWire;
    state.attempts_started = retry_attempt + 1;
    return true;
  });
}

void FetchJournal::OnAttemptFailed(uint64_t request_id,
                                   absl::Time at,
                                   bool retry_granted) {
  absl::MutexLock lock(&mu_);
  Update(request_id, [at, retry_granted](Tracked& state) {
    state.phase = retry_granted ? Phase::kRetryPending : Phase::kFailed;
    if (!state.first_failure_ms)
      state.first_failure_ms = absl::ToUnixMillis(at);
    return true;
  });
}

void FetchJournal::OnRetryScheduled(uint64_t request_id) {
  absl::MutexLock lock(&mu_);
  Update(request_id, [](Tracked& state) {
    if (state.phase == Phase::kRetryPending)
      return false;
    state.phase = Phase::kRetryPending;
    return true;
  });
}

void FetchJournal::Remove(uint64_t request_id) {
  absl::MutexLock lock(&mu_);
  auto it = tracked_.find(request_id);
  if (it == tracked_.end()) {
    // Acknowledged before Add() wrote it (a racing thread sent it): Add()
    // writes nothing.
    tracked_[request_id].removed = true;
    return;
  }
  if (it->second.key != 0) {
    Delete(it->second.key);
    tracked_.erase(it);
  } else {
    it->second.removed = true;
  }
}

int64_t FetchJournal::RecordCountForTesting() {
  absl::MutexLock lock(&mu_);
  if (db_ == nullptr)
    return -1;
  sqlite3_stmt* count = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM fetches", -1, &count,
                         nullptr) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW) {
    n = sqlite3_column_int64(count, 0);
  }
  sqlite3_finalize(count);
  return n;
}

}  // namespace fetch_later::browser::journal
