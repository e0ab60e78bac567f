// InFlightCalls: counts the calls a gRPC server is handling, so that its
// shutdown can wait for them and not for idle client connections.
//
// gRPC's Server::Shutdown(deadline) finishes only when every client connection
// has closed; a client that keeps an idle channel open (the shell's control
// channel, a debugger between commands) reads the server's GOAWAY only when it
// next polls, so the server waits out the whole deadline. BrowserServer
// instead waits here for the calls in flight (bounded by its grace period) and
// then shuts the server down at once, which closes the idle connections.
//
//   InFlightCalls calls;
//   builder.experimental().SetInterceptorCreators(calls.MakeCounter());
//   ...
//   calls.WaitForNone(absl::Now() + absl::Seconds(1));
//   server->Shutdown(std::chrono::system_clock::now());
//
// Owned by BrowserServer, one per served interface; must outlive the server
// whose calls it counts. Thread-safe.
#ifndef BROWSER_IN_FLIGHT_CALLS_H_
#define BROWSER_IN_FLIGHT_CALLS_H_

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace fetch_later::browser {

class InFlightCalls {
 public:
  InFlightCalls() = default;
  InFlightCalls(const InFlightCalls&) = delete;
  InFlightCalls& operator=(const InFlightCalls&) = delete;

  // The interceptor creators to give the ServerBuilder: each call's
  // interceptor counts the call from its arrival until gRPC is done with it.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
  MakeCounter();

  // Waits until no call is in flight or `deadline` passes; returns whether
  // none is.
  bool WaitForNone(absl::Time deadline);

  int count() const;

 private:
  class Counter;
  class Factory;

  mutable absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_IN_FLIGHT_CALLS_H_
