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
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/protobuf/util/json_util.h"

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

// The page. Self-contained (no external resources); its inline <style> and
// <script> carry the response's CSP nonce.
constexpr char kPageHtml[] = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>fetchLater() internals</title>
<style nonce="{{NONCE}}">
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #202124; background: #f1f3f4; }
header { background: #1a73e8; color: #fff; padding: 8px 16px; display: flex; gap: 18px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; }
#status.error { color: #ffd7d4; font-weight: 600; }
main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 12px; padding: 12px; }
section { background: #fff; border: 1px solid #dadce0; border-radius: 6px; padding: 8px 12px; margin-bottom: 12px; }
section h2 { font-size: 14px; margin: 0 0 6px; }
.tab-title { font-weight: 600; margin-top: 4px; }
ul.frame-tree, ul.frame-children { list-style: none; margin: 2px 0; padding-left: 16px; border-left: 1px dashed #bdc1c6; }
.frame-line { display: flex; flex-wrap: wrap; gap: 6px; align-items: baseline; padding: 2px 0; }
.frame-kind { color: #80868b; font-size: 11px; text-transform: uppercase; }
.frame-origin { font-weight: 600; color: #174ea6; }
.frame-url, .frame-allow, td.url { font-family: ui-monospace, monospace; font-size: 12px; color: #3c4043; word-break: break-all; }
.badge { border: 1px solid #dadce0; border-radius: 9px; padding: 0 7px; font-size: 11px; white-space: nowrap; }
.frame-state.active { background: #e6f4ea; border-color: #81c995; }
.frame-state.bfcache { background: #fef7e0; border-color: #fdd663; }
.renderer-site { background: #f1f3f4; }
.reservation-badge { background: #e8f0fe; border-color: #8ab4f8; font-weight: 600; }
.reservation-badge.r8192 { background: #fce8e6; border-color: #f28b82; }
.pending-count { background: #fad2cf; border-color: #ee675c; }
.policy-error, .sad { color: #c5221f; }
.bfcached { color: #5f6368; margin-left: 12px; }
.quota-group { margin: 6px 0 10px; }
.quota-title { font-weight: 600; }
.quota-bar { display: flex; height: 18px; min-width: 2px; background: #e8eaed; border: 1px solid #9aa0a6; border-radius: 3px; overflow: hidden; margin: 3px 0; }
.seg { height: 100%; }
.seg-reserved { background: #f29900; }
.seg-pending { background: #d93025; }
.seg-available { background: #34a853; }
.quota-numbers { font-family: ui-monospace, monospace; font-size: 12px; }
.legend span { display: inline-block; margin-right: 12px; font-size: 11px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 2px 4px; border-bottom: 1px solid #e8eaed; vertical-align: top; }
th { color: #5f6368; font-weight: 600; }
.empty { color: #80868b; font-style: italic; }
#events { list-style: none; margin: 0; padding: 0; max-height: 70vh; overflow-y: auto; font-size: 12px; }
#events li { border-bottom: 1px solid #e8eaed; padding: 2px 0; }
.event-seq, .event-time { color: #80868b; margin-right: 6px; font-family: ui-monospace, monospace; }
.event-type { font-weight: 600; margin-right: 6px; }
.event-field { font-family: ui-monospace, monospace; margin-right: 8px; color: #3c4043; word-break: break-all; }
</style>
</head>
<body>
<header>
<h1>fetchLater() internals</h1>
<span id="clock"></span>
<span id="status">loading&hellip;</span>
<span id="event-status"></span>
</header>
<main>
<div>
<section id="frames-section"><h2>Frame tree</h2><div id="frame-tree"><p class="empty">no data yet</p></div></section>
<section id="quota-section"><h2>Deferred-fetch quota groups</h2>
<div class="legend"><span><i class="seg-reserved"></i>reserved by iframes</span><span><i class="seg-pending"></i>pending deferred fetches</span><span><i class="seg-available"></i>available</span></div>
<div id="quota-groups"></div></section>
<section id="pending-section"><h2>Pending deferred fetches</h2>
<table id="pending-table"><thead><tr><th>id</th><th>document</th><th>method</th><th>URL</th><th>bytes</th><th>activate at</th><th>retry</th></tr></thead><tbody></tbody></table></section>
<section id="network-section"><h2>Network</h2>
<table id="requests-table"><thead><tr><th>request</th><th>state</th><th>retries</th><th>next retry</th><th>last error</th><th>note</th></tr></thead><tbody></tbody></table>
<table id="attempts-table"><thead><tr><th>request</th><th>attempt</th><th>method</th><th>URL</th><th>status</th><th>error</th><th>reused</th><th>retry decision</th><th>ms</th></tr></thead><tbody></tbody></table>
<table id="pools-table"><thead><tr><th>connection pool</th><th>open</th></tr></thead><tbody></tbody></table></section>
</div>
<div>
<section id="renderers-section"><h2>Renderers</h2>
<table id="renderers-table"><thead><tr><th>id</th><th>site</th><th>documents</th><th>state</th></tr></thead><tbody></tbody></table></section>
<section id="sandbox-section"><h2>Sandbox</h2>
<p class="note">Seccomp, no-new-privs, threads and namespaces: read by the browser from /proc. Landlock and limits: as the renderer reported them.</p>
<table id="sandbox-table"><thead><tr><th>renderer</th><th>pid</th><th>seccomp</th><th>no-new-privs</th><th>threads sandboxed</th><th>namespaces</th><th>Landlock</th><th>limits</th><th>verdict</th></tr></thead><tbody></tbody></table></section>
<section id="bad-messages-section"><h2>Bad messages</h2>
<table id="bad-messages-table"><thead><tr><th>renderer</th><th>site</th><th>reason</th><th>at (ms)</th></tr></thead><tbody></tbody></table></section>
<section id="events-section"><h2>Live events (newest first, last 200) <span id="event-count"></span></h2><ol id="events"></ol></section>
</div>
</main>
<script nonce="{{NONCE}}">
'use strict';
// Every string from the browser (URLs, origins, reasons) may come from a web
// page or a renderer: it is only ever set as textContent, never parsed as HTML.
const token = new URLSearchParams(location.search).get('token') || '';
const query = '?token=' + encodeURIComponent(token);
const MAX_POOL = 655360;  // 640 KiB: the widest bar
const MAX_EVENTS = 200;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function num(v) { return v === undefined || v === null ? 0 : Number(v); }
function kib(n) { const k = n / 1024; return (Number.isInteger(k) ? k : k.toFixed(2)) + ' KiB'; }
function bytes(n) { return n + ' B (' + kib(n) + ')'; }
function row(tbody, cells, cls) {
  const tr = el('tr', cls);
  for (const c of cells) {
    if (c instanceof Node) { const td = el('td'); td.append(c); tr.append(td); }
    else tr.append(el('td', null, c));
  }
  tbody.append(tr);
}
function fillTable(id, items, cellsOf, emptyText) {
  const tbody = document.querySelector('#' + id + ' tbody');
  tbody.replaceChildren();
  if (!items || items.length === 0) {
    const tr = el('tr'); const td = el('td', 'empty', emptyText);
    td.colSpan = 9; tr.append(td); tbody.append(tr); return;
  }
  for (const item of items) row(tbody, cellsOf(item));
}

function describeDocument(doc) {
  return doc ? doc.origin + ' #' + doc.id : '';
}

function renderFrame(frame, isTop, ctx) {
  const li = el('li', 'frame');
  li.dataset.navigable = frame.navigable_id;
  const line = el('div', 'frame-line');
  line.append(el('span', 'frame-kind', isTop ? 'top' : 'iframe'));
  const doc = frame.active_document;
  if (doc && doc.id && doc.id !== '0') {
    ctx.docs[doc.id] = doc;
    line.append(el('span', 'frame-origin', doc.origin),
                el('span', 'frame-url', doc.url),
                el('span', 'badge frame-state ' + doc.state,
                   doc.state + (doc.fully_active ? '' : ', not fully active') + (doc.hidden ? ', hidden' : '')),
                el('span', 'badge renderer-site', 'renderer ' + doc.renderer_site));
  } else {
    line.append(el('span', 'frame-origin sad', '(no document: renderer gone)'));
  }
  if (!isTop) {
    const r = num(frame.reserved_quota);
    line.append(el('span', 'badge reservation-badge r' + r,
                   r ? kib(r) + ' reserved (' + r + ' B)' : 'no reservation'));
    if (frame.allow) line.append(el('span', 'frame-allow', 'allow="' + frame.allow + '"'));
    if (frame.sandbox !== undefined) line.append(el('span', 'frame-allow', 'sandbox="' + frame.sandbox + '"'));
  }
  const docs = [];
  if (doc) docs.push(doc);
  for (const d of frame.bfcached_documents || []) { ctx.docs[d.id] = d; docs.push(d); }
  let pending = 0;
  for (const d of docs) for (const p of d.pending || []) { pending++; ctx.pending.push([d, p]); }
  if (pending) line.append(el('span', 'badge pending-count', pending + ' pending'));
  if (doc && doc.policy_error) line.append(el('span', 'policy-error', 'policy ignored: ' + doc.policy_error));
  li.append(line);
  for (const d of frame.bfcached_documents || []) {
    li.append(el('div', 'bfcached', 'in bfcache: ' + d.origin + ' ' + d.url + ' (#' + d.id + ')'));
  }
  if (frame.children && frame.children.length) {
    const ul = el('ul', 'frame-children');
    for (const c of frame.children) ul.append(renderFrame(c, false, ctx));
    li.append(ul);
  }
  return li;
}

function renderGroup(g, ctx) {
  const pool = num(g.pool_bytes), reserved = num(g.reserved_bytes),
        pending = num(g.pending_bytes), available = num(g.available_bytes);
  const div = el('div', 'quota-group');
  div.dataset.controlDocument = g.control_document;
  const control = ctx.docs[g.control_document];
  div.append(el('div', 'quota-title',
                (g.top_level ? 'top-level' : 'framed') + ' group: control document ' +
                (control ? describeDocument(control) : '#' + g.control_document)));
  const bar = el('div', 'quota-bar');
  bar.style.width = (pool ? Math.max(2, (100 * pool) / MAX_POOL) : 0) + '%';
  for (const [cls, v, what] of [['seg-reserved', reserved, 'reserved'],
                                ['seg-pending', pending, 'pending'],
                                ['seg-available', available, 'available']]) {
    const s = el('div', 'seg ' + cls);
    s.style.width = (pool ? Math.min(100, (100 * v) / pool) : 0) + '%';
    if (v > 0) s.style.minWidth = '3px';  // a few bytes stay visible
    s.title = what + ': ' + bytes(v);
    bar.append(s);
  }
  div.append(bar);
  div.append(el('div', 'quota-numbers',
                'pool ' + bytes(pool) + ' | reserved ' + bytes(reserved) + ' | pending ' +
                bytes(pending) + ' | available ' + bytes(available) +
                (g.minimal_reservations ? ' | minimal reservations ' + g.minimal_reservations : '')));
  if (g.origins && g.origins.length) {
    const t = el('table', 'origin-use');
    const tb = el('tbody');
    for (const o of g.origins) row(tb, [o.origin, bytes(num(o.pending_bytes)) + ' of 64 KiB per origin']);
    t.append(tb);
    div.append(t);
  }
  return div;
}

function render(s) {
  const now = num(s.now_ms);
  document.getElementById('clock').textContent =
      'browser clock ' + now + ' ms (' + new Date(now).toISOString() + ')';
  const ctx = {docs: {}, pending: []};
  const tree = document.getElementById('frame-tree');
  const groups = document.getElementById('quota-groups');
  const trees = [], groupDivs = [];
  (s.tabs || []).forEach((tab, i) => {
    trees.push(el('div', 'tab-title', 'Tab ' + (i + 1)));
    const ul = el('ul', 'frame-tree');
    if (tab.top) ul.append(renderFrame(tab.top, true, ctx));
    trees.push(ul);
  });
  (s.tabs || []).forEach((tab, i) => {
    for (const g of tab.quota_groups || []) groupDivs.push(renderGroup(g, ctx));
  });
  tree.replaceChildren(...(trees.length ? trees : [el('p', 'empty', 'no tabs')]));
  groups.replaceChildren(...(groupDivs.length ? groupDivs : [el('p', 'empty', 'no quota groups')]));
  fillTable('pending-table', ctx.pending, ([d, p]) => [
    p.id, describeDocument(d), p.method, el('span', 'url', p.url),
    bytes(num(p.total_request_length)),
    p.activate_at_ms !== undefined ? p.activate_at_ms + ' ms' : '-',
    p.has_retry_options ? 'yes' : 'no'], 'no pending deferred fetches');
  fillTable('renderers-table', s.renderers, (r) => [
    r.id, r.site, r.documents, r.terminated ? 'terminated: ' + r.termination_reason : 'live'], 'no renderers');
  fillTable('sandbox-table', s.renderers, (r) => {
    const b = r.sandbox || {};
    if (b.verdict === 'pending') return [r.id + ' ' + r.site, '-', '-', '-', '-', '-', '-', '-', 'pending'];
    const ns = [b.own_user_namespace ? 'user' : '', b.own_net_namespace ? 'net' : ''].filter((x) => x);
    const limits = [b.address_space_limit_bytes ? 'AS ' + Math.round(num(b.address_space_limit_bytes) / 2 ** 30) + ' GiB' : '',
                    b.descriptor_limit ? 'NOFILE ' + b.descriptor_limit : ''].filter((x) => x);
    return [r.id + ' ' + r.site, b.pid || '-', b.seccomp_mode === 2 ? 'filter (2)' : String(b.seccomp_mode || 0),
            b.no_new_privs ? 'yes' : 'no', (b.threads_sandboxed || 0) + ' / ' + (b.threads || 0),
            ns.length ? ns.join(' + ') : 'the browser\'s',
            b.landlock ? 'ABI ' + b.landlock_abi + ' (reported)' : 'no (reported)',
            limits.length ? limits.join(', ') + ' (reported)' : '-',
            b.verdict + ((b.notes || []).length ? ' \u2014 ' + b.notes.join('; ') : '')];
  }, 'no renderers');
  fillTable('bad-messages-table', s.bad_messages, (b) => [b.renderer, b.site, b.reason, b.at_ms], 'no bad messages');
  fillTable('requests-table', s.requests, (r) => [
    r.request_id, r.state, r.retries_started, r.next_retry_ms !== undefined ? r.next_retry_ms : '-',
    r.last_error, r.note], 'no requests in flight');
  fillTable('attempts-table', (s.attempts || []).slice().reverse(), (a) => [
    a.request_id, a.retry_attempt, a.method, el('span', 'url', a.url),
    a.http_status !== undefined ? a.http_status : '-', a.error, a.connection_reused ? 'yes' : 'no',
    a.retry_decision, num(a.finished_ms) - num(a.started_ms)], 'no network attempts');
  fillTable('pools-table', s.pools, (p) => [p.key, p.open_connections], 'no connection pools');
}

const statusEl = document.getElementById('status');
async function refresh() {
  try {
    const response = await fetch('/snapshot.json' + query, {cache: 'no-store'});
    if (!response.ok) throw new Error('HTTP ' + response.status);
    render(await response.json());
    statusEl.textContent = 'snapshot ' + new Date().toLocaleTimeString();
    statusEl.className = '';
  } catch (e) {
    statusEl.textContent = 'snapshot failed: ' + e.message;
    statusEl.className = 'error';
  } finally {
    setTimeout(refresh, 1000);
  }
}
refresh();

const eventList = document.getElementById('events');
const eventStatus = document.getElementById('event-status');
let lastSequence = 0, eventTotal = 0;
function addEvent(ev) {
  const seq = num(ev.sequence);
  if (seq <= lastSequence) return;  // replayed backlog after a reconnect
  lastSequence = seq;
  eventTotal++;
  const li = el('li', 'event');
  li.dataset.sequence = seq;
  li.append(el('span', 'event-seq', '#' + seq), el('span', 'event-time', num(ev.clock_ms) + ' ms'),
            el('span', 'event-type', ev.type));
  const fields = ev.fields || {};
  for (const k of Object.keys(fields).sort()) li.append(el('span', 'event-field', k + '=' + fields[k]));
  eventList.prepend(li);
  while (eventList.children.length > MAX_EVENTS) eventList.lastChild.remove();
  document.getElementById('event-count').textContent = '(' + eventTotal + ' received)';
}
const source = new EventSource('/events' + query);
source.onopen = () => { eventStatus.textContent = 'events: live'; };
source.onerror = () => { eventStatus.textContent = 'events: reconnecting'; };
source.onmessage = (m) => {
  try { addEvent(JSON.parse(m.data)); } catch (e) { eventStatus.textContent = 'events: bad data'; }
};
</script>
</body>
</html>
)html";

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

// Parses the request line and headers (up to the blank line).
std::optional<Request> ParseRequest(absl::string_view head) {
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  if (lines.empty())
    return std::nullopt;
  std::vector<absl::string_view> parts =
      absl::StrSplit(lines[0], ' ', absl::SkipEmpty());
  if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1."))
    return std::nullopt;
  Request request;
  request.method = std::string(parts[0]);
  absl::string_view target = parts[1];
  if (!absl::StartsWith(target, "/"))
    return std::nullopt;
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != absl::string_view::npos) {
    for (absl::string_view param :
         absl::StrSplit(target.substr(question + 1), '&')) {
      if (absl::StartsWith(param, "token="))
        request.token = PercentDecode(param.substr(6));
    }
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos)
      continue;
    if (absl::EqualsIgnoreCase(
            absl::StripAsciiWhitespace(lines[i].substr(0, colon)), "host")) {
      request.hosts.push_back(
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
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

  // Read the request head.
  std::string head;
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  size_t end = std::string::npos;
  while ((end = head.find("\r\n\r\n")) == std::string::npos) {
    if (stopping_ || head.size() > kMaxRequestBytes)
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
    head.append(buffer, static_cast<size_t>(n));
  }
  std::optional<Request> request = ParseRequest(head.substr(0, end));
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
    std::string page = kPageHtml;
    for (size_t at; (at = page.find("{{NONCE}}")) != std::string::npos;)
      page.replace(at, 9, nonce);
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
