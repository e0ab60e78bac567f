// The gRPC adapter for the renderer-facing DeferredFetchHost interface:
// authenticates the caller by its `renderer-token` metadata, translates protos
// and calls BrowserCore. BrowserCore decides what is a bad message and cuts
// the renderer off itself; this only answers such a call PERMISSION_DENIED
// ("bad message: <detail>"). Owned by the browser's server (browser_server.h);
// `core` must outlive it.
#ifndef BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
#define BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_

#include "browser/bad_message.h"
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
};

}  // namespace fetch_later::browser

#endif  // BROWSER_DEFERRED_FETCH_HOST_SERVICE_H_
