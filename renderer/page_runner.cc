#include "renderer/page_runner.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "renderer/renderer_connection.h"

namespace fetch_later::renderer {

BodyInit MakeBody(ipc::PageBody::Type kind, size_t size) {
  const std::string payload(size, 'x');
  switch (kind) {
    case ipc::PageBody::NONE:
      return BodyInit::None();
    case ipc::PageBody::STRING:
      return BodyInit::String(payload);
    case ipc::PageBody::BYTES:
      return BodyInit::Bytes(payload);
    case ipc::PageBody::BLOB:  // new Blob([payload])
      return BodyInit::Blob(payload, /*type=*/"");
    case ipc::PageBody::FILE:  // new File([payload], "f")
      return BodyInit::File(payload, "f", /*type=*/"");
    case ipc::PageBody::FORM_DATA:  // fd.append("k", payload)
      return BodyInit::FormData({FormDataEntry::String("k", payload)});
    case ipc::PageBody::URL_SEARCH_PARAMS:  // new URLSearchParams({k: payload})
      return BodyInit::UrlSearchParams({{"k", payload}});
    case ipc::PageBody::STREAM:
      return BodyInit::Stream();
    default:
      return BodyInit::None();
  }
}

ipc::JsOutcome OutcomeFor(const JsError& error) {
  switch (error.type) {
    case JsErrorType::kTypeError:
      return ipc::JS_TYPE_ERROR;
    case JsErrorType::kRangeError:
      return ipc::JS_RANGE_ERROR;
    case JsErrorType::kAbortError:
      return ipc::JS_ABORT_ERROR;
    case JsErrorType::kQuotaExceededError:
      return ipc::JS_QUOTA_EXCEEDED_ERROR;
    default:
      return ipc::JS_OTHER_ERROR;
  }
}

AbortController& PageRunner::Controller(const std::string& document_token,
                                        const std::string& name) {
  auto& controller = controllers_[{document_token, name}];
  if (controller == nullptr)
    controller = std::make_unique<AbortController>();
  return *controller;
}

// The document's window as script sees it: fetchLater()/fetch() go through the
// renderer's stub for this document; the settings object and policy are what
// the browser committed.
class PageRunner::DocumentDelegate : public ScriptDelegate {
 public:
  DocumentDelegate(RendererConnection* connection,
                   std::string token,
                   ClientContext client)
      : connection_(connection),
        token_(std::move(token)),
        last_client_(std::move(client)) {}

  JsResult<FetchLaterResult> FetchLater(
      const RequestInfo& input,
      const DeferredRequestInit& init,
      const std::optional<RetryOptionsInit>& retry) override {
    return connection_->FetchLater(token_, input, init, retry);
  }
  JsResult<uint64_t> Fetch(
      const Request& request,
      const std::optional<RetryOptionsInit>& retry) override {
    return connection_->Fetch(token_, request, retry);
  }
  void AbortFetch(uint64_t fetch_id) override {
    connection_->AbortFetch(token_, fetch_id);
  }
  ClientContext Client() override {
    if (std::optional<ClientContext> client = connection_->Document(token_)) {
      last_client_ = *client;
      return *client;
    }
    // Destroyed meanwhile: whatever script still runs sees a document that is
    // not fully active (fetchLater() step 6 then throws).
    ClientContext gone = last_client_;
    gone.fully_active = false;
    return gone;
  }
  std::vector<std::string> AllowedFeatures() override {
    auto committed = connection_->Committed(token_);
    return committed ? committed->allowed_features : std::vector<std::string>{};
  }

 private:
  RendererConnection* const connection_;  // Not owned.
  const std::string token_;
  ClientContext last_client_;
};

PageRunner::PageRunner(RendererConnection* connection,
                       ScriptEngineOptions script_options,
                       std::unique_ptr<ScriptEngine> engine)
    : connection_(connection),
      script_options_(script_options),
      engine_(std::move(engine)) {}

PageRunner::~PageRunner() {
  // Realms before the engine that owns their heap.
  scripts_.clear();
  engine_.reset();
}

void PageRunner::ReportSecurityPolicyViolation(
    const ipc::SecurityPolicyViolation& violation) {
  auto it = scripts_.find(violation.document_token());
  if (it == scripts_.end())
    return;
  // CSP: the event's attributes. The status is the document's response's,
  // which the browser does not report: 0 ("unknown"); the violation has no
  // source location or sample.
  SecurityPolicyViolationEventInit init;
  init.document_uri = violation.document_url();
  init.blocked_uri = violation.blocked_url();
  init.violated_directive = violation.violated_directive();
  init.effective_directive = violation.effective_directive();
  init.original_policy = violation.original_policy();
  // SecurityPolicyViolationEventDisposition: "report" or "enforce" (the only
  // disposition that blocks a request).
  init.disposition = violation.disposition() == "report" ? "report" : "enforce";
  it->second.between_steps.push_back(
      it->second.script->FireSecurityPolicyViolation(init));
}

namespace {

ResponseType FromIpc(ipc::ResponseType type) {
  switch (type) {
    case ipc::RESPONSE_TYPE_BASIC:
      return ResponseType::kBasic;
    case ipc::RESPONSE_TYPE_CORS:
      return ResponseType::kCors;
    case ipc::RESPONSE_TYPE_OPAQUE:
      return ResponseType::kOpaque;
    case ipc::RESPONSE_TYPE_OPAQUE_REDIRECT:
      return ResponseType::kOpaqueRedirect;
    default:
      return ResponseType::kDefault;
  }
}

}  // namespace

JsResult<Response> ResponseFromIpc(const ipc::FetchCompleted& completed) {
  if (!completed.has_response()) {
    return MakeTypeError(completed.has_network_error()
                             ? completed.network_error().message()
                             : "fetch: network error");
  }
  const ipc::FetchResponse& r = completed.response();
  HeaderList headers;
  for (const ipc::Header& h : r.headers())
    headers.emplace_back(h.name(), h.value());
  return Response(
      FromIpc(r.type()), r.url(), r.redirected(),
      static_cast<uint16_t>(r.status()), r.status_text(), std::move(headers),
      r.has_body() ? std::optional<std::string>(r.body()) : std::nullopt);
}

void PageRunner::CompleteFetch(const ipc::FetchCompleted& completed) {
  auto it = scripts_.find(completed.document_token());
  if (it == scripts_.end())
    return;  // its realm is gone, and the promise with it
  it->second.between_steps.push_back(it->second.script->CompleteFetch(
      completed.client_id(), ResponseFromIpc(completed)));
}

void PageRunner::ForgetDocument(const std::string& document_token) {
  scripts_.erase(document_token);
  absl::erase_if(controllers_, [&](const auto& entry) {
    return entry.first.first == document_token;
  });
}

DocumentScript* PageRunner::Script(const std::string& document_token,
                                   double page_time_ms,
                                   bool create,
                                   std::string* error) {
  auto it = scripts_.find(document_token);
  if (it != scripts_.end())
    return it->second.script.get();
  if (!create)
    return nullptr;
  std::optional<ClientContext> client = connection_->Document(document_token);
  auto committed = connection_->Committed(document_token);
  if (!client || !committed) {
    *error = "the document is not hosted by this renderer";
    return nullptr;
  }
  if (engine_ == nullptr)
    engine_ = std::make_unique<ScriptEngine>(script_options_);
  ScriptedDocument& scripted = scripts_[document_token];
  scripted.delegate =
      std::make_unique<DocumentDelegate>(connection_, document_token, *client);
  DocumentScriptOptions options;
  options.hidden = committed->hidden;
  options.now_ms = page_time_ms;
  scripted.script = std::make_unique<DocumentScript>(
      engine_.get(), scripted.delegate.get(), options);
  scripted.pending_console_warnings = committed->console_warnings;
  return scripted.script.get();
}

namespace {

ipc::JsOutcome OutcomeForScriptError(const ScriptError& error) {
  if (error.terminated)
    return ipc::JS_TERMINATED;
  if (error.name == "TypeError")
    return ipc::JS_TYPE_ERROR;
  if (error.name == "RangeError")
    return ipc::JS_RANGE_ERROR;
  if (error.name == "AbortError")
    return ipc::JS_ABORT_ERROR;
  if (error.name == "QuotaExceededError")
    return ipc::JS_QUOTA_EXCEEDED_ERROR;
  return ipc::JS_OTHER_ERROR;
}

// Appends what a script task did to the step's result; the first uncaught
// exception decides the outcome.
void Append(const ScriptRunResult& run, ipc::StepResult& result) {
  for (const ScriptError& error : run.errors) {
    if (result.errors_size() == 0) {
      result.set_outcome(OutcomeForScriptError(error));
      result.set_message(error.ToString());
      if (error.quota)
        result.set_quota(*error.quota);
      if (error.requested)
        result.set_requested(*error.requested);
    }
    ipc::ScriptError* out = result.add_errors();
    out->set_name(error.name);
    out->set_message(error.message);
    out->set_source_url(error.source_url);
    out->set_line(static_cast<uint32_t>(std::max(0, error.line)));
    out->set_column(static_cast<uint32_t>(std::max(0, error.column)));
    out->set_terminated(error.terminated);
  }
  for (const std::string& line : run.console)
    result.add_console(line);
}

}  // namespace

ipc::StepResult PageRunner::RunScriptStep(const ipc::RunPageStep& step) {
  ipc::StepResult result;
  result.set_outcome(ipc::JS_OK);
  const ipc::PageStep& page_step = step.step();
  const double now = page_step.page_time_ms();
  std::string error;
  // Lifecycle events and timers concern only documents that ran script.
  DocumentScript* script =
      Script(step.document_token(), now, page_step.has_run_script(), &error);
  if (script == nullptr) {
    if (!error.empty()) {
      result.set_outcome(ipc::JS_OTHER_ERROR);
      result.set_message(error);
    }
    return result;
  }
  // The browser's warnings for the document (e.g. the parts of its
  // Content-Security-Policy that were ignored) reach its console first, then
  // what script did since the last step (violation listeners), then the
  // timers that came due before this task (the page clock moved).
  if (auto it = scripts_.find(step.document_token()); it != scripts_.end()) {
    for (const std::string& warning : it->second.pending_console_warnings)
      result.add_console(absl::StrCat("warn: ", warning));
    it->second.pending_console_warnings.clear();
    for (const ScriptRunResult& run : it->second.between_steps)
      Append(run, result);
    it->second.between_steps.clear();
  }
  Append(script->AdvanceTime(now), result);
  if (page_step.has_run_script()) {
    Append(script->RunClassicScript(page_step.run_script().source(),
                                    page_step.run_script().source_url()),
           result);
  } else if (page_step.has_lifecycle()) {
    for (const ipc::LifecycleEvent& event : page_step.lifecycle().events()) {
      if (event.has_page_transition()) {
        Append(script->FirePageTransitionEvent(event.page_transition(),
                                               event.persisted()),
               result);
      } else {
        Append(script->UpdateVisibilityState(event.visibility_hidden()),
               result);
      }
    }
  }
  if (std::optional<double> next = script->NextTimerDue())
    result.set_next_timer_ms(*next);
  return result;
}

ipc::StepResult PageRunner::Run(const ipc::RunPageStep& step) {
  ipc::StepResult result;
  if (step.step().has_run_script() || step.step().has_lifecycle() ||
      step.step().run_timers()) {
    result = RunScriptStep(step);
  } else if (step.step().has_fetch_later()) {
    result = RunFetchLater(step.document_token(), step.step().fetch_later());
  } else if (step.step().step_case() == ipc::PageStep::kAbortSignal) {
    Controller(step.document_token(), step.step().abort_signal()).Abort();
    result.set_outcome(ipc::JS_OK);
  } else {
    result.set_outcome(ipc::JS_OTHER_ERROR);
    result.set_message("empty page step");
  }
  result.set_step_id(step.step_id());
  return result;
}

ipc::StepResult PageRunner::RunFetchLater(const std::string& document_token,
                                          const ipc::PageFetchLater& call) {
  DeferredRequestInit init;
  if (call.has_method())
    init.method = call.method();
  init.body =
      MakeBody(call.body().type(),
               static_cast<size_t>(std::max<int64_t>(0, call.body().size())));
  if (call.body().type() == ipc::PageBody::STREAM)
    init.duplex = "half";
  if (call.headers_size() > 0) {
    HeaderList headers;
    for (const ipc::Header& h : call.headers())
      headers.emplace_back(h.name(), h.value());
    init.headers = std::move(headers);
  }
  if (call.has_referrer())
    init.referrer = call.referrer();
  if (call.has_referrer_policy())
    init.referrer_policy = call.referrer_policy();
  // The enum strings as script would pass them: any other value is the
  // binding's TypeError.
  if (call.has_mode())
    init.mode = call.mode();
  if (call.has_credentials())
    init.credentials = call.credentials();
  if (call.has_redirect())
    init.redirect = call.redirect();
  if (call.has_activate_after_ms())
    init.activate_after = call.activate_after_ms();
  if (!call.signal().empty())
    init.signal = Controller(document_token, call.signal()).signal();
  std::optional<RetryOptionsInit> retry;
  if (call.has_retry_options()) {
    const ipc::RetryOptions& r = call.retry_options();
    retry.emplace();
    retry->max_attempts = r.max_attempts();
    if (r.has_initial_delay_ms())
      retry->initial_delay_ms = r.initial_delay_ms();
    if (r.has_backoff_factor())
      retry->backoff_factor = r.backoff_factor();
    if (r.has_max_age_ms())
      retry->max_age_ms = r.max_age_ms();
    retry->retry_after_unload = r.retry_after_unload();
    retry->retry_non_idempotent = r.retry_non_idempotent();
    retry->retry_only_if_server_unreached = r.retry_only_if_server_unreached();
  }

  JsResult<FetchLaterResult> outcome = connection_->FetchLater(
      document_token, RequestInfo(call.url()), init, retry);
  ipc::StepResult result;
  if (outcome.ok()) {
    result.set_outcome(ipc::JS_OK);
    return result;
  }
  const JsError& error = outcome.error();
  result.set_outcome(OutcomeFor(error));
  result.set_message(absl::StrCat(error.name(), ": ", error.message));
  if (error.quota)
    result.set_quota(*error.quota);
  if (error.requested)
    result.set_requested(*error.requested);
  return result;
}

}  // namespace fetch_later::renderer
