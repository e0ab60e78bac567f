// One TCP + TLS connection to an origin, driven by an EventLoop: non-blocking
// connect (trying each resolved address in turn), TLS handshake with the
// TlsClientContext's verification, then any number of HTTP/1.1 request/response
// exchanges, one at a time (no pipelining).
//
//   auto conn = std::make_unique<HttpsConnection>(&loop, tls, /*id=*/7,
//   "a.test"); conn->Connect(endpoints, [&](std::optional<NetworkError> error)
//   { ... });
//   // once connected and idle:
//   conn->SendRequest(bytes, /*head_request=*/false,
//   [&](HttpsConnection::Result r) { ... });
//
// Created and owned by HttpsNetworkStage's connection pool; every method runs
// on the loop thread. Each callback is invoked as the last thing the connection
// does in that event, so the owner may Close() the connection from inside it
// (but must defer destroying it to a later task).
#ifndef NET_HTTPS_CONNECTION_H_
#define NET_HTTPS_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <openssl/ssl.h>

#include "net/event_loop.h"
#include "net/host_resolver.h"
#include "net/http1_response_parser.h"
#include "net/network_error.h"
#include "net/tls_client_context.h"

namespace fetch_later::net {

class HttpsConnection {
 public:
  struct Result {
    std::optional<NetworkError> error;  // set: no complete response
    bool response_bytes_received = false;
    int status_code = 0;
    std::optional<std::string> location;  // the Location header, for redirects
    // The complete response's status text and header fields, and its body up
    // to kMaxKeptBodyBytes (the rest is read and counted, not kept).
    std::string status_text;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    uint64_t body_bytes = 0;  // the body's whole length, kept or not
  };
  // Fetch hands a response body to its caller; the browser keeps at most this
  // much of each (a beacon's answer is small; nothing reads more).
  static constexpr size_t kMaxKeptBodyBytes = 1 << 20;
  using ConnectCallback =
      std::function<void(std::optional<NetworkError> error)>;
  using ResponseCallback = std::function<void(Result result)>;

  // `loop` and `tls` must outlive the connection. `host` is the URL host (SNI
  // and the name the certificate must match).
  HttpsConnection(EventLoop* loop,
                  const TlsClientContext* tls,
                  uint64_t id,
                  std::string host);
  ~HttpsConnection();
  HttpsConnection(const HttpsConnection&) = delete;  // Not copyable.
  HttpsConnection& operator=(const HttpsConnection&) = delete;

  // Connects to the first endpoint that accepts, then handshakes. `done` gets
  // nullopt when the connection is ready for SendRequest().
  void Connect(std::vector<IpEndpoint> endpoints, ConnectCallback done);
  // Writes `request_bytes` and reads one response (keeping at most
  // kMaxKeptBodyBytes of its body). Only
  // when idle(). After a complete response the connection is idle() again if
  // the response allows reuse, otherwise closed().
  void SendRequest(std::string request_bytes,
                   bool head_request,
                   ResponseCallback done);
  // Called (once) if the peer closes the connection, or sends anything, while
  // it is idle.
  void SetIdleCloseCallback(std::function<void()> callback);
  // Closes the socket at once; no callback is invoked afterwards.
  void Close();

  uint64_t id() const { return id_; }
  const std::string& host() const { return host_; }
  // The TCP connection was established (so a request may have reached the
  // server).
  bool tcp_connected() const { return tcp_connected_; }
  bool idle() const { return state_ == State::kIdle; }
  bool closed() const { return state_ == State::kClosed; }
  int requests_sent() const { return requests_sent_; }

 private:
  enum class State {
    kNew,
    kConnecting,
    kHandshaking,
    kIdle,
    kWriting,
    kReading,
    kClosed
  };

  void TryNextEndpoint();
  void OnConnectReady();
  void DoHandshake();
  void DoWrite();
  void DoRead();
  void OnIdleReadable();
  void OnEvent(int ready);
  void SetInterest(int interest);
  // Maps a failed SSL call (`ret`, with errno captured right after it) to a
  // NetworkError.
  NetworkError SslFailure(int ret, int saved_errno, const char* op);
  void FailConnect(NetworkError error);
  // Copies the complete response's status, headers and kept body.
  void TakeResponse(Result* result);
  // Ends the exchange; the connection stays open (idle) only when `keep_open`
  // and no error.
  void FinishExchange(Result result, bool keep_open);

  EventLoop* const loop_;
  const TlsClientContext* const tls_;
  const uint64_t id_;
  const std::string host_;

  State state_ = State::kNew;
  int fd_ = -1;
  EventLoop::WatchId watch_ = 0;
  bssl::UniquePtr<SSL> ssl_;
  bool tcp_connected_ = false;
  std::vector<IpEndpoint> endpoints_;
  size_t next_endpoint_ = 0;
  std::string last_connect_error_;
  int requests_sent_ = 0;

  ConnectCallback connect_done_;
  ResponseCallback response_done_;
  std::function<void()> idle_close_;
  std::string out_;
  size_t out_offset_ = 0;
  std::unique_ptr<Http1ResponseParser> parser_;
};

}  // namespace fetch_later::net

#endif  // NET_HTTPS_CONNECTION_H_
