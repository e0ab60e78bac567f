// RendererHost: the browser's record of one renderer process (one per site),
// like Chromium's RenderProcessHost. Created by RendererHostRegistry when a
// document of a new site commits; owned by the registry (BrowserCore's); lives
// until the browser shuts down (a terminated host stays, revoked, so its
// bad-message record can be inspected).
//
// It holds the renderer's launch token, the documents it may speak for (by the
// unguessable tokens the browser issued), the ids its fetchLater() calls used,
// the queue of events for its WatchEvents stream, and what the browser saw of
// its process's sandbox. Thread-safe.
#ifndef BROWSER_RENDERER_HOST_H_
#define BROWSER_RENDERER_HOST_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/typed_id.h"
#include "ipc/debug.pb.h"
#include "ipc/renderer_host.pb.h"

namespace fetch_later::browser {

using RendererId = TypedId<struct RendererIdTag>;

// 128 random bits as 32 lowercase hex digits, from the OS's CSPRNG.
std::string NewUnguessableToken();

class RendererHost {
 public:
  RendererHost(RendererId id, std::string site, std::string launch_token)
      : id_(id),
        site_(std::move(site)),
        launch_token_(std::move(launch_token)) {}
  RendererHost(const RendererHost&) = delete;
  RendererHost& operator=(const RendererHost&) = delete;

  RendererId id() const { return id_; }
  const std::string& site() const { return site_; }
  const std::string& launch_token() const { return launch_token_; }

  // Documents.
  void AddDocument(const std::string& token, DocumentId document);
  std::optional<DocumentId> FindDocument(const std::string& token) const;
  void RemoveDocument(const std::string& token);

  // fetchLater() ids: (document token, renderer-chosen client id) <->
  // DeferredFetchId. Returns false if the pair is already in use (a bad
  // message).
  bool AddFetch(const std::string& document_token,
                uint64_t client_id,
                DeferredFetchId id);
  std::optional<DeferredFetchId> FindFetch(const std::string& document_token,
                                           uint64_t client_id) const;
  // Forgets the fetch and returns its (document token, client id).
  std::optional<std::pair<std::string, uint64_t>> TakeFetch(DeferredFetchId id);

  // Events for the WatchEvents stream.
  void PushEvent(ipc::RendererEvent event);
  // Waits up to `timeout` for an event; nullopt on timeout, once terminated or
  // once the stream is closed.
  std::optional<ipc::RendererEvent> PopEvent(absl::Duration timeout);
  // The browser is shutting down: a waiting PopEvent returns at once, and every
  // later one too. Idempotent.
  void CloseEventStream();

  // Cut off: the token stops working and the event stream ends. Idempotent; the
  // first reason is kept ("" for an ordinary disconnect). Returns whether this
  // call terminated the host (false: it already was).
  bool Terminate(std::string reason);
  bool terminated() const;
  std::string termination_reason() const;
  int document_count() const;

  // The renderer process's sandbox as the browser checked it once the
  // renderer's channel was up (browser/renderer_sandbox_check.h); verdict
  // "pending" until then.
  void set_sandbox(ipc::debug::RendererSandbox sandbox);
  ipc::debug::RendererSandbox sandbox() const;

 private:
  const RendererId id_;
  const std::string site_;
  const std::string launch_token_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, DocumentId> documents_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::pair<std::string, uint64_t>, DeferredFetchId>
      fetches_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<DeferredFetchId, std::pair<std::string, uint64_t>>
      fetch_keys_ ABSL_GUARDED_BY(mu_);
  std::deque<ipc::RendererEvent> events_ ABSL_GUARDED_BY(mu_);
  bool terminated_ ABSL_GUARDED_BY(mu_) = false;
  bool event_stream_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::string termination_reason_ ABSL_GUARDED_BY(mu_);
  ipc::debug::RendererSandbox sandbox_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_RENDERER_HOST_H_
