// libFuzzer target: the renderer-facing host interface (DeferredFetchHost) of
// the trusted browser, in process: BrowserCore on a FakeClock (no timer
// thread), a network stage of this file's own, no sockets, and no thread per
// input. The core is called exactly as the gRPC adapter calls it (BrowserCore
// reports a bad message itself, cutting the renderer off, and answers the
// BadMessage; browser/deferred_fetch_host_service.cc only translates it).
//
// One browser (a World) serves many inputs: it is built once with an honest
// renderer (https://honest.test, one pending fetch) and rebuilt after
// kInputsPerWorld inputs or once kMaxBadMessagesPerWorld bad messages were
// recorded (hosts and bad-message records are kept for the browser's life).
// Between inputs the state is reset cheaply: the attacker's tabs are closed
// (every attacker document destroyed, its pending fetches handed over), the
// honest renderer's extra fetch is aborted, the renderers' event queues are
// drained and the stage's records cleared, so every input starts from the
// same frame tree and quota state. A finding is reproduced by running its
// input alone (a fresh World).
//
// An input is a sequence of at most kMaxOperations operations. The attacker
// tab starts on https://a.test/ (policy chosen by the input) with a
// cross-site iframe https://b.test/ (`allow` chosen by the input): two
// attacker renderers, A and B. Renderer messages (FetchLaterRequest,
// QueryQuotaRequest, AbortFetchLaterRequest, StepResult) come from either,
// usually for a document it hosts, sometimes for another's, sometimes from a
// renderer already cut off (a message the adapter authenticated just before
// the cut-off). Each is built with protobuf reflection: a valid-looking
// template (a real document token, a plausible URL), then input-chosen field
// edits from a dictionary of tokens, URLs, methods, headers and limit-sized
// blobs, or raw bytes, with `total_request_length` usually fixed up so
// validation passes and the quota paths are reached. Between them come
// browser-side events: navigation (top level or iframe, into the bfcache or
// not), iframe creation and removal, bfcache restore, renderer crash, hiding,
// clock advance, a new or closed tab, and page steps (a driver thread, made
// once per World, runs the step; this thread answers for the renderer).
//
// Invariants checked after every operation (a violation aborts, printing
// "INVARIANT VIOLATED"):
//  I1 every quota group's running totals (FrameTree::
//     QuotaGroupTotalsForTesting) equal this harness's own sum of the pending
//     records it saw QUEUED, overall and per request origin (bytes and record
//     count), and its reserved bytes and minimal-reservation count equal the
//     sum over the iframes' containers; the pending total fits the pool (640
//     KiB at the top level, the container's reservation for an iframe group);
//  I2 no (quota group, request origin) pending total above 64 KiB;
//  I3 at most 16 minimal (8 KiB) reservations per top-level group;
//  I4 every pending record belongs to a live (or bfcached) document, and the
//     tree's PendingCount() equals the records this harness saw QUEUED that
//     are still pending (no record appears from nowhere);
//  I5 nothing non-HTTPS reaches the network: every request handed to the
//     network stage has a URL that parses again from its serialisation, is
//     http(s) and potentially trustworthy (plain http only for localhost and
//     loopback, which the HTTPS-only stage refuses, as the real one does); it
//     is a record this harness saw QUEUED (or sent at once), handed over once
//     and never after an abort, and only records that were handed over or
//     aborted stop being pending;
//  I6 a renderer call answers a response or a BadMessage; a BadMessage has a
//     named reason, was recorded (one new record, naming the sender, the same
//     reason and detail) and the sender is cut off;
//  I7 a cut-off renderer (bad message or crash) never queues again: no call
//     from it is answered QUEUED and its token no longer authenticates;
//  I8 the honest renderer is never cut off, its fetch stays pending, and at
//     the end of every input its next fetchLater() is QUEUED with its quota
//     exact to the byte; once the attacker's tabs are closed only its record
//     is pending and only its document is active for the network stage.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "browser/bad_message.h"
#include "browser/browser_core.h"
#include "browser/deferred_fetch_quota.h"
#include "browser/frame_tree.h"
#include "browser/renderer_host.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "ipc/page_step.pb.h"
#include "ipc/renderer_host.pb.h"
#include "net/clock.h"
#include "net/network_stage.h"
#include "net/origin.h"
#include "net/url.h"
#include "tests/fuzz/fuzz_input.h"

namespace fetch_later::fuzz {
namespace {

namespace b = ::fetch_later::browser;
namespace pb = ::google::protobuf;

[[noreturn]] void Violated(const std::string& what) {
  std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what.c_str());
  std::abort();
}

constexpr char kHonestPage[] = "https://honest.test/";
constexpr char kHonestPending[] = "https://honest.test/pending";
constexpr char kHonestAfter[] = "https://honest.test/after";
// The attacker tab's first document and its cross-site iframe: renderers A, B.
constexpr char kAttackerTop[] = "https://a.test/";
constexpr char kAttackerIframe[] = "https://b.test/";

// Operations per input: enough for a few browser events between messages.
constexpr int kMaxOperations = 32;
// A World is rebuilt after this many inputs, or once this many bad messages
// were recorded in it (BrowserCore keeps every cut-off host and record).
constexpr int kInputsPerWorld = 2000;
constexpr size_t kMaxBadMessagesPerWorld = 64;

// Pages the control side navigates to (all parse).
const std::vector<std::string>& Pages() {
  static const auto* v = new std::vector<std::string>{
      "https://a.test/",       "https://a.test/page2",
      "https://b.test/",       "https://sub.a.test/",
      "https://c.test:8443/x", "http://localhost:8080/",
      "http://127.0.0.1/",     "https://xn--mnchen-3ya.de/",
      "about:blank",           "data:text/html,x",
      "http://insecure.test/", "https://a.test/?q#f",
  };
  return *v;
}

const std::vector<std::string>& Policies() {
  static const auto* v = new std::vector<std::string>{
      "",
      "deferred-fetch=()",
      "deferred-fetch=*",
      "deferred-fetch=(self)",
      "deferred-fetch=(self \"https://b.test\")",
      "deferred-fetch-minimal=()",
      "deferred-fetch-minimal=*, deferred-fetch=*",
      "deferred-fetch=(\"https://a.test\"), deferred-fetch-minimal=(self)",
      "deferred-fetch=",
      "deferred-fetch=self,,",
  };
  return *v;
}

const std::vector<std::string>& Allows() {
  static const auto* v = new std::vector<std::string>{
      "",
      "deferred-fetch",
      "deferred-fetch 'none'",
      "deferred-fetch-minimal 'none'",
      "deferred-fetch *; deferred-fetch-minimal *",
      "deferred-fetch 'src'; deferred-fetch-minimal 'none'",
      "deferred-fetch https://b.test",
      "deferred-fetch-minimal 'self'",
  };
  return *v;
}

// Plausible request URLs (serialised, so "total request length" is their
// byte count) and some that are not.
const std::vector<std::string>& Urls() {
  static const auto* v = new std::vector<std::string>{
      "https://a.test/x",
      "https://a.test/",
      "https://b.test/beacon",
      "https://c.test:8443/x",
      "https://sub.a.test/y",
      "https://honest.test/x",
      "http://localhost/",
      "http://localhost:8080/p",
      "http://127.0.0.1/",
      "http://[::1]/",
      "http://a.localhost/",
      "http://insecure.test/",
      "http://a.test/",
      "https://xn--mnchen-3ya.de/",
      "https://m\xc3\xbcnchen.de/",
      "https://user:pw@a.test/",
      "https://a.test/%2e%2e/x",
      "HTTPS://A.TEST/x",
      "/relative",
      "",
      "data:,x",
      "blob:https://a.test/uuid",
      "about:blank",
      "file:///etc/passwd",
      "javascript:alert(1)",
      "wss://a.test/",
      "ftp://a.test/",
      "https://a.test/#frag",
      "https://[::1]:0/",
      "https://0x7f.1/",
      "https:a.test",
      "https://a.test/\x00",
  };
  return *v;
}

const std::vector<std::string>& Methods() {
  static const auto* v = new std::vector<std::string>{
      "GET",   "POST",  "PUT",          "DELETE", "HEAD",  "OPTIONS",
      "PATCH", "get",   "CONNECT",      "TRACE",  "TRACK", "G ET",
      "",      "G\x7f", "POST\r\nX: y", "MKCOL",  "QUERY"};
  return *v;
}

const std::vector<std::string>& HeaderNames() {
  static const auto* v = new std::vector<std::string>{"Content-Type",
                                                      "Accept",
                                                      "X-Foo",
                                                      "Cookie",
                                                      "Host",
                                                      "Content-Length",
                                                      "Sec-Fetch-Mode",
                                                      "Proxy-Foo",
                                                      "Referer",
                                                      "Origin",
                                                      "bad name",
                                                      "",
                                                      "X-\xff",
                                                      "Accept-Charset",
                                                      "Connection",
                                                      "Keep-Alive",
                                                      "X-HTTP-Method-Override",
                                                      "Range",
                                                      "Transfer-Encoding",
                                                      "TE"};
  return *v;
}

const std::vector<std::string>& HeaderValues() {
  static const auto* v =
      new std::vector<std::string>{"text/plain;charset=UTF-8",
                                   "application/octet-stream",
                                   "*/*",
                                   "1",
                                   "a\r\nb: c",
                                   " x ",
                                   "",
                                   "\x00",
                                   "TRACE",
                                   "bytes=0-",
                                   "chunked",
                                   "multipart/form-data; boundary=x",
                                   "\xc3\xa9"};
  return *v;
}

const std::vector<std::string>& ReferrerPolicies() {
  static const auto* v =
      new std::vector<std::string>{"",
                                   "no-referrer",
                                   "no-referrer-when-downgrade",
                                   "origin",
                                   "origin-when-cross-origin",
                                   "same-origin",
                                   "strict-origin",
                                   "strict-origin-when-cross-origin",
                                   "unsafe-url",
                                   "Unsafe-URL",
                                   "bogus"};
  return *v;
}

uint64_t InterestingU64(FuzzInput& in) {
  static const uint64_t kValues[] = {0,
                                     1,
                                     2,
                                     7,
                                     16,
                                     19,
                                     255,
                                     1024,
                                     8191,
                                     8192,
                                     65535,
                                     65536,
                                     65537,
                                     131072,
                                     655360,
                                     0x7fffffffULL,
                                     0xffffffffULL,
                                     0x100000000ULL,
                                     0x7fffffffffffffffULL,
                                     0xffffffffffffffffULL};
  if (in.Bool())
    return kValues[in.Index(sizeof(kValues) / sizeof(kValues[0]))];
  return in.U64();
}

double InterestingDouble(FuzzInput& in) {
  static const double kValues[] = {0.0,
                                   -0.0,
                                   1.0,
                                   -1.0,
                                   0.5,
                                   1000.0,
                                   60000.0,
                                   1e300,
                                   -1e300,
                                   1e-300,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::numeric_limits<double>::quiet_NaN(),
                                   9007199254740993.0,
                                   18446744073709551616.0};
  if (in.Bool())
    return kValues[in.Index(sizeof(kValues) / sizeof(kValues[0]))];
  uint64_t bits = in.U64();
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// A URL that is known to parse, parsed once.
const net::Url& ParsedOnce(const char* url) {
  static auto* parsed = new std::map<std::string, net::Url>;
  auto it = parsed->find(url);
  if (it == parsed->end())
    it = parsed->emplace(url, *net::Url::Parse(url)).first;
  return it->second;
}

// Pages() parsed once (navigation parameters take parsed URLs).
const std::vector<net::Url>& PageUrls() {
  static const auto* v = [] {
    auto* urls = new std::vector<net::Url>;
    for (const std::string& page : Pages())
      urls->push_back(*net::Url::Parse(page));
    return urls;
  }();
  return *v;
}

// The network stage of a World: records every request the browser hands over
// (I5 is checked on them by the Harness, once each) and which network
// isolation keys have a fully active document; it sends nothing (the real
// stage refuses whatever is not https). Owned by the World; BrowserCore calls
// it on the thread that changed the frame tree.
class HandoffStage : public net::NetworkStage {
 public:
  void Send(net::OutgoingRequest request) override {
    absl::MutexLock lock(&mu_);
    handed_.push_back(Handed{request.id, std::move(request.url)});
  }
  void OnInitiatorGone(uint64_t request_id) override {}
  void OnDocumentActive(const net::NetworkIsolationKey& key) override {
    absl::MutexLock lock(&mu_);
    ++active_[key];
  }
  void OnDocumentInactive(const net::NetworkIsolationKey& key) override {
    absl::MutexLock lock(&mu_);
    if (--active_[key] == 0)
      active_.erase(key);
  }

  // What the browser handed over since Clear(), in order.
  struct Handed {
    uint64_t id = 0;
    net::Url url;
  };
  std::vector<Handed> HandedFrom(size_t from) {
    absl::MutexLock lock(&mu_);
    return std::vector<Handed>(handed_.begin() + std::min(from, handed_.size()),
                               handed_.end());
  }
  absl::flat_hash_map<net::NetworkIsolationKey, int> active() {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  // Between inputs: the hand-overs were checked.
  void Clear() {
    absl::MutexLock lock(&mu_);
    handed_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<Handed> handed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<net::NetworkIsolationKey, int> active_
      ABSL_GUARDED_BY(mu_);
};

// The driver side of a page step: BrowserCore::RunPageStep blocks until the
// renderer answers, and in process the renderer is the fuzzing thread, so the
// step runs on this one thread, started on the World's first page step and
// joined when the World goes. Start() hands it a step, Finish() waits for the
// result.
class StepDriver {
 public:
  explicit StepDriver(b::BrowserCore* core) : core_(core) {}
  ~StepDriver() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable())
      thread_.join();
  }
  StepDriver(const StepDriver&) = delete;
  StepDriver& operator=(const StepDriver&) = delete;

  void Start(std::string document_token, ipc::PageStep step) {
    if (!thread_.joinable())
      thread_ = std::thread([this] { Loop(); });
    absl::MutexLock lock(&mu_);
    token_ = std::move(document_token);
    step_ = std::move(step);
    result_.reset();
    has_work_ = true;
  }
  bool Finished() {
    absl::MutexLock lock(&mu_);
    return result_.has_value();
  }
  absl::StatusOr<ipc::StepResult> Finish() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &StepDriver::HasResult));
    return *std::move(result_);
  }

 private:
  void Loop() {
    while (true) {
      std::string token;
      ipc::PageStep step;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &StepDriver::HasWorkOrStopping));
        if (stopping_)
          return;
        has_work_ = false;
        token = token_;
        step = step_;
      }
      // A step nobody answers ends after 20 s: the input is then reported
      // as a timeout (-timeout=25).
      absl::StatusOr<ipc::StepResult> result =
          core_->RunPageStep(token, std::move(step), absl::Seconds(20));
      absl::MutexLock lock(&mu_);
      result_ = std::move(result);
    }
  }

  bool HasResult() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return result_.has_value();
  }
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return has_work_ || stopping_;
  }

  b::BrowserCore* const core_;  // Not owned; outlives this.
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  ipc::PageStep step_ ABSL_GUARDED_BY(mu_);
  bool has_work_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::StatusOr<ipc::StepResult>> result_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// One browser serving many inputs: the core on a fake clock, its network
// stage, the honest renderer's tab with its one pending fetch, and the page
// step driver. Built by LLVMFuzzerTestOneInput when there is none or the last
// one is worn out; lives until the next is built (or the process ends).
struct World {
  World() {
    b::BrowserCore::Options options;
    options.network_stage = &stage;
    options.clock = &clock;
    options.fake_clock = &clock;
    core = std::make_unique<b::BrowserCore>(options);
    driver = std::make_unique<StepDriver>(core.get());

    honest_tab = core->CreateTab();
    auto frame = core->Navigate(
        honest_tab, b::NavigationParams{*net::Url::Parse(kHonestPage)});
    if (!frame.ok())
      Violated("honest navigation failed");
    honest = *frame;
    honest_host = core->AuthenticateRenderer(honest.renderer_token);
    ipc::FetchLaterRequest m = HonestGet(kHonestPending, 1);
    auto r = core->FetchLater(*honest_host, m);
    if (!r.ok() || r->outcome() != ipc::QUEUED)
      Violated("honest fetchLater not QUEUED at start");
    honest_bytes = static_cast<int64_t>(r->requested());
    std::optional<b::DeferredFetchId> id =
        honest_host->FindFetch(honest.document_token, 1);
    if (!id || !core->frame_tree().IsPending(*id))
      Violated("honest fetchLater QUEUED but not pending");
    honest_record = *id;
    honest_origin_key = b::ReportingOriginKey(
        net::Origin::Create(*net::Url::Parse(kHonestPending)));
    honest_network_keys = stage.active();
    stage.Clear();
  }

  ~World() {
    driver.reset();
    // Closing every tab hands every pending record over.
    core->CloseAllTabs();
    if (core->frame_tree().PendingCount() != 0)
      Violated("records still pending after every tab closed");
  }

  ipc::FetchLaterRequest HonestGet(const std::string& url,
                                   uint64_t client_id) const {
    ipc::FetchLaterRequest m;
    m.set_document_token(honest.document_token);
    m.set_method("GET");
    m.set_url(url);
    m.set_client_id(client_id);
    m.set_total_request_length(url.size());
    return m;
  }

  bool WornOut() const {
    return inputs >= kInputsPerWorld || bad_messages >= kMaxBadMessagesPerWorld;
  }

  net::FakeClock clock;
  HandoffStage stage;
  std::unique_ptr<b::BrowserCore> core;
  std::unique_ptr<StepDriver> driver;

  b::NavigableId honest_tab;
  b::CommittedFrame honest;
  b::RendererHost* honest_host = nullptr;  // Owned by `core`.
  b::DeferredFetchId honest_record;
  int64_t honest_bytes = 0;
  std::string honest_origin_key;
  // The keys with a fully active document when no attacker tab is open.
  absl::flat_hash_map<net::NetworkIsolationKey, int> honest_network_keys;
  // Client ids the honest renderer has used (each input's check takes one).
  uint64_t next_honest_client_id = 2;
  // Bad messages recorded so far, inputs run so far.
  size_t bad_messages = 0;
  int inputs = 0;
};

// A document the control side committed.
struct KnownFrame {
  b::CommittedFrame frame;
  int tab = -1;                                    // index into Harness::tabs_
  std::optional<b::NavigableId> container_parent;  // set for iframes
};

// A record this harness saw QUEUED.
struct Tracked {
  b::DocumentId document;
  std::string origin_key;  // ReportingOriginKey() of the request URL's origin
  int64_t bytes = 0;
  bool pending = true;
  bool handed_over = false;
  bool aborted = false;
  bool honest = false;
};

// One input's run against a World: sets up the attacker tab, runs the
// operations, checks the invariants after each, then resets the World for the
// next input. Lives for one LLVMFuzzerTestOneInput call, on its thread.
class Harness {
 public:
  Harness(World& world, FuzzInput& in)
      : world_(world), in_(in), core_(*world.core) {
    bad_message_count_ = world_.bad_messages;
    Tracked honest;
    honest.document = world_.honest.document;
    honest.origin_key = world_.honest_origin_key;
    honest.bytes = world_.honest_bytes;
    honest.honest = true;
    tracked_[world_.honest_record] = honest;
  }

  void Run() {
    SetUpAttacker();
    CheckInvariants("attacker tab on a.test with an iframe on b.test");
    int ops = 0;
    while (!in_.empty() && ops++ < kMaxOperations) {
      const uint8_t op = in_.Byte();
      std::string what;
      last_message_.reset();
      switch (op % 24) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
        case 23:
          what = SendFetchLater();
          break;
        case 7:
        case 8:
          what = SendQueryQuota();
          break;
        case 9:
        case 10:
          what = SendAbort();
          break;
        case 11:
          // A real page step hands work to the driver thread and back (three
          // thread wake-ups, each a scheduler delay on a busy machine): one
          // in four; the others answer a step that is not in flight.
          what = in_.Byte() % 4 == 0 ? PageStep() : SendStepResult();
          break;
        case 12:
          what = NavigateTab();
          break;
        case 13:
        case 14:
          what = CreateIframe();
          break;
        case 15:
          what = RemoveIframe();
          break;
        case 16:
          what = RestoreFromBfcache();
          break;
        case 17:
          what = CloseTab();
          break;
        case 18:
          what = AdvanceClock();
          break;
        case 19:
          what = CrashRenderer();
          break;
        case 20:
          what = SetHidden();
          break;
        case 21:
          what = NewTab();
          break;
        case 22:
          what = NavigateIframe();
          break;
      }
      CheckInvariants(what);
    }
    FinalHonestCheck();
    Reset();
  }

 private:
  // ---------------------------------------------------------- set-up, reset
  // The attacker tab: a.test (renderer A) with a cross-site iframe on b.test
  // (renderer B), the policy and `allow` chosen by the input.
  void SetUpAttacker() {
    const b::NavigableId tab = core_.CreateTab();
    tabs_.push_back(tab);
    b::NavigationParams top{ParsedOnce(kAttackerTop)};
    top.permissions_policy = in_.Pick(Policies());
    auto f = core_.Navigate(tab, top);
    if (!f.ok())
      Violated("the attacker's first navigation failed");
    AddFrame(*f, 0);
    b::IframeParams iframe{in_.Pick(Allows()), std::nullopt,
                           b::NavigationParams{ParsedOnce(kAttackerIframe)}};
    iframe.navigation.initiator = b::NavigationInitiator::kParent;
    auto i = core_.CreateIframe(f->document_token, iframe);
    if (!i.ok())
      Violated("the attacker's iframe failed");
    AddFrame(*i, 0, i->navigable);
    iframes_.push_back({i->navigable, f->document});
  }

  // I8, at the end of every input: the honest renderer still gets exact
  // quota and is QUEUED; its extra fetch is then aborted again.
  void FinalHonestCheck() {
    b::RendererHost& honest = *world_.honest_host;
    if (honest.terminated())
      Fail("the honest renderer was cut off");
    static const net::Origin* const kHonestOrigin =
        new net::Origin(net::Origin::Create(ParsedOnce(kHonestPage)));
    auto quota =
        core_.AvailableQuota(world_.honest.document_token, *kHonestOrigin);
    const int64_t exact = b::kQuotaPerRequestOrigin - world_.honest_bytes;
    if (!quota.ok() || *quota != exact)
      Fail(absl::StrCat(
          "honest quota not exact: ",
          quota.ok() ? absl::StrCat(*quota) : quota.status().ToString()));
    const uint64_t client_id = world_.next_honest_client_id++;
    ipc::FetchLaterRequest m = world_.HonestGet(kHonestAfter, client_id);
    auto r = core_.FetchLater(honest, m);
    if (!r.ok() || r->outcome() != ipc::QUEUED ||
        static_cast<int64_t>(r->quota()) != exact ||
        r->requested() != m.url().size())
      Fail("honest fetchLater after the attack not QUEUED with exact quota");
    RecordQueued(honest, m, *r, /*honest=*/true, /*was_cut_off=*/false);
    CheckInvariants("honest fetchLater after the attack");
    ipc::AbortFetchLaterRequest abort;
    abort.set_document_token(world_.honest.document_token);
    abort.set_client_id(client_id);
    std::optional<b::DeferredFetchId> id =
        honest.FindFetch(abort.document_token(), client_id);
    auto a = core_.AbortFetchLater(honest, abort);
    if (!a.ok() || !a->was_pending() || !id)
      Fail("the honest renderer could not abort its own fetch");
    tracked_[*id].aborted = true;
    CheckInvariants("honest abort");
  }

  // Closes the attacker's tabs and leaves the World as the next input expects
  // it: only the honest record pending, only the honest document active for
  // the network stage, no events queued, the stage's records cleared.
  void Reset() {
    for (b::NavigableId tab : tabs_)
      (void)core_.CloseTab(tab);
    CheckInvariants("close the attacker's tabs");
    if (core_.frame_tree().PendingCount() != 1 ||
        !core_.frame_tree().IsPending(world_.honest_record))
      Fail(
          "after the attacker's tabs closed, more than the honest record "
          "is pending");
    if (world_.stage.active() != world_.honest_network_keys)
      Fail(
          "after the attacker's tabs closed, the network stage still has "
          "fully active documents other than the honest one");
    for (b::RendererHost* host : hosts_)
      while (host->PopEvent(absl::ZeroDuration())) {
      }
    while (world_.honest_host->PopEvent(absl::ZeroDuration())) {
    }
    world_.stage.Clear();
    world_.bad_messages = bad_message_count_;
    ++world_.inputs;
  }

  // ------------------------------------------------------------ lifecycle
  void AddFrame(const b::CommittedFrame& f,
                int tab,
                std::optional<b::NavigableId> parent = std::nullopt) {
    frames_.push_back(KnownFrame{f, tab, parent});
    tokens_.push_back(f.document_token);
    renderer_tokens_.push_back(f.renderer_token);
    if (b::RendererHost* host = core_.AuthenticateRenderer(f.renderer_token)) {
      bool known = false;
      for (b::RendererHost* h : hosts_)
        known |= h == host;
      if (!known)
        hosts_.push_back(host);
    }
  }

  b::NavigationParams Navigation() {
    b::NavigationParams p{in_.Pick(PageUrls())};
    const int redirects = in_.Byte() % 4 == 0 ? 1 + in_.Byte() % 2 : 0;
    for (int i = 0; i < redirects; ++i)
      p.redirects.push_back(in_.Pick(PageUrls()));
    p.permissions_policy = in_.Pick(Policies());
    return p;
  }

  std::string NewTab() {
    if (tabs_.size() >= 3)
      return "NewTab (limit)";
    const b::NavigableId tab = core_.CreateTab();
    tabs_.push_back(tab);
    b::NavigationParams p = Navigation();
    auto f = core_.Navigate(tab, p);
    if (f.ok())
      AddFrame(*f, static_cast<int>(tabs_.size()) - 1);
    return "NewTab " + p.url.Serialize();
  }

  std::string NavigateTab() {
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    b::NavigationParams p = Navigation();
    p.enter_bfcache = in_.Bool();
    auto f = core_.Navigate(tabs_[t], p);
    if (f.ok())
      AddFrame(*f, t);
    return absl::StrCat("Navigate tab ", t, " ", p.url.Serialize(),
                        p.enter_bfcache ? " (bfcache)" : "");
  }

  std::string CreateIframe() {
    if (frames_.empty() || frames_.size() > 40)
      return "CreateIframe (none)";
    const KnownFrame parent = frames_[in_.Index(frames_.size())];
    b::IframeParams p{in_.Pick(Allows()), std::nullopt, Navigation()};
    if (in_.Byte() % 4 == 0)
      p.sandbox = in_.Bool() ? "" : "allow-same-origin";
    p.navigation.initiator = b::NavigationInitiator::kParent;
    auto f = core_.CreateIframe(parent.frame.document_token, p);
    if (f.ok()) {
      AddFrame(*f, parent.tab, f->navigable);
      iframes_.push_back({f->navigable, parent.frame.document});
    }
    return "CreateIframe in " + parent.frame.document_token.substr(0, 6) +
           " allow=" + p.allow;
  }

  std::string NavigateIframe() {
    if (iframes_.empty())
      return CreateIframe();
    const auto& iframe = iframes_[in_.Index(iframes_.size())];
    b::NavigationParams p = Navigation();
    p.initiator = in_.Bool() ? b::NavigationInitiator::kParent
                             : b::NavigationInitiator::kSelf;
    auto f = core_.Navigate(iframe.first, p);
    if (f.ok()) {
      int tab = -1;
      for (const KnownFrame& k : frames_)
        if (k.frame.navigable == iframe.first)
          tab = k.tab;
      AddFrame(*f, tab, iframe.first);
    }
    return "NavigateIframe " + p.url.Serialize();
  }

  std::string RemoveIframe() {
    if (iframes_.empty())
      return "RemoveIframe (none)";
    const auto& iframe = iframes_[in_.Index(iframes_.size())];
    (void)core_.RemoveIframe(iframe.first);
    return "RemoveIframe";
  }

  std::string RestoreFromBfcache() {
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    auto f = core_.RestoreFromBfcache(tabs_[t]);
    return absl::StrCat("RestoreFromBfcache tab ", t,
                        f.ok() ? "" : " (failed)");
  }

  std::string CloseTab() {
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    (void)core_.CloseTab(tabs_[t]);
    return absl::StrCat("CloseTab ", t);
  }

  std::string SetHidden() {
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    (void)core_.SetHidden(k.frame.navigable, in_.Bool());
    return "SetHidden";
  }

  std::string AdvanceClock() {
    static const int64_t kMs[] = {0, 1, 999, 1000, 60000, 60001, 3600000};
    int64_t ms = in_.Bool() ? kMs[in_.Index(7)] : in_.U32() % 200000;
    (void)core_.AdvanceClock(absl::Milliseconds(ms));
    return absl::StrCat("AdvanceClock ", ms);
  }

  std::string CrashRenderer() {
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    (void)core_.CrashRenderer(k.frame.document_token, absl::Seconds(5));
    return "CrashRenderer " + k.frame.site;
  }

  // --------------------------------------------------- renderer messages
  // The renderer a message comes from: usually the one hosting a known
  // document (`*frame_out`), sometimes another attacker renderer's token, and
  // sometimes a host as the adapter authenticated it just before it was cut
  // off (I7). Never the honest one.
  b::RendererHost* PickSender(const KnownFrame** frame_out) {
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    *frame_out = &k;
    const uint8_t how = in_.Byte() % 8;
    if (how == 7 && !hosts_.empty())
      return hosts_[in_.Index(hosts_.size())];
    std::string token = k.frame.renderer_token;
    if (how == 6)
      token = in_.Pick(renderer_tokens_);
    // As the gRPC adapter: an unknown or revoked token is UNAUTHENTICATED
    // before any handler runs.
    b::RendererHost* host = core_.AuthenticateRenderer(token);
    if (host != nullptr && host->terminated())
      Fail("a cut-off renderer's token still authenticates");
    return host;
  }
  std::string PickString(const pb::FieldDescriptor* field) {
    const std::string& name = field->name();
    const uint8_t source = in_.Byte() % 8;
    if (source == 6)
      return in_.Bytes(64);
    if (source == 7) {
      // Around the limits: MAX_FIELD_BYTES and the 64 KiB quota.
      static const size_t kSizes[] = {8191, 8192, 65535, 65536, 65537, 70000};
      return std::string(kSizes[in_.Index(6)], 'a' + in_.Byte() % 26);
    }
    if (name == "document_token")
      return in_.Index(8) == 0 ? in_.Bytes(40) : in_.Pick(tokens_);
    if (name == "url" || name == "referrer_url") {
      std::string u = in_.Pick(Urls());
      if (in_.Byte() % 4 == 0)
        u += in_.Bytes(32);
      return u;
    }
    if (name == "method")
      return in_.Pick(Methods());
    if (name == "referrer_policy")
      return in_.Pick(ReferrerPolicies());
    if (name == "name")
      return in_.Pick(HeaderNames());
    if (name == "value")
      return in_.Pick(HeaderValues());
    if (name == "body")
      return std::string(in_.U16() % 70000, 'b');
    return in_.Bytes(64);
  }

  // Sets or adds field values chosen by the input, recursively (depth-limited).
  void Mutate(pb::Message& message, int depth) {
    const pb::Descriptor* d = message.GetDescriptor();
    const pb::Reflection* r = message.GetReflection();
    const int edits = in_.Byte() % 6;
    for (int e = 0; e < edits && !in_.empty(); ++e) {
      const pb::FieldDescriptor* f = d->field(in_.Index(d->field_count()));
      if (in_.Byte() % 8 == 0) {  // clear it
        r->ClearField(&message, f);
        continue;
      }
      const bool rep = f->is_repeated();
      switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: {
          std::string v = PickString(f);
          rep ? r->AddString(&message, f, v) : r->SetString(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_UINT64: {
          uint64_t v = InterestingU64(in_);
          if (f->name() == "client_id" || f->name() == "step_id")
            v = in_.Bool() ? in_.Byte() % 8 : v;
          rep ? r->AddUInt64(&message, f, v) : r->SetUInt64(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_UINT32: {
          uint32_t v = static_cast<uint32_t>(InterestingU64(in_));
          rep ? r->AddUInt32(&message, f, v) : r->SetUInt32(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_INT64: {
          int64_t v = static_cast<int64_t>(InterestingU64(in_));
          rep ? r->AddInt64(&message, f, v) : r->SetInt64(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_INT32: {
          int32_t v = static_cast<int32_t>(InterestingU64(in_));
          rep ? r->AddInt32(&message, f, v) : r->SetInt32(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
          double v = InterestingDouble(in_);
          rep ? r->AddDouble(&message, f, v) : r->SetDouble(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_FLOAT: {
          float v = static_cast<float>(InterestingDouble(in_));
          rep ? r->AddFloat(&message, f, v) : r->SetFloat(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_BOOL: {
          bool v = in_.Bool();
          rep ? r->AddBool(&message, f, v) : r->SetBool(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_ENUM: {
          const pb::EnumDescriptor* ed = f->enum_type();
          int v = in_.Byte() % 8 == 0
                      ? static_cast<int>(in_.U32())
                      : ed->value(in_.Index(ed->value_count()))->number();
          rep ? r->AddEnumValue(&message, f, v)
              : r->SetEnumValue(&message, f, v);
          break;
        }
        case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
          if (depth >= 2)
            break;
          if (rep) {
            // Many headers at once reaches MAX_HEADERS.
            const int n = in_.Byte() % 16 == 0 ? 257 : 1;
            for (int i = 0; i < n; ++i) {
              pb::Message* child = r->AddMessage(&message, f);
              if (i == 0)
                Mutate(*child, depth + 1);
              else
                child->CopyFrom(r->GetRepeatedMessage(message, f, 0));
            }
          } else {
            Mutate(*r->MutableMessage(&message, f), depth + 1);
          }
          break;
        }
      }
    }
  }

  static uint64_t LengthOf(const ipc::FetchLaterRequest& m) {
    uint64_t total = m.url().size() + m.referrer_url().size();
    for (const ipc::Header& h : m.headers())
      total += h.name().size() + h.value().size();
    if (m.has_body())
      total += m.body().size();
    return total;
  }

  // I6: a renderer call answered a response (`bad` null) or a bad message,
  // which the core must have reported: recorded once and the sender cut off.
  void Answered(b::RendererHost& sender,
                const b::BadMessage* bad,
                const char* call) {
    const std::vector<b::BadMessageRecord> records = core_.bad_messages();
    if (bad == nullptr) {
      if (records.size() != bad_message_count_)
        Fail(absl::StrCat(call,
                          " answered a response but recorded a bad message"));
      return;
    }
    if (&sender == world_.honest_host)
      Fail("the honest renderer sent a bad message");
    if (b::BadMessageReasonName(bad->reason) == "UNKNOWN_BAD_MESSAGE_REASON")
      Fail(absl::StrCat(call, " answered a bad message without a reason"));
    if (records.size() != bad_message_count_ + 1)
      Fail(absl::StrCat(call, " answered a bad message recorded ",
                        records.size() - bad_message_count_, " times"));
    const b::BadMessageRecord& record = records.back();
    if (record.renderer != sender.id() || record.reason != bad->reason ||
        record.detail != bad->detail)
      Fail(absl::StrCat(call,
                        " recorded another bad message than it "
                        "answered: ",
                        bad->ToString()));
    bad_message_count_ = records.size();
    if (!sender.terminated())
      Fail("a renderer that sent a bad message was not cut off");
  }
  template <typename T>
  void Answered(b::RendererHost& sender,
                const b::BadMessageOr<T>& answer,
                const char* call) {
    Answered(sender, answer.ok() ? nullptr : &answer.bad_message(), call);
  }
  void Answered(b::RendererHost& sender,
                const std::optional<b::BadMessage>& answer,
                const char* call) {
    Answered(sender, answer ? &*answer : nullptr, call);
  }

  std::string SendFetchLater() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "FetchLater (not authenticated)";
    const bool was_cut_off = sender->terminated();
    ipc::FetchLaterRequest m;
    m.set_document_token(frame->frame.document_token);
    m.set_method(in_.Bool() ? "GET" : "POST");
    m.set_url(in_.Pick(Urls()));
    m.set_client_id(next_client_id_++ % 6);
    if (in_.Bool())
      m.set_body(std::string(in_.U16() % 20000, 'x'));
    Mutate(m, 0);
    if (in_.Byte() % 4 != 0)
      m.set_total_request_length(LengthOf(m));
    auto r = core_.FetchLater(*sender, m);
    if (r.ok() && r->outcome() == ipc::QUEUED)
      RecordQueued(*sender, m, *r, /*honest=*/false, was_cut_off);
    Answered(*sender, r, "FetchLater");
    return Sent("FetchLater", std::move(m));
  }

  void RecordQueued(b::RendererHost& sender,
                    const ipc::FetchLaterRequest& m,
                    const ipc::FetchLaterResponse& r,
                    bool honest,
                    bool was_cut_off) {
    // I7.
    if (was_cut_off || sender.terminated())
      Fail("a cut-off renderer's fetchLater() was QUEUED");
    std::optional<b::DeferredFetchId> id =
        sender.FindFetch(m.document_token(), m.client_id());
    if (!id) {
      // Sent at once (send_now, or activateAfter 0 and a due timer): the
      // stage has it, and I5 checks it there.
      return;
    }
    if (tracked_.count(*id))
      Fail("a QUEUED answer reused a pending record id");
    auto document = core_.DocumentForToken(m.document_token());
    auto url = net::Url::Parse(m.url());
    if (!document.ok() || !url.ok())
      Fail("a QUEUED request's document or URL does not resolve");
    Tracked t;
    t.document = *document;
    t.origin_key = b::ReportingOriginKey(net::Origin::Create(*url));
    t.bytes = static_cast<int64_t>(r.requested());
    t.honest = honest;
    if (static_cast<int64_t>(LengthOf(m)) != t.bytes &&
        url->Serialize() == m.url())
      Fail("QUEUED with a total request length other than the request's");
    t.pending = core_.frame_tree().IsPending(*id);
    tracked_[*id] = t;
  }

  std::string SendQueryQuota() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "QueryQuota (not authenticated)";
    ipc::QueryQuotaRequest m;
    m.set_document_token(frame->frame.document_token);
    m.set_url(in_.Pick(Urls()));
    Mutate(m, 0);
    auto r = core_.QueryQuota(*sender, m);
    if (r.ok() && r->outcome() == ipc::QUOTA_EXCEEDED &&
        r->quota() > static_cast<uint64_t>(b::kQuotaPerRequestOrigin))
      Fail(absl::StrCat("QueryQuota answered more than 64 KiB: ", r->quota()));
    Answered(*sender, r, "QueryQuota");
    return Sent("QueryQuota", std::move(m));
  }

  std::string SendAbort() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "Abort (not authenticated)";
    ipc::AbortFetchLaterRequest m;
    m.set_document_token(frame->frame.document_token);
    m.set_client_id(in_.Byte() % 6);
    Mutate(m, 0);
    // Which record the abort names, if any (before the call forgets it).
    std::optional<b::DeferredFetchId> id =
        sender->FindFetch(m.document_token(), m.client_id());
    auto r = core_.AbortFetchLater(*sender, m);
    if (r.ok() && r->was_pending()) {
      if (!id || !tracked_.count(*id))
        Fail("an abort was pending for a record nobody queued");
      Tracked& t = tracked_[*id];
      if (t.honest)
        Fail("an attacker aborted the honest renderer's fetch");
      if (!t.pending)
        Fail("an abort was pending for a record no longer pending");
      t.aborted = true;
    }
    Answered(*sender, r, "AbortFetchLater");
    return Sent("AbortFetchLater", std::move(m));
  }

  // A StepResult for a step nobody was given (or any step id): without a
  // step in flight, a bad message.
  std::string SendStepResult() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "StepResult (not authenticated)";
    ipc::StepResult m;
    m.set_step_id(in_.Byte() % 4);
    m.set_outcome(ipc::JS_OK);
    Mutate(m, 0);
    Answered(*sender, core_.ReportStepResult(*sender, m), "ReportStepResult");
    return Sent("StepResult", std::move(m));
  }

  // The driver runs a page step in a renderer (on the World's driver thread);
  // the renderer answers with a fuzzed StepResult, from itself or from another
  // renderer, and the step then gets an honest answer if it has none.
  std::string PageStep() {
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    b::RendererHost* host = core_.AuthenticateRenderer(k.frame.renderer_token);
    if (host == nullptr)
      return "PageStep (renderer gone)";
    // A step for a destroyed document fails at once; no event is queued.
    if (!core_.frame_tree().IsFullyActive(k.frame.document).ok())
      return "PageStep (document gone)";
    ipc::PageStep step;
    step.set_abort_signal("s");
    world_.driver->Start(k.frame.document_token, std::move(step));
    uint64_t step_id = 0;
    while (step_id == 0) {
      std::optional<ipc::RendererEvent> event =
          host->PopEvent(absl::Milliseconds(50));
      if (!event) {
        // Cut off, or the step ended without reaching the renderer.
        if (host->terminated() || world_.driver->Finished())
          break;
        continue;
      }
      if (event->has_run_page_step() &&
          event->run_page_step().document_token() == k.frame.document_token)
        step_id = event->run_page_step().step_id();
    }
    ipc::StepResult m;
    m.set_step_id(in_.Byte() % 4 == 0 ? in_.U64() % 8 : step_id);
    m.set_outcome(ipc::JS_OK);
    Mutate(m, 0);
    const KnownFrame* other;
    b::RendererHost* sender = in_.Byte() % 4 == 0 ? PickSender(&other) : host;
    bool accepted = false;
    if (sender != nullptr) {
      std::optional<b::BadMessage> s = core_.ReportStepResult(*sender, m);
      accepted = !s && sender == host && m.step_id() == step_id;
      Answered(*sender, s, "ReportStepResult");
    }
    if (!accepted && step_id != 0 && !host->terminated()) {
      ipc::StepResult honest;
      honest.set_step_id(step_id);
      honest.set_outcome(ipc::JS_OK);
      std::optional<b::BadMessage> s = core_.ReportStepResult(*host, honest);
      // The step may have been answered already by the fuzzed message, or
      // have ended (its renderer cut off) meanwhile: then it is unknown.
      if (s && s->reason != b::BadMessageReason::kStepResultUnknownStep)
        Fail("ReportStepResult: " + s->ToString());
      bad_message_count_ = core_.bad_messages().size();
    }
    (void)world_.driver->Finish();
    return Sent("PageStep, then StepResult", std::move(m));
  }

  // ---------------------------------------------------------- invariants
  void CheckInvariants(const std::string& after) {
    last_ = after;
    b::FrameTree& tree = core_.frame_tree();
    CheckHandedOver();

    // I4: pending records, and this harness's own sums per quota group.
    struct Sum {
      int64_t bytes = 0;
      std::map<std::string, std::pair<int64_t, int64_t>> by_origin;
    };
    std::map<b::DocumentId, Sum> sums;
    int64_t pending = 0;
    for (auto& [id, t] : tracked_) {
      const bool now = tree.IsPending(id);
      if (now && !t.pending)
        Fail("a record became pending again");
      if (!now && t.pending && !t.handed_over && !t.aborted)
        Fail("a record stopped being pending without being sent or aborted");
      t.pending = now;
      if (!now)
        continue;
      ++pending;
      if (!tree.IsFullyActive(t.document).ok())
        Fail("a pending record belongs to a destroyed document");
      auto control = tree.ControlDocument(t.document);
      if (!control.ok())
        Fail("a pending record's document has no control document");
      Sum& sum = sums[*control];
      sum.bytes += t.bytes;
      if (!t.origin_key.empty()) {
        sum.by_origin[t.origin_key].first += t.bytes;
        sum.by_origin[t.origin_key].second += 1;
      }
    }
    if (tree.PendingCount() != pending)
      Fail(absl::StrCat("PendingCount() is ", tree.PendingCount(),
                        ", the harness knows ", pending, " pending records"));
    if (world_.honest_host->terminated())
      Fail("the honest renderer was cut off");
    if (!tree.IsPending(world_.honest_record))
      Fail("the honest renderer's fetch is no longer pending");

    // The reservations of the iframes' containers, per quota group.
    std::map<b::DocumentId, std::pair<int64_t, int>> reserved;
    for (const auto& [navigable, parent_doc] : iframes_) {
      auto r = tree.ReservedQuotaOfContainer(navigable);
      if (!r.ok() || !tree.IsFullyActive(parent_doc).ok())
        continue;  // removed, or its document is gone
      auto control = tree.ControlDocument(parent_doc);
      if (!control.ok())
        continue;
      reserved[*control].first += *r;
      reserved[*control].second += *r == b::kMinimalQuota ? 1 : 0;
    }

    // I1-I3: the browser's own running totals against those sums and limits.
    const absl::flat_hash_map<b::DocumentId, b::FrameTree::QuotaGroupTotals>
        totals = tree.QuotaGroupTotalsForTesting();
    for (const auto& [control, sum] : sums)
      if (!totals.contains(control))
        Fail("records are pending in a quota group the tree does not have");
    static const Sum kNone;
    for (const auto& [control, group] : totals) {
      auto s = sums.find(control);
      const Sum& sum = s == sums.end() ? kNone : s->second;
      const std::string where =
          absl::StrCat("quota group of document ", control.value());
      if (group.pending_bytes != sum.bytes)
        Fail(absl::StrCat(where, ": the tree counts ", group.pending_bytes,
                          " bytes pending, its records add up to ", sum.bytes));
      if (group.pending_by_origin.size() != sum.by_origin.size())
        Fail(absl::StrCat(where, ": the tree has ",
                          group.pending_by_origin.size(),
                          " origins with pending records, the harness ",
                          sum.by_origin.size()));
      for (const auto& [origin, bytes_records] : sum.by_origin) {
        auto o = group.pending_by_origin.find(origin);
        if (o == group.pending_by_origin.end() || o->second != bytes_records)
          Fail(absl::StrCat(where, ": origin ", origin, " has ",
                            bytes_records.first, " bytes in ",
                            bytes_records.second,
                            " pending records, the tree counts otherwise"));
        // I2.
        if (bytes_records.first > b::kQuotaPerRequestOrigin)
          Fail(absl::StrCat(where, ": origin ", origin, " has ",
                            bytes_records.first, " bytes pending (> 64 KiB)"));
      }
      auto r = reserved.find(control);
      const std::pair<int64_t, int> want =
          r == reserved.end() ? std::pair<int64_t, int>{0, 0} : r->second;
      if (group.reserved_bytes != want.first ||
          group.minimal_reservations != want.second)
        Fail(absl::StrCat(where, ": the tree counts ", group.reserved_bytes,
                          " bytes reserved in ", group.minimal_reservations,
                          " minimal reservations, the containers add up to ",
                          want.first, " in ", want.second));
      // I3.
      if (group.minimal_reservations > b::kMaxMinimalReservations)
        Fail(absl::StrCat(where, ": ", group.minimal_reservations,
                          " minimal reservations (> 16)"));
      // I1: against the pool.
      if (group.pending_bytes == 0)
        continue;
      int64_t pool = b::kTopLevelQuota;
      for (const KnownFrame& k : frames_) {
        if (k.frame.document != control || !k.container_parent)
          continue;
        auto reservation = tree.ReservedQuotaOfContainer(k.frame.navigable);
        auto active = tree.ActiveDocument(k.frame.navigable);
        if (reservation.ok() && active.ok() && *active == control)
          pool = *reservation;
      }
      if (group.pending_bytes > pool)
        Fail(absl::StrCat(where, ": ", group.pending_bytes,
                          " bytes pending, its pool is ", pool));
    }
  }

  // I5, for what was handed over since the last check.
  void CheckHandedOver() {
    std::vector<HandoffStage::Handed> handed =
        world_.stage.HandedFrom(handed_checked_);
    handed_checked_ += handed.size();
    for (const HandoffStage::Handed& r : handed) {
      const std::string url = r.url.Serialize();
      auto again = net::Url::Parse(url);
      if (!again.ok() || !again->SchemeIsHttpOrHttps() ||
          !net::IsUrlPotentiallyTrustworthy(*again))
        Fail(
            "a URL handed to the network stage is not a potentially "
            "trustworthy http(s) URL: " +
            url);
      if (!handed_ids_.insert(r.id).second)
        Fail(absl::StrCat("record ", r.id,
                          " handed to the network stage twice"));
      auto it = tracked_.find(b::DeferredFetchId(r.id));
      if (it == tracked_.end())
        continue;  // sent at once when queued (not tracked); see RecordQueued
      if (it->second.aborted)
        Fail("an aborted record was handed to the network stage");
      it->second.handed_over = true;
    }
  }

  // The message an operation sent is kept (moved, not copied or printed:
  // bodies reach 70 KB) until the next operation, for Fail() to print.
  template <typename M>
  std::string Sent(const char* call, M message) {
    last_message_ = std::make_unique<M>(std::move(message));
    return call;
  }

  [[noreturn]] void Fail(const std::string& what) {
    std::string message;
    if (last_message_ != nullptr)
      message = " " + last_message_->ShortDebugString().substr(0, 600);
    Violated(what + "\n  after: " + last_ + message);
  }

  World& world_;
  FuzzInput& in_;
  b::BrowserCore& core_;
  // The bad messages recorded so far (I6: each answer adds exactly one).
  size_t bad_message_count_ = 0;

  std::vector<b::NavigableId> tabs_;
  std::vector<KnownFrame> frames_;
  // Each iframe's content navigable and the document it was created in.
  std::vector<std::pair<b::NavigableId, b::DocumentId>> iframes_;
  std::vector<std::string> tokens_;
  std::vector<std::string> renderer_tokens_;
  // Every attacker renderer host seen, cut off or not (for I7's stale sends).
  std::vector<b::RendererHost*> hosts_;
  std::map<b::DeferredFetchId, Tracked> tracked_;
  std::set<uint64_t> handed_ids_;
  size_t handed_checked_ = 0;
  uint64_t next_client_id_ = 0;
  std::string last_;
  std::unique_ptr<pb::Message> last_message_;
};

}  // namespace
}  // namespace fetch_later::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096)
    return 0;  // long inputs only slow the loop down (kMaxOperations)
  static fetch_later::fuzz::World* world = nullptr;
  if (world == nullptr || world->WornOut()) {
    delete world;
    world = new fetch_later::fuzz::World;
  }
  fetch_later::fuzz::FuzzInput in(data, size);
  fetch_later::fuzz::Harness harness(*world, in);
  harness.Run();
  return 0;
}
