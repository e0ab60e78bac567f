#include "browser/frame_tree_nodes.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace fetch_later::browser {

const char* InvokeStateName(InvokeState state) {
  switch (state) {
    case InvokeState::kPending:
      return "pending";
    case InvokeState::kSent:
      return "sent";
    case InvokeState::kAborted:
      return "aborted";
  }
  return "?";
}

DeferredFetchRecord::DeferredFetchRecord(
    DeferredFetchId id,
    Document* document,
    DeferredRequest request,
    uint64_t total_request_length,
    std::pair<const std::string, PendingForOrigin>* reporting_origin)
    : id(id),
      document(document),
      url(std::move(request.url)),
      method(std::move(request.method)),
      headers(std::move(request.headers)),
      body(std::move(request.body)),
      referrer_policy(request.referrer_policy),
      no_referrer(request.no_referrer),
      reporting_origin(reporting_origin),
      total_request_length(static_cast<uint32_t>(total_request_length)),
      body_length(static_cast<uint32_t>(request.body_length.value_or(0))),
      has_body_length(request.body_length.has_value()),
      mode(request.mode),
      credentials(request.credentials),
      redirect(request.redirect) {
  if (request.referrer_url) {
    referrer_url =
        document->InternReferrerString(std::move(*request.referrer_url));
  }
  if (!request.referer_header.empty()) {
    referer_header =
        document->InternReferrerString(std::move(request.referer_header));
  }
  if (request.retry_options) {
    retry_options =
        std::make_unique<const net::RetryOptions>(*request.retry_options);
  }
}

DeferredRequest DeferredFetchRecord::TakeRequest() {
  DeferredRequest request{std::move(method), std::move(url)};
  if (referrer_url)
    request.referrer_url = *referrer_url;
  request.headers = std::move(headers);
  if (has_body_length)
    request.body_length = body_length;
  if (referer_header)
    request.referer_header = *referer_header;
  if (retry_options)
    request.retry_options = *retry_options;
  request.mode = mode;
  request.credentials = credentials;
  request.redirect = redirect;
  request.body = std::move(body);
  request.referrer_policy = referrer_policy;
  request.no_referrer = no_referrer;
  referrer_url.reset();
  referer_header.reset();
  retry_options.reset();
  return request;
}

bool NavigableContainer::SandboxesOrigin() const {
  if (!sandbox)
    return false;
  return std::none_of(
      sandbox->begin(), sandbox->end(),
      [](const std::string& t) { return t == "allow-same-origin"; });
}

bool NavigableContainer::CreationSandboxesOrigin() const {
  return SandboxesOrigin() || node_document->sandboxed_origin;
}

policy::ContainerInfo NavigableContainer::PolicyContainerInfo() const {
  const Document& parent = *node_document;
  policy::ContainerInfo info{&parent.permissions_policy, parent.origin, allow,
                             std::nullopt};
  // Permissions Policy: "declared origin" of the iframe: a new opaque origin
  // when its node document's active sandboxing flags or its own `sandbox`
  // attribute set the sandboxed origin browsing context flag; else the origin
  // of its src URL (opaque for about:blank, as for any about: URL); else (no
  // src) the node document's origin.
  if (CreationSandboxesOrigin()) {
    info.declared_origin = net::Origin::CreateOpaque();
  } else if (src) {
    info.declared_origin = net::Origin::Create(*src);
  } else {
    info.declared_origin = parent.origin;
  }
  return info;
}

Document* Navigable::ContainerDocument() const {
  return container ? container->node_document : nullptr;
}

const Navigable& Navigable::TopLevelTraversable() const {
  const Navigable* navigable = this;
  while (navigable->container != nullptr)
    navigable = navigable->container->node_document->node_navigable;
  return *navigable;
}

Navigable& Navigable::TopLevelTraversable() {
  Navigable* navigable = this;
  while (navigable->container != nullptr)
    navigable = navigable->container->node_document->node_navigable;
  return *navigable;
}

void Document::AppendPending(DeferredFetchRecord* record) {
  record->prev_pending = last_pending;
  record->next_pending = nullptr;
  if (last_pending != nullptr) {
    last_pending->next_pending = record;
  } else {
    first_pending = record;
  }
  last_pending = record;
}

void Document::UnlinkPending(DeferredFetchRecord* record) {
  (record->prev_pending ? record->prev_pending->next_pending : first_pending) =
      record->next_pending;
  (record->next_pending ? record->next_pending->prev_pending : last_pending) =
      record->prev_pending;
  record->prev_pending = record->next_pending = nullptr;
}

std::shared_ptr<const std::string> Document::InternReferrerString(
    std::string value) {
  for (const auto& interned : interned_referrers_) {
    if (interned != nullptr && *interned == value)
      return interned;
  }
  auto& slot = interned_referrers_[next_interned_referrer_];
  next_interned_referrer_ = (next_interned_referrer_ + 1) % kInternedReferrers;
  value.shrink_to_fit();
  slot = std::make_shared<const std::string>(std::move(value));
  return slot;
}

void Document::RecomputeFullyActive(std::vector<Document*>* changed) {
  const Document* parent = node_navigable->ContainerDocument();
  const bool was_fully_active = fully_active_;
  fully_active_ = state == DocumentState::kActive &&
                  node_navigable->active_document == this &&
                  (parent == nullptr || parent->IsFullyActive());
  if (fully_active_ != was_fully_active)
    changed->push_back(this);
  if (owned_quota_group != nullptr)
    owned_quota_group->control_fully_active = fully_active_;
  for (auto& container : containers) {
    if (Document* child = container->content_navigable->active_document) {
      child->RecomputeFullyActive(changed);
    }
  }
}

}  // namespace fetch_later::browser
