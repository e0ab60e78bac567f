#include "browser/deferred_fetch_quota.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "net/url.h"

namespace fetch_later::browser {
bool IsAllowedToUse(const Document& document, policy::Feature feature) {
  // HTML: "allowed to use", steps 1-3: a document that is not fully active may
  // not.
  if (!document.IsFullyActive())
    return false;
  return document.permissions_policy.IsFeatureEnabledForOrigin(feature,
                                                               document.origin);
}

std::string ReportingOriginKey(const net::Origin& origin) {
  return origin.opaque() ? std::string() : origin.Serialize();
}

absl::string_view ReportingOriginKeyOfUrl(absl::string_view serialized_url,
                                          std::string* storage) {
  // The URL serializer writes a special URL with a host as scheme "://"
  // [userinfo "@"] host [":" port] path, the path starting with "/" and the
  // port left out when it is the scheme's default; the origin serialisation of
  // an http(s) URL is scheme "://" host [":" port] under the same rule.
  for (absl::string_view scheme : {"https://", "http://"}) {
    if (!absl::StartsWith(serialized_url, scheme))
      continue;
    const size_t authority_end = serialized_url.find('/', scheme.size());
    const absl::string_view authority = serialized_url.substr(
        scheme.size(), authority_end == absl::string_view::npos
                           ? absl::string_view::npos
                           : authority_end - scheme.size());
    if (authority_end == absl::string_view::npos || authority.empty() ||
        absl::StrContains(authority, '@')) {
      break;  // not the expected form, or credentials: parse it
    }
    return serialized_url.substr(0, authority_end);
  }
  absl::StatusOr<net::Url> url = net::Url::Parse(serialized_url);
  *storage = url.ok() ? ReportingOriginKey(net::Origin::Create(*url)) : "";
  return *storage;
}

// Fetch: "available deferred-fetch quota".
int64_t AvailableDeferredFetchQuota(const Document& document,
                                    const net::Origin* origin) {
  return AvailableDeferredFetchQuotaForOriginKey(
      document, origin == nullptr ? "" : ReportingOriginKey(*origin));
}

int64_t DeferredFetchQuotaPool(const QuotaGroup& group) {
  // Steps 1-5.
  // (From the group's cache of the control document's fixed facts; "allowed
  // to use" is "fully active" and "is feature enabled in document for origin".)
  const bool is_top_level = group.control_is_top_level;
  const bool deferred_fetch_allowed =
      group.control_fully_active && group.deferred_fetch_enabled;
  const bool deferred_fetch_minimal_allowed =
      group.control_fully_active && group.deferred_fetch_minimal_enabled;

  // Step 6: the first matching statement.
  if (is_top_level && !deferred_fetch_allowed)
    return 0;
  if (is_top_level && !deferred_fetch_minimal_allowed)
    return kTopLevelQuota;
  if (is_top_level)
    return kTopLevelQuotaWithMinimalReserved;
  if (deferred_fetch_allowed &&
      group.control_container->reserved_deferred_fetch_quota == kNormalQuota) {
    return kNormalQuota;
  }
  if (deferred_fetch_minimal_allowed &&
      group.control_container->reserved_deferred_fetch_quota == kMinimalQuota) {
    return kMinimalQuota;
  }
  return 0;
}

int64_t AvailableDeferredFetchQuotaForOriginKey(const Document& document,
                                                absl::string_view origin_key) {
  const QuotaGroup& group = *document.quota_group;
  // Steps 1-6.
  int64_t quota = DeferredFetchQuotaPool(group);

  // Step 7.
  int64_t quota_for_request_origin = kQuotaPerRequestOrigin;

  // Step 8, over the group's running totals: every container reservation in a
  // member document (8.1) and every pending record of a member document (8.2).
  quota -= group.reserved_bytes;
  quota -= group.pending_bytes;
  if (!origin_key.empty()) {
    auto it = group.pending_by_origin.find(origin_key);
    if (it != group.pending_by_origin.end())
      quota_for_request_origin -= it->second.bytes;
  }

  // Steps 9-11.
  if (quota <= 0)
    return 0;
  if (quota < quota_for_request_origin)
    return quota;
  return std::max<int64_t>(quota_for_request_origin, 0);
}

// Fetch: "reserve deferred-fetch quota".
void ReserveDeferredFetchQuota(NavigableContainer& container,
                               const net::Origin& origin_to_navigate_to) {
  // Step 1.
  SetReservedDeferredFetchQuota(container, 0);
  // Step 2.
  const Document& control_document =
      *container.node_document->DeferredFetchControlDocument();
  const policy::ContainerInfo info = container.PolicyContainerInfo();

  // Step 3.
  if (policy::DefineInheritedPolicyForFeatureInContainerAtOrigin(
          policy::Feature::kDeferredFetch, &info, origin_to_navigate_to) &&
      AvailableDeferredFetchQuota(control_document, nullptr) >= kNormalQuota) {
    SetReservedDeferredFetchQuota(container, kNormalQuota);
    return;
  }

  // Step 4.
  if (control_document.node_navigable->IsTopLevelTraversable() &&
      policy::DefineInheritedPolicyForFeatureInContainerAtOrigin(
          policy::Feature::kDeferredFetchMinimal, &info,
          origin_to_navigate_to) &&
      control_document.quota_group->minimal_reservations <
          kMaxMinimalReservations) {
    SetReservedDeferredFetchQuota(container, kMinimalQuota);
  }
}

// Fetch: "potentially free deferred-fetch quota".
void PotentiallyFreeDeferredFetchQuota(Document& document) {
  NavigableContainer* container = document.node_navigable->container;
  if (container == nullptr)
    return;
  if (container->node_document->origin.IsSameOriginWith(document.origin)) {
    SetReservedDeferredFetchQuota(*container, 0);
  }
}

void SetReservedDeferredFetchQuota(NavigableContainer& container,
                                   int64_t bytes) {
  QuotaGroup& group = *container.node_document->quota_group;
  const int64_t old_bytes = container.reserved_deferred_fetch_quota;
  group.reserved_bytes += bytes - old_bytes;
  group.minimal_reservations +=
      (bytes == kMinimalQuota ? 1 : 0) - (old_bytes == kMinimalQuota ? 1 : 0);
  container.reserved_deferred_fetch_quota = bytes;
}

std::pair<const std::string, PendingForOrigin>* PendingForOriginEntry(
    QuotaGroup& group,
    absl::string_view origin_key) {
  if (origin_key.empty())
    return nullptr;
  return &*group.pending_by_origin.try_emplace(origin_key).first;
}

void EnterPendingState(DeferredFetchRecord& record) {
  QuotaGroup& group = *record.document->quota_group;
  const auto length = static_cast<int64_t>(record.total_request_length);
  group.pending_bytes += length;
  if (record.reporting_origin != nullptr) {
    record.reporting_origin->second.bytes += length;
    record.reporting_origin->second.records++;
  }
}

void LeavePendingState(DeferredFetchRecord& record, InvokeState new_state) {
  if (record.invoke_state != InvokeState::kPending)
    return;
  record.invoke_state = new_state;
  QuotaGroup& group = *record.document->quota_group;
  const auto length = static_cast<int64_t>(record.total_request_length);
  group.pending_bytes -= length;
  if (auto* entry = record.reporting_origin) {
    record.reporting_origin = nullptr;
    entry->second.bytes -= length;
    if (--entry->second.records == 0)
      group.pending_by_origin.erase(entry->first);
  }
}

}  // namespace fetch_later::browser
