// The browser's read-only debug interface (ipc/debug.proto), like Chromium's
// chrome://net-internals and net-export: why a beacon was or was not sent.
//
//   NetLog net_log(&clock);
//   stage_options.attempt_observer = NetLogAttemptObserver(&net_log);
//   ...
//   DebugService debug(core.get(), stage.get(), &net_log);
//   auto server = BrowserServer::Start(core.get(), "/tmp", &debug);  //
//   debug.sock
//
// BuildSnapshot() reads the browser's state (frame tree, quota groups, pending
// records, renderers, bad messages, the network stage) without changing any of
// it; DebugService is the thin gRPC adapter over it and over the NetLog. It has
// no mutating method: tests/debug_service_test.cc pins the method list.
#ifndef BROWSER_DEBUG_SERVICE_H_
#define BROWSER_DEBUG_SERVICE_H_

#include <functional>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "browser/browser_core.h"
#include "browser/net_log.h"
#include "grpcpp/grpcpp.h"
#include "ipc/debug.grpc.pb.h"
#include "ipc/debug.pb.h"
#include "net/https_network_stage.h"

namespace fetch_later::browser {

// The most recent network attempts a snapshot carries.
inline constexpr size_t kSnapshotAttempts = 100;

// The browser's state now. `stage` may be null (no network section: a test's
// recording stage, or none). Takes the core's and the tree's locks in turn,
// never together; safe from any thread.
ipc::debug::Snapshot BuildSnapshot(BrowserCore& core,
                                   const net::HttpsNetworkStage* stage);

// An HttpsNetworkStage::Options::attempt_observer that records
// "attempt.started", "attempt.failed" (error kind, detail, retry decision),
// "attempt.retry_scheduled" (delay_ms), "attempt.waiting_for_nik" and
// "request.sent" (status) in `net_log` (not owned; must outlive the stage).
std::function<void(const net::HttpsNetworkStage::AttemptEvent&)>
NetLogAttemptObserver(NetLog* net_log);

// The gRPC DebugService. Created by the browser's main (or a test) before the
// BrowserServer that serves it, and destroyed after it. `core` must not be
// null; `stage` and `net_log` may be (no network section; WatchEvents fails
// with FAILED_PRECONDITION). None is owned; all must outlive the service.
class DebugService final : public ipc::debug::DebugService::Service {
 public:
  DebugService(BrowserCore* core,
               const net::HttpsNetworkStage* stage,
               NetLog* net_log);
  DebugService(const DebugService&) = delete;  // Not copyable.
  DebugService& operator=(const DebugService&) = delete;

  grpc::Status GetSnapshot(grpc::ServerContext* context,
                           const ipc::debug::Empty* request,
                           ipc::debug::Snapshot* response) override;
  grpc::Status WatchEvents(
      grpc::ServerContext* context,
      const ipc::debug::WatchRequest* request,
      grpc::ServerWriter<ipc::debug::Event>* writer) override;

  // Ends every WatchEvents stream now and refuses new ones; called by
  // BrowserServer::Shutdown() so shutdown does not wait for watchers to hang
  // up.
  void Stop();

 private:
  BrowserCore* const core_;                    // Not owned.
  const net::HttpsNetworkStage* const stage_;  // Not owned; may be null.
  NetLog* const net_log_;                      // Not owned; may be null.
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The open WatchEvents streams' watchers (Stop() closes them).
  absl::flat_hash_set<NetLog::Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_DEBUG_SERVICE_H_
