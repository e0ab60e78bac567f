// The quota algorithms of WHATWG Fetch "Deferred fetching" over the frame
// tree's nodes. Called by FrameTree with its lock held; they read and update
// QuotaGroup running totals.
#ifndef BROWSER_DEFERRED_FETCH_QUOTA_H_
#define BROWSER_DEFERRED_FETCH_QUOTA_H_

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "browser/frame_tree_nodes.h"
#include "net/origin.h"

namespace fetch_later::browser {

// The spec's constants (Fetch, "Deferred fetching quota").
inline constexpr int64_t kKibibyte = 1024;
// The quota of a top-level traversable: "640kb should be enough for everyone".
inline constexpr int64_t kTopLevelQuota = 640 * kKibibyte;
// "quota reserved for deferred-fetch-minimal".
inline constexpr int64_t kQuotaReservedForDeferredFetchMinimal =
    128 * kKibibyte;
// Top-level quota when deferred-fetch-minimal is allowed: 640 - 128.
inline constexpr int64_t kTopLevelQuotaWithMinimalReserved =
    kTopLevelQuota - kQuotaReservedForDeferredFetchMinimal;
// "reserved deferred-fetch quota": "normal quota" and "minimal quota".
inline constexpr int64_t kNormalQuota = 64 * kKibibyte;
inline constexpr int64_t kMinimalQuota = 8 * kKibibyte;
// "available deferred-fetch quota" step 7: quotaForRequestOrigin.
inline constexpr int64_t kQuotaPerRequestOrigin = 64 * kKibibyte;
// "reserve deferred-fetch quota" step 4: at most 128 KiB / 8 KiB = 16 minimal
// reservations.
inline constexpr int kMaxMinimalReservations =
    static_cast<int>(kQuotaReservedForDeferredFetchMinimal / kMinimalQuota);

// HTML: "allowed to use" a policy-controlled feature.
bool IsAllowedToUse(const Document& document, policy::Feature feature);

// Fetch: "available deferred-fetch quota" given `document` and `origin` (null:
// no reporting origin, as "reserve deferred-fetch quota" asks). O(1): uses the
// quota group's totals.
int64_t AvailableDeferredFetchQuota(const Document& document,
                                    const net::Origin* origin);
// Fetch: "available deferred-fetch quota" steps 1-6: the quota of `group`'s
// control document before anything is subtracted (640 KiB or 512 KiB at the
// top level, 64 KiB or 8 KiB for an iframe's own group, or 0). O(1).
int64_t DeferredFetchQuotaPool(const QuotaGroup& group);

// The same, with the origin given as its ReportingOriginKey() ("": none, or an
// opaque origin), which is what "queue a deferred fetch" has at hand.
int64_t AvailableDeferredFetchQuotaForOriginKey(const Document& document,
                                                absl::string_view origin_key);

// The key under which a quota group totals the pending bytes of a reporting
// origin (QuotaGroup::pending_by_origin): the origin's serialisation ("" for an
// opaque origin: it is same origin with no other record's origin).
std::string ReportingOriginKey(const net::Origin& origin);
// The same for the origin of a request URL given as its serialisation
// (DeferredRequest::url). An http(s) URL without credentials begins with its
// origin's serialisation, so the key is a prefix of `serialized_url` and
// nothing is parsed or allocated; otherwise the URL is parsed and `storage`
// holds the key.
absl::string_view ReportingOriginKeyOfUrl(absl::string_view serialized_url,
                                          std::string* storage);

// Fetch: "reserve deferred-fetch quota" for `container` given
// `origin_to_navigate_to`. HTML calls it when a navigation of the container's
// navigable is started by the container's node document (a parent-initiated
// navigation, including the first one).
void ReserveDeferredFetchQuota(NavigableContainer& container,
                               const net::Origin& origin_to_navigate_to);

// Fetch: "potentially free deferred-fetch quota", at document creation.
void PotentiallyFreeDeferredFetchQuota(Document& document);

// Sets a container's reservation and keeps its node document's group totals in
// step.
void SetReservedDeferredFetchQuota(NavigableContainer& container,
                                   int64_t bytes);

// Moves a record out of "pending" (to sent or aborted) and releases its bytes
// from the group totals. Only pending records count against quota (Fetch commit
// 7d7ab2a).
void LeavePendingState(DeferredFetchRecord& record, InvokeState new_state);

// The quota group's entry for `origin_key` (a ReportingOriginKey), to be passed
// to the record that EnterPendingState() then counts there; null for "".
std::pair<const std::string, PendingForOrigin>* PendingForOriginEntry(
    QuotaGroup& group,
    absl::string_view origin_key);

// Adds a new pending record's bytes to its document's group totals.
void EnterPendingState(DeferredFetchRecord& record);

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_FETCH_QUOTA_H_
