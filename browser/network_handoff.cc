#include "browser/network_handoff.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"

namespace fetch_later::browser {

void NetworkHandoff::OnDeferredFetchProcessed(
    const ProcessedDeferredFetch& fetch) {
  if (network_stage_ == nullptr)
    return;
  // The request kept its URL serialised (without the fragment, which is never
  // sent); the network stage takes it parsed. A URL's serialisation always
  // parses back to that URL (one that did not could not be sent anyway).
  absl::StatusOr<net::Url> url = fetch.request.url.Parse();
  if (!url.ok())
    return;
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
  out.mode = fetch.request.mode;
  out.credentials = fetch.request.credentials;
  out.redirect = fetch.request.redirect;
  if (fetch.notify_invoked && fetch.request.retry_options) {
    absl::MutexLock lock(&mu_);
    retrying_while_alive_[fetch.document].push_back(fetch.id.value());
  }
  network_stage_->Send(std::move(out));
}

void NetworkHandoff::OnDocumentStateChanged(const DocumentStateChange& change) {
  bool became_active = false, became_inactive = false;
  std::vector<uint64_t> initiator_gone;
  {
    absl::MutexLock lock(&mu_);
    if (change.destroyed) {
      auto retrying = retrying_while_alive_.find(change.document);
      if (retrying != retrying_while_alive_.end()) {
        initiator_gone = std::move(retrying->second);
        retrying_while_alive_.erase(retrying);
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
  if (network_stage_ == nullptr)
    return;
  if (became_active)
    network_stage_->OnDocumentActive(change.network_isolation_key);
  if (became_inactive)
    network_stage_->OnDocumentInactive(change.network_isolation_key);
  for (uint64_t id : initiator_gone)
    network_stage_->OnInitiatorGone(id);
}

}  // namespace fetch_later::browser
