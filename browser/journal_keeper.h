// JournalKeeper: keeps the browser's journal of deferred fetches
// (browser/journal/fetch_journal.h) in step with what the browser decides, and
// replays it when the browser starts, so that a fetchLater() answered OK
// survives the browser's exit and crash (README, "Deferred fetches survive the
// browser's exit and crash").
//
// In step: a record is written when fetchLater() queues it (before the
// renderer gets its answer), its phase follows the network stage's attempts
// (JournalAttemptObserver), and it is removed when the request is acknowledged
// (any HTTP response), aborted, or dropped (a final network error, a refusal).
//
// Replay, at start: each record is treated as if its document had just been
// destroyed (Fetch: fetch group termination sends it), with these rules:
//  - older than `replay_max_age` (by when fetchLater() queued it): dropped,
//    EXPIRED (a beacon from a page left long ago, sent from whatever network
//    the user is on now, tells the collector more than the page asked for);
//  - pending (never on the wire): sent, as its first attempt;
//  - an attempt on the wire at the crash: sent again only if its method is
//    idempotent or its retryOptions allow non-idempotent retries, with
//    Retry-Attempt; otherwise dropped, IN_FLIGHT_AT_CRASH (the server may
//    have it: exactly once where it can be);
//  - a granted retry waiting (backoff or the retry gate): the retry is due,
//    and waits, like every retry, for retryAfterUnload and a fully active
//    document with the request's network isolation key;
//  - failed with no retry to come: removed (its error was final).
// Every decision is a NetLog event ("journal.restored": `decision` sent,
// resent, retry_due or dropped, with `reason` and `detail`); drops are also in
// the report's blocked list.
//
// Created and owned by BrowserCore (a part, like NetworkHandoff); lives as long
// as it. Thread-safe: one lock (a leaf, never held while calling out) guards
// the restored requests and the refusals; the journal has its own.
#ifndef BROWSER_JOURNAL_KEEPER_H_
#define BROWSER_JOURNAL_KEEPER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/deferred_request.h"
#include "browser/frame_tree.h"
#include "browser/journal/fetch_journal.h"
#include "browser/net_log.h"
#include "ipc/browser_control.pb.h"
#include "net/attempt_log.h"
#include "net/clock.h"
#include "net/network_stage.h"

namespace fetch_later::browser {

// Restored requests get ids of their own, above every id the frame tree
// gives: this base plus the journal row's key.
inline constexpr uint64_t kRestoredRequestIdBase = uint64_t{1} << 52;

class JournalKeeper {
 public:
  struct Options {
    // Not owned; must outlive the keeper. Null: no journal (everything stays
    // in memory), and every method does nothing.
    journal::FetchJournal* journal = nullptr;
    const net::Clock* clock = nullptr;  // Not owned.
    NetLog* net_log = nullptr;          // Not owned; may be null.
    absl::Duration replay_max_age = absl::Hours(1);
  };

  // A restored request not yet acknowledged (the debug surfaces list it).
  struct Restored {
    uint64_t id = 0;
    std::string method;
    std::string url;
    uint64_t total_request_length = 0;
    bool has_retry_options = false;
    std::optional<absl::Time> activate_at;
    // "sent", "resent" or "retry_due", and why.
    std::string decision;
  };

  explicit JournalKeeper(Options options);
  JournalKeeper(const JournalKeeper&) = delete;
  JournalKeeper& operator=(const JournalKeeper&) = delete;

  bool enabled() const { return options_.journal != nullptr; }

  // fetchLater() queued `id` (`request` as queued, `client` its document):
  // writes the record. Call before answering the renderer.
  void OnQueued(DeferredFetchId id,
                const DeferredRequest& request,
                const DeferredFetchClient& client,
                std::optional<absl::Duration> activate_after);
  // The record was aborted (fetchLater() step 15's abort steps).
  void OnAborted(DeferredFetchId id);
  // The network stage's final word on a request: the record goes.
  void OnRequestOutcome(const net::RequestOutcome& outcome);

  // Replays the journal (see the header comment): returns the requests to
  // hand to the network (as a destroyed document's), with their resumption.
  // `startup_notes` (e.g. a database set aside when it was opened) are logged.
  std::vector<ProcessedDeferredFetch> Replay(
      const std::vector<std::string>& startup_notes);
  // The drops since the last call (EXPIRED, IN_FLIGHT_AT_CRASH), oldest first.
  std::vector<ipc::BlockedRequest> TakeBlocked();
  // Restored requests not yet acknowledged, by id.
  std::vector<Restored> RestoredPending();

 private:
  void Log(const std::string& type, std::map<std::string, std::string> fields);
  void Drop(const journal::FetchJournal::Entry& entry,
            net::BlockedReason reason,
            std::string message);

  const Options options_;

  absl::Mutex mu_;
  absl::btree_map<uint64_t, Restored> restored_ ABSL_GUARDED_BY(mu_);
  std::vector<ipc::BlockedRequest> blocked_ ABSL_GUARDED_BY(mu_);
};

// The network stage's attempts, into the journal's phases (Options::
// attempt_observer of net::HttpsNetworkStage; chain it with the NetLog's).
// `journal` and `clock` must outlive the stage.
std::function<void(const net::AttemptEvent&)> JournalAttemptObserver(
    journal::FetchJournal* journal,
    const net::Clock* clock);

}  // namespace fetch_later::browser

#endif  // BROWSER_JOURNAL_KEEPER_H_
