#include "browser/network_handoff.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "net/origin.h"
#include "net/referrer.h"

namespace fetch_later::browser {

namespace {

// The request `id` as the network stage takes it, with what main fetch needs
// from the browser's record of its client (never the renderer's word): the
// request's origin, its referrer ("client" resolved to `client_referrer`, the
// document's URL; an explicit URL; or none) and referrer policy, and the
// document's CSP list. nullopt when the URL does not parse again (a URL's
// serialisation always parses back to that URL; one that did not could not be
// sent anyway).
std::optional<net::OutgoingRequest> MakeOutgoingRequest(
    uint64_t id,
    const DeferredRequest& request,
    const net::NetworkIsolationKey& network_isolation_key,
    bool initiator_gone,
    const std::optional<net::Origin>& origin,
    const std::optional<net::StrippedReferrer>& client_referrer,
    std::shared_ptr<const net::CspList> csp) {
  // The request kept its URL serialised (without the fragment, which is never
  // sent); the network stage takes it parsed.
  absl::StatusOr<net::Url> url = request.url.Parse();
  if (!url.ok())
    return std::nullopt;
  net::OutgoingRequest out{id,
                           request.method,
                           *std::move(url),
                           request.headers,
                           request.body,
                           network_isolation_key,
                           request.retry_options,
                           initiator_gone};
  out.mode = request.mode;
  out.credentials = request.credentials;
  out.redirect = request.redirect;
  out.origin = origin;
  if (request.referrer_url) {
    if (absl::StatusOr<net::Url> referrer =
            net::Url::Parse(*request.referrer_url);
        referrer.ok()) {
      out.referrer = net::StripReferrerSource(*referrer);
    }
  } else if (!request.no_referrer) {
    out.referrer = client_referrer;
  }
  out.referrer_policy = request.referrer_policy;
  out.csp = std::move(csp);
  return out;
}

}  // namespace

void NetworkHandoff::OnDeferredFetchProcessed(
    const ProcessedDeferredFetch& fetch) {
  if (network_stage_ == nullptr)
    return;
  std::optional<net::OutgoingRequest> out = MakeOutgoingRequest(
      fetch.id.value(), fetch.request, fetch.network_isolation_key,
      /*initiator_gone=*/!fetch.notify_invoked, fetch.origin,
      fetch.client_referrer, fetch.csp_list);
  if (!out)
    return;
  // Restored from the journal after a restart: how far it had got.
  out->resumption = fetch.resumption;
  if (fetch.notify_invoked) {
    RememberInitiator(fetch.id.value(), fetch.document, *out,
                      fetch.document_url);
  }
  network_stage_->Send(*std::move(out));
}

void NetworkHandoff::SendFetch(uint64_t request_id,
                               DocumentId document,
                               const ClientFacts& client,
                               const DeferredRequest& request) {
  if (network_stage_ == nullptr)
    return;
  std::optional<net::OutgoingRequest> out =
      MakeOutgoingRequest(request_id, request, client.network_isolation_key,
                          /*initiator_gone=*/false, client.origin,
                          client.client_referrer, client.csp_list);
  if (!out)
    return;
  RememberInitiator(request_id, document, *out, client.document_url);
  network_stage_->Send(*std::move(out));
}

void NetworkHandoff::Cancel(uint64_t request_id) {
  if (network_stage_ != nullptr)
    network_stage_->Cancel(request_id);
}

void NetworkHandoff::RememberInitiator(uint64_t request_id,
                                       DocumentId document,
                                       const net::OutgoingRequest& out,
                                       const std::string& document_url) {
  absl::MutexLock lock(&mu_);
  if (out.retry_options)
    retrying_while_alive_[document].push_back(request_id);
  // A CSP block is told to the document while it lives.
  if (out.csp && !out.csp->policies.empty()) {
    csp_initiators_[request_id] = {
        document, document_url, out.url.Serialize(/*exclude_fragment=*/true)};
  }
}

std::optional<NetworkHandoff::Violation> NetworkHandoff::OnRequestOutcome(
    const net::RequestOutcome& outcome) {
  CspInitiator initiator;
  {
    absl::MutexLock lock(&mu_);
    auto it = csp_initiators_.find(outcome.request_id);
    if (it == csp_initiators_.end())
      return std::nullopt;
    initiator = std::move(it->second);
    csp_initiators_.erase(it);
  }
  if (outcome.kind != net::RequestOutcome::Kind::kBlocked ||
      outcome.blocked_reason != net::BlockedReason::kCsp ||
      !outcome.csp_violation) {
    return std::nullopt;
  }
  Violation v{initiator.document, {}};
  // CSP: "strip URL for use in reports"; after a redirect only the origin of
  // the request's original URL is reported, so the redirect target leaks
  // nothing.
  std::string blocked_url = outcome.blocked_url;
  if (outcome.redirect_count > 0) {
    absl::StatusOr<net::Origin> original =
        net::Origin::Parse(initiator.request_url);
    blocked_url = original.ok() ? original->Serialize() : "";
  }
  v.event.set_blocked_url(std::move(blocked_url));
  v.event.set_violated_directive(outcome.csp_violation->violated_directive);
  v.event.set_effective_directive(outcome.csp_violation->effective_directive);
  v.event.set_original_policy(outcome.csp_violation->original_policy);
  v.event.set_disposition("enforce");
  v.event.set_document_url(std::move(initiator.document_url));
  return v;
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
