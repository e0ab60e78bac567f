// FrameTree: the browser process's authoritative model of tabs, frames and
// documents, and the owner of every deferred fetch record and of the
// deferred-fetch quota bookkeeping.
//
// Created once by the browser (and by tests); lives as long as the browser.
// Frame-tree changes (navigations, iframes, bfcache, closing a tab) are browser
// decisions made through this API; renderers only ever *ask* for a deferred
// fetch, through QueueDeferredFetch(), which re-runs every check that protects
// quota. All public methods are thread-safe: one lock guards the tree, so
// "check quota, then queue" is atomic and two concurrent callers can never
// together exceed a quota.
//
// clang-format off
//   FrameTree tree(&sink, &clock);
//   NavigableId tab = tree.CreateTopLevelTraversable();
//   DocumentId top = *tree.Navigate(tab, {.url = Url("https://a.test/")});
//   auto result = tree.QueueDeferredFetch(top, request,
//                                         /*activate_after=*/std::nullopt);
//   tree.CloseTopLevelTraversable(tab);  // pending fetches go to `sink`
// clang-format on
#ifndef BROWSER_FRAME_TREE_H_
#define BROWSER_FRAME_TREE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/deferred_request.h"
#include "browser/frame_tree_nodes.h"
#include "browser/record_slot_map.h"
#include "browser/typed_id.h"
#include "net/clock.h"
#include "net/network_stage.h"

namespace fetch_later::browser {

// A deferred fetch that "process a deferred fetch" has just handed to Fetch.
struct ProcessedDeferredFetch {
  DeferredFetchId id;
  DocumentId document;
  DeferredRequest request;
  // Whether the record's "notify invoked" can run (its global is still alive),
  // i.e. whether FetchLaterResult.activated becomes observable as true. False
  // on fetch-group termination.
  bool notify_invoked = false;
  // Chromium's NetworkIsolationKey of the request's client: (top-frame site,
  // frame site).
  net::NetworkIsolationKey network_isolation_key;
  // What main fetch needs of the request's client, from the browser's own
  // record of the document: its origin, its URL stripped for use as the
  // "client" referrer (nullopt for an opaque origin), and its policy
  // container's CSP list. The list never changes after the document is
  // created, so it is the one in force when fetchLater() was called.
  std::optional<net::Origin> origin;
  std::optional<net::StrippedReferrer> client_referrer;
  std::shared_ptr<const net::CspList> csp_list;
  std::string document_url;
  // Set for a request restored from the journal after a restart: how the
  // network stage resumes it (net::OutgoingRequest::resumption).
  std::optional<net::OutgoingRequest::Resumption> resumption;
};

// What a queued record's request needs of its client (the document) to be
// sent without it: what ProcessedDeferredFetch carries, known at queueing
// time (the journal writes it then).
struct DeferredFetchClient {
  net::NetworkIsolationKey network_isolation_key;
  net::Origin origin;
  std::string document_url;
  std::shared_ptr<const net::CspList> csp_list;
};

// A document was created, became (not) fully active, or was destroyed.
struct DocumentStateChange {
  DocumentId document;
  net::NetworkIsolationKey network_isolation_key;
  bool fully_active = false;
  bool created = false;
  bool destroyed = false;
  // For `created`: the document's URL and origin, whether its page is hidden,
  // and the Permissions Policy features enabled for its own origin (by name).
  std::optional<net::Url> url;
  std::optional<net::Origin> origin;
  // For `created`: HTML's "document base URL" (about:blank: its creator's).
  std::optional<net::Url> base_url;
  bool hidden = false;
  std::vector<std::string> allowed_features;
  bool secure_context = false;
  // For `created`: what the document's console shows at its first script
  // (e.g. the CSP directives and source expressions that were ignored).
  std::vector<std::string> console_warnings;
  // For `created`: the document's policy container's CSP list (it never
  // changes afterwards); null: no policy.
  std::shared_ptr<const net::CspList> csp_list;
};

using FrameTreeEvent =
    std::variant<ProcessedDeferredFetch, DocumentStateChange>;

// Receives deferred fetches to send (the network stage) and activation
// notifications (the renderer host). Called without the tree's lock held, in
// the order records were processed.
class DeferredFetchSink {
 public:
  virtual ~DeferredFetchSink() = default;
  virtual void OnDeferredFetchProcessed(
      const ProcessedDeferredFetch& fetch) = 0;
  // Documents' lifecycle, for the renderer hosts and the network stage's retry
  // gate.
  virtual void OnDocumentStateChanged(const DocumentStateChange& change) {}
};

enum class NavigationInitiator {
  kBrowser,  // address bar, history, the scenario's `navigate`
  kParent,   // the container's node document (setting iframe.src; HTML calls
             // "reserve deferred-fetch quota" for these)
  kSelf,     // the navigable's own active document (location.href = ...)
};

struct NavigationParams {
  net::Url url;
  // Server redirects, in order; the document is created for the last one (or
  // `url`).
  std::vector<net::Url> redirects;
  // The final response's `Permissions-Policy` header; "" when absent.
  std::string permissions_policy;
  // The final response's `Content-Security-Policy` header values, one per
  // header (the document's policy container keeps the parsed policies).
  std::vector<std::string> content_security_policy;
  NavigationInitiator initiator = NavigationInitiator::kBrowser;
  // For a top-level traversable: keep the current document in the back/forward
  // cache instead of unloading it.
  bool enter_bfcache = false;
};

struct IframeParams {
  std::string allow;  // the `allow` attribute ("" when absent)
  std::optional<std::string>
      sandbox;                  // the `sandbox` attribute; nullopt when absent
  NavigationParams navigation;  // its first (parent-initiated) navigation
};

// The browser side of fetchLater()'s method steps that protect the user and the
// quota.
enum class FetchLaterOutcome {
  kQueued,
  kNotFullyActive,  // step 6: TypeError
  kQuotaExceeded,   // step 12: QuotaExceededError(quota, requested)
};

struct FetchLaterDecision {
  FetchLaterOutcome outcome;
  int64_t quota =
      0;  // "available deferred-fetch quota" at the time of the check
  int64_t requested = 0;  // "total request length"
  DeferredFetchId id;     // set when queued
};

// How long a document must have been hidden before the browser believes it is
// about to lose the chance to run script and activates its activateAfter
// records early (Fetch leaves the period to the user agent; mobile browsers
// discard background tabs within minutes).
inline constexpr absl::Duration kHiddenActivationDelay = absl::Seconds(60);

class FrameTree {
 public:
  // `sink` and `clock` are not owned and must outlive the tree; `sink` may be
  // null.
  FrameTree(DeferredFetchSink* sink, const net::Clock* clock);
  ~FrameTree();
  FrameTree(const FrameTree&) = delete;
  FrameTree& operator=(const FrameTree&) = delete;

  // Creates a top-level traversable (a tab) with no document yet.
  NavigableId CreateTopLevelTraversable();
  // Navigates `navigable` and returns the new active document: StartNavigation
  // and CommitNavigation at once. The current document is unloaded (its fetch
  // group terminated, sending its pending deferred fetches) or, with
  // `enter_bfcache` on a top-level traversable, kept in the bfcache after a
  // flush.
  absl::StatusOr<DocumentId> Navigate(NavigableId navigable,
                                      const NavigationParams& params);
  // HTML "navigate", the steps before the current document unloads: checks
  // the navigation, snapshots what the new document inherits (sandboxing
  // flags, the initiator's origin and base URL for about:blank) and, for a
  // navigation the parent started, runs "reserve deferred-fetch quota"
  // (whatwg/html PR 10903 reserves when the navigation starts, so the old
  // document's pagehide listeners already see the new reservation). The
  // navigation becomes `navigable`'s ongoing navigation, replacing any earlier
  // one that was never committed.
  absl::StatusOr<NavigationId> StartNavigation(NavigableId navigable,
                                               const NavigationParams& params);
  // The rest of the navigation `navigation` of `navigable`: unloads the
  // current document and creates the new one. FailedPrecondition when it is
  // no longer the navigable's ongoing navigation (a later one replaced it);
  // NotFound when the navigable is gone.
  absl::StatusOr<DocumentId> CommitNavigation(NavigableId navigable,
                                              NavigationId navigation);
  // Inserts an iframe into `parent` and runs its first, parent-initiated
  // navigation. Returns the iframe's content navigable.
  absl::StatusOr<NavigableId> CreateIframe(DocumentId parent,
                                           const IframeParams& params);
  // Removes the iframe whose content navigable is `navigable`: its documents
  // are destroyed (pending deferred fetches sent) and its reservation is
  // released.
  absl::Status RemoveIframe(NavigableId navigable);
  // Traverses `navigable` (a top-level traversable) back to its newest bfcached
  // document; the current document is unloaded.
  absl::StatusOr<DocumentId> RestoreFromBfcache(NavigableId navigable);
  // Closes a tab: every document in it is destroyed, in tree order from the
  // leaves.
  absl::Status CloseTopLevelTraversable(NavigableId navigable);
  // Every open tab.
  std::vector<NavigableId> TopLevelTraversables();
  absl::Status SetHidden(NavigableId navigable, bool hidden);
  // The renderer hosting `document` crashed or was killed: the document (and
  // everything nested in it) is destroyed, which terminates its fetch group and
  // sends its pending deferred fetches; its frame is left without a document
  // (a "sad frame"). A document already gone is not an error.
  void CrashDocument(DocumentId document);

  // fetchLater() steps 6 and 10-14, atomically: refuses a document that is not
  // fully active, computes "available deferred-fetch quota" for the request's
  // origin and its "total request length", and, if it fits, runs "queue a
  // deferred fetch". `activate_after` null means no timer. The caller has
  // already validated the request (URL scheme, trustworthiness, body).
  absl::StatusOr<FetchLaterDecision> QueueDeferredFetch(
      DocumentId document,
      DeferredRequest request,
      std::optional<absl::Duration> activate_after);
  // The same, and when queued, `client` (not null) gets the record's client.
  absl::StatusOr<FetchLaterDecision> QueueDeferredFetch(
      DocumentId document,
      DeferredRequest request,
      std::optional<absl::Duration> activate_after,
      std::optional<DeferredFetchClient>* client);
  // fetchLater() step 15's abort steps: a pending record becomes "aborted" (and
  // stops counting against quota); a sent or aborted one is left alone.
  // NotFound for an unknown id.
  absl::Status AbortDeferredFetch(DeferredFetchId id);
  // The activateAfter timers ("queue a deferred fetch" step 6): processes every
  // pending record whose time has come by the clock's now. Returns how many
  // were processed.
  // Also activates early ("queue a deferred fetch" step 6.1, second condition)
  // the timer records of documents hidden for kHiddenActivationDelay.
  int ProcessDueDeferredFetches();
  // When ProcessDueDeferredFetches() next has something to do; nullopt: never.
  std::optional<absl::Time> NextTimerDeadline();

  // Queries. NotFound for unknown ids.
  absl::StatusOr<int64_t> AvailableQuota(
      DocumentId document,
      const std::optional<net::Origin>& origin);
  absl::StatusOr<int64_t> ReservedQuotaOfContainer(NavigableId navigable);
  absl::StatusOr<DocumentId> ActiveDocument(NavigableId navigable);
  // HTML "unload a document and its descendants" order: the active documents
  // nested in `navigable`'s active document, descendants first (children in
  // insertion order), then that document itself.
  absl::StatusOr<std::vector<DocumentId>> ActiveDocumentsForUnload(
      NavigableId navigable);
  absl::StatusOr<NavigableId> ParentNavigable(NavigableId navigable);
  absl::StatusOr<DocumentId> ControlDocument(DocumentId document);
  absl::StatusOr<bool> IsFullyActive(DocumentId document);
  absl::StatusOr<net::Origin> OriginOf(DocumentId document);
  // Whether `id` names a pending deferred fetch (false once it was sent or
  // aborted).
  bool IsPending(DeferredFetchId id);
  absl::StatusOr<bool> IsAllowedToUse(DocumentId document,
                                      policy::Feature feature);
  // How many deferred fetch records are pending in the whole tree.
  int64_t PendingCount();

  // For tests and the renderer-host fuzzer only: the running totals that each
  // quota group keeps so "available deferred-fetch quota" is O(1), keyed by the
  // group's control document (every document not yet destroyed that controls
  // a group), read under the lock. A test checks them against its own sum of
  // the pending records and reservations.
  struct QuotaGroupTotals {
    int64_t reserved_bytes = 0;    // Σ reserved quota of member containers
    int minimal_reservations = 0;  // how many of those hold minimal quota
    int64_t pending_bytes = 0;     // Σ total request length of pending records
    // Per reporting origin (ReportingOriginKey()): (bytes, records) pending.
    absl::flat_hash_map<std::string, std::pair<int64_t, int64_t>>
        pending_by_origin;
  };
  absl::flat_hash_map<DocumentId, QuotaGroupTotals>
  QuotaGroupTotalsForTesting();

  // For inspection only (the debug service's snapshot, the internals page):
  // the tree as it is, read under its lock.
  struct DebugView {
    // Every tab, in creation order.
    const std::vector<std::unique_ptr<Navigable>>& top_level_traversables;
    // The activateAfter deadline of every pending record that has one.
    const absl::flat_hash_map<DeferredFetchId, absl::Time>& activate_at;
  };
  // Runs `visit` with the tree's lock held. `visit` may only read the nodes it
  // is given and must not call into the tree or anything that does (the
  // sink). O(nodes + timers); nothing on the quota path is touched.
  void VisitForDebugging(const std::function<void(const DebugView&)>& visit);

 private:
  using ProcessedList = std::vector<FrameTreeEvent>;

  Navigable* FindNavigable(NavigableId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Document* FindDocument(DocumentId id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<Navigable> NewNavigable(NavigableContainer* container)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // HTML: a navigable's "ongoing navigation", as StartNavigation() decided it.
  struct OngoingNavigation {
    NavigationId id;
    NavigationParams params;
    // HTML "determine the creation sandboxing flags" at the start: whether
    // they contain the sandboxed origin browsing context flag.
    bool sandboxed_origin = false;
    // The initiator's ("source document's") origin and base URL: the container
    // document for a parent-initiated navigation, the navigable's active
    // document for its own; nullopt for a browser-initiated one. An
    // about:blank document takes both, and its CSP list (its policy
    // container's).
    std::optional<net::Origin> initiator_origin;
    std::optional<net::Url> initiator_base_url;
    std::shared_ptr<const net::CspList> initiator_csp_list;
  };

  absl::StatusOr<NavigationId> StartNavigationLocked(
      Navigable& navigable,
      const NavigationParams& params) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<DocumentId> CommitNavigationLocked(Navigable& navigable,
                                                    NavigationId navigation,
                                                    ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Document* CreateDocument(Navigable& navigable,
                           const OngoingNavigation& navigation,
                           ProcessedList& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unloads and destroys `document` and everything nested in it, leaves first.
  void DestroyDocument(Document& document, ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Frees the documents of `navigable` that DestroyDocument() has unloaded.
  void EraseDestroyedDocuments(Navigable& navigable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DestroyNavigable(Navigable& navigable, ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fetch: "process deferred fetches" for `document`'s fetch group.
  void ProcessDeferredFetches(Document& document,
                              bool notify_invoked,
                              ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fetch: "process a deferred fetch".
  void ProcessDeferredFetch(DeferredFetchRecord& record,
                            bool notify_invoked,
                            ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Flushes the pending records of `document` and its descendants (bfcache
  // entry).
  void FlushSubtree(Document& document, ProcessedList& processed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves a pending record to `state` (sent or aborted), releases its quota and
  // forgets it. Returns the record's request.
  DeferredRequest RetireRecord(DeferredFetchRecord& record, InvokeState state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(ProcessedList& events) ABSL_LOCKS_EXCLUDED(mu_);
  // Recomputes "fully active" under `document` and records the flips.
  void RecomputeFullyActive(Document& document, ProcessedList& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DeferredFetchSink* const sink_;  // Not owned; may be null.
  const net::Clock* const clock_;  // Not owned.

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<std::unique_ptr<Navigable>> top_level_traversables_
      ABSL_GUARDED_BY(mu_);
  // Indexes over the tree (the tree owns the nodes).
  absl::flat_hash_map<NavigableId, Navigable*> navigables_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<DocumentId, Document*> documents_ ABSL_GUARDED_BY(mu_);
  // Each navigable's ongoing navigation between StartNavigation() and
  // CommitNavigation(); dropped with the navigable.
  absl::flat_hash_map<NavigableId, OngoingNavigation> ongoing_navigations_
      ABSL_GUARDED_BY(mu_);
  // Every pending deferred fetch record, owned here and linked into its
  // document's list.
  RecordSlotMap records_ ABSL_GUARDED_BY(mu_);
  // activateAfter timers: (time, record), earliest first. Entries of records
  // that are no longer pending are dropped when they reach the front.
  using Timer = std::pair<absl::Time, DeferredFetchId>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_
      ABSL_GUARDED_BY(mu_);
  // Early activation of hidden documents: (hidden since + delay, document).
  using VisibilityTimer = std::pair<absl::Time, DocumentId>;
  std::priority_queue<VisibilityTimer,
                      std::vector<VisibilityTimer>,
                      std::greater<VisibilityTimer>>
      visibility_timers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_FRAME_TREE_H_
