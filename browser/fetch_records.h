// FetchRecords: the browser's record of the fetch() calls in flight, per
// document (Fetch: the "fetch records" of the document's "fetch group"). It
// gives each fetch() its network request id, holds the document's in-flight
// keepalive body bytes to Fetch's 64 KiB limit, says which fetches to
// terminate when the document's fetch group is terminated (it is destroyed:
// those without keepalive), and, when the network stage tells how a fetch
// ended, what its renderer is told (FetchCompletedFor()).
//
//   FetchRecords::Started started =
//       records.Start(document, /*client_id=*/7, {/*keepalive=*/true,
//                     /*body_length=*/1000, redirect, credentials});
//   if (started.outcome == FetchRecords::StartOutcome::kStarted)
//     stage->Send(... started.request_id ...);
//   // later, from the stage's outcome observer:
//   std::optional<FetchRecords::Completion> done =
//       records.OnRequestOutcome(outcome);  // -> RendererEvent.fetch_completed
//
// Deferred fetches are not here: they have their own quota, and their
// keepalive bodies are exempt from this limit (SPEC-NOTES 1.17 asks to decide:
// the 640 KiB deferred-fetch quota already bounds them).
//
// Created and owned by BrowserCore; lives as long as it. Thread-safe: one lock,
// a leaf (nothing is called with it held). Called from renderer calls, the
// frame tree's sink and the network stage's outcome observer (its threads).
#ifndef BROWSER_FETCH_RECORDS_H_
#define BROWSER_FETCH_RECORDS_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "browser/frame_tree.h"
#include "browser/typed_id.h"
#include "ipc/renderer_host.pb.h"
#include "net/network_stage.h"
#include "net/request_modes.h"

namespace fetch_later::browser {

// What the renderer is told of a fetch() with `redirect` and `credentials`
// that ended with `outcome`: the filtered response (net/response_filter.h),
// or a network error whose message says why (the stage's refusal with its
// reason, the network error, a body longer than the 1 MiB the stage keeps).
// The document token is the caller's to set.
ipc::FetchCompleted FetchCompletedFor(const net::RequestOutcome& outcome,
                                      net::RedirectMode redirect,
                                      net::CredentialsMode credentials);

class FetchRecords {
 public:
  // Network request ids of fetch() calls have this bit set; the frame tree's
  // deferred fetch ids never do (RecordSlotMap), so the two never meet at the
  // network stage or its outcome observer.
  static constexpr uint64_t kRequestIdBit = uint64_t{1} << 63;
  // Fetch: "HTTP-network-or-cache fetch": the in-flight keepalive body bytes
  // of a fetch group, this request's included, may not exceed 64 KiB.
  static constexpr uint64_t kKeepaliveBodyLimit = 64 * 1024;

  FetchRecords() = default;
  FetchRecords(const FetchRecords&) = delete;  // Not copyable.
  FetchRecords& operator=(const FetchRecords&) = delete;

  // Documents come and go (the frame tree's sink): a fetch() can only start
  // in a document that exists, and a destroyed document's fetch group is
  // terminated: its records without keepalive are forgotten and their
  // request ids returned, for the caller to cancel at the network stage;
  // those with keepalive go on, and nobody hears how they end.
  std::vector<uint64_t> OnDocumentStateChanged(
      const DocumentStateChange& change);

  struct Request {
    bool keepalive = false;
    // Fetch: the body's length; nullopt for a null body.
    std::optional<uint64_t> body_length;
    net::RedirectMode redirect = net::RedirectMode::kFollow;
    net::CredentialsMode credentials = net::CredentialsMode::kSameOrigin;
  };
  enum class StartOutcome {
    kStarted,
    // `client_id` names a fetch() of the document in flight (a bad message).
    kClientIdInUse,
    // The keepalive limit: the fetch is a network error (`network_error`).
    kKeepaliveLimit,
    // The document is gone (destroyed while the call was on its way).
    kDocumentGone,
  };
  struct Started {
    StartOutcome outcome = StartOutcome::kStarted;
    uint64_t request_id = 0;            // kStarted
    ipc::FetchCompleted network_error;  // kKeepaliveLimit
  };
  // Fetch: appends a fetch record for `request` (the renderer's `client_id`)
  // to `document`'s fetch group, after "HTTP-network-or-cache fetch"'s
  // keepalive check.
  Started Start(DocumentId document,
                uint64_t client_id,
                const Request& request);

  // The fetch() `client_id` of `document` was aborted (its signal): the
  // record is forgotten; its request id, for the caller to cancel (nullopt:
  // none in flight).
  std::optional<uint64_t> Abort(DocumentId document, uint64_t client_id);

  // The network stage's word on how request `outcome.request_id` ended. For a
  // fetch() still recorded: the record is done (forgotten) and its document
  // is to be told `event` (FetchCompletedFor(); the token is the caller's to
  // set, and only a live document is told). nullopt for any other request.
  struct Completion {
    DocumentId document;
    ipc::FetchCompleted event;
  };
  std::optional<Completion> OnRequestOutcome(
      const net::RequestOutcome& outcome);

  // For tests and inspection: the fetches in flight, and `document`'s
  // in-flight keepalive body bytes.
  size_t InFlightCount();
  uint64_t InFlightKeepaliveBytes(DocumentId document);

 private:
  struct Record {
    DocumentId document;
    uint64_t client_id = 0;
    Request request;
  };
  struct Group {
    // Keys of `records_`.
    absl::flat_hash_map<uint64_t, uint64_t> request_by_client_id;
    uint64_t inflight_keepalive_bytes = 0;
  };

  // Forgets `it` and its place in its group.
  void EraseLocked(absl::flat_hash_map<uint64_t, Record>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  // The fetch group of every live document.
  absl::flat_hash_map<DocumentId, Group> groups_ ABSL_GUARDED_BY(mu_);
  // Request id -> its record.
  absl::flat_hash_map<uint64_t, Record> records_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_FETCH_RECORDS_H_
