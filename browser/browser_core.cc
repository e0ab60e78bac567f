#include "browser/browser_core.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "browser/fetch_later_request_validator.h"

namespace fetch_later::browser {
namespace {

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

constexpr char kDocumentNotHosted[] =
    "document_token: not a document this renderer hosts";

}  // namespace

BrowserCore::BrowserCore(Options options)
    : options_(std::move(options)),
      network_(options_.network_stage),
      journal_(JournalKeeper::Options{options_.journal, options_.clock,
                                      options_.net_log,
                                      options_.replay_max_age}),
      scripts_(&renderers_,
               PageScriptRunner::Options{
                   options_.clock, options_.script_task_timeout,
                   // Only called once the core is built (a page timer is
                   // armed by a step answered after construction).
                   [this] { timers_.Wake(); }}),
      frame_tree_(std::make_unique<FrameTree>(this, options_.clock)),
      timers_(options_.clock,
              options_.fake_clock,
              frame_tree_.get(),
              &scripts_) {
  if (options_.network_stage != nullptr) {
    options_.network_stage->SetOutcomeObserver(
        [this](const net::RequestOutcome& outcome) {
          OnRequestOutcome(outcome);
        });
  }
}

BrowserCore::~BrowserCore() {
  if (replay_thread_.joinable())
    replay_thread_.join();
  timers_.Stop();
  // Destroying the tree terminates every fetch group: pending fetches go to the
  // network stage (through the sink) while every part is still whole.
  frame_tree_.reset();
  // Waits for a call in progress; none comes afterwards.
  if (options_.network_stage != nullptr)
    options_.network_stage->SetOutcomeObserver(nullptr);
}

void BrowserCore::OnRequestOutcome(const net::RequestOutcome& outcome) {
  journal_.OnRequestOutcome(outcome);
  // CSP "report a violation": a live document's request blocked by its CSP
  // fires `securitypolicyviolation` in its script.
  if (std::optional<NetworkHandoff::Violation> v =
          network_.OnRequestOutcome(outcome)) {
    renderers_.SendSecurityPolicyViolation(v->document, std::move(v->event));
  }
  // A fetch() ended: its promise settles, if its document still lives.
  if (std::optional<FetchRecords::Completion> done =
          fetches_.OnRequestOutcome(outcome)) {
    renderers_.SendFetchCompleted(done->document, std::move(done->event));
  }
}

NavigableId BrowserCore::CreateTab() {
  return frame_tree_->CreateTopLevelTraversable();
}

absl::StatusOr<CommittedFrame> BrowserCore::Navigate(
    NavigableId navigable,
    const NavigationParams& params) {
  // HTML "navigate": the navigation starts (a parent-initiated one reserves
  // deferred-fetch quota now, whatwg/html PR 10903), then the old document
  // (and those inside it) unload; their pagehide listeners may still queue
  // deferred fetches, checked against the new reservation.
  absl::StatusOr<NavigationId> navigation =
      frame_tree_->StartNavigation(navigable, params);
  if (!navigation.ok())
    return navigation.status();
  FireLifecycleEventsUnder(navigable, UnloadEvents(params.enter_bfcache));
  absl::StatusOr<DocumentId> document =
      frame_tree_->CommitNavigation(navigable, *navigation);
  if (!document.ok())
    return document.status();
  // A document committed into a hidden page brings an early-activation
  // deadline ("queue a deferred fetch" step 6.1) the timer thread must see.
  timers_.Wake();
  return renderers_.Committed(navigable, *document);
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
  timers_.Wake();  // as in Navigate(): the page may be hidden
  return renderers_.Committed(*navigable, *document);
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
  return renderers_.Committed(navigable, *document);
}

absl::Status BrowserCore::SetHidden(NavigableId navigable, bool hidden) {
  absl::Status status = frame_tree_->SetHidden(navigable, hidden);
  if (hidden)
    timers_.Wake();  // a visibility timer may now be the earliest
  if (status.ok())
    FireLifecycleEventsUnder(navigable, {VisibilityChange(hidden)});
  return status;
}

absl::Status BrowserCore::CloseTab(NavigableId navigable) {
  FireLifecycleEventsUnder(navigable, UnloadEvents(/*persisted=*/false));
  return frame_tree_->CloseTopLevelTraversable(navigable);
}

absl::Status BrowserCore::AdvanceClock(absl::Duration by) {
  return timers_.AdvanceClock(by);
}

void BrowserCore::RunDueTimers() {
  timers_.RunDueFrameTreeTimers();
}

absl::StatusOr<DocumentId> BrowserCore::DocumentForToken(
    const std::string& token) {
  return renderers_.DocumentForToken(token);
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
  return renderers_.Authenticate(token);
}

BadMessageOr<ipc::FetchLaterResponse> BrowserCore::FetchLater(
    RendererHost& renderer,
    const ipc::FetchLaterRequest& message) {
  std::optional<RendererHostRegistry::Hosted> hosted =
      renderers_.HostedBy(renderer, message.document_token());
  if (!hosted) {
    return ReportBadMessage(renderer,
                            BadMessageReason::kFetchLaterDocumentNotHosted,
                            kDocumentNotHosted);
  }
  BadMessageOr<ValidatedFetchLater> validated =
      ValidateFetchLaterRequest(message, *hosted->facts);
  if (!validated.ok())
    return ReportBadMessage(renderer, validated.bad_message());
  // fetchLater() is [SecureContext]: a renderer cannot reach it from any
  // other document.
  if (!hosted->facts->secure_context) {
    return ReportBadMessage(
        renderer, BadMessageReason::kFetchLaterNotSecureContext,
        "document_token: fetchLater() from a non-secure context");
  }
  if (renderer.FindFetch(message.document_token(), message.client_id())) {
    return ReportBadMessage(renderer,
                            BadMessageReason::kFetchLaterClientIdReused,
                            "client_id: already used in this document");
  }

  // Only built when there is a log: the call path stays as it was otherwise.
  std::string logged_url;
  if (options_.net_log != nullptr)
    logged_url = validated->request.url.Serialize();
  // The journal writes the request as queued, so it keeps a copy (only
  // when there is a journal).
  std::optional<DeferredRequest> journaled;
  std::optional<DeferredFetchClient> client;
  if (journal_.enabled())
    journaled = validated->request;
  absl::StatusOr<FetchLaterDecision> decision = frame_tree_->QueueDeferredFetch(
      hosted->document, std::move(validated->request),
      validated->activate_after, journaled ? &client : nullptr);
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
        {"document", absl::StrCat(hosted->document.value())},
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
      // Written before the renderer hears OK: from here on the request
      // survives the browser's exit and crash.
      if (journaled && client) {
        journal_.OnQueued(decision->id, *journaled, *client,
                          validated->activate_after);
      }
      response.set_outcome(ipc::QUEUED);
      renderer.AddFetch(message.document_token(), message.client_id(),
                        decision->id);
      if (message.has_activate_after_ms())
        timers_.Wake();
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

BadMessageOr<ipc::FetchAccepted> BrowserCore::Fetch(
    RendererHost& renderer,
    const ipc::FetchRequest& message) {
  std::optional<RendererHostRegistry::Hosted> hosted =
      renderers_.HostedBy(renderer, message.document_token());
  if (!hosted) {
    return ReportBadMessage(renderer, BadMessageReason::kFetchDocumentNotHosted,
                            kDocumentNotHosted);
  }
  BadMessageOr<ValidatedFetch> validated =
      ValidateFetchRequest(message, *hosted->facts);
  if (!validated.ok())
    return ReportBadMessage(renderer, validated.bad_message());
  const DeferredRequest& request = validated->request;
  FetchRecords::Started started =
      fetches_.Start(hosted->document, message.client_id(),
                     {validated->keepalive, request.body_length,
                      request.redirect, request.credentials});
  switch (started.outcome) {
    case FetchRecords::StartOutcome::kClientIdInUse:
      return ReportBadMessage(
          renderer, BadMessageReason::kFetchClientIdReused,
          "client_id: names a fetch() of this document in flight");
    case FetchRecords::StartOutcome::kDocumentGone:
      break;  // destroyed meanwhile: nobody is left to tell
    case FetchRecords::StartOutcome::kKeepaliveLimit:
      Log("fetch.keepalive_limit",
          {{"document", absl::StrCat(hosted->document.value())},
           {"url", request.url.Serialize()},
           {"message", started.network_error.network_error().message()}});
      renderers_.SendFetchCompleted(hosted->document,
                                    std::move(started.network_error));
      break;
    case FetchRecords::StartOutcome::kStarted:
      if (options_.net_log != nullptr) {
        Log("fetch.started",
            {{"id", absl::StrCat(started.request_id)},
             {"document", absl::StrCat(hosted->document.value())},
             {"method", request.method},
             {"url", request.url.Serialize()},
             {"keepalive", validated->keepalive ? "true" : "false"}});
      }
      network_.SendFetch(started.request_id, hosted->document, *hosted->facts,
                         request);
      break;
  }
  return ipc::FetchAccepted();
}

BadMessageOr<ipc::AbortFetchResponse> BrowserCore::AbortFetch(
    RendererHost& renderer,
    const ipc::AbortFetchRequest& message) {
  std::optional<DocumentId> document =
      renderer.FindDocument(message.document_token());
  if (!document) {
    return ReportBadMessage(renderer,
                            BadMessageReason::kAbortFetchDocumentNotHosted,
                            kDocumentNotHosted);
  }
  ipc::AbortFetchResponse response;
  // Unknown ids are not bad messages: the fetch may have ended before the
  // renderer's abort arrived.
  if (std::optional<uint64_t> id =
          fetches_.Abort(*document, message.client_id())) {
    response.set_was_in_flight(true);
    Log("fetch.terminated", {{"id", absl::StrCat(*id)}, {"reason", "aborted"}});
    network_.Cancel(*id);
  }
  return response;
}

BadMessageOr<ipc::QueryQuotaResponse> BrowserCore::QueryQuota(
    RendererHost& renderer,
    const ipc::QueryQuotaRequest& message) {
  std::optional<DocumentId> document =
      renderer.FindDocument(message.document_token());
  if (!document) {
    return ReportBadMessage(renderer,
                            BadMessageReason::kQueryQuotaDocumentNotHosted,
                            kDocumentNotHosted);
  }
  BadMessageOr<net::Url> url = ValidateFetchLaterUrl(message.url());
  if (!url.ok())
    return ReportBadMessage(renderer, url.bad_message());
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

BadMessageOr<ipc::AbortFetchLaterResponse> BrowserCore::AbortFetchLater(
    RendererHost& renderer,
    const ipc::AbortFetchLaterRequest& message) {
  if (!renderer.FindDocument(message.document_token())) {
    return ReportBadMessage(renderer,
                            BadMessageReason::kAbortFetchLaterDocumentNotHosted,
                            kDocumentNotHosted);
  }
  ipc::AbortFetchLaterResponse response;
  std::optional<DeferredFetchId> id =
      renderer.FindFetch(message.document_token(), message.client_id());
  // Unknown ids are not bad messages: the fetch may have been sent (and
  // forgotten) before the renderer's abort arrived.
  if (id && frame_tree_->AbortDeferredFetch(*id).ok()) {
    response.set_was_pending(true);
    renderer.TakeFetch(*id);
    journal_.OnAborted(*id);
    Log("record.aborted", {{"id", absl::StrCat(id->value())}});
  }
  return response;
}

std::optional<BadMessage> BrowserCore::ReportStepResult(
    RendererHost& renderer,
    const ipc::StepResult& result) {
  std::optional<BadMessage> bad = scripts_.ReportStepResult(renderer, result);
  if (bad)
    return ReportBadMessage(renderer, *std::move(bad));
  return std::nullopt;
}

BadMessage BrowserCore::ReportBadMessage(RendererHost& renderer,
                                         BadMessageReason reason,
                                         std::string detail) {
  return ReportBadMessage(renderer, BadMessage{reason, std::move(detail)});
}

BadMessage BrowserCore::ReportBadMessage(RendererHost& renderer,
                                         BadMessage bad) {
  renderers_.RecordBadMessage(BadMessageRecord{renderer.id(), renderer.site(),
                                               bad.reason, bad.detail,
                                               options_.clock->Now()});
  Log("renderer.bad_message",
      {{"renderer", absl::StrCat(renderer.id().value())},
       {"site", renderer.site()},
       {"reason", std::string(BadMessageReasonName(bad.reason))},
       {"detail", bad.detail}});
  CutOff(renderer, bad.ToString());
  return bad;
}

void BrowserCore::OnRendererDisconnected(RendererHost& renderer) {
  CutOff(renderer, "");
}

void BrowserCore::CutOff(RendererHost& renderer,
                         std::string termination_reason) {
  const std::string logged_reason =
      termination_reason.empty() ? "disconnected" : termination_reason;
  if (!renderer.Terminate(std::move(termination_reason)))
    return;  // already cut off (by another call racing this one)
  Log("renderer.killed", {{"renderer", absl::StrCat(renderer.id().value())},
                          {"site", renderer.site()},
                          {"reason", logged_reason}});
  // Steps waiting for this renderer's answer stop waiting.
  scripts_.OnRendererCutOff(renderer);
  // Crash semantics: destroyed documents send their pending deferred fetches.
  for (DocumentId id : renderers_.DocumentsOf(renderer))
    frame_tree_->CrashDocument(id);
  if (options_.on_renderer_terminated)
    options_.on_renderer_terminated(renderer);
}

absl::StatusOr<ipc::StepResult> BrowserCore::RunPageStep(
    const std::string& document_token,
    ipc::PageStep step,
    absl::Duration timeout) {
  return scripts_.RunPageStep(document_token, std::move(step), timeout);
}

absl::Status BrowserCore::CrashRenderer(const std::string& document_token,
                                        absl::Duration timeout) {
  absl::StatusOr<RendererHost*> host = renderers_.HostOf(document_token);
  if (!host.ok())
    return host.status();
  if (!options_.kill_renderer || !options_.kill_renderer(**host)) {
    CutOff(**host, "");
    return absl::OkStatus();
  }
  // The killed process's event stream ends; the browser then destroys its
  // documents (OnRendererDisconnected). Wait for that.
  if (!renderers_.AwaitNoDocuments(**host, timeout)) {
    return absl::DeadlineExceededError(
        "the killed renderer's documents remain");
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> BrowserCore::Drain(absl::Duration timeout) {
  {
    // What the journal replay has not handed over yet is not in the network.
    absl::MutexLock lock(&replay_mu_);
    const bool replayed = replay_mu_.AwaitWithTimeout(
        absl::Condition(
            +[](bool* replaying) { return !*replaying; }, &replaying_),
        timeout);
    if (!replayed)
      return false;
  }
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
    scripts_.FireLifecycleEvents(*documents, events);
}

std::vector<ipc::ScriptReport> BrowserCore::TakeScriptReports() {
  return scripts_.TakeScriptReports();
}

std::vector<ipc::BlockedRequest> BrowserCore::TakeBlockedRequests() {
  // The journal's drops at replay come before anything the stage refused.
  std::vector<ipc::BlockedRequest> blocked = journal_.TakeBlocked();
  if (options_.take_blocked_requests) {
    for (ipc::BlockedRequest& b : options_.take_blocked_requests())
      blocked.push_back(std::move(b));
  }
  if (blocked.size() > kMaxBlockedRequests) {
    blocked.erase(blocked.begin(), blocked.end() - static_cast<std::ptrdiff_t>(
                                                       kMaxBlockedRequests));
  }
  return blocked;
}

size_t BrowserCore::ReplayJournal(
    const std::vector<std::string>& startup_notes) {
  {
    absl::MutexLock lock(&replay_mu_);
    replaying_ = true;
  }
  std::vector<ProcessedDeferredFetch> restored = journal_.Replay(startup_notes);
  // Fetch: "process a deferred fetch" step 3, for a document already gone:
  // no renderer to notify. Handed over in batches with a pause between, so
  // that a browser starting with thousands of records still gets the CPU to
  // launch renderers and answer their first calls (2 cores).
  constexpr size_t kReplayBatch = 256;
  for (size_t i = 0; i < restored.size(); ++i) {
    if (i > 0 && i % kReplayBatch == 0)
      absl::SleepFor(absl::Milliseconds(1));
    network_.OnDeferredFetchProcessed(restored[i]);
  }
  absl::MutexLock lock(&replay_mu_);
  replaying_ = false;
  return restored.size();
}

void BrowserCore::StartJournalReplay(std::vector<std::string> startup_notes) {
  {
    absl::MutexLock lock(&replay_mu_);
    replaying_ = true;  // before Drain() can be called
  }
  replay_thread_ = std::thread(
      [this, notes = std::move(startup_notes)] { ReplayJournal(notes); });
}

std::vector<JournalKeeper::Restored> BrowserCore::RestoredFromJournal() {
  return journal_.RestoredPending();
}

void BrowserCore::CloseAllTabs() {
  for (NavigableId tab : frame_tree_->TopLevelTraversables())
    (void)frame_tree_->CloseTopLevelTraversable(tab);
}

std::vector<BadMessageRecord> BrowserCore::bad_messages() {
  return renderers_.bad_messages();
}

std::vector<const RendererHost*> BrowserCore::renderers() {
  return renderers_.renderers();
}

absl::flat_hash_map<DocumentId, const RendererHost*>
BrowserCore::DocumentRenderers() {
  return renderers_.DocumentRenderers();
}

void BrowserCore::Log(const std::string& type,
                      std::map<std::string, std::string> fields) {
  if (options_.net_log != nullptr)
    options_.net_log->AddEvent(type, std::move(fields));
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
  network_.OnDeferredFetchProcessed(fetch);
  // Step 4: "notify invoked" sets FetchLaterResult.activated in the renderer.
  renderers_.OnDeferredFetchProcessed(fetch);
}

void BrowserCore::OnDocumentStateChanged(const DocumentStateChange& change) {
  // Before the renderer hears of a new document (it may fetch() at once);
  // a destroyed document's fetch group is terminated.
  const std::vector<uint64_t> terminated =
      fetches_.OnDocumentStateChanged(change);
  RendererHostRegistry::DocumentUpdate update =
      renderers_.OnDocumentStateChanged(change);
  // After the registry forgot the document (PageScriptRunner relies on it).
  if (update.destroyed_token)
    scripts_.ForgetDocument(*update.destroyed_token);
  network_.OnDocumentStateChanged(change);
  for (uint64_t id : terminated) {
    Log("fetch.terminated",
        {{"id", absl::StrCat(id)}, {"reason", "document destroyed"}});
    network_.Cancel(id);
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
  if (update.created_host != nullptr && options_.on_renderer_created)
    options_.on_renderer_created(*update.created_host);
}

}  // namespace fetch_later::browser
