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
  for (const r of s.restored || []) ctx.pending.push([null, r]);
  fillTable('pending-table', ctx.pending, ([d, p]) => [
    p.id, d ? describeDocument(d) : el('span', 'restored', p.restored), p.method, el('span', 'url', p.url),
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
  fillTable('blocked-table', (s.blocked || []).slice().reverse(), (b) => [
    b.request_id, b.reason, el('span', 'url', b.url), b.message], 'no request refused');
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
