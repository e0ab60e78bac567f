// RendererConnection: the renderer process's end of the browser connection, the
// part of Blink that a fetchLater() or fetch() call reaches after the binding.
// It runs fetchLater()'s steps 1-9 locally (fetch_later.h), asks the browser
// over gRPC to run steps 10-14 (the browser is the only authority on quota),
// adds the step-15 abort step to the signal, and keeps each FetchLaterResult's
// `activated` flag current from the browser's event stream; it hands fetch()
// requests to the browser and their ends to the page task thread.
//
// Created once per renderer process over the channel the browser handed it (one
// end of a socket pair, inherited as a descriptor: there is no socket path to
// find) with the launch token it handed it; owned by the renderer's main (or a
// test). Destroying it closes the event stream, which the browser treats as the
// renderer going away (its documents are destroyed and their deferred fetches
// sent). Thread-safe.
//
//   auto renderer = *RendererConnection::Connect(
//       RendererConnection::ChannelFromFd(channel_fd), launch_token);
//   renderer->WaitForDocument(document_token, absl::Seconds(5));
//   JsResult<FetchLaterResult> result =
//       renderer->FetchLater(document_token,
//       RequestInfo("https://a.test/beacon"), {});
#ifndef RENDERER_RENDERER_CONNECTION_H_
#define RENDERER_RENDERER_CONNECTION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "renderer/abort_signal.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/page_runner.h"
#include "renderer/request.h"

namespace fetch_later::renderer {

class RendererConnection {
 public:
  // The channel to the browser over `fd`, a connected socket the browser
  // handed this process (gRPC's CreateInsecureChannelFromFd). Takes ownership
  // of `fd` and makes it non-blocking, as gRPC requires.
  static std::shared_ptr<grpc::Channel> ChannelFromFd(int fd);

  // Opens the event stream over `channel` (from ChannelFromFd), proving
  // `launch_token` and telling the browser `sandbox`, the renderer's account of
  // its sandbox. Page realms run in `engine` when given (the one warmed up
  // before the sandbox was sealed), else in one created on first use with
  // `script_options`. The connection is live at once; disconnected() tells
  // when the browser ended it. An error only for a null `channel`.
  static absl::StatusOr<std::unique_ptr<RendererConnection>> Connect(
      std::shared_ptr<grpc::Channel> channel,
      const std::string& launch_token,
      ScriptEngineOptions script_options = {},
      ipc::SandboxReport sandbox = {},
      std::unique_ptr<ScriptEngine> engine = nullptr);
  ~RendererConnection();
  RendererConnection(const RendererConnection&) = delete;
  RendererConnection& operator=(const RendererConnection&) = delete;

  // Waits until the browser has committed `document_token` to this renderer.
  bool WaitForDocument(const std::string& document_token,
                       absl::Duration timeout);
  // The document's settings object as this renderer knows it; nullopt if not
  // hosted here.
  std::optional<ClientContext> Document(const std::string& document_token);
  // What the browser said of the document when it committed it.
  struct CommittedDocument {
    bool hidden = false;                        // visibilityState "hidden"
    std::vector<std::string> allowed_features;  // Permissions Policy
    std::vector<std::string> console_warnings;  // for its console
  };
  std::optional<CommittedDocument> Committed(const std::string& document_token);
  // Waits until the activation of `result` (or `timeout`); returns `activated`.
  bool WaitForActivated(const FetchLaterResult& result, absl::Duration timeout);

  // fetchLater(input, init) in the document named `document_token`.
  JsResult<FetchLaterResult> FetchLater(
      const std::string& document_token,
      const std::optional<RequestInfo>& input,
      const DeferredRequestInit& init,
      const std::optional<RetryOptionsInit>& retry = {});

  // fetch(): asks the browser to fetch `request` (which the renderer's steps,
  // ValidateFetch(), produced) for the document. Returns the fetch's client
  // id, or the TypeError to reject with (a body over MAX_FETCH_BODY_BYTES,
  // the browser refused the call). The fetch's end comes later as a page task
  // (PageRunner::CompleteFetch()), in the document's task order; for a
  // document that is not fully active (bfcache) it waits until the document
  // is again, and dies with the document.
  JsResult<uint64_t> Fetch(const std::string& document_token,
                           const Request& request,
                           const std::optional<RetryOptionsInit>& retry = {});
  // fetch()'s signal aborted: the browser terminates fetch `client_id`.
  void AbortFetch(const std::string& document_token, uint64_t client_id);

  // Whether the browser cut this renderer off (or the connection ended).
  bool disconnected();

 private:
  RendererConnection(std::shared_ptr<grpc::Channel> channel,
                     std::string launch_token,
                     ScriptEngineOptions script_options,
                     ipc::SandboxReport sandbox,
                     std::unique_ptr<ScriptEngine> engine);
  void ReadEvents();
  // The page task thread (Blink's main thread here): runs page steps in order.
  void RunPageTasks();
  std::unique_ptr<grpc::ClientContext> NewContext() const;
  JsError QuotaExceeded(uint64_t quota, uint64_t requested) const;

  const std::string launch_token_;
  const ipc::SandboxReport sandbox_;
  std::shared_ptr<grpc::Channel> channel_;
  // Shared with abort algorithms, which may outlive a call.
  std::shared_ptr<ipc::DeferredFetchHost::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> events_context_;
  std::thread events_thread_;
  std::unique_ptr<PageRunner> page_runner_;  // used on the task thread only
  std::thread task_thread_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, ClientContext> documents_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, CommittedDocument> committed_
      ABSL_GUARDED_BY(mu_);
  // A queued fetchLater() call: its result's activated flag, and the Request's
  // signal (a dependent signal is held only weakly by its source, so the
  // step-15 abort algorithm lives as long as this entry).
  struct Pending {
    std::shared_ptr<std::atomic<bool>> activated;
    std::shared_ptr<AbortSignal> signal;
  };
  // (document token, client id) -> the call.
  absl::flat_hash_map<std::pair<std::string, uint64_t>, Pending> pending_
      ABSL_GUARDED_BY(mu_);
  uint64_t next_client_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool disconnected_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The page task thread's queue: a page step, a violation to report to a
  // document's script, a destroyed document whose script state the thread
  // must drop (it owns that state), or a fetch() that ended.
  struct PageTask {
    std::optional<ipc::RunPageStep> step;
    std::optional<ipc::SecurityPolicyViolation> violation;
    std::string destroyed_document;
    std::optional<ipc::FetchCompleted> fetch_completed;
  };
  std::deque<PageTask> page_tasks_ ABSL_GUARDED_BY(mu_);
  // fetch() ends for documents that are not fully active (in the bfcache):
  // HTML runs no task of such a document; queued when it is again.
  absl::flat_hash_map<std::string, std::vector<ipc::FetchCompleted>>
      held_completions_ ABSL_GUARDED_BY(mu_);
  // Bumped on every activation event (WaitForActivated waits on it).
  uint64_t activations_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fetch_later::renderer

#endif  // RENDERER_RENDERER_CONNECTION_H_
