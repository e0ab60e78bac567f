// NetLog: the browser's structured event log (like Chromium's NetLog): what
// happened to each deferred fetch and why. Events go to live watchers (the
// debug service's stream, the internals page), to an optional JSON-lines file
// (--net-log=FILE), and to a bounded backlog.
//
//   NetLog log(&clock);
//   log.WriteTo("/tmp/netlog.jsonl");                     // optional
//   auto watcher = log.Watch(/*include_backlog=*/true);
//   log.AddEvent("record.queued", {{"url", url}, {"requested", "123"}});
//   std::optional<ipc::debug::Event> e = watcher->Next(absl::Seconds(1));
//
// Every event has a sequence number (1, 2, 3, ... in the order AddEvent() was
// called), the steady clock in microseconds since the log was created, and the
// browser's (possibly virtual) clock in milliseconds since the Unix epoch.
//
// Owned by the browser's main (or a test); outlives every emitter and every
// watcher. Thread-safe; AddEvent never blocks on a slow watcher (a watcher's
// queue is bounded and drops oldest events, counting the drops).
#ifndef BROWSER_NET_LOG_H_
#define BROWSER_NET_LOG_H_

#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ipc/debug.pb.h"
#include "net/clock.h"

namespace fetch_later::browser {

class NetLog {
 public:
  // The most events one watcher holds before it drops its oldest.
  static constexpr size_t kWatcherQueueLimit = 10000;

  // `clock` (not owned, must outlive the log) dates events on the browser's
  // clock. The log keeps the newest `backlog` events for Backlog() and
  // Watch(true).
  explicit NetLog(const net::Clock* clock, size_t backlog = 10000);
  ~NetLog();                       // Every watcher must be gone.
  NetLog(const NetLog&) = delete;  // Not copyable.
  NetLog& operator=(const NetLog&) = delete;

  // Also writes every later event as one JSON line (ToJson()) to `path`,
  // truncating it, flushed after each line. Replaces an earlier file.
  absl::Status WriteTo(const std::string& path);

  // Records one event of `type` (see ipc/debug.proto Event.type) with `fields`.
  void AddEvent(const std::string& type,
                std::map<std::string, std::string> fields);

  // A live subscription, from Watch(). Destroying it unsubscribes. Thread-safe.
  class Watcher {
   public:
    // Waits up to `timeout` for the next event; nullopt when there was none or
    // the watcher is closed.
    std::optional<ipc::debug::Event> Next(absl::Duration timeout);
    // Ends a waiting Next() at once; every later Next() returns nullopt
    // without waiting. Any thread; idempotent.
    void Close();
    // How many events this watcher lost because its queue was full.
    uint64_t dropped() const;
    ~Watcher();
    Watcher(const Watcher&) = delete;  // Not copyable.
    Watcher& operator=(const Watcher&) = delete;

   private:
    friend class NetLog;
    explicit Watcher(NetLog* log) : log_(log) {}
    void Push(const ipc::debug::Event& event);

    NetLog* const log_;  // Not owned.
    mutable absl::Mutex mu_;
    std::deque<ipc::debug::Event> queue_ ABSL_GUARDED_BY(mu_);
    uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
  };
  // With `include_backlog`, the watcher first gets the kept events, then every
  // later one, with none missed or repeated in between.
  std::unique_ptr<Watcher> Watch(bool include_backlog);

  // The kept events, oldest first.
  std::vector<ipc::debug::Event> Backlog() const;
  // How many events were ever added.
  uint64_t event_count() const;

  // One event as a JSON object (no newline):
  //   {"sequence":1,"monotonic_us":12,"clock_ms":1700000000000,"type":"record.queued",
  //    "fields":{"url":"https://a.test/"}}
  static std::string ToJson(const ipc::debug::Event& event);

 private:
  const net::Clock* const clock_;  // Not owned.
  const size_t backlog_limit_;
  // std::chrono::steady_clock at construction, in ns: the origin of
  // monotonic_us.
  const int64_t start_steady_ns_;

  mutable absl::Mutex mu_;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
  std::deque<ipc::debug::Event> backlog_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
  std::FILE* file_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_NET_LOG_H_
