#include "browser/browser_core.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "browser/deferred_fetch_quota.h"
#include "browser/fetch_later_request_validator.h"
#include "net/referrer.h"
#include "net/site.h"

namespace fetch_later::browser {
namespace {

// Site-per-process: the renderer a document belongs to. A sandboxed document's
// opaque origin is hosted with the site of its URL, as Chromium does.
std::string SiteFor(const net::Url& url, const net::Origin& origin) {
  net::Origin site_origin = origin.opaque() ? net::Origin::Create(url) : origin;
  if (site_origin.opaque())
    return "opaque:" + url.Serialize();
  return net::SchemefulSite::Create(site_origin).Serialize();
}

ipc::LifecycleEvent PageTransition(const char* type, bool persisted) {
  ipc::LifecycleEvent event;
  event.set_page_transition(type);
  event.set_persisted(persisted);
  return event;
}

ipc::LifecycleEvent VisibilityChange(bool hidden) {
  ipc::LifecycleEvent event;
  event.set_visibility_hidden(hidden);
  return event;
}

// HTML "unload a document": pagehide (persisted when the document is kept in
// the bfcache), then "update the visibility state" to hidden.
std::vector<ipc::LifecycleEvent> UnloadEvents(bool persisted) {
  return {PageTransition("pagehide", persisted), VisibilityChange(true)};
}

// Why the script report exists, for its `cause`.
std::string CauseOf(const ipc::PageStep& step) {
  if (step.has_lifecycle()) {
    std::string cause;
    for (const ipc::LifecycleEvent& e : step.lifecycle().events()) {
      absl::StrAppend(
          &cause, cause.empty() ? "" : "+",
          e.has_page_transition() ? e.page_transition() : "visibilitychange");
    }
    return cause;
  }
  return step.run_timers() ? "timers" : "step";
}

}  // namespace

BrowserCore::BrowserCore(Options options)
    : options_(std::move(options)),
      frame_tree_(std::make_unique<FrameTree>(this, options_.clock)),
      page_clock_start_(options_.clock->Now()) {
  if (options_.fake_clock == nullptr)
    timer_thread_ = std::thread([this] { TimerLoop(); });
}

void BrowserCore::TimerLoop() {
  absl::MutexLock lock(&timer_mu_);
  while (!stopping_) {
    std::optional<absl::Time> deadline = frame_tree_->NextTimerDeadline();
    timer_mu_.Unlock();
    if (std::optional<double> page_timer = NextScriptTimerMs()) {
      const absl::Time at = page_clock_start_ + absl::Milliseconds(*page_timer);
      deadline = deadline ? std::min(*deadline, at) : at;
    }
    timer_mu_.Lock();
    auto woken = [this]() ABSL_SHARED_LOCKS_REQUIRED(timer_mu_) {
      return timer_wakeup_ || stopping_;
    };
    if (!deadline) {
      timer_mu_.Await(absl::Condition(&woken));
    } else if (*deadline > options_.clock->Now()) {
      timer_mu_.AwaitWithDeadline(absl::Condition(&woken), *deadline);
    }
    timer_wakeup_ = false;
    if (stopping_)
      break;
    timer_mu_.Unlock();
    frame_tree_->ProcessDueDeferredFetches();
    RunDueScriptTimers();
    timer_mu_.Lock();
  }
}

void BrowserCore::WakeTimerThread() {
  absl::MutexLock lock(&timer_mu_);
  timer_wakeup_ = true;
}

BrowserCore::~BrowserCore() {
  {
    absl::MutexLock lock(&timer_mu_);
    stopping_ = true;
  }
  if (timer_thread_.joinable())
    timer_thread_.join();
  // Destroying the tree terminates every fetch group: pending fetches go to the
  // network stage while `this` is still whole.
  frame_tree_.reset();
}

NavigableId BrowserCore::CreateTab() {
  return frame_tree_->CreateTopLevelTraversable();
}

absl::StatusOr<CommittedFrame> BrowserCore::Committed(NavigableId navigable,
                                                      DocumentId document) {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(document);
  if (it == documents_.end()) {
    return absl::InternalError(
        absl::StrCat("document ", document.value(), " has no renderer"));
  }
  const HostedDocument& hosted = it->second;
  return CommittedFrame{navigable,         document,
                        hosted.token,      hosted.host->site(),
                        hosted.host->id(), hosted.host->launch_token()};
}

absl::StatusOr<CommittedFrame> BrowserCore::Navigate(
    NavigableId navigable,
    const NavigationParams& params) {
  // The old document (and those inside it) unload first; their pagehide
  // listeners may still queue deferred fetches.
  FireLifecycleEventsUnder(navigable, UnloadEvents(params.enter_bfcache));
  absl::StatusOr<DocumentId> document =
      frame_tree_->Navigate(navigable, params);
  if (!document.ok())
    return document.status();
  return Committed(navigable, *document);
}

absl::StatusOr<CommittedFrame> BrowserCore::CreateIframe(
    const std::string& parent_token,
    const IframeParams& params) {
  absl::StatusOr<DocumentId> parent = DocumentForToken(parent_token);
  if (!parent.ok())
    return parent.status();
  absl::StatusOr<NavigableId> navigable =
      frame_tree_->CreateIframe(*parent, params);
  if (!navigable.ok())
    return navigable.status();
  absl::StatusOr<DocumentId> document = frame_tree_->ActiveDocument(*navigable);
  if (!document.ok())
    return document.status();
  return Committed(*navigable, *document);
}

absl::Status BrowserCore::RemoveIframe(NavigableId navigable) {
  FireLifecycleEventsUnder(navigable, UnloadEvents(/*persisted=*/false));
  return frame_tree_->RemoveIframe(navigable);
}

absl::StatusOr<CommittedFrame> BrowserCore::RestoreFromBfcache(
    NavigableId navigable) {
  absl::StatusOr<DocumentId> document =
      frame_tree_->RestoreFromBfcache(navigable);
  if (!document.ok())
    return document.status();
  // HTML "reactivate" / "update document for history step application": the
  // visibility state becomes visible, then pageshow with persisted true.
  FireLifecycleEventsUnder(
      navigable, {VisibilityChange(false), PageTransition("pageshow", true)});
  return Committed(navigable, *document);
}

absl::Status BrowserCore::SetHidden(NavigableId navigable, bool hidden) {
  absl::Status status = frame_tree_->SetHidden(navigable, hidden);
  if (hidden)
    WakeTimerThread();  // a visibility timer may now be the earliest
  if (status.ok())
    FireLifecycleEventsUnder(navigable, {VisibilityChange(hidden)});
  return status;
}

absl::Status BrowserCore::CloseTab(NavigableId navigable) {
  FireLifecycleEventsUnder(navigable, UnloadEvents(/*persisted=*/false));
  return frame_tree_->CloseTopLevelTraversable(navigable);
}

absl::Status BrowserCore::AdvanceClock(absl::Duration by) {
  if (options_.fake_clock == nullptr) {
    return absl::FailedPreconditionError("this browser runs on real time");
  }
  if (by < absl::ZeroDuration())
    return absl::InvalidArgumentError("time cannot go back");
  // Browser timers (activateAfter) and page timers (setTimeout) run in time
  // order: the clock stops at each page timer on the way.
  const absl::Time target = options_.fake_clock->Now() + by;
  // A page that keeps re-arming a 0 ms timer cannot hold the clock forever.
  constexpr int kMaxStops = 10000;
  for (int stops = 0; stops < kMaxStops; ++stops) {
    std::optional<double> next = NextScriptTimerMs();
    if (!next)
      break;
    const absl::Time at = page_clock_start_ + absl::Milliseconds(*next);
    if (at > target)
      break;
    if (at > options_.fake_clock->Now())
      options_.fake_clock->Advance(at - options_.fake_clock->Now());
    RunDueTimers();
    RunDueScriptTimers();
  }
  if (target > options_.fake_clock->Now())
    options_.fake_clock->Advance(target - options_.fake_clock->Now());
  RunDueTimers();
  RunDueScriptTimers();
  return absl::OkStatus();
}

void BrowserCore::RunDueTimers() {
  frame_tree_->ProcessDueDeferredFetches();
}

absl::StatusOr<DocumentId> BrowserCore::DocumentForToken(
    const std::string& token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_by_token_.find(token);
  if (it == documents_by_token_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no document with token \"", token, "\""));
  }
  return it->second;
}

absl::StatusOr<int64_t> BrowserCore::AvailableQuota(
    const std::string& token,
    const std::optional<net::Origin>& origin) {
  absl::StatusOr<DocumentId> document = DocumentForToken(token);
  if (!document.ok())
    return document.status();
  return frame_tree_->AvailableQuota(*document, origin);
}

RendererHost* BrowserCore::AuthenticateRenderer(absl::string_view token) {
  absl::MutexLock lock(&mu_);
  auto it = hosts_by_token_.find(std::string(token));
  if (it == hosts_by_token_.end() || it->second->terminated())
    return nullptr;
  return it->second;
}

std::optional<std::pair<DocumentId, std::shared_ptr<const ClientFacts>>>
BrowserCore::HostedBy(RendererHost& renderer, const std::string& token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_by_token_.find(token);
  if (it == documents_by_token_.end())
    return std::nullopt;
  const HostedDocument& hosted = documents_.at(it->second);
  if (hosted.host != &renderer)
    return std::nullopt;
  return std::make_pair(it->second, hosted.facts);
}

absl::StatusOr<ipc::FetchLaterResponse> BrowserCore::FetchLater(
    RendererHost& renderer,
    const ipc::FetchLaterRequest& message) {
  auto hosted = HostedBy(renderer, message.document_token());
  if (!hosted) {
    return absl::InvalidArgumentError(
        "document_token: not a document this renderer hosts");
  }
  const DocumentId* document = &hosted->first;
  absl::StatusOr<ValidatedFetchLater> validated =
      ValidateFetchLaterRequest(message, *hosted->second);
  if (!validated.ok())
    return validated.status();
  // fetchLater() and retryOptions are [SecureContext]: a renderer cannot reach
  // them from any other document.
  if (!hosted->second->secure_context &&
      (!message.send_now() || message.has_retry_options())) {
    return absl::InvalidArgumentError(
        message.send_now()
            ? "retry_options: [SecureContext], the document is not one"
            : "document_token: fetchLater() from a non-secure context");
  }
  if (message.send_now() && validated->activate_after != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "send_now: a fetch() must have activate_after_ms 0");
  }
  if (renderer.FindFetch(message.document_token(), message.client_id())) {
    return absl::InvalidArgumentError(
        "client_id: already used in this document");
  }

  // Only built when there is a log: the call path stays as it was otherwise.
  std::string logged_url;
  if (options_.net_log != nullptr)
    logged_url = validated->request.url.Serialize();
  absl::StatusOr<FetchLaterDecision> decision = frame_tree_->QueueDeferredFetch(
      *document, std::move(validated->request), validated->activate_after);
  if (!decision.ok()) {
    // The document was destroyed between the lookup and the queueing: not fully
    // active.
    ipc::FetchLaterResponse response;
    response.set_outcome(ipc::NOT_FULLY_ACTIVE);
    return response;
  }
  ipc::FetchLaterResponse response;
  response.set_quota(static_cast<uint64_t>(decision->quota));
  response.set_requested(static_cast<uint64_t>(decision->requested));
  if (options_.net_log != nullptr) {
    std::map<std::string, std::string> fields = {
        {"document", absl::StrCat(document->value())},
        {"url", std::move(logged_url)},
        {"method", message.method()},
        {"quota", absl::StrCat(decision->quota)},
        {"requested", absl::StrCat(decision->requested)}};
    if (decision->outcome == FetchLaterOutcome::kQueued) {
      fields["id"] = absl::StrCat(decision->id.value());
      if (message.has_activate_after_ms())
        fields["activate_after_ms"] = absl::StrCat(message.activate_after_ms());
      Log("record.queued", std::move(fields));
    } else if (decision->outcome == FetchLaterOutcome::kQuotaExceeded) {
      Log("quota.denied", std::move(fields));
    }
  }
  switch (decision->outcome) {
    case FetchLaterOutcome::kQueued:
      response.set_outcome(ipc::QUEUED);
      renderer.AddFetch(message.document_token(), message.client_id(),
                        decision->id);
      if (message.send_now()) {
        // fetch(): its 0 ms timer is due now; send it before answering.
        RunDueTimers();
      } else if (message.has_activate_after_ms()) {
        WakeTimerThread();
      }
      break;
    case FetchLaterOutcome::kNotFullyActive:
      response.set_outcome(ipc::NOT_FULLY_ACTIVE);
      break;
    case FetchLaterOutcome::kQuotaExceeded:
      response.set_outcome(ipc::QUOTA_EXCEEDED);
      break;
  }
  return response;
}

absl::StatusOr<ipc::QueryQuotaResponse> BrowserCore::QueryQuota(
    RendererHost& renderer,
    const ipc::QueryQuotaRequest& message) {
  std::optional<DocumentId> document =
      renderer.FindDocument(message.document_token());
  if (!document) {
    return absl::InvalidArgumentError(
        "document_token: not a document this renderer hosts");
  }
  absl::StatusOr<net::Url> url = ValidateFetchLaterUrl(message.url());
  if (!url.ok())
    return url.status();
  ipc::QueryQuotaResponse response;
  absl::StatusOr<bool> fully_active = frame_tree_->IsFullyActive(*document);
  if (!fully_active.ok() || !*fully_active) {
    response.set_outcome(ipc::NOT_FULLY_ACTIVE);
    return response;
  }
  absl::StatusOr<int64_t> quota =
      frame_tree_->AvailableQuota(*document, net::Origin::Create(*url));
  response.set_outcome(ipc::QUOTA_EXCEEDED);
  response.set_quota(quota.ok() ? static_cast<uint64_t>(*quota) : 0);
  return response;
}

absl::StatusOr<ipc::AbortFetchLaterResponse> BrowserCore::AbortFetchLater(
    RendererHost& renderer,
    const ipc::AbortFetchLaterRequest& message) {
  if (!renderer.FindDocument(message.document_token())) {
    return absl::InvalidArgumentError(
        "document_token: not a document this renderer hosts");
  }
  ipc::AbortFetchLaterResponse response;
  std::optional<DeferredFetchId> id =
      renderer.FindFetch(message.document_token(), message.client_id());
  // Unknown ids are not bad messages: the fetch may have been sent (and
  // forgotten) before the renderer's abort arrived.
  if (id && frame_tree_->AbortDeferredFetch(*id).ok()) {
    response.set_was_pending(true);
    renderer.TakeFetch(*id);
    Log("record.aborted", {{"id", absl::StrCat(id->value())}});
  }
  return response;
}

void BrowserCore::ReportBadMessage(RendererHost& renderer,
                                   const std::string& reason) {
  {
    absl::MutexLock lock(&mu_);
    bad_messages_.push_back(BadMessageRecord{renderer.id(), renderer.site(),
                                             reason, options_.clock->Now()});
  }
  Log("renderer.bad_message",
      {{"renderer", absl::StrCat(renderer.id().value())},
       {"site", renderer.site()},
       {"reason", reason}});
  CutOff(renderer, reason);
}

void BrowserCore::OnRendererDisconnected(RendererHost& renderer) {
  CutOff(renderer, "");
}

void BrowserCore::CutOff(RendererHost& renderer, const std::string& reason) {
  if (renderer.terminated())
    return;
  renderer.Terminate(reason);
  Log("renderer.killed",
      {{"renderer", absl::StrCat(renderer.id().value())},
       {"site", renderer.site()},
       {"reason", reason.empty() ? "disconnected" : reason}});
  std::vector<DocumentId> documents;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, hosted] : documents_) {
      if (hosted.host == &renderer)
        documents.push_back(id);
    }
  }
  // Crash semantics: destroyed documents send their pending deferred fetches.
  for (DocumentId id : documents)
    frame_tree_->CrashDocument(id);
  if (options_.on_renderer_terminated)
    options_.on_renderer_terminated(renderer);
}

absl::Status BrowserCore::ReportStepResult(RendererHost& renderer,
                                           const ipc::StepResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = pending_steps_.find(result.step_id());
  if (it == pending_steps_.end() || it->second.host != &renderer ||
      it->second.result.has_value()) {
    return absl::InvalidArgumentError(
        "step_id: not a step given to this renderer");
  }
  // The browser's clock stops at this time (AdvanceClock): it must be one.
  if (result.has_next_timer_ms() &&
      !(std::isfinite(result.next_timer_ms()) && result.next_timer_ms() >= 0)) {
    return absl::InvalidArgumentError(
        "next_timer_ms: not a finite, non-negative page time");
  }
  it->second.result = result;
  return absl::OkStatus();
}

double BrowserCore::PageTimeMs() const {
  return absl::ToDoubleMilliseconds(options_.clock->Now() - page_clock_start_);
}

absl::StatusOr<RendererHost*> BrowserCore::HostOfLocked(
    const std::string& token) {
  auto it = documents_by_token_.find(token);
  if (it == documents_by_token_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no document with token \"", token, "\""));
  }
  return documents_.at(it->second).host;
}

absl::StatusOr<ipc::StepResult> BrowserCore::RunPageStep(
    const std::string& document_token,
    ipc::PageStep step,
    absl::Duration timeout) {
  step.set_page_time_ms(PageTimeMs());
  RendererHost* host = nullptr;
  uint64_t step_id = 0;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<RendererHost*> found = HostOfLocked(document_token);
    if (!found.ok())
      return found.status();
    host = *found;
    step_id = next_step_id_++;
    pending_steps_[step_id] = PendingStep{host, std::nullopt};
    if (step.has_run_script())
      scripted_.try_emplace(document_token);
  }
  ipc::RendererEvent event;
  ipc::RunPageStep* run = event.mutable_run_page_step();
  run->set_step_id(step_id);
  run->set_document_token(document_token);
  *run->mutable_step() = std::move(step);
  host->PushEvent(std::move(event));

  std::optional<ipc::StepResult> result;
  bool timer_armed = false;
  {
    absl::MutexLock lock(&mu_);
    auto answered = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return pending_steps_.at(step_id).result.has_value() ||
             host->terminated();
    };
    mu_.AwaitWithTimeout(absl::Condition(&answered), timeout);
    result = std::move(pending_steps_.at(step_id).result);
    pending_steps_.erase(step_id);
    // The document's next page timer, as its renderer last said (none when it
    // did not answer: the browser does not poll a silent renderer).
    if (auto scripted = scripted_.find(document_token);
        scripted != scripted_.end()) {
      scripted->second.reset();
      if (result && result->has_next_timer_ms()) {
        scripted->second = result->next_timer_ms();
        timer_armed = true;
      }
    }
  }
  // A real-clock browser's timer thread sleeps until the earliest deadline,
  // which this timer may now be.
  if (timer_armed && options_.fake_clock == nullptr)
    WakeTimerThread();
  if (result)
    return *std::move(result);
  if (host->terminated()) {
    return absl::UnavailableError(
        absl::StrCat("the renderer for ", host->site(), " is gone"));
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "the renderer for ", host->site(), " did not run the step in time"));
}

absl::Status BrowserCore::CrashRenderer(const std::string& document_token,
                                        absl::Duration timeout) {
  RendererHost* host = nullptr;
  {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<RendererHost*> found = HostOfLocked(document_token);
    if (!found.ok())
      return found.status();
    host = *found;
  }
  if (!options_.kill_renderer || !options_.kill_renderer(*host)) {
    CutOff(*host, "");
    return absl::OkStatus();
  }
  // The killed process's event stream ends; the browser then destroys its
  // documents (OnRendererDisconnected). Wait for that.
  absl::MutexLock lock(&mu_);
  auto gone = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const auto& [id, hosted] : documents_) {
      if (hosted.host == host)
        return false;
    }
    return true;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&gone), timeout)) {
    return absl::DeadlineExceededError(
        "the killed renderer's documents remain");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> BrowserCore::Drain(absl::Duration timeout) {
  if (!options_.drain_network)
    return true;
  return options_.drain_network(timeout);
}

void BrowserCore::FireLifecycleEventsUnder(
    NavigableId navigable,
    const std::vector<ipc::LifecycleEvent>& events) {
  absl::StatusOr<std::vector<DocumentId>> documents =
      frame_tree_->ActiveDocumentsForUnload(navigable);
  if (documents.ok())
    FireLifecycleEvents(*documents, events);
}

void BrowserCore::FireLifecycleEvents(
    const std::vector<DocumentId>& documents,
    const std::vector<ipc::LifecycleEvent>& events) {
  std::vector<std::string> tokens;
  {
    absl::MutexLock lock(&mu_);
    for (DocumentId id : documents) {
      auto it = documents_.find(id);
      // Only documents that ran script have listeners to run.
      if (it != documents_.end() && scripted_.contains(it->second.token))
        tokens.push_back(it->second.token);
    }
  }
  ipc::PageStep step;
  for (const ipc::LifecycleEvent& event : events)
    *step.mutable_lifecycle()->add_events() = event;
  for (const std::string& token : tokens) {
    AddScriptReport(token, CauseOf(step),
                    RunPageStep(token, step, options_.script_task_timeout));
  }
}

std::optional<double> BrowserCore::NextScriptTimerMs() {
  absl::MutexLock lock(&mu_);
  std::optional<double> earliest;
  for (const auto& [token, next] : scripted_) {
    if (next && (!earliest || *next < *earliest))
      earliest = next;
  }
  return earliest;
}

void BrowserCore::RunDueScriptTimers() {
  const double now = PageTimeMs();
  std::vector<std::string> due;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [token, next] : scripted_) {
      if (next && *next <= now)
        due.push_back(token);
    }
  }
  std::sort(due.begin(), due.end());  // a stable order between documents
  ipc::PageStep step;
  step.set_run_timers(true);
  for (const std::string& token : due) {
    AddScriptReport(token, "timers",
                    RunPageStep(token, step, options_.script_task_timeout));
  }
}

void BrowserCore::AddScriptReport(
    const std::string& token,
    std::string cause,
    const absl::StatusOr<ipc::StepResult>& result) {
  ipc::ScriptReport report;
  report.set_document_token(token);
  report.set_cause(std::move(cause));
  if (result.ok()) {
    *report.mutable_result() = *result;
    // What a renderer reports is kept until the driver takes it: bounded.
    constexpr int kMaxLines = 200;
    ipc::StepResult* kept = report.mutable_result();
    if (kept->console_size() > kMaxLines) {
      kept->mutable_console()->DeleteSubrange(kMaxLines,
                                              kept->console_size() - kMaxLines);
      kept->add_console("(console output truncated)");
    }
    if (kept->errors_size() > kMaxLines) {
      kept->mutable_errors()->DeleteSubrange(kMaxLines,
                                             kept->errors_size() - kMaxLines);
    }
  } else {
    // The renderer did not answer (gone, or too slow): say so; nothing waits.
    report.mutable_result()->set_outcome(ipc::JS_OTHER_ERROR);
    report.mutable_result()->set_message(
        std::string(result.status().message()));
  }
  absl::MutexLock lock(&mu_);
  script_reports_.push_back(std::move(report));
  while (script_reports_.size() > kMaxScriptReports)
    script_reports_.pop_front();
}

std::vector<ipc::ScriptReport> BrowserCore::TakeScriptReports() {
  absl::MutexLock lock(&mu_);
  std::vector<ipc::ScriptReport> out(
      std::make_move_iterator(script_reports_.begin()),
      std::make_move_iterator(script_reports_.end()));
  script_reports_.clear();
  return out;
}

void BrowserCore::CloseAllTabs() {
  for (NavigableId tab : frame_tree_->TopLevelTraversables())
    (void)frame_tree_->CloseTopLevelTraversable(tab);
}

std::vector<BadMessageRecord> BrowserCore::bad_messages() {
  absl::MutexLock lock(&mu_);
  return bad_messages_;
}

absl::flat_hash_map<DocumentId, const RendererHost*>
BrowserCore::DocumentRenderers() {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<DocumentId, const RendererHost*> out;
  for (const auto& [id, hosted] : documents_)
    out.emplace(id, hosted.host);
  return out;
}

void BrowserCore::Log(const std::string& type,
                      std::map<std::string, std::string> fields) {
  if (options_.net_log != nullptr)
    options_.net_log->AddEvent(type, std::move(fields));
}

std::vector<const RendererHost*> BrowserCore::renderers() {
  absl::MutexLock lock(&mu_);
  std::vector<const RendererHost*> out;
  for (const auto& host : hosts_)
    out.push_back(host.get());
  return out;
}

void BrowserCore::OnDeferredFetchProcessed(
    const ProcessedDeferredFetch& fetch) {
  if (options_.net_log != nullptr) {
    Log(fetch.notify_invoked ? "record.activated"
                             : "record.sent_on_termination",
        {{"id", absl::StrCat(fetch.id.value())},
         {"document", absl::StrCat(fetch.document.value())},
         {"method", fetch.request.method},
         {"url", fetch.request.url.Serialize()}});
  }
  // Fetch: "process a deferred fetch" step 3: hand the request to the network.
  // The request kept its URL serialised (without the fragment, which is never
  // sent); the network stage takes it parsed. A URL's serialisation always
  // parses back to that URL (one that did not could not be sent anyway).
  absl::StatusOr<net::Url> url = absl::FailedPreconditionError("no stage");
  if (options_.network_stage != nullptr)
    url = fetch.request.url.Parse();
  if (url.ok()) {
    std::vector<std::pair<std::string, std::string>> headers =
        fetch.request.headers;
    if (!fetch.request.referer_header.empty())
      headers.emplace_back("Referer", fetch.request.referer_header);
    net::OutgoingRequest out{fetch.id.value(),
                             fetch.request.method,
                             *std::move(url),
                             std::move(headers),
                             fetch.request.body,
                             fetch.network_isolation_key,
                             fetch.request.retry_options,
                             /*initiator_gone=*/!fetch.notify_invoked};
    if (fetch.notify_invoked && fetch.request.retry_options) {
      absl::MutexLock lock(&mu_);
      retrying_while_alive_[fetch.document].push_back(fetch.id.value());
    }
    options_.network_stage->Send(std::move(out));
  }
  // Step 4: "notify invoked" sets FetchLaterResult.activated in the renderer.
  RendererHost* host = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = documents_.find(fetch.document);
    if (it != documents_.end())
      host = it->second.host;
  }
  if (host == nullptr)
    return;
  std::optional<std::pair<std::string, uint64_t>> key =
      host->TakeFetch(fetch.id);
  if (key && fetch.notify_invoked) {
    ipc::RendererEvent event;
    event.mutable_activated()->set_document_token(key->first);
    event.mutable_activated()->set_client_id(key->second);
    host->PushEvent(std::move(event));
  }
}

void BrowserCore::OnDocumentStateChanged(const DocumentStateChange& change) {
  RendererHost* created_host = nullptr;
  bool became_active = false, became_inactive = false;
  std::vector<uint64_t> initiator_gone;
  {
    absl::MutexLock lock(&mu_);
    if (change.created) {
      const std::string site = SiteFor(*change.url, *change.origin);
      RendererHost*& host = hosts_by_site_[site];
      if (host == nullptr || host->terminated()) {
        // A new renderer for this site (the old one, if any, was cut off).
        hosts_.push_back(std::make_unique<RendererHost>(
            RendererId(next_renderer_id_++), site, NewUnguessableToken()));
        host = hosts_.back().get();
        hosts_by_token_[host->launch_token()] = host;
        created_host = host;
      }
      auto facts = std::make_shared<ClientFacts>(
          ClientFacts{*change.origin, std::nullopt, change.secure_context});
      // "client" as a referrer source: the document's URL, unless its origin
      // is opaque. Stripped once here rather than on every call.
      if (!change.origin->opaque())
        facts->client_referrer = net::StripReferrerSource(*change.url);
      HostedDocument hosted{host, NewUnguessableToken(), std::move(facts)};
      documents_by_token_[hosted.token] = change.document;
      host->AddDocument(hosted.token, change.document);
      ipc::RendererEvent event;
      auto* committed = event.mutable_document_committed();
      committed->set_document_token(hosted.token);
      committed->set_url(change.url->Serialize());
      committed->set_origin(change.origin->Serialize());
      committed->set_hidden(change.hidden);
      committed->set_secure_context(change.secure_context);
      for (const std::string& feature : change.allowed_features)
        committed->add_allowed_features(feature);
      host->PushEvent(std::move(event));
      documents_.emplace(change.document, std::move(hosted));
    } else {
      auto it = documents_.find(change.document);
      if (it != documents_.end()) {
        ipc::RendererEvent event;
        auto* state = event.mutable_document_state_changed();
        state->set_document_token(it->second.token);
        state->set_fully_active(change.fully_active);
        state->set_destroyed(change.destroyed);
        it->second.host->PushEvent(std::move(event));
        if (change.destroyed) {
          auto retrying = retrying_while_alive_.find(change.document);
          if (retrying != retrying_while_alive_.end()) {
            initiator_gone = std::move(retrying->second);
            retrying_while_alive_.erase(retrying);
          }
          it->second.host->RemoveDocument(it->second.token);
          scripted_.erase(it->second.token);
          documents_by_token_.erase(it->second.token);
          documents_.erase(it);
        }
      }
    }
    // The network stage's retry gate counts fully active documents per key.
    if (change.fully_active && fully_active_.insert(change.document).second) {
      became_active = true;
    } else if (!change.fully_active &&
               fully_active_.erase(change.document) > 0) {
      became_inactive = true;
    }
  }
  if (options_.network_stage != nullptr) {
    if (became_active)
      options_.network_stage->OnDocumentActive(change.network_isolation_key);
    if (became_inactive) {
      options_.network_stage->OnDocumentInactive(change.network_isolation_key);
    }
    for (uint64_t id : initiator_gone)
      options_.network_stage->OnInitiatorGone(id);
  }
  if (options_.net_log != nullptr) {
    if (change.created) {
      Log("document.created",
          {{"document", absl::StrCat(change.document.value())},
           {"url", change.url->Serialize()},
           {"origin", change.origin->Serialize()}});
    } else if (change.destroyed) {
      Log("document.destroyed",
          {{"document", absl::StrCat(change.document.value())}});
    }
  }
  if (created_host != nullptr && options_.on_renderer_created) {
    options_.on_renderer_created(*created_host);
  }
}

}  // namespace fetch_later::browser
