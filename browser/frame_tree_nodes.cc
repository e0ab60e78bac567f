#include "browser/frame_tree_nodes.h"

#include <algorithm>

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

bool NavigableContainer::SandboxesOrigin() const {
  if (!sandbox)
    return false;
  return std::none_of(
      sandbox->begin(), sandbox->end(),
      [](const std::string& t) { return t == "allow-same-origin"; });
}

policy::ContainerInfo NavigableContainer::PolicyContainerInfo() const {
  const Document& parent = *node_document;
  policy::ContainerInfo info{&parent.permissions_policy, parent.origin, allow,
                             std::nullopt};
  // HTML: the iframe's "declared origin": a new opaque origin when sandboxed
  // without allow-same-origin, else the src URL's origin, else (about:blank, no
  // src) the parent's.
  if (SandboxesOrigin()) {
    info.declared_origin = net::Origin::CreateOpaque();
  } else if (src && src->scheme() != "about") {
    info.declared_origin = net::Origin::Create(*src);
  } else {
    info.declared_origin = parent.origin;
  }
  return info;
}

Document* Navigable::ContainerDocument() const {
  return container ? container->node_document : nullptr;
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
