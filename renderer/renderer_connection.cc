#include "renderer/renderer_connection.h"

#include <fcntl.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel_posix.h"
#include "net/origin.h"
#include "net/referrer.h"

namespace fetch_later::renderer {
namespace {

constexpr char kRendererTokenMetadata[] = "renderer-token";
// Fetch: the most any single deferred request can use (the per-reporting-origin
// quota); a longer one can never fit, so only the available quota is asked for.
constexpr uint64_t kMaxDeferredRequestLength = 64 * 1024;

// The Request's mode, credentials mode and redirect mode as the IPC carries
// them. A Request never has mode "navigate" here: the constructor throws for
// it (step 18) and no Request object is made by a navigation.
ipc::RequestMode ToIpc(RequestMode mode) {
  switch (mode) {
    case RequestMode::kCors:
      return ipc::REQUEST_MODE_CORS;
    case RequestMode::kNoCors:
      return ipc::REQUEST_MODE_NO_CORS;
    case RequestMode::kSameOrigin:
    case RequestMode::kNavigate:
      return ipc::REQUEST_MODE_SAME_ORIGIN;
  }
  return ipc::REQUEST_MODE_CORS;
}

ipc::CredentialsMode ToIpc(CredentialsMode mode) {
  switch (mode) {
    case CredentialsMode::kSameOrigin:
      return ipc::CREDENTIALS_SAME_ORIGIN;
    case CredentialsMode::kOmit:
      return ipc::CREDENTIALS_OMIT;
    case CredentialsMode::kInclude:
      return ipc::CREDENTIALS_INCLUDE;
  }
  return ipc::CREDENTIALS_SAME_ORIGIN;
}

ipc::RedirectMode ToIpc(RedirectMode mode) {
  switch (mode) {
    case RedirectMode::kFollow:
      return ipc::REDIRECT_FOLLOW;
    case RedirectMode::kError:
      return ipc::REDIRECT_ERROR;
    case RedirectMode::kManual:
      return ipc::REDIRECT_MANUAL;
  }
  return ipc::REDIRECT_FOLLOW;
}

ipc::RetryOptions ToIpc(const RetryOptionsInit& retry) {
  ipc::RetryOptions r;
  r.set_max_attempts(retry.max_attempts);
  if (retry.initial_delay_ms)
    r.set_initial_delay_ms(*retry.initial_delay_ms);
  if (retry.backoff_factor)
    r.set_backoff_factor(*retry.backoff_factor);
  if (retry.max_age_ms)
    r.set_max_age_ms(*retry.max_age_ms);
  r.set_retry_after_unload(retry.retry_after_unload);
  r.set_retry_non_idempotent(retry.retry_non_idempotent);
  r.set_retry_only_if_server_unreached(retry.retry_only_if_server_unreached);
  return r;
}

// The Request's fields both FetchLaterRequest and FetchRequest carry: method,
// URL, referrer, referrer policy (Fetch "main fetch": an empty one becomes
// the policy container's, here the document's), headers, body, mode,
// credentials and redirect mode.
template <typename Message>
void SetRequestFields(const Request& request,
                      net::ReferrerPolicy document_policy,
                      Message& message) {
  message.set_method(request.method());
  message.set_url(request.url().Serialize());
  switch (request.referrer().kind) {
    case RequestReferrer::Kind::kUrl:
      message.set_referrer_url(request.referrer().url->Serialize());
      break;
    case RequestReferrer::Kind::kNoReferrer:
      message.set_no_referrer(true);
      break;
    case RequestReferrer::Kind::kClient:
      break;
  }
  const net::ReferrerPolicy policy =
      request.referrer_policy() == net::ReferrerPolicy::kEmpty
          ? document_policy
          : request.referrer_policy();
  message.set_referrer_policy(std::string(net::ReferrerPolicyToString(policy)));
  for (const auto& [name, value] : request.header_list()) {
    ipc::Header* header = message.add_headers();
    header->set_name(name);
    header->set_value(value);
  }
  if (request.body())
    message.set_body(request.body_bytes());
  message.set_mode(ToIpc(request.mode()));
  message.set_credentials(ToIpc(request.credentials()));
  message.set_redirect(ToIpc(request.redirect()));
}

}  // namespace

std::shared_ptr<grpc::Channel> RendererConnection::ChannelFromFd(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0)
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  // The target names the peer in gRPC's logs only.
  return grpc::CreateInsecureChannelFromFd("browser", fd);
}

absl::StatusOr<std::unique_ptr<RendererConnection>> RendererConnection::Connect(
    std::shared_ptr<grpc::Channel> channel,
    const std::string& launch_token,
    ScriptEngineOptions script_options,
    ipc::SandboxReport sandbox,
    std::unique_ptr<ScriptEngine> engine) {
  if (channel == nullptr)
    return absl::InvalidArgumentError("RendererConnection: no channel");
  std::unique_ptr<RendererConnection> connection(
      new RendererConnection(std::move(channel), launch_token, script_options,
                             std::move(sandbox), std::move(engine)));
  connection->events_thread_ =
      std::thread([c = connection.get()] { c->ReadEvents(); });
  connection->task_thread_ =
      std::thread([c = connection.get()] { c->RunPageTasks(); });
  return connection;
}

RendererConnection::RendererConnection(std::shared_ptr<grpc::Channel> channel,
                                       std::string launch_token,
                                       ScriptEngineOptions script_options,
                                       ipc::SandboxReport sandbox,
                                       std::unique_ptr<ScriptEngine> engine)
    : launch_token_(std::move(launch_token)),
      sandbox_(std::move(sandbox)),
      channel_(std::move(channel)),
      stub_(ipc::DeferredFetchHost::NewStub(channel_)),
      events_context_(NewContext()),
      page_runner_(std::make_unique<PageRunner>(this,
                                                script_options,
                                                std::move(engine))) {}

RendererConnection::~RendererConnection() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (task_thread_.joinable())
    task_thread_.join();
  events_context_->TryCancel();
  if (events_thread_.joinable())
    events_thread_.join();
}

void RendererConnection::RunPageTasks() {
  while (true) {
    PageTask task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !page_tasks_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_)
        break;
      task = std::move(page_tasks_.front());
      page_tasks_.pop_front();
    }
    if (task.violation) {
      page_runner_->ReportSecurityPolicyViolation(*task.violation);
      continue;
    }
    if (task.fetch_completed) {
      page_runner_->CompleteFetch(*task.fetch_completed);
      continue;
    }
    if (!task.step) {
      page_runner_->ForgetDocument(task.destroyed_document);
      continue;
    }
    ipc::StepResult result = page_runner_->Run(*task.step);
    ipc::Empty ignored;
    auto context = NewContext();
    stub_->ReportStepResult(context.get(), result, &ignored);
  }
  // Script state lives and dies on this thread.
  page_runner_.reset();
}

std::unique_ptr<grpc::ClientContext> RendererConnection::NewContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata(kRendererTokenMetadata, launch_token_);
  return context;
}

void RendererConnection::ReadEvents() {
  ipc::WatchEventsRequest request;
  *request.mutable_sandbox() = sandbox_;
  std::unique_ptr<grpc::ClientReader<ipc::RendererEvent>> reader =
      stub_->WatchEvents(events_context_.get(), request);
  ipc::RendererEvent event;
  while (reader->Read(&event)) {
    absl::MutexLock lock(&mu_);
    if (event.has_document_committed()) {
      const ipc::DocumentCommitted& committed = event.document_committed();
      absl::StatusOr<net::Url> url = net::Url::Parse(committed.url());
      if (!url.ok())
        continue;
      ClientContext context = ClientContext::ForDocument(*url);
      // The browser's origin and base URL are authoritative: opaque for a
      // sandboxed frame (or one nested in it), the creator's for about:blank.
      absl::StatusOr<net::Origin> origin =
          net::Origin::Parse(committed.origin());
      context.origin =
          origin.ok() ? *std::move(origin) : net::Origin::CreateOpaque();
      if (!committed.base_url().empty()) {
        absl::StatusOr<net::Url> base_url =
            net::Url::Parse(committed.base_url());
        if (base_url.ok())
          context.base_url = *std::move(base_url);
      }
      context.secure_context = committed.secure_context();
      documents_.insert_or_assign(committed.document_token(),
                                  std::move(context));
      committed_.insert_or_assign(
          committed.document_token(),
          CommittedDocument{committed.hidden(),
                            {committed.allowed_features().begin(),
                             committed.allowed_features().end()},
                            {committed.console_warnings().begin(),
                             committed.console_warnings().end()}});
    } else if (event.has_document_state_changed()) {
      const ipc::DocumentStateChanged& state = event.document_state_changed();
      auto it = documents_.find(state.document_token());
      if (it == documents_.end())
        continue;
      if (state.destroyed()) {
        documents_.erase(it);
        committed_.erase(state.document_token());
        held_completions_.erase(state.document_token());
        page_tasks_.push_back(
            PageTask{std::nullopt, std::nullopt, state.document_token()});
        absl::erase_if(pending_, [&](const auto& entry) {
          return entry.first.first == state.document_token();
        });
      } else {
        it->second.fully_active = state.fully_active();
        // Fully active again (restored from the bfcache): the fetch() ends
        // it could not hear meanwhile are its next tasks.
        auto held = held_completions_.find(state.document_token());
        if (state.fully_active() && held != held_completions_.end()) {
          for (ipc::FetchCompleted& completed : held->second) {
            page_tasks_.push_back(
                PageTask{std::nullopt, std::nullopt, "", std::move(completed)});
          }
          held_completions_.erase(held);
        }
      }
    } else if (event.has_run_page_step()) {
      page_tasks_.push_back(PageTask{event.run_page_step(), std::nullopt, ""});
    } else if (event.has_security_policy_violation()) {
      // CSP "report a violation": the document's script hears of it in task
      // order with its page steps.
      if (documents_.contains(
              event.security_policy_violation().document_token()))
        page_tasks_.push_back(
            PageTask{std::nullopt, event.security_policy_violation(), ""});
    } else if (event.has_fetch_completed()) {
      auto it = documents_.find(event.fetch_completed().document_token());
      if (it == documents_.end())
        continue;
      if (!it->second.fully_active) {
        held_completions_[it->first].push_back(event.fetch_completed());
        continue;
      }
      page_tasks_.push_back(
          PageTask{std::nullopt, std::nullopt, "", event.fetch_completed()});
    } else if (event.has_activated()) {
      auto it = pending_.find(
          {event.activated().document_token(), event.activated().client_id()});
      if (it == pending_.end())
        continue;
      // Fetch: the deferred fetch task source runs "notify invoked": activated
      // = true.
      it->second.activated->store(true);
      pending_.erase(it);
      activations_++;
    }
  }
  reader->Finish();
  absl::MutexLock lock(&mu_);
  disconnected_ = true;
}

bool RendererConnection::WaitForDocument(const std::string& token,
                                         absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto present = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return documents_.contains(token) || disconnected_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&present), timeout);
  return documents_.contains(token);
}

std::optional<ClientContext> RendererConnection::Document(
    const std::string& token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(token);
  if (it == documents_.end())
    return std::nullopt;
  return it->second;
}

std::optional<RendererConnection::CommittedDocument>
RendererConnection::Committed(const std::string& token) {
  absl::MutexLock lock(&mu_);
  auto it = committed_.find(token);
  if (it == committed_.end())
    return std::nullopt;
  return it->second;
}

bool RendererConnection::WaitForActivated(const FetchLaterResult& result,
                                          absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return result.activated() || disconnected_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return result.activated();
}

bool RendererConnection::disconnected() {
  absl::MutexLock lock(&mu_);
  return disconnected_;
}

JsError RendererConnection::QuotaExceeded(uint64_t quota,
                                          uint64_t requested) const {
  JsError error;
  error.type = JsErrorType::kQuotaExceededError;
  error.message =
      absl::StrCat("fetchLater: ", requested, " bytes requested, ", quota,
                   " bytes of deferred-fetch quota available");
  error.quota = quota;
  error.requested = requested;
  return error;
}

JsResult<FetchLaterResult> RendererConnection::FetchLater(
    const std::string& document_token,
    const std::optional<RequestInfo>& input,
    const DeferredRequestInit& init,
    const std::optional<RetryOptionsInit>& retry) {
  std::optional<ClientContext> client = Document(document_token);
  if (!client)
    return MakeTypeError(
        "fetchLater: the document is not hosted by this renderer");

  // Steps 1-9.
  JsResult<ValidatedFetchLater> validated =
      ValidateFetchLater(input, init, *client);
  if (!validated.ok())
    return validated.error();
  const Request& request = validated->request;
  const uint64_t requested = TotalRequestLength(request);

  // Steps 10-12 for a request that can never fit: only the available quota is
  // needed.
  if (requested > kMaxDeferredRequestLength) {
    ipc::QueryQuotaRequest query;
    query.set_document_token(document_token);
    // Only the origin matters, and the URL itself may be what is too long.
    query.set_url(net::Origin::Create(request.url()).Serialize() + "/");
    ipc::QueryQuotaResponse answer;
    auto context = NewContext();
    grpc::Status status = stub_->QueryQuota(context.get(), query, &answer);
    if (!status.ok())
      return MakeTypeError("fetchLater: the browser refused the call");
    if (answer.outcome() == ipc::NOT_FULLY_ACTIVE) {
      return MakeTypeError("fetchLater: the document is not fully active");
    }
    return QuotaExceeded(answer.quota(), requested);
  }

  ipc::FetchLaterRequest message;
  message.set_document_token(document_token);
  SetRequestFields(request, client->referrer_policy, message);
  if (validated->activate_after_ms)
    message.set_activate_after_ms(*validated->activate_after_ms);
  message.set_total_request_length(requested);
  if (retry)
    *message.mutable_retry_options() = ToIpc(*retry);
  auto activated = std::make_shared<std::atomic<bool>>(false);
  uint64_t client_id;
  {
    absl::MutexLock lock(&mu_);
    client_id = next_client_id_++;
    // Registered before the call so an activation racing the reply is not lost.
    pending_[{document_token, client_id}] =
        Pending{activated, request.signal()};
  }
  message.set_client_id(client_id);

  ipc::FetchLaterResponse response;
  auto context = NewContext();
  grpc::Status status = stub_->FetchLater(context.get(), message, &response);
  if (!status.ok() || response.outcome() != ipc::QUEUED) {
    absl::MutexLock lock(&mu_);
    pending_.erase({document_token, client_id});
  }
  if (!status.ok()) {
    return MakeTypeError(absl::StrCat(
        "fetchLater: the browser refused the call: ", status.error_message()));
  }
  switch (response.outcome()) {
    case ipc::QUEUED:
      break;
    case ipc::NOT_FULLY_ACTIVE:
      return MakeTypeError("fetchLater: the document is not fully active");
    case ipc::QUOTA_EXCEEDED:
      return QuotaExceeded(response.quota(), response.requested());
    default:
      return MakeTypeError("fetchLater: unexpected answer from the browser");
  }

  // Step 15: aborting the signal aborts the deferred record (a no-op once
  // sent).
  std::shared_ptr<ipc::DeferredFetchHost::Stub> stub = stub_;
  std::string token = launch_token_;
  request.signal()->AddAlgorithm([stub, token, document_token, client_id] {
    ipc::AbortFetchLaterRequest abort;
    abort.set_document_token(document_token);
    abort.set_client_id(client_id);
    ipc::AbortFetchLaterResponse ignored;
    grpc::ClientContext context;
    context.AddMetadata(kRendererTokenMetadata, token);
    stub->AbortFetchLater(&context, abort, &ignored);
  });
  // Step 16.
  return FetchLaterResult(activated);
}

JsResult<uint64_t> RendererConnection::Fetch(
    const std::string& document_token,
    const Request& request,
    const std::optional<RetryOptionsInit>& retry) {
  std::optional<ClientContext> client = Document(document_token);
  if (!client)
    return MakeTypeError("fetch: the document is not hosted by this renderer");
  // What one message can carry (this prototype streams no upload).
  if (request.body_bytes().size() >
      static_cast<size_t>(ipc::MAX_FETCH_BODY_BYTES)) {
    return MakeTypeError(
        absl::StrCat("fetch: a body of ", request.body_bytes().size(),
                     " bytes is more than this browser sends (",
                     ipc::MAX_FETCH_BODY_BYTES, ")"));
  }
  ipc::FetchRequest message;
  message.set_document_token(document_token);
  SetRequestFields(request, client->referrer_policy, message);
  message.set_keepalive(request.keepalive());
  if (retry)
    *message.mutable_retry_options() = ToIpc(*retry);
  {
    absl::MutexLock lock(&mu_);
    message.set_client_id(next_client_id_++);
  }
  ipc::FetchAccepted accepted;
  auto context = NewContext();
  grpc::Status status = stub_->Fetch(context.get(), message, &accepted);
  if (!status.ok()) {
    return MakeTypeError(absl::StrCat("fetch: the browser refused the call: ",
                                      status.error_message()));
  }
  return message.client_id();
}

void RendererConnection::AbortFetch(const std::string& document_token,
                                    uint64_t client_id) {
  ipc::AbortFetchRequest abort;
  abort.set_document_token(document_token);
  abort.set_client_id(client_id);
  ipc::AbortFetchResponse ignored;
  auto context = NewContext();
  stub_->AbortFetch(context.get(), abort, &ignored);
}

}  // namespace fetch_later::renderer
