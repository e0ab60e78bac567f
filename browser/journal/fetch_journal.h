// FetchJournal: the browser's journal of accepted, unsent deferred fetches, in
// an SQLite database (WAL mode) in the profile directory, so that a
// fetchLater() the browser answered OK survives the browser's exit and crash
// (README, "Deferred fetches survive the browser's exit and crash").
//
// One row per deferred fetch: the request as an encoded JournalRecord
// (journal_record.h; immutable), and how far it got (its phase, the attempts
// started, when the first one failed), which changes as the network stage
// works. A record is written before fetchLater() answers OK and deleted when
// the request is acknowledged (any HTTP response), aborted or dropped.
//
//   auto journal = FetchJournal::Open({.profile_dir = dir}, &notes);
//   for (FetchJournal::Entry& e : (*journal)->ReadAll(&errors)) ...  // replay
//   (*journal)->Add(id, EncodeJournalRecord(fetch));  // before answering OK
//   (*journal)->OnAttemptStarted(id, 0);              // on the wire
//   (*journal)->Remove(id);                           // acknowledged
//
// Durability: every change is its own transaction, committed before the call
// returns. With `sync` false (the default) SQLite's WAL commit write()s the
// change into the -wal file (synchronous=NORMAL): it has reached the kernel and
// survives the process being killed, but a power loss may lose the newest
// commits (never the database's consistency). With `sync` true
// (--journal_sync) every commit is also fsync()ed (synchronous=FULL).
//
// Ownership and files: the profile directory must be the browser user's and
// mode 0700 (created so when absent), the database file the user's and 0600
// (created so); anything else is refused (PermissionDenied naming the path),
// and so is a database another process holds (the journal takes SQLite's
// exclusive lock: two browsers on one profile would send twice). A database
// that is not one, or is damaged, is set aside (renamed
// `deferred_fetches.db.corrupt-<UTC time>`) and a new one is started; a
// record that does not decode is moved to the `set_aside` table; either way
// the message names the file and the record, and the other records are kept.
//
// Created by the browser's main (or a test) before the core, owned by it, lives
// until the browser exits. Thread-safe: one mutex serialises every call (and
// the one SQLite connection); the network stage's threads call the On*/Remove
// methods, the renderer-facing threads Add().
#ifndef BROWSER_JOURNAL_FETCH_JOURNAL_H_
#define BROWSER_JOURNAL_FETCH_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/journal/journal_record.h"

struct sqlite3;
struct sqlite3_stmt;

namespace fetch_later::browser::journal {

class FetchJournal {
 public:
  struct Options {
    // Where the database lives; created (mode 0700) when absent.
    std::string profile_dir;
    // fsync() every commit (--journal_sync).
    bool sync = false;
  };

  static constexpr char kFileName[] = "deferred_fetches.db";

  // How far a journaled deferred fetch got (the `phase` column).
  enum class Phase : int {
    kPending = 0,       // queued, not yet handed to the network
    kOnWire = 1,        // an attempt (`attempts_started`) is running
    kRetryPending = 2,  // the last attempt failed and a retry was granted
    kFailed = 3,        // the last attempt failed and no retry follows
  };

  // A record the last process left.
  struct Entry {
    int64_t key = 0;  // the row's key
    JournaledFetch fetch;
    Phase phase = Phase::kPending;
    uint32_t attempts_started = 0;
    std::optional<absl::Time> first_failure;
  };

  // Opens (creating) PROFILE_DIR/deferred_fetches.db. PermissionDenied when
  // the directory or the file is not ours (owner, mode, a symlink),
  // FailedPrecondition when another process holds it, Internal for other
  // SQLite errors. A damaged database is set aside and a new one started:
  // the message goes to `notes`.
  static absl::StatusOr<std::unique_ptr<FetchJournal>> Open(
      const Options& options,
      std::vector<std::string>* notes);
  ~FetchJournal();
  FetchJournal(const FetchJournal&) = delete;
  FetchJournal& operator=(const FetchJournal&) = delete;

  // Every record in the journal, oldest first. A row whose record does not
  // decode is moved to the `set_aside` table and named in `errors` ("FILE:
  // record KEY: ..."); a database that turns out damaged while reading is set
  // aside (named in `errors`) and the records read so far are written into a
  // new one.
  std::vector<Entry> ReadAll(std::vector<std::string>* errors);

  // ---- The lifecycle of request `request_id` (the browser's id) ----
  // Writes its record (phase pending), before fetchLater() answers OK. An
  // event that came first for the same id (a racing thread sent it already)
  // is applied; if it was removed meanwhile, nothing is written.
  absl::Status Add(uint64_t request_id, const std::string& encoded_record);
  // A restored record (`key`, from ReadAll()) is request `request_id` in this
  // process.
  void Adopt(uint64_t request_id, int64_t key);
  // Attempt `retry_attempt` (0: the first) started: it is on the wire.
  void OnAttemptStarted(uint64_t request_id, uint32_t retry_attempt);
  // The running attempt failed at `at` (`retry_granted`: a retry follows).
  void OnAttemptFailed(uint64_t request_id, absl::Time at, bool retry_granted);
  // A retry was granted after the failure OnAttemptFailed() reported.
  void OnRetryScheduled(uint64_t request_id);
  // Acknowledged (any HTTP response), aborted or dropped: the record goes.
  void Remove(uint64_t request_id);

  // Rows in the journal (for the debug surfaces and tests).
  int64_t RecordCountForTesting();
  const std::string& path() const { return path_; }

 private:
  struct Tracked {
    int64_t key = 0;  // 0: not written yet (an event came before Add())
    Phase phase = Phase::kPending;
    uint32_t attempts_started = 0;
    std::optional<int64_t> first_failure_ms;
    bool removed = false;
  };

  FetchJournal(std::string path, bool sync);
  // Opens `path_` and prepares the schema and statements; the database
  // file exists and is ours.
  absl::Status OpenDatabase() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseDatabase() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Renames the database (and its -wal/-shm) aside and opens a new one.
  // Returns the message naming both files.
  std::string SetAsideAndReopen(const std::string& why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Exec(const char* sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Error(const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int64_t> Insert(const std::string& record,
                                 const Tracked& state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteState(const Tracked& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Delete(int64_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Applies `change` to the request's tracked state and writes it (or keeps
  // it for Add() when the record is not written yet).
  template <typename Change>
  void Update(uint64_t request_id, Change change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reports a failed write once per kind (stderr), then goes on: the
  // request itself is unaffected, only its survival of a crash.
  void ReportWriteError(const char* what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const bool sync_;

  absl::Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* insert_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* update_ ABSL_GUARDED_BY(mu_) = nullptr;
  sqlite3_stmt* delete_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::flat_hash_map<uint64_t, Tracked> tracked_ ABSL_GUARDED_BY(mu_);
  bool write_error_reported_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fetch_later::browser::journal

#endif  // BROWSER_JOURNAL_FETCH_JOURNAL_H_
