// A NetworkStage that sends nothing and records what it was given, for tests of
// the browser above the network (and for a browser run with no network).
// Thread-safe.
#ifndef NET_RECORDING_NETWORK_STAGE_H_
#define NET_RECORDING_NETWORK_STAGE_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/network_stage.h"

namespace fetch_later::net {

class RecordingNetworkStage : public NetworkStage {
 public:
  void Send(OutgoingRequest request) override {
    absl::MutexLock lock(&mu_);
    if (request.url.scheme() != "https") {
      refused_.push_back(std::move(request));
      return;
    }
    sent_.push_back(std::move(request));
  }
  void OnInitiatorGone(uint64_t request_id) override {
    absl::MutexLock lock(&mu_);
    initiators_gone_.push_back(request_id);
  }
  std::vector<uint64_t> initiators_gone() const {
    absl::MutexLock lock(&mu_);
    return initiators_gone_;
  }
  void Cancel(uint64_t request_id) override {
    absl::MutexLock lock(&mu_);
    cancelled_.push_back(request_id);
  }
  // The ids Cancel() was called with, in order.
  std::vector<uint64_t> cancelled() const {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }
  void OnDocumentActive(const NetworkIsolationKey& key) override {
    absl::MutexLock lock(&mu_);
    active_documents_[key]++;
  }
  void OnDocumentInactive(const NetworkIsolationKey& key) override {
    absl::MutexLock lock(&mu_);
    if (--active_documents_[key] <= 0)
      active_documents_.erase(key);
  }

  void SetOutcomeObserver(RequestOutcomeObserver observer) override {
    absl::MutexLock lock(&mu_);
    observer_ = std::move(observer);
  }
  // Tells the outcome observer (if any) that a request ended with `outcome`,
  // as the real stage would.
  void ReportOutcomeForTesting(const RequestOutcome& outcome) {
    RequestOutcomeObserver observer;
    {
      absl::MutexLock lock(&mu_);
      observer = observer_;
    }
    if (observer)
      observer(outcome);
  }

  std::vector<OutgoingRequest> sent() const {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  std::vector<OutgoingRequest> refused() const {
    absl::MutexLock lock(&mu_);
    return refused_;
  }
  // Waits until at least `count` requests were sent or `timeout` passes;
  // returns the count.
  size_t WaitForSent(size_t count, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return sent_.size() >= count;
    };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return sent_.size();
  }
  int ActiveDocuments(const NetworkIsolationKey& key) const {
    absl::MutexLock lock(&mu_);
    auto it = active_documents_.find(key);
    return it == active_documents_.end() ? 0 : it->second;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<OutgoingRequest> sent_ ABSL_GUARDED_BY(mu_);
  std::vector<OutgoingRequest> refused_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> initiators_gone_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> cancelled_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<NetworkIsolationKey, int> active_documents_
      ABSL_GUARDED_BY(mu_);
  RequestOutcomeObserver observer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::net

#endif  // NET_RECORDING_NETWORK_STAGE_H_
