"""An attacker renderer written in another language, against a live browser.

Run by tests/python_adversarial_test.sh, which generates the Python stubs for
ipc/*.proto, starts tests/browser_test_server and passes its
addresses. The client drives the browser through BrowserControl (an honest
page on https://honest.test/, attacker pages on https://evil.test/), then:

  - the honest side queues a deferred fetch exactly as an honest renderer
    builds it (GET, total_request_length = len(url));
  - the attacker sends forged messages (FetchLater for the honest document
    with its own renderer token, a mismatched length, an http: URL, a
    no-cors request with a PUT or with a header its guard drops, a request
    mode no RequestMode has;
    QueryQuota for the honest document; ReportStepResult for a step never
    given), each from a fresh attacker renderer, and must get
    PERMISSION_DENIED, then UNAUTHENTICATED for anything else it says;
  - unknown and missing tokens get UNAUTHENTICATED;
  - undecodable bytes, sent with a raw serializer, are refused by gRPC before
    the handler (the status is pinned below) and cut nobody off;
  - the honest renderer is still QUEUED afterwards, and its quota went down by
    exactly its own requests.

Every check prints one line ("ok ..." or "FAIL ..."). It writes what the
browser must have recorded (bad messages: the exact reason, the
browser/bad_message.h BadMessageReason name, and the detail; sent URLs) to
--expect, which the shell script compares with the server's exit summary
(--verify). Exit status 0 only if every check held.
"""

import argparse
import json
import random
import sys
import warnings

import grpc

from ipc_stubs import pb, pb_grpc

HONEST_PAGE = "https://honest.test/"
HONEST_ORIGIN = "https://honest.test"
ATTACKER_PAGE = "https://evil.test/"
ATTACKER_SITE = "https://evil.test"
QUOTA_PER_ORIGIN = 64 * 1024
FETCH_LATER_METHOD = "/fetch_later.ipc.DeferredFetchHost/FetchLater"
DOCUMENT_NOT_HOSTED = "document_token: not a document this renderer hosts"

failures = []


def check(condition, what, detail=""):
    """Prints one line per check; remembers failures."""
    line = ("ok   " if condition else "FAIL ") + what
    if detail and not condition:
        line += "  [" + detail + "]"
    print(line, flush=True)
    if not condition:
        failures.append(what)
    return condition


def honest_get(document_token, url, client_id):
    """A FetchLaterRequest as the honest renderer builds it for
    fetchLater(url): method GET, referrer "client" (no referrer_url), no
    headers, no body. Fetch "total request length" (browser/deferred_request.cc)
    is then the serialised URL's length in bytes."""
    return pb.FetchLaterRequest(
        document_token=document_token,
        method="GET",
        url=url,
        total_request_length=len(url.encode("utf-8")),
        client_id=client_id)


def call(method, request, token):
    """Calls `method` with `renderer-token` metadata (None: no metadata).
    Returns (status code, details, response or None)."""
    metadata = [] if token is None else [("renderer-token", token)]
    try:
        response = method(request, metadata=metadata, timeout=10)
        return grpc.StatusCode.OK, "", response
    except grpc.RpcError as error:
        return error.code(), error.details(), None


class Browser:
    def __init__(self, control_address, renderer_address):
        self.control_channel = grpc.insecure_channel(control_address)
        self.renderer_channel = grpc.insecure_channel(renderer_address)
        self.control = pb_grpc.BrowserControlStub(self.control_channel)
        self.host = pb_grpc.DeferredFetchHostStub(self.renderer_channel)
        # A FetchLater call whose request bytes are whatever we pass.
        self.raw_fetch_later = self.renderer_channel.unary_unary(
            FETCH_LATER_METHOD,
            request_serializer=lambda raw: raw,
            response_deserializer=pb.FetchLaterResponse.FromString)

    def open_page(self, url):
        tab = self.control.CreateTab(pb.CreateTabRequest()).navigable_id
        return tab, self.navigate(tab, url)

    def navigate(self, tab, url):
        return self.control.Navigate(pb.NavigateRequest(navigable_id=tab,
                                                        url=url))

    def quota(self, frame, origin_url):
        return self.control.AvailableQuota(
            pb.QuotaRequest(document_token=frame.document_token,
                            origin_url=origin_url)).available


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addresses", help="the server's first JSON line")
    parser.add_argument("--expect", help="where to write the expectations")
    parser.add_argument("--verify", nargs=2, metavar=("SUMMARY", "EXPECT"),
                        help="compare the server's exit summary line with "
                        "the expectations and exit")
    args = parser.parse_args()
    if args.verify:
        return verify(*args.verify)

    addresses = json.loads(args.addresses)
    browser = Browser(addresses["control"], addresses["renderer"])
    # One {"reason", "detail"} per PERMISSION_DENIED answer, in order.
    expected_reasons = []
    expected_sent = []

    honest_tab, honest = browser.open_page(HONEST_PAGE)
    attacker_tab, attacker = browser.open_page(ATTACKER_PAGE)
    check(honest.site == HONEST_ORIGIN and attacker.site == ATTACKER_SITE,
          "sites are honest.test and evil.test",
          f"{honest.site} {attacker.site}")
    check(honest.renderer_token != attacker.renderer_token,
          "site-per-process: two renderer tokens")
    check(len(honest.renderer_token) == 32 and
          len(honest.document_token) == 32,
          "tokens are 32 hex digits")

    # ---- The honest renderer queues a deferred fetch.
    honest_pending = "https://honest.test/pending"
    code, details, response = call(
        browser.host.FetchLater,
        honest_get(honest.document_token, honest_pending, 1),
        honest.renderer_token)
    check(code == grpc.StatusCode.OK and response.outcome == pb.QUEUED,
          "honest FetchLater is QUEUED", f"{code} {details}")
    check(response is not None and
          response.requested == len(honest_pending),
          "browser's total request length equals len(url)")
    expected_sent.append(honest_pending)
    quota_before = browser.quota(honest, HONEST_ORIGIN)
    check(quota_before == QUOTA_PER_ORIGIN - len(honest_pending),
          "honest origin quota is 64 KiB minus its request",
          str(quota_before))

    # ---- Forged messages, each from a fresh attacker renderer. After a cut
    # off, navigating the attacker's tab again starts a new renderer for the
    # site (new token); its documents queue one honest fetch first, which the
    # cut-off must send.
    def fresh_attacker(n):
        nonlocal attacker
        if n > 0:
            attacker = browser.navigate(attacker_tab, ATTACKER_PAGE)
        pending = f"https://evil.test/pending-{n}"
        code, details, response = call(
            browser.host.FetchLater,
            honest_get(attacker.document_token, pending, 1),
            attacker.renderer_token)
        check(code == grpc.StatusCode.OK and response.outcome == pb.QUEUED,
              f"attacker {n} queues an honest fetch first",
              f"{code} {details}")
        expected_sent.append(pending)
        return attacker

    # (what, method, message builder, reason, detail): the reason is the
    # BadMessageReason the browser must record, the detail what it answers.
    forgeries = [
        ("honest document with the attacker's renderer token",
         browser.host.FetchLater,
         lambda a: honest_get(honest.document_token,
                              "https://honest.test/stolen", 1),
         "FETCH_LATER_DOCUMENT_NOT_HOSTED", DOCUMENT_NOT_HOSTED),
        ("total_request_length that does not match",
         browser.host.FetchLater,
         lambda a: pb.FetchLaterRequest(
             document_token=a.document_token, method="GET",
             url="https://evil.test/x", total_request_length=1, client_id=7),
         "FETCH_LATER_TOTAL_LENGTH_MISMATCH",
         "total_request_length: says 1, the request is 19"),
        ("http URL (not potentially trustworthy)",
         browser.host.FetchLater,
         lambda a: honest_get(a.document_token, "http://example.com/", 7),
         "FETCH_LATER_URL_NOT_TRUSTWORTHY",
         "url: not potentially trustworthy"),
        ("QueryQuota for the honest document",
         browser.host.QueryQuota,
         lambda a: pb.QueryQuotaRequest(document_token=honest.document_token,
                                        url=HONEST_ORIGIN),
         "QUERY_QUOTA_DOCUMENT_NOT_HOSTED", DOCUMENT_NOT_HOSTED),
        # RequestInit's mode as the Request constructor leaves it: "no-cors"
        # needs a CORS-safelisted method, and its guard drops every header
        # that is not a no-CORS-safelisted request-header.
        ("no-cors request with method PUT",
         browser.host.FetchLater,
         lambda a: pb.FetchLaterRequest(
             document_token=a.document_token, method="PUT",
             url="https://evil.test/x", mode=pb.REQUEST_MODE_NO_CORS,
             total_request_length=19, client_id=7),
         "FETCH_LATER_NO_CORS_METHOD_NOT_SAFELISTED",
         'method: "PUT" is not CORS-safelisted (mode "no-cors")'),
        ("no-cors request with a header its guard drops",
         browser.host.FetchLater,
         lambda a: pb.FetchLaterRequest(
             document_token=a.document_token, method="GET",
             url="https://evil.test/x", mode=pb.REQUEST_MODE_NO_CORS,
             headers=[pb.Header(name=b"X-Trace", value=b"1")],
             total_request_length=19 + len("X-Trace") + 1, client_id=7),
         "FETCH_LATER_NO_CORS_HEADER_NOT_SAFELISTED",
         'headers[0]: "X-Trace" is not a no-CORS-safelisted request-header '
         '(mode "no-cors")'),
        # Proto3 enums are open: a number no enum value has arrives as is.
        ("request mode that is no RequestMode",
         browser.host.FetchLater,
         lambda a: pb.FetchLaterRequest(
             document_token=a.document_token, method="GET",
             url="https://evil.test/x", mode=9, total_request_length=19,
             client_id=7),
         "FETCH_LATER_REQUEST_MODE_INVALID", "mode: 9 is not a RequestMode"),
        ("ReportStepResult for a step never given",
         browser.host.ReportStepResult,
         lambda a: pb.StepResult(step_id=1, outcome=pb.JS_OK),
         "STEP_RESULT_UNKNOWN_STEP",
         "step_id: not a step given to this renderer"),
    ]
    previous_tokens = []
    for n, (what, method, build, reason, detail) in enumerate(forgeries):
        a = fresh_attacker(n)
        check(a.renderer_token not in previous_tokens,
              f"attacker {n} has a new renderer token")
        previous_tokens.append(a.renderer_token)
        code, details, _ = call(method, build(a), a.renderer_token)
        check(code == grpc.StatusCode.PERMISSION_DENIED,
              f"forged: {what} -> PERMISSION_DENIED", f"{code} {details}")
        check(details == "bad message: " + detail,
              f"forged: {what} -> the detail names the field",
              repr(details))
        expected_reasons.append({"reason": reason, "detail": detail})
        code, _, _ = call(browser.host.FetchLater,
                          honest_get(a.document_token,
                                     "https://evil.test/after", 8),
                          a.renderer_token)
        check(code == grpc.StatusCode.UNAUTHENTICATED,
              f"forged: {what} -> the token is revoked", str(code))
        code, _, _ = call(browser.host.QueryQuota,
                          pb.QueryQuotaRequest(document_token=a.document_token,
                                               url=ATTACKER_SITE),
                          a.renderer_token)
        check(code == grpc.StatusCode.UNAUTHENTICATED,
              f"forged: {what} -> QueryQuota refused too", str(code))
        # The attacker's document was destroyed by the cut-off.
        try:
            browser.control.AvailableQuota(
                pb.QuotaRequest(document_token=a.document_token))
            destroyed = False
        except grpc.RpcError as error:
            destroyed = error.code() == grpc.StatusCode.NOT_FOUND
        check(destroyed, f"forged: {what} -> attacker's document destroyed")

    # ---- Unknown and missing renderer tokens: refused, nothing recorded.
    for label, token in [("unknown token", "0" * 32),
                         ("empty token", ""),
                         ("a document token as renderer token",
                          honest.document_token),
                         ("upper-cased real token",
                          honest.renderer_token.upper()),
                         ("no renderer-token metadata", None)]:
        if token is not None and token == honest.renderer_token:
            continue  # an all-digit token upper-cases to itself: not a test
        code, details, _ = call(
            browser.host.FetchLater,
            honest_get(honest.document_token, "https://honest.test/x", 50),
            token)
        check(code == grpc.StatusCode.UNAUTHENTICATED,
              f"{label} -> UNAUTHENTICATED", f"{code} {details}")

    # ---- Undecodable bytes from a live renderer. gRPC's generated handler
    # parses the request before our code runs; a parse failure is answered by
    # gRPC itself, so the browser records no bad message and cuts nobody off.
    victim = fresh_attacker(len(forgeries))
    rng = random.Random(20240605)
    garbage = [
        ("invalid wire type 7", b"\x0f" + bytes(rng.randrange(256)
                                               for _ in range(64))),
        ("truncated length-delimited field", b"\x1a\xff\x01https://"),
        ("overlong varint", b"\x50" + b"\xff" * 11),
        ("invalid UTF-8 in a string field", b"\x0a\x04\xff\xfe\xfd\xfc"),
    ]
    # Random bytes too, when they happen not to parse (proto3 skips unknown
    # fields, so some random strings are valid messages).
    # The pure-Python parser warns about some of them; only the outcome
    # matters.
    warnings.simplefilter("ignore", RuntimeWarning)
    for i in range(200):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
        try:
            pb.FetchLaterRequest.FromString(blob)
        except Exception:  # DecodeError
            garbage.append((f"random bytes #{i}", blob))
            if len(garbage) >= 8:
                break
    observed = set()
    for label, blob in garbage:
        try:
            browser.raw_fetch_later(
                blob, metadata=[("renderer-token", victim.renderer_token)],
                timeout=10)
            code, details = grpc.StatusCode.OK, ""
        except grpc.RpcError as error:
            code, details = error.code(), error.details()
        observed.add((code, details))
        print(f"info garbage {label}: {code} {details!r}", flush=True)
        # What gRPC 1.51's C++ server answers when the generated handler
        # cannot parse the request: INTERNAL with empty details.
        check(code == grpc.StatusCode.INTERNAL and details == "",
              f"garbage ({label}) -> INTERNAL from gRPC", f"{code} {details}")
    print(f"info garbage statuses: {sorted(str(o) for o in observed)}",
          flush=True)
    code, details, response = call(
        browser.host.FetchLater,
        honest_get(victim.document_token, "https://evil.test/still-alive", 2),
        victim.renderer_token)
    check(code == grpc.StatusCode.OK and response.outcome == pb.QUEUED,
          "garbage is not a bad message: the sender is not cut off",
          f"{code} {details}")
    # Sent when the browser shuts down, with the victim's first pending fetch.
    expected_sent.append("https://evil.test/still-alive")

    # ---- The honest renderer is untouched.
    check(browser.quota(honest, HONEST_ORIGIN) == quota_before,
          "honest quota unchanged by the attacks")
    honest_after = "https://honest.test/after-the-attack"
    code, details, response = call(
        browser.host.FetchLater,
        honest_get(honest.document_token, honest_after, 2),
        honest.renderer_token)
    check(code == grpc.StatusCode.OK and response.outcome == pb.QUEUED,
          "honest FetchLater still QUEUED after the attacks",
          f"{code} {details}")
    expected_sent.append(honest_after)
    quota_after = browser.quota(honest, HONEST_ORIGIN)
    check(quota_after == quota_before - len(honest_after),
          "honest quota went down by exactly its own request",
          f"{quota_before} -> {quota_after}")
    check(quota_after == QUOTA_PER_ORIGIN - len(honest_pending) -
          len(honest_after),
          "honest quota is 64 KiB minus its two requests")
    # Its pending fetches are still pending: aborting the first one finds it.
    code, details, response = call(
        browser.host.AbortFetchLater,
        pb.AbortFetchLaterRequest(document_token=honest.document_token,
                                  client_id=1),
        honest.renderer_token)
    check(code == grpc.StatusCode.OK and response.was_pending,
          "honest fetch queued before the attacks is still pending",
          f"{code} {details}")
    expected_sent.remove(honest_pending)
    browser.control.CloseTab(pb.NavigableRequest(navigable_id=honest_tab))

    with open(args.expect, "w") as f:
        json.dump({"reasons": expected_reasons, "sent": expected_sent}, f)
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failures",
          flush=True)
    return 1 if failures else 0


def verify(summary_path, expect_path):
    """The server's exit summary against what main() expected."""
    with open(summary_path) as f:
        summary = json.loads(f.read().strip().splitlines()[-1])
    with open(expect_path) as f:
        expected = json.load(f)
    records = summary["bad_messages"]
    check(len(records) == len(expected["reasons"]),
          f"server recorded {len(expected['reasons'])} bad messages",
          str(records))
    check(all(r["site"] == ATTACKER_SITE for r in records),
          "every bad message names https://evil.test")
    check([r["reason"] for r in records] ==
          [e["reason"] for e in expected["reasons"]],
          "bad message reasons (BadMessageReason names) in order",
          str(records))
    check([r["detail"] for r in records] ==
          [e["detail"] for e in expected["reasons"]],
          "bad message details in order", str(records))
    check(sorted(summary["sent"]) == sorted(expected["sent"]),
          "sent URLs: the attackers' pending fetches (cut off), the "
          "survivor's (shutdown), the honest ones (tab closed), no aborted one",
          f"{sorted(summary['sent'])} != {sorted(expected['sent'])}")
    check(len(summary["sent"]) == len(set(summary["sent"])),
          "nothing sent twice")
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failures",
          flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
