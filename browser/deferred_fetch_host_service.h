// The gRPC adapter for the renderer-facing DeferredFetchHost interface:
// authenticates the caller by its `renderer-token` metadata, translates protos,
// calls BrowserCore, and turns an invalid message into a bad-message report
// (the renderer is cut off). Owned by the browser's server (browser_server.h);
// `core` must outlive it.
#ifndef BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
#define BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_

#include "browser/browser_core.h"
#include "ipc/renderer_host.grpc.pb.h"

namespace fetch_later::browser {

// The metadata key every renderer call carries.
inline constexpr char kRendererTokenMetadata[] = "renderer-token";

class DeferredFetchHostService final : public ipc::DeferredFetchHost::Service {
 public:
  explicit DeferredFetchHostService(BrowserCore* core) : core_(core) {}

  grpc::Status FetchLater(grpc::ServerContext* context,
                          const ipc::FetchLaterRequest* request,
                          ipc::FetchLaterResponse* response) override;
  grpc::Status QueryQuota(grpc::ServerContext* context,
                          const ipc::QueryQuotaRequest* request,
                          ipc::QueryQuotaResponse* response) override;
  grpc::Status AbortFetchLater(grpc::ServerContext* context,
                               const ipc::AbortFetchLaterRequest* request,
                               ipc::AbortFetchLaterResponse* response) override;
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
  // Maps a BrowserCore result: InvalidArgument is a bad message.
  template <typename T>
  grpc::Status Finish(RendererHost& renderer,
                      absl::StatusOr<T> result,
                      T* response);

  BrowserCore* const core_;  // Not owned.
};

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
