// The browser's side of page script: lifecycle events reach the documents that
// run script, in HTML's order, before the frame-tree change they announce;
// page timers run in time order with the browser's own timers when the clock
// moves; what the renderer reports is kept for the driver; a renderer that
// does not answer cannot hold up the frame tree.
//
// The renderer here is a fake that speaks the real event protocol (RendererHost
// events in, ReportStepResult out) with a tiny "script" language of its own, so
// these tests see exactly what the browser sends and when. The real renderer
// (JavaScriptCore) is tested end to end in tests/.
#include <atomic>
#include <cmath>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "browser/browser_core.h"
#include "browser/frame_tree_test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"

namespace fetch_later::browser {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Request;
using testing::U;

// Answers the browser's page steps for every document of one renderer host.
// Script sources it understands: "timer <ms>" arms a timer, "throw" reports an
// uncaught TypeError, anything else does nothing. It logs
// "<url> <what>@<page ms>" for each step, and whether the document was still
// fully active when a lifecycle event arrived.
class FakeScriptRenderer {
 public:
  FakeScriptRenderer(BrowserCore* core, RendererHost* host)
      : core_(core), host_(host), thread_([this] { Loop(); }) {}
  ~FakeScriptRenderer() {
    stop_ = true;
    thread_.join();
  }

  void set_hang_on_lifecycle(bool hang) { hang_on_lifecycle_ = hang; }
  // Logs, with each lifecycle step, the document's "available deferred-fetch
  // quota" (no reporting origin) as its listeners would see it.
  void set_log_quota_on_lifecycle(bool log) { log_quota_on_lifecycle_ = log; }
  // Answers every step with this next_timer_ms (a lying renderer).
  void set_forged_next_timer(double ms) {
    absl::MutexLock lock(&mu_);
    forged_next_timer_ = ms;
  }
  // What the browser answered each ReportStepResult (a bad message or not).
  std::vector<std::optional<BadMessage>> answers() {
    absl::MutexLock lock(&mu_);
    return answers_;
  }
  // The same, once there are `count` (or after `timeout`): a step's waiter may
  // return before the answering call does (a cut-off wakes it first).
  std::vector<std::optional<BadMessage>> AwaitAnswers(size_t count,
                                                      absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return answers_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return answers_;
  }

  std::vector<std::string> log() {
    absl::MutexLock lock(&mu_);
    return log_;
  }
  std::vector<ipc::DocumentCommitted> committed() {
    absl::MutexLock lock(&mu_);
    return committed_;
  }

 private:
  void Loop() {
    while (!stop_) {
      std::optional<ipc::RendererEvent> event =
          host_->PopEvent(absl::Milliseconds(20));
      if (!event)
        continue;
      if (event->has_document_committed()) {
        absl::MutexLock lock(&mu_);
        committed_.push_back(event->document_committed());
        urls_[event->document_committed().document_token()] =
            event->document_committed().url();
      } else if (event->has_run_page_step()) {
        Handle(event->run_page_step());
      }
    }
  }

  void Handle(const ipc::RunPageStep& run) {
    const ipc::PageStep& step = run.step();
    const std::string& token = run.document_token();
    const double now = step.page_time_ms();
    ipc::StepResult result;
    result.set_step_id(run.step_id());
    result.set_outcome(ipc::JS_OK);
    std::string url;
    {
      absl::MutexLock lock(&mu_);
      url = urls_[token];
    }
    std::string what;
    if (step.has_run_script()) {
      const std::string& source = step.run_script().source();
      what = "script";
      int ms = 0;
      if (absl::StartsWith(source, "timer ") &&
          absl::SimpleAtoi(source.substr(6), &ms)) {
        absl::MutexLock lock(&mu_);
        timers_[token] = now + ms;
      } else if (source == "throw") {
        result.set_outcome(ipc::JS_TYPE_ERROR);
        ipc::ScriptError* error = result.add_errors();
        error->set_name("TypeError");
        error->set_message("boom");
        result.add_console("log: before the throw");
      }
    } else if (step.has_lifecycle()) {
      if (hang_on_lifecycle_)
        return;  // never answers
      absl::StatusOr<DocumentId> document = core_->DocumentForToken(token);
      const bool active =
          document.ok() && *core_->frame_tree().IsFullyActive(*document);
      for (const ipc::LifecycleEvent& e : step.lifecycle().events()) {
        if (e.has_page_transition()) {
          absl::StrAppend(&what, what.empty() ? "" : ",", e.page_transition(),
                          e.persisted() ? "(persisted)" : "");
        } else {
          absl::StrAppend(&what, what.empty() ? "" : ",",
                          e.visibility_hidden() ? "hidden" : "visible");
        }
      }
      absl::StrAppend(&what, active ? "" : " [not fully active]");
      if (log_quota_on_lifecycle_ && document.ok()) {
        absl::StrAppend(&what, " quota=",
                        core_->frame_tree()
                            .AvailableQuota(*document, std::nullopt)
                            .value_or(-1));
      }
    } else if (step.run_timers()) {
      absl::MutexLock lock(&mu_);
      auto it = timers_.find(token);
      if (it != timers_.end() && it->second <= now) {
        what = "timer";
        timers_.erase(it);
      } else {
        what = "no timer due";
      }
    }
    {
      absl::MutexLock lock(&mu_);
      log_.push_back(absl::StrCat(url, " ", what, "@", now));
      auto it = timers_.find(token);
      if (it != timers_.end())
        result.set_next_timer_ms(it->second);
      if (forged_next_timer_)
        result.set_next_timer_ms(*forged_next_timer_);
    }
    std::optional<BadMessage> answered =
        core_->ReportStepResult(*host_, result);
    absl::MutexLock lock(&mu_);
    answers_.push_back(answered);
  }

  BrowserCore* const core_;
  RendererHost* const host_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> hang_on_lifecycle_{false};
  std::atomic<bool> log_quota_on_lifecycle_{false};
  absl::Mutex mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
  std::vector<ipc::DocumentCommitted> committed_ ABSL_GUARDED_BY(mu_);
  std::optional<double> forged_next_timer_ ABSL_GUARDED_BY(mu_);
  std::vector<std::optional<BadMessage>> answers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> urls_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, double> timers_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

class BrowserCoreScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    options.script_task_timeout = absl::Milliseconds(300);
    options.on_renderer_created = [this](const RendererHost& host) {
      absl::MutexLock lock(&mu_);
      renderers_.push_back(std::make_unique<FakeScriptRenderer>(
          core_.get(), const_cast<RendererHost*>(&host)));
    };
    core_ = std::make_unique<BrowserCore>(options);
    tab_ = core_->CreateTab();
  }
  void TearDown() override {
    {
      absl::MutexLock lock(&mu_);
      renderers_.clear();
    }
    core_.reset();
  }

  CommittedFrame Navigate(const std::string& url, bool bfcache = false) {
    NavigationParams params{U(url)};
    params.enter_bfcache = bfcache;
    absl::StatusOr<CommittedFrame> frame = core_->Navigate(tab_, params);
    EXPECT_TRUE(frame.ok()) << frame.status();
    return *frame;
  }
  CommittedFrame Iframe(const CommittedFrame& parent, const std::string& url) {
    IframeParams params{"deferred-fetch", std::nullopt, {U(url)}};
    absl::StatusOr<CommittedFrame> frame =
        core_->CreateIframe(parent.document_token, params);
    EXPECT_TRUE(frame.ok()) << frame.status();
    return *frame;
  }
  // A deferred fetch queued in `frame`'s document, straight into the tree.
  void Queue(const CommittedFrame& frame,
             const std::string& url,
             std::optional<absl::Duration> activate_after) {
    absl::StatusOr<DocumentId> document =
        core_->DocumentForToken(frame.document_token);
    ASSERT_TRUE(document.ok());
    ASSERT_TRUE(core_->frame_tree()
                    .QueueDeferredFetch(*document, Request(url), activate_after)
                    .ok());
  }
  ipc::StepResult Script(const CommittedFrame& frame,
                         const std::string& source) {
    ipc::PageStep step;
    step.mutable_run_script()->set_source(source);
    absl::StatusOr<ipc::StepResult> result =
        core_->RunPageStep(frame.document_token, step, absl::Seconds(5));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ipc::StepResult();
  }
  // Every renderer's log, renderers in creation order.
  std::vector<std::string> Log() {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> all;
    for (const auto& renderer : renderers_) {
      for (std::string& line : renderer->log())
        all.push_back(std::move(line));
    }
    return all;
  }
  FakeScriptRenderer& Renderer(size_t i) {
    absl::MutexLock lock(&mu_);
    return *renderers_.at(i);
  }
  size_t RendererCount() {
    absl::MutexLock lock(&mu_);
    return renderers_.size();
  }

  net::FakeClock clock_;
  net::RecordingNetworkStage network_;
  std::unique_ptr<BrowserCore> core_;
  NavigableId tab_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<FakeScriptRenderer>> renderers_
      ABSL_GUARDED_BY(mu_);
};

// whatwg/html PR 10903: a parent-initiated navigation of an iframe reserves
// deferred-fetch quota when it starts, so by the time the old document's
// pagehide listeners run, its pool is the new reservation: b.test (delegated
// 64 KiB) re-navigated by its parent to c.test (not delegated) sees 8 KiB.
TEST_F(BrowserCoreScriptTest,
       ParentRenavigationReservesBeforeTheOldDocumentsPagehideRuns) {
  NavigationParams top_params{U("https://a.test/")};
  top_params.permissions_policy = "deferred-fetch=(self \"https://b.test\")";
  absl::StatusOr<CommittedFrame> top = core_->Navigate(tab_, top_params);
  ASSERT_TRUE(top.ok()) << top.status();
  CommittedFrame child = Iframe(*top, "https://b.test/");
  Script(child, "1");
  ASSERT_EQ(RendererCount(), 2u);
  Renderer(1).set_log_quota_on_lifecycle(true);
  NavigationParams nav{U("https://c.test/")};
  nav.initiator = NavigationInitiator::kParent;
  ASSERT_TRUE(core_->Navigate(child.navigable, nav).ok());
  EXPECT_THAT(Renderer(1).log(),
              ElementsAre("https://b.test/ script@0",
                          "https://b.test/ pagehide,hidden quota=8192@0"));
}

// HTML "unload a document and its descendants": the child's pagehide first,
// each document still fully active while its listeners run, then the tab goes.
// A document that never ran script gets no events.
TEST_F(BrowserCoreScriptTest, CloseTabFiresPagehideThenHiddenDescendantsFirst) {
  CommittedFrame top = Navigate("https://a.test/");
  CommittedFrame child = Iframe(top, "https://a.test/child");
  Iframe(top, "https://a.test/no-script");
  Script(top, "1");
  Script(child, "1");
  ASSERT_TRUE(core_->CloseTab(tab_).ok());
  EXPECT_THAT(Log(), ElementsAre("https://a.test/ script@0",
                                 "https://a.test/child script@0",
                                 "https://a.test/child pagehide,hidden@0",
                                 "https://a.test/ pagehide,hidden@0"));
  std::vector<ipc::ScriptReport> reports = core_->TakeScriptReports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].document_token(), child.document_token);
  EXPECT_EQ(reports[0].cause(), "pagehide+visibilitychange");
  EXPECT_THAT(core_->TakeScriptReports(), IsEmpty());  // taken once
}

TEST_F(BrowserCoreScriptTest, BfcacheEntryIsPersistedAndRestoreShowsThePage) {
  CommittedFrame top = Navigate("https://a.test/");
  Script(top, "1");
  Navigate("https://b.test/", /*bfcache=*/true);
  ASSERT_TRUE(core_->RestoreFromBfcache(tab_).ok());
  EXPECT_THAT(Log(),
              ElementsAre("https://a.test/ script@0",
                          "https://a.test/ pagehide(persisted),hidden@0",
                          "https://a.test/ visible,pageshow(persisted)@0"));
}

TEST_F(BrowserCoreScriptTest, VisibilityChangesReachEveryScriptedDocument) {
  CommittedFrame top = Navigate("https://a.test/");
  CommittedFrame child = Iframe(top, "https://b.test/");
  Script(top, "1");
  Script(child, "1");
  ASSERT_TRUE(core_->SetHidden(tab_, true).ok());
  ASSERT_TRUE(core_->SetHidden(tab_, false).ok());
  EXPECT_THAT(Renderer(0).log(), ElementsAre("https://a.test/ script@0",
                                             "https://a.test/ hidden@0",
                                             "https://a.test/ visible@0"));
  EXPECT_THAT(Renderer(1).log(), ElementsAre("https://b.test/ script@0",
                                             "https://b.test/ hidden@0",
                                             "https://b.test/ visible@0"));
}

// A document committed into a hidden page starts hidden; the policy the browser
// computed travels with the commit.
TEST_F(BrowserCoreScriptTest, CommitCarriesVisibilityAndAllowedFeatures) {
  CommittedFrame top = Navigate("https://a.test/");
  ASSERT_TRUE(core_->SetHidden(tab_, true).ok());
  Iframe(top, "https://a.test/later");
  Iframe(top, "https://c.test/");
  absl::SleepFor(absl::Milliseconds(100));  // the fake reads events async
  std::vector<ipc::DocumentCommitted> a = Renderer(0).committed();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FALSE(a[0].hidden());
  EXPECT_TRUE(a[1].hidden());
  EXPECT_THAT(a[0].allowed_features(),
              ElementsAre("deferred-fetch", "deferred-fetch-minimal"));
  std::vector<ipc::DocumentCommitted> c = Renderer(1).committed();
  ASSERT_EQ(c.size(), 1u);
  // allow="deferred-fetch" delegates it; minimal stays enabled by default.
  EXPECT_THAT(c[0].allowed_features(),
              ElementsAre("deferred-fetch", "deferred-fetch-minimal"));
}

// The clock stops at each page timer on its way: a page timer due at 150 ms
// runs after the activateAfter=100 record was sent and before the 200 one.
TEST_F(BrowserCoreScriptTest, PageTimersInterleaveWithActivateAfterTimers) {
  CommittedFrame top = Navigate("https://a.test/");
  Queue(top, "https://a.test/100", absl::Milliseconds(100));
  Queue(top, "https://a.test/200", absl::Milliseconds(200));
  Script(top, "timer 150");
  ASSERT_TRUE(core_->AdvanceClock(absl::Milliseconds(150)).ok());
  const size_t sent_by_the_timer = network_.sent().size();
  ASSERT_TRUE(core_->AdvanceClock(absl::Milliseconds(100)).ok());
  EXPECT_THAT(Log(), ElementsAre("https://a.test/ script@0",
                                 "https://a.test/ timer@150"));
  EXPECT_EQ(sent_by_the_timer, 1u);
  EXPECT_EQ(network_.sent().size(), 2u);
  std::vector<ipc::ScriptReport> reports = core_->TakeScriptReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].cause(), "timers");
}

TEST_F(BrowserCoreScriptTest, ScriptStepResultsComeBackWhole) {
  CommittedFrame top = Navigate("https://a.test/");
  ipc::StepResult result = Script(top, "throw");
  EXPECT_EQ(result.outcome(), ipc::JS_TYPE_ERROR);
  ASSERT_EQ(result.errors_size(), 1);
  EXPECT_EQ(result.errors(0).message(), "boom");
  EXPECT_THAT(result.console(), ElementsAre("log: before the throw"));
}

// A renderer that never answers its pagehide: the tab still closes after the
// browser's wait, the document's pending fetch is still sent, and the driver
// learns why the events had no result.
TEST_F(BrowserCoreScriptTest, HungRendererCannotHoldUpTheFrameTree) {
  CommittedFrame top = Navigate("https://a.test/");
  Queue(top, "https://a.test/b", std::nullopt);
  Script(top, "1");
  Renderer(0).set_hang_on_lifecycle(true);
  const absl::Time start = absl::Now();
  ASSERT_TRUE(core_->CloseTab(tab_).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(network_.sent().size(), 1u);
  std::vector<ipc::ScriptReport> reports = core_->TakeScriptReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].result().outcome(), ipc::JS_OTHER_ERROR);
  EXPECT_THAT(reports[0].result().message(), ::testing::HasSubstr("in time"));
}

// The browser's clock would stop at the time a renderer names: a time that is
// not one is a bad message, and the renderer is cut off at once. Each row runs
// in a fresh renderer for the site (the one before was cut off).
TEST_F(BrowserCoreScriptTest, ANonsenseTimerTimeIsABadMessage) {
  const double kNotAPageTime[] = {std::nan(""), -5};
  for (size_t i = 0; i < std::size(kNotAPageTime); ++i) {
    SCOPED_TRACE(kNotAPageTime[i]);
    CommittedFrame top = Navigate("https://a.test/");
    ASSERT_EQ(RendererCount(), i + 1);
    Renderer(i).set_forged_next_timer(kNotAPageTime[i]);
    ipc::PageStep step;
    step.mutable_run_script()->set_source("1");
    absl::StatusOr<ipc::StepResult> result =
        core_->RunPageStep(top.document_token, step, absl::Seconds(5));
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
    std::vector<std::optional<BadMessage>> answers =
        Renderer(i).AwaitAnswers(1, absl::Seconds(5));
    ASSERT_EQ(answers.size(), 1u);
    EXPECT_EQ(answers[0],
              (BadMessage{BadMessageReason::kStepResultBadNextTimer,
                          "next_timer_ms: not a finite, non-negative page "
                          "time"}));
    const RendererHost* host = core_->renderers().at(i);
    EXPECT_TRUE(host->terminated());
    EXPECT_EQ(host->termination_reason(),
              "STEP_RESULT_BAD_NEXT_TIMER: next_timer_ms: not a finite, "
              "non-negative page time");
  }
  std::vector<BadMessageRecord> records = core_->bad_messages();
  ASSERT_EQ(records.size(), 2u);
  for (const BadMessageRecord& record : records)
    EXPECT_EQ(record.reason, BadMessageReason::kStepResultBadNextTimer);
  // Nothing was armed: moving the clock asks the renderers nothing.
  ASSERT_TRUE(core_->AdvanceClock(absl::Seconds(1)).ok());
  EXPECT_EQ(Renderer(0).answers().size(), 1u);
  EXPECT_EQ(Renderer(1).answers().size(), 1u);
}

// HTML "is a secure context", decided by the browser: the document's URL and
// every ancestor's are potentially trustworthy. The renderer is told (so
// fetchLater() is not exposed) and the browser holds every renderer to it:
// fetchLater() or retryOptions from another document is a bad message (the
// renderer is cut off: the next call comes from the site's next renderer),
// while fetch() without retryOptions is allowed.
TEST_F(BrowserCoreScriptTest, SecureContextsAreTheBrowsersDecision) {
  CommittedFrame insecure = Navigate("http://a.test/");
  Iframe(insecure, "https://b.test/");
  absl::SleepFor(absl::Milliseconds(100));  // the fakes read events async
  ASSERT_EQ(Renderer(0).committed().size(), 1u);
  EXPECT_FALSE(Renderer(0).committed()[0].secure_context());
  ASSERT_EQ(Renderer(1).committed().size(), 1u);
  EXPECT_FALSE(Renderer(1).committed()[0].secure_context());  // ancestor

  auto message = [&](uint64_t client_id) {
    ipc::FetchLaterRequest m;
    m.set_document_token(insecure.document_token);
    m.set_method("GET");
    m.set_url("https://c.test/beacon");
    m.set_total_request_length(m.url().size());
    m.set_client_id(client_id);
    return m;
  };
  RendererHost* host = core_->AuthenticateRenderer(insecure.renderer_token);
  ASSERT_NE(host, nullptr);
  BadMessageOr<ipc::FetchLaterResponse> later =
      core_->FetchLater(*host, message(1));
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(later.bad_message(),
            (BadMessage{BadMessageReason::kFetchLaterNotSecureContext,
                        "document_token: fetchLater() from a non-secure "
                        "context"}));
  EXPECT_TRUE(host->terminated());

  insecure = Navigate("http://a.test/");
  host = core_->AuthenticateRenderer(insecure.renderer_token);
  ASSERT_NE(host, nullptr);
  ipc::FetchRequest fetch;
  fetch.set_document_token(insecure.document_token);
  fetch.set_method("GET");
  fetch.set_url("https://c.test/beacon");
  fetch.set_client_id(2);
  fetch.mutable_retry_options()->set_max_attempts(1);
  BadMessageOr<ipc::FetchAccepted> retrying = core_->Fetch(*host, fetch);
  ASSERT_FALSE(retrying.ok());
  EXPECT_EQ(
      retrying.bad_message(),
      (BadMessage{BadMessageReason::kFetchLaterRetryOptionsNotSecureContext,
                  "retry_options: [SecureContext], the document is not one"}));
  EXPECT_TRUE(host->terminated());
  EXPECT_EQ(core_->bad_messages().size(), 2u);

  insecure = Navigate("http://a.test/");
  host = core_->AuthenticateRenderer(insecure.renderer_token);
  ASSERT_NE(host, nullptr);
  fetch.set_document_token(insecure.document_token);
  fetch.clear_retry_options();
  BadMessageOr<ipc::FetchAccepted> sent = core_->Fetch(*host, fetch);
  ASSERT_TRUE(sent.ok()) << sent.bad_message();
  EXPECT_EQ(network_.sent().size(), 1u);  // fetch(): sent before the answer
  EXPECT_FALSE(host->terminated());

  Navigate("https://a.test/");  // another site: another renderer
  absl::SleepFor(absl::Milliseconds(100));
  FakeScriptRenderer& secure = Renderer(RendererCount() - 1);
  ASSERT_EQ(secure.committed().size(), 1u);
  EXPECT_TRUE(secure.committed()[0].secure_context());
}

// A browser on the real clock (the shell's --real-time) runs page timers from
// its own timer thread when they come due: nothing has to move a clock.
TEST(BrowserCoreScriptRealTimeTest, PageTimersRunOnTheWallClock) {
  net::RecordingNetworkStage network;
  net::RealClock clock;
  std::unique_ptr<BrowserCore> core;
  absl::Mutex mu;
  std::vector<std::unique_ptr<FakeScriptRenderer>> renderers;
  BrowserCore::Options options;
  options.network_stage = &network;
  options.clock = &clock;
  options.on_renderer_created = [&](const RendererHost& host) {
    absl::MutexLock lock(&mu);
    renderers.push_back(std::make_unique<FakeScriptRenderer>(
        core.get(), const_cast<RendererHost*>(&host)));
  };
  core = std::make_unique<BrowserCore>(options);
  NavigableId tab = core->CreateTab();
  absl::StatusOr<CommittedFrame> top =
      core->Navigate(tab, NavigationParams{U("https://a.test/")});
  ASSERT_TRUE(top.ok());
  ipc::PageStep step;
  step.mutable_run_script()->set_source("timer 50");
  ASSERT_TRUE(
      core->RunPageStep(top->document_token, step, absl::Seconds(5)).ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  bool fired = false;
  while (!fired && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    absl::MutexLock lock(&mu);
    for (const std::string& line : renderers.at(0)->log())
      fired |= absl::StrContains(line, "timer@");
  }
  EXPECT_TRUE(fired);
  {
    absl::MutexLock lock(&mu);
    renderers.clear();
  }
  core.reset();
}

}  // namespace
}  // namespace fetch_later::browser
