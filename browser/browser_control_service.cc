#include "browser/browser_control_service.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace fetch_later::browser {
namespace {

absl::StatusOr<net::Url> ParseField(absl::string_view field,
                                    absl::string_view value) {
  absl::StatusOr<net::Url> url = net::Url::Parse(value);
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", url.status().message()));
  }
  return url;
}

absl::StatusOr<NavigationParams> ToNavigationParams(
    absl::string_view url_field,
    const std::string& url,
    const google::protobuf::RepeatedPtrField<std::string>& redirects,
    const std::string& permissions_policy,
    const google::protobuf::RepeatedPtrField<std::string>&
        content_security_policy) {
  absl::StatusOr<net::Url> parsed = ParseField(url_field, url);
  if (!parsed.ok())
    return parsed.status();
  NavigationParams params{*parsed};
  for (int i = 0; i < redirects.size(); ++i) {
    absl::StatusOr<net::Url> hop =
        ParseField(absl::StrCat("redirects[", i, "]"), redirects[i]);
    if (!hop.ok())
      return hop.status();
    params.redirects.push_back(*hop);
  }
  params.permissions_policy = permissions_policy;
  params.content_security_policy.assign(content_security_policy.begin(),
                                        content_security_policy.end());
  return params;
}

void FillFrame(const CommittedFrame& committed, ipc::Frame* frame) {
  frame->set_navigable_id(committed.navigable.value());
  frame->set_document_token(committed.document_token);
  frame->set_site(committed.site);
  frame->set_renderer_token(committed.renderer_token);
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok())
    return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

grpc::Status BrowserControlService::CreateTab(
    grpc::ServerContext*,
    const ipc::CreateTabRequest*,
    ipc::CreateTabResponse* response) {
  response->set_navigable_id(core_->CreateTab().value());
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::Navigate(
    grpc::ServerContext*,
    const ipc::NavigateRequest* request,
    ipc::Frame* response) {
  absl::StatusOr<NavigationParams> params = ToNavigationParams(
      "url", request->url(), request->redirects(),
      request->permissions_policy(), request->content_security_policy());
  if (!params.ok())
    return ToGrpcStatus(params.status());
  switch (request->initiator()) {
    case ipc::PARENT:
      params->initiator = NavigationInitiator::kParent;
      break;
    case ipc::SELF:
      params->initiator = NavigationInitiator::kSelf;
      break;
    default:
      params->initiator = NavigationInitiator::kBrowser;
  }
  params->enter_bfcache = request->enter_bfcache();
  absl::StatusOr<CommittedFrame> committed =
      core_->Navigate(NavigableId(request->navigable_id()), *params);
  if (!committed.ok())
    return ToGrpcStatus(committed.status());
  FillFrame(*committed, response);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::CreateIframe(
    grpc::ServerContext*,
    const ipc::CreateIframeRequest* request,
    ipc::Frame* response) {
  absl::StatusOr<NavigationParams> params = ToNavigationParams(
      "src", request->src(), request->redirects(),
      request->permissions_policy(), request->content_security_policy());
  if (!params.ok())
    return ToGrpcStatus(params.status());
  IframeParams iframe{request->allow(), std::nullopt, *params};
  if (request->has_sandbox())
    iframe.sandbox = request->sandbox();
  absl::StatusOr<CommittedFrame> committed =
      core_->CreateIframe(request->parent_document_token(), iframe);
  if (!committed.ok())
    return ToGrpcStatus(committed.status());
  FillFrame(*committed, response);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::RemoveIframe(
    grpc::ServerContext*,
    const ipc::RemoveIframeRequest* request,
    ipc::Empty*) {
  return ToGrpcStatus(
      core_->RemoveIframe(NavigableId(request->navigable_id())));
}

grpc::Status BrowserControlService::RestoreFromBfcache(
    grpc::ServerContext*,
    const ipc::NavigableRequest* request,
    ipc::Frame* response) {
  absl::StatusOr<CommittedFrame> committed =
      core_->RestoreFromBfcache(NavigableId(request->navigable_id()));
  if (!committed.ok())
    return ToGrpcStatus(committed.status());
  FillFrame(*committed, response);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::SetVisibility(
    grpc::ServerContext*,
    const ipc::SetVisibilityRequest* request,
    ipc::Empty*) {
  return ToGrpcStatus(core_->SetHidden(NavigableId(request->navigable_id()),
                                       request->hidden()));
}

grpc::Status BrowserControlService::CloseTab(
    grpc::ServerContext*,
    const ipc::NavigableRequest* request,
    ipc::Empty*) {
  return ToGrpcStatus(core_->CloseTab(NavigableId(request->navigable_id())));
}

grpc::Status BrowserControlService::AdvanceClock(
    grpc::ServerContext*,
    const ipc::AdvanceClockRequest* request,
    ipc::Empty*) {
  return ToGrpcStatus(core_->AdvanceClock(absl::Milliseconds(request->ms())));
}

grpc::Status BrowserControlService::AvailableQuota(
    grpc::ServerContext*,
    const ipc::QuotaRequest* request,
    ipc::QuotaResponse* response) {
  std::optional<net::Origin> origin;
  if (!request->origin_url().empty()) {
    absl::StatusOr<net::Url> url =
        ParseField("origin_url", request->origin_url());
    if (!url.ok())
      return ToGrpcStatus(url.status());
    origin = net::Origin::Create(*url);
  }
  absl::StatusOr<int64_t> quota =
      core_->AvailableQuota(request->document_token(), origin);
  if (!quota.ok())
    return ToGrpcStatus(quota.status());
  response->set_available(static_cast<uint64_t>(*quota));
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::RunPageStep(
    grpc::ServerContext*,
    const ipc::RunPageStepRequest* request,
    ipc::StepResult* response) {
  const absl::Duration timeout =
      request->timeout_ms() == 0 ? absl::Seconds(10)
                                 : absl::Milliseconds(request->timeout_ms());
  absl::StatusOr<ipc::StepResult> result =
      core_->RunPageStep(request->document_token(), request->step(), timeout);
  if (!result.ok())
    return ToGrpcStatus(result.status());
  *response = std::move(*result);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::CrashRenderer(
    grpc::ServerContext*,
    const ipc::CrashRendererRequest* request,
    ipc::Empty*) {
  return ToGrpcStatus(
      core_->CrashRenderer(request->document_token(), absl::Seconds(10)));
}

grpc::Status BrowserControlService::Drain(grpc::ServerContext*,
                                          const ipc::DrainRequest* request,
                                          ipc::DrainResponse* response) {
  const absl::Duration timeout =
      request->timeout_ms() == 0 ? absl::Seconds(30)
                                 : absl::Milliseconds(request->timeout_ms());
  absl::StatusOr<bool> idle = core_->Drain(timeout);
  if (!idle.ok())
    return ToGrpcStatus(idle.status());
  response->set_idle(*idle);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::TakeScriptReports(
    grpc::ServerContext*,
    const ipc::Empty*,
    ipc::ScriptReports* response) {
  for (ipc::ScriptReport& report : core_->TakeScriptReports())
    *response->add_reports() = std::move(report);
  return grpc::Status::OK;
}

grpc::Status BrowserControlService::TakeBlockedRequests(
    grpc::ServerContext*,
    const ipc::Empty*,
    ipc::BlockedRequests* response) {
  for (ipc::BlockedRequest& blocked : core_->TakeBlockedRequests())
    *response->add_requests() = std::move(blocked);
  return grpc::Status::OK;
}

}  // namespace fetch_later::browser
