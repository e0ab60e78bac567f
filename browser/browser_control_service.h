// The gRPC adapter for the BrowserControl interface (tests, the scenario runner
// and the shell drive frame-tree changes through it). `core` must outlive it.
// Malformed input is INVALID_ARGUMENT with a message naming the field; unknown
// ids are NOT_FOUND.
#ifndef BROWSER_BROWSER_CONTROL_SERVICE_H_
#define BROWSER_BROWSER_CONTROL_SERVICE_H_

#include "browser/browser_core.h"
#include "ipc/browser_control.grpc.pb.h"

namespace fetch_later::browser {

class BrowserControlService final : public ipc::BrowserControl::Service {
 public:
  explicit BrowserControlService(BrowserCore* core) : core_(core) {}

  grpc::Status CreateTab(grpc::ServerContext*,
                         const ipc::CreateTabRequest*,
                         ipc::CreateTabResponse* response) override;
  grpc::Status Navigate(grpc::ServerContext*,
                        const ipc::NavigateRequest* request,
                        ipc::Frame* response) override;
  grpc::Status CreateIframe(grpc::ServerContext*,
                            const ipc::CreateIframeRequest* request,
                            ipc::Frame* response) override;
  grpc::Status RemoveIframe(grpc::ServerContext*,
                            const ipc::RemoveIframeRequest* request,
                            ipc::Empty*) override;
  grpc::Status RestoreFromBfcache(grpc::ServerContext*,
                                  const ipc::NavigableRequest* request,
                                  ipc::Frame* response) override;
  grpc::Status SetVisibility(grpc::ServerContext*,
                             const ipc::SetVisibilityRequest* request,
                             ipc::Empty*) override;
  grpc::Status CloseTab(grpc::ServerContext*,
                        const ipc::NavigableRequest* request,
                        ipc::Empty*) override;
  grpc::Status AdvanceClock(grpc::ServerContext*,
                            const ipc::AdvanceClockRequest* request,
                            ipc::Empty*) override;
  grpc::Status RunPageStep(grpc::ServerContext*,
                           const ipc::RunPageStepRequest* request,
                           ipc::StepResult* response) override;
  grpc::Status CrashRenderer(grpc::ServerContext*,
                             const ipc::CrashRendererRequest* request,
                             ipc::Empty*) override;
  grpc::Status Drain(grpc::ServerContext*,
                     const ipc::DrainRequest* request,
                     ipc::DrainResponse* response) override;
  grpc::Status AvailableQuota(grpc::ServerContext*,
                              const ipc::QuotaRequest* request,
                              ipc::QuotaResponse* response) override;
  grpc::Status TakeScriptReports(grpc::ServerContext*,
                                 const ipc::Empty*,
                                 ipc::ScriptReports* response) override;
  grpc::Status TakeBlockedRequests(grpc::ServerContext*,
                                   const ipc::Empty*,
                                   ipc::BlockedRequests* response) override;

 private:
  BrowserCore* const core_;  // Not owned.
};

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace fetch_later::browser

#endif  // BROWSER_BROWSER_CONTROL_SERVICE_H_
