#include "renderer/page_runner.h"

#include "absl/strings/str_cat.h"
#include "renderer/renderer_connection.h"

namespace fetch_later::renderer {

BodyInit MakeBody(ipc::BodyKind kind, size_t size) {
  const std::string payload(size, 'x');
  switch (kind) {
    case ipc::BODY_NONE:
      return BodyInit::None();
    case ipc::BODY_STRING:
      return BodyInit::String(payload);
    case ipc::BODY_BYTES:
      return BodyInit::Bytes(payload);
    case ipc::BODY_BLOB:
      return BodyInit::Blob(payload, "application/octet-stream");
    case ipc::BODY_FILE:
      return BodyInit::File(payload, "data.bin", "application/octet-stream");
    case ipc::BODY_FORM_DATA:
      return BodyInit::FormData({FormDataEntry::String("data", payload)});
    case ipc::BODY_URL_SEARCH_PARAMS:
      return BodyInit::UrlSearchParams({{"data", payload}});
    case ipc::BODY_STREAM:
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

ipc::StepResult PageRunner::Run(const ipc::RunPageStep& step) {
  ipc::StepResult result;
  if (step.step().has_fetch_later()) {
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
      MakeBody(call.body_kind(),
               static_cast<size_t>(std::max<int64_t>(0, call.body_size())));
  if (call.body_kind() == ipc::BODY_STREAM)
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
