#include "browser/renderer_host_registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
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

}  // namespace

RendererHostRegistry::DocumentUpdate
RendererHostRegistry::OnDocumentStateChanged(
    const DocumentStateChange& change) {
  DocumentUpdate update;
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
      update.created_host = host;
    }
    auto facts = std::make_shared<ClientFacts>(
        ClientFacts{*change.origin, std::nullopt, change.secure_context,
                    change.network_isolation_key, change.csp_list,
                    change.url->Serialize()});
    // "client" as a referrer source: the document's URL, unless its origin is
    // opaque. Stripped once here rather than on every call.
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
    if (change.base_url)
      committed->set_base_url(change.base_url->Serialize());
    committed->set_hidden(change.hidden);
    committed->set_secure_context(change.secure_context);
    for (const std::string& feature : change.allowed_features)
      committed->add_allowed_features(feature);
    for (const std::string& warning : change.console_warnings)
      committed->add_console_warnings(warning);
    host->PushEvent(std::move(event));
    documents_.emplace(change.document, std::move(hosted));
    return update;
  }
  auto it = documents_.find(change.document);
  if (it == documents_.end())
    return update;
  ipc::RendererEvent event;
  auto* state = event.mutable_document_state_changed();
  state->set_document_token(it->second.token);
  state->set_fully_active(change.fully_active);
  state->set_destroyed(change.destroyed);
  it->second.host->PushEvent(std::move(event));
  if (change.destroyed) {
    it->second.host->RemoveDocument(it->second.token);
    documents_by_token_.erase(it->second.token);
    update.destroyed_token = std::move(it->second.token);
    documents_.erase(it);
  }
  return update;
}

void RendererHostRegistry::OnDeferredFetchProcessed(
    const ProcessedDeferredFetch& fetch) {
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

bool RendererHostRegistry::SendSecurityPolicyViolation(
    DocumentId document,
    ipc::SecurityPolicyViolation violation) {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(document);
  if (it == documents_.end())
    return false;  // gone: nobody to tell
  violation.set_document_token(it->second.token);
  ipc::RendererEvent event;
  *event.mutable_security_policy_violation() = std::move(violation);
  it->second.host->PushEvent(std::move(event));
  return true;
}

bool RendererHostRegistry::SendFetchCompleted(DocumentId document,
                                              ipc::FetchCompleted completed) {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(document);
  if (it == documents_.end())
    return false;  // gone: nobody to tell
  completed.set_document_token(it->second.token);
  ipc::RendererEvent event;
  *event.mutable_fetch_completed() = std::move(completed);
  it->second.host->PushEvent(std::move(event));
  return true;
}

RendererHost* RendererHostRegistry::Authenticate(
    absl::string_view launch_token) {
  absl::MutexLock lock(&mu_);
  auto it = hosts_by_token_.find(std::string(launch_token));
  if (it == hosts_by_token_.end() || it->second->terminated())
    return nullptr;
  return it->second;
}

std::optional<RendererHostRegistry::Hosted> RendererHostRegistry::HostedBy(
    const RendererHost& renderer,
    const std::string& document_token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_by_token_.find(document_token);
  if (it == documents_by_token_.end())
    return std::nullopt;
  const HostedDocument& hosted = documents_.at(it->second);
  if (hosted.host != &renderer)
    return std::nullopt;
  return Hosted{it->second, hosted.facts};
}

absl::StatusOr<DocumentId> RendererHostRegistry::DocumentForToken(
    const std::string& document_token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_by_token_.find(document_token);
  if (it == documents_by_token_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no document with token \"", document_token, "\""));
  }
  return it->second;
}

absl::StatusOr<RendererHost*> RendererHostRegistry::HostOf(
    const std::string& document_token) {
  absl::MutexLock lock(&mu_);
  auto it = documents_by_token_.find(document_token);
  if (it == documents_by_token_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no document with token \"", document_token, "\""));
  }
  return documents_.at(it->second).host;
}

std::optional<std::string> RendererHostRegistry::TokenOf(DocumentId document) {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(document);
  if (it == documents_.end())
    return std::nullopt;
  return it->second.token;
}

absl::StatusOr<CommittedFrame> RendererHostRegistry::Committed(
    NavigableId navigable,
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

std::vector<DocumentId> RendererHostRegistry::DocumentsOf(
    const RendererHost& renderer) {
  absl::MutexLock lock(&mu_);
  std::vector<DocumentId> out;
  for (const auto& [id, hosted] : documents_) {
    if (hosted.host == &renderer)
      out.push_back(id);
  }
  return out;
}

bool RendererHostRegistry::AwaitNoDocuments(const RendererHost& renderer,
                                            absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto gone = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    for (const auto& [id, hosted] : documents_) {
      if (hosted.host == &renderer)
        return false;
    }
    return true;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&gone), timeout);
}

void RendererHostRegistry::RecordBadMessage(BadMessageRecord record) {
  absl::MutexLock lock(&mu_);
  bad_messages_.push_back(std::move(record));
}

std::vector<BadMessageRecord> RendererHostRegistry::bad_messages() {
  absl::MutexLock lock(&mu_);
  return bad_messages_;
}

std::vector<const RendererHost*> RendererHostRegistry::renderers() {
  absl::MutexLock lock(&mu_);
  std::vector<const RendererHost*> out;
  out.reserve(hosts_.size());
  for (const auto& host : hosts_)
    out.push_back(host.get());
  return out;
}

absl::flat_hash_map<DocumentId, const RendererHost*>
RendererHostRegistry::DocumentRenderers() {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<DocumentId, const RendererHost*> out;
  for (const auto& [id, hosted] : documents_)
    out.emplace(id, hosted.host);
  return out;
}

}  // namespace fetch_later::browser
