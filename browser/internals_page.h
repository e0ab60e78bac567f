// The internals web page (like chrome://net-internals): the frame tree with one
// quota bar per deferred-fetch quota group, the pending deferred fetches, the
// renderers and bad messages, and the live NetLog event stream, served to a
// local web browser.
//
// Read-only and local only:
//  - binds 127.0.0.1 (never a wildcard address) and refuses any peer that is
//    not loopback (IsLoopbackPeer), in case it is ever bound elsewhere;
//  - every request must carry `?token=T`, a random 128-bit token the browser
//    prints at start-up (compared in constant time); without it: 403, no data;
//  - the Host header must be 127.0.0.1:PORT or localhost:PORT, so a web page
//    that rebinds its own DNS name to 127.0.0.1 cannot read it (DNS rebinding);
//  - GET only (405 otherwise): no endpoint changes any state.
// It speaks plain HTTP/1.1: the browser's HTTPS-only rule is about the network
// stage's outgoing requests (deferred fetches to the web); this page never
// leaves the loopback interface.
//
//   GET /?token=T               the page (self-contained: inline CSS and JS)
//   GET /snapshot.json?token=T  Options::snapshot() as protobuf JSON
//   GET /events?token=T         Server-Sent Events: one `data: <Event JSON>`
//                               per NetLog event, the backlog first
//
//   InternalsPageServer::Options options;
//   options.snapshot = [&] { return BuildSnapshot(...); };
//   options.net_log = &net_log;
//   auto server = InternalsPageServer::Start(std::move(options));
//   std::cout << (*server)->url();  // http://127.0.0.1:PORT/?token=...
#ifndef BROWSER_INTERNALS_PAGE_H_
#define BROWSER_INTERNALS_PAGE_H_

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "browser/net_log.h"
#include "ipc/debug.pb.h"

namespace fetch_later::browser {

// Whether `peer` (as getpeername() fills it) is a loopback address:
// 127.0.0.0/8, ::1, or an IPv4-mapped 127.0.0.0/8 (::ffff:127.x.y.z).
bool IsLoopbackPeer(const sockaddr_storage& peer);

// Compares `a` and `b` in time that depends only on their lengths, not on where
// they first differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

class InternalsPageServer {
 public:
  struct Options {
    // 0: any free port.
    uint16_t port = 0;
    // The browser's state now. Called on the server's connection threads, so
    // it must be thread-safe. Required.
    std::function<ipc::debug::Snapshot()> snapshot;
    // The event log the page streams; may be null (no events). Not owned; must
    // outlive the server.
    NetLog* net_log = nullptr;
    // The access token; empty: 128 random bits, hex.
    std::string token;
  };

  // Binds 127.0.0.1:port and starts serving on its own threads.
  static absl::StatusOr<std::unique_ptr<InternalsPageServer>> Start(
      Options options);
  ~InternalsPageServer();  // Stop()s.
  InternalsPageServer(const InternalsPageServer&) = delete;
  InternalsPageServer& operator=(const InternalsPageServer&) = delete;

  uint16_t port() const { return port_; }
  const std::string& token() const { return options_.token; }
  // http://127.0.0.1:PORT/?token=T: the address to print at start-up.
  std::string url() const;

  // Stops accepting, ends every connection (event streams included) and joins
  // the threads. Idempotent.
  void Stop();

 private:
  struct Connection {
    int fd = -1;  // -1 once closed; guarded by mu_ after the thread starts
    std::thread thread;
    std::atomic<bool> done{false};
  };

  explicit InternalsPageServer(Options options)
      : options_(std::move(options)) {}

  void AcceptLoop();
  void Serve(int fd);
  // Ends the response and closes the connection's socket.
  void Close(Connection* connection);
  // Streams events until the peer goes away or the server stops.
  void StreamEvents(int fd);
  // Joins connection threads that have finished.
  void ReapConnections() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Options options_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // written by Stop() to wake the accept loop
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  absl::Mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace fetch_later::browser

#endif  // BROWSER_INTERNALS_PAGE_H_
