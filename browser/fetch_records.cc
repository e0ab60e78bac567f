#include "browser/fetch_records.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "net/blocked_reason.h"
#include "net/response_filter.h"

namespace fetch_later::browser {
namespace {

ipc::ResponseType ToIpc(net::FilteredResponseType type) {
  switch (type) {
    case net::FilteredResponseType::kBasic:
      return ipc::RESPONSE_TYPE_BASIC;
    case net::FilteredResponseType::kCors:
      return ipc::RESPONSE_TYPE_CORS;
    case net::FilteredResponseType::kOpaque:
      return ipc::RESPONSE_TYPE_OPAQUE;
    case net::FilteredResponseType::kOpaqueRedirect:
      return ipc::RESPONSE_TYPE_OPAQUE_REDIRECT;
  }
  return ipc::RESPONSE_TYPE_BASIC;
}

ipc::FetchCompleted NetworkError(std::string message) {
  ipc::FetchCompleted event;
  event.mutable_network_error()->set_message(std::move(message));
  return event;
}

}  // namespace

ipc::FetchCompleted FetchCompletedFor(const net::RequestOutcome& outcome,
                                      net::RedirectMode redirect,
                                      net::CredentialsMode credentials) {
  switch (outcome.kind) {
    case net::RequestOutcome::Kind::kBlocked:
      return NetworkError(
          absl::StrCat("fetch: blocked (",
                       outcome.blocked_reason
                           ? net::BlockedReasonName(*outcome.blocked_reason)
                           : "?",
                       "): ", outcome.message));
    case net::RequestOutcome::Kind::kNetworkError:
      return NetworkError(
          absl::StrCat("fetch: network error: ",
                       outcome.error ? outcome.error->ToString() : "unknown"));
    case net::RequestOutcome::Kind::kResponse:
      break;
  }
  absl::StatusOr<net::FilteredResponse> filtered =
      net::FilterResponse(outcome, redirect, credentials);
  if (!filtered.ok())
    return NetworkError(std::string(filtered.status().message()));
  // The stage keeps the first 1 MiB of a body; a Response with the rest cut
  // off would be a lie.
  if (filtered->body && outcome.body_length > outcome.body.size()) {
    return NetworkError(
        absl::StrCat("fetch: the response body of ", outcome.url, " is ",
                     outcome.body_length, " bytes, more than the ",
                     outcome.body.size(), " this browser keeps of a response"));
  }
  ipc::FetchCompleted event;
  ipc::FetchResponse* response = event.mutable_response();
  response->set_type(ToIpc(filtered->type));
  response->set_url(filtered->url);
  response->set_redirected(filtered->redirected);
  response->set_status(static_cast<uint32_t>(filtered->status));
  response->set_status_text(filtered->status_text);
  for (const auto& [name, value] : filtered->headers) {
    ipc::Header* header = response->add_headers();
    header->set_name(name);
    header->set_value(value);
  }
  if (filtered->body)
    response->set_body(*std::move(filtered->body));
  return event;
}

std::vector<uint64_t> FetchRecords::OnDocumentStateChanged(
    const DocumentStateChange& change) {
  std::vector<uint64_t> terminated;
  absl::MutexLock lock(&mu_);
  if (change.created) {
    groups_.try_emplace(change.document);
    return terminated;
  }
  if (!change.destroyed)
    return terminated;
  auto group = groups_.find(change.document);
  if (group == groups_.end())
    return terminated;
  // Fetch: fetch group "terminated": every record whose keepalive is false is
  // terminated; the keepalive ones continue, and the document that would
  // hear of them is gone.
  for (const auto& [client_id, request_id] :
       group->second.request_by_client_id) {
    auto record = records_.find(request_id);
    if (record == records_.end())
      continue;
    if (!record->second.request.keepalive)
      terminated.push_back(request_id);
    records_.erase(record);
  }
  groups_.erase(group);
  return terminated;
}

FetchRecords::Started FetchRecords::Start(DocumentId document,
                                          uint64_t client_id,
                                          const Request& request) {
  Started started;
  absl::MutexLock lock(&mu_);
  auto group = groups_.find(document);
  if (group == groups_.end()) {
    started.outcome = StartOutcome::kDocumentGone;
    return started;
  }
  if (group->second.request_by_client_id.contains(client_id)) {
    started.outcome = StartOutcome::kClientIdInUse;
    return started;
  }
  // Fetch: "HTTP-network-or-cache fetch": "If contentLength is non-null and
  // httpRequest's keepalive is true": the in-flight keepalive bodies of the
  // fetch group plus this one may not exceed 64 KiB.
  if (request.keepalive && request.body_length) {
    const uint64_t inflight = group->second.inflight_keepalive_bytes;
    if (*request.body_length + inflight > kKeepaliveBodyLimit) {
      started.outcome = StartOutcome::kKeepaliveLimit;
      started.network_error = NetworkError(absl::StrCat(
          "fetch: keepalive: ", inflight,
          " bytes of this document's keepalive request bodies are in flight, "
          "and ",
          *request.body_length, " more would exceed ", kKeepaliveBodyLimit,
          " (Fetch \"HTTP-network-or-cache fetch\")"));
      started.network_error.set_client_id(client_id);
      return started;
    }
    group->second.inflight_keepalive_bytes += *request.body_length;
  }
  const uint64_t request_id = kRequestIdBit | next_id_++;
  group->second.request_by_client_id[client_id] = request_id;
  records_[request_id] = Record{document, client_id, request};
  started.request_id = request_id;
  return started;
}

void FetchRecords::EraseLocked(
    absl::flat_hash_map<uint64_t, Record>::iterator it) {
  const Record& record = it->second;
  auto group = groups_.find(record.document);
  if (group != groups_.end()) {
    group->second.request_by_client_id.erase(record.client_id);
    if (record.request.keepalive && record.request.body_length)
      group->second.inflight_keepalive_bytes -= *record.request.body_length;
  }
  records_.erase(it);
}

std::optional<uint64_t> FetchRecords::Abort(DocumentId document,
                                            uint64_t client_id) {
  absl::MutexLock lock(&mu_);
  auto group = groups_.find(document);
  if (group == groups_.end())
    return std::nullopt;
  auto by_client = group->second.request_by_client_id.find(client_id);
  if (by_client == group->second.request_by_client_id.end())
    return std::nullopt;
  const uint64_t request_id = by_client->second;
  auto record = records_.find(request_id);
  if (record != records_.end())
    EraseLocked(record);
  return request_id;
}

std::optional<FetchRecords::Completion> FetchRecords::OnRequestOutcome(
    const net::RequestOutcome& outcome) {
  if ((outcome.request_id & kRequestIdBit) == 0)
    return std::nullopt;  // a deferred fetch
  Completion completion;
  Request request;
  {
    absl::MutexLock lock(&mu_);
    auto record = records_.find(outcome.request_id);
    if (record == records_.end())
      return std::nullopt;  // terminated or aborted meanwhile
    completion.document = record->second.document;
    completion.event.set_client_id(record->second.client_id);
    request = record->second.request;
    // Fetch: the fetch is done: its keepalive body no longer counts.
    EraseLocked(record);
  }
  // Filtering copies the body: outside the lock.
  const uint64_t client_id = completion.event.client_id();
  completion.event =
      FetchCompletedFor(outcome, request.redirect, request.credentials);
  completion.event.set_client_id(client_id);
  return completion;
}

size_t FetchRecords::InFlightCount() {
  absl::MutexLock lock(&mu_);
  return records_.size();
}

uint64_t FetchRecords::InFlightKeepaliveBytes(DocumentId document) {
  absl::MutexLock lock(&mu_);
  auto group = groups_.find(document);
  return group == groups_.end() ? 0 : group->second.inflight_keepalive_bytes;
}

}  // namespace fetch_later::browser
