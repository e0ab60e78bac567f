// The report's `blocked` list from the network stage's refusals: turns the
// stage's bounded log of the newest refusals (HttpsNetworkStage::blocked(),
// oldest first) into "the refusals since the last call" for
// BrowserControl.TakeBlockedRequests, as IPC messages.
//
//   BlockedRequestFeed feed([stage] { return stage->blocked(); });
//   std::vector<ipc::BlockedRequest> fresh = feed.TakeNew();  // oldest first
//
// Created by the browser's main next to the stage it reads (the snapshot
// function must stay callable for the feed's life); owned by the callback
// handed to BrowserCore. Thread-safe.
#ifndef BROWSER_BLOCKED_REQUESTS_H_
#define BROWSER_BLOCKED_REQUESTS_H_

#include <functional>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "ipc/browser_control.pb.h"
#include "net/https_network_stage.h"

namespace fetch_later::browser {

// `record` as the report's entry: url, reason (net/blocked_reason.h's name,
// e.g. "REDIRECT_NOT_HTTPS"), message, and the request id.
ipc::BlockedRequest ToBlockedRequest(
    const net::HttpsNetworkStage::BlockedRecord& record);

class BlockedRequestFeed {
 public:
  // `snapshot` returns the log's current records, oldest first; the log
  // appends new records at its end and drops its oldest beyond its bound.
  explicit BlockedRequestFeed(
      std::function<std::vector<net::HttpsNetworkStage::BlockedRecord>()>
          snapshot);
  BlockedRequestFeed(const BlockedRequestFeed&) = delete;  // Not copyable.
  BlockedRequestFeed& operator=(const BlockedRequestFeed&) = delete;

  // The records appended since the last call (all of them on the first),
  // oldest first. The last record returned is the cursor: when the log has
  // dropped it since (more refusals than its bound between two calls), every
  // record the log still holds is new, and the ones dropped are lost.
  std::vector<ipc::BlockedRequest> TakeNew();

 private:
  const std::function<std::vector<net::HttpsNetworkStage::BlockedRecord>()>
      snapshot_;
  absl::Mutex mu_;
  // The newest record returned so far.
  std::optional<net::HttpsNetworkStage::BlockedRecord> last_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_BLOCKED_REQUESTS_H_
