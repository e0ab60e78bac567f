// What the HTTPS network stage tells about its work: the attempt events its
// observer receives, the bounded log of attempts and of refused requests
// (blocked), each request's latest status, the per-pool connection counts, and
// the "is anything still running" count behind
// HttpsNetworkStage::WaitForIdle(). The public types are re-exported as
// HttpsNetworkStage::AttemptRecord, ::RequestStatus, ...
//
//   AttemptLog log(&clock, /*max_attempt_records=*/10'000,
//                  /*max_finished_statuses=*/10'000);
//   log.AddBusy(1);                   // an attempt starts
//   log.Publish(status, &entry);      // it ended: status, record, not busy
//   log.attempts();                   // the newest records, oldest first
#ifndef NET_ATTEMPT_LOG_H_
#define NET_ATTEMPT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/blocked_reason.h"
#include "net/clock.h"
#include "net/network_error.h"
#include "net/pool_key.h"
#include "net/retry_scheduler.h"
#include "net/url.h"

namespace fetch_later::net {

// What HttpsNetworkStage::Options::attempt_observer is told (the browser's
// NetLog turns these into "attempt.*" and "request.sent" events). The pointers
// are valid only during the call.
struct AttemptEvent {
  enum class Type {
    kStarted,                    // an attempt (first try or retry) began
    kFailed,                     // it ended with a network error
    kRetryScheduled,             // after kFailed: a retry in `retry_delay`
    kWaitingForSameNikDocument,  // a due retry waits for a same-NIK document
    kSent,                       // a response arrived (`http_status`)
    // The stage refused to put the request on the wire (`blocked_reason`,
    // `url`: the refused URL, for a refused redirect its target; `message`).
    kBlocked,
  };
  Type type = Type::kStarted;
  uint64_t request_id = 0;     // the browser's id
  uint32_t retry_attempt = 0;  // 0: the first attempt; N: Retry-Attempt: N
  const std::string* method = nullptr;  // null for kWaitingForSameNikDocument
  const Url* url = nullptr;             // null for kWaitingForSameNikDocument
  std::optional<int> http_status;       // kSent
  const NetworkError* error = nullptr;  // kFailed
  // kFailed: "retry N in D" or why not.
  const std::string* retry_decision = nullptr;
  absl::Duration retry_delay;                   // kRetryScheduled
  std::optional<BlockedReason> blocked_reason;  // kBlocked
  const std::string* message = nullptr;         // kBlocked: readable
};

// One attempt (the first try or a retry) and how it ended.
struct AttemptRecord {
  uint64_t request_id = 0;
  // 0: the first attempt; N: the value of its Retry-Attempt header.
  uint32_t retry_attempt = 0;
  std::string method;  // of the last hop
  std::string url;     // the last hop's URL (after redirects)
  int redirects = 0;
  std::optional<int> http_status;     // a response was received (sent)
  std::optional<NetworkError> error;  // otherwise: why not
  bool connection_reused = false;
  // The stage's own id; 0 when no connection was used.
  uint64_t connection_id = 0;
  absl::Time started_at;  // on the stage's clock
  absl::Time finished_at;
  std::string retry_decision;  // after a failure: "retry" or why not
  std::string ToString() const;
};

// A request's latest status.
struct RequestStatus {
  uint64_t request_id = 0;
  RequestState state = RequestState::kInFlight;
  uint32_t retries_started = 0;
  std::optional<absl::Time> next_retry_at;  // in kRetryScheduled
  std::optional<absl::Time> max_age_deadline;
  std::optional<NetworkError> last_error;
  std::optional<int> http_status;
  // Set when the stage refused to put it (or a redirect of it, or a retry of
  // it) on the wire; blocked() has the details.
  std::optional<BlockedReason> blocked_reason;
  // e.g. "maxAge reached in state "waiting for same-NIK document"; ..."
  std::string note;
};

// A request the stage refused to put on the wire (the scenario report's
// `blocked` entries).
struct BlockedRecord {
  uint64_t request_id = 0;
  BlockedReason reason = BlockedReason::kNotHttps;
  // The refused URL (for a refused redirect, the redirect's target), without
  // its fragment.
  std::string url;
  std::string message;  // readable: what was refused and why
  absl::Time at;        // on the stage's clock
};

// A pool that ever had a connection: its key ("https://host:port |
// top-frame-site frame-site") and its open and peak connection counts.
struct PoolInfo {
  std::string key;
  size_t open_connections = 0;
  size_t peak_connections = 0;
};

// An attempt as recorded on the stage's hot path: no strings built (the URL is
// moved from the finished attempt and serialised in AttemptLog::attempts()).
struct AttemptEntry {
  uint64_t request_id = 0;
  uint32_t retry_attempt = 0;
  std::string method;
  std::optional<Url> url;
  int redirects = 0;
  std::optional<int> http_status;
  std::optional<NetworkError> error;
  bool connection_reused = false;
  uint64_t connection_id = 0;
  absl::Time started_at;
  absl::Time finished_at;
  std::string retry_decision;

  AttemptRecord ToRecord() const;
};

// The stage's observability store. Created and owned by the stage, lives as
// long as it. Thread-safe: written from the stage's event loops, read from any
// thread; everything below is under one mutex except the busy count, which is
// atomic (and decremented under the mutex when WaitForIdle() must re-check).
// Memory stays flat under any load: at most `max_attempt_records` attempts,
// `max_finished_statuses` finished statuses and `max_blocked_records` refusals
// are kept (the statuses of requests still pending are always kept).
class AttemptLog {
 public:
  // `clock` (not owned, must outlive the log) is the stage's: WaitForIdle()
  // compares scheduled retries with it. The bounds must be at least 1.
  AttemptLog(const Clock* clock,
             size_t max_attempt_records,
             size_t max_finished_statuses,
             size_t max_blocked_records);
  AttemptLog(const AttemptLog&) = delete;  // Not copyable.
  AttemptLog& operator=(const AttemptLog&) = delete;

  // ---- Writers (the stage) ----

  // Work WaitForIdle() waits for: Send()s not yet started, attempts in
  // flight, broadcasts to the loops not yet run.
  void AddBusy(int64_t n);
  void DoneBusy(int64_t n);
  // Sets `status` and, when given, appends `attempt` (ending an attempt: one
  // unit of busy work less) in one critical section, so an observer that saw
  // the record (or idleness) also sees the status it led to.
  void Publish(RequestStatus status, AttemptEntry* attempt = nullptr);
  // The pool `key` now has `open` connections.
  void CountConnections(const PoolKey& key, size_t open);
  // The stage refused a request (kept like attempts: the newest
  // `max_blocked_records`).
  void RecordBlocked(BlockedRecord record);

  // ---- Readers (HttpsNetworkStage's observability methods) ----

  std::vector<AttemptRecord> attempts() const;
  std::vector<BlockedRecord> blocked() const;
  size_t WaitForAttempts(size_t count, absl::Duration timeout) const;
  bool WaitForIdle(absl::Duration timeout) const;
  std::optional<RequestStatus> GetRequestStatus(uint64_t request_id) const;
  bool WaitForRequestState(uint64_t request_id,
                           RequestState state,
                           absl::Duration timeout) const;
  size_t OpenConnectionCount(const PoolKey& key) const;
  size_t PeakConnectionCount(const PoolKey& key) const;
  size_t TotalOpenConnections() const;
  std::vector<RequestStatus> UnfinishedRequests() const;
  std::vector<PoolInfo> Pools() const;

 private:
  struct ConnectionCount {
    size_t open = 0;
    size_t peak = 0;
  };

  const Clock* const clock_;
  const size_t max_attempt_records_;
  const size_t max_finished_statuses_;
  const size_t max_blocked_records_;

  std::atomic<int64_t> busy_{0};

  mutable absl::Mutex mu_;
  std::deque<AttemptEntry> attempt_log_ ABSL_GUARDED_BY(mu_);  // the newest
  uint64_t attempts_recorded_ ABSL_GUARDED_BY(mu_) = 0;        // ever
  absl::flat_hash_map<uint64_t, RequestStatus> statuses_ ABSL_GUARDED_BY(mu_);
  std::deque<uint64_t> finished_ids_ ABSL_GUARDED_BY(mu_);  // oldest first
  std::deque<BlockedRecord> blocked_ ABSL_GUARDED_BY(mu_);  // the newest
  absl::flat_hash_map<PoolKey, ConnectionCount> connection_counts_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::net

#endif  // NET_ATTEMPT_LOG_H_
