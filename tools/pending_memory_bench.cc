// Benchmark: heap memory held per pending deferred fetch beyond its payload
// bytes, at 100,000 pending. Target (issue): at most 512 bytes per record.
//
// Setup: a FrameTree (fake clock, no sink) with 1,000 tabs, each a top-level
// document on https://site<t>.test/ served with
// `Permissions-Policy: deferred-fetch-minimal=()` (640 KiB of quota, 64 KiB
// per reporting origin). The tabs are created first and their heap measured on
// its own; then 100 requests per tab (to collector0..3.test) are built and
// queued, the way the browser does it (a DeferredRequest built from validated
// fields, moved into QueueDeferredFetch), and the heap is measured again.
//
// Heap: glibc mallinfo2(), uordblks (bytes in use in the arenas, malloc chunk
// headers and rounding included) + hblkhd (mmapped blocks: large hash tables).
// Payload: per request, "total request length" (URL serialisation, referrer
// URL, header names and values, body length) plus the `Referer` value the
// browser keeps next to it; the body bytes are really held (DeferredRequest::
// body), so the POST case shows that payload is subtracted, not hidden.
// Overhead per record = (heap delta - payload) / records. It includes the
// records_ hash table and each tab's per-origin quota map (created by the first
// record of a tab), both caused only by queueing.
//
// Allocation counts come from this binary's replacement of the global operator
// new/delete (every std::string, vector and absl container allocates through
// it); one record in the middle of the run is traced allocation by allocation.
//
//   bazel run -c opt //tools:pending_memory_bench [-- --tabs=N --per_tab=M |
//       --quick] [--tsv]
//
// --quick: 100 tabs (10,000 pending), a smoke check; --tsv: only the figure
// rows for tools/bench on stdout (tools/bench_tsv.h), the tables on stderr.
// In the rows the reference is the payload per record measured in the same run
// (the ratio: overhead / payload); the target is absolute.
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "browser/deferred_request.h"
#include "browser/frame_tree.h"
#include "browser/frame_tree_nodes.h"
#include "net/clock.h"
#include "net/network_stage.h"
#include "net/origin.h"
#include "net/url.h"
#include "tools/bench_tsv.h"

// ---- Allocation accounting (global operator new/delete replacement) ----

namespace {

bool g_counting = false;
uint64_t g_news = 0, g_deletes = 0;
uint64_t g_new_requested = 0, g_new_usable = 0, g_delete_usable = 0;

// Tracing of one record: live allocations made while `g_tracing`.
constexpr int kMaxTraced = 256;
bool g_tracing = false;
struct Traced {
  void* p;
  size_t requested;
  size_t usable;
};
Traced g_traced[kMaxTraced];
int g_traced_count = 0;

void* CountedNew(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr)
    std::abort();
  if (g_counting) {
    ++g_news;
    g_new_requested += n;
    g_new_usable += malloc_usable_size(p);
  }
  if (g_tracing && g_traced_count < kMaxTraced)
    g_traced[g_traced_count++] = {p, n, malloc_usable_size(p)};
  return p;
}

void CountedDelete(void* p) {
  if (p == nullptr)
    return;
  if (g_counting) {
    ++g_deletes;
    g_delete_usable += malloc_usable_size(p);
  }
  if (g_tracing) {
    for (int i = 0; i < g_traced_count; ++i) {
      if (g_traced[i].p == p) {
        g_traced[i] = g_traced[--g_traced_count];
        break;
      }
    }
  }
  std::free(p);
}

}  // namespace

void* operator new(size_t n) {
  return CountedNew(n);
}
void* operator new[](size_t n) {
  return CountedNew(n);
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return CountedNew(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return CountedNew(n);
}
void operator delete(void* p) noexcept {
  CountedDelete(p);
}
void operator delete[](void* p) noexcept {
  CountedDelete(p);
}
void operator delete(void* p, size_t) noexcept {
  CountedDelete(p);
}
void operator delete[](void* p, size_t) noexcept {
  CountedDelete(p);
}

namespace fetch_later::browser {
namespace {

namespace tsv = ::fetch_later::tools::bench_tsv;

constexpr int64_t kTargetBytes = 512;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "pending_memory_bench: %s\n", message.c_str());
  std::exit(1);
}

// Heap bytes in use: arena chunks in use plus mmapped chunks.
int64_t HeapInUse() {
  const struct mallinfo2 mi = mallinfo2();
  return static_cast<int64_t>(mi.uordblks) + static_cast<int64_t>(mi.hblkhd);
}

int64_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * 4096;
}

enum class Kind { kGet, kPost200 };

std::string SiteUrl(int tab) {
  return absl::StrCat("https://site", tab, ".test/");
}

// Request `i` of tab `tab`, built as BrowserCore builds it from a validated
// FetchLaterRequest. GET: ~66 bytes of payload; POST: + Content-Type and a
// 200-byte body.
DeferredRequest MakeRequest(Kind kind, int tab, int i) {
  DeferredRequest r{
      kind == Kind::kGet ? "GET" : "POST",
      *net::Url::Parse(absl::StrCat("https://collector", i % 4,
                                    ".test/beacon?t=", tab, "&i=", i))};
  r.referrer_url = SiteUrl(tab);
  r.referer_header = SiteUrl(tab);
  if (kind == Kind::kPost200) {
    r.headers.emplace_back("Content-Type", "text/plain;charset=UTF-8");
    r.body.assign(200, 'x');
    r.body_length = r.body.size();
  }
  return r;
}

// What the record must hold whatever its layout: "total request length" plus
// the Referer value.
uint64_t PayloadBytes(const DeferredRequest& r) {
  return TotalRequestLength(r) + r.referer_header.size();
}

struct Result {
  int tabs = 0;
  int64_t records = 0;
  int64_t tab_bytes = 0;  // heap for the tabs alone
  int64_t heap_delta = 0;
  int64_t rss_delta = 0;
  uint64_t payload = 0;
  uint64_t news = 0, deletes = 0, requested = 0, usable_live = 0;
  uint64_t queue_news = 0;     // made inside QueueDeferredFetch() alone
  std::vector<Traced> traced;  // the live allocations of one record
  uint64_t traced_payload = 0;
};

Result Measure(Kind kind, int tabs, int per_tab) {
  Result out;
  out.tabs = tabs;
  net::FakeClock clock;
  auto tree = std::make_unique<FrameTree>(nullptr, &clock);

  // The tabs' own overhead, before any record exists.
  const int64_t heap0 = HeapInUse();
  std::vector<DocumentId> documents;
  documents.reserve(tabs);
  for (int t = 0; t < tabs; ++t) {
    NavigableId nav = tree->CreateTopLevelTraversable();
    NavigationParams params{*net::Url::Parse(SiteUrl(t))};
    params.permissions_policy = "deferred-fetch-minimal=()";
    auto doc = tree->Navigate(nav, params);
    if (!doc.ok())
      Die(std::string(doc.status().message()));
    documents.push_back(*doc);
  }
  const int64_t heap1 = HeapInUse();
  out.tab_bytes = heap1 - heap0;

  // The records: built and queued inside the measured region.
  const int64_t rss1 = RssBytes();
  const int64_t trace_at = static_cast<int64_t>(tabs) * per_tab / 2 + 7;
  g_news = g_deletes = g_new_requested = g_new_usable = g_delete_usable = 0;
  g_counting = true;
  int64_t n = 0;
  for (int i = 0; i < per_tab; ++i) {
    for (int t = 0; t < tabs; ++t, ++n) {
      const bool trace = n == trace_at;
      if (trace) {
        g_traced_count = 0;
        g_tracing = true;
      }
      DeferredRequest request = MakeRequest(kind, t, i);
      const uint64_t payload = PayloadBytes(request);
      out.payload += payload;
      const uint64_t news_before = g_news;
      auto decision = tree->QueueDeferredFetch(documents[t], std::move(request),
                                               /*activate_after=*/std::nullopt);
      out.queue_news += g_news - news_before;
      if (trace) {
        g_tracing = false;
        out.traced.assign(g_traced, g_traced + g_traced_count);
        out.traced_payload = payload;
      }
      if (!decision.ok() || decision->outcome != FetchLaterOutcome::kQueued)
        Die(absl::StrCat("tab ", t, " request ", i, " was not queued"));
    }
  }
  g_counting = false;
  out.heap_delta = HeapInUse() - heap1;
  out.rss_delta = RssBytes() - rss1;
  out.records = tree->PendingCount();
  if (out.records != n)
    Die("pending count does not match");
  out.news = g_news;
  out.deletes = g_deletes;
  out.requested = g_new_requested;
  out.usable_live = g_new_usable - g_delete_usable;
  return out;  // the tree (and every record) is freed here
}

void Print(const char* title, const Result& r) {
  const double n = static_cast<double>(r.records);
  const double overhead = (r.heap_delta - static_cast<double>(r.payload)) / n;
  std::printf("\n%s: %lld pending over %d tabs\n", title,
              static_cast<long long>(r.records), r.tabs);
  std::printf("  %-52s %10.0f B\n", "tab overhead (measured before queueing)",
              static_cast<double>(r.tab_bytes) / r.tabs);
  std::printf("  %-52s %10.1f B\n",
              "heap held per record (mallinfo2 delta / n)", r.heap_delta / n);
  std::printf("  %-52s %10.1f B\n", "  payload per record (subtracted)",
              r.payload / n);
  std::printf("  %-52s %10.1f B   target <= %lld B: %s\n",
              "  overhead per record beyond payload", overhead,
              static_cast<long long>(kTargetBytes),
              overhead <= kTargetBytes ? "ok" : "OVER");
  std::printf("  %-52s %10.1f B\n",
              "RSS growth per record (context: reuses freed pages)",
              r.rss_delta / n);
  std::printf("  %-52s %10.2f\n", "allocations made per record (operator new)",
              r.news / n);
  std::printf("  %-52s %10.2f\n", "  of which inside QueueDeferredFetch()",
              r.queue_news / n);
  std::printf("  %-52s %10.2f\n", "allocations still live per record",
              (r.news - static_cast<double>(r.deletes)) / n);
  std::printf("  %-52s %10.1f B\n",
              "usable bytes still live per record (operator new)",
              r.usable_live / n);
  std::printf("  one record traced (payload %llu B), allocations it keeps:\n",
              static_cast<unsigned long long>(r.traced_payload));
  size_t sum_req = 0, sum_usable = 0;
  std::vector<Traced> traced = r.traced;
  std::sort(traced.begin(), traced.end(), [](const Traced& a, const Traced& b) {
    return a.requested > b.requested;
  });
  std::string sizes;
  for (const Traced& t : traced) {
    sum_req += t.requested;
    sum_usable += t.usable;
    absl::StrAppend(&sizes, sizes.empty() ? "" : " ", t.requested);
  }
  std::printf("    %zu allocations, requested sizes [%s]\n", traced.size(),
              sizes.c_str());
  std::printf(
      "    %zu B requested, %zu B usable, ~%zu B as malloc chunks (+8 B "
      "header each)\n",
      sum_req, sum_usable, sum_usable + 8 * traced.size());
}

int Main(int argc, char** argv) {
  int tabs = 1000, per_tab = 100;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--tabs=", 7) == 0)
      tabs = std::max(1, std::atoi(argv[i] + 7));
    else if (std::strncmp(argv[i], "--per_tab=", 10) == 0)
      per_tab = std::max(1, std::atoi(argv[i] + 10));
    else if (std::strcmp(argv[i], "--quick") == 0)
      tabs = 100;
    else if (std::strcmp(argv[i], "--tsv") == 0)
      tsv::Begin();
    else
      Die(absl::StrCat("unknown argument ", argv[i],
                       "\nusage: pending_memory_bench [--tabs=N --per_tab=M | "
                       "--quick] [--tsv]"));
  }
  // Warm up the allocator and the URL parser's statics outside the measurement.
  Measure(Kind::kGet, 10, 10);

  std::printf("pending deferred fetches: heap per record at %d pending\n",
              tabs * per_tab);
  std::printf("\nsizeof (bytes, x86-64 libstdc++):\n");
  std::printf("  %-40s %5zu\n", "DeferredFetchRecord",
              sizeof(DeferredFetchRecord));
  std::printf("  %-40s %5zu\n", "  DeferredRequest", sizeof(DeferredRequest));
  std::printf("  %-40s %5zu\n", "    net::Url", sizeof(net::Url));
  std::printf("  %-40s %5zu\n", "    std::optional<net::RetryOptions>",
              sizeof(std::optional<net::RetryOptions>));
  std::printf("  %-40s %5zu\n", "    std::string (method, referer, body)",
              sizeof(std::string));
  std::printf("  %-40s %5zu\n", "    std::optional<std::string> (referrer)",
              sizeof(std::optional<std::string>));
  std::printf("  %-40s %5zu\n", "  net::Origin (request_origin)",
              sizeof(net::Origin));
  std::printf("  %-40s %5zu\n", "  std::optional<absl::Time> (activate_at)",
              sizeof(std::optional<absl::Time>));
  std::printf(
      "  %-40s %5zu\n", "records_ slot (id, unique_ptr) + 1 ctrl",
      sizeof(std::pair<DeferredFetchId, std::unique_ptr<DeferredFetchRecord>>) +
          1);

  const Result get = Measure(Kind::kGet, tabs, per_tab);
  Print("GET, ~66 B payload", get);
  const Result post = Measure(Kind::kPost200, tabs, per_tab);
  Print("POST, 200 B body (+ Content-Type)", post);

  const double get_o = (get.heap_delta - static_cast<double>(get.payload)) /
                       static_cast<double>(get.records);
  const double post_o = (post.heap_delta - static_cast<double>(post.payload)) /
                        static_cast<double>(post.records);
  std::printf("\n%-54s %10s %10s\n", "summary", "GET", "POST 200B");
  std::printf("%-54s %9.0fB %9.0fB\n", "payload per record",
              get.payload / static_cast<double>(get.records),
              post.payload / static_cast<double>(post.records));
  std::printf("%-54s %9.0fB %9.0fB\n", "overhead per record beyond payload",
              get_o, post_o);
  std::printf("%-54s %10s %10s\n", "target <= 512 B",
              get_o <= kTargetBytes ? "ok" : "OVER",
              post_o <= kTargetBytes ? "ok" : "OVER");
  std::printf("%-54s %9.0fB\n", "POST - GET overhead (payload excluded: ~0)",
              post_o - get_o);

  const std::string pending = absl::StrCat(get.records / 1000, "k pending");
  auto row = [&](const char* name, const Result& r, double overhead) {
    const double payload = r.payload / static_cast<double>(r.records);
    tsv::Row(
        absl::StrCat(name, ": overhead per record beyond payload, ", pending),
        tsv::Fmt("%.0f B", overhead), tsv::Fmt("%.0f B payload", payload),
        tsv::Fmt("%.2fx", overhead / payload),
        absl::StrCat("<= ", kTargetBytes, " B"),
        tsv::Verdict(overhead <= kTargetBytes));
  };
  row("GET", get, get_o);
  row("POST 200 B", post, post_o);
  return 0;
}

}  // namespace
}  // namespace fetch_later::browser

int main(int argc, char** argv) {
  return fetch_later::browser::Main(argc, argv);
}
