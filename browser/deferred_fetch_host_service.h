// The gRPC adapter for the renderer-facing DeferredFetchHost interface:
// authenticates the caller by the channel it came over (each renderer's
// channel is bound to it when the browser makes it) and its `renderer-token`
// metadata, checks a renderer's sandbox when it opens its event stream,
// translates protos and calls BrowserCore. BrowserCore decides what is a bad
// message and cuts the renderer off itself; this only answers such a call
// PERMISSION_DENIED ("bad message: <detail>"). Owned by the browser's server
// (browser_server.h); `core` must outlive it. Thread-safe.
#ifndef BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
#define BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_

#include <functional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "browser/bad_message.h"
#include "browser/browser_core.h"
#include "ipc/renderer_host.grpc.pb.h"

namespace fetch_later::browser {

// The metadata key every renderer call carries.
inline constexpr char kRendererTokenMetadata[] = "renderer-token";

class DeferredFetchHostService final : public ipc::DeferredFetchHost::Service {
 public:
  // Run when a renderer opens its event stream (its first call, made once it
  // sealed its sandbox) with its account of its sandbox; an error cuts the
  // renderer off, the message being the reason.
  using RendererCheck =
      std::function<absl::Status(RendererHost&, const ipc::SandboxReport&)>;

  explicit DeferredFetchHostService(BrowserCore* core) : core_(core) {}

  // Binds the channel whose gRPC peer name is `peer` ("fd:N": the server's end
  // of the socket pair, see BrowserServer::OpenRendererChannel) to `renderer`:
  // calls on it are refused unless they carry that renderer's token. A peer
  // name bound before is rebound (its descriptor number was reused after the
  // old channel closed).
  void BindChannel(const std::string& peer, RendererId renderer);
  // `peer` is now a channel bound to no renderer.
  void UnbindChannel(const std::string& peer);
  void set_renderer_check(RendererCheck check);

  // Ends every WatchEvents stream now (each as if its renderer had
  // disconnected) and refuses new ones: called by BrowserServer::Shutdown() so
  // that the server's shutdown does not wait for them.
  void Stop();

  // For testing only: accepts a live renderer's token on any channel (a test
  // browser serving this interface on a socket path, for clients that cannot
  // inherit a descriptor, e.g. Python's grpcio).
  void AcceptAnyChannelForTesting();

  grpc::Status FetchLater(grpc::ServerContext* context,
                          const ipc::FetchLaterRequest* request,
                          ipc::FetchLaterResponse* response) override;
  grpc::Status QueryQuota(grpc::ServerContext* context,
                          const ipc::QueryQuotaRequest* request,
                          ipc::QueryQuotaResponse* response) override;
  grpc::Status AbortFetchLater(grpc::ServerContext* context,
                               const ipc::AbortFetchLaterRequest* request,
                               ipc::AbortFetchLaterResponse* response) override;
  grpc::Status Fetch(grpc::ServerContext* context,
                     const ipc::FetchRequest* request,
                     ipc::FetchAccepted* response) override;
  grpc::Status AbortFetch(grpc::ServerContext* context,
                          const ipc::AbortFetchRequest* request,
                          ipc::AbortFetchResponse* response) override;
  grpc::Status ReportStepResult(grpc::ServerContext* context,
                                const ipc::StepResult* request,
                                ipc::Empty* response) override;
  grpc::Status WatchEvents(
      grpc::ServerContext* context,
      const ipc::WatchEventsRequest* request,
      grpc::ServerWriter<ipc::RendererEvent>* writer) override;

 private:
  // The calling renderer, or null (and `status` set to UNAUTHENTICATED).
  RendererHost* Authenticate(grpc::ServerContext* context,
                             grpc::Status* status);
  // Maps a BrowserCore answer: the response, or PERMISSION_DENIED for a bad
  // message (the renderer was cut off).
  template <typename T>
  static grpc::Status Finish(BadMessageOr<T> result, T* response);

  BrowserCore* const core_;  // Not owned.
  absl::Mutex mu_;
  // gRPC peer name of a channel -> the renderer it was handed to.
  absl::flat_hash_map<std::string, RendererId> channels_ ABSL_GUARDED_BY(mu_);
  bool accept_any_channel_ ABSL_GUARDED_BY(mu_) = false;
  RendererCheck renderer_check_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The renderers whose WatchEvents stream is open (Stop() closes them).
  absl::flat_hash_set<RendererHost*> streaming_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
