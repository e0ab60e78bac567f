// The nodes of the browser's frame tree, as HTML names them: navigables
// (frames), navigable containers (iframe elements), documents and their fetch
// groups' deferred fetch records, and the deferred-fetch "quota group" of
// documents that share one control document.
//
// These are plain data owned by FrameTree (frame_tree.h), which alone creates,
// links and destroys them and guards them with its lock. Ownership runs down
// the tree: a Navigable owns its Documents (the active one and any in the
// back/forward cache), a Document owns the NavigableContainers (iframes) in it,
// and a container owns its content Navigable. Every pointer that runs up or
// across the tree is "not owned" and valid while the tree is.
#ifndef BROWSER_FRAME_TREE_NODES_H_
#define BROWSER_FRAME_TREE_NODES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
#include "browser/deferred_request.h"
#include "browser/typed_id.h"
#include "net/csp.h"
#include "net/network_stage.h"
#include "net/origin.h"
#include "net/url.h"
#include "policy/permissions_policy.h"

namespace fetch_later::browser {

class Document;
class Navigable;
class NavigableContainer;
struct QuotaGroup;

// Fetch: a deferred fetch record's "invoke state".
enum class InvokeState : uint8_t { kPending, kSent, kAborted };
const char* InvokeStateName(InvokeState state);

// A reporting origin's share of a quota group's pending records: what
// "available deferred-fetch quota" step 8 subtracts for that origin. Each
// pending record points at its origin's entry (QuotaGroup::pending_by_origin),
// so the record carries no copy of the origin.
struct PendingForOrigin {
  int64_t bytes = 0;    // Σ total request length
  int64_t records = 0;  // how many records point here
};

// Fetch: "deferred fetch record": (request, notify invoked, invoke state), plus
// what the browser caches about it so quota accounting never recomputes: its
// total request length and its request URL origin's (the "reporting origin's")
// entry in the quota group.
//
// Hundreds of thousands of records can be pending at once, so a record keeps
// its request compactly rather than as a DeferredRequest: the URL serialised,
// the referrer strings shared with the document's other records that carry the
// same value (Document::InternReferrerString), the rarely set retry options out
// of line. TakeRequest() gives the DeferredRequest back.
struct DeferredFetchRecord {
  DeferredFetchRecord(
      DeferredFetchId id,
      Document* document,
      DeferredRequest request,
      uint64_t total_request_length,
      std::pair<const std::string, PendingForOrigin>* reporting_origin);

  // The record's request, for "process a deferred fetch"; the record keeps
  // none of it afterwards.
  DeferredRequest TakeRequest();

  DeferredFetchId id;
  Document* document;  // the request's client. Not owned.
  // The request (DeferredRequest's fields, compactly).
  SerializedUrl url;
  std::string method;
  // The referrer URL and the `Referer` value; null when the request has none.
  std::shared_ptr<const std::string> referrer_url;
  std::shared_ptr<const std::string> referer_header;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::unique_ptr<const net::RetryOptions> retry_options;
  // Fetch: the request's referrer policy and whether its referrer is
  // "no-referrer" (DeferredRequest's).
  net::ReferrerPolicy referrer_policy = net::ReferrerPolicy::kEmpty;
  bool no_referrer = false;
  // The quota group's entry (QuotaGroup::pending_by_origin) for the origin of
  // the request's URL; null for an opaque origin, which no other record's
  // origin is ever same origin with. Not owned.
  std::pair<const std::string, PendingForOrigin>* reporting_origin;
  // Both bounded by the largest quota (640 KiB): a record never exceeds the
  // quota it was queued under.
  uint32_t total_request_length;
  uint32_t body_length = 0;  // when `has_body_length`
  InvokeState invoke_state = InvokeState::kPending;
  bool has_body_length = false;
  // Whether "queue a deferred fetch" was given a non-null activateAfter: the
  // record has a timer (FrameTree::timers_ holds its time).
  bool has_activation_timer = false;
  // Fetch: request's mode, credentials mode and redirect mode (one byte each,
  // in what would be padding).
  net::RequestMode mode = net::RequestMode::kCors;
  net::CredentialsMode credentials = net::CredentialsMode::kSameOrigin;
  net::RedirectMode redirect = net::RedirectMode::kFollow;
  // The document's list of pending records, in queueing order (intrusive, so a
  // record leaves it in O(1) when it is sent or aborted).
  DeferredFetchRecord* prev_pending = nullptr;  // Not owned.
  DeferredFetchRecord* next_pending = nullptr;  // Not owned.
};

// The deferred-fetch quota group of one control document: every document whose
// "deferred-fetch control document" is `control_document`. It keeps running
// totals of what "available deferred-fetch quota" step 8 subtracts, so a check
// costs O(1) instead of a walk over every navigable and record.
struct QuotaGroup {
  explicit QuotaGroup(Document* control) : control_document(control) {}

  Document* control_document;  // Not owned.
  // Facts about the control document that never change while it lives, cached
  // here so the quota check does not touch the control document, its navigable
  // or its policy: whether its navigable is a top-level traversable, that
  // navigable's container (null at the top level), and "is feature enabled in
  // document for origin" for its own origin.
  bool control_is_top_level = false;
  NavigableContainer* control_container = nullptr;  // Not owned.
  bool deferred_fetch_enabled = false;
  bool deferred_fetch_minimal_enabled = false;
  // The control document's "fully active", kept current by
  // Document::RecomputeFullyActive().
  bool control_fully_active = false;
  // Σ "reserved deferred-fetch quota" of the navigable containers in member
  // documents.
  int64_t reserved_bytes = 0;
  // How many of those containers hold "minimal quota". Containers holding
  // minimal quota only ever sit in a top-level traversable's group, so this
  // equals the count "reserve deferred-fetch quota" step 4 takes over the
  // control navigable's descendants.
  int minimal_reservations = 0;
  // Σ total request length of the member documents' *pending* deferred fetch
  // records.
  int64_t pending_bytes = 0;
  // The same sum per request URL origin (the "reporting origin"), keyed by the
  // origin's serialisation (ReportingOriginKey() in deferred_fetch_quota.h). A
  // node map: pending records point at their entry, which must not move; an
  // entry is erased when its last record leaves.
  absl::node_hash_map<std::string, PendingForOrigin> pending_by_origin;
  int member_documents = 0;
};

// HTML: "navigable container" (an iframe element) with its "reserved
// deferred-fetch quota".
class NavigableContainer {
 public:
  ContainerId id;
  Document* node_document = nullptr;  // Not owned.
  std::unique_ptr<Navigable> content_navigable;
  // The `src` URL the parent last set (parent-initiated navigations update it).
  std::optional<net::Url> src;
  std::string allow;  // the `allow` attribute, "" when absent
  // The `sandbox` attribute: nullopt when absent; otherwise its tokens.
  std::optional<std::vector<std::string>> sandbox;
  // Fetch: "reserved deferred-fetch quota": 0, minimal (8 KiB) or normal (64
  // KiB).
  int64_t reserved_deferred_fetch_quota = 0;

  // HTML: the iframe's own "iframe sandboxing flag set" contains the sandboxed
  // origin browsing context flag (`sandbox` without allow-same-origin).
  bool SandboxesOrigin() const;
  // HTML "determine the creation sandboxing flags" for the content navigable,
  // the origin flag only: the iframe's own flags united with its node
  // document's active sandboxing flags. The node document must be alive.
  bool CreationSandboxesOrigin() const;
  // What Permissions Policy's "define an inherited policy for feature in
  // container at origin" needs: the node document's policy and origin, `allow`,
  // and the iframe's "declared origin". The node document must be alive.
  policy::ContainerInfo PolicyContainerInfo() const;
};

// HTML: "navigable" (a frame). A top-level traversable has no container.
class Navigable {
 public:
  NavigableId id;
  NavigableContainer* container =
      nullptr;  // Not owned; null for a top-level traversable.
  Document* active_document = nullptr;  // Not owned (one of `documents`).
  // The active document and, for a top-level traversable, documents in the
  // back/forward cache (oldest first).
  std::vector<std::unique_ptr<Document>> documents;

  // HTML: a top-level traversable's "system visibility state" is "hidden"
  // (FrameTree::SetHidden). Only meaningful for a top-level traversable: a
  // page's visibility is its traversable's.
  bool system_visibility_hidden = false;

  bool IsTopLevelTraversable() const { return container == nullptr; }
  // HTML: "container document".
  Document* ContainerDocument() const;
  // HTML: "traversable navigable": the top-level traversable this navigable
  // is in (itself for a top-level traversable).
  const Navigable& TopLevelTraversable() const;
  Navigable& TopLevelTraversable();
};

enum class DocumentState {
  kActive,     // its navigable's active document
  kInBfcache,  // kept in the back/forward cache (not fully active)
  kDestroyed,  // unloaded; its fetch group is terminated
};

// HTML: "Document", with the parts deferred fetching needs.
class Document {
 public:
  Document(DocumentId id,
           Navigable* navigable,
           net::Url url,
           net::Origin origin,
           policy::PermissionsPolicy policy,
           net::NetworkIsolationKey network_isolation_key)
      : id(id),
        node_navigable(navigable),
        url(std::move(url)),
        base_url(this->url),
        origin(std::move(origin)),
        permissions_policy(std::move(policy)),
        network_isolation_key(std::move(network_isolation_key)) {
    // A document's permissions policy never changes, so "is feature enabled in
    // document for origin" for its own origin is computed once; "allowed to
    // use" adds only the fully-active check. This keeps the quota check off the
    // policy's allowlists.
    for (int f = 0; f < policy::kFeatureCount; ++f) {
      enabled_for_own_origin_[f] = permissions_policy.IsFeatureEnabledForOrigin(
          static_cast<policy::Feature>(f), this->origin);
    }
  }

  DocumentId id;
  Navigable* node_navigable;  // Not owned.
  net::Url url;
  // HTML: "document base URL". This prototype has no <base> elements, so it
  // is the document's URL, except for about:blank, whose "fallback base URL"
  // is its creator's base URL (the navigation's initiator). Fixed at creation.
  net::Url base_url;
  const net::Origin origin;
  // HTML: the document's "active sandboxing flag set" contains the "sandboxed
  // origin browsing context flag": its container's `sandbox` attribute lacks
  // allow-same-origin, or its container document's flag set contains it
  // (nested documents inherit their parent's flags). Its origin is then a new
  // opaque origin, and so is the declared origin of every iframe in it.
  // Fixed at creation.
  bool sandboxed_origin = false;
  const policy::PermissionsPolicy permissions_policy;  // fixed at creation
  // (top-frame site, frame site), fixed at creation.
  const net::NetworkIsolationKey network_isolation_key;
  // HTML "is a secure context": this document's URL and those of the documents
  // it is nested in are potentially trustworthy. Fixed at creation.
  bool secure_context = false;
  // Why the Permissions-Policy header was ignored, if it was ("" otherwise).
  std::string permissions_policy_error;
  // HTML: the policy container's CSP list, parsed from the response's
  // `Content-Security-Policy` headers; fixed at creation, shared with every
  // deferred fetch of the document (never null). `csp_warnings`: what the
  // parser ignored, for the document's console.
  std::shared_ptr<const net::CspList> csp_list;
  std::vector<std::string> csp_warnings;
  DocumentState state = DocumentState::kActive;
  // Since when the visibility state has been "hidden"; nullopt while visible.
  std::optional<absl::Time> hidden_since;
  // Fetch: the deferred-fetch control document's quota group. A document joins
  // its group at creation and never changes group: its origin and its container
  // document are fixed.
  QuotaGroup* quota_group =
      nullptr;  // Owned by the group's control document (below).
  std::unique_ptr<QuotaGroup> owned_quota_group;
  // The navigable containers (iframes) in this document, in insertion order.
  std::vector<std::unique_ptr<NavigableContainer>> containers;
  // Fetch: this document's fetch group's "deferred fetch records" that are
  // still pending, in queueing order. Records that were sent or aborted can
  // never be sent again and no longer count against quota, so the browser
  // forgets them (the spec's list keeps them; nothing observable depends on
  // that). The records are owned by FrameTree.
  DeferredFetchRecord* first_pending = nullptr;
  DeferredFetchRecord* last_pending = nullptr;
  void AppendPending(DeferredFetchRecord* record);
  void UnlinkPending(DeferredFetchRecord* record);
  // `value` (a referrer URL or `Referer` value of a request of this document)
  // as a string shared with this document's other pending records that carry
  // the same one: nearly all carry the document's own URL or origin. Keeps the
  // last kInternedReferrers distinct values.
  std::shared_ptr<const std::string> InternReferrerString(std::string value);

  // Permissions Policy: "is feature enabled in document for origin" for this
  // document's own origin.
  bool IsFeatureEnabledForOwnOrigin(policy::Feature feature) const {
    return enabled_for_own_origin_[static_cast<int>(feature)];
  }

  // HTML: "fully active": the active document of its navigable, whose container
  // document (if any) is fully active.
  // Kept as a flag (FrameTree recomputes it for a subtree when documents enter
  // or leave the bfcache), so the per-call check does not walk up the tree.
  bool IsFullyActive() const { return fully_active_; }
  // Recomputes "fully active" for this document from its state and its
  // container document, then for every document nested in it. Appends to
  // `changed` every document whose flag flipped.
  void RecomputeFullyActive(std::vector<Document*>* changed);
  // Fetch: "deferred-fetch control document".
  Document* DeferredFetchControlDocument() const {
    return quota_group->control_document;
  }

 private:
  static constexpr int kInternedReferrers = 2;

  bool enabled_for_own_origin_[policy::kFeatureCount] = {};
  bool fully_active_ = false;
  uint8_t next_interned_referrer_ = 0;
  std::shared_ptr<const std::string> interned_referrers_[kInternedReferrers];
};

}  // namespace fetch_later::browser

#endif  // BROWSER_FRAME_TREE_NODES_H_
