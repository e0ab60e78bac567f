#include "browser/in_flight_calls.h"

namespace fetch_later::browser {

// One per call: counts it while it lives (gRPC destroys it with the call).
class InFlightCalls::Counter final : public grpc::experimental::Interceptor {
 public:
  explicit Counter(InFlightCalls* calls) : calls_(calls) {
    absl::MutexLock lock(&calls_->mu_);
    ++calls_->count_;
  }
  ~Counter() override {
    absl::MutexLock lock(&calls_->mu_);
    --calls_->count_;
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  InFlightCalls* const calls_;  // Not owned.
};

class InFlightCalls::Factory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(InFlightCalls* calls) : calls_(calls) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new Counter(calls_);  // gRPC owns it
  }

 private:
  InFlightCalls* const calls_;  // Not owned.
};

std::vector<
    std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
InFlightCalls::MakeCounter() {
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      creators;
  creators.push_back(std::make_unique<Factory>(this));
  return creators;
}

bool InFlightCalls::WaitForNone(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return count_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&none), deadline);
}

int InFlightCalls::count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

}  // namespace fetch_later::browser
