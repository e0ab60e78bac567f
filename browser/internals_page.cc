// The internals page server: see internals_page.h.
#include "browser/internals_page.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "browser/internals_page/index_html.h"
#include "browser/internals_page/page_js.h"
#include "browser/internals_page/style_css.h"
#include "google/protobuf/util/json_util.h"
#include "net/http1_request_parser.h"

namespace fetch_later::browser {
namespace {

// The request line and headers must fit in this; the page takes no bodies.
constexpr size_t kMaxRequestBytes = 16 * 1024;
// A client has this long to send its request.
constexpr absl::Duration kRequestTimeout = absl::Seconds(5);
// Sends to a client that stopped reading give up after this.
constexpr int kSendTimeoutSeconds = 5;
// More simultaneous connections than this are refused (503).
constexpr size_t kMaxConnections = 64;
// How often an event stream checks for shutdown and a vanished peer.
constexpr absl::Duration kEventPoll = absl::Milliseconds(200);
// An idle event stream sends a comment this often (keeps proxies and the
// browser's EventSource from timing out).
constexpr absl::Duration kKeepAlive = absl::Seconds(15);

// The page: internals_page/index.html with style.css and page.js inlined, so it
// loads no external resources; its <style> and <script> carry the response's
// CSP nonce ("{{NONCE}}" in the template).
const std::string& PageTemplate() {
  static const std::string* const page = new std::string(absl::StrReplaceAll(
      internals_page::kIndexHtml, {{"{{STYLE}}", internals_page::kStyleCss},
                                   {"{{SCRIPT}}", internals_page::kPageJs}}));
  return *page;
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(buffer.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return "";
    }
    got += static_cast<size_t>(n);
  }
  return absl::BytesToHexString(absl::string_view(
      reinterpret_cast<const char*>(buffer.data()), buffer.size()));
}

// Sends all of `data`; false when the peer is gone or stopped reading.
bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Response(int code,
                     absl::string_view reason,
                     absl::string_view content_type,
                     absl::string_view body,
                     absl::string_view extra_headers = "") {
  return absl::StrCat(
      "HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", content_type,
      "\r\nContent-Length: ", body.size(),
      "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
      "Referrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"
      "Cross-Origin-Resource-Policy: same-origin\r\n",
      extra_headers, "Connection: close\r\n\r\n", body);
}

std::string Error(int code, absl::string_view reason) {
  return Response(code, reason, "text/plain; charset=utf-8",
                  absl::StrCat(code, " ", reason, "\n"));
}

// What the page needs of a request: its method, path, `token` query
// parameter and Host headers.
struct Request {
  std::string method;
  std::string path;
  std::string token;  // the `token` query parameter, percent-decoded
  std::vector<std::string> hosts;
};

std::string PercentDecode(absl::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
        absl::ascii_isxdigit(in[i + 2])) {
      out += absl::HexStringToBytes(in.substr(i + 1, 2));
      i += 2;
    } else if (in[i] == '+') {
      out += ' ';
    } else {
      out += in[i];
    }
  }
  return out;
}

// The page's view of a parsed request head; nullopt for a target that is not
// origin-form ("/path?query").
std::optional<Request> ToRequest(const net::Http1Request& head) {
  absl::string_view target = head.target;
  if (!absl::StartsWith(target, "/"))
    return std::nullopt;
  Request request;
  request.method = head.method;
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != absl::string_view::npos) {
    for (absl::string_view param :
         absl::StrSplit(target.substr(question + 1), '&')) {
      if (absl::StartsWith(param, "token="))
        request.token = PercentDecode(param.substr(6));
    }
  }
  for (const auto& [name, value] : head.headers) {
    if (absl::EqualsIgnoreCase(name, "host"))
      request.hosts.push_back(value);
  }
  return request;
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}";
  }
  return json;
}

}  // namespace

bool IsLoopbackPeer(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    if (IN6_IS_ADDR_LOOPBACK(&in6.sin6_addr))
      return true;
    // ::ffff:127.x.y.z
    return IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr) &&
           in6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Walks all of `a` whatever `b` is, so the time reveals only a's length.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char other = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(a[i]) ^ other;
  }
  return diff == 0;
}

absl::StatusOr<std::unique_ptr<InternalsPageServer>> InternalsPageServer::Start(
    Options options) {
  if (!options.snapshot)
    return absl::InvalidArgumentError("InternalsPageServer: no snapshot");
  if (options.token.empty()) {
    options.token = RandomHex(16);
    if (options.token.empty())
      return absl::InternalError("InternalsPageServer: no random bytes");
  }
  std::unique_ptr<InternalsPageServer> server(
      new InternalsPageServer(std::move(options)));

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  server->listen_fd_ = fd;  // closed by the destructor from here on
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never INADDR_ANY
  address.sin_port = htons(server->options_.port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "bind 127.0.0.1:", server->options_.port, ": ", strerror(errno)));
  }
  if (listen(fd, 16) != 0)
    return absl::InternalError(absl::StrCat("listen: ", strerror(errno)));
  socklen_t length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    return absl::InternalError(absl::StrCat("getsockname: ", strerror(errno)));
  server->port_ = ntohs(address.sin_port);
  if (pipe2(server->wake_pipe_, O_CLOEXEC) != 0)
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  InternalsPageServer* raw = server.get();
  server->accept_thread_ = std::thread([raw] { raw->AcceptLoop(); });
  return server;
}

InternalsPageServer::~InternalsPageServer() {
  Stop();
  if (listen_fd_ >= 0)
    close(listen_fd_);
  for (int fd : wake_pipe_) {
    if (fd >= 0)
      close(fd);
  }
}

std::string InternalsPageServer::url() const {
  return absl::StrCat("http://127.0.0.1:", port_, "/?token=", options_.token);
}

void InternalsPageServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_)
      return;
    stopped_ = true;
  }
  stopping_ = true;
  if (wake_pipe_[1] >= 0) {
    char byte = 0;
    while (write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
    }
  }
  if (accept_thread_.joinable())
    accept_thread_.join();
  // No new connections now. Wake every connection blocked in a read or a send;
  // event streams also notice `stopping_` within kEventPoll.
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&mu_);
    connections.swap(connections_);
    for (auto& connection : connections) {
      if (connection->fd >= 0)
        shutdown(connection->fd, SHUT_RDWR);
    }
  }
  for (auto& connection : connections) {
    if (connection->thread.joinable())
      connection->thread.join();
  }
}

void InternalsPageServer::ReapConnections() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void InternalsPageServer::AcceptLoop() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (fds[1].revents != 0 || stopping_)
      return;
    if ((fds[0].revents & POLLIN) == 0)
      continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    timeval send_timeout = {kSendTimeoutSeconds, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
               sizeof(send_timeout));
    absl::MutexLock lock(&mu_);
    ReapConnections();
    if (connections_.size() >= kMaxConnections) {
      SendAll(fd, Error(503, "Service Unavailable"));
      close(fd);
      continue;
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread([this, raw] {
      Serve(raw->fd);
      Close(raw);
    });
  }
}

void InternalsPageServer::Close(Connection* connection) {
  absl::MutexLock lock(&mu_);
  const int fd = connection->fd;
  // The response is complete: send FIN, then drop whatever the client sent
  // that we did not read (a body), so close() does not reset the connection
  // before the client read the response.
  shutdown(fd, SHUT_WR);
  char buffer[4096];
  while (recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {
  }
  close(fd);
  connection->fd = -1;
  connection->done = true;
}

void InternalsPageServer::Serve(int fd) {
  // Loopback peers only. The socket is bound to 127.0.0.1, so this cannot fail
  // today; it keeps the page local if the bind address ever changes.
  sockaddr_storage peer = {};
  socklen_t peer_length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0 ||
      !IsLoopbackPeer(peer)) {
    SendAll(fd, Error(403, "Forbidden"));
    return;
  }

  // Read the request head (the page takes no bodies: whatever follows it is
  // dropped when the connection closes).
  net::Http1RequestParser::Options parser_options;
  parser_options.max_header_bytes = kMaxRequestBytes;
  net::Http1RequestParser parser(parser_options);
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  while (!parser.head_complete()) {
    if (stopping_)
      return;
    absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration())
      return;
    pollfd pfd = {fd, POLLIN, 0};
    int ready = poll(&pfd, 1,
                     static_cast<int>(absl::ToInt64Milliseconds(
                         std::min(left, absl::Milliseconds(200)))) +
                         1);
    if (ready < 0 && errno != EINTR)
      return;
    if (ready <= 0)
      continue;
    char buffer[4096];
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      return;
    }
    if (!parser.Feed(absl::string_view(buffer, static_cast<size_t>(n))).ok()) {
      SendAll(fd, Error(400, "Bad Request"));
      return;
    }
  }
  std::optional<Request> request = ToRequest(parser.request());
  if (!request) {
    SendAll(fd, Error(400, "Bad Request"));
    return;
  }

  // DNS rebinding: a page on evil.test rebound to 127.0.0.1 sends
  // Host: evil.test.
  const std::string port = absl::StrCat(":", port_);
  if (request->hosts.size() != 1 ||
      !(request->hosts[0] == absl::StrCat("127.0.0.1", port) ||
        absl::EqualsIgnoreCase(request->hosts[0],
                               absl::StrCat("localhost", port)))) {
    SendAll(fd, Error(403, "Forbidden"));
    return;
  }
  if (request->method != "GET") {
    SendAll(fd, Response(405, "Method Not Allowed", "text/plain; charset=utf-8",
                         "405 Method Not Allowed\n", "Allow: GET\r\n"));
    return;
  }
  if (!ConstantTimeEquals(options_.token, request->token)) {
    SendAll(fd, Error(403, "Forbidden"));
    return;
  }

  if (request->path == "/") {
    const std::string nonce = RandomHex(16);
    const std::string page =
        absl::StrReplaceAll(PageTemplate(), {{"{{NONCE}}", nonce}});
    SendAll(fd, Response(
                    200, "OK", "text/html; charset=utf-8", page,
                    absl::StrCat("Content-Security-Policy: default-src 'none'; "
                                 "script-src 'nonce-",
                                 nonce, "'; style-src 'nonce-", nonce,
                                 "'; connect-src 'self'; base-uri 'none'; "
                                 "form-action 'none'; frame-ancestors "
                                 "'none'\r\n")));
  } else if (request->path == "/snapshot.json") {
    SendAll(fd, Response(200, "OK", "application/json",
                         ToJson(options_.snapshot())));
  } else if (request->path == "/events") {
    StreamEvents(fd);
  } else {
    SendAll(fd, Error(404, "Not Found"));
  }
}

void InternalsPageServer::StreamEvents(int fd) {
  if (!SendAll(fd,
               "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
               "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
               "Connection: close\r\n\r\nretry: 2000\n\n")) {
    return;
  }
  std::unique_ptr<NetLog::Watcher> watcher;
  if (options_.net_log != nullptr)
    watcher = options_.net_log->Watch(/*include_backlog=*/true);
  absl::Time last_send = absl::Now();
  while (!stopping_) {
    std::optional<ipc::debug::Event> event;
    if (watcher != nullptr) {
      event = watcher->Next(kEventPoll);
    } else {
      absl::SleepFor(kEventPoll);
    }
    if (stopping_)
      return;
    if (event) {
      if (!SendAll(fd, absl::StrCat("id: ", event->sequence(),
                                    "\ndata: ", ToJson(*event), "\n\n"))) {
        return;
      }
      last_send = absl::Now();
      continue;  // drain what is queued before checking the peer
    }
    if (absl::Now() - last_send >= kKeepAlive) {
      if (!SendAll(fd, ": keep-alive\n\n"))
        return;
      last_send = absl::Now();
    }
    // The peer closed (EventSource.close(), the tab went away)?
    pollfd pfd = {fd, POLLIN | POLLRDHUP, 0};
    if (poll(&pfd, 1, 0) > 0) {
      if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP))
        return;
      char buffer[512];
      ssize_t n = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return;
    }
  }
}

}  // namespace fetch_later::browser
