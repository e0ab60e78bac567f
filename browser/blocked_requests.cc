#include "browser/blocked_requests.h"

#include <utility>

#include "net/blocked_reason.h"

namespace fetch_later::browser {
namespace {

bool SameRecord(const net::HttpsNetworkStage::BlockedRecord& a,
                const net::HttpsNetworkStage::BlockedRecord& b) {
  return a.request_id == b.request_id && a.reason == b.reason &&
         a.url == b.url && a.message == b.message && a.at == b.at;
}

}  // namespace

ipc::BlockedRequest ToBlockedRequest(
    const net::HttpsNetworkStage::BlockedRecord& record) {
  ipc::BlockedRequest out;
  out.set_request_id(record.request_id);
  out.set_url(record.url);
  out.set_reason(net::BlockedReasonName(record.reason));
  out.set_message(record.message);
  return out;
}

BlockedRequestFeed::BlockedRequestFeed(
    std::function<std::vector<net::HttpsNetworkStage::BlockedRecord>()>
        snapshot)
    : snapshot_(std::move(snapshot)) {}

std::vector<ipc::BlockedRequest> BlockedRequestFeed::TakeNew() {
  absl::MutexLock lock(&mu_);
  const std::vector<net::HttpsNetworkStage::BlockedRecord> records =
      snapshot_();
  size_t first_new = 0;
  if (last_) {
    // The cursor is the newest record returned: look for it from the end.
    for (size_t i = records.size(); i > 0; --i) {
      if (SameRecord(records[i - 1], *last_)) {
        first_new = i;
        break;
      }
    }
  }
  std::vector<ipc::BlockedRequest> fresh;
  fresh.reserve(records.size() - first_new);
  for (size_t i = first_new; i < records.size(); ++i)
    fresh.push_back(ToBlockedRequest(records[i]));
  if (!records.empty())
    last_ = records.back();
  return fresh;
}

}  // namespace fetch_later::browser
