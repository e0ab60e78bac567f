#include "browser/network_handoff.h"

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "net/origin.h"
#include "net/referrer.h"

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
  net::OutgoingRequest out{fetch.id.value(),
                           fetch.request.method,
                           *std::move(url),
                           fetch.request.headers,
                           fetch.request.body,
                           fetch.network_isolation_key,
                           fetch.request.retry_options,
                           /*initiator_gone=*/!fetch.notify_invoked};
  out.mode = fetch.request.mode;
  out.credentials = fetch.request.credentials;
  out.redirect = fetch.request.redirect;
  // What main fetch needs, from the browser's record of the document (never
  // the renderer's word): the request's origin, its referrer ("client"
  // resolved to the document's URL, an explicit URL, or none) and referrer
  // policy, and the document's CSP list.
  out.origin = fetch.origin;
  if (fetch.request.referrer_url) {
    if (absl::StatusOr<net::Url> referrer =
            net::Url::Parse(*fetch.request.referrer_url);
        referrer.ok()) {
      out.referrer = net::StripReferrerSource(*referrer);
    }
  } else if (!fetch.request.no_referrer) {
    out.referrer = fetch.client_referrer;
  }
  out.referrer_policy = fetch.request.referrer_policy;
  out.csp = fetch.csp_list;
  out.resumption = fetch.resumption;
  {
    absl::MutexLock lock(&mu_);
    if (fetch.notify_invoked && fetch.request.retry_options)
      retrying_while_alive_[fetch.document].push_back(fetch.id.value());
    // A CSP block is told to the document while it lives.
    if (fetch.notify_invoked && out.csp && !out.csp->policies.empty()) {
      csp_initiators_[fetch.id.value()] = {fetch.document, fetch.document_url,
                                           fetch.request.url.Serialize()};
    }
  }
  network_stage_->Send(std::move(out));
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
