#include "browser/frame_tree.h"

#include <algorithm>
#include <functional>
#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "browser/deferred_fetch_quota.h"
#include "policy/permissions_policy.h"

namespace fetch_later::browser {
namespace {

absl::Status NotFound(absl::string_view what, uint64_t id) {
  return absl::NotFoundError(absl::StrCat("no ", what, " with id ", id));
}

// HTML: a URL "matches about:blank" / "matches about:srcdoc".
bool MatchesAbout(const net::Url& url, absl::string_view path) {
  return url.scheme() == "about" && !url.host().has_value() &&
         !url.IncludesCredentials() && url.PathString() == path;
}

// HTML: "determine the origin" given the navigation's final `url`, whether its
// sandboxing flags contain the sandboxed origin browsing context flag, and its
// initiator's origin (`source_origin`, null for a browser-initiated one).
net::Origin DetermineOrigin(const net::Url& url,
                            bool sandboxed_origin,
                            const std::optional<net::Origin>& source_origin,
                            const Navigable& navigable) {
  // Step 1.
  if (sandboxed_origin)
    return net::Origin::CreateOpaque();
  // Step 3: about:srcdoc is its container document's.
  if (MatchesAbout(url, "srcdoc") && navigable.container != nullptr)
    return navigable.container->node_document->origin;
  // Step 4: about:blank is its creator's.
  if (MatchesAbout(url, "blank") && source_origin.has_value())
    return *source_origin;
  // Step 5.
  return net::Origin::Create(url);
}

std::vector<std::string> ParseSandboxTokens(absl::string_view value) {
  std::vector<std::string> tokens;
  for (absl::string_view t :
       absl::StrSplit(value, absl::ByAnyChar(" \t\n\f\r"), absl::SkipEmpty())) {
    tokens.push_back(absl::AsciiStrToLower(t));
  }
  return tokens;
}

}  // namespace

FrameTree::FrameTree(DeferredFetchSink* sink, const net::Clock* clock)
    : sink_(sink), clock_(clock) {}

FrameTree::~FrameTree() {
  // Destroying the browser terminates every fetch group, like closing every
  // tab.
  ProcessedList processed;
  {
    absl::MutexLock lock(&mu_);
    for (auto& top : top_level_traversables_)
      DestroyNavigable(*top, processed);
    top_level_traversables_.clear();
  }
  Dispatch(processed);
}

NavigableId FrameTree::CreateTopLevelTraversable() {
  absl::MutexLock lock(&mu_);
  top_level_traversables_.push_back(NewNavigable(nullptr));
  return top_level_traversables_.back()->id;
}

std::unique_ptr<Navigable> FrameTree::NewNavigable(
    NavigableContainer* container) {
  auto navigable = std::make_unique<Navigable>();
  navigable->id = NavigableId(next_id_++);
  navigable->container = container;
  navigables_[navigable->id] = navigable.get();
  return navigable;
}

Navigable* FrameTree::FindNavigable(NavigableId id) {
  auto it = navigables_.find(id);
  return it == navigables_.end() ? nullptr : it->second;
}

Document* FrameTree::FindDocument(DocumentId id) {
  auto it = documents_.find(id);
  return it == documents_.end() ? nullptr : it->second;
}

absl::StatusOr<DocumentId> FrameTree::Navigate(NavigableId id,
                                               const NavigationParams& params) {
  ProcessedList processed;
  absl::StatusOr<DocumentId> result;
  {
    absl::MutexLock lock(&mu_);
    Navigable* navigable = FindNavigable(id);
    if (navigable == nullptr)
      return NotFound("navigable", id.value());
    absl::StatusOr<NavigationId> started =
        StartNavigationLocked(*navigable, params);
    if (!started.ok())
      return started.status();
    result = CommitNavigationLocked(*navigable, *started, processed);
  }
  Dispatch(processed);
  return result;
}

absl::StatusOr<NavigationId> FrameTree::StartNavigation(
    NavigableId id,
    const NavigationParams& params) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  return StartNavigationLocked(*navigable, params);
}

absl::StatusOr<DocumentId> FrameTree::CommitNavigation(
    NavigableId id,
    NavigationId navigation) {
  ProcessedList processed;
  absl::StatusOr<DocumentId> result;
  {
    absl::MutexLock lock(&mu_);
    Navigable* navigable = FindNavigable(id);
    if (navigable == nullptr)
      return NotFound("navigable", id.value());
    result = CommitNavigationLocked(*navigable, navigation, processed);
  }
  Dispatch(processed);
  return result;
}

absl::StatusOr<NavigationId> FrameTree::StartNavigationLocked(
    Navigable& navigable,
    const NavigationParams& params) {
  if (params.enter_bfcache && !navigable.IsTopLevelTraversable()) {
    return absl::InvalidArgumentError(
        "only a top-level traversable's document can enter the "
        "bfcache");
  }
  if (navigable.ContainerDocument() != nullptr &&
      !navigable.ContainerDocument()->IsFullyActive()) {
    return absl::FailedPreconditionError(
        absl::StrCat("navigable ", navigable.id.value(),
                     " is in a document that is not "
                     "fully active"));
  }
  OngoingNavigation navigation{NavigationId(next_id_++), params};
  NavigableContainer* container = navigable.container;
  // HTML "determine the creation sandboxing flags", snapshotted when the
  // navigation starts.
  navigation.sandboxed_origin =
      container != nullptr && container->CreationSandboxesOrigin();
  // The initiator ("source document").
  const Document* initiator = nullptr;
  switch (params.initiator) {
    case NavigationInitiator::kBrowser:
      break;
    case NavigationInitiator::kParent:
      initiator = navigable.ContainerDocument();
      break;
    case NavigationInitiator::kSelf:
      initiator = navigable.active_document;
      break;
  }
  if (initiator != nullptr) {
    navigation.initiator_origin = initiator->origin;
    navigation.initiator_base_url = initiator->base_url;
    navigation.initiator_csp_list = initiator->csp_list;
  }
  if (container != nullptr &&
      params.initiator == NavigationInitiator::kParent) {
    // The parent sets the iframe's src, then HTML's navigate calls "reserve
    // deferred-fetch quota" with the origin the navigation starts towards
    // (before any redirect), before the current document unloads.
    container->src = params.url;
    ReserveDeferredFetchQuota(
        *container, DetermineOrigin(params.url, navigation.sandboxed_origin,
                                    navigation.initiator_origin, navigable));
  }
  const NavigationId id = navigation.id;
  // A newer navigation replaces an ongoing one that was never committed.
  ongoing_navigations_.insert_or_assign(navigable.id, std::move(navigation));
  return id;
}

absl::StatusOr<DocumentId> FrameTree::CommitNavigationLocked(
    Navigable& navigable,
    NavigationId id,
    ProcessedList& processed) {
  auto ongoing = ongoing_navigations_.find(navigable.id);
  if (ongoing == ongoing_navigations_.end() || ongoing->second.id != id) {
    return absl::FailedPreconditionError(
        absl::StrCat("navigation ", id.value(), " is not navigable ",
                     navigable.id.value(), "'s ongoing navigation"));
  }
  const OngoingNavigation navigation = std::move(ongoing->second);
  ongoing_navigations_.erase(ongoing);
  if (navigable.ContainerDocument() != nullptr &&
      !navigable.ContainerDocument()->IsFullyActive()) {
    return absl::FailedPreconditionError(
        absl::StrCat("navigable ", navigable.id.value(),
                     " is in a document that is not "
                     "fully active"));
  }

  // Unload (or put in the bfcache) the current document.
  if (Document* old = navigable.active_document) {
    if (navigation.params.enter_bfcache) {
      // Chromium and the WPT (send-on-deactivate) flush every pending deferred
      // fetch when a page enters the bfcache; the Fetch spec itself only sends
      // on termination or timer.
      FlushSubtree(*old, processed);
      old->state = DocumentState::kInBfcache;
      RecomputeFullyActive(*old, processed);
    } else {
      DestroyDocument(*old, processed);
      EraseDestroyedDocuments(navigable);
    }
    navigable.active_document = nullptr;
  }

  Document* document = CreateDocument(navigable, navigation, processed);
  return document->id;
}

Document* FrameTree::CreateDocument(Navigable& navigable,
                                    const OngoingNavigation& navigation,
                                    ProcessedList& events) {
  const NavigationParams& params = navigation.params;
  const net::Url& final_url =
      params.redirects.empty() ? params.url : params.redirects.back();
  net::Origin origin = DetermineOrigin(final_url, navigation.sandboxed_origin,
                                       navigation.initiator_origin, navigable);

  // Permissions Policy: "create a permissions policy for a navigable from
  // response".
  std::optional<policy::ContainerInfo> container_info;
  if (NavigableContainer* c = navigable.container)
    container_info = c->PolicyContainerInfo();
  policy::PermissionsPolicy permissions_policy =
      policy::PermissionsPolicy::CreateForNavigable(
          container_info ? &*container_info : nullptr, origin);
  std::string policy_error;
  if (!params.permissions_policy.empty()) {
    policy::DeclaredPolicyResult declared =
        policy::ParsePermissionsPolicyHeader(params.permissions_policy, origin);
    policy_error = declared.error;
    permissions_policy.SetDeclaredPolicy(declared.policy);
  }

  // Chromium's NetworkIsolationKey: (top-frame site, frame site).
  Document* top_document = navigable.ContainerDocument();
  while (top_document != nullptr &&
         top_document->node_navigable->ContainerDocument() != nullptr) {
    top_document = top_document->node_navigable->ContainerDocument();
  }
  net::SchemefulSite frame_site = net::SchemefulSite::Create(origin);
  net::NetworkIsolationKey nik{
      top_document ? net::SchemefulSite::Create(top_document->origin)
                   : frame_site,
      frame_site};

  auto owned = std::make_unique<Document>(
      DocumentId(next_id_++), &navigable, final_url, std::move(origin),
      std::move(permissions_policy), std::move(nik));
  Document* document = owned.get();
  document->permissions_policy_error = std::move(policy_error);
  document->sandboxed_origin = navigation.sandboxed_origin;
  // HTML "fallback base URL": about:blank takes its creator's base URL
  // (about:srcdoc its container document's).
  if (MatchesAbout(final_url, "blank") && navigation.initiator_base_url) {
    document->base_url = *navigation.initiator_base_url;
  } else if (MatchesAbout(final_url, "srcdoc") &&
             navigable.ContainerDocument() != nullptr) {
    document->base_url = navigable.ContainerDocument()->base_url;
  }
  // HTML "determine navigation params policy container": about:blank clones
  // its creator's policy container (snapshotted when the navigation started),
  // about:srcdoc its container document's; other documents get the CSP list
  // of their response's Content-Security-Policy headers (CSP: "parse a
  // response's Content Security Policies"), whose malformed parts are ignored,
  // each with a warning. A CSP list is immutable, so a clone is a shared copy.
  if (MatchesAbout(final_url, "blank") && navigation.initiator_csp_list) {
    document->csp_list = navigation.initiator_csp_list;
  } else if (MatchesAbout(final_url, "srcdoc") &&
             navigable.ContainerDocument() != nullptr) {
    document->csp_list = navigable.ContainerDocument()->csp_list;
  } else {
    net::CspParseResult csp = net::ParseContentSecurityPolicies(
        params.content_security_policy, net::CspDisposition::kEnforce,
        /*self_origin=*/net::Origin::Create(final_url));
    document->csp_list = std::move(csp.list);
    document->csp_warnings = std::move(csp.warnings);
  }
  Document* container = navigable.ContainerDocument();
  document->secure_context =
      net::IsUrlPotentiallyTrustworthy(final_url) &&
      (container == nullptr || container->secure_context);
  navigable.documents.push_back(std::move(owned));
  navigable.active_document = document;
  documents_[document->id] = document;

  // Fetch: "deferred-fetch control document": the container document's control
  // document if it is same origin with this document, else this document
  // itself.
  Document* container_document = navigable.ContainerDocument();
  if (container_document != nullptr &&
      container_document->origin.IsSameOriginWith(document->origin)) {
    document->quota_group = container_document->quota_group;
  } else {
    auto group = std::make_unique<QuotaGroup>(document);
    group->control_is_top_level = navigable.IsTopLevelTraversable();
    group->control_container = navigable.container;
    group->deferred_fetch_enabled =
        document->IsFeatureEnabledForOwnOrigin(policy::Feature::kDeferredFetch);
    group->deferred_fetch_minimal_enabled =
        document->IsFeatureEnabledForOwnOrigin(
            policy::Feature::kDeferredFetchMinimal);
    document->owned_quota_group = std::move(group);
    document->quota_group = document->owned_quota_group.get();
  }
  document->quota_group->member_documents++;
  std::vector<Document*> changed;
  document->RecomputeFullyActive(&changed);
  DocumentStateChange created{document->id,
                              document->network_isolation_key,
                              document->IsFullyActive(),
                              /*created=*/true,
                              /*destroyed=*/false,
                              document->url,
                              document->origin,
                              document->base_url};
  // Visibility is the page's: a new document in a hidden page starts hidden,
  // and it has been hidden since it exists, so "queue a deferred fetch" step
  // 6.1 activates its timers early like those of the page's other documents.
  if (navigable.TopLevelTraversable().system_visibility_hidden) {
    created.hidden = true;
    document->hidden_since = clock_->Now();
    visibility_timers_.push(
        {*document->hidden_since + kHiddenActivationDelay, document->id});
  }
  created.secure_context = document->secure_context;
  created.console_warnings = document->csp_warnings;
  created.csp_list = document->csp_list;
  for (int f = 0; f < policy::kFeatureCount; ++f) {
    const auto feature = static_cast<policy::Feature>(f);
    if (document->IsFeatureEnabledForOwnOrigin(feature))
      created.allowed_features.emplace_back(policy::FeatureName(feature));
  }
  events.push_back(std::move(created));

  // HTML "initialize the document object" calls "potentially free
  // deferred-fetch quota".
  PotentiallyFreeDeferredFetchQuota(*document);
  return document;
}

absl::StatusOr<NavigableId> FrameTree::CreateIframe(
    DocumentId parent_id,
    const IframeParams& params) {
  ProcessedList processed;
  absl::StatusOr<NavigableId> result;
  {
    absl::MutexLock lock(&mu_);
    Document* parent = FindDocument(parent_id);
    if (parent == nullptr)
      return NotFound("document", parent_id.value());
    if (!parent->IsFullyActive()) {
      return absl::FailedPreconditionError(
          absl::StrCat("document ", parent_id.value(), " is not fully active"));
    }
    auto container = std::make_unique<NavigableContainer>();
    container->id = ContainerId(next_id_++);
    container->node_document = parent;
    container->allow = params.allow;
    if (params.sandbox)
      container->sandbox = ParseSandboxTokens(*params.sandbox);
    container->content_navigable = NewNavigable(container.get());
    Navigable& child = *container->content_navigable;
    parent->containers.push_back(std::move(container));

    NavigationParams navigation = params.navigation;
    navigation.initiator = NavigationInitiator::kParent;
    navigation.enter_bfcache = false;
    absl::StatusOr<NavigationId> started =
        StartNavigationLocked(child, navigation);
    absl::StatusOr<DocumentId> document =
        started.ok() ? CommitNavigationLocked(child, *started, processed)
                     : started.status();
    if (!document.ok()) {
      result = document.status();
    } else {
      result = child.id;
    }
  }
  Dispatch(processed);
  return result;
}

absl::Status FrameTree::RemoveIframe(NavigableId id) {
  ProcessedList processed;
  {
    absl::MutexLock lock(&mu_);
    Navigable* navigable = FindNavigable(id);
    if (navigable == nullptr)
      return NotFound("navigable", id.value());
    NavigableContainer* container = navigable->container;
    if (container == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("navigable ", id.value(),
                       " is a top-level traversable, not an iframe"));
    }
    DestroyNavigable(*navigable, processed);
    SetReservedDeferredFetchQuota(*container, 0);
    auto& siblings = container->node_document->containers;
    siblings.erase(
        std::find_if(siblings.begin(), siblings.end(),
                     [&](const auto& c) { return c.get() == container; }));
  }
  Dispatch(processed);
  return absl::OkStatus();
}

absl::StatusOr<DocumentId> FrameTree::RestoreFromBfcache(NavigableId id) {
  ProcessedList processed;
  DocumentId restored;
  {
    absl::MutexLock lock(&mu_);
    Navigable* navigable = FindNavigable(id);
    if (navigable == nullptr)
      return NotFound("navigable", id.value());
    auto& docs = navigable->documents;
    auto cached = std::find_if(docs.rbegin(), docs.rend(), [](const auto& d) {
      return d->state == DocumentState::kInBfcache;
    });
    if (cached == docs.rend()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "navigable ", id.value(), " has no document in the bfcache"));
    }
    Document* document = cached->get();
    if (Document* old = navigable->active_document) {
      DestroyDocument(*old, processed);
      EraseDestroyedDocuments(*navigable);
    }
    document->state = DocumentState::kActive;
    navigable->active_document = document;
    RecomputeFullyActive(*document, processed);
    restored = document->id;
  }
  Dispatch(processed);
  return restored;
}

absl::Status FrameTree::CloseTopLevelTraversable(NavigableId id) {
  ProcessedList processed;
  {
    absl::MutexLock lock(&mu_);
    auto it = std::find_if(top_level_traversables_.begin(),
                           top_level_traversables_.end(),
                           [&](const auto& n) { return n->id == id; });
    if (it == top_level_traversables_.end())
      return NotFound("top-level traversable", id.value());
    DestroyNavigable(**it, processed);
    top_level_traversables_.erase(it);
  }
  Dispatch(processed);
  return absl::OkStatus();
}

std::vector<NavigableId> FrameTree::TopLevelTraversables() {
  absl::MutexLock lock(&mu_);
  std::vector<NavigableId> ids;
  for (const auto& top : top_level_traversables_)
    ids.push_back(top->id);
  return ids;
}

absl::Status FrameTree::SetHidden(NavigableId id, bool hidden) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  // Visibility is a property of the whole page: its traversable's "system
  // visibility state" (which documents created later start with) and every
  // document in the tree.
  navigable->TopLevelTraversable().system_visibility_hidden = hidden;
  std::vector<Document*> stack;
  if (navigable->active_document != nullptr)
    stack.push_back(navigable->active_document);
  const absl::Time now = clock_->Now();
  while (!stack.empty()) {
    Document* document = stack.back();
    stack.pop_back();
    if (hidden && !document->hidden_since) {
      document->hidden_since = now;
      visibility_timers_.push({now + kHiddenActivationDelay, document->id});
    } else if (!hidden) {
      document->hidden_since.reset();
    }
    for (auto& container : document->containers) {
      if (Document* child = container->content_navigable->active_document)
        stack.push_back(child);
    }
  }
  return absl::OkStatus();
}

void FrameTree::CrashDocument(DocumentId id) {
  ProcessedList processed;
  {
    absl::MutexLock lock(&mu_);
    Document* document = FindDocument(id);
    if (document == nullptr)
      return;
    Navigable& navigable = *document->node_navigable;
    const bool was_active = navigable.active_document == document;
    DestroyDocument(*document, processed);
    EraseDestroyedDocuments(navigable);
    if (was_active)
      navigable.active_document = nullptr;
  }
  Dispatch(processed);
}

void FrameTree::DestroyNavigable(Navigable& navigable,
                                 ProcessedList& processed) {
  // Destroy every document, bfcached ones included, and forget the navigable.
  for (auto& document : navigable.documents) {
    if (document->state != DocumentState::kDestroyed)
      DestroyDocument(*document, processed);
  }
  navigable.documents.clear();
  navigable.active_document = nullptr;
  ongoing_navigations_.erase(navigable.id);
  navigables_.erase(navigable.id);
}

void FrameTree::DestroyDocument(Document& document, ProcessedList& processed) {
  // Leaves first: nested documents are destroyed before their container
  // document, so a group's control document outlives every member.
  for (auto& container : document.containers) {
    DestroyNavigable(*container->content_navigable, processed);
    SetReservedDeferredFetchQuota(*container, 0);
  }
  document.containers.clear();
  // HTML destroys the document, which terminates its fetch group; Fetch:
  // "terminated" runs "process deferred fetches". The global is gone, so
  // "notify invoked" never runs.
  ProcessDeferredFetches(document, /*notify_invoked=*/false, processed);
  document.state = DocumentState::kDestroyed;
  std::vector<Document*> changed;
  document.RecomputeFullyActive(&changed);
  processed.push_back(DocumentStateChange{document.id,
                                          document.network_isolation_key,
                                          /*fully_active=*/false,
                                          /*created=*/false,
                                          /*destroyed=*/true});
  document.quota_group->member_documents--;
  documents_.erase(document.id);
}

void FrameTree::EraseDestroyedDocuments(Navigable& navigable) {
  auto& docs = navigable.documents;
  docs.erase(std::remove_if(docs.begin(), docs.end(),
                            [](const auto& d) {
                              return d->state == DocumentState::kDestroyed;
                            }),
             docs.end());
}

void FrameTree::FlushSubtree(Document& document, ProcessedList& processed) {
  for (auto& container : document.containers) {
    if (Document* child = container->content_navigable->active_document) {
      FlushSubtree(*child, processed);
    }
  }
  ProcessDeferredFetches(document, /*notify_invoked=*/true, processed);
}

// Fetch: "process deferred fetches".
void FrameTree::ProcessDeferredFetches(Document& document,
                                       bool notify_invoked,
                                       ProcessedList& processed) {
  // Every record in the list is pending; each leaves it as it is processed.
  while (document.first_pending != nullptr) {
    ProcessDeferredFetch(*document.first_pending, notify_invoked, processed);
  }
}

// Fetch: "process a deferred fetch".
void FrameTree::ProcessDeferredFetch(DeferredFetchRecord& record,
                                     bool notify_invoked,
                                     ProcessedList& processed) {
  // Step 1: only a pending record is sent, and at most once.
  if (record.invoke_state != InvokeState::kPending)
    return;
  // Steps 3-4: Fetch the request; queue "notify invoked" on the deferred fetch
  // task source (the sink delivers both, after the lock is released).
  const DeferredFetchId id = record.id;
  const Document& document = *record.document;
  // Step 2.
  DeferredRequest request = RetireRecord(record, InvokeState::kSent);
  ProcessedDeferredFetch fetch{id, document.id, std::move(request),
                               notify_invoked, document.network_isolation_key};
  fetch.origin = document.origin;
  if (!document.origin.opaque())
    fetch.client_referrer = net::StripReferrerSource(document.url);
  fetch.csp_list = document.csp_list;
  fetch.document_url = document.url.Serialize();
  processed.push_back(std::move(fetch));
}

DeferredRequest FrameTree::RetireRecord(DeferredFetchRecord& record,
                                        InvokeState state) {
  LeavePendingState(record, state);
  record.document->UnlinkPending(&record);
  DeferredRequest request = record.TakeRequest();
  records_.Erase(record.id);  // destroys `record`
  return request;
}

absl::StatusOr<FetchLaterDecision> FrameTree::QueueDeferredFetch(
    DocumentId document_id,
    DeferredRequest request,
    std::optional<absl::Duration> activate_after) {
  return QueueDeferredFetch(document_id, std::move(request), activate_after,
                            /*client=*/nullptr);
}

absl::StatusOr<FetchLaterDecision> FrameTree::QueueDeferredFetch(
    DocumentId document_id,
    DeferredRequest request,
    std::optional<absl::Duration> activate_after,
    std::optional<DeferredFetchClient>* client) {
  ProcessedList processed;
  FetchLaterDecision decision{};
  {
    absl::MutexLock lock(&mu_);
    Document* document = FindDocument(document_id);
    if (document == nullptr)
      return NotFound("document", document_id.value());
    // fetchLater() step 6.
    if (!document->IsFullyActive()) {
      decision.outcome = FetchLaterOutcome::kNotFullyActive;
      return decision;
    }
    // The request's origin, as the key of the group's per-origin totals.
    std::string origin_key_storage;
    const absl::string_view request_origin =
        ReportingOriginKeyOfUrl(request.url.Serialize(), &origin_key_storage);
    // Steps 10-12.
    decision.quota =
        AvailableDeferredFetchQuotaForOriginKey(*document, request_origin);
    decision.requested = static_cast<int64_t>(TotalRequestLength(request));
    if (decision.quota < decision.requested) {
      decision.outcome = FetchLaterOutcome::kQuotaExceeded;
      return decision;
    }
    // Step 14: Fetch: "queue a deferred fetch". Steps 1-3 (populate from
    // client, service workers "none", keepalive true) are properties every
    // deferred request has here.
    // (The entry copies the key: `request_origin` may point into `request`.)
    auto* origin_entry =
        PendingForOriginEntry(*document->quota_group, request_origin);
    auto record = std::make_unique<DeferredFetchRecord>(
        records_.NextId(), document, std::move(request),
        static_cast<uint64_t>(decision.requested), origin_entry);
    EnterPendingState(*record);
    DeferredFetchRecord* raw = records_.Insert(std::move(record));
    document->AppendPending(raw);
    decision.outcome = FetchLaterOutcome::kQueued;
    decision.id = raw->id;
    if (client != nullptr) {
      client->emplace(
          DeferredFetchClient{document->network_isolation_key, document->origin,
                              document->url.Serialize(), document->csp_list});
    }
    // Step 6 of "queue a deferred fetch": the activateAfter timer.
    if (activate_after) {
      raw->has_activation_timer = true;
      timers_.push(
          {clock_->Now() + std::max(*activate_after, absl::ZeroDuration()),
           raw->id});
    }
  }
  Dispatch(processed);
  return decision;
}

absl::Status FrameTree::AbortDeferredFetch(DeferredFetchId id) {
  absl::MutexLock lock(&mu_);
  DeferredFetchRecord* record = records_.Find(id);
  if (record == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no pending deferred fetch with id ", id.value(),
                     " (never queued, already sent, or already aborted)"));
  }
  RetireRecord(*record, InvokeState::kAborted);
  return absl::OkStatus();
}

int FrameTree::ProcessDueDeferredFetches() {
  ProcessedList processed;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    // "queue a deferred fetch" step 6.1: at least activateAfter ms have
    // passed...
    while (!timers_.empty() && timers_.top().first <= now) {
      const DeferredFetchId id = timers_.top().second;
      timers_.pop();
      DeferredFetchRecord* record = records_.Find(id);
      if (record == nullptr)
        continue;  // no longer pending
      ProcessDeferredFetch(*record, /*notify_invoked=*/true, processed);
    }
    // ... or the user agent believes it is about to lose the chance to run
    // script: the document has been hidden for kHiddenActivationDelay. Only
    // records with an activateAfter timer are activated early.
    while (!visibility_timers_.empty() &&
           visibility_timers_.top().first <= now) {
      const DocumentId id = visibility_timers_.top().second;
      visibility_timers_.pop();
      Document* document = FindDocument(id);
      if (document == nullptr || !document->hidden_since ||
          *document->hidden_since + kHiddenActivationDelay > now) {
        continue;  // gone, visible again, or hidden again more recently
      }
      for (DeferredFetchRecord* r = document->first_pending; r != nullptr;) {
        DeferredFetchRecord* next = r->next_pending;
        if (r->has_activation_timer)
          ProcessDeferredFetch(*r, /*notify_invoked=*/true, processed);
        r = next;
      }
    }
  }
  const int count = static_cast<int>(
      std::count_if(processed.begin(), processed.end(), [](const auto& e) {
        return std::holds_alternative<ProcessedDeferredFetch>(e);
      }));
  Dispatch(processed);
  return count;
}

std::optional<absl::Time> FrameTree::NextTimerDeadline() {
  absl::MutexLock lock(&mu_);
  std::optional<absl::Time> next;
  if (!timers_.empty())
    next = timers_.top().first;
  if (!visibility_timers_.empty() &&
      (!next || visibility_timers_.top().first < *next)) {
    next = visibility_timers_.top().first;
  }
  return next;
}

void FrameTree::RecomputeFullyActive(Document& document,
                                     ProcessedList& events) {
  std::vector<Document*> changed;
  document.RecomputeFullyActive(&changed);
  for (Document* d : changed) {
    events.push_back(DocumentStateChange{d->id, d->network_isolation_key,
                                         d->IsFullyActive(),
                                         /*created=*/false,
                                         /*destroyed=*/false});
  }
}

void FrameTree::Dispatch(ProcessedList& events) {
  if (sink_ == nullptr)
    return;
  for (const FrameTreeEvent& event : events) {
    if (const auto* fetch = std::get_if<ProcessedDeferredFetch>(&event)) {
      sink_->OnDeferredFetchProcessed(*fetch);
    } else {
      sink_->OnDocumentStateChanged(std::get<DocumentStateChange>(event));
    }
  }
}

absl::StatusOr<int64_t> FrameTree::AvailableQuota(
    DocumentId id,
    const std::optional<net::Origin>& origin) {
  absl::MutexLock lock(&mu_);
  Document* document = FindDocument(id);
  if (document == nullptr)
    return NotFound("document", id.value());
  return AvailableDeferredFetchQuota(*document, origin ? &*origin : nullptr);
}

absl::StatusOr<int64_t> FrameTree::ReservedQuotaOfContainer(NavigableId id) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  if (navigable->container == nullptr) {
    return absl::InvalidArgumentError(
        "a top-level traversable has no container");
  }
  return navigable->container->reserved_deferred_fetch_quota;
}

absl::StatusOr<DocumentId> FrameTree::ActiveDocument(NavigableId id) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  if (navigable->active_document == nullptr) {
    return absl::FailedPreconditionError("navigable has no active document");
  }
  return navigable->active_document->id;
}

absl::StatusOr<std::vector<DocumentId>> FrameTree::ActiveDocumentsForUnload(
    NavigableId id) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  std::vector<DocumentId> order;
  std::function<void(const Document&)> visit = [&](const Document& document) {
    for (const auto& container : document.containers) {
      if (const Navigable* child = container->content_navigable.get()) {
        if (child->active_document != nullptr)
          visit(*child->active_document);
      }
    }
    order.push_back(document.id);
  };
  if (navigable->active_document != nullptr)
    visit(*navigable->active_document);
  return order;
}

absl::StatusOr<NavigableId> FrameTree::ParentNavigable(NavigableId id) {
  absl::MutexLock lock(&mu_);
  Navigable* navigable = FindNavigable(id);
  if (navigable == nullptr)
    return NotFound("navigable", id.value());
  Document* parent = navigable->ContainerDocument();
  if (parent == nullptr)
    return absl::NotFoundError("a top-level traversable has no parent");
  return parent->node_navigable->id;
}

absl::StatusOr<DocumentId> FrameTree::ControlDocument(DocumentId id) {
  absl::MutexLock lock(&mu_);
  Document* document = FindDocument(id);
  if (document == nullptr)
    return NotFound("document", id.value());
  return document->DeferredFetchControlDocument()->id;
}

absl::StatusOr<bool> FrameTree::IsFullyActive(DocumentId id) {
  absl::MutexLock lock(&mu_);
  Document* document = FindDocument(id);
  if (document == nullptr)
    return NotFound("document", id.value());
  return document->IsFullyActive();
}

absl::StatusOr<net::Origin> FrameTree::OriginOf(DocumentId id) {
  absl::MutexLock lock(&mu_);
  Document* document = FindDocument(id);
  if (document == nullptr)
    return NotFound("document", id.value());
  return document->origin;
}

bool FrameTree::IsPending(DeferredFetchId id) {
  absl::MutexLock lock(&mu_);
  return records_.Find(id) != nullptr;
}

absl::StatusOr<bool> FrameTree::IsAllowedToUse(DocumentId id,
                                               policy::Feature feature) {
  absl::MutexLock lock(&mu_);
  Document* document = FindDocument(id);
  if (document == nullptr)
    return NotFound("document", id.value());
  return browser::IsAllowedToUse(*document, feature);
}

int64_t FrameTree::PendingCount() {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(records_.size());
}

absl::flat_hash_map<DocumentId, FrameTree::QuotaGroupTotals>
FrameTree::QuotaGroupTotalsForTesting() {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<DocumentId, QuotaGroupTotals> totals;
  for (const auto& [id, document] : documents_) {
    const QuotaGroup* group = document->owned_quota_group.get();
    if (group == nullptr || document->state == DocumentState::kDestroyed)
      continue;
    QuotaGroupTotals& t = totals[id];
    t.reserved_bytes = group->reserved_bytes;
    t.minimal_reservations = group->minimal_reservations;
    t.pending_bytes = group->pending_bytes;
    for (const auto& [key, pending] : group->pending_by_origin)
      t.pending_by_origin[key] = {pending.bytes, pending.records};
  }
  return totals;
}

void FrameTree::VisitForDebugging(
    const std::function<void(const DebugView&)>& visit) {
  absl::MutexLock lock(&mu_);
  // The timer queue keeps entries of records that are no longer pending until
  // they reach its front; only pending records' deadlines are reported.
  absl::flat_hash_map<DeferredFetchId, absl::Time> activate_at;
  auto timers = timers_;
  while (!timers.empty()) {
    const auto& [at, id] = timers.top();
    if (records_.Find(id) != nullptr)
      activate_at.emplace(id, at);
    timers.pop();
  }
  visit(DebugView{top_level_traversables_, activate_at});
}

}  // namespace fetch_later::browser
