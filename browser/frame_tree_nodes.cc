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

bool Document::IsFullyActive() const {
  if (state != DocumentState::kActive)
    return false;
  Document* parent = node_navigable->ContainerDocument();
  return parent == nullptr || parent->IsFullyActive();
}

}  // namespace fetch_later::browser
