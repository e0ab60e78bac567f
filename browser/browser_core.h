// BrowserCore: the trusted browser process's state and decisions, without any
// transport. It owns the frame tree and the renderer hosts, assigns every
// committed document to the renderer for its site (site-per-process), answers
// renderers' fetchLater() calls after re-validating them, hands activated
// deferred fetches to the network stage, and cuts off renderers that send bad
// messages.
//
// Created once by the browser's main (or a test); outlives the gRPC services
// that call it. Thread-safe. The gRPC adapters (deferred_fetch_host_service.h,
// browser_control_service.h) only translate protos and call this.
#ifndef BROWSER_BROWSER_CORE_H_
#define BROWSER_BROWSER_CORE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/fetch_later_request_validator.h"
#include "browser/frame_tree.h"
#include "browser/net_log.h"
#include "browser/renderer_host.h"
#include "ipc/browser_control.pb.h"
#include "ipc/page_step.pb.h"
#include "ipc/renderer_host.pb.h"
#include "net/clock.h"
#include "net/network_stage.h"

namespace fetch_later::browser {

// A document the browser just committed, and who hosts it.
struct CommittedFrame {
  NavigableId navigable;
  DocumentId document;
  std::string document_token;
  std::string site;
  RendererId renderer;
  std::string renderer_token;
};

// Why a renderer was cut off (Chromium's ReportBadMessage).
struct BadMessageRecord {
  RendererId renderer;
  std::string site;
  std::string reason;
  absl::Time at;
};

class BrowserCore : public DeferredFetchSink {
 public:
  struct Options {
    net::NetworkStage* network_stage =
        nullptr;                        // Not owned; must outlive the core.
    const net::Clock* clock = nullptr;  // Not owned; must outlive the core.
    // Set when `clock` is a FakeClock the control interface may advance.
    net::FakeClock* fake_clock = nullptr;
    // Called (without locks) when a renderer host is created for a new site, so
    // a multi-process browser can launch its process; and when one is cut off,
    // so it can be killed.
    std::function<void(const RendererHost&)> on_renderer_created;
    std::function<void(const RendererHost&)> on_renderer_terminated;
    // Kills the renderer's process (multi-process browser); returns false when
    // there is no process to kill (renderers in the same process as the
    // browser, in tests), in which case CrashRenderer() cuts it off directly.
    std::function<bool(const RendererHost&)> kill_renderer;
    // Waits until the network stage has nothing in flight; returns whether it
    // is idle. Unset: always idle.
    std::function<bool(absl::Duration)> drain_network;
    // Where the core records what it decided (record.queued, quota.denied,
    // record.aborted, record.activated, record.sent_on_termination,
    // renderer.bad_message, renderer.killed, document.created,
    // document.destroyed). Not owned; must outlive the core. Null: no events.
    NetLog* net_log = nullptr;
    // How long the browser waits for a document's lifecycle event listeners
    // (pagehide, visibilitychange, pageshow) or due page timers before it
    // goes on without them (a hung renderer cannot hold up the frame tree).
    absl::Duration script_task_timeout = absl::Seconds(10);
  };

  explicit BrowserCore(Options options);
  ~BrowserCore() override;
  BrowserCore(const BrowserCore&) = delete;
  BrowserCore& operator=(const BrowserCore&) = delete;

  FrameTree& frame_tree() { return *frame_tree_; }

  // ---- Control: frame-tree changes are the browser's decisions. ----
  NavigableId CreateTab();
  absl::StatusOr<CommittedFrame> Navigate(NavigableId navigable,
                                          const NavigationParams& params);
  absl::StatusOr<CommittedFrame> CreateIframe(
      const std::string& parent_document_token,
      const IframeParams& params);
  absl::Status RemoveIframe(NavigableId navigable);
  absl::StatusOr<CommittedFrame> RestoreFromBfcache(NavigableId navigable);
  absl::Status SetHidden(NavigableId navigable, bool hidden);
  absl::Status CloseTab(NavigableId navigable);
  // Moves the fake clock and runs the timers that came due. FailedPrecondition
  // on a browser running on real time.
  absl::Status AdvanceClock(absl::Duration by);
  // Runs the timers that came due on the clock. A browser on real time (no
  // fake clock) also runs them from its own timer thread, woken when a new
  // timer is queued.
  void RunDueTimers();
  absl::StatusOr<int64_t> AvailableQuota(
      const std::string& document_token,
      const std::optional<net::Origin>& origin);
  absl::StatusOr<DocumentId> DocumentForToken(
      const std::string& document_token);

  // ---- Renderer-facing: every input is untrusted. ----
  // The live renderer host whose launch token is `token`; null for an unknown
  // or revoked one.
  RendererHost* AuthenticateRenderer(absl::string_view token);
  // fetchLater() steps 6 and 10-14. InvalidArgument means a bad message (the
  // caller reports it); any other error is the browser's.
  absl::StatusOr<ipc::FetchLaterResponse> FetchLater(
      RendererHost& renderer,
      const ipc::FetchLaterRequest& request);
  absl::StatusOr<ipc::QueryQuotaResponse> QueryQuota(
      RendererHost& renderer,
      const ipc::QueryQuotaRequest& request);
  absl::StatusOr<ipc::AbortFetchLaterResponse> AbortFetchLater(
      RendererHost& renderer,
      const ipc::AbortFetchLaterRequest& request);
  // Records `reason`, revokes the renderer's token, ends its event stream and
  // destroys its documents as a crash would (their pending deferred fetches are
  // sent). Other renderers are untouched.
  void ReportBadMessage(RendererHost& renderer, const std::string& reason);
  // The renderer's event stream ended: it disconnected, crashed or was killed.
  void OnRendererDisconnected(RendererHost& renderer);
  // A renderer's answer to a RunPageStep. InvalidArgument (a bad message) for a
  // step this renderer was not given.
  absl::Status ReportStepResult(RendererHost& renderer,
                                const ipc::StepResult& result);

  // ---- Page steps and process control (the driver's). ----
  // Hands `step` to the renderer hosting `document_token` (with the page clock
  // set) and waits for its result. DeadlineExceeded when it does not answer
  // within `timeout`, Unavailable when it is cut off or gone meanwhile. Keeps
  // the document's script bookkeeping: a document that ran a script gets
  // lifecycle events and timers from then on; its `next_timer_ms` is kept.
  absl::StatusOr<ipc::StepResult> RunPageStep(const std::string& document_token,
                                              ipc::PageStep step,
                                              absl::Duration timeout);
  // Crashes the renderer hosting `document_token` (kills its process, or cuts
  // it off when it has none) and returns once its documents are destroyed.
  absl::Status CrashRenderer(const std::string& document_token,
                             absl::Duration timeout);
  absl::StatusOr<bool> Drain(absl::Duration timeout);
  // The script work the browser started on its own since the last call:
  // lifecycle events fired before frame-tree changes, and page timers run when
  // the clock moved (at most kMaxScriptReports are kept).
  std::vector<ipc::ScriptReport> TakeScriptReports();
  static constexpr size_t kMaxScriptReports = 1000;
  // Closes every tab (each document destroyed: their pending fetches sent).
  void CloseAllTabs();

  std::vector<BadMessageRecord> bad_messages();
  // Every renderer host ever created (terminated ones included), for
  // inspection.
  std::vector<const RendererHost*> renderers();
  // For inspection: the renderer host of every live document.
  absl::flat_hash_map<DocumentId, const RendererHost*> DocumentRenderers();
  const net::Clock& clock() const { return *options_.clock; }

  // DeferredFetchSink:
  void OnDeferredFetchProcessed(const ProcessedDeferredFetch& fetch) override;
  void OnDocumentStateChanged(const DocumentStateChange& change) override;

 private:
  struct HostedDocument {
    RendererHost* host;  // Not owned.
    std::string token;
    // Immutable facts about the document the renderer-facing calls need,
    // shared so a call takes them without copying.
    std::shared_ptr<const ClientFacts> facts;
  };

  absl::StatusOr<CommittedFrame> Committed(NavigableId navigable,
                                           DocumentId document);
  // Destroys every document `renderer` hosts (crash semantics) and terminates
  // it.
  void CutOff(RendererHost& renderer, const std::string& reason);
  // The document `token` names and its facts, if `renderer` hosts it.
  std::optional<std::pair<DocumentId, std::shared_ptr<const ClientFacts>>>
  HostedBy(RendererHost& renderer, const std::string& token);

  // The page clock (what script timers count in): ms since the core started.
  double PageTimeMs() const;
  // The renderer host of the document `token` names; NotFound if none.
  absl::StatusOr<RendererHost*> HostOfLocked(const std::string& token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // HTML page lifecycle: fires `events` in each document of `documents` that
  // runs script, in order, and waits for each (Options::script_task_timeout).
  // Reports go to TakeScriptReports(). Call without locks, before the
  // frame-tree change the events announce (or after, for pageshow).
  void FireLifecycleEvents(const std::vector<DocumentId>& documents,
                           const std::vector<ipc::LifecycleEvent>& events);
  // The same for the documents of `navigable` ("unload" order).
  void FireLifecycleEventsUnder(NavigableId navigable,
                                const std::vector<ipc::LifecycleEvent>& events);
  // Runs the page timers of every scripted document that are due by the page
  // clock's current time.
  void RunDueScriptTimers();
  // The earliest pending page timer of any document (page ms).
  std::optional<double> NextScriptTimerMs();
  void AddScriptReport(const std::string& token,
                       std::string cause,
                       const absl::StatusOr<ipc::StepResult>& result);

  // The real-time timer thread: sleeps until the frame tree's (or a page
  // timer's) next deadline or a wake-up.
  void TimerLoop();
  void WakeTimerThread();
  // Adds an event to Options::net_log, if there is one.
  void Log(const std::string& type, std::map<std::string, std::string> fields);

  Options options_;
  std::unique_ptr<FrameTree> frame_tree_;

  absl::Mutex timer_mu_;
  bool timer_wakeup_ ABSL_GUARDED_BY(timer_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(timer_mu_) = false;
  std::thread timer_thread_;

  absl::Mutex mu_;
  std::vector<std::unique_ptr<RendererHost>> hosts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RendererHost*> hosts_by_site_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RendererHost*> hosts_by_token_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<DocumentId, HostedDocument> documents_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, DocumentId> documents_by_token_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<DocumentId> fully_active_ ABSL_GUARDED_BY(mu_);
  // Requests with retryOptions handed to the network while their document was
  // alive: the stage is told when that document goes (OnInitiatorGone).
  absl::flat_hash_map<DocumentId, std::vector<uint64_t>> retrying_while_alive_
      ABSL_GUARDED_BY(mu_);
  std::vector<BadMessageRecord> bad_messages_ ABSL_GUARDED_BY(mu_);
  // Page steps handed to renderers and not yet answered.
  struct PendingStep {
    RendererHost* host;  // Not owned.
    std::optional<ipc::StepResult> result;
  };
  absl::flat_hash_map<uint64_t, PendingStep> pending_steps_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_step_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Documents that ran a script (by token) -> their next page timer (page ms).
  absl::flat_hash_map<std::string, std::optional<double>> scripted_
      ABSL_GUARDED_BY(mu_);
  std::deque<ipc::ScriptReport> script_reports_ ABSL_GUARDED_BY(mu_);
  // The page clock's origin.
  absl::Time page_clock_start_;
  uint64_t next_renderer_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_CORE_H_
