#include "browser/deferred_fetch_host_service.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ipc/startup_trace.h"

namespace fetch_later::browser {

namespace {

// This renderer was cut off for `bad` (BrowserCore reported it): the answer
// says so and nothing useful.
grpc::Status CutOffStatus(const BadMessage& bad) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      absl::StrCat("bad message: ", bad.detail));
}

}  // namespace

RendererHost* DeferredFetchHostService::Authenticate(
    grpc::ServerContext* context,
    grpc::Status* status) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(kRendererTokenMetadata);
  RendererHost* host = nullptr;
  if (it != metadata.end()) {
    host = core_->AuthenticateRenderer(
        absl::string_view(it->second.data(), it->second.size()));
  }
  if (host == nullptr) {
    *status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                           "unknown or revoked renderer-token");
    return nullptr;
  }
  // The second check: the token's renderer is the one the channel was handed
  // to. Refused, not a bad message: the caller is whoever holds this channel,
  // not the renderer the token names.
  absl::MutexLock lock(&mu_);
  if (!accept_any_channel_) {
    auto it = channels_.find(context->peer());
    if (it == channels_.end() || it->second != host->id()) {
      *status = grpc::Status(
          grpc::StatusCode::UNAUTHENTICATED,
          "renderer-token of a renderer this channel was not handed to");
      return nullptr;
    }
  }
  return host;
}

void DeferredFetchHostService::BindChannel(const std::string& peer,
                                           RendererId renderer) {
  absl::MutexLock lock(&mu_);
  channels_.insert_or_assign(peer, renderer);
}

void DeferredFetchHostService::UnbindChannel(const std::string& peer) {
  absl::MutexLock lock(&mu_);
  channels_.erase(peer);
}

void DeferredFetchHostService::set_renderer_check(RendererCheck check) {
  absl::MutexLock lock(&mu_);
  renderer_check_ = std::move(check);
}

void DeferredFetchHostService::AcceptAnyChannelForTesting() {
  absl::MutexLock lock(&mu_);
  accept_any_channel_ = true;
}

template <typename T>
grpc::Status DeferredFetchHostService::Finish(BadMessageOr<T> result,
                                              T* response) {
  if (!result.ok())
    return CutOffStatus(result.bad_message());
  *response = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status DeferredFetchHostService::FetchLater(
    grpc::ServerContext* context,
    const ipc::FetchLaterRequest* request,
    ipc::FetchLaterResponse* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  const grpc::Status answer =
      Finish(core_->FetchLater(*renderer, *request), response);
  ipc::startup_trace::Mark("fetch_later_answered");
  return answer;
}

grpc::Status DeferredFetchHostService::QueryQuota(
    grpc::ServerContext* context,
    const ipc::QueryQuotaRequest* request,
    ipc::QueryQuotaResponse* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  return Finish(core_->QueryQuota(*renderer, *request), response);
}

grpc::Status DeferredFetchHostService::AbortFetchLater(
    grpc::ServerContext* context,
    const ipc::AbortFetchLaterRequest* request,
    ipc::AbortFetchLaterResponse* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  return Finish(core_->AbortFetchLater(*renderer, *request), response);
}

grpc::Status DeferredFetchHostService::Fetch(grpc::ServerContext* context,
                                             const ipc::FetchRequest* request,
                                             ipc::FetchAccepted* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  return Finish(core_->Fetch(*renderer, *request), response);
}

grpc::Status DeferredFetchHostService::AbortFetch(
    grpc::ServerContext* context,
    const ipc::AbortFetchRequest* request,
    ipc::AbortFetchResponse* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  return Finish(core_->AbortFetch(*renderer, *request), response);
}

grpc::Status DeferredFetchHostService::ReportStepResult(
    grpc::ServerContext* context,
    const ipc::StepResult* request,
    ipc::Empty* response) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  if (std::optional<BadMessage> bad =
          core_->ReportStepResult(*renderer, *request)) {
    return CutOffStatus(*bad);
  }
  return grpc::Status::OK;
}

grpc::Status DeferredFetchHostService::WatchEvents(
    grpc::ServerContext* context,
    const ipc::WatchEventsRequest* request,
    grpc::ServerWriter<ipc::RendererEvent>* writer) {
  grpc::Status status;
  RendererHost* renderer = Authenticate(context, &status);
  if (renderer == nullptr)
    return status;
  ipc::startup_trace::Mark("renderer_stream_opened");
  RendererCheck check;
  {
    absl::MutexLock lock(&mu_);
    check = renderer_check_;
  }
  if (check) {
    absl::Status checked = check(*renderer, request->sandbox());
    if (!checked.ok()) {
      return CutOffStatus(core_->ReportBadMessage(
          *renderer, BadMessageReason::kRendererNotSandboxed,
          std::string(checked.message())));
    }
    ipc::startup_trace::Mark("renderer_sandbox_checked");
  }
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the browser is shutting down");
    }
    streaming_.insert(renderer);
  }
  // Deliver events until the renderer goes away (its stream is cancelled), is
  // cut off, or the browser shuts down (Stop() closes the stream).
  bool stopped = false;
  while (!context->IsCancelled() && !renderer->terminated()) {
    std::optional<ipc::RendererEvent> event =
        renderer->PopEvent(absl::Milliseconds(50));
    if (!event) {
      absl::MutexLock lock(&mu_);
      if ((stopped = stopping_))
        break;
      continue;
    }
    if (!writer->Write(*event))
      break;
  }
  {
    absl::MutexLock lock(&mu_);
    streaming_.erase(renderer);
  }
  if (renderer->terminated()) {
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        absl::StrCat("renderer cut off: ", renderer->termination_reason()));
  }
  // The renderer disconnected or crashed, or the browser hangs up on it: its
  // documents are destroyed, which sends their pending deferred fetches (this
  // is what makes fetchLater reliable).
  core_->OnRendererDisconnected(*renderer);
  if (stopped) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        "the browser is shutting down");
  }
  return grpc::Status(grpc::StatusCode::CANCELLED, "renderer disconnected");
}

void DeferredFetchHostService::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (RendererHost* renderer : streaming_)
    renderer->CloseEventStream();
}

}  // namespace fetch_later::browser
