"""The browser's debug interface read by an independent client (Python grpcio).

Run by tests/debug_python_test.sh, which generates the Python stubs for
ipc/debug.proto and ipc/*.proto, starts the real `browser` binary
(virtual time, --net-log) and passes its JSON start line. The client:

  - checks the debug socket is mode 0600 and the service's methods are exactly
    GetSnapshot and WatchEvents (nothing that changes state);
  - opens https://a.test/ with a delegated b.test iframe (64 KiB), a c.test
    iframe (8 KiB minimal) and a same-origin a.test iframe, through the control
    socket, and runs fetchLater page steps in the renderer processes: a beacon
    in the top, one in the same-origin iframe, an activateAfter one in b, a
    too-large POST in c (QuotaExceededError), one aborted;
  - reads GetSnapshot and asserts exact values: origins, control documents,
    reservations, pools (524288, 65536, 8192), pending bytes, per-origin use,
    activate_at_ms;
  - reads WatchEvents (with the backlog) and asserts the exact event sequence
    and fields, then advances the virtual clock and sees record.activated live.

Every check prints one line ("ok ..." or "FAIL ..."); exit status 0 only if
every check held.
"""

import argparse
import json
import os
import stat
import sys
import threading
import time

import grpc

from ipc import debug_pb2
from ipc import debug_pb2_grpc
from ipc_stubs import pb, pb_grpc

failures = []


def check(condition, what, detail=""):
    line = ("ok   " if condition else "FAIL ") + what
    if detail and not condition:
        line += "  [" + str(detail) + "]"
    print(line, flush=True)
    if not condition:
        failures.append(what)
    return condition


def eq(actual, expected, what):
    return check(actual == expected, what,
                 "got %r, expected %r" % (actual, expected))


class Events:
    """A WatchEvents stream read on a thread."""

    def __init__(self, debug):
        self.events = []
        self.cond = threading.Condition()
        self.call = debug.WatchEvents(
            debug_pb2.WatchRequest(include_backlog=True))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                with self.cond:
                    self.events.append(event)
                    self.cond.notify_all()
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                print("stream ended: %s" % error, flush=True)

    def wait_for(self, type_, count=1, timeout=10):
        deadline = time.time() + timeout
        with self.cond:
            while sum(1 for e in self.events if e.type == type_) < count:
                left = deadline - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def snapshot(self):
        with self.cond:
            return list(self.events)

    def cancel(self):
        self.call.cancel()
        self.thread.join(5)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--start-line", required=True)
    args = parser.parse_args()
    start = json.loads(args.start_line)
    for key in ("control", "debug", "sandbox", "pid"):
        check(key in start, "start line has %r" % key)
    # Renderers get their channel as an inherited descriptor: no socket path.
    check("renderer" not in start, "start line names no renderer socket")
    eq(start["sandbox"], "on", "renderers are sandboxed")
    debug_path = start["debug"][len("unix:"):]
    check(start["debug"].startswith("unix:"), "debug address is a unix: target")
    mode = os.stat(debug_path).st_mode
    check(stat.S_ISSOCK(mode), "debug.sock is a socket")
    eq(stat.S_IMODE(mode), 0o600, "debug.sock mode")
    eq(stat.S_IMODE(os.stat(os.path.dirname(debug_path)).st_mode), 0o700,
       "socket directory mode")
    service = debug_pb2.DESCRIPTOR.services_by_name["DebugService"]
    eq(sorted(m.name for m in service.methods),
       ["GetSnapshot", "WatchEvents"], "DebugService methods (read-only)")

    control = pb_grpc.BrowserControlStub(grpc.insecure_channel(start["control"]))
    debug = debug_pb2_grpc.DebugServiceStub(grpc.insecure_channel(start["debug"]))
    events = Events(debug)

    tab = control.CreateTab(pb.CreateTabRequest(), timeout=10).navigable_id
    top = control.Navigate(pb.NavigateRequest(navigable_id=tab,
                                              url="https://a.test/"), timeout=10)
    b = control.CreateIframe(pb.CreateIframeRequest(
        parent_document_token=top.document_token, src="https://b.test/frame",
        allow="deferred-fetch"), timeout=10)
    c = control.CreateIframe(pb.CreateIframeRequest(
        parent_document_token=top.document_token, src="https://c.test/frame"),
        timeout=10)
    same = control.CreateIframe(pb.CreateIframeRequest(
        parent_document_token=top.document_token, src="https://a.test/same"),
        timeout=10)

    def fetch_later(frame, **fields):
        return control.RunPageStep(pb.RunPageStepRequest(
            document_token=frame.document_token,
            step=pb.PageStep(fetch_later=pb.PageFetchLater(**fields))),
            timeout=20)

    eq(fetch_later(top, url="/beacon").outcome, pb.JS_OK, "top fetchLater")
    eq(fetch_later(same, url="https://collector.test/same").outcome, pb.JS_OK,
       "same-origin iframe fetchLater")
    eq(fetch_later(b, url="https://collector.test/later",
                   activate_after_ms=5000).outcome, pb.JS_OK,
       "b fetchLater with activateAfter")
    denied = fetch_later(c, url="https://collector.test/big", method="POST",
                         body=pb.PageBody(type=pb.PageBody.STRING, size=9000))
    eq(denied.outcome, pb.JS_QUOTA_EXCEEDED_ERROR, "c: QuotaExceededError")
    eq(denied.quota, 8192, "c: quota 8192")
    eq(fetch_later(top, url="/aborted", signal="s").outcome, pb.JS_OK,
       "top fetchLater with a signal")
    abort = control.RunPageStep(pb.RunPageStepRequest(
        document_token=top.document_token, step=pb.PageStep(abort_signal="s")),
        timeout=20)
    eq(abort.outcome, pb.JS_OK, "abort step")
    check(events.wait_for("record.aborted"), "record.aborted arrives")

    # ---- The snapshot, exactly.
    s = debug.GetSnapshot(debug_pb2.Empty(), timeout=10)
    eq(len(s.tabs), 1, "one tab")
    f = s.tabs[0].top
    d = f.active_document
    eq(f.navigable_id, tab, "top navigable id")
    check(not f.HasField("reserved_quota"), "top frame has no reservation")
    eq((d.url, d.origin, d.state, d.fully_active, d.renderer_site),
       ("https://a.test/", "https://a.test", "active", True, "https://a.test"),
       "top document")
    eq(d.control_document, d.id, "top is its own control document")
    eq([(p.feature, p.allowed_to_use) for p in d.policy],
       [("deferred-fetch", True), ("deferred-fetch-minimal", True)],
       "top policy")
    eq([(r.method, r.url, r.total_request_length, r.invoke_state)
        for r in d.pending],
       [("GET", "https://a.test/beacon", len("https://a.test/beacon"),
         "pending")], "top pending records (the aborted one is gone)")
    eq([(ch.navigable_id, ch.reserved_quota, ch.allow,
         ch.active_document.origin, ch.active_document.renderer_site)
        for ch in f.children],
       [(b.navigable_id, 65536, "deferred-fetch", "https://b.test",
         "https://b.test"),
        (c.navigable_id, 8192, "", "https://c.test", "https://c.test"),
        (same.navigable_id, 0, "", "https://a.test", "https://a.test")],
       "iframes: reservations 64 KiB, 8 KiB, 0")
    bd, cd, sd = (ch.active_document for ch in f.children)
    eq(bd.control_document, bd.id, "b is its own control document")
    eq(cd.control_document, cd.id, "c is its own control document")
    eq(sd.control_document, d.id, "same-origin iframe: the top's group")
    eq([(r.url, r.activate_at_ms - s.now_ms) for r in bd.pending],
       [("https://collector.test/later", 5000)], "b: activate_at in 5000 ms")
    eq(len(cd.pending), 0, "c: nothing pending")

    top_pending = len("https://a.test/beacon") + len("https://collector.test/same")
    groups = [(g.control_document, g.top_level, g.pool_bytes, g.reserved_bytes,
               g.pending_bytes, g.available_bytes, g.minimal_reservations,
               [(o.origin, o.pending_bytes) for o in g.origins])
              for g in s.tabs[0].quota_groups]
    later = len("https://collector.test/later")
    eq(groups, [
        (d.id, True, 524288, 73728, top_pending, 524288 - 73728 - top_pending,
         1, [("https://a.test", len("https://a.test/beacon")),
             ("https://collector.test", len("https://collector.test/same"))]),
        (bd.id, False, 65536, 0, later, 65536 - later, 0,
         [("https://collector.test", later)]),
        (cd.id, False, 8192, 0, 0, 8192, 0, []),
    ], "quota groups: pool, reserved, pending, available, minimal, origins")
    eq(sorted((r.site, r.documents, r.terminated) for r in s.renderers),
       [("https://a.test", 2, False), ("https://b.test", 1, False),
        ("https://c.test", 1, False)], "renderers")
    eq(len(s.bad_messages), 0, "no bad messages")
    # Every renderer ran a step, so its channel is up and the browser has read
    # its /proc/PID/status: sandboxed on every thread.
    eq(sorted((r.site, r.sandbox.verdict, r.sandbox.seccomp_mode, r.sandbox.no_new_privs,
               r.sandbox.threads == r.sandbox.threads_sandboxed > 0,
               r.sandbox.own_net_namespace)
              for r in s.renderers),
       [(site, "sandboxed", 2, True, True, True)
        for site in ("https://a.test", "https://b.test", "https://c.test")],
       "renderers' sandboxes: verdict, seccomp, no-new-privs, every thread, net namespace")

    # ---- The events, exactly (everything so far was synchronous).
    def summary(e):
        keep = {"document.created": ("origin",),
                "record.queued": ("url", "requested"),
                "quota.denied": ("quota", "requested"),
                "record.aborted": (),
                "record.activated": ("url",)}[e.type]
        return (e.type,) + tuple(e.fields[k] for k in keep)

    # A renderer.sandbox event comes when each renderer's channel is up, in
    # whatever order the renderers start: checked on their own.
    sandbox_events = [e for e in events.snapshot() if e.type == "renderer.sandbox"]
    eq(sorted((e.fields["site"], e.fields["verdict"]) for e in sandbox_events),
       [(site, "sandboxed")
        for site in ("https://a.test", "https://b.test", "https://c.test")],
       "renderer.sandbox events")
    got = [summary(e) for e in events.snapshot() if e.type != "renderer.sandbox"]
    eq(got, [
        ("document.created", "https://a.test"),
        ("document.created", "https://b.test"),
        ("document.created", "https://c.test"),
        ("document.created", "https://a.test"),
        ("record.queued", "https://a.test/beacon", str(len("https://a.test/beacon"))),
        ("record.queued", "https://collector.test/same",
         str(len("https://collector.test/same"))),
        ("record.queued", "https://collector.test/later", str(later)),
        ("quota.denied", "8192", str(denied.requested)),
        ("record.queued", "https://a.test/aborted", str(len("https://a.test/aborted"))),
        ("record.aborted",),
    ], "event sequence and fields")
    seqs = [e.sequence for e in events.snapshot()]
    eq(seqs, list(range(1, len(seqs) + 1)), "sequence numbers 1..N")
    queued = [e for e in events.snapshot() if e.type == "record.queued"]
    aborted = [e for e in events.snapshot() if e.type == "record.aborted"]
    eq(aborted[0].fields["id"], queued[-1].fields["id"], "aborted id")

    # ---- Live: the activateAfter timer fires on the virtual clock.
    control.AdvanceClock(pb.AdvanceClockRequest(ms=5000), timeout=10)
    check(events.wait_for("record.activated"), "record.activated arrives live")
    activated = [e for e in events.snapshot() if e.type == "record.activated"]
    eq(activated[0].fields["url"], "https://collector.test/later",
       "activated record's url")
    eq(activated[0].fields["id"], queued[2].fields["id"], "activated record's id")
    s2 = debug.GetSnapshot(debug_pb2.Empty(), timeout=10)
    eq(s2.now_ms - s.now_ms, 5000, "snapshot clock moved 5000 ms")
    eq(len(s2.tabs[0].top.children[0].active_document.pending), 0,
       "b: nothing pending after activation")
    events.cancel()
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
