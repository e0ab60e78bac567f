"""Replays corpus-derived adversarial message sequences against a live browser over gRPC.

Run by tests/fuzz/replay_adversarial_test.sh (Debian's python3-grpcio) against
tests/fuzz:replay_browser_server (BrowserCore on a fake clock, a recording network stage, the
real gRPC services on Unix sockets). Each file of tests/fuzz/corpus/renderer_host (and
regressions/renderer_host) is decoded, byte by byte, into a sequence like the C++ fuzz target's
(renderer_host_fuzzer.cc): FetchLater / QueryQuota / AbortFetchLater / ReportStepResult messages
from attacker renderers (real document and renderer tokens of the attacker pages, plausible or
hostile URLs, methods, headers, lengths and limit-sized fields), interleaved with control-side
lifecycle events (navigate, bfcache, iframes, close tab, clock, crash renderer). The decoding is
this file's own (not bit-compatible with the C++ target): the corpus is the source of bytes.

Throughout, an honest renderer (https://honest.test/) must be served: after every sequence its
next fetchLater() is QUEUED and its quota is 64 KiB minus exactly its own pending requests, and
every answer to an attacker is OK, PERMISSION_DENIED (bad message), UNAUTHENTICATED (cut off)
or RESOURCE_EXHAUSTED (over the message limit): never INTERNAL / UNAVAILABLE.
Exit status 0 only if every check held.
"""

import argparse
import glob
import json
import os
import sys

import grpc

from ipc_stubs import pb, pb_grpc

HONEST_PAGE = "https://honest.test/"
HONEST_ORIGIN = "https://honest.test"
QUOTA_PER_ORIGIN = 64 * 1024
OK_CODES = {grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED,
            grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED}

PAGES = ["https://a.test/", "https://b.test/", "https://sub.a.test/", "http://localhost:8080/",
         "https://c.test:8443/x", "about:blank", "http://insecure.test/"]
URLS = ["https://a.test/x", "https://b.test/beacon", "http://localhost/", "http://127.0.0.1/",
        "http://[::1]/", "http://insecure.test/", "https://honest.test/x", "data:,x",
        "blob:https://a.test/u", "file:///etc/passwd", "https://user:pw@a.test/", "/relative",
        "", "https://a.test/%2e%2e/", "HTTPS://A.TEST/x", "javascript:x", "wss://a.test/"]
METHODS = ["GET", "POST", "PUT", "CONNECT", "TRACE", "G ET", "", "get", "PATCH"]
HEADERS = [("Content-Type", "text/plain"), ("Cookie", "a=b"), ("X-Foo", "a\r\nb: c"),
           ("bad name", "x"), ("Host", "evil.test"), ("Accept", "*/*"), ("", "")]
ALLOWS = ["", "deferred-fetch", "deferred-fetch-minimal 'none'", "deferred-fetch *"]

failures = []


def check(condition, what):
    if not condition:
        print("FAIL " + what, flush=True)
        failures.append(what)
    return condition


class Bytes:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def empty(self):
        return self.pos >= len(self.data)

    def byte(self):
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def pick(self, seq):
        return seq[self.byte() % len(seq)] if seq else None


def call(method, request, token):
    try:
        return grpc.StatusCode.OK, method(request, metadata=[("renderer-token", token)],
                                          timeout=10)
    except grpc.RpcError as error:
        return error.code(), error.details()


class Replay:
    def __init__(self, addresses):
        self.control = pb_grpc.BrowserControlStub(grpc.insecure_channel(addresses["control"]))
        self.host = pb_grpc.DeferredFetchHostStub(grpc.insecure_channel(addresses["renderer"]))
        tab = self.control.CreateTab(pb.CreateTabRequest()).navigable_id
        self.honest = self.control.Navigate(pb.NavigateRequest(navigable_id=tab,
                                                               url=HONEST_PAGE))
        self.honest_bytes = 0
        self.honest_id = 0
        self.sequences = 0

    def honest_fetch(self):
        self.honest_id += 1
        url = f"https://honest.test/p{self.honest_id}"
        code, r = call(self.host.FetchLater, pb.FetchLaterRequest(
            document_token=self.honest.document_token, method="GET", url=url,
            total_request_length=len(url), client_id=self.honest_id),
            self.honest.renderer_token)
        expected_quota = QUOTA_PER_ORIGIN - self.honest_bytes
        ok = check(code == grpc.StatusCode.OK and r.outcome == pb.QUEUED and
                   r.quota == expected_quota and r.requested == len(url),
                   f"sequence {self.sequences}: honest fetchLater QUEUED with quota "
                   f"{expected_quota}: got {code} {r}")
        if ok:
            self.honest_bytes += len(url)
        available = self.control.AvailableQuota(pb.QuotaRequest(
            document_token=self.honest.document_token, origin_url=HONEST_ORIGIN)).available
        check(available == QUOTA_PER_ORIGIN - self.honest_bytes,
              f"sequence {self.sequences}: honest quota exact ({available})")

    def run(self, data):
        self.sequences += 1
        b = Bytes(data)
        tabs, frames = [], []

        def new_tab():
            tab = self.control.CreateTab(pb.CreateTabRequest()).navigable_id
            tabs.append(tab)
            frames.append(self.control.Navigate(pb.NavigateRequest(
                navigable_id=tab, url=b.pick(PAGES))))

        new_tab()
        ops = 0
        while not b.empty() and ops < 48:
            ops += 1
            op = b.byte() % 16
            frame = b.pick(frames)
            token = frame.renderer_token if b.byte() % 8 else b.pick(frames).renderer_token
            doc = frame.document_token if b.byte() % 8 else self.honest.document_token
            try:
                if op <= 6:
                    m = pb.FetchLaterRequest(document_token=doc, method=b.pick(METHODS),
                                             url=b.pick(URLS), client_id=b.byte() % 6)
                    for _ in range(b.byte() % 3):
                        n, v = b.pick(HEADERS)
                        m.headers.add(name=n.encode(), value=v.encode())
                    if b.byte() % 3 == 0:
                        m.body = b"x" * (b.byte() * 300)
                    if b.byte() % 5 == 0:
                        m.activate_after_ms = [0.0, -1.0, 1e300, float("nan"), 5000.0][b.byte() % 5]
                    if b.byte() % 7 == 0:
                        m.retry_options.max_attempts = b.byte()
                    length = len(m.url.encode()) + sum(len(h.name) + len(h.value)
                                                       for h in m.headers)
                    length += len(m.body) if m.HasField("body") else 0
                    m.total_request_length = length if b.byte() % 4 else b.byte()
                    code, _ = call(self.host.FetchLater, m, token)
                elif op == 7:
                    code, _ = call(self.host.QueryQuota, pb.QueryQuotaRequest(
                        document_token=doc, url=b.pick(URLS)), token)
                elif op == 8:
                    code, _ = call(self.host.AbortFetchLater, pb.AbortFetchLaterRequest(
                        document_token=doc, client_id=b.byte() % 6), token)
                elif op == 9:
                    code, _ = call(self.host.ReportStepResult, pb.StepResult(
                        step_id=b.byte(), outcome=b.byte() % 8), token)
                else:
                    code = grpc.StatusCode.OK
                    if op == 10:
                        f = self.control.Navigate(pb.NavigateRequest(
                            navigable_id=b.pick(tabs), url=b.pick(PAGES),
                            enter_bfcache=bool(b.byte() & 1)))
                        frames.append(f)
                    elif op == 11:
                        frames.append(self.control.CreateIframe(pb.CreateIframeRequest(
                            parent_document_token=frame.document_token, src=b.pick(PAGES),
                            allow=b.pick(ALLOWS))))
                    elif op == 12:
                        self.control.RemoveIframe(pb.RemoveIframeRequest(
                            navigable_id=frame.navigable_id))
                    elif op == 13:
                        frames.append(self.control.RestoreFromBfcache(
                            pb.NavigableRequest(navigable_id=b.pick(tabs))))
                    elif op == 14:
                        self.control.AdvanceClock(pb.AdvanceClockRequest(ms=b.byte() * 1000))
                    elif op == 15:
                        self.control.CrashRenderer(pb.CrashRendererRequest(
                            document_token=frame.document_token))
            except grpc.RpcError as error:
                # Control-side refusals (NOT_FOUND, FAILED_PRECONDITION...) are the driver's.
                code = grpc.StatusCode.OK
                check(error.code() != grpc.StatusCode.INTERNAL,
                      f"control call answered INTERNAL: {error.details()}")
            check(code in OK_CODES, f"sequence {self.sequences} op {ops}: renderer call "
                  f"answered {code}")
        for tab in tabs:
            try:
                self.control.CloseTab(pb.NavigableRequest(navigable_id=tab))
            except grpc.RpcError:
                pass
        self.honest_fetch()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", required=True)
    parser.add_argument("dirs", nargs="+")
    args = parser.parse_args()
    replay = Replay(json.loads(args.addresses))
    replay.honest_fetch()
    files = sorted(f for d in args.dirs for f in glob.glob(os.path.join(d, "*"))
                   if os.path.isfile(f) and not os.path.basename(f).startswith("."))
    for path in files:
        with open(path, "rb") as f:
            replay.run(f.read())
    print(f"replayed {len(files)} sequences; honest renderer served after each; "
          f"{len(failures)} failures", flush=True)
    return 1 if failures or not files else 0


if __name__ == "__main__":
    sys.exit(main())
