#include "browser/debug_service.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "browser/bad_message.h"
#include "browser/deferred_fetch_quota.h"
#include "browser/frame_tree_nodes.h"

namespace fetch_later::browser {
namespace {

using net::HttpsNetworkStage;

int64_t Ms(absl::Time t) {
  return absl::ToUnixMillis(t);
}

const char* DocumentStateName(DocumentState state) {
  switch (state) {
    case DocumentState::kActive:
      return "active";
    case DocumentState::kInBfcache:
      return "bfcache";
    case DocumentState::kDestroyed:
      return "destroyed";
  }
  return "?";
}

const char* RequestStateKey(HttpsNetworkStage::RequestState state) {
  using State = HttpsNetworkStage::RequestState;
  switch (state) {
    case State::kInFlight:
      return "in-flight";
    case State::kRetryScheduled:
      return "retry-scheduled";
    case State::kWaitingForSameNikDocument:
      return "waiting-for-same-nik-document";
    case State::kFailedPendingMaxAge:
      return "failed-pending-max-age";
    case State::kSucceeded:
      return "succeeded";
    case State::kFailed:
      return "failed";
  }
  return "?";
}

void FillAllowlist(const policy::Allowlist& allowlist,
                   ipc::debug::Allowlist* out) {
  out->set_all(allowlist.all);
  std::vector<std::string> origins;
  auto add = [&origins](const net::Origin& origin) {
    std::string s = origin.Serialize();
    if (std::find(origins.begin(), origins.end(), s) == origins.end())
      origins.push_back(std::move(s));
  };
  if (allowlist.self_origin)
    add(*allowlist.self_origin);
  if (allowlist.src_origin)
    add(*allowlist.src_origin);
  for (const net::CspSourceExpression& expression : allowlist.expressions) {
    if (std::find(origins.begin(), origins.end(), expression.text) ==
        origins.end()) {
      origins.push_back(expression.text);
    }
  }
  for (std::string& origin : origins)
    out->add_origins(std::move(origin));
}

// Walks one tab under the tree's lock, filling frames and collecting its quota
// groups in tree order of their control documents.
class TabWalker {
 public:
  TabWalker(const FrameTree::DebugView& view,
            const absl::flat_hash_map<DocumentId, std::string>& sites)
      : view_(view), sites_(sites) {}

  void FillFrame(const Navigable& navigable, ipc::debug::Frame* out) {
    out->set_navigable_id(navigable.id.value());
    if (const NavigableContainer* container = navigable.container) {
      out->set_reserved_quota(container->reserved_deferred_fetch_quota);
      out->set_allow(container->allow);
      if (container->sandbox)
        out->set_sandbox(absl::StrJoin(*container->sandbox, " "));
    }
    for (const auto& document : navigable.documents) {
      if (document.get() == navigable.active_document) {
        FillDocument(*document, out->mutable_active_document());
        for (const auto& container : document->containers) {
          if (container->content_navigable != nullptr)
            FillFrame(*container->content_navigable, out->add_children());
        }
      } else if (document->state == DocumentState::kInBfcache) {
        FillDocument(*document, out->add_bfcached_documents());
      }
    }
  }

  void FillGroups(
      google::protobuf::RepeatedPtrField<ipc::debug::QuotaGroup>* out) const {
    for (const QuotaGroup* group : groups_) {
      ipc::debug::QuotaGroup* g = out->Add();
      g->set_control_document(group->control_document->id.value());
      g->set_top_level(group->control_is_top_level);
      const int64_t pool = DeferredFetchQuotaPool(*group);
      g->set_pool_bytes(pool);
      g->set_reserved_bytes(group->reserved_bytes);
      g->set_pending_bytes(group->pending_bytes);
      g->set_available_bytes(std::max<int64_t>(
          0, pool - group->reserved_bytes - group->pending_bytes));
      g->set_minimal_reservations(group->minimal_reservations);
      std::map<std::string, int64_t> by_origin;
      for (const auto& [origin, use] : group->pending_by_origin)
        by_origin[origin] = use.bytes;
      for (const auto& [origin, bytes] : by_origin) {
        ipc::debug::OriginUse* use = g->add_origins();
        use->set_origin(origin);
        use->set_pending_bytes(bytes);
      }
    }
  }

 private:
  void FillDocument(const Document& document, ipc::debug::Document* out) {
    if (document.owned_quota_group != nullptr)
      groups_.push_back(document.owned_quota_group.get());
    out->set_id(document.id.value());
    out->set_url(document.url.Serialize());
    out->set_origin(document.origin.Serialize());
    out->set_state(DocumentStateName(document.state));
    out->set_fully_active(document.IsFullyActive());
    out->set_hidden(document.hidden_since.has_value());
    if (document.quota_group != nullptr) {
      out->set_control_document(
          document.DeferredFetchControlDocument()->id.value());
    }
    auto site = sites_.find(document.id);
    if (site != sites_.end())
      out->set_renderer_site(site->second);
    for (const policy::Feature feature :
         {policy::Feature::kDeferredFetch,
          policy::Feature::kDeferredFetchMinimal}) {
      ipc::debug::FeaturePolicy* policy = out->add_policy();
      policy->set_feature(std::string(policy::FeatureName(feature)));
      policy->set_inherited(document.permissions_policy.inherited(feature));
      const auto& declared =
          document.permissions_policy.declared().Get(feature);
      if (declared)
        FillAllowlist(*declared, policy->mutable_declared());
      policy->set_allowed_to_use(IsAllowedToUse(document, feature));
    }
    out->set_policy_error(document.permissions_policy_error);
    for (const DeferredFetchRecord* record = document.first_pending;
         record != nullptr; record = record->next_pending) {
      ipc::debug::DeferredFetchRecord* r = out->add_pending();
      r->set_id(record->id.value());
      r->set_method(record->method);
      r->set_url(record->url.Serialize());
      r->set_total_request_length(record->total_request_length);
      r->set_invoke_state(InvokeStateName(record->invoke_state));
      auto at = view_.activate_at.find(record->id);
      if (at != view_.activate_at.end())
        r->set_activate_at_ms(Ms(at->second));
      r->set_has_retry_options(record->retry_options != nullptr);
    }
  }

  const FrameTree::DebugView& view_;
  const absl::flat_hash_map<DocumentId, std::string>& sites_;
  std::vector<const QuotaGroup*> groups_;
};

void FillNetwork(const HttpsNetworkStage& stage,
                 ipc::debug::Snapshot* snapshot) {
  std::vector<HttpsNetworkStage::AttemptRecord> attempts = stage.attempts();
  const size_t first = attempts.size() > kSnapshotAttempts
                           ? attempts.size() - kSnapshotAttempts
                           : 0;
  for (size_t i = first; i < attempts.size(); ++i) {
    const HttpsNetworkStage::AttemptRecord& a = attempts[i];
    ipc::debug::NetworkAttempt* out = snapshot->add_attempts();
    out->set_request_id(a.request_id);
    out->set_retry_attempt(a.retry_attempt);
    out->set_method(a.method);
    out->set_url(a.url);
    if (a.http_status)
      out->set_http_status(*a.http_status);
    if (a.error) {
      out->set_error(absl::StrCat(net::NetworkErrorKindName(a.error->kind),
                                  ": ", a.error->detail));
    }
    out->set_connection_reused(a.connection_reused);
    out->set_retry_decision(a.retry_decision);
    out->set_started_ms(Ms(a.started_at));
    out->set_finished_ms(Ms(a.finished_at));
  }
  for (const HttpsNetworkStage::RequestStatus& status :
       stage.UnfinishedRequests()) {
    ipc::debug::NetworkRequest* out = snapshot->add_requests();
    out->set_request_id(status.request_id);
    out->set_state(RequestStateKey(status.state));
    out->set_retries_started(status.retries_started);
    if (status.next_retry_at)
      out->set_next_retry_ms(Ms(*status.next_retry_at));
    if (status.last_error)
      out->set_last_error(status.last_error->ToString());
    out->set_note(status.note);
  }
  std::vector<HttpsNetworkStage::BlockedRecord> blocked = stage.blocked();
  const size_t first_blocked = blocked.size() > kSnapshotAttempts
                                   ? blocked.size() - kSnapshotAttempts
                                   : 0;
  for (size_t i = first_blocked; i < blocked.size(); ++i) {
    const HttpsNetworkStage::BlockedRecord& b = blocked[i];
    ipc::debug::NetworkBlocked* out = snapshot->add_blocked();
    out->set_request_id(b.request_id);
    out->set_reason(net::BlockedReasonName(b.reason));
    out->set_url(b.url);
    out->set_message(b.message);
    out->set_at_ms(Ms(b.at));
  }
  for (const HttpsNetworkStage::PoolInfo& pool : stage.Pools()) {
    ipc::debug::NetworkPool* out = snapshot->add_pools();
    out->set_key(pool.key);
    out->set_open_connections(static_cast<int32_t>(pool.open_connections));
    out->set_peak_connections(static_cast<int32_t>(pool.peak_connections));
  }
}

}  // namespace

ipc::debug::Snapshot BuildSnapshot(BrowserCore& core,
                                   const net::HttpsNetworkStage* stage) {
  ipc::debug::Snapshot snapshot;
  snapshot.set_now_ms(Ms(core.clock().Now()));

  // The core's lock first (renderers), then the tree's: never both at once.
  absl::flat_hash_map<DocumentId, std::string> sites;
  for (const auto& [document, host] : core.DocumentRenderers())
    sites.emplace(document, host->site());
  for (const RendererHost* host : core.renderers()) {
    ipc::debug::Renderer* out = snapshot.add_renderers();
    out->set_id(host->id().value());
    out->set_site(host->site());
    out->set_terminated(host->terminated());
    out->set_termination_reason(host->termination_reason());
    out->set_documents(host->document_count());
    *out->mutable_sandbox() = host->sandbox();
  }
  for (const BadMessageRecord& bad : core.bad_messages()) {
    ipc::debug::BadMessage* out = snapshot.add_bad_messages();
    out->set_renderer(bad.renderer.value());
    out->set_site(bad.site);
    out->set_reason(std::string(BadMessageReasonName(bad.reason)));
    out->set_detail(bad.detail);
    out->set_at_ms(Ms(bad.at));
  }

  for (const JournalKeeper::Restored& r : core.RestoredFromJournal()) {
    ipc::debug::DeferredFetchRecord* out = snapshot.add_restored();
    out->set_id(r.id);
    out->set_method(r.method);
    out->set_url(r.url);
    out->set_total_request_length(r.total_request_length);
    out->set_invoke_state("restored after restart");
    if (r.activate_at)
      out->set_activate_at_ms(Ms(*r.activate_at));
    out->set_has_retry_options(r.has_retry_options);
    out->set_restored(absl::StrCat("restored after restart: ", r.decision));
  }

  core.frame_tree().VisitForDebugging([&](const FrameTree::DebugView& view) {
    for (const auto& top : view.top_level_traversables) {
      ipc::debug::Tab* tab = snapshot.add_tabs();
      TabWalker walker(view, sites);
      walker.FillFrame(*top, tab->mutable_top());
      walker.FillGroups(tab->mutable_quota_groups());
    }
  });

  if (stage != nullptr)
    FillNetwork(*stage, &snapshot);
  return snapshot;
}

std::function<void(const net::HttpsNetworkStage::AttemptEvent&)>
NetLogAttemptObserver(NetLog* net_log) {
  return [net_log](const HttpsNetworkStage::AttemptEvent& event) {
    using Type = HttpsNetworkStage::AttemptEvent::Type;
    std::map<std::string, std::string> fields = {
        {"id", absl::StrCat(event.request_id)},
        {"retry_attempt", absl::StrCat(event.retry_attempt)}};
    if (event.method != nullptr)
      fields["method"] = *event.method;
    if (event.url != nullptr)
      fields["url"] = event.url->Serialize(/*exclude_fragment=*/true);
    switch (event.type) {
      case Type::kStarted:
        net_log->AddEvent("attempt.started", std::move(fields));
        return;
      case Type::kFailed:
        if (event.error != nullptr) {
          fields["error"] = net::NetworkErrorKindName(event.error->kind);
          fields["detail"] = event.error->detail;
        }
        if (event.retry_decision != nullptr)
          fields["retry_decision"] = *event.retry_decision;
        net_log->AddEvent("attempt.failed", std::move(fields));
        return;
      case Type::kRetryScheduled:
        fields["delay_ms"] =
            absl::StrCat(absl::ToInt64Milliseconds(event.retry_delay));
        net_log->AddEvent("attempt.retry_scheduled", std::move(fields));
        return;
      case Type::kWaitingForSameNikDocument:
        net_log->AddEvent("attempt.waiting_for_nik", std::move(fields));
        return;
      case Type::kSent:
        fields["status"] = absl::StrCat(event.http_status.value_or(0));
        net_log->AddEvent("request.sent", std::move(fields));
        return;
      case Type::kBlocked:
        // `url` (above) is the refused URL: for a redirect, its target.
        if (event.blocked_reason)
          fields["reason"] = net::BlockedReasonName(*event.blocked_reason);
        if (event.message != nullptr)
          fields["message"] = *event.message;
        net_log->AddEvent("request.blocked", std::move(fields));
        return;
    }
  };
}

DebugService::DebugService(BrowserCore* core,
                           const net::HttpsNetworkStage* stage,
                           NetLog* net_log)
    : core_(core), stage_(stage), net_log_(net_log) {}

grpc::Status DebugService::GetSnapshot(grpc::ServerContext* context,
                                       const ipc::debug::Empty* request,
                                       ipc::debug::Snapshot* response) {
  *response = BuildSnapshot(*core_, stage_);
  return grpc::Status::OK;
}

grpc::Status DebugService::WatchEvents(
    grpc::ServerContext* context,
    const ipc::debug::WatchRequest* request,
    grpc::ServerWriter<ipc::debug::Event>* writer) {
  if (net_log_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "this browser keeps no event log");
  }
  std::unique_ptr<NetLog::Watcher> watcher =
      net_log_->Watch(request->include_backlog());
  {
    absl::MutexLock lock(&mu_);
    if (stopping_)
      return grpc::Status::OK;
    watchers_.insert(watcher.get());
  }
  // Polls so a cancelled call ends the stream promptly; Stop() closes the
  // watcher, which ends it at once.
  while (!context->IsCancelled()) {
    std::optional<ipc::debug::Event> event =
        watcher->Next(absl::Milliseconds(100));
    if (event) {
      if (!writer->Write(*event))
        break;  // the client went away
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (stopping_)
      break;
  }
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher.get());
  return grpc::Status::OK;
}

void DebugService::Stop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (NetLog::Watcher* watcher : watchers_)
    watcher->Close();
}

}  // namespace fetch_later::browser
