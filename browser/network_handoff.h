// NetworkHandoff: where the frame tree's deferred fetches, and the pages'
// fetch() calls, leave the browser's document world for the network stage. It
// hands each processed deferred fetch to NetworkStage::Send() (Fetch: "process
// a deferred fetch" step 3), and each fetch() (SendFetch(), Cancel()), keeps
// the stage's retry gate informed of how many documents are fully active per
// network isolation key, tells the stage when the document that started a
// retrying request goes away (OnInitiatorGone), and turns the stage's report of
// a CSP block into the SecurityPolicyViolation its document gets.
//
// Created and owned by BrowserCore; lives as long as it. Called from the frame
// tree's sink (BrowserCore), on whichever thread changed the tree.
// Thread-safe: one lock guards its two sets and is never held while calling
// the network stage. See browser_core.h for the lock order.
#ifndef BROWSER_NETWORK_HANDOFF_H_
#define BROWSER_NETWORK_HANDOFF_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "browser/deferred_request.h"
#include "browser/fetch_later_request_validator.h"
#include "browser/frame_tree.h"
#include "ipc/renderer_host.pb.h"
#include "net/network_stage.h"

namespace fetch_later::browser {

class NetworkHandoff {
 public:
  // `network_stage` (not owned) must outlive this; null: nothing is sent.
  explicit NetworkHandoff(net::NetworkStage* network_stage)
      : network_stage_(network_stage) {}
  NetworkHandoff(const NetworkHandoff&) = delete;  // Not copyable.
  NetworkHandoff& operator=(const NetworkHandoff&) = delete;

  // Fetch: "process a deferred fetch" step 3: hands the request to the network.
  void OnDeferredFetchProcessed(const ProcessedDeferredFetch& fetch);
  // fetch(): hands `request` (network request id `request_id`, from
  // `document`, a live document the browser knows as `client`) to the
  // network.
  void SendFetch(uint64_t request_id,
                 DocumentId document,
                 const ClientFacts& client,
                 const DeferredRequest& request);
  // Fetch: "terminate" request `request_id` (NetworkStage::Cancel()).
  void Cancel(uint64_t request_id);
  // Counts the document in or out of its key's fully active documents, and
  // ends its retrying requests' initiator when it is destroyed.
  void OnDocumentStateChanged(const DocumentStateChange& change);

  // A request handed over while its document was alive was blocked by that
  // document's CSP: the SecurityPolicyViolation to fire at `document` (its
  // token is the caller's to set, and the caller sends it only if the
  // document still lives).
  struct Violation {
    DocumentId document;
    ipc::SecurityPolicyViolation event;
  };
  // The network stage's word on how request `outcome.request_id` ended
  // (net::RequestOutcomeObserver, on the stage's threads).
  std::optional<Violation> OnRequestOutcome(const net::RequestOutcome& outcome);

 private:
  // Keeps what the stage's later calls need of a request handed over while
  // its `document` (at `document_url`) lives: its retries' initiator, and who
  // to tell of a CSP block.
  void RememberInitiator(uint64_t request_id,
                         DocumentId document,
                         const net::OutgoingRequest& out,
                         const std::string& document_url);

  net::NetworkStage* const network_stage_;  // Not owned; may be null.

  absl::Mutex mu_;
  absl::flat_hash_set<DocumentId> fully_active_ ABSL_GUARDED_BY(mu_);
  // Requests with retryOptions handed to the network while their document was
  // alive: the stage is told when that document goes (OnInitiatorGone).
  absl::flat_hash_map<DocumentId, std::vector<uint64_t>> retrying_while_alive_
      ABSL_GUARDED_BY(mu_);
  // Requests with a CSP handed over while their document was alive, until
  // the stage tells their outcome: who to tell of a CSP block.
  struct CspInitiator {
    DocumentId document;
    std::string document_url;
    std::string request_url;
  };
  absl::flat_hash_map<uint64_t, CspInitiator> csp_initiators_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_NETWORK_HANDOFF_H_
