// libFuzzer target: the renderer-facing host interface (DeferredFetchHost) of
// the trusted browser, run in-process against BrowserCore on a FakeClock with a
// RecordingNetworkStage, exactly as the gRPC adapter calls it (BrowserCore
// reports a bad message itself, cutting the renderer off, and answers the
// BadMessage; browser/deferred_fetch_host_service.cc only translates it).
//
// The input is a sequence of operations. Renderer messages (FetchLaterRequest,
// QueryQuotaRequest, AbortFetchLaterRequest, StepResult) are built with
// protobuf reflection: each starts from a valid-looking template (a real
// document token of a fuzzed renderer, a plausible URL), then the input picks
// fields and sets values from a dictionary of tokens, URLs, methods, headers
// and limit-sized blobs drawn from the running browser, or raw bytes, and
// optionally fixes `total_request_length` up so validation passes and the quota
// paths are reached. They are interleaved with lifecycle events from the
// control side (navigate, create/remove iframe, bfcache enter/restore, close
// tab, hide, advance clock, crash renderer, page steps).
//
// An honest renderer (https://honest.test) is set up first, queues one fetch
// and is never driven by the input; the lifecycle events never touch its tab.
//
// Invariants checked after every operation (a violation aborts, printing
// "INVARIANT VIOLATED"):
//  I1 every quota group's pending total fits its pool: <= 640 KiB for a
//     top-level group, <= the container's reserved quota for an iframe group;
//  I2 no (quota group, request origin) pending total above 64 KiB;
//  I3 no more than 16 minimal (8 KiB) reservations per top-level group;
//  I4 every pending record belongs to a live (or bfcached) document, and the
//     tree's PendingCount() equals the records this harness saw QUEUED that
//     are still pending (no record appears from nowhere);
//  I5 every request handed to the network stage (sent() and refused()) has a
//     URL that parses again from its serialisation, is http(s), and is
//     potentially trustworthy (http only for localhost/loopback); it is a
//     record this harness saw QUEUED, handed over once, and only records that
//     were handed over or aborted stop being pending;
//  I6 a renderer call answers a response or a BadMessage; a BadMessage has a
//     named reason, was recorded (one new record, naming the sender, the
//     same reason and detail) and the sender is cut off;
//  I7 the honest renderer is never cut off, its fetch stays pending, and at
//     the end its next fetchLater() is QUEUED with its quota exact to the byte.
// The pending totals are computed from this harness's own bookkeeping (every
// QUEUED answer, RendererHost::FindFetch for the record id, FrameTree::
// IsPending / ControlDocument / ReservedQuotaOfContainer); FrameTree has no
// accessor for a quota group's internal running totals (see README "Fuzzing").
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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
#include "net/origin.h"
#include "net/recording_network_stage.h"
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

// A document the control side committed.
struct KnownFrame {
  b::CommittedFrame frame;
  int tab = -1;                                    // index into Harness::tabs_
  std::optional<b::NavigableId> container_parent;  // set for iframes
};

// A record this harness saw QUEUED.
struct Tracked {
  b::DocumentId document;
  std::string document_token;
  std::string origin;  // the request URL's origin, serialised
  int64_t bytes = 0;
  bool pending = true;
  bool handed_over = false;
  bool aborted = false;
  bool honest = false;
};

class Harness {
 public:
  explicit Harness(FuzzInput& in) : in_(in) {
    b::BrowserCore::Options options;
    options.network_stage = &network_;
    options.clock = &clock_;
    options.fake_clock = &clock_;
    core_ = std::make_unique<b::BrowserCore>(options);
  }

  ~Harness() {
    // Closing every tab hands every pending record over; check that too.
    core_->CloseAllTabs();
    CheckInvariants("CloseAllTabs");
    if (core_->frame_tree().PendingCount() != 0)
      Violated("records still pending after every tab closed");
  }

  void Run() {
    SetUpHonest();
    // The attacker side starts with one tab on a.test.
    NewTab();
    int ops = 0;
    while (!in_.empty() && ops++ < 96) {
      const uint8_t op = in_.Byte();
      std::string what;
      switch (op % 24) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
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
          what = PageStep();
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
        default:
          what = SendFetchLater();
          break;
      }
      CheckInvariants(what);
    }
    FinalHonestCheck();
  }

 private:
  // ---------------------------------------------------------------- setup
  void SetUpHonest() {
    honest_tab_ = core_->CreateTab();
    b::NavigationParams params{*net::Url::Parse(kHonestPage)};
    auto frame = core_->Navigate(honest_tab_, params);
    if (!frame.ok())
      Violated("honest navigation failed");
    honest_ = *frame;
    tokens_.push_back(honest_.document_token);
    honest_host_ = core_->AuthenticateRenderer(honest_.renderer_token);
    ipc::FetchLaterRequest m = HonestGet(kHonestPending, 1);
    auto r = core_->FetchLater(*honest_host_, m);
    if (!r.ok() || r->outcome() != ipc::QUEUED)
      Violated("honest fetchLater not QUEUED at start");
    RecordQueued(*honest_host_, m, *r, /*honest=*/true);
    honest_bytes_ = static_cast<int64_t>(r->requested());
  }

  ipc::FetchLaterRequest HonestGet(const std::string& url, uint64_t client_id) {
    ipc::FetchLaterRequest m;
    m.set_document_token(honest_.document_token);
    m.set_method("GET");
    m.set_url(url);
    m.set_client_id(client_id);
    m.set_total_request_length(url.size());
    return m;
  }

  void FinalHonestCheck() {
    if (honest_host_->terminated())
      Violated("honest renderer was cut off");
    auto quota = core_->AvailableQuota(
        honest_.document_token,
        net::Origin::Create(*net::Url::Parse(kHonestPage)));
    if (!quota.ok() || *quota != b::kQuotaPerRequestOrigin - honest_bytes_)
      Violated(absl::StrCat(
          "honest quota not exact: ",
          quota.ok() ? absl::StrCat(*quota) : quota.status().ToString()));
    ipc::FetchLaterRequest m = HonestGet(kHonestAfter, 2);
    auto r = core_->FetchLater(*honest_host_, m);
    if (!r.ok() || r->outcome() != ipc::QUEUED ||
        static_cast<int64_t>(r->quota()) !=
            b::kQuotaPerRequestOrigin - honest_bytes_ ||
        r->requested() != m.url().size())
      Violated(
          "honest fetchLater after the attack not QUEUED with exact quota");
    RecordQueued(*honest_host_, m, *r, /*honest=*/true);
    CheckInvariants("honest fetchLater after the attack");
  }

  // ------------------------------------------------------------ lifecycle
  void AddFrame(const b::CommittedFrame& f,
                int tab,
                std::optional<b::NavigableId> parent = std::nullopt) {
    frames_.push_back(KnownFrame{f, tab, parent});
    tokens_.push_back(f.document_token);
    renderer_tokens_.push_back(f.renderer_token);
  }

  b::NavigationParams Navigation() {
    b::NavigationParams p{*net::Url::Parse(in_.Pick(Pages()))};
    const int redirects = in_.Byte() % 4 == 0 ? 1 + in_.Byte() % 2 : 0;
    for (int i = 0; i < redirects; ++i)
      p.redirects.push_back(*net::Url::Parse(in_.Pick(Pages())));
    p.permissions_policy = in_.Pick(Policies());
    return p;
  }

  std::string NewTab() {
    if (tabs_.size() >= 4)
      return "NewTab (limit)";
    const b::NavigableId tab = core_->CreateTab();
    tabs_.push_back(tab);
    b::NavigationParams p = Navigation();
    auto f = core_->Navigate(tab, p);
    if (f.ok())
      AddFrame(*f, static_cast<int>(tabs_.size()) - 1);
    return "NewTab " + p.url.Serialize();
  }

  std::string NavigateTab() {
    if (tabs_.empty())
      return NewTab();
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    b::NavigationParams p = Navigation();
    p.enter_bfcache = in_.Bool();
    auto f = core_->Navigate(tabs_[t], p);
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
    auto f = core_->CreateIframe(parent.frame.document_token, p);
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
    auto f = core_->Navigate(iframe.first, p);
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
    (void)core_->RemoveIframe(iframe.first);
    return "RemoveIframe";
  }

  std::string RestoreFromBfcache() {
    if (tabs_.empty())
      return "Restore (none)";
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    auto f = core_->RestoreFromBfcache(tabs_[t]);
    return absl::StrCat("RestoreFromBfcache tab ", t,
                        f.ok() ? "" : " (failed)");
  }

  std::string CloseTab() {
    if (tabs_.empty())
      return "CloseTab (none)";
    const int t = static_cast<int>(in_.Index(tabs_.size()));
    (void)core_->CloseTab(tabs_[t]);
    return absl::StrCat("CloseTab ", t);
  }

  std::string SetHidden() {
    if (frames_.empty())
      return "SetHidden (none)";
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    (void)core_->SetHidden(k.frame.navigable, in_.Bool());
    return "SetHidden";
  }

  std::string AdvanceClock() {
    static const int64_t kMs[] = {0, 1, 999, 1000, 60000, 60001, 3600000};
    int64_t ms = in_.Bool() ? kMs[in_.Index(7)] : in_.U32() % 200000;
    (void)core_->AdvanceClock(absl::Milliseconds(ms));
    return absl::StrCat("AdvanceClock ", ms);
  }

  std::string CrashRenderer() {
    if (frames_.empty())
      return "CrashRenderer (none)";
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    (void)core_->CrashRenderer(k.frame.document_token, absl::Seconds(5));
    return "CrashRenderer " + k.frame.site;
  }

  // --------------------------------------------------- renderer messages
  // The renderer a message comes from: usually the one hosting a known
  // document, sometimes any attacker renderer. Never the honest one.
  b::RendererHost* PickSender(const KnownFrame** frame_out) {
    *frame_out = nullptr;
    if (frames_.empty())
      return nullptr;
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    *frame_out = &k;
    std::string token = k.frame.renderer_token;
    if (in_.Byte() % 8 == 0)
      token = in_.Pick(renderer_tokens_);
    // As the gRPC adapter: an unknown or revoked token is UNAUTHENTICATED
    // before any handler runs.
    return core_->AuthenticateRenderer(token);
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
  void Answered(b::RendererHost& sender, const b::BadMessage* bad,
                const char* call) {
    const std::vector<b::BadMessageRecord> records = core_->bad_messages();
    if (bad == nullptr) {
      if (records.size() != bad_message_count_)
        Violated(absl::StrCat(call, " answered a response but recorded a "
                                    "bad message"));
      return;
    }
    if (&sender == honest_host_)
      Violated("the honest renderer sent a bad message");
    if (b::BadMessageReasonName(bad->reason) == "UNKNOWN_BAD_MESSAGE_REASON")
      Violated(absl::StrCat(call, " answered a bad message without a reason"));
    if (records.size() != bad_message_count_ + 1)
      Violated(absl::StrCat(call, " answered a bad message recorded ",
                            records.size() - bad_message_count_, " times"));
    const b::BadMessageRecord& record = records.back();
    if (record.renderer != sender.id() || record.reason != bad->reason ||
        record.detail != bad->detail)
      Violated(absl::StrCat(call, " recorded another bad message than it "
                                  "answered: ", bad->ToString()));
    bad_message_count_ = records.size();
    if (!sender.terminated())
      Violated("a renderer that sent a bad message was not cut off");
  }
  template <typename T>
  void Answered(b::RendererHost& sender, const b::BadMessageOr<T>& answer,
                const char* call) {
    Answered(sender, answer.ok() ? nullptr : &answer.bad_message(), call);
  }
  void Answered(b::RendererHost& sender,
                const std::optional<b::BadMessage>& answer, const char* call) {
    Answered(sender, answer ? &*answer : nullptr, call);
  }

  std::string SendFetchLater() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "FetchLater (no sender)";
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
    auto r = core_->FetchLater(*sender, m);
    if (r.ok() && r->outcome() == ipc::QUEUED)
      RecordQueued(*sender, m, *r, /*honest=*/false);
    Answered(*sender, r, "FetchLater");
    return "FetchLater " + m.ShortDebugString().substr(0, 200);
  }

  void RecordQueued(b::RendererHost& sender,
                    const ipc::FetchLaterRequest& m,
                    const ipc::FetchLaterResponse& r,
                    bool honest) {
    std::optional<b::DeferredFetchId> id =
        sender.FindFetch(m.document_token(), m.client_id());
    if (!id) {
      // Sent at once (e.g. activateAfter 0 and a due timer)? Then the stage has
      // it; otherwise the browser lost track of it.
      return;
    }
    if (tracked_.count(*id))
      Violated("a QUEUED answer reused a pending record id");
    auto document = core_->DocumentForToken(m.document_token());
    auto url = net::Url::Parse(m.url());
    if (!document.ok() || !url.ok())
      Violated("a QUEUED request's document or URL does not resolve");
    Tracked t;
    t.document = *document;
    t.document_token = m.document_token();
    t.origin = net::Origin::Create(*url).Serialize();
    t.bytes = static_cast<int64_t>(r.requested());
    t.honest = honest;
    if (static_cast<int64_t>(LengthOf(m)) != t.bytes &&
        url->Serialize() == m.url())
      Violated("QUEUED with a total request length other than the request's");
    t.pending = core_->frame_tree().IsPending(*id);
    tracked_[*id] = t;
  }

  std::string SendQueryQuota() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "QueryQuota (no sender)";
    ipc::QueryQuotaRequest m;
    m.set_document_token(frame->frame.document_token);
    m.set_url(in_.Pick(Urls()));
    Mutate(m, 0);
    auto r = core_->QueryQuota(*sender, m);
    if (r.ok() && r->outcome() == ipc::QUOTA_EXCEEDED &&
        r->quota() > static_cast<uint64_t>(b::kQuotaPerRequestOrigin))
      Violated(absl::StrCat("QueryQuota answered more than 64 KiB: ",
                            r->quota()));
    Answered(*sender, r, "QueryQuota");
    return "QueryQuota " + m.ShortDebugString().substr(0, 200);
  }

  std::string SendAbort() {
    const KnownFrame* frame;
    b::RendererHost* sender = PickSender(&frame);
    if (sender == nullptr)
      return "Abort (no sender)";
    ipc::AbortFetchLaterRequest m;
    m.set_document_token(frame->frame.document_token);
    m.set_client_id(in_.Byte() % 6);
    Mutate(m, 0);
    // Which record the abort names, if any (before the call forgets it).
    std::optional<b::DeferredFetchId> id =
        sender->FindFetch(m.document_token(), m.client_id());
    auto r = core_->AbortFetchLater(*sender, m);
    if (r.ok() && r->was_pending()) {
      if (!id || !tracked_.count(*id))
        Violated("an abort was pending for a record nobody queued");
      Tracked& t = tracked_[*id];
      if (t.honest)
        Violated("an attacker aborted the honest renderer's fetch");
      if (!t.pending)
        Violated("an abort was pending for a record no longer pending");
      t.aborted = true;
    }
    Answered(*sender, r, "AbortFetchLater");
    return "Abort " + m.ShortDebugString();
  }

  // The driver runs a page step in a renderer; the renderer answers with a
  // fuzzed StepResult, from itself or from another renderer.
  std::string PageStep() {
    if (frames_.empty())
      return "PageStep (none)";
    const KnownFrame& k = frames_[in_.Index(frames_.size())];
    b::RendererHost* host = core_->AuthenticateRenderer(k.frame.renderer_token);
    if (host == nullptr)
      return "PageStep (renderer gone)";
    ipc::PageStep step;
    step.set_abort_signal("s");
    absl::StatusOr<ipc::StepResult> result;
    std::atomic<bool> done{false};
    std::thread driver([&] {
      result =
          core_->RunPageStep(k.frame.document_token, step, absl::Seconds(20));
      done = true;
    });
    uint64_t step_id = 0;
    while (step_id == 0 && !done) {
      std::optional<ipc::RendererEvent> event =
          host->PopEvent(absl::Milliseconds(100));
      if (!event) {
        if (host->terminated())
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
      std::optional<b::BadMessage> s = core_->ReportStepResult(*sender, m);
      accepted = !s && sender == host && m.step_id() == step_id;
      Answered(*sender, s, "ReportStepResult");
    }
    if (!accepted && step_id != 0 && !host->terminated()) {
      ipc::StepResult honest;
      honest.set_step_id(step_id);
      honest.set_outcome(ipc::JS_OK);
      std::optional<b::BadMessage> s = core_->ReportStepResult(*host, honest);
      // The step may have been answered already by the fuzzed message, or
      // have ended (its renderer cut off) meanwhile: then it is unknown.
      if (s && s->reason != b::BadMessageReason::kStepResultUnknownStep)
        Violated("ReportStepResult: " + s->ToString());
      bad_message_count_ = core_->bad_messages().size();
    }
    driver.join();
    return "PageStep " + m.ShortDebugString().substr(0, 200);
  }

  // ---------------------------------------------------------- invariants
  void CheckInvariants(const std::string& after) {
    last_ = after;
    b::FrameTree& tree = core_->frame_tree();
    // I5: what reached the network stage.
    std::vector<net::OutgoingRequest> handed = network_.sent();
    for (auto& r : network_.refused())
      handed.push_back(r);
    for (const net::OutgoingRequest& r : handed) {
      const std::string url = r.url.Serialize();
      auto again = net::Url::Parse(url);
      if (!again.ok() || !again->SchemeIsHttpOrHttps() ||
          !net::IsUrlPotentiallyTrustworthy(*again))
        Fail(
            "a URL handed to the network stage is not a potentially "
            "trustworthy http(s) URL: " +
            url);
      const b::DeferredFetchId id(r.id);
      auto it = tracked_.find(id);
      if (it == tracked_.end())
        continue;  // sent at once at queueing time (not tracked); see
                   // RecordQueued
      if (!seen_handed_.insert(r.id).second)
        continue;
      if (it->second.handed_over)
        Fail("a record was handed to the network stage twice");
      if (it->second.aborted)
        Fail("an aborted record was handed to the network stage");
      it->second.handed_over = true;
    }
    // Duplicates of one id in the stage's lists.
    std::set<uint64_t> ids;
    for (const auto& r : handed)
      if (!ids.insert(r.id).second)
        Fail(absl::StrCat("record ", r.id,
                          " handed to the network stage twice"));
    seen_handed_count_ = handed.size();

    // I4: pending records.
    int64_t pending = 0;
    std::map<b::DocumentId, int64_t> group_total;
    std::map<std::pair<b::DocumentId, std::string>, int64_t> group_origin_total;
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
      if (t.honest && honest_host_->terminated())
        Fail("honest renderer cut off");
      if (!tree.IsFullyActive(t.document).ok())
        Fail("a pending record belongs to a destroyed document");
      auto control = tree.ControlDocument(t.document);
      if (!control.ok())
        Fail("a pending record's document has no control document");
      group_total[*control] += t.bytes;
      group_origin_total[{*control, t.origin}] += t.bytes;
    }
    if (tree.PendingCount() != pending)
      Fail(absl::StrCat("PendingCount() is ", tree.PendingCount(),
                        ", the harness knows ", pending, " pending records"));
    if (honest_host_->terminated())
      Fail("the honest renderer was cut off");

    // I2: per (group, origin).
    for (const auto& [key, total] : group_origin_total)
      if (total > b::kQuotaPerRequestOrigin)
        Fail(absl::StrCat("origin ", key.second, " has ", total,
                          " bytes pending in one quota group (> 64 KiB)"));
    // I1: per group, against its pool.
    for (const auto& [control, total] : group_total) {
      int64_t pool = b::kTopLevelQuota;
      for (const KnownFrame& k : frames_) {
        if (k.frame.document != control || !k.container_parent)
          continue;
        auto reserved = tree.ReservedQuotaOfContainer(k.frame.navigable);
        auto active = tree.ActiveDocument(k.frame.navigable);
        if (reserved.ok() && active.ok() && *active == control)
          pool = *reserved;
      }
      if (total > pool)
        Fail(absl::StrCat("a quota group has ", total,
                          " bytes pending, its pool is ", pool));
    }
    // I3: minimal reservations per top-level group (the iframes' containers
    // live in documents whose control document is the top-level one).
    std::map<b::DocumentId, int> minimal;
    for (const auto& [navigable, parent_doc] : iframes_) {
      auto reserved = tree.ReservedQuotaOfContainer(navigable);
      auto parent_alive = tree.IsFullyActive(parent_doc);
      if (!reserved.ok() || !parent_alive.ok() || *reserved != b::kMinimalQuota)
        continue;
      auto control = tree.ControlDocument(parent_doc);
      if (control.ok() && ++minimal[*control] > b::kMaxMinimalReservations)
        Fail("more than 16 minimal reservations in one quota group");
    }
  }

  [[noreturn]] void Fail(const std::string& what) {
    Violated(what + "\n  after: " + last_);
  }

  FuzzInput& in_;
  net::FakeClock clock_;
  net::RecordingNetworkStage network_;
  std::unique_ptr<b::BrowserCore> core_;

  b::NavigableId honest_tab_;
  b::CommittedFrame honest_;
  b::RendererHost* honest_host_ = nullptr;
  int64_t honest_bytes_ = 0;
  // The bad messages recorded so far (I6: each answer adds exactly one).
  size_t bad_message_count_ = 0;

  std::vector<b::NavigableId> tabs_;
  std::vector<KnownFrame> frames_;
  std::vector<std::pair<b::NavigableId, b::DocumentId>> iframes_;
  std::vector<std::string> tokens_;
  std::vector<std::string> renderer_tokens_;
  std::map<b::DeferredFetchId, Tracked> tracked_;
  std::set<uint64_t> seen_handed_;
  size_t seen_handed_count_ = 0;
  uint64_t next_client_id_ = 0;
  std::string last_;
};

}  // namespace
}  // namespace fetch_later::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096)
    return 0;  // long inputs only slow the loop down; 96 operations at most
  fetch_later::fuzz::FuzzInput in(data, size);
  fetch_later::fuzz::Harness harness(in);
  harness.Run();
  return 0;
}
