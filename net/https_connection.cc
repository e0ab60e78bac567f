#include "net/https_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"

namespace fetch_later::net {
namespace {

std::string ErrnoText(int err) {
  return std::strerror(err);
}

}  // namespace

HttpsConnection::HttpsConnection(EventLoop* loop,
                                 const TlsClientContext* tls,
                                 uint64_t id,
                                 std::string host)
    : loop_(loop), tls_(tls), id_(id), host_(std::move(host)) {}

HttpsConnection::~HttpsConnection() {
  Close();
}

void HttpsConnection::Close() {
  if (watch_ != 0)
    loop_->Unwatch(watch_);
  watch_ = 0;
  ssl_.reset();  // no close_notify: the connection is abandoned, not shut down
                 // politely
  if (fd_ >= 0)
    close(fd_);
  fd_ = -1;
  state_ = State::kClosed;
  connect_done_ = nullptr;
  response_done_ = nullptr;
  idle_close_ = nullptr;
}

void HttpsConnection::SetInterest(int interest) {
  if (watch_ == 0) {
    watch_ = loop_->Watch(fd_, interest, [this](int ready) { OnEvent(ready); });
  } else {
    loop_->UpdateWatch(watch_, interest);
  }
}

void HttpsConnection::Connect(std::vector<IpEndpoint> endpoints,
                              ConnectCallback done) {
  endpoints_ = std::move(endpoints);
  next_endpoint_ = 0;
  connect_done_ = std::move(done);
  state_ = State::kConnecting;
  TryNextEndpoint();
}

void HttpsConnection::TryNextEndpoint() {
  if (watch_ != 0)
    loop_->Unwatch(watch_);
  watch_ = 0;
  if (fd_ >= 0)
    close(fd_);
  fd_ = -1;
  while (next_endpoint_ < endpoints_.size()) {
    const IpEndpoint& ep = endpoints_[next_endpoint_++];
    fd_ = socket(ep.address.ss_family,
                 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      last_connect_error_ = absl::StrCat("socket(): ", ErrnoText(errno));
      continue;
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc =
        connect(fd_, reinterpret_cast<const sockaddr*>(&ep.address), ep.length);
    if (rc == 0 || errno == EINPROGRESS) {
      SetInterest(EventLoop::kWritable);
      return;
    }
    last_connect_error_ =
        absl::StrCat("connect(", ep.ToString(), "): ", ErrnoText(errno));
    close(fd_);
    fd_ = -1;
  }
  // ECONNREFUSED, ENETUNREACH, ...: no connection was made, the server was not
  // reached.
  FailConnect(NetworkError::Make(NetworkErrorKind::kConnectionRefused,
                                 /*server_reached=*/false,
                                 last_connect_error_));
}

void HttpsConnection::FailConnect(NetworkError error) {
  ConnectCallback done = std::move(connect_done_);
  Close();
  if (done)
    done(std::move(error));
}

void HttpsConnection::OnEvent(int ready) {
  switch (state_) {
    case State::kConnecting:
      OnConnectReady();
      return;
    case State::kHandshaking:
      DoHandshake();
      return;
    case State::kWriting:
      DoWrite();
      return;
    case State::kReading:
      DoRead();
      return;
    case State::kIdle:
      OnIdleReadable();
      return;
    default:
      return;
  }
}

void HttpsConnection::OnConnectReady() {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    last_connect_error_ =
        absl::StrCat("connect(", endpoints_[next_endpoint_ - 1].ToString(),
                     "): ", ErrnoText(err));
    TryNextEndpoint();
    return;
  }
  tcp_connected_ = true;
  absl::StatusOr<bssl::UniquePtr<SSL>> ssl = tls_->NewClientSsl(host_);
  if (!ssl.ok()) {
    FailConnect(NetworkError::Make(NetworkErrorKind::kInternal, true,
                                   ssl.status().ToString()));
    return;
  }
  ssl_ = std::move(*ssl);
  SSL_set_fd(ssl_.get(), fd_);
  state_ = State::kHandshaking;
  DoHandshake();
}

NetworkError HttpsConnection::SslFailure(int ret,
                                         int saved_errno,
                                         const char* op) {
  const int ssl_error = SSL_get_error(ssl_.get(), ret);
  if (ssl_error == SSL_ERROR_SSL) {
    std::string detail = absl::StrCat(op, ": ", DrainBoringSslErrors());
    const long verify = SSL_get_verify_result(ssl_.get());
    if (verify != X509_V_OK) {
      absl::StrAppend(&detail,
                      " (certificate: ", X509_verify_cert_error_string(verify),
                      ")");
    }
    return NetworkError::Make(NetworkErrorKind::kTlsFailure, true, detail);
  }
  ERR_clear_error();
  if (ssl_error == SSL_ERROR_ZERO_RETURN ||
      (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0)) {
    return NetworkError::Make(
        NetworkErrorKind::kConnectionClosed, true,
        absl::StrCat(op, ": the server closed the connection"));
  }
  if (ssl_error == SSL_ERROR_SYSCALL) {
    return NetworkError::Make(NetworkErrorKind::kConnectionReset, true,
                              absl::StrCat(op, ": ", ErrnoText(saved_errno)));
  }
  return NetworkError::Make(NetworkErrorKind::kInternal, true,
                            absl::StrCat(op, ": SSL_get_error ", ssl_error));
}

void HttpsConnection::DoHandshake() {
  errno = 0;
  int rc = SSL_do_handshake(ssl_.get());
  int saved_errno = errno;
  if (rc == 1) {
    state_ = State::kIdle;
    SetInterest(EventLoop::kReadable);
    ConnectCallback done = std::move(connect_done_);
    connect_done_ = nullptr;
    if (done)
      done(std::nullopt);
    return;
  }
  int ssl_error = SSL_get_error(ssl_.get(), rc);
  if (ssl_error == SSL_ERROR_WANT_READ) {
    SetInterest(EventLoop::kReadable);
    return;
  }
  if (ssl_error == SSL_ERROR_WANT_WRITE) {
    SetInterest(EventLoop::kWritable);
    return;
  }
  FailConnect(SslFailure(rc, saved_errno, "TLS handshake"));
}

void HttpsConnection::SendRequest(std::string request_bytes,
                                  bool head_request,
                                  ResponseCallback done) {
  Http1ResponseParser::Options options;
  options.head_request = head_request;
  options.keep_body = true;
  options.max_kept_body_bytes = kMaxKeptBodyBytes;
  parser_ = std::make_unique<Http1ResponseParser>(options);
  out_ = std::move(request_bytes);
  out_offset_ = 0;
  response_done_ = std::move(done);
  ++requests_sent_;
  state_ = State::kWriting;
  DoWrite();
}

void HttpsConnection::DoWrite() {
  while (out_offset_ < out_.size()) {
    errno = 0;
    int rc = SSL_write(
        ssl_.get(), out_.data() + out_offset_,
        static_cast<int>(std::min<size_t>(out_.size() - out_offset_, 1 << 20)));
    int saved_errno = errno;
    if (rc > 0) {
      out_offset_ += rc;
      continue;
    }
    int ssl_error = SSL_get_error(ssl_.get(), rc);
    if (ssl_error == SSL_ERROR_WANT_WRITE) {
      SetInterest(EventLoop::kWritable);
      return;
    }
    if (ssl_error == SSL_ERROR_WANT_READ) {
      SetInterest(EventLoop::kReadable);
      return;
    }
    Result result;
    result.error = SslFailure(rc, saved_errno, "write");
    FinishExchange(std::move(result), /*keep_open=*/false);
    return;
  }
  out_.clear();
  state_ = State::kReading;
  SetInterest(EventLoop::kReadable);
  // The response cannot have arrived yet unless TLS already holds bytes
  // (level-triggered readiness reports anything still in the socket): skip
  // the SSL_read that would only fail with WANT_READ, a syscall per request.
  if (SSL_has_pending(ssl_.get()))
    DoRead();
}

void HttpsConnection::DoRead() {
  char buf[16 * 1024];
  while (true) {
    errno = 0;
    int rc = SSL_read(ssl_.get(), buf, sizeof(buf));
    int saved_errno = errno;
    if (rc > 0) {
      absl::StatusOr<size_t> used = parser_->Feed(absl::string_view(buf, rc));
      Result result;
      result.response_bytes_received = true;
      if (!used.ok()) {
        result.error =
            NetworkError::Make(NetworkErrorKind::kInvalidResponse, true,
                               std::string(used.status().message()));
        FinishExchange(std::move(result), /*keep_open=*/false);
        return;
      }
      if (parser_->done()) {
        // Bytes after the response: the server is not speaking HTTP/1.1 as we
        // do; do not reuse.
        const bool reusable =
            parser_->response().keep_alive && *used == static_cast<size_t>(rc);
        TakeResponse(&result);
        FinishExchange(std::move(result), reusable);
        return;
      }
      continue;
    }
    int ssl_error = SSL_get_error(ssl_.get(), rc);
    if (ssl_error == SSL_ERROR_WANT_READ)
      return;
    if (ssl_error == SSL_ERROR_WANT_WRITE) {
      SetInterest(EventLoop::kWritable);
      return;
    }
    Result result;
    result.response_bytes_received = parser_->received_any_bytes();
    NetworkError error = SslFailure(rc, saved_errno, "read");
    if (error.kind == NetworkErrorKind::kConnectionClosed) {
      // End of stream: completes a body delimited by the connection closing.
      absl::Status eof = parser_->OnEof();
      if (eof.ok()) {
        TakeResponse(&result);
        FinishExchange(std::move(result), /*keep_open=*/false);
        return;
      }
      if (parser_->received_any_bytes()) {
        error = NetworkError::Make(NetworkErrorKind::kInvalidResponse, true,
                                   std::string(eof.message()));
      } else {
        error.detail = "the server closed the connection without a response";
      }
    }
    result.error = std::move(error);
    FinishExchange(std::move(result), /*keep_open=*/false);
    return;
  }
}

void HttpsConnection::TakeResponse(Result* result) {
  result->status_code = parser_->response().status_code;
  result->location = parser_->response().GetHeader("location");
  result->status_text = parser_->response().reason_phrase;
  result->headers = parser_->response().headers;
  result->body = parser_->body();
  result->body_bytes = parser_->response().body_bytes;
}

void HttpsConnection::FinishExchange(Result result, bool keep_open) {
  ResponseCallback done = std::move(response_done_);
  response_done_ = nullptr;
  parser_.reset();
  if (result.error || !keep_open) {
    Close();
  } else {
    state_ = State::kIdle;
    SetInterest(EventLoop::kReadable);
  }
  if (done)
    done(std::move(result));
}

void HttpsConnection::OnIdleReadable() {
  // TLS 1.3 servers send NewSessionTicket messages after the handshake:
  // SSL_read consumes them and reports WANT_READ. Application data or end of
  // stream on an idle connection means the server is done with it.
  char buf[4096];
  errno = 0;
  int rc = SSL_read(ssl_.get(), buf, sizeof(buf));
  if (rc <= 0 && SSL_get_error(ssl_.get(), rc) == SSL_ERROR_WANT_READ)
    return;
  ERR_clear_error();
  std::function<void()> callback = std::move(idle_close_);
  Close();
  if (callback)
    callback();
}

void HttpsConnection::SetIdleCloseCallback(std::function<void()> callback) {
  idle_close_ = std::move(callback);
}

}  // namespace fetch_later::net
