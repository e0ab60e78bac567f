// Benchmark: the cost of one fetchLater() call crossing the renderer -> browser
// gRPC interface, against a bare gRPC unary echo served by the same server over
// the same kind of channel, measured side by side in one run. Targets (issue):
//
//   - round trip of one fetchLater (stub -> browser -> reply): p50 and p99 at
//     most 1.3x the echo's (p99.9 shown next to them, as information: the
//     5th slowest of the default 5,000 calls);
//   - registrations per second with 8 concurrent renderer clients: at least
//     70% of the echo's calls per second.
//
// The browser runs in-process: a BrowserCore on a fake clock with a recording
// network stage, and one grpc::Server serving BOTH the browser's
// DeferredFetchHostService and an Echo service, so both measurements cross the
// same server and thread pool. Every channel is what the browser hands a
// renderer: a Unix socket pair whose server end is added with
// AddInsecureChannelFromFd and bound to the client's renderer host (each client
// has two: its RendererConnection's, and one for its echo and raw stubs). Setup
// (tabs, navigations) drives BrowserCore directly.
//
// Fairness: every echo request carries a payload of the same serialized size
// as the FetchLaterRequest it stands for, and the same `renderer-token`
// metadata, so both put the same bytes on the wire; the echo's reply is larger
// (the payload comes back; a FetchLaterResponse is a few bytes).
//
// Setup: client i has a tab at https://site<i>.test/ served with
// `Permissions-Policy: deferred-fetch-minimal=()` (640 KiB of quota), so each
// client is its own renderer (launch token, event stream) and quota group.
// Each fetchLater() is a GET of https://collector.test/b?i=N (the throughput
// runs spread over collector0..9.test: 10 x 64 KiB fill the 640 KiB, so a
// client can queue ~16,000 calls in one measurement). Quota is reset outside
// the timed region by re-navigating the tab to the same URL: the old document
// is destroyed (its queued requests go to the recording network stage, which
// also checks that every queued call was recorded) and the new one has fresh
// quota. Any call not answered QUEUED is counted and reported.
//
// Latency: one client, sequential calls, in blocks that alternate (rotating
// order) between
//   (a) Echo unary through a raw generated stub,
//   (b) RendererConnection::FetchLater (the full renderer path: steps 1-9,
//       message building, the RPC, the reply),
//   (c) the raw FetchLater RPC through the generated stub (messages built
//       before the block), to separate renderer-side cost from IPC + browser,
// plus two in-process splits without gRPC: the renderer's ValidateFetchLater
// (steps 1-9 + total request length) and BrowserCore::FetchLater (browser
// re-validation + quota + queueing).
//
// Throughput: 8 client threads, each with its own channel (echo) or its own
// RendererConnection (fetchLater), run for a fixed time; echo and fetchLater
// measurements alternate, 3 rounds; the median of each is compared.
//
//   bazel run -c opt //tools:ipc_bench -- [--quick | --calls=N --blocks=B
//       --seconds=S --rounds=R] [--tsv]
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/browser_core.h"
#include "browser/deferred_fetch_host_service.h"
#include "browser/renderer_host.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/server_posix.h"
#include "ipc/browser_control.grpc.pb.h"
#include "ipc/echo.grpc.pb.h"
#include "ipc/renderer_host.grpc.pb.h"
#include "net/clock.h"
#include "net/recording_network_stage.h"
#include "net/referrer.h"
#include "net/url.h"
#include "renderer/fetch_later.h"
#include "renderer/js_error.h"
#include "renderer/renderer_connection.h"
#include "renderer/request.h"
#include "tools/bench_tsv.h"

namespace fetch_later::tools {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kPermissionsPolicy[] = "deferred-fetch-minimal=()";
// Client ids the benchmark picks itself for raw and in-process calls; far
// above the RendererConnection's own counter, so they never collide with it in
// a document (a reused client id is a bad message).
constexpr uint64_t kRawClientIdBase = uint64_t{1} << 40;
constexpr uint64_t kCoreClientIdBase = uint64_t{2} << 40;

struct Config {
  int latency_calls = 5000;  // per kind, over all blocks
  int blocks = 10;
  double throughput_seconds = 2.0;
  int rounds = 3;
  int clients = 8;
  bool split = false;  // time the FetchLater handler inside the server
};

constexpr char kUsage[] =
    "usage: ipc_bench [--quick] [--calls=N] [--blocks=B] [--seconds=S] "
    "[--rounds=R]\n"
    "  Compares one fetchLater() round trip (renderer stub -> browser -> "
    "reply)\n"
    "  with a bare gRPC unary echo on the same server and channel kind, in "
    "one run.\n"
    "  --quick      tiny sizes, for a smoke check (numbers not meaningful)\n"
    "  --calls=N    sequential calls per kind for latency (default 5000)\n"
    "  --blocks=B   interleaved latency blocks (default 10)\n"
    "  --seconds=S  duration of each throughput measurement (default 2)\n"
    "  --rounds=R   echo/fetchLater throughput alternations (default 3)\n"
    "  --split      also time the FetchLater handler inside the server "
    "(diagnosis;\n"
    "               adds a wrapper to the measured path)\n"
    "  --tsv        only the figure rows on stdout, for tools/bench (the "
    "tables\n"
    "               go to stderr)\n"
    "  Build with -c opt.\n";

// The bare unary round trip to compare against: returns the payload.
class EchoService final : public ipc::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*,
                    const ipc::EchoRequest* request,
                    ipc::EchoReply* reply) override {
    reply->set_payload(request->payload());
    return grpc::Status::OK;
  }
};

// For `--split` only: the browser's DeferredFetchHostService behind a wrapper
// that times each FetchLater handler on the server thread, to tell the
// browser's share of a round trip (run cold, on a gRPC thread) from gRPC's.
// Owned by Bench; `inner` must outlive it.
class TimedHostService final : public ipc::DeferredFetchHost::Service {
 public:
  explicit TimedHostService(browser::DeferredFetchHostService* inner)
      : inner_(inner) {}

  grpc::Status FetchLater(grpc::ServerContext* context,
                          const ipc::FetchLaterRequest* request,
                          ipc::FetchLaterResponse* response) override {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = inner_->FetchLater(context, request, response);
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    absl::MutexLock lock(&mu_);
    handler_us_.push_back(us);
    return status;
  }
  grpc::Status QueryQuota(grpc::ServerContext* context,
                          const ipc::QueryQuotaRequest* request,
                          ipc::QueryQuotaResponse* response) override {
    return inner_->QueryQuota(context, request, response);
  }
  grpc::Status AbortFetchLater(
      grpc::ServerContext* context,
      const ipc::AbortFetchLaterRequest* request,
      ipc::AbortFetchLaterResponse* response) override {
    return inner_->AbortFetchLater(context, request, response);
  }
  grpc::Status WatchEvents(
      grpc::ServerContext* context,
      const ipc::WatchEventsRequest* request,
      grpc::ServerWriter<ipc::RendererEvent>* writer) override {
    return inner_->WatchEvents(context, request, writer);
  }

  std::vector<double> TakeHandlerMicros() {
    absl::MutexLock lock(&mu_);
    return std::move(handler_us_);
  }

 private:
  browser::DeferredFetchHostService* const inner_;  // Not owned.
  absl::Mutex mu_;
  std::vector<double> handler_us_ ABSL_GUARDED_BY(mu_);
};

std::string LatencyUrl(int n) {
  return absl::StrCat("https://collector.test/b?i=", n);
}

std::string ThroughputUrl(int n) {
  return absl::StrCat("https://collector", n % 10, ".test/b?i=", n);
}

// An EchoRequest whose serialized size equals `size` bytes (the size of the
// FetchLaterRequest it stands for).
ipc::EchoRequest EchoOfSize(size_t size) {
  ipc::EchoRequest request;
  for (size_t payload = size; payload > 0; --payload) {
    request.set_payload(std::string(payload, 'x'));
    if (request.ByteSizeLong() <= size)
      break;
  }
  return request;
}

struct Percentiles {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;  // p99.9: the 5th slowest of the default 5,000 calls
};

Percentiles PercentilesOf(std::vector<double> us) {
  if (us.empty())
    return {};
  std::sort(us.begin(), us.end());
  const size_t p99 = std::min(us.size() - 1, us.size() * 99 / 100);
  const size_t p999 = std::min(us.size() - 1, us.size() * 999 / 1000);
  return {us[us.size() / 2], us[p99], us[p999]};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

// The browser under test and its clients. Created once by Main(); owns
// everything it starts and stops it in reverse order on destruction.
class Bench {
 public:
  // A renderer client: a tab whose document it hosts, and its connection.
  struct Client {
    browser::NavigableId navigable;
    std::string url;
    browser::CommittedFrame frame;
    std::unique_ptr<renderer::RendererConnection> renderer;
    // A raw stub on its own channel, for echo and raw FetchLater calls.
    std::unique_ptr<ipc::Echo::Stub> echo;
    std::unique_ptr<ipc::DeferredFetchHost::Stub> host;
  };

  explicit Bench(Config config) : config_(config) {}
  ~Bench() {
    clients_.clear();  // closes the renderers' event streams
    if (server_ != nullptr)
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::seconds(1));
    server_.reset();
    core_.reset();
  }
  Bench(const Bench&) = delete;
  Bench& operator=(const Bench&) = delete;

  absl::Status Start() {
    browser::BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    core_ = std::make_unique<browser::BrowserCore>(options);
    host_service_ =
        std::make_unique<browser::DeferredFetchHostService>(core_.get());

    // No listening port: channels are added per client (Channel()).
    grpc::ServerBuilder builder;
    if (config_.split) {
      timed_service_ = std::make_unique<TimedHostService>(host_service_.get());
      builder.RegisterService(timed_service_.get());
    } else {
      builder.RegisterService(host_service_.get());
    }
    builder.RegisterService(&echo_service_);
    // As the browser's renderer server (browser_server.cc).
    builder.SetMaxReceiveMessageSize(ipc::MAX_MESSAGE_BYTES);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr)
      return absl::InternalError("cannot start the gRPC server");

    for (int i = 0; i < config_.clients; ++i) {
      auto client = std::make_unique<Client>();
      client->navigable = core_->CreateTab();
      client->url = absl::StrCat("https://site", i, ".test/");
      if (absl::Status s = Renavigate(*client, /*wait=*/false); !s.ok())
        return s;
      absl::StatusOr<std::unique_ptr<renderer::RendererConnection>> made =
          renderer::RendererConnection::Connect(
              Channel(client->frame.renderer_token),
              client->frame.renderer_token);
      if (!made.ok())
        return made.status();
      client->renderer = std::move(*made);
      if (!client->renderer->WaitForDocument(client->frame.document_token,
                                             absl::Seconds(5))) {
        return absl::DeadlineExceededError("renderer never saw its document");
      }
      auto channel = Channel(client->frame.renderer_token);
      client->echo = ipc::Echo::NewStub(channel);
      client->host = ipc::DeferredFetchHost::NewStub(channel);
      clients_.push_back(std::move(client));
    }
    return absl::OkStatus();
  }

  // Navigates the client's tab to its URL again: the old document (and its
  // queued deferred fetches) goes, the new one has the full quota.
  absl::Status Renavigate(Client& client, bool wait = true) {
    browser::NavigationParams params{*net::Url::Parse(client.url)};
    params.permissions_policy = kPermissionsPolicy;
    absl::StatusOr<browser::CommittedFrame> frame =
        core_->Navigate(client.navigable, params);
    if (!frame.ok())
      return frame.status();
    if (!client.frame.renderer_token.empty() &&
        frame->renderer_token != client.frame.renderer_token) {
      return absl::InternalError("re-navigation changed the renderer");
    }
    client.frame = *frame;
    if (wait && !client.renderer->WaitForDocument(client.frame.document_token,
                                                  absl::Seconds(5))) {
      return absl::DeadlineExceededError("renderer never saw its document");
    }
    return absl::OkStatus();
  }

  // The FetchLaterRequest RendererConnection sends for a GET of `url` with an
  // empty init (what the raw stub sends and what the echo is sized after).
  ipc::FetchLaterRequest RawMessage(const Client& client,
                                    const std::string& url,
                                    uint64_t client_id) {
    renderer::ClientContext context =
        *client.renderer->Document(client.frame.document_token);
    renderer::JsResult<renderer::ValidatedFetchLater> validated =
        renderer::ValidateFetchLater(renderer::RequestInfo(url), {}, context);
    ipc::FetchLaterRequest message;
    message.set_document_token(client.frame.document_token);
    message.set_method(validated->request.method());
    message.set_url(validated->request.url().Serialize());
    message.set_referrer_policy(
        std::string(net::ReferrerPolicyToString(context.referrer_policy)));
    message.set_total_request_length(
        renderer::TotalRequestLength(validated->request));
    message.set_client_id(client_id);
    return message;
  }

  std::unique_ptr<grpc::ClientContext> NewContext(const Client& client) const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata(browser::kRendererTokenMetadata,
                         client.frame.renderer_token);
    return context;
  }

  // A channel as the browser hands one to the renderer `renderer_token` names
  // (BrowserServer::OpenRendererChannel): a socket pair, the server's end added
  // to the server and bound to that renderer.
  std::shared_ptr<grpc::Channel> Channel(const std::string& renderer_token) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   ends) != 0) {
      return nullptr;
    }
    browser::RendererHost* host = core_->AuthenticateRenderer(renderer_token);
    if (host != nullptr)
      host_service_->BindChannel(absl::StrCat("fd:", ends[0]), host->id());
    grpc::AddInsecureChannelFromFd(server_.get(), ends[0]);
    return renderer::RendererConnection::ChannelFromFd(ends[1]);
  }

  browser::BrowserCore& core() { return *core_; }
  net::RecordingNetworkStage& network() { return network_; }
  std::vector<std::unique_ptr<Client>>& clients() { return clients_; }
  TimedHostService* timed_service() { return timed_service_.get(); }

 private:
  const Config config_;
  net::FakeClock clock_;
  net::RecordingNetworkStage network_;
  std::unique_ptr<browser::BrowserCore> core_;
  std::unique_ptr<browser::DeferredFetchHostService> host_service_;
  std::unique_ptr<TimedHostService> timed_service_;  // with --split only
  EchoService echo_service_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::unique_ptr<Client>> clients_;
};

// What the benchmark saw go wrong; printed, and the exit status.
struct Failures {
  std::atomic<int64_t> not_queued{0};  // fetchLater answered but not QUEUED
  std::atomic<int64_t> rpc_errors{0};
};

enum class Kind { kEcho, kStub, kRaw, kRendererSteps, kCoreDirect, kCount };

struct LatencyResult {
  Percentiles by_kind[static_cast<int>(Kind::kCount)];
  int64_t queued = 0;  // fetchLater calls answered QUEUED
};

// Runs `calls` sequential calls of `kind` from `client`, appending each call's
// time in us to `out`. Quota is reset (outside the timing) after any kind that
// queues.
absl::Status LatencyBlock(Bench& bench,
                          Bench::Client& client,
                          Kind kind,
                          int calls,
                          int* serial,
                          std::vector<double>* out,
                          Failures* failures,
                          int64_t* queued) {
  out->reserve(out->size() + calls);
  switch (kind) {
    case Kind::kEcho: {
      const ipc::EchoRequest request = EchoOfSize(
          bench.RawMessage(client, LatencyUrl(*serial), kRawClientIdBase)
              .ByteSizeLong());
      for (int i = 0; i < calls; ++i) {
        ipc::EchoReply reply;
        const auto start = Clock::now();
        auto context = bench.NewContext(client);
        grpc::Status status = client.echo->Echo(context.get(), request, &reply);
        out->push_back(MicrosSince(start));
        if (!status.ok())
          failures->rpc_errors++;
      }
      return absl::OkStatus();
    }
    case Kind::kStub: {
      std::vector<std::string> urls;
      for (int i = 0; i < calls; ++i)
        urls.push_back(LatencyUrl((*serial)++));
      const renderer::DeferredRequestInit init;
      for (int i = 0; i < calls; ++i) {
        const auto start = Clock::now();
        renderer::JsResult<renderer::FetchLaterResult> result =
            client.renderer->FetchLater(client.frame.document_token,
                                        renderer::RequestInfo(urls[i]), init);
        out->push_back(MicrosSince(start));
        if (result.ok())
          ++*queued;
        else
          failures->not_queued++;
      }
      break;
    }
    case Kind::kRaw: {
      std::vector<ipc::FetchLaterRequest> messages;
      for (int i = 0; i < calls; ++i) {
        messages.push_back(bench.RawMessage(client, LatencyUrl(*serial),
                                            kRawClientIdBase + *serial));
        ++*serial;
      }
      for (int i = 0; i < calls; ++i) {
        ipc::FetchLaterResponse response;
        const auto start = Clock::now();
        auto context = bench.NewContext(client);
        grpc::Status status =
            client.host->FetchLater(context.get(), messages[i], &response);
        out->push_back(MicrosSince(start));
        if (!status.ok())
          failures->rpc_errors++;
        else if (response.outcome() != ipc::QUEUED)
          failures->not_queued++;
        else
          ++*queued;
      }
      break;
    }
    case Kind::kRendererSteps: {
      // fetchLater() steps 1-9 and "total request length", as
      // RendererConnection::FetchLater runs them before the RPC (including its
      // copy of the document's settings object). Nothing is queued.
      const renderer::DeferredRequestInit init;
      for (int i = 0; i < calls; ++i) {
        const std::string url = LatencyUrl((*serial)++);
        const auto start = Clock::now();
        std::optional<renderer::ClientContext> context =
            client.renderer->Document(client.frame.document_token);
        renderer::JsResult<renderer::ValidatedFetchLater> validated =
            renderer::ValidateFetchLater(renderer::RequestInfo(url), init,
                                         *context);
        const uint64_t length =
            renderer::TotalRequestLength(validated->request);
        out->push_back(MicrosSince(start));
        if (length == 0)
          failures->not_queued++;
      }
      return absl::OkStatus();
    }
    case Kind::kCoreDirect: {
      // BrowserCore::FetchLater in-process: what the service does after gRPC
      // (authentication + re-validation + quota + queueing).
      std::vector<ipc::FetchLaterRequest> messages;
      for (int i = 0; i < calls; ++i) {
        messages.push_back(bench.RawMessage(client, LatencyUrl(*serial),
                                            kCoreClientIdBase + *serial));
        ++*serial;
      }
      for (int i = 0; i < calls; ++i) {
        const auto start = Clock::now();
        browser::RendererHost* host =
            bench.core().AuthenticateRenderer(client.frame.renderer_token);
        browser::BadMessageOr<ipc::FetchLaterResponse> response =
            bench.core().FetchLater(*host, messages[i]);
        out->push_back(MicrosSince(start));
        if (!response.ok() || response->outcome() != ipc::QUEUED)
          failures->not_queued++;
        else
          ++*queued;
      }
      break;
    }
    case Kind::kCount:
      break;
  }
  return bench.Renavigate(client);
}

absl::StatusOr<LatencyResult> MeasureLatency(Bench& bench,
                                             const Config& config,
                                             Failures* failures) {
  Bench::Client& client = *bench.clients()[0];
  constexpr int kKinds = static_cast<int>(Kind::kCount);
  std::vector<double> samples[kKinds];
  LatencyResult result;
  int serial = 0;
  // Warm up every path, then interleave: block b runs the kinds in an order
  // rotated by b, so drift and noise hit all of them alike.
  const int per_block = std::max(1, config.latency_calls / config.blocks);
  for (int k = 0; k < kKinds; ++k) {
    std::vector<double> ignored;
    int64_t queued = 0;
    if (absl::Status s = LatencyBlock(bench, client, static_cast<Kind>(k),
                                      std::min(per_block, 200), &serial,
                                      &ignored, failures, &queued);
        !s.ok())
      return s;
    result.queued += queued;
  }
  for (int b = 0; b < config.blocks; ++b) {
    for (int j = 0; j < kKinds; ++j) {
      const int k = (b + j) % kKinds;
      int64_t queued = 0;
      if (absl::Status s =
              LatencyBlock(bench, client, static_cast<Kind>(k), per_block,
                           &serial, &samples[k], failures, &queued);
          !s.ok())
        return s;
      result.queued += queued;
    }
  }
  for (int k = 0; k < kKinds; ++k)
    result.by_kind[k] = PercentilesOf(std::move(samples[k]));
  return result;
}

// Calls per second of `clients.size()` threads running `call(client, n)` for
// `seconds` after a common start.
double MeasureThroughput(std::vector<std::unique_ptr<Bench::Client>>& clients,
                         double seconds,
                         const std::function<void(Bench::Client&, int)>& call) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> total{0};
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, c = client.get()] {
      ready++;
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      int64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        call(*c, static_cast<int>(n));
        ++n;
      }
      total += n;
    });
  }
  while (ready.load() < static_cast<int>(clients.size()))
    std::this_thread::yield();
  const auto start = Clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (auto& t : threads)
    t.join();
  const double elapsed =
      std::chrono::duration<double>(Clock::now() - start).count();
  return total.load() / elapsed;
}

struct ThroughputResult {
  std::vector<double> echo_per_s;
  std::vector<double> fetch_later_per_s;
  int64_t queued = 0;
};

absl::StatusOr<ThroughputResult> MeasureThroughputRounds(Bench& bench,
                                                         const Config& config,
                                                         Failures* failures) {
  auto& clients = bench.clients();
  // Every client's URLs, built before timing (the echo loop builds nothing).
  constexpr int kUrls = 4096;
  std::vector<std::string> urls;
  for (int i = 0; i < kUrls; ++i)
    urls.push_back(ThroughputUrl(1000 + i));
  const ipc::EchoRequest echo_request = EchoOfSize(
      bench.RawMessage(*clients[0], urls[0], kRawClientIdBase).ByteSizeLong());
  std::atomic<int64_t> queued{0};
  const renderer::DeferredRequestInit init;
  auto echo_call = [&](Bench::Client& client, int) {
    ipc::EchoReply reply;
    auto context = bench.NewContext(client);
    if (!client.echo->Echo(context.get(), echo_request, &reply).ok())
      failures->rpc_errors++;
  };
  auto fetch_later_call = [&](Bench::Client& client, int n) {
    renderer::JsResult<renderer::FetchLaterResult> result =
        client.renderer->FetchLater(client.frame.document_token,
                                    renderer::RequestInfo(urls[n % kUrls]),
                                    init);
    if (result.ok())
      queued++;
    else
      failures->not_queued++;
  };

  ThroughputResult result;
  // Warm-up (short), then alternate; the order flips every round.
  MeasureThroughput(clients, config.throughput_seconds / 10, echo_call);
  MeasureThroughput(clients, config.throughput_seconds / 10, fetch_later_call);
  for (int r = 0; r < config.rounds; ++r) {
    for (int j = 0; j < 2; ++j) {
      const bool echo = (r + j) % 2 == 0;
      // Fresh documents (full quota) for every fetchLater measurement.
      for (auto& client : clients) {
        if (absl::Status s = bench.Renavigate(*client); !s.ok())
          return s;
      }
      if (echo) {
        result.echo_per_s.push_back(
            MeasureThroughput(clients, config.throughput_seconds, echo_call));
      } else {
        result.fetch_later_per_s.push_back(MeasureThroughput(
            clients, config.throughput_seconds, fetch_later_call));
      }
    }
  }
  for (auto& client : clients) {
    if (absl::Status s = bench.Renavigate(*client); !s.ok())
      return s;
  }
  result.queued = queued.load();
  return result;
}

void PrintRow(const char* figure,
              const std::string& measured,
              const std::string& reference,
              double ratio,
              const char* ratio_unit,
              const char* target,
              const char* verdict) {
  std::printf("%-46s %12s %12s %8.2f%-1s %9s  %s\n", figure, measured.c_str(),
              reference.c_str(), ratio, ratio_unit, target, verdict);
  bench_tsv::Row(
      figure, measured, reference,
      absl::StrCat(
          bench_tsv::Fmt(std::strcmp(ratio_unit, "%") == 0 ? "%.1f" : "%.2f",
                         ratio),
          ratio_unit),
      target, verdict);
}

std::string Us(double us) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f us", us);
  return buffer;
}

std::string PerSecond(double per_s) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.0f /s", per_s);
  return buffer;
}

int Main(int argc, char** argv) {
  Config config;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (std::strcmp(arg, "--split") == 0) {
      config.split = true;
    } else if (std::strcmp(arg, "--quick") == 0) {
      quick = true;
    } else if (std::strcmp(arg, "--tsv") == 0) {
      bench_tsv::Begin();
    } else if (std::strncmp(arg, "--calls=", 8) == 0) {
      config.latency_calls = std::max(10, std::atoi(arg + 8));
    } else if (std::strncmp(arg, "--blocks=", 9) == 0) {
      config.blocks = std::max(1, std::atoi(arg + 9));
    } else if (std::strncmp(arg, "--seconds=", 10) == 0) {
      config.throughput_seconds = std::max(0.05, std::atof(arg + 10));
    } else if (std::strncmp(arg, "--rounds=", 9) == 0) {
      config.rounds = std::max(1, std::atoi(arg + 9));
    } else {
      std::fprintf(stderr, "ipc_bench: unknown argument %s\n%s", arg, kUsage);
      return 2;
    }
  }
  if (quick) {
    config.latency_calls = 100;
    config.blocks = 2;
    config.throughput_seconds = 0.1;
    config.rounds = 1;
  }

#ifdef NDEBUG
  const char* build = "-c opt (NDEBUG)";
#else
  const char* build = "NOT -c opt: numbers are not meaningful";
#endif
  std::printf(
      "machine: %u hardware threads (nproc %ld); build %s; "
      "compare ratios, not absolute times\n",
      std::thread::hardware_concurrency(), sysconf(_SC_NPROCESSORS_ONLN),
      build);
  std::printf(
      "latency: %d calls per kind in %d interleaved blocks; throughput: %d "
      "clients, %.1f s x %d rounds%s\n",
      config.latency_calls, config.blocks, config.clients,
      config.throughput_seconds, config.rounds, quick ? " (--quick)" : "");

  Bench bench(config);
  if (absl::Status s = bench.Start(); !s.ok()) {
    std::fprintf(stderr, "ipc_bench: setup: %s\n", s.ToString().c_str());
    return 1;
  }
  {
    Bench::Client& client = *bench.clients()[0];
    const ipc::FetchLaterRequest message =
        bench.RawMessage(client, LatencyUrl(1234), kRawClientIdBase);
    std::printf(
        "server: in-process (DeferredFetchHost + Echo) over socket-pair "
        "channels; FetchLaterRequest %zu bytes serialized (total request "
        "length %llu), EchoRequest %zu bytes\n",
        message.ByteSizeLong(),
        static_cast<unsigned long long>(message.total_request_length()),
        EchoOfSize(message.ByteSizeLong()).ByteSizeLong());
  }

  Failures failures;
  absl::StatusOr<LatencyResult> latency =
      MeasureLatency(bench, config, &failures);
  if (!latency.ok()) {
    std::fprintf(stderr, "ipc_bench: latency: %s\n",
                 latency.status().ToString().c_str());
    return 1;
  }
  std::vector<double> handler_us;
  if (bench.timed_service() != nullptr)
    handler_us = bench.timed_service()->TakeHandlerMicros();
  absl::StatusOr<ThroughputResult> throughput =
      MeasureThroughputRounds(bench, config, &failures);
  if (!throughput.ok()) {
    std::fprintf(stderr, "ipc_bench: throughput: %s\n",
                 throughput.status().ToString().c_str());
    return 1;
  }

  const auto& by = latency->by_kind;
  const Percentiles echo = by[static_cast<int>(Kind::kEcho)];
  const Percentiles stub = by[static_cast<int>(Kind::kStub)];
  const Percentiles raw = by[static_cast<int>(Kind::kRaw)];
  const Percentiles steps = by[static_cast<int>(Kind::kRendererSteps)];
  const Percentiles direct = by[static_cast<int>(Kind::kCoreDirect)];
  auto verdict = [](bool ok) { return ok ? "ok" : "OVER"; };

  std::printf("\n%-46s %12s %12s %9s %9s  %s\n", "figure", "measured",
              "same-run ref", "ratio", "target", "");
  PrintRow("fetchLater round trip p50 (stub->browser)", Us(stub.p50_us),
           Us(echo.p50_us), stub.p50_us / echo.p50_us, "x", "<= 1.30x",
           verdict(stub.p50_us <= 1.3 * echo.p50_us));
  PrintRow("fetchLater round trip p99 (stub->browser)", Us(stub.p99_us),
           Us(echo.p99_us), stub.p99_us / echo.p99_us, "x", "<= 1.30x",
           verdict(stub.p99_us <= 1.3 * echo.p99_us));
  PrintRow("fetchLater round trip p99.9 (stub->browser)", Us(stub.p999_us),
           Us(echo.p999_us), stub.p999_us / echo.p999_us, "x", "-", "info");
  PrintRow("raw FetchLater RPC p50 (no renderer steps)", Us(raw.p50_us),
           Us(echo.p50_us), raw.p50_us / echo.p50_us, "x", "-", "info");
  PrintRow("raw FetchLater RPC p99 (no renderer steps)", Us(raw.p99_us),
           Us(echo.p99_us), raw.p99_us / echo.p99_us, "x", "-", "info");
  PrintRow("raw FetchLater RPC p99.9 (no renderer steps)", Us(raw.p999_us),
           Us(echo.p999_us), raw.p999_us / echo.p999_us, "x", "-", "info");
  const double echo_per_s = Median(throughput->echo_per_s);
  const double fetch_later_per_s = Median(throughput->fetch_later_per_s);
  char clients_figure[64];
  std::snprintf(clients_figure, sizeof(clients_figure),
                "registrations/s, %d renderer clients", config.clients);
  PrintRow(clients_figure, PerSecond(fetch_later_per_s), PerSecond(echo_per_s),
           100.0 * fetch_later_per_s / echo_per_s, "%", ">= 70%",
           verdict(fetch_later_per_s >= 0.7 * echo_per_s));

  std::printf("\nbreakdown (same run, no gRPC; p50 / p99 / p99.9):\n");
  std::printf("  %-52s %9s / %s / %s\n",
              "renderer: Document() + steps 1-9 + length",
              Us(steps.p50_us).c_str(), Us(steps.p99_us).c_str(),
              Us(steps.p999_us).c_str());
  std::printf("  %-52s %9s / %s / %s\n",
              "browser: auth + BrowserCore::FetchLater (in-process)",
              Us(direct.p50_us).c_str(), Us(direct.p99_us).c_str(),
              Us(direct.p999_us).c_str());
  if (!handler_us.empty()) {
    const Percentiles handler = PercentilesOf(std::move(handler_us));
    std::printf("  %-52s %9s / %s / %s\n",
                "--split: FetchLater handler on the server thread",
                Us(handler.p50_us).c_str(), Us(handler.p99_us).c_str(),
                Us(handler.p999_us).c_str());
  }
  std::printf("  %-52s %9s / %s / %s\n", "gRPC echo round trip (reference)",
              Us(echo.p50_us).c_str(), Us(echo.p99_us).c_str(),
              Us(echo.p999_us).c_str());
  std::printf("  %-52s %9.1f us\n", "residual: raw RPC - echo - browser (p50)",
              raw.p50_us - echo.p50_us - direct.p50_us);
  std::printf("  %-52s %9.1f us\n",
              "renderer side incl. stub: stub - raw RPC (p50)",
              stub.p50_us - raw.p50_us);
  std::printf("  throughput rounds, calls/s: echo");
  for (double v : throughput->echo_per_s)
    std::printf(" %.0f", v);
  std::printf("; fetchLater");
  for (double v : throughput->fetch_later_per_s)
    std::printf(" %.0f", v);
  std::printf("\n");

  // Every queued call must reach the network stage when its document goes.
  const int64_t queued = latency->queued + throughput->queued;
  const size_t sent = bench.network().WaitForSent(queued, absl::Seconds(5));
  std::printf(
      "checks: %lld calls queued, %zu sent by the recording stage, %lld "
      "not queued, %lld RPC errors, %zu bad messages\n",
      static_cast<long long>(queued), sent,
      static_cast<long long>(failures.not_queued.load()),
      static_cast<long long>(failures.rpc_errors.load()),
      bench.core().bad_messages().size());
  const bool clean = failures.not_queued.load() == 0 &&
                     failures.rpc_errors.load() == 0 &&
                     bench.core().bad_messages().empty() &&
                     sent == static_cast<size_t>(queued);
  if (!clean)
    std::printf("ipc_bench: FAILED checks (see above)\n");
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  return fetch_later::tools::Main(argc, argv);
}
