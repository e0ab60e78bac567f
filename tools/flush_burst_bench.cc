// Benchmark: the flush burst. 1,000 pending deferred fetches to 4 reporting
// origins are activated at once (the tab is closed) and the time until the
// local HTTPS collector has received all 1,000 is compared with a floor
// measured in the same run: the same 1,000 requests (same hosts, paths and
// header bytes) sent by a minimal BoringSSL keep-alive HTTP/1.1 client over
// the same number of connections per host, trusting the same CA. Target
// (issue): the stage takes at most 1.5x the floor.
//
// Stage run: a fresh HttpsNetworkStage (real clock, default 6 connections per
// pool) pointed at the in-process HttpsTestServer ("MAP * 127.0.0.1:PORT"), a
// fresh BrowserCore wired to it, one tab on https://a.test/ served with
// `Permissions-Policy: deferred-fetch-minimal=()`, 1,000 GETs of
// https://o<k>.test/b?i=N (k = N mod 4) queued directly through the
// FrameTree (in-process: this measures the network stage, not IPC). The clock
// starts just before BrowserCore::CloseTab() and stops when the collector has
// recorded all 1,000 (HttpsTestServer::WaitForRequests, a condition variable).
//
// Floor run: for each host, as many threads as the preceding stage run used
// connections to that host (distinct collector connection ids); each thread
// opens one blocking TCP socket, does the TLS handshake (SNI, chain and host
// name verification against the test CA, TLS 1.2+), then takes requests from a
// shared per-host queue and sends them one at a time (write the request, read
// the 204), like the stage's pool. The clock starts before the threads are
// created and stops on the same collector condition.
//
// Diagnostics next to the times: time to the first request (connect + TLS),
// CloseTab()'s own duration, process CPU during the timed region (client +
// collector) and the CPU of the stage's own threads (its event loop), so a
// ratio can be read as "more work" or "less parallelism". Connections are
// shown as used/accepted: a floor thread whose handshake finishes after its
// host's queue is empty opens a connection that carries nothing.
//
// Both start cold every run: a new stage (and so a new TLS client context and
// no pooled connections) per stage run, new sockets per floor run, and the
// collector has TLS session resumption off, so every connection in both pays
// a full handshake (and the collector mints a leaf certificate per handshake).
// Runs alternate stage/floor after one warm-up pair, which also checks that
// the collector received byte-identical requests from both.
//
//   bazel run -c opt //tools:flush_burst_bench [-- --runs=N | --quick] [--tsv]
//
// --quick: one run after the warm-up pair, a smoke check; --tsv: only the
// figure rows for tools/bench on stdout (tools/bench_tsv.h), the tables on
// stderr.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "browser/browser_core.h"
#include "browser/deferred_request.h"
#include "net/clock.h"
#include "net/https_network_stage.h"
#include "net/origin.h"
#include "net/site.h"
#include "net/testing/https_test_server.h"
#include "net/url.h"
#include "tools/bench_tsv.h"

namespace fetch_later::tools {
namespace {

using net::testing::HttpsTestServer;
using net::testing::RecordedRequest;
using net::testing::TestCertificateAuthority;

constexpr int kRequests = 1000;
constexpr int kOrigins = 4;
constexpr char kPageUrl[] = "https://a.test/";
// The `Referer` the network stage determines for a page on https://a.test/
// under the default referrer policy (strict-origin-when-cross-origin).
constexpr char kReferer[] = "https://a.test/";
// The page's origin, which every (cross-origin, cors) request carries.
constexpr char kOrigin[] = "https://a.test";
constexpr absl::Duration kTimeout = absl::Seconds(60);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "flush_burst_bench: %s\n", message.c_str());
  std::exit(1);
}

std::string Host(int i) {
  return absl::StrCat("o", i % kOrigins, ".test");
}
std::string Path(int i) {
  return absl::StrCat("/b?i=", i);
}

// The exact bytes HttpsNetworkStage sends for request `i`
// (net/http1_request_serializer.h: Host, Connection, User-Agent, then the
// request's headers, then the hop's Referer and Origin (a cross-origin `cors`
// GET carries Origin: Fetch "append a request `Origin` header"); a GET
// without a body has no Content-Length).
std::string WireRequest(int i) {
  return absl::StrCat("GET ", Path(i), " HTTP/1.1\r\nHost: ", Host(i),
                      "\r\nConnection: keep-alive\r\nUser-Agent: "
                      "fetchLater-prototype/1.0\r\nReferer: ",
                      kReferer, "\r\nOrigin: ", kOrigin, "\r\n\r\n");
}

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

// CPU time (ms) of the whole process: stage or floor client plus collector.
double ProcessCpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

std::set<pid_t> ThreadIds() {
  std::set<pid_t> tids;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.')
        tids.insert(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    closedir(dir);
  }
  return tids;
}

// CPU time (ms) of thread `tid` of this process (Linux's per-thread CPU clock
// id: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)); 0 if it is gone.
double ThreadCpuMs(pid_t tid) {
  const clockid_t clock = (~static_cast<clockid_t>(tid) << 3) | 6;
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0)
    return 0;
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// What one run did, read from the collector's records of that run.
struct RunResult {
  double ms = 0;
  // From the start to the collector's first complete request (connect, TLS
  // handshake, first request), and to its 1,000th minus that (steady state).
  double first_ms = 0;
  // Stage only: how long CloseTab() itself took (processing 1,000 records and
  // handing them to the stage).
  double close_ms = 0;
  // CPU time during the timed region: the whole process, and (stage only) the
  // stage's own threads (its event loop).
  double cpu_ms = 0;
  double loop_cpu_ms = 0;
  // Distinct collector connections per host.
  std::map<std::string, int> connections_by_host;
  uint64_t connections_accepted = 0;
  // (host, method, path, headers) of every request, for the equality check.
  std::multiset<std::string> fingerprints;
};

int TotalConnections(const RunResult& r) {
  int n = 0;
  for (const auto& [host, count] : r.connections_by_host)
    n += count;
  return n;
}

void Collect(const HttpsTestServer& server,
             size_t first_request,
             uint64_t accepted_before,
             absl::Time start,
             RunResult& result) {
  std::vector<RecordedRequest> requests = server.requests();
  if (requests.size() != first_request + kRequests) {
    Die(absl::StrCat("collector has ", requests.size() - first_request,
                     " requests for this run, expected ", kRequests));
  }
  std::map<std::string, std::set<uint64_t>> ids;
  absl::Time first = absl::InfiniteFuture();
  for (size_t i = first_request; i < requests.size(); ++i) {
    const RecordedRequest& r = requests[i];
    first = std::min(first, r.received_at);
    ids[r.host].insert(r.connection_id);
    std::string fp = absl::StrCat(r.host, " ", r.method, " ", r.url_path);
    for (const auto& [name, value] : r.headers)
      absl::StrAppend(&fp, "|", name, ": ", value);
    result.fingerprints.insert(std::move(fp));
  }
  for (const auto& [host, set] : ids)
    result.connections_by_host[host] = static_cast<int>(set.size());
  result.connections_accepted = server.connections_accepted() - accepted_before;
  result.first_ms = absl::ToDoubleMilliseconds(first - start);
}

// ---- The stage ----

RunResult RunStage(const TestCertificateAuthority& ca,
                   HttpsTestServer& server) {
  net::RealClock clock;
  net::HttpsNetworkStage::Options options;
  options.ca_pem = ca.root_pem();
  options.host_resolver_rules = absl::StrCat("MAP * 127.0.0.1:", server.port());
  options.clock = &clock;
  const std::set<pid_t> threads_before = ThreadIds();
  auto stage = net::HttpsNetworkStage::Create(std::move(options));
  if (!stage.ok())
    Die(std::string(stage.status().message()));
  std::vector<pid_t> stage_threads;
  for (pid_t tid : ThreadIds()) {
    if (threads_before.count(tid) == 0)
      stage_threads.push_back(tid);
  }
  auto stage_cpu_ms = [&stage_threads] {
    double ms = 0;
    for (pid_t tid : stage_threads)
      ms += ThreadCpuMs(tid);
    return ms;
  };
  auto core = std::make_unique<browser::BrowserCore>(
      browser::BrowserCore::Options{stage->get(), &clock});

  const browser::NavigableId tab = core->CreateTab();
  browser::NavigationParams nav{*net::Url::Parse(kPageUrl)};
  nav.permissions_policy = "deferred-fetch-minimal=()";
  auto committed = core->Navigate(tab, nav);
  if (!committed.ok())
    Die(std::string(committed.status().message()));
  for (int i = 0; i < kRequests; ++i) {
    browser::DeferredRequest request{
        "GET", *net::Url::Parse(absl::StrCat("https://", Host(i), Path(i)))};
    request.referrer_url = kReferer;
    request.referer_header = kReferer;
    auto decision = core->frame_tree().QueueDeferredFetch(
        committed->document, std::move(request), std::nullopt);
    if (!decision.ok() ||
        decision->outcome != browser::FetchLaterOutcome::kQueued) {
      Die(absl::StrCat("request ", i, " was not queued"));
    }
  }

  const size_t first_request = server.request_count();
  const uint64_t accepted_before = server.connections_accepted();
  RunResult result;
  const double cpu0 = ProcessCpuMs(), loop0 = stage_cpu_ms();
  const absl::Time start_time = absl::Now();
  const auto start = std::chrono::steady_clock::now();
  if (!core->CloseTab(tab).ok())
    Die("CloseTab failed");
  result.close_ms = MsSince(start);
  const size_t got =
      server.WaitForRequests(first_request + kRequests, kTimeout);
  result.ms = MsSince(start);
  result.cpu_ms = ProcessCpuMs() - cpu0;
  result.loop_cpu_ms = stage_cpu_ms() - loop0;
  if (got < first_request + kRequests)
    Die(absl::StrCat("stage: collector got ", got - first_request,
                     " requests"));
  if (!(*stage)->WaitForIdle(kTimeout))
    Die("stage did not become idle");
  Collect(server, first_request, accepted_before, start_time, result);

  // Cross-check with the stage's own pool statistics.
  const net::SchemefulSite site = net::SchemefulSite::Create(
      net::Origin::Create(*net::Url::Parse(kPageUrl)));
  const net::NetworkIsolationKey key{site, site};
  for (int k = 0; k < kOrigins; ++k) {
    const net::Url url =
        *net::Url::Parse(absl::StrCat("https://", Host(k), "/"));
    const size_t peak = (*stage)->PeakConnectionCount(url, key);
    if (static_cast<int>(peak) != result.connections_by_host[Host(k)]) {
      std::fprintf(stderr,
                   "note: %s: stage peak %zu connections, collector saw %d\n",
                   Host(k).c_str(), peak, result.connections_by_host[Host(k)]);
    }
  }
  core.reset();    // before the stage it points to
  stage->reset();  // closes the pooled connections (outside the timed region)
  return result;
}

// ---- The floor: a minimal blocking BoringSSL keep-alive client ----

struct FloorHost {
  std::string host;
  std::vector<std::string> wire;  // the requests for this host, in order
  std::atomic<size_t> next{0};
};

bool WriteAll(SSL* ssl, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const int rc = SSL_write(ssl, bytes.data() + done,
                             static_cast<int>(bytes.size() - done));
    if (rc <= 0)
      return false;
    done += static_cast<size_t>(rc);
  }
  return true;
}

// Reads one response (head, then Content-Length bytes of body) from `ssl`;
// bytes past it stay in `buffer`. Returns the status code, or -1.
int ReadResponse(SSL* ssl, std::string& buffer) {
  char chunk[4096];
  size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const int rc = SSL_read(ssl, chunk, sizeof(chunk));
    if (rc <= 0)
      return -1;
    buffer.append(chunk, rc);
  }
  const std::string head = buffer.substr(0, head_end + 2);
  int status = -1;
  if (head.size() < 12 || !absl::SimpleAtoi(head.substr(9, 3), &status))
    return -1;
  uint64_t content_length = 0;
  size_t line = head.find("\r\n") + 2;
  while (line < head.size()) {
    const size_t eol = head.find("\r\n", line);
    absl::string_view field(head.data() + line, eol - line);
    if (absl::StartsWithIgnoreCase(field, "content-length:")) {
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(field.substr(15)),
                            &content_length))
        return -1;
    }
    line = eol + 2;
  }
  const size_t total = head_end + 4 + content_length;
  while (buffer.size() < total) {
    const int rc = SSL_read(ssl, chunk, sizeof(chunk));
    if (rc <= 0)
      return -1;
    buffer.append(chunk, rc);
  }
  buffer.erase(0, total);
  return status;
}

// One connection: connect, handshake, then send this host's requests until
// the shared queue is empty.
void FloorConnection(SSL_CTX* ctx,
                     uint16_t port,
                     FloorHost* host,
                     std::atomic<int>* failures) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    ++*failures;
    return;
  }
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), host->host.c_str());
  X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl.get()), host->host.data(),
                              host->host.size());
  if (SSL_connect(ssl.get()) != 1) {
    ERR_print_errors_fp(stderr);
    close(fd);
    ++*failures;
    return;
  }
  std::string buffer;
  while (true) {
    const size_t i = host->next.fetch_add(1);
    if (i >= host->wire.size())
      break;
    if (!WriteAll(ssl.get(), host->wire[i]) ||
        ReadResponse(ssl.get(), buffer) != 204) {
      ++*failures;
      break;
    }
  }
  SSL_shutdown(ssl.get());
  close(fd);
}

bssl::UniquePtr<SSL_CTX> FloorContext(const std::string& ca_pem) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(ca_pem.data(), ca_pem.size()));
  bssl::UniquePtr<X509> root(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!root ||
      !X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), root.get())) {
    Die("cannot load the CA into the floor client");
  }
  return ctx;
}

RunResult RunFloor(const std::string& ca_pem,
                   HttpsTestServer& server,
                   const std::map<std::string, int>& connections_by_host) {
  bssl::UniquePtr<SSL_CTX> ctx = FloorContext(ca_pem);
  std::vector<std::unique_ptr<FloorHost>> hosts;
  for (int k = 0; k < kOrigins; ++k) {
    auto h = std::make_unique<FloorHost>();
    h->host = Host(k);
    for (int i = k; i < kRequests; i += kOrigins)
      h->wire.push_back(WireRequest(i));
    hosts.push_back(std::move(h));
  }
  std::atomic<int> failures{0};
  const size_t first_request = server.request_count();
  const uint64_t accepted_before = server.connections_accepted();
  RunResult result;
  std::vector<std::thread> threads;
  const double cpu0 = ProcessCpuMs();
  const absl::Time start_time = absl::Now();
  const auto start = std::chrono::steady_clock::now();
  for (auto& h : hosts) {
    auto it = connections_by_host.find(h->host);
    const int n = it == connections_by_host.end() ? 1 : std::max(1, it->second);
    for (int c = 0; c < n; ++c) {
      threads.emplace_back(FloorConnection, ctx.get(), server.port(), h.get(),
                           &failures);
    }
  }
  const size_t got =
      server.WaitForRequests(first_request + kRequests, kTimeout);
  result.ms = MsSince(start);
  result.cpu_ms = ProcessCpuMs() - cpu0;
  for (auto& t : threads)
    t.join();
  if (failures.load() != 0 || got < first_request + kRequests) {
    Die(absl::StrCat("floor: ", failures.load(), " failures, collector got ",
                     got - first_request));
  }
  Collect(server, first_request, accepted_before, start_time, result);
  return result;
}

// Lets the collector finish the previous run's connections (their threads
// exit and are reaped) so a run does not pay for its predecessor.
void Settle() {
  absl::SleepFor(absl::Milliseconds(200));
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--runs=", 7) == 0) {
      runs = std::max(1, std::atoi(argv[i] + 7));
    } else if (std::strcmp(argv[i], "--quick") == 0) {
      runs = 1;
    } else if (std::strcmp(argv[i], "--tsv") == 0) {
      bench_tsv::Begin();
    } else {
      std::fprintf(stderr,
                   "usage: flush_burst_bench [--runs=N | --quick] [--tsv]\n");
      return 2;
    }
  }
  auto ca = TestCertificateAuthority::Create();
  if (!ca.ok())
    Die(std::string(ca.status().message()));
  HttpsTestServer server(ca->get());
  if (!server.Start().ok())
    Die("collector did not start");

  std::printf(
      "flush burst: %d deferred GETs to %d origins, activated by closing the "
      "tab\n",
      kRequests, kOrigins);
  std::printf("collector: in-process HttpsTestServer on 127.0.0.1:%u\n\n",
              server.port());

  // Warm-up pair, and the check that both put the same requests on the wire.
  RunResult warm_stage = RunStage(**ca, server);
  Settle();
  RunResult warm_floor =
      RunFloor((*ca)->root_pem(), server, warm_stage.connections_by_host);
  const bool identical = warm_stage.fingerprints == warm_floor.fingerprints;
  std::printf(
      "warm-up: stage %.1f ms, floor %.1f ms; requests identical at the "
      "collector: %s\n\n",
      warm_stage.ms, warm_floor.ms, identical ? "yes" : "NO");
  if (!identical)
    Die("the floor client does not send what the stage sends");

  // "first": start -> first request complete at the collector (connect + TLS
  // + one request); "close": CloseTab() itself (records processed and handed
  // to the stage). All in ms.
  // "cpu": process CPU (client + collector) during the timed region; "loop":
  // the stage's event-loop thread alone. "conns": connections that carried
  // requests / connections the collector accepted.
  std::printf("%-3s | %6s %6s %6s %6s %6s %6s | %6s %6s %6s %6s | %6s\n", "run",
              "stage", "first", "close", "cpu", "loop", "conns", "floor",
              "first", "cpu", "conns", "ratio");
  std::vector<double> stage_ms, floor_ms, ratios, stage_first, floor_first,
      stage_close, stage_rest, floor_rest, stage_cpu, floor_cpu, loop_cpu;
  std::map<std::string, int> last_split;
  int stage_conns_min = 1 << 30, stage_conns_max = 0;
  for (int r = 0; r < runs; ++r) {
    Settle();
    RunResult s = RunStage(**ca, server);
    Settle();
    RunResult f = RunFloor((*ca)->root_pem(), server, s.connections_by_host);
    stage_ms.push_back(s.ms);
    floor_ms.push_back(f.ms);
    ratios.push_back(s.ms / f.ms);
    stage_first.push_back(s.first_ms);
    floor_first.push_back(f.first_ms);
    stage_close.push_back(s.close_ms);
    stage_cpu.push_back(s.cpu_ms);
    floor_cpu.push_back(f.cpu_ms);
    loop_cpu.push_back(s.loop_cpu_ms);
    stage_rest.push_back(s.ms - s.first_ms);
    floor_rest.push_back(f.ms - f.first_ms);
    stage_conns_min = std::min(stage_conns_min, TotalConnections(s));
    stage_conns_max = std::max(stage_conns_max, TotalConnections(s));
    last_split = s.connections_by_host;
    const std::string sc =
        absl::StrCat(TotalConnections(s), "/", s.connections_accepted);
    const std::string fc =
        absl::StrCat(TotalConnections(f), "/", f.connections_accepted);
    std::printf(
        "%-3d | %6.1f %6.1f %6.1f %6.1f %6.1f %6s | %6.1f %6.1f %6.1f %6s | "
        "%5.2fx\n",
        r + 1, s.ms, s.first_ms, s.close_ms, s.cpu_ms, s.loop_cpu_ms,
        sc.c_str(), f.ms, f.first_ms, f.cpu_ms, fc.c_str(), s.ms / f.ms);
  }
  const double sm = Median(stage_ms), fm = Median(floor_ms);
  std::string split;
  for (const auto& [host, n] : last_split)
    absl::StrAppend(&split, split.empty() ? "" : ", ", host, "=", n);
  std::printf("\n%-46s %9s %9s %8s\n", "medians over runs", "stage", "floor",
              "ratio");
  std::printf("%-46s %6.1f ms %6.1f ms %7.2fx\n",
              "close tab -> all 1,000 received", sm, fm, sm / fm);
  std::printf("%-46s %6.1f ms %6.1f ms %7.2fx\n",
              "  to the first request (connect + TLS)", Median(stage_first),
              Median(floor_first), Median(stage_first) / Median(floor_first));
  std::printf("%-46s %6.1f ms %6.1f ms %7.2fx\n", "  first -> last request",
              Median(stage_rest), Median(floor_rest),
              Median(stage_rest) / Median(floor_rest));
  std::printf("%-46s %6.1f ms\n", "  of which CloseTab() (synchronous)",
              Median(stage_close));
  std::printf("%-46s %6.1f ms %6.1f ms %7.2fx\n",
              "process CPU (client + collector)", Median(stage_cpu),
              Median(floor_cpu), Median(stage_cpu) / Median(floor_cpu));
  std::printf("%-46s %6.1f ms (%.0f%% of the stage's wall time)\n",
              "stage event-loop thread CPU", Median(loop_cpu),
              100 * Median(loop_cpu) / sm);
  std::printf("%-46s %7.2fx\n", "median of per-run ratios", Median(ratios));
  std::printf("%-46s %7.2fx  %s\n", "target: stage / floor <= 1.5x", sm / fm,
              sm / fm <= 1.5 ? "ok" : "OVER");
  std::printf("%-46s %d..%d (last run: %s)\n", "connections per stage run",
              stage_conns_min, stage_conns_max, split.c_str());
  std::printf("%-46s %6.0f /s %6.0f /s\n", "requests per second",
              kRequests / (sm / 1000), kRequests / (fm / 1000));

  auto ms = [](double v) { return bench_tsv::Fmt("%.1f ms", v); };
  auto x = [](double v) { return bench_tsv::Fmt("%.2fx", v); };
  bench_tsv::Row("close tab -> 1,000 received", ms(sm), ms(fm), x(sm / fm),
                 "<= 1.5x", bench_tsv::Verdict(sm / fm <= 1.5));
  bench_tsv::Row("  to first request (connect + TLS)", ms(Median(stage_first)),
                 ms(Median(floor_first)),
                 x(Median(stage_first) / Median(floor_first)), "-", "info");
  bench_tsv::Row("  first -> last request", ms(Median(stage_rest)),
                 ms(Median(floor_rest)),
                 x(Median(stage_rest) / Median(floor_rest)), "-", "info");
  bench_tsv::Row("process CPU (client + collector)", ms(Median(stage_cpu)),
                 ms(Median(floor_cpu)),
                 x(Median(stage_cpu) / Median(floor_cpu)), "-", "info");
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
