// When deferred fetches are activated (SPEC-NOTES 1.14, WPT groups B, C, D) at
// the frame-tree level: fetch-group termination, activateAfter, bfcache, abort,
// and what "fully active" refuses.
#include <string>
#include <utility>
#include <vector>

#include "browser/frame_tree.h"
#include "browser/frame_tree_test_support.h"
#include "gtest/gtest.h"

namespace fetch_later::browser {
namespace {

using ::fetch_later::browser::testing::FrameTreeTest;
using ::fetch_later::browser::testing::Request;
using ::fetch_later::browser::testing::U;

// C-7 send-on-discard/send-multiple: 20 GET + 20 POST in an iframe; removing it
// sends 40.
TEST_F(FrameTreeTest, WptRemovingIframeSendsAllFortyPending) {
  DocumentId top = Top("https://a.test/");
  NavigableId f = Iframe(top, "https://a.test/iframe");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(
        Queue(Doc(f), Request("https://a.test/get?i=" + std::to_string(i)))
            .outcome,
        FetchLaterOutcome::kQueued);
    ASSERT_EQ(
        Queue(Doc(f), Request("https://a.test/post?i=" + std::to_string(i), 10))
            .outcome,
        FetchLaterOutcome::kQueued);
  }
  EXPECT_EQ(sink_.count(), 0u);
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), 40u);
  for (const auto& s : sent)
    EXPECT_FALSE(s.notify_invoked);  // the global is gone
  EXPECT_EQ(tree_.PendingCount(), 0);
}

// C-8: the same with activateAfter 10 s / 8 s: discarding flushes regardless of
// timers, and the timers firing later send nothing twice.
TEST_F(FrameTreeTest, WptDiscardFlushesRegardlessOfActivateAfter) {
  DocumentId top = Top("https://a.test/");
  NavigableId f = Iframe(top, "https://a.test/iframe");
  for (int i = 0; i < 20; ++i) {
    Queue(Doc(f), Request("https://a.test/get?i=" + std::to_string(i)),
          absl::Seconds(10));
    Queue(Doc(f), Request("https://a.test/post?i=" + std::to_string(i), 10),
          absl::Seconds(8));
  }
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  EXPECT_EQ(sink_.count(), 40u);
  clock_.Advance(absl::Seconds(11));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  EXPECT_EQ(sink_.count(), 40u);
}

// C-9 not-send-after-abort: one aborted, one not; removal sends exactly 1.
TEST_F(FrameTreeTest, WptAbortedRecordIsNeverSent) {
  DocumentId top = Top("https://a.test/");
  NavigableId f = Iframe(top, "https://a.test/iframe");
  FetchLaterDecision aborted = Queue(Doc(f), Request("https://a.test/aborted"));
  Queue(Doc(f), Request("https://a.test/kept", 5));
  ASSERT_TRUE(tree_.AbortDeferredFetch(aborted.id).ok());
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].request.url.Serialize(), "https://a.test/kept");
}

// Abort after send does nothing (the record is no longer pending; the tree says
// so with NotFound and sends nothing more).
TEST_F(FrameTreeTest, AbortAfterSendIsIgnored) {
  DocumentId top = Top("https://a.test/");
  FetchLaterDecision d =
      Queue(top, Request("https://a.test/"), absl::ZeroDuration());
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 1);
  EXPECT_EQ(tree_.AbortDeferredFetch(d.id).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(tree_.IsPending(d.id));
  EXPECT_EQ(sink_.count(), 1u);
}

// B-6: activateAfter fires on its own, and "notify invoked" runs (activated
// becomes true).
TEST_F(FrameTreeTest, WptActivateAfterFiresOnTheClock) {
  DocumentId top = Top("https://a.test/");
  FetchLaterDecision d =
      Queue(top, Request("https://a.test/"), absl::Milliseconds(1000));
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  EXPECT_TRUE(tree_.IsPending(d.id));
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 1);
  ASSERT_EQ(sink_.count(), 1u);
  EXPECT_TRUE(sink_.processed()[0].notify_invoked);
}

// D-10.1 / D-10.5 / D-11: entering the bfcache flushes every pending record
// (Chromium and the WPT; the spec text does not require it), with or without
// activateAfter; restoring sends nothing again and the page sees activated =
// true.
TEST_F(FrameTreeTest, WptBfcacheEntryFlushesPendingOnce) {
  DocumentId top = Top("https://a.test/");
  NavigableId child = Iframe(top, "https://b.test/");
  Queue(top, Request("https://a.test/default"));
  Queue(top, Request("https://a.test/later"), absl::Seconds(60));
  Queue(Doc(child), Request("https://b.test/child"));
  NavigationParams away{U("https://c.test/")};
  away.enter_bfcache = true;
  ASSERT_TRUE(tree_.Navigate(tab_, away).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& s : sent)
    EXPECT_TRUE(s.notify_invoked);
  EXPECT_FALSE(tree_.IsFullyActive(top).value());
  EXPECT_FALSE(tree_.IsFullyActive(Doc(child)).value());
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  ASSERT_EQ(tree_.RestoreFromBfcache(tab_).value(), top);
  EXPECT_TRUE(tree_.IsFullyActive(top).value());
  EXPECT_EQ(sink_.count(), 3u);
}

// A bfcached document is not fully active: fetchLater is refused (TypeError,
// step 6).
TEST_F(FrameTreeTest, NotFullyActiveDocumentIsRefused) {
  DocumentId top = Top("https://a.test/");
  NavigableId child = Iframe(top, "https://a.test/child");
  DocumentId child_doc = Doc(child);
  NavigationParams away{U("https://c.test/")};
  away.enter_bfcache = true;
  ASSERT_TRUE(tree_.Navigate(tab_, away).ok());
  EXPECT_EQ(Queue(top, Request("https://a.test/")).outcome,
            FetchLaterOutcome::kNotFullyActive);
  EXPECT_EQ(Queue(child_doc, Request("https://a.test/")).outcome,
            FetchLaterOutcome::kNotFullyActive);
  EXPECT_EQ(tree_.PendingCount(), 0);
}

// D-10.3 / D-10.4: navigating away without the bfcache unloads the document and
// sends its pending records (an aborted one excepted).
TEST_F(FrameTreeTest, WptNavigationAwaySendsPendingButNotAborted) {
  DocumentId top = Top("https://a.test/");
  Queue(top, Request("https://a.test/one"));
  FetchLaterDecision aborted = Queue(top, Request("https://a.test/two"));
  ASSERT_TRUE(tree_.AbortDeferredFetch(aborted.id).ok());
  NavigationParams away{U("https://c.test/")};
  ASSERT_TRUE(tree_.Navigate(tab_, away).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].request.url.Serialize(), "https://a.test/one");
  EXPECT_FALSE(
      tree_.IsFullyActive(top).ok());  // destroyed documents are forgotten
}

// Closing a tab destroys every document, leaves first, and sends every pending
// record.
TEST_F(FrameTreeTest, ClosingTabSendsEveryPendingRecordInTheTree) {
  DocumentId top = Top("https://a.test/");
  NavigableId b = Iframe(top, "https://b.test/");
  NavigableId a2 = Iframe(top, "https://a.test/2");
  Queue(top, Request("https://x.test/top"));
  Queue(Doc(b), Request("https://x.test/b"));
  Queue(Doc(a2), Request("https://x.test/a2"));
  ASSERT_TRUE(tree_.CloseTopLevelTraversable(tab_).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), 3u);
  // Leaves first.
  EXPECT_EQ(sent[2].request.url.Serialize(), "https://x.test/top");
  EXPECT_EQ(tree_.PendingCount(), 0);
  EXPECT_FALSE(tree_.ActiveDocument(tab_).ok());
}

// A document that was destroyed is unknown: QueueDeferredFetch reports
// NotFound.
TEST_F(FrameTreeTest, QueueOnDestroyedDocumentIsNotFound) {
  DocumentId top = Top("https://a.test/");
  ASSERT_TRUE(tree_.CloseTopLevelTraversable(tab_).ok());
  auto d =
      tree_.QueueDeferredFetch(top, Request("https://a.test/"), std::nullopt);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
}

// Removing an iframe releases its reservation to the parent's pool.
TEST_F(FrameTreeTest, RemovingIframeReleasesReservation) {
  DocumentId top = Top("https://a.test/", "deferred-fetch=*");
  NavigableId f = Iframe(top, "https://b.test/", {.allow = "deferred-fetch"});
  ASSERT_EQ(Reserved(f), 64 * 1024);
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(
        QueueBytes(top, "https://r" + std::to_string(i) + ".test/", 64 * 1024)
            .outcome,
        FetchLaterOutcome::kQueued);
  }
  EXPECT_EQ(Available(top, testing::O("https://r7.test/")), 0);
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  EXPECT_EQ(Available(top, testing::O("https://r7.test/")), 64 * 1024);
}

// Errors name what was wrong.
TEST_F(FrameTreeTest, UnknownIdsAndMisuseAreClearErrors) {
  DocumentId top = Top("https://a.test/");
  EXPECT_EQ(tree_.RemoveIframe(tab_).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree_.RemoveIframe(NavigableId(999999)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(tree_.RestoreFromBfcache(tab_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  NavigableId f = Iframe(top, "https://b.test/");
  NavigationParams bf{U("https://c.test/")};
  bf.enter_bfcache = true;
  EXPECT_EQ(tree_.Navigate(f, bf).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tree_.AbortDeferredFetch(DeferredFetchId(424242)).code(),
            absl::StatusCode::kNotFound);
}

// "queue a deferred fetch" step 6.1: a document hidden for long has its
// activateAfter records activated early; records without a timer wait for
// termination.
TEST_F(FrameTreeTest, HiddenForLongActivatesTimerRecordsEarly) {
  DocumentId top = Top("https://a.test/");
  FetchLaterDecision timed =
      Queue(top, Request("https://a.test/timed"), absl::Hours(1));
  FetchLaterDecision untimed = Queue(top, Request("https://a.test/untimed"));
  ASSERT_TRUE(tree_.SetHidden(tab_, true).ok());
  clock_.Advance(kHiddenActivationDelay - absl::Seconds(1));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(tree_.NextTimerDeadline(), clock_.Now());
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 1);
  EXPECT_FALSE(tree_.IsPending(timed.id));
  EXPECT_TRUE(tree_.IsPending(untimed.id));
  ASSERT_EQ(sink_.count(), 1u);
  EXPECT_TRUE(sink_.processed()[0].notify_invoked);
}

// Becoming visible again before the delay cancels the early activation.
TEST_F(FrameTreeTest, VisibleAgainCancelsEarlyActivation) {
  DocumentId top = Top("https://a.test/");
  FetchLaterDecision timed =
      Queue(top, Request("https://a.test/timed"), absl::Hours(1));
  ASSERT_TRUE(tree_.SetHidden(tab_, true).ok());
  clock_.Advance(absl::Seconds(30));
  ASSERT_TRUE(tree_.SetHidden(tab_, false).ok());
  clock_.Advance(kHiddenActivationDelay);
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  EXPECT_TRUE(tree_.IsPending(timed.id));
}

// "A document created while its page is hidden is activated early like the
// others": a new document in a hidden page starts hidden ("update the
// visibility state" from the traversable's system visibility state), so "queue
// a deferred fetch" step 6.1 activates its timer records once it has been
// hidden for kHiddenActivationDelay. The spec's condition is about the
// document ("has been hidden for a long time"), so the delay runs from the
// document's creation, not from when the page was hidden.
TEST_F(FrameTreeTest,
       DocumentCreatedInHiddenPageIsActivatedEarlyCountingFromItsCreation) {
  DocumentId top = Top("https://a.test/");
  ASSERT_TRUE(tree_.SetHidden(tab_, true).ok());
  clock_.Advance(absl::Seconds(30));
  NavigableId f = Iframe(top, "https://b.test/");
  FetchLaterDecision timed =
      Queue(Doc(f), Request("https://b.test/timed"), absl::Hours(1));
  FetchLaterDecision untimed = Queue(Doc(f), Request("https://b.test/untimed"));
  std::vector<DocumentStateChange> changes = sink_.state_changes();
  ASSERT_TRUE(changes.back().created);
  EXPECT_TRUE(changes.back().hidden);
  // The top's own delay ends first (it has nothing to activate) ...
  clock_.Advance(kHiddenActivationDelay - absl::Seconds(30));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  // ... the iframe's document's when it has been hidden for the delay.
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 1);
  EXPECT_FALSE(tree_.IsPending(timed.id));
  EXPECT_TRUE(tree_.IsPending(untimed.id));
  ASSERT_EQ(sink_.count(), 1u);
  EXPECT_TRUE(sink_.processed()[0].notify_invoked);
}

// The same for a top-level document committed into a hidden tab, and a page
// made visible again before the delay leaves its new documents alone.
TEST_F(FrameTreeTest, TopLevelDocumentCommittedWhileHiddenIsActivatedEarly) {
  Top("https://a.test/");
  ASSERT_TRUE(tree_.SetHidden(tab_, true).ok());
  DocumentId next = tree_.Navigate(tab_, {U("https://c.test/")}).value();
  FetchLaterDecision timed =
      Queue(next, Request("https://c.test/timed"), absl::Hours(1));
  clock_.Advance(kHiddenActivationDelay);
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 1);
  EXPECT_FALSE(tree_.IsPending(timed.id));

  ASSERT_TRUE(tree_.SetHidden(tab_, false).ok());
  DocumentId visible = tree_.Navigate(tab_, {U("https://d.test/")}).value();
  FetchLaterDecision kept =
      Queue(visible, Request("https://d.test/timed"), absl::Hours(1));
  EXPECT_FALSE(sink_.state_changes().back().hidden);
  clock_.Advance(kHiddenActivationDelay);
  EXPECT_EQ(tree_.ProcessDueDeferredFetches(), 0);
  EXPECT_TRUE(tree_.IsPending(kept.id));
}

// whatwg/html PR 10903: a parent-initiated navigation of an iframe runs
// "reserve deferred-fetch quota" when the navigation starts, before the old
// document unloads, so a fetchLater() in the old document's pagehide listener
// is checked against the new reservation. Here b (64 KiB, delegated) is
// re-navigated by its parent to c, which is not delegated: during the unload
// the container holds c's 8 KiB, and so does the old document's pool.
TEST_F(FrameTreeTest,
       ParentRenavigationReservesWhenItStartsBeforeTheOldDocumentUnloads) {
  DocumentId top =
      Top("https://a.test/", "deferred-fetch=(self \"https://b.test\")");
  NavigableId f = Iframe(top, "https://b.test/", {.allow = "deferred-fetch"});
  DocumentId old = Doc(f);
  ASSERT_EQ(Reserved(f), 64 * 1024);
  ASSERT_EQ(Available(old), 64 * 1024);

  NavigationParams nav{U("https://c.test/")};
  nav.initiator = NavigationInitiator::kParent;
  absl::StatusOr<NavigationId> started = tree_.StartNavigation(f, nav);
  ASSERT_TRUE(started.ok()) << started.status();
  // The old document is still the active one (its pagehide runs now) ...
  EXPECT_EQ(Doc(f), old);
  EXPECT_EQ(Reserved(f), 8 * 1024);
  EXPECT_EQ(Available(old), 8 * 1024);
  // ... and what its listener queues is checked against the new reservation.
  FetchLaterDecision too_big =
      QueueBytes(old, "https://collector.test/pagehide", 20000);
  EXPECT_EQ(too_big.outcome, FetchLaterOutcome::kQuotaExceeded);
  EXPECT_EQ(too_big.quota, 8 * 1024);
  EXPECT_EQ(too_big.requested, 20000);
  EXPECT_EQ(QueueBytes(old, "https://collector.test/pagehide", 4000).outcome,
            FetchLaterOutcome::kQueued);

  absl::StatusOr<DocumentId> committed = tree_.CommitNavigation(f, *started);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_NE(*committed, old);
  ASSERT_EQ(sink_.count(), 1u);  // the unload sent what pagehide queued
  EXPECT_EQ(Available(*committed), 8 * 1024);
}

// A navigation the browser or the frame itself starts does not reserve; a
// later navigation replaces an ongoing one that was never committed; a gone
// navigable has no navigation to commit.
TEST_F(FrameTreeTest, StartedNavigationIsCommittedOnlyWhileOngoing) {
  DocumentId top = Top("https://a.test/");
  NavigableId f = Iframe(top, "https://b.test/");
  ASSERT_EQ(Reserved(f), 8 * 1024);
  NavigationParams self_nav{U("https://c.test/")};
  self_nav.initiator = NavigationInitiator::kSelf;
  NavigationId first = tree_.StartNavigation(f, self_nav).value();
  NavigationParams parent_nav{U("https://a.test/same")};
  parent_nav.initiator = NavigationInitiator::kParent;
  NavigationId second = tree_.StartNavigation(f, parent_nav).value();
  EXPECT_EQ(tree_.CommitNavigation(f, first).status().code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(tree_.CommitNavigation(f, second).ok());
  EXPECT_EQ(tree_.ControlDocument(Doc(f)).value(), top);
  EXPECT_EQ(tree_.CommitNavigation(f, second).status().code(),
            absl::StatusCode::kFailedPrecondition);  // already committed
  NavigationId third = tree_.StartNavigation(f, self_nav).value();
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  EXPECT_EQ(tree_.CommitNavigation(f, third).status().code(),
            absl::StatusCode::kNotFound);
}

// Processed fetches carry the client's network isolation key (top-frame site,
// frame site); document lifecycle is reported in order.
TEST_F(FrameTreeTest,
       ProcessedFetchCarriesNetworkIsolationKeyAndStateIsReported) {
  DocumentId top = Top("https://www.a.test/");
  NavigableId f = Iframe(top, "https://x.b.test/frame");
  DocumentId child = Doc(f);
  Queue(child, Request("https://collector.test/"));
  ASSERT_TRUE(tree_.RemoveIframe(f).ok());
  ASSERT_EQ(sink_.count(), 1u);
  const net::NetworkIsolationKey nik =
      sink_.processed()[0].network_isolation_key;
  EXPECT_EQ(nik.top_frame_site.Serialize(), "https://a.test");
  EXPECT_EQ(nik.frame_site.Serialize(), "https://b.test");
  auto changes = sink_.state_changes();
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].document, top);
  EXPECT_TRUE(changes[0].created && changes[0].fully_active);
  EXPECT_EQ(changes[1].document, child);
  EXPECT_TRUE(changes[1].created);
  EXPECT_EQ(changes[2].document, child);
  EXPECT_TRUE(changes[2].destroyed);
  EXPECT_FALSE(changes[2].fully_active);
}

// Entering the bfcache reports the page's documents as no longer fully active,
// restoring reports them active again.
TEST_F(FrameTreeTest, BfcacheReportsFullyActiveFlips) {
  DocumentId top = Top("https://a.test/");
  DocumentId child = Doc(Iframe(top, "https://a.test/c"));
  NavigationParams away{U("https://c.test/")};
  away.enter_bfcache = true;
  DocumentId next = tree_.Navigate(tab_, away).value();
  ASSERT_TRUE(tree_.RestoreFromBfcache(tab_).ok());
  std::vector<std::string> log;
  for (const auto& c : sink_.state_changes()) {
    log.push_back(std::to_string(c.document.value()) +
                  (c.created        ? " created"
                   : c.destroyed    ? " destroyed"
                   : c.fully_active ? " active"
                                    : " inactive"));
  }
  auto id = [](DocumentId d) { return std::to_string(d.value()); };
  EXPECT_EQ(log, (std::vector<std::string>{
                     id(top) + " created", id(child) + " created",
                     id(top) + " inactive", id(child) + " inactive",
                     id(next) + " created", id(next) + " destroyed",
                     id(top) + " active", id(child) + " active"}));
}

// A pending record keeps its request compactly (URL serialised, referrer
// strings shared with the document's other records, retry options out of line);
// what "process a deferred fetch" hands over is the request as it was queued,
// minus the URL's fragment (never sent, never counted).
TEST_F(FrameTreeTest, ProcessedRequestIsTheQueuedRequest) {
  DocumentId top = Top("https://a.test/page");
  std::vector<DeferredRequest> queued;
  for (int i = 0; i < 6; ++i) {
    DeferredRequest r = Request("https://c.test/b?i=" + std::to_string(i), i);
    r.method = i % 2 ? "PUT" : "POST";
    r.body = std::string(i, 'x');
    // More distinct referrers than a document keeps shared.
    r.referrer_url = "https://a.test/r" + std::to_string(i % 3) + "#f";
    r.referer_header = i % 2 ? "https://a.test/" : "https://a.test/page";
    // The modes and the referrer policy travel with the record too.
    r.mode = i % 3 == 0   ? net::RequestMode::kCors
             : i % 3 == 1 ? net::RequestMode::kNoCors
                          : net::RequestMode::kSameOrigin;
    r.credentials =
        i % 2 ? net::CredentialsMode::kInclude : net::CredentialsMode::kOmit;
    r.redirect = i % 2 ? net::RedirectMode::kManual : net::RedirectMode::kError;
    r.referrer_policy = i % 2 ? net::ReferrerPolicy::kUnsafeUrl
                              : net::ReferrerPolicy::kNoReferrer;
    r.no_referrer = i == 5;
    if (i == 3) {
      r.retry_options = net::RetryOptions{};
      r.retry_options->max_attempts = 2;
      r.retry_options->backoff_factor = 1.5;
    }
    queued.push_back(r);
    ASSERT_EQ(Queue(top, std::move(r)).outcome, FetchLaterOutcome::kQueued);
  }
  DeferredRequest bare{"GET", U("https://d.test/x?q#frag")};
  queued.push_back(bare);
  ASSERT_EQ(Queue(top, std::move(bare)).outcome, FetchLaterOutcome::kQueued);

  ASSERT_TRUE(tree_.CloseTopLevelTraversable(tab_).ok());
  auto sent = sink_.processed();
  ASSERT_EQ(sent.size(), queued.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    const DeferredRequest& got = sent[i].request;
    const DeferredRequest& want = queued[i];
    EXPECT_EQ(got.method, want.method) << i;
    EXPECT_EQ(got.url.Serialize(), want.url.Serialize()) << i;
    EXPECT_EQ(got.referrer_url, want.referrer_url) << i;
    EXPECT_EQ(got.headers, want.headers) << i;
    EXPECT_EQ(got.body_length, want.body_length) << i;
    EXPECT_EQ(got.referer_header, want.referer_header) << i;
    EXPECT_EQ(got.body, want.body) << i;
    EXPECT_EQ(got.mode, want.mode) << i;
    EXPECT_EQ(got.credentials, want.credentials) << i;
    EXPECT_EQ(got.redirect, want.redirect) << i;
    EXPECT_EQ(got.referrer_policy, want.referrer_policy) << i;
    EXPECT_EQ(got.no_referrer, want.no_referrer) << i;
    ASSERT_EQ(got.retry_options.has_value(), want.retry_options.has_value())
        << i;
    if (want.retry_options) {
      EXPECT_EQ(got.retry_options->max_attempts, 2u);
      EXPECT_EQ(got.retry_options->backoff_factor, 1.5);
    }
    EXPECT_EQ(TotalRequestLength(got), TotalRequestLength(want)) << i;
  }
  // The document's origin, client referrer and CSP list come with it.
  ASSERT_TRUE(sent.back().origin.has_value());
  EXPECT_EQ(sent.back().origin->Serialize(), "https://a.test");
  ASSERT_TRUE(sent.back().client_referrer.has_value());
  EXPECT_EQ(sent.back().client_referrer->referrer_url.Serialize(),
            "https://a.test/page");
  ASSERT_NE(sent.back().csp_list, nullptr);
  EXPECT_TRUE(sent.back().csp_list->policies.empty());
  EXPECT_EQ(sent.back().request.url.Serialize(), "https://d.test/x?q");
  EXPECT_FALSE(sent.back().request.referrer_url.has_value());
  EXPECT_EQ(sent.back().request.referer_header, "");
}

}  // namespace
}  // namespace fetch_later::browser
