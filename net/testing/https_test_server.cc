// HttpsTestServer: TLS (BoringSSL) + a small HTTP/1.1 request reader, one
// thread per connection.
//
// Threading model. One "acceptor" thread poll()s the listening socket and an
// eventfd used as a wake-up (SetMode, Stop). Every accepted connection gets its
// own thread that runs blocking BoringSSL calls (SSL_accept, SSL_read,
// SSL_write) on a blocking socket, so the TLS and HTTP code reads straight
// through instead of being a state machine. Connection counts in tests and
// benchmarks are small (up to a few hundred), so a thread each is cheap;
// finished threads are joined ("reaped") by the acceptor. Stop() never waits on
// a client: it wakes the acceptor, joins it, then shutdown(SHUT_RDWR)s every
// open connection socket, which makes any blocked read or write return at once
// (this is also how stalled connections are released), and joins the connection
// threads. A connection's socket is closed only under `mu`, by its own thread,
// so shutdown() from another thread never hits a reused descriptor.
//
// The listening socket belongs to the acceptor thread while the server runs;
// SetMode() asks the acceptor to close it (kRefuse) or re-open it on the same
// port, and waits until it did, so that when SetMode() returns the new mode is
// in force.

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "net/http1_request_parser.h"
#include "net/json_string.h"
#include "net/testing/boringssl_error.h"
#include "net/testing/https_test_server.h"

namespace fetch_later::net::testing {

namespace {

using internal::BoringSslError;

// The name kTlsFail mints its certificate for; no client asks for it, so
// verification fails with X509_V_ERR_HOSTNAME_MISMATCH.
constexpr char kWrongHostName[] = "wrong-host.invalid";
// Clients that send no SNI get a certificate for this name.
constexpr char kDefaultHostName[] = "localhost";

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr uint64_t kMaxBodyBytes = 64ull * 1024 * 1024;

std::string ErrnoText(absl::string_view what, int err) {
  return absl::StrCat(what, ": ", strerror(err));
}

// ---- HTTP/1.1 request reading (RFC 9112) ----

// Why reading a request stopped.
enum class ReadResult {
  kRequest,  // a full request was read
  kClosed,   // the connection ended (cleanly or not) before a request started
  kIoError,  // the connection broke in the middle of a request
  kBadRequest,  // malformed: answer with error_status() and error_reason()
};

// Reads HTTP/1.1 requests from a blocking TLS connection with
// net::Http1RequestParser, answering "Expect: 100-continue". Not thread-safe;
// one per connection, living as long as the connection's thread serves it.
class RequestReader {
 public:
  // `ssl` is not owned and must outlive the reader.
  explicit RequestReader(SSL* ssl) : ssl_(ssl) {}

  ReadResult Read(Http1Request* req) {
    Http1RequestParser::Options options;
    options.max_header_bytes = kMaxHeaderBytes;
    options.max_trailer_bytes = kMaxHeaderBytes;
    options.max_body_bytes = kMaxBodyBytes;
    Http1RequestParser parser(options);
    bool continue_sent = false;
    while (true) {
      if (!buffer_.empty()) {
        absl::StatusOr<size_t> used = parser.Feed(buffer_);
        if (!used.ok()) {
          error_status_ = parser.error_status_code();
          error_reason_ = parser.error_reason();
          return ReadResult::kBadRequest;
        }
        // What the parser left belongs to the next request.
        buffer_.erase(0, *used);
      }
      if (parser.head_complete() && parser.request().expects_continue &&
          !continue_sent) {
        static constexpr absl::string_view kContinue =
            "HTTP/1.1 100 Continue\r\n\r\n";
        if (SSL_write(ssl_, kContinue.data(), kContinue.size()) !=
            static_cast<int>(kContinue.size())) {
          return ReadResult::kIoError;
        }
        continue_sent = true;
      }
      if (parser.done()) {
        *req = parser.TakeRequest();
        return ReadResult::kRequest;
      }
      if (!Fill()) {
        return parser.received_any_bytes() ? ReadResult::kIoError
                                           : ReadResult::kClosed;
      }
    }
  }

  int error_status() const { return error_status_; }
  const std::string& error_reason() const { return error_reason_; }

 private:
  // Reads more bytes into `buffer_`; false on EOF or error.
  bool Fill() {
    char chunk[16 * 1024];
    const int n = SSL_read(ssl_, chunk, sizeof(chunk));
    if (n <= 0) {
      // An EOF or a reset is normal here; keep the thread's error queue empty.
      ERR_clear_error();
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  SSL* const ssl_;
  std::string buffer_;  // bytes read from TLS but not yet parsed
  int error_status_ = 0;
  std::string error_reason_;
};

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

std::string Response(
    int status,
    absl::string_view body,
    bool keep_alive,
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&out, name, ": ", value, "\r\n");
    has_content_type |= absl::EqualsIgnoreCase(name, "Content-Type");
  }
  if (!body.empty() && !has_content_type)
    absl::StrAppend(&out, "Content-Type: text/plain; charset=utf-8\r\n");
  // RFC 9110 8.6 says a 204 carries no Content-Length; it is sent anyway (as 0)
  // because simple test clients frame every response by Content-Length.
  // Conforming clients ignore it.
  absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
  if (!keep_alive)
    absl::StrAppend(&out, "Connection: close\r\n");
  absl::StrAppend(&out, "\r\n", body);
  return out;
}

// RFC 9110 6.4.1: 1xx, 204 and 304 responses have no content.
bool StatusHasContent(int status) {
  return status >= 200 && status != 204 && status != 304;
}

// The first value of header `name` in `request`, if any.
std::optional<std::string> RequestHeader(const RecordedRequest& request,
                                         absl::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (absl::EqualsIgnoreCase(n, name))
      return v;
  }
  return std::nullopt;
}

// The CORS headers of the default answer (no `respond` rule), as an analytics
// collector that wants every beacon sends them (../shared/SCENARIOS.md): a
// CORS preflight (OPTIONS with Access-Control-Request-Method) is allowed
// whatever it asks; every other request is answered with
// Access-Control-Allow-Origin = its Origin (or * without one) and
// Access-Control-Allow-Credentials: true.
std::vector<std::pair<std::string, std::string>> DefaultCorsHeaders(
    const RecordedRequest& request) {
  std::vector<std::pair<std::string, std::string>> headers;
  const std::optional<std::string> origin = RequestHeader(request, "origin");
  headers.emplace_back("Access-Control-Allow-Origin", origin.value_or("*"));
  headers.emplace_back("Access-Control-Allow-Credentials", "true");
  const std::optional<std::string> method =
      RequestHeader(request, "access-control-request-method");
  if (request.method == "OPTIONS" && method) {
    headers.emplace_back("Access-Control-Allow-Methods", *method);
    if (std::optional<std::string> names =
            RequestHeader(request, "access-control-request-headers")) {
      headers.emplace_back("Access-Control-Allow-Headers", *names);
    }
  }
  return headers;
}

absl::StatusOr<int> OpenListener(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return absl::InternalError(ErrnoText("socket", errno));
  const int one = 1;
  // SO_REUSEADDR: kRefuse closes the listener and re-binds the same port later,
  // while connections on it may still be in TIME_WAIT.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(ErrnoText("setsockopt(SO_REUSEADDR)", err));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        ErrnoText(absl::StrCat("bind(127.0.0.1:", port, ")"), err));
  }
  if (listen(fd, 512) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(ErrnoText("listen", err));
  }
  return fd;
}

// A minted leaf, parsed, ready for SSL_use_certificate / SSL_use_PrivateKey.
struct ServedCert {
  bssl::UniquePtr<X509> cert;
  bssl::UniquePtr<EVP_PKEY> key;
};

}  // namespace

// ---- FaultMode ----

const char* FaultModeName(FaultMode mode) {
  switch (mode) {
    case FaultMode::kOk:
      return "OK";
    case FaultMode::kRefuse:
      return "REFUSE";
    case FaultMode::kReset:
      return "RESET";
    case FaultMode::kStall:
      return "STALL";
    case FaultMode::kHttp500:
      return "HTTP_500";
    case FaultMode::kTlsFail:
      return "TLS_FAIL";
  }
  return "UNKNOWN";
}

absl::StatusOr<FaultMode> FaultModeFromName(const std::string& name) {
  for (FaultMode mode :
       {FaultMode::kOk, FaultMode::kRefuse, FaultMode::kReset,
        FaultMode::kStall, FaultMode::kHttp500, FaultMode::kTlsFail}) {
    if (absl::EqualsIgnoreCase(name, FaultModeName(mode)))
      return mode;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "network mode \"", name,
      "\" is not one of OK, REFUSE, RESET, STALL, HTTP_500, TLS_FAIL"));
}

// ---- RecordedRequest ----

std::string RecordedRequest::AbsoluteUrl() const {
  if (absl::StartsWithIgnoreCase(url_path, "https://") ||
      absl::StartsWithIgnoreCase(url_path, "http://")) {
    return url_path;  // absolute-form request target (RFC 9112 3.2.2)
  }
  return absl::StrCat("https://",
                      !host.empty()  ? host
                      : !sni.empty() ? sni
                                     : kDefaultHostName,
                      url_path);
}

std::string RecordedRequest::ToJsonLine(absl::Time server_start) const {
  const std::string url = AbsoluteUrl();
  // Header names are lower-cased (they are case-insensitive; the shell's report
  // uses lower case) and repeated fields are joined with ", " (RFC 9110 5.3),
  // keeping first-seen order.
  std::vector<std::pair<std::string, std::string>> merged;
  for (const auto& [name, value] : headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    auto it =
        std::find_if(merged.begin(), merged.end(),
                     [&](const auto& entry) { return entry.first == lower; });
    if (it == merged.end()) {
      merged.emplace_back(lower, value);
    } else {
      absl::StrAppend(&it->second, ", ", value);
    }
  }

  std::string out = "{\"method\":";
  AppendJsonString(&out, method);
  out += ",\"url\":";
  AppendJsonString(&out, url);
  out += ",\"headers\":{";
  for (size_t i = 0; i < merged.size(); ++i) {
    if (i > 0)
      out += ',';
    AppendJsonString(&out, merged[i].first);
    out += ':';
    AppendJsonString(&out, merged[i].second);
  }
  absl::StrAppend(&out, "},\"bodyBytes\":", body_bytes, ",\"atMs\":",
                  absl::ToInt64Milliseconds(received_at - server_start),
                  ",\"connection\":", connection_id, "}");
  return out;
}

// ---- HttpsTestServer ----

struct HttpsTestServer::Impl {
  struct Connection {
    uint64_t id = 0;
    int fd = -1;        // -1 once closed; guarded by Impl::mu
    bool done = false;  // the thread has finished; guarded by Impl::mu
    std::thread thread;
  };

  explicit Impl(const TestCertificateAuthority* ca) : ca(ca) {}

  absl::Status StartLocked(uint16_t requested_port)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void AcceptLoop();
  void Reconcile(int* listen_fd, uint64_t generation, FaultMode new_mode);
  void ShutdownConnectionsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  void ReapFinished();
  void Serve(Connection* conn);
  void FinishConnection(Connection* conn, bool reset);
  void Record(RecordedRequest request);
  void Wake();
  absl::StatusOr<std::shared_ptr<const ServedCert>> CertFor(
      const std::string& name);
  static int SelectCertificate(SSL* ssl, void* arg);

  const TestCertificateAuthority* const ca;  // not owned
  bssl::UniquePtr<SSL_CTX> ssl_ctx;          // created by the first Start()

  mutable absl::Mutex mu;
  FaultMode mode ABSL_GUARDED_BY(mu) = FaultMode::kOk;
  uint64_t mode_generation ABSL_GUARDED_BY(mu) =
      0;  // bumped by every SetMode()
  uint64_t applied_generation ABSL_GUARDED_BY(mu) =
      0;  // the acceptor has applied this one
  FaultMode applied_mode ABSL_GUARDED_BY(mu) = FaultMode::kOk;
  bool running ABSL_GUARDED_BY(mu) = false;
  bool stopping ABSL_GUARDED_BY(mu) = false;
  uint16_t port ABSL_GUARDED_BY(mu) = 0;
  absl::Time started_at ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  std::vector<RecordedRequest> requests ABSL_GUARDED_BY(mu);
  std::vector<ResponseRule> rules ABSL_GUARDED_BY(mu);  // Respond(), in order
  uint64_t connections_accepted ABSL_GUARDED_BY(mu) = 0;
  uint64_t next_connection_id ABSL_GUARDED_BY(mu) = 1;
  std::map<uint64_t, std::unique_ptr<Connection>> connections
      ABSL_GUARDED_BY(mu);
  FILE* record_file ABSL_GUARDED_BY(mu) = nullptr;
  std::string record_path ABSL_GUARDED_BY(mu);

  // Set by Start() before the acceptor starts, read-only until it is joined.
  int initial_listen_fd = -1;
  int wake_fd = -1;  // eventfd; written by Wake(), drained by the acceptor
  std::thread acceptor;

  absl::Mutex cert_mu;
  absl::flat_hash_map<std::string, std::shared_ptr<const ServedCert>> certs
      ABSL_GUARDED_BY(cert_mu);
};

void HttpsTestServer::Impl::Wake() {
  const uint64_t one = 1;
  // EAGAIN means the counter is already non-zero: the acceptor will wake
  // anyway.
  while (write(wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

absl::StatusOr<std::shared_ptr<const ServedCert>>
HttpsTestServer::Impl::CertFor(const std::string& name) {
  absl::MutexLock lock(&cert_mu);
  if (auto it = certs.find(name); it != certs.end())
    return it->second;
  absl::StatusOr<TestCertificateAuthority::Leaf> leaf = ca->MintLeaf(name);
  if (!leaf.ok())
    return leaf.status();
  auto served = std::make_shared<ServedCert>();
  bssl::UniquePtr<BIO> cert_bio(
      BIO_new_mem_buf(leaf->cert_pem.data(), leaf->cert_pem.size()));
  bssl::UniquePtr<BIO> key_bio(
      BIO_new_mem_buf(leaf->key_pem.data(), leaf->key_pem.size()));
  if (!cert_bio || !key_bio)
    return BoringSslError("BIO_new_mem_buf");
  served->cert.reset(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!served->cert)
    return BoringSslError("PEM_read_bio_X509(leaf)");
  served->key.reset(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!served->key)
    return BoringSslError("PEM_read_bio_PrivateKey(leaf)");
  certs[name] = served;
  return std::shared_ptr<const ServedCert>(std::move(served));
}

// SSL_CTX_set_cert_cb: runs on the server after the ClientHello's extensions
// (SNI among them) are parsed. Returns 1 with a certificate installed, 0 to
// fail the handshake.
int HttpsTestServer::Impl::SelectCertificate(SSL* ssl, void* arg) {
  Impl* impl = static_cast<Impl*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  std::string name = sni != nullptr && sni[0] != '\0' ? sni : kDefaultHostName;
  {
    absl::MutexLock lock(&impl->mu);
    if (impl->mode == FaultMode::kTlsFail)
      name = kWrongHostName;
  }
  absl::StatusOr<std::shared_ptr<const ServedCert>> served =
      impl->CertFor(name);
  if (!served.ok()) {
    fprintf(stderr, "HttpsTestServer: no certificate for \"%s\": %s\n",
            name.c_str(), std::string(served.status().message()).c_str());
    return 0;
  }
  if (!SSL_use_certificate(ssl, (*served)->cert.get()) ||
      !SSL_use_PrivateKey(ssl, (*served)->key.get())) {
    fprintf(
        stderr, "HttpsTestServer: %s\n",
        std::string(BoringSslError("SSL_use_certificate").message()).c_str());
    return 0;
  }
  return 1;
}

absl::Status HttpsTestServer::Impl::StartLocked(uint16_t requested_port) {
  if (!ssl_ctx) {
    ssl_ctx.reset(SSL_CTX_new(TLS_server_method()));
    if (!ssl_ctx)
      return BoringSslError("SSL_CTX_new");
    if (!SSL_CTX_set_min_proto_version(ssl_ctx.get(), TLS1_2_VERSION)) {
      return BoringSslError("SSL_CTX_set_min_proto_version(TLS 1.2)");
    }
    // No session resumption: a resumed session skips the certificate, and
    // kTlsFail must show every new connection the wrong certificate.
    SSL_CTX_set_options(ssl_ctx.get(), SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ssl_ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_cert_cb(ssl_ctx.get(), &Impl::SelectCertificate, this);
  }
  // Mint the default certificate now so that a broken CA shows up as Start()'s
  // error.
  if (absl::StatusOr<std::shared_ptr<const ServedCert>> c =
          CertFor(kDefaultHostName);
      !c.ok()) {
    return c.status();
  }

  wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd < 0)
    return absl::InternalError(ErrnoText("eventfd", errno));
  absl::StatusOr<int> listen_fd = OpenListener(requested_port);
  if (!listen_fd.ok()) {
    close(wake_fd);
    wake_fd = -1;
    return listen_fd.status();
  }
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(*listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(*listen_fd);
    close(wake_fd);
    wake_fd = -1;
    return absl::InternalError(ErrnoText("getsockname", err));
  }
  port = ntohs(addr.sin_port);
  initial_listen_fd = *listen_fd;
  // Start with the current mode applied: in kRefuse the port is closed at once
  // and bound again when the mode changes.
  if (mode == FaultMode::kRefuse) {
    close(initial_listen_fd);
    initial_listen_fd = -1;
  }
  applied_generation = mode_generation;
  applied_mode = mode;
  running = true;
  stopping = false;
  if (started_at == absl::InfinitePast())
    started_at = absl::Now();
  acceptor = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void HttpsTestServer::Impl::ShutdownConnectionsLocked() {
  for (auto& [id, conn] : connections) {
    if (conn->fd >= 0)
      shutdown(conn->fd, SHUT_RDWR);
  }
}

// Applies `new_mode` (read under `mu` as generation `generation`) to the
// listening socket.
void HttpsTestServer::Impl::Reconcile(int* listen_fd,
                                      uint64_t generation,
                                      FaultMode new_mode) {
  uint16_t listen_port;
  FaultMode old_mode;
  {
    absl::MutexLock lock(&mu);
    listen_port = port;
    old_mode = applied_mode;
  }
  if (new_mode == FaultMode::kRefuse && *listen_fd >= 0) {
    close(*listen_fd);  // queued, unaccepted connections get a RST
    *listen_fd = -1;
  } else if (new_mode != FaultMode::kRefuse && *listen_fd < 0) {
    // Re-bind the same port. Another socket may have grabbed it meanwhile
    // (unlikely on loopback); retry for about a second, then report and stay
    // closed.
    absl::Status status;
    for (int attempt = 0; attempt < 50; ++attempt) {
      absl::StatusOr<int> fd = OpenListener(listen_port);
      status = fd.status();
      if (fd.ok()) {
        *listen_fd = *fd;
        break;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    if (!status.ok()) {
      fprintf(stderr, "HttpsTestServer: cannot listen again on port %u: %s\n",
              listen_port, std::string(status.message()).c_str());
    }
  }
  absl::MutexLock lock(&mu);
  // Connections that are already open would let a client keep talking to a
  // server that is now "down" (kRefuse) or "has a bad certificate" (kTlsFail):
  // close them, so the mode applies to the client's next request whether or not
  // it pools connections.
  if (new_mode != old_mode &&
      (new_mode == FaultMode::kRefuse || new_mode == FaultMode::kTlsFail)) {
    ShutdownConnectionsLocked();
  }
  applied_mode = new_mode;
  applied_generation = generation;
}

void HttpsTestServer::Impl::ReapFinished() {
  std::vector<std::unique_ptr<Connection>> finished;
  {
    absl::MutexLock lock(&mu);
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->second->done) {
        finished.push_back(std::move(it->second));
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& conn : finished)
    conn->thread.join();
}

void HttpsTestServer::Impl::AcceptLoop() {
  int listen_fd = initial_listen_fd;
  while (true) {
    uint64_t generation;
    FaultMode current_mode;
    bool reconcile;
    {
      absl::MutexLock lock(&mu);
      if (stopping)
        break;
      generation = mode_generation;
      current_mode = mode;
      reconcile = applied_generation != mode_generation;
    }
    if (reconcile)
      Reconcile(&listen_fd, generation, current_mode);

    pollfd fds[2] = {{wake_fd, POLLIN, 0}, {listen_fd, POLLIN, 0}};
    const int n = poll(fds, listen_fd >= 0 ? 2 : 1, -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "HttpsTestServer: poll: %s\n", strerror(errno));
      absl::SleepFor(absl::Milliseconds(10));
      continue;
    }
    if (fds[0].revents & POLLIN) {
      uint64_t value;
      while (read(wake_fd, &value, sizeof(value)) < 0 && errno == EINTR) {
      }
    }
    if (listen_fd >= 0 && (fds[1].revents & POLLIN)) {
      while (true) {
        const int fd = accept4(listen_fd, nullptr, nullptr,
                               SOCK_CLOEXEC);  // blocking socket
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED)
            continue;
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
              errno == ENOMEM) {
            fprintf(stderr, "HttpsTestServer: accept: %s\n", strerror(errno));
            absl::SleepFor(
                absl::Milliseconds(10));  // don't spin while out of descriptors
          }
          break;  // EAGAIN: the queue is empty
        }
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        absl::MutexLock lock(&mu);
        auto conn = std::make_unique<Connection>();
        conn->id = next_connection_id++;
        conn->fd = fd;
        ++connections_accepted;
        Connection* raw = conn.get();
        connections[conn->id] = std::move(conn);
        raw->thread = std::thread([this, raw] { Serve(raw); });
      }
    }
    ReapFinished();
  }
  if (listen_fd >= 0)
    close(listen_fd);
}

void HttpsTestServer::Impl::Record(RecordedRequest request) {
  absl::MutexLock lock(&mu);
  if (record_file != nullptr) {
    const std::string line = request.ToJsonLine(started_at) + "\n";
    if (fwrite(line.data(), 1, line.size(), record_file) != line.size() ||
        fflush(record_file) != 0) {
      fprintf(stderr, "HttpsTestServer: cannot append to %s\n",
              record_path.c_str());
    }
  }
  requests.push_back(std::move(request));
}

void HttpsTestServer::Impl::FinishConnection(Connection* conn, bool reset) {
  absl::MutexLock lock(&mu);
  if (conn->fd >= 0) {
    if (reset) {
      // SO_LINGER {on, 0 s}: close() sends a RST instead of a FIN (RFC
      // 9293 3.6.1 abort).
      const linger abort_linger{1, 0};
      setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &abort_linger,
                 sizeof(abort_linger));
    }
    close(conn->fd);
    conn->fd = -1;
  }
  conn->done = true;
}

void HttpsTestServer::Impl::Serve(Connection* conn) {
  // A write to a peer that has gone away raises SIGPIPE, which would kill the
  // process. The signal is thread-directed, so blocking it here turns it into
  // EPIPE for this thread only, without touching the process-wide disposition.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

  bool reset = false;
  {
    bssl::UniquePtr<SSL> ssl(SSL_new(ssl_ctx.get()));
    int fd;
    {
      absl::MutexLock lock(&mu);
      fd = conn->fd;
    }
    if (!ssl || !SSL_set_fd(ssl.get(), fd) || SSL_accept(ssl.get()) != 1) {
      // Failed handshakes are expected (kTlsFail, clients that distrust us).
      ERR_clear_error();
      ssl.reset();
      FinishConnection(conn, /*reset=*/false);
      return;
    }
    const char* sni_name =
        SSL_get_servername(ssl.get(), TLSEXT_NAMETYPE_host_name);
    const std::string sni = sni_name != nullptr ? sni_name : "";

    RequestReader reader(ssl.get());
    bool graceful = true;  // send close_notify at the end
    while (true) {
      Http1Request parsed;
      const ReadResult result = reader.Read(&parsed);
      if (result == ReadResult::kClosed || result == ReadResult::kIoError) {
        graceful = false;
        break;
      }
      if (result == ReadResult::kBadRequest) {
        const std::string response =
            Response(reader.error_status(), reader.error_reason() + "\n",
                     /*keep_alive=*/false);
        SSL_write(ssl.get(), response.data(),
                  static_cast<int>(response.size()));
        break;
      }

      RecordedRequest request;
      request.sni = sni;
      request.method = parsed.method;
      request.url_path = parsed.target;
      for (const auto& [name, value] : parsed.headers) {
        if (absl::EqualsIgnoreCase(name, "host") && request.host.empty())
          request.host = value;
      }
      request.headers = std::move(parsed.headers);
      request.body_bytes = parsed.body.size();
      request.body = std::move(parsed.body);
      request.received_at = absl::Now();
      request.connection_id = conn->id;
      const std::string url = request.AbsoluteUrl();
      const std::string method = request.method;
      const std::vector<std::pair<std::string, std::string>> default_headers =
          DefaultCorsHeaders(request);
      Record(std::move(request));

      FaultMode current_mode;
      std::optional<ResponseRule> rule;  // the latest that matches
      {
        absl::MutexLock lock(&mu);
        current_mode = mode;
        for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
          if (absl::StartsWith(url, it->url_prefix) &&
              (!it->method || *it->method == method)) {
            rule = *it;
            break;
          }
        }
      }
      if (current_mode == FaultMode::kReset ||
          current_mode == FaultMode::kRefuse) {
        // kRefuse here means the connection was open before the switch; it is
        // being shut down anyway, so treat the request like kReset.
        reset = true;
        graceful = false;
        break;
      }
      if (current_mode == FaultMode::kStall) {
        // Never answer; hold the connection until the client closes it or
        // Stop() shuts the socket down. Anything else the client sends is
        // discarded.
        char sink[4096];
        while (SSL_read(ssl.get(), sink, sizeof(sink)) > 0) {
        }
        ERR_clear_error();
        graceful = false;
        break;
      }
      const std::string response =
          current_mode == FaultMode::kHttp500
              ? Response(500, "fault injection: HTTP_500\n", parsed.keep_alive)
          : rule ? Response(rule->status,
                            StatusHasContent(rule->status) ? rule->body : "",
                            parsed.keep_alive, rule->headers)
                 : Response(204, "", parsed.keep_alive, default_headers);
      if (SSL_write(ssl.get(), response.data(),
                    static_cast<int>(response.size())) !=
          static_cast<int>(response.size())) {
        graceful = false;
        break;
      }
      if (!parsed.keep_alive)
        break;
    }
    if (graceful)
      SSL_shutdown(ssl.get());
    ERR_clear_error();
  }
  FinishConnection(conn, reset);
}

HttpsTestServer::HttpsTestServer(const TestCertificateAuthority* ca)
    : impl_(std::make_unique<Impl>(ca)) {}

HttpsTestServer::~HttpsTestServer() {
  Stop();
  absl::MutexLock lock(&impl_->mu);
  if (impl_->record_file != nullptr)
    fclose(impl_->record_file);
  impl_->record_file = nullptr;
}

absl::Status HttpsTestServer::Start(uint16_t port) {
  if (impl_->ca == nullptr)
    return absl::FailedPreconditionError("HttpsTestServer: no CA");
  absl::MutexLock lock(&impl_->mu);
  if (impl_->running)
    return absl::FailedPreconditionError("HttpsTestServer already started");
  return impl_->StartLocked(port);
}

void HttpsTestServer::Stop() {
  {
    absl::MutexLock lock(&impl_->mu);
    if (!impl_->running || impl_->stopping)
      return;
    impl_->stopping = true;
  }
  impl_->Wake();
  impl_->acceptor.join();  // closes the listening socket on its way out

  std::map<uint64_t, std::unique_ptr<Impl::Connection>> connections;
  {
    absl::MutexLock lock(&impl_->mu);
    // Unblocks every SSL_accept, SSL_read and SSL_write.
    impl_->ShutdownConnectionsLocked();
    connections.swap(impl_->connections);
  }
  for (auto& [id, conn] : connections)
    conn->thread.join();

  close(impl_->wake_fd);
  impl_->wake_fd = -1;
  absl::MutexLock lock(&impl_->mu);
  impl_->running = false;
  impl_->stopping = false;
}

uint16_t HttpsTestServer::port() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->port;
}

absl::Time HttpsTestServer::start_time() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->started_at;
}

void HttpsTestServer::SetMode(FaultMode mode) {
  absl::MutexLock lock(&impl_->mu);
  impl_->mode = mode;
  const uint64_t generation = ++impl_->mode_generation;
  if (!impl_->running || impl_->stopping)
    return;
  impl_->Wake();
  // Wait until the acceptor has opened or closed the listening socket to match.
  const Impl* impl = impl_.get();
  auto applied = [impl, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) {
    return impl->applied_generation >= generation || impl->stopping ||
           !impl->running;
  };
  impl_->mu.Await(absl::Condition(&applied));
}

void HttpsTestServer::Respond(ResponseRule rule) {
  absl::MutexLock lock(&impl_->mu);
  impl_->rules.push_back(std::move(rule));
}

FaultMode HttpsTestServer::mode() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->mode;
}

absl::Status HttpsTestServer::RecordTo(const std::string& path) {
  FILE* file = fopen(path.c_str(), "ae");
  if (file == nullptr) {
    return absl::UnavailableError(
        ErrnoText(absl::StrCat("cannot open ", path), errno));
  }
  absl::MutexLock lock(&impl_->mu);
  if (impl_->record_file != nullptr)
    fclose(impl_->record_file);
  impl_->record_file = file;
  impl_->record_path = path;
  std::string lines;
  for (const RecordedRequest& request : impl_->requests) {
    absl::StrAppend(&lines, request.ToJsonLine(impl_->started_at), "\n");
  }
  if (fwrite(lines.data(), 1, lines.size(), file) != lines.size() ||
      fflush(file) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot append to ", path));
  }
  return absl::OkStatus();
}

std::vector<RecordedRequest> HttpsTestServer::requests() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests;
}

size_t HttpsTestServer::request_count() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->requests.size();
}

size_t HttpsTestServer::WaitForRequests(size_t count,
                                        absl::Duration timeout) const {
  absl::MutexLock lock(&impl_->mu);
  const Impl* impl = impl_.get();
  auto enough = [impl, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) {
    return impl->requests.size() >= count;
  };
  impl_->mu.AwaitWithTimeout(absl::Condition(&enough), timeout);
  return impl_->requests.size();
}

uint64_t HttpsTestServer::connections_accepted() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->connections_accepted;
}

}  // namespace fetch_later::net::testing
