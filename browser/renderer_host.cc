#include "browser/renderer_host.h"

#include <fcntl.h>
#include <sys/random.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"

namespace fetch_later::browser {

std::string NewUnguessableToken() {
  unsigned char bytes[16];
  size_t filled = 0;
  while (filled < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
    if (n < 0) {
      std::perror("getrandom");
      std::abort();  // no token is better than a guessable one
    }
    filled += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

void RendererHost::AddDocument(const std::string& token, DocumentId document) {
  absl::MutexLock lock(&mu_);
  documents_[token] = document;
}

std::optional<DocumentId> RendererHost::FindDocument(
    const std::string& token) const {
  absl::MutexLock lock(&mu_);
  auto it = documents_.find(token);
  if (it == documents_.end())
    return std::nullopt;
  return it->second;
}

void RendererHost::RemoveDocument(const std::string& token) {
  absl::MutexLock lock(&mu_);
  documents_.erase(token);
}

bool RendererHost::AddFetch(const std::string& document_token,
                            uint64_t client_id,
                            DeferredFetchId id) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = fetches_.try_emplace({document_token, client_id}, id);
  if (!inserted)
    return false;
  fetch_keys_[id] = {document_token, client_id};
  return true;
}

std::optional<DeferredFetchId> RendererHost::FindFetch(
    const std::string& document_token,
    uint64_t client_id) const {
  absl::MutexLock lock(&mu_);
  auto it = fetches_.find({document_token, client_id});
  if (it == fetches_.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::pair<std::string, uint64_t>> RendererHost::TakeFetch(
    DeferredFetchId id) {
  absl::MutexLock lock(&mu_);
  auto it = fetch_keys_.find(id);
  if (it == fetch_keys_.end())
    return std::nullopt;
  auto key = std::move(it->second);
  fetch_keys_.erase(it);
  fetches_.erase(key);
  return key;
}

void RendererHost::PushEvent(ipc::RendererEvent event) {
  absl::MutexLock lock(&mu_);
  if (terminated_)
    return;
  events_.push_back(std::move(event));
}

std::optional<ipc::RendererEvent> RendererHost::PopEvent(
    absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return terminated_ || event_stream_closed_ || !events_.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (terminated_ || event_stream_closed_ || events_.empty())
    return std::nullopt;
  ipc::RendererEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void RendererHost::CloseEventStream() {
  absl::MutexLock lock(&mu_);
  event_stream_closed_ = true;
}

bool RendererHost::Terminate(std::string reason) {
  absl::MutexLock lock(&mu_);
  if (terminated_)
    return false;
  terminated_ = true;
  termination_reason_ = std::move(reason);
  events_.clear();
  return true;
}

bool RendererHost::terminated() const {
  absl::MutexLock lock(&mu_);
  return terminated_;
}

std::string RendererHost::termination_reason() const {
  absl::MutexLock lock(&mu_);
  return termination_reason_;
}

int RendererHost::document_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(documents_.size());
}

void RendererHost::set_sandbox(ipc::debug::RendererSandbox sandbox) {
  absl::MutexLock lock(&mu_);
  sandbox_ = std::move(sandbox);
}

ipc::debug::RendererSandbox RendererHost::sandbox() const {
  absl::MutexLock lock(&mu_);
  if (sandbox_.verdict().empty()) {
    ipc::debug::RendererSandbox pending;
    pending.set_verdict("pending");
    return pending;
  }
  return sandbox_;
}

}  // namespace fetch_later::browser
