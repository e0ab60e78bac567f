// fetchlater_debug: the command-line client of the browser's read-only debug
// interface (ipc/debug.proto), like chrome://net-internals in a terminal.
//
// clang-format off
//   fetchlater_debug --debug=unix:/tmp/dfXXXXXX/debug.sock tree
//   fetchlater_debug --debug=... quota      # per quota group: pool, reserved, pending, ...
//   fetchlater_debug --debug=... pending    # every pending deferred fetch record
//   fetchlater_debug --debug=... net        # network pools, requests, last attempts,
//                                           # refused requests
//   fetchlater_debug --debug=... sandbox    # each renderer's sandbox (like chrome://sandbox)
//   fetchlater_debug --debug=... watch [--backlog] [--count=N]   # the NetLog, live
//   fetchlater_debug --debug=... tree --json   # the snapshot as protobuf JSON
// clang-format on
//
// The address is the "debug" value of the browser's JSON start line. Exit
// status 0 on success, 1 when the browser cannot be reached, 2 on bad usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "ipc/debug.grpc.pb.h"

ABSL_FLAG(std::string,
          debug,
          "",
          "The browser's debug socket, e.g. unix:/tmp/dfXXXXXX/debug.sock (the "
          "\"debug\" value of its start line).");
ABSL_FLAG(bool, json, false, "Print protobuf JSON instead of tables.");
ABSL_FLAG(int,
          count,
          0,
          "watch: stop after this many events (0: until Ctrl-C).");
ABSL_FLAG(bool, backlog, false, "watch: first print the events kept so far.");
ABSL_FLAG(int, timeout_ms, 10000, "How long to wait for the browser.");

namespace fetch_later::tools {
namespace {

namespace debug = ipc::debug;

// Columns padded to their widest cell, two spaces apart.
class Table {
 public:
  explicit Table(std::vector<std::string> header) {
    rows_.push_back(std::move(header));
  }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(const std::string& indent = "") const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      if (widths.size() < row.size())
        widths.resize(row.size(), 0);
      for (size_t i = 0; i < row.size(); ++i)
        widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows_) {
      std::string line = indent;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size())
          line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
      std::printf("%s\n", line.c_str());
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string Json(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

// A time on the browser's clock relative to the snapshot's now.
std::string Relative(int64_t at_ms, int64_t now_ms) {
  const int64_t d = at_ms - now_ms;
  return d >= 0 ? absl::StrCat("+", d, "ms") : absl::StrCat(d, "ms");
}

void PrintFrame(const debug::Frame& frame, int depth) {
  const std::string indent(2 * depth, ' ');
  const debug::Document& d = frame.active_document();
  std::string line = absl::StrCat(indent, "frame ", frame.navigable_id(), "  ");
  if (!frame.has_active_document()) {
    absl::StrAppend(&line, "(no document: its renderer crashed)");
  } else {
    absl::StrAppend(&line, d.origin(), "  doc ", d.id(), " ", d.state(),
                    d.fully_active() ? "" : " (not fully active)",
                    d.hidden() ? " hidden" : "", "  control ",
                    d.control_document(),
                    d.control_document() == d.id() ? " (self)" : "");
  }
  if (frame.has_reserved_quota())
    absl::StrAppend(&line, "  reserved ", frame.reserved_quota());
  if (!frame.allow().empty())
    absl::StrAppend(&line, "  allow=\"", frame.allow(), "\"");
  if (frame.has_sandbox())
    absl::StrAppend(&line, "  sandbox=\"", frame.sandbox(), "\"");
  if (frame.has_active_document()) {
    absl::StrAppend(&line, "  renderer ", d.renderer_site());
    if (d.pending_size() > 0)
      absl::StrAppend(&line, "  pending ", d.pending_size());
  }
  std::printf("%s\n", line.c_str());
  if (frame.has_active_document()) {
    if (!d.policy_error().empty())
      std::printf("%s  policy ignored: %s\n", indent.c_str(),
                  d.policy_error().c_str());
    std::vector<std::string> policies;
    for (const auto& p : d.policy()) {
      std::string s = absl::StrCat(
          p.feature(), "=", p.allowed_to_use() ? "allowed" : "not allowed");
      if (p.has_declared()) {
        absl::StrAppend(
            &s, " (declared ",
            p.declared().all()
                ? "*"
                : absl::StrCat("(", absl::StrJoin(p.declared().origins(), " "),
                               ")"),
            ")");
      }
      policies.push_back(std::move(s));
    }
    std::printf("%s  %s\n", indent.c_str(),
                absl::StrJoin(policies, ", ").c_str());
  }
  for (const auto& bf : frame.bfcached_documents()) {
    std::printf("%s  bfcached doc %llu %s  pending %d\n", indent.c_str(),
                static_cast<unsigned long long>(bf.id()), bf.origin().c_str(),
                bf.pending_size());
  }
  for (const auto& child : frame.children())
    PrintFrame(child, depth + 1);
}

void PrintTree(const debug::Snapshot& s) {
  if (s.tabs_size() == 0)
    std::printf("no tabs\n");
  for (int i = 0; i < s.tabs_size(); ++i) {
    std::printf("tab %d\n", i + 1);
    PrintFrame(s.tabs(i).top(), 1);
  }
  if (s.renderers_size() > 0) {
    std::printf("\nrenderers\n");
    Table t({"ID", "SITE", "DOCS", "SANDBOX", "STATE"});
    for (const auto& r : s.renderers()) {
      t.Add({absl::StrCat(r.id()), r.site(), absl::StrCat(r.documents()),
             r.sandbox().verdict(),
             r.terminated()
                 ? absl::StrCat("terminated ", r.termination_reason())
                 : "live"});
    }
    t.Print("  ");
  }
  if (s.bad_messages_size() > 0) {
    std::printf("\nbad messages\n");
    Table t({"RENDERER", "SITE", "AT", "REASON", "DETAIL"});
    for (const auto& b : s.bad_messages()) {
      t.Add({absl::StrCat(b.renderer()), b.site(),
             Relative(b.at_ms(), s.now_ms()), b.reason(), b.detail()});
    }
    t.Print("  ");
  }
}

std::string GiB(uint64_t bytes) {
  return bytes == 0 ? "-" : absl::StrCat(bytes >> 30, "G");
}

// Each renderer's sandbox as the browser checked it: SECCOMP, NNP, THREADS and
// NS (own user/net namespaces) seen in /proc; LANDLOCK, AS and NOFILE as the
// renderer reported them.
void PrintSandbox(const debug::Snapshot& s) {
  if (s.renderers_size() == 0) {
    std::printf("no renderers\n");
    return;
  }
  Table t({"ID", "SITE", "PID", "SECCOMP", "NNP", "THREADS", "NS", "LANDLOCK",
           "AS", "NOFILE", "VERDICT"});
  for (const auto& r : s.renderers()) {
    const debug::RendererSandbox& b = r.sandbox();
    if (b.verdict() == "pending") {
      t.Add({absl::StrCat(r.id()), r.site(), "-", "-", "-", "-", "-", "-", "-",
             "-", "pending"});
      continue;
    }
    std::vector<std::string> namespaces;
    if (b.own_user_namespace())
      namespaces.push_back("user");
    if (b.own_net_namespace())
      namespaces.push_back("net");
    t.Add({absl::StrCat(r.id()), r.site(), absl::StrCat(b.pid()),
           b.seccomp_mode() == 2 ? "filter" : absl::StrCat(b.seccomp_mode()),
           b.no_new_privs() ? "yes" : "no",
           absl::StrCat(b.threads_sandboxed(), "/", b.threads()),
           namespaces.empty() ? "-" : absl::StrJoin(namespaces, "+"),
           b.landlock() ? absl::StrCat("ABI:", b.landlock_abi()) : "no",
           GiB(b.address_space_limit_bytes()),
           b.descriptor_limit() ? absl::StrCat(b.descriptor_limit()) : "-",
           b.verdict()});
  }
  t.Print();
  for (const auto& r : s.renderers()) {
    for (const std::string& note : r.sandbox().notes())
      std::printf("renderer %llu: %s\n",
                  static_cast<unsigned long long>(r.id()), note.c_str());
  }
}

void PrintQuota(const debug::Snapshot& s) {
  Table t({"TAB", "CONTROL", "KIND", "POOL", "RESERVED", "PENDING", "AVAILABLE",
           "MINIMAL"});
  std::vector<std::vector<std::string>> origin_rows;
  for (int i = 0; i < s.tabs_size(); ++i) {
    for (const auto& g : s.tabs(i).quota_groups()) {
      t.Add({absl::StrCat(i + 1), absl::StrCat("doc ", g.control_document()),
             g.top_level() ? "top-level" : "iframe",
             absl::StrCat(g.pool_bytes()), absl::StrCat(g.reserved_bytes()),
             absl::StrCat(g.pending_bytes()), absl::StrCat(g.available_bytes()),
             absl::StrCat(g.minimal_reservations())});
      for (const auto& o : g.origins()) {
        origin_rows.push_back({absl::StrCat("doc ", g.control_document()),
                               o.origin(), absl::StrCat(o.pending_bytes()),
                               absl::StrCat(65536 - o.pending_bytes())});
      }
    }
  }
  t.Print();
  if (!origin_rows.empty()) {
    std::printf("\nper reporting origin (64 KiB each)\n");
    Table o({"GROUP", "ORIGIN", "PENDING", "LEFT"});
    for (auto& row : origin_rows)
      o.Add(std::move(row));
    o.Print("  ");
  }
}

void AddPending(const debug::Document& d, int64_t now_ms, Table& t) {
  for (const auto& r : d.pending()) {
    t.Add({absl::StrCat(r.id()), absl::StrCat(d.id()), r.method(), r.url(),
           absl::StrCat(r.total_request_length()),
           r.has_activate_at_ms() ? Relative(r.activate_at_ms(), now_ms) : "-",
           r.has_retry_options() ? "yes" : "no"});
  }
}

void AddPendingFrame(const debug::Frame& f, int64_t now_ms, Table& t) {
  AddPending(f.active_document(), now_ms, t);
  for (const auto& bf : f.bfcached_documents())
    AddPending(bf, now_ms, t);
  for (const auto& c : f.children())
    AddPendingFrame(c, now_ms, t);
}

void PrintPending(const debug::Snapshot& s) {
  Table t({"ID", "DOC", "METHOD", "URL", "BYTES", "ACTIVATE_AT", "RETRY"});
  for (const auto& tab : s.tabs())
    AddPendingFrame(tab.top(), s.now_ms(), t);
  // Restored from the journal after a restart: no document any more.
  for (const auto& r : s.restored()) {
    t.Add({absl::StrCat(r.id()), "restored", r.method(), r.url(),
           absl::StrCat(r.total_request_length()),
           r.has_activate_at_ms() ? Relative(r.activate_at_ms(), s.now_ms())
                                  : "-",
           r.has_retry_options() ? "yes" : "no"});
  }
  t.Print();
  for (const auto& r : s.restored())
    std::printf("%llu  %s\n", static_cast<unsigned long long>(r.id()),
                r.restored().c_str());
}

void PrintNet(const debug::Snapshot& s) {
  std::printf("pools\n");
  Table pools({"KEY", "OPEN", "PEAK"});
  for (const auto& p : s.pools()) {
    pools.Add({p.key(), absl::StrCat(p.open_connections()),
               absl::StrCat(p.peak_connections())});
  }
  pools.Print("  ");
  std::printf("\nrequests not finished\n");
  Table requests(
      {"ID", "STATE", "RETRIES", "NEXT_RETRY", "LAST_ERROR", "NOTE"});
  for (const auto& r : s.requests()) {
    requests.Add(
        {absl::StrCat(r.request_id()), r.state(),
         absl::StrCat(r.retries_started()),
         r.has_next_retry_ms() ? Relative(r.next_retry_ms(), s.now_ms()) : "-",
         r.last_error(), r.note()});
  }
  requests.Print("  ");
  std::printf("\nlast attempts\n");
  Table attempts(
      {"ID", "TRY", "METHOD", "URL", "RESULT", "REUSED", "DECISION"});
  for (const auto& a : s.attempts()) {
    attempts.Add({absl::StrCat(a.request_id()), absl::StrCat(a.retry_attempt()),
                  a.method(), a.url(),
                  a.has_http_status() ? absl::StrCat("HTTP ", a.http_status())
                                      : a.error(),
                  a.connection_reused() ? "yes" : "no", a.retry_decision()});
  }
  attempts.Print("  ");
  std::printf("\nrefused (blocked)\n");
  Table blocked({"ID", "REASON", "URL", "WHY"});
  for (const auto& b : s.blocked()) {
    blocked.Add(
        {absl::StrCat(b.request_id()), b.reason(), b.url(), b.message()});
  }
  blocked.Print("  ");
}

std::string EventLine(const debug::Event& e) {
  std::map<std::string, std::string> fields(e.fields().begin(),
                                            e.fields().end());
  std::vector<std::string> parts;
  for (const auto& [k, v] : fields)
    parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrCat(
      e.sequence(), "  ",
      absl::FormatTime("%H:%M:%E3S", absl::FromUnixMillis(e.clock_ms()),
                       absl::UTCTimeZone()),
      "  +", e.monotonic_us() / 1000, "ms  ", e.type(), "  ",
      absl::StrJoin(parts, " "));
}

int Run(const std::string& command) {
  const std::string address = absl::GetFlag(FLAGS_debug);
  if (address.empty()) {
    std::fprintf(
        stderr,
        "fetchlater_debug: --debug=unix:/path/debug.sock is required\n");
    return 2;
  }
  auto channel =
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  const auto deadline =
      std::chrono::system_clock::now() +
      std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms));
  if (!channel->WaitForConnected(deadline)) {
    std::fprintf(stderr, "fetchlater_debug: cannot connect to %s\n",
                 address.c_str());
    return 1;
  }
  auto stub = debug::DebugService::NewStub(channel);
  const bool json = absl::GetFlag(FLAGS_json);

  if (command == "watch") {
    grpc::ClientContext context;
    debug::WatchRequest request;
    request.set_include_backlog(absl::GetFlag(FLAGS_backlog));
    auto reader = stub->WatchEvents(&context, request);
    const int count = absl::GetFlag(FLAGS_count);
    int seen = 0;
    debug::Event event;
    while (reader->Read(&event)) {
      std::printf("%s\n",
                  json ? Json(event, false).c_str() : EventLine(event).c_str());
      std::fflush(stdout);
      if (count > 0 && ++seen >= count) {
        context.TryCancel();
        break;
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      std::fprintf(stderr, "fetchlater_debug: %s\n",
                   status.error_message().c_str());
      return 1;
    }
    return 0;
  }

  grpc::ClientContext context;
  context.set_deadline(deadline);
  debug::Snapshot snapshot;
  grpc::Status status = stub->GetSnapshot(&context, {}, &snapshot);
  if (!status.ok()) {
    std::fprintf(stderr, "fetchlater_debug: GetSnapshot: %s\n",
                 status.error_message().c_str());
    return 1;
  }
  if (json) {
    std::printf("%s\n", Json(snapshot, true).c_str());
    return 0;
  }
  if (command == "tree") {
    PrintTree(snapshot);
  } else if (command == "quota") {
    PrintQuota(snapshot);
  } else if (command == "pending") {
    PrintPending(snapshot);
  } else if (command == "net") {
    PrintNet(snapshot);
  } else if (command == "sandbox") {
    PrintSandbox(snapshot);
  }
  return 0;
}

}  // namespace
}  // namespace fetch_later::tools

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "fetchlater_debug --debug=unix:PATH tree|quota|pending|net|sandbox|watch "
      "[--json]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::vector<std::string> commands = {"tree", "quota",   "pending",
                                             "net",  "sandbox", "watch"};
  if (args.size() != 2 ||
      std::find(commands.begin(), commands.end(), args[1]) == commands.end()) {
    std::fprintf(stderr,
                 "usage: fetchlater_debug --debug=unix:PATH "
                 "tree|quota|pending|net|sandbox|watch [--json] [--count=N] "
                 "[--backlog]\n");
    return 2;
  }
  return fetch_later::tools::Run(args[1]);
}
