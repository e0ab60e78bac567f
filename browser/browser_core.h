// BrowserCore: the trusted browser process's state and decisions, without any
// transport. It owns the frame tree and the renderer hosts, assigns every
// committed document to the renderer for its site (site-per-process), answers
// renderers' fetchLater() calls after re-validating them, hands activated
// deferred fetches to the network stage, and cuts off renderers that send bad
// messages (bad_message.h).
//
// Created once by the browser's main (or a test); outlives the gRPC services
// that call it. Thread-safe. The gRPC adapters (deferred_fetch_host_service.h,
// browser_control_service.h) only translate protos and call this.
//
// It is a thin facade over one part per concern, each with its own lock:
//   RendererHostRegistry  renderer hosts, launch and document tokens, the
//                         bad-message records;
//   PageScriptRunner      page steps, scripted documents and their next page
//                         timers, lifecycle events, script reports;
//   BrowserTimers         the frame tree's and the pages' timers in time
//                         order, and the real-time timer thread;
//   NetworkHandoff        processed deferred fetches and fetch() calls to
//                         NetworkStage::Send, fully active documents per key,
//                         initiator gone;
//   FetchRecords          the fetch() calls in flight per document: their
//                         request ids, the keepalive limit, termination.
//   JournalKeeper         the on-disk journal of accepted deferred fetches,
//                         and its replay at start.
// BrowserCore itself holds no lock; it is the FrameTree's DeferredFetchSink and
// passes each change to the parts.
//
// Lock order (holding one of these, a thread may only take those below it):
//   1. PageScriptRunner   (asks the registry, waits on a RendererHost)
//   2. RendererHostRegistry
//   3. RendererHost       (a leaf: pushes to its own queue only)
//   NetworkHandoff, FetchRecords, BrowserTimers, JournalKeeper, NetLog: leaves,
//   never held while calling out (the journal's own lock is below
//   JournalKeeper's).
// FrameTree's lock is outside this order: the tree calls the sink (and so every
// part) on the thread that changed it, with its lock released, and no part
// holds its lock while calling the frame tree. So a part's lock must never be
// held across a FrameTree call (the sink would take it again), nor across a
// NetworkStage call or an Options callback.
#ifndef BROWSER_BROWSER_CORE_H_
#define BROWSER_BROWSER_CORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/browser_timers.h"
#include "browser/fetch_records.h"
#include "browser/frame_tree.h"
#include "browser/journal/fetch_journal.h"
#include "browser/journal_keeper.h"
#include "browser/net_log.h"
#include "browser/network_handoff.h"
#include "browser/page_script_runner.h"
#include "browser/renderer_host.h"
#include "browser/renderer_host_registry.h"
#include "ipc/browser_control.pb.h"
#include "ipc/page_step.pb.h"
#include "ipc/renderer_host.pb.h"
#include "net/clock.h"
#include "net/network_stage.h"

namespace fetch_later::browser {

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
    // The requests the network stage refused to put on the wire since the
    // last call, oldest first (BrowserControl.TakeBlockedRequests; e.g. a
    // BlockedRequestFeed over HttpsNetworkStage::blocked()). Called without
    // locks. Unset: none.
    std::function<std::vector<ipc::BlockedRequest>()> take_blocked_requests;
    // Where the core records what it decided (record.queued, quota.denied,
    // record.aborted, record.activated, record.sent_on_termination,
    // renderer.bad_message, renderer.killed, document.created,
    // document.destroyed). Not owned; must outlive the core. Null: no events.
    NetLog* net_log = nullptr;
    // How long the browser waits for a document's lifecycle event listeners
    // (pagehide, visibilitychange, pageshow) or due page timers before it
    // goes on without them (a hung renderer cannot hold up the frame tree).
    absl::Duration script_task_timeout = absl::Seconds(10);
    // The journal of accepted, unsent deferred fetches (JournalKeeper). Not
    // owned; must outlive the core. Null: they live in memory only.
    journal::FetchJournal* journal = nullptr;
    // Journaled records older than this are dropped at replay (EXPIRED).
    absl::Duration replay_max_age = absl::Hours(1);
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
  // Each handler re-checks what the renderer says; a failed check is reported
  // at once (ReportBadMessage: the renderer is cut off) and returned as the
  // BadMessage, which the gRPC adapter turns into PERMISSION_DENIED.
  //
  // The live renderer host whose launch token is `token`; null for an unknown
  // or revoked one.
  RendererHost* AuthenticateRenderer(absl::string_view token);
  // fetchLater() steps 6 and 10-14.
  BadMessageOr<ipc::FetchLaterResponse> FetchLater(
      RendererHost& renderer,
      const ipc::FetchLaterRequest& request);
  // fetch(): re-validates the request (no quota, no Permissions Policy),
  // records it in the document's fetch group (FetchRecords: a keepalive body
  // over the limit is a network error) and hands it to the network stage;
  // how it ends reaches the renderer as RendererEvent.fetch_completed.
  BadMessageOr<ipc::FetchAccepted> Fetch(RendererHost& renderer,
                                         const ipc::FetchRequest& request);
  // fetch()'s signal was aborted: the fetch is terminated.
  BadMessageOr<ipc::AbortFetchResponse> AbortFetch(
      RendererHost& renderer,
      const ipc::AbortFetchRequest& request);
  BadMessageOr<ipc::QueryQuotaResponse> QueryQuota(
      RendererHost& renderer,
      const ipc::QueryQuotaRequest& request);
  BadMessageOr<ipc::AbortFetchLaterResponse> AbortFetchLater(
      RendererHost& renderer,
      const ipc::AbortFetchLaterRequest& request);
  // A renderer's answer to a RunPageStep. nullopt when taken; the reported
  // bad message for a step this renderer was not given, or a next timer that
  // is no page time.
  std::optional<BadMessage> ReportStepResult(RendererHost& renderer,
                                             const ipc::StepResult& result);
  // Chromium's ReportBadMessage: records the bad message (`reason`, `detail`)
  // and logs it (renderer.bad_message), revokes the renderer's token, ends its
  // event stream and destroys its documents as a crash would (their pending
  // deferred fetches are sent). Other renderers are untouched. Returns the
  // BadMessage, for the handler to answer with. Call without locks.
  BadMessage ReportBadMessage(RendererHost& renderer,
                              BadMessageReason reason,
                              std::string detail);
  BadMessage ReportBadMessage(RendererHost& renderer, BadMessage bad);
  // The renderer's event stream ended: it disconnected, crashed or was killed.
  void OnRendererDisconnected(RendererHost& renderer);

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
  static constexpr size_t kMaxScriptReports =
      PageScriptRunner::kMaxScriptReports;
  // The requests refused since the last call (Options::take_blocked_requests),
  // oldest first; at most kMaxBlockedRequests, the newest.
  std::vector<ipc::BlockedRequest> TakeBlockedRequests();
  static constexpr size_t kMaxBlockedRequests = 10'000;
  // Closes every tab (each document destroyed: their pending fetches sent).
  void CloseAllTabs();
  // Each record the journal holds is handed to the network as if its
  // document had just been destroyed, or dropped (JournalKeeper).
  // `startup_notes` (from opening the journal) are logged. Returns how many
  // were handed over. Drain() waits for a replay in progress.
  size_t ReplayJournal(const std::vector<std::string>& startup_notes);
  // The same on a thread of the core's own (joined by the destructor), so
  // that the browser serves renderers while a large journal is replayed.
  void StartJournalReplay(std::vector<std::string> startup_notes);
  // Restored requests not yet acknowledged (the debug surfaces).
  std::vector<JournalKeeper::Restored> RestoredFromJournal();

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
  // The network stage's outcome observer (its threads): a CSP block of a live
  // document's request becomes a SecurityPolicyViolation event, and a
  // fetch()'s end a FetchCompleted event.
  void OnRequestOutcome(const net::RequestOutcome& outcome);
  // Revokes `renderer` (`termination_reason`, "" for a disconnect), then
  // destroys every document it hosts (crash semantics). Once per renderer.
  void CutOff(RendererHost& renderer, std::string termination_reason);
  // HTML "unload a document" and friends: fires `events` in the scripted
  // documents of `navigable` ("unload" order), before the frame-tree change.
  void FireLifecycleEventsUnder(NavigableId navigable,
                                const std::vector<ipc::LifecycleEvent>& events);
  // Adds an event to Options::net_log, if there is one.
  void Log(const std::string& type, std::map<std::string, std::string> fields);

  const Options options_;
  // The parts, declared in the order they are built: each only uses those
  // above it, and the frame tree (whose destruction still calls the sink)
  // goes before the parts it calls.
  RendererHostRegistry renderers_;
  FetchRecords fetches_;
  NetworkHandoff network_;
  JournalKeeper journal_;
  // The journal replay in progress (StartJournalReplay), for Drain().
  absl::Mutex replay_mu_;
  bool replaying_ ABSL_GUARDED_BY(replay_mu_) = false;
  std::thread replay_thread_;
  PageScriptRunner scripts_;
  std::unique_ptr<FrameTree> frame_tree_;
  BrowserTimers timers_;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_CORE_H_
