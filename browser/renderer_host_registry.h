// RendererHostRegistry: which renderer hosts which document. It assigns every
// committed document to the renderer host of its site (site-per-process),
// creating the host (and its launch token) for a new site, issues each
// document's unguessable token, answers "which renderer may speak for this
// document" for the renderer-facing calls, and keeps the record of every bad
// message.
//
// Created and owned by BrowserCore; lives as long as it (hosts are never
// destroyed before it: a cut-off host stays, revoked, for inspection).
// Thread-safe: one lock guards the maps below. RendererHost's own lock may be
// taken under it (pushing a host's events in commit order); nothing else is
// called with it held. See browser_core.h for the lock order.
#ifndef BROWSER_RENDERER_HOST_REGISTRY_H_
#define BROWSER_RENDERER_HOST_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/fetch_later_request_validator.h"
#include "browser/frame_tree.h"
#include "browser/renderer_host.h"

namespace fetch_later::browser {

// A document the browser just committed, and who hosts it.
struct CommittedFrame {
  NavigableId navigable;
  DocumentId document;
  std::string document_token;
  std::string site;
  RendererId renderer;
  std::string renderer_token;
};

// Why a renderer was cut off (Chromium's ReportBadMessage).
struct BadMessageRecord {
  RendererId renderer;
  std::string site;
  BadMessageReason reason;
  std::string detail;  // the field and the rule (BadMessage::detail)
  absl::Time at;
};

class RendererHostRegistry {
 public:
  RendererHostRegistry() = default;
  RendererHostRegistry(const RendererHostRegistry&) = delete;  // Not copyable.
  RendererHostRegistry& operator=(const RendererHostRegistry&) = delete;

  // ---- Documents, as the frame tree reports them.
  struct DocumentUpdate {
    // The host created for a new site by this change (its process is to be
    // launched); null when the site's host already existed.
    RendererHost* created_host = nullptr;
    // A destroyed document's token (it is forgotten).
    std::optional<std::string> destroyed_token;
  };
  // A created document is committed to its site's renderer (told with
  // DocumentCommitted); any other change is told to the hosting renderer
  // (DocumentStateChanged), and a destroyed document is forgotten.
  DocumentUpdate OnDocumentStateChanged(const DocumentStateChange& change);
  // Fetch: "process a deferred fetch" step 4: the fetch's client id is
  // forgotten and, when "notify invoked" runs, the hosting renderer is told
  // (FetchLaterResult.activated becomes true).
  void OnDeferredFetchProcessed(const ProcessedDeferredFetch& fetch);
  // CSP "report a violation": tells the renderer hosting `document` to fire
  // `securitypolicyviolation` (the token is filled in here). Only while the
  // document lives; returns whether it was told.
  bool SendSecurityPolicyViolation(DocumentId document,
                                   ipc::SecurityPolicyViolation violation);
  // A fetch() of `document` ended: tells its renderer `completed` (the token
  // is filled in here). Only while the document lives; returns whether it
  // was told.
  bool SendFetchCompleted(DocumentId document, ipc::FetchCompleted completed);

  // ---- Lookups. Every token is untrusted input.
  // The live host whose launch token is `launch_token`; null for an unknown or
  // revoked one.
  RendererHost* Authenticate(absl::string_view launch_token);
  // The document `document_token` names and the browser's facts about it, if
  // `renderer` hosts it.
  struct Hosted {
    DocumentId document;
    // Shared so a renderer call takes them without copying.
    std::shared_ptr<const ClientFacts> facts;
  };
  std::optional<Hosted> HostedBy(const RendererHost& renderer,
                                 const std::string& document_token);
  // NotFound for an unknown token.
  absl::StatusOr<DocumentId> DocumentForToken(
      const std::string& document_token);
  absl::StatusOr<RendererHost*> HostOf(const std::string& document_token);
  std::optional<std::string> TokenOf(DocumentId document);
  // Internal when `document` has no host (it was destroyed meanwhile).
  absl::StatusOr<CommittedFrame> Committed(NavigableId navigable,
                                           DocumentId document);
  // The live documents `renderer` hosts.
  std::vector<DocumentId> DocumentsOf(const RendererHost& renderer);
  // Waits up to `timeout` until `renderer` hosts no document; returns whether
  // it got there.
  bool AwaitNoDocuments(const RendererHost& renderer, absl::Duration timeout);

  // ---- Bad messages and inspection.
  void RecordBadMessage(BadMessageRecord record);
  std::vector<BadMessageRecord> bad_messages();
  // Every host ever created (terminated ones included), oldest first.
  std::vector<const RendererHost*> renderers();
  // The host of every live document.
  absl::flat_hash_map<DocumentId, const RendererHost*> DocumentRenderers();

 private:
  struct HostedDocument {
    RendererHost* host;  // Not owned.
    std::string token;
    std::shared_ptr<const ClientFacts> facts;
  };

  absl::Mutex mu_;
  std::vector<std::unique_ptr<RendererHost>> hosts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RendererHost*> hosts_by_site_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RendererHost*> hosts_by_token_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<DocumentId, HostedDocument> documents_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, DocumentId> documents_by_token_
      ABSL_GUARDED_BY(mu_);
  std::vector<BadMessageRecord> bad_messages_ ABSL_GUARDED_BY(mu_);
  uint64_t next_renderer_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_RENDERER_HOST_REGISTRY_H_
