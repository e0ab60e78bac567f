#!/usr/bin/env python3
"""Writes the seed corpora into tests/fuzz/corpus/ from the project's own examples.

    python3 tools/fuzz/make_seed_corpus.py             # adds the seeds to each corpus
    python3 tools/fuzz/make_seed_corpus.py --replace   # deletes each corpus first

The checked-in corpora are minimised campaign corpora (tools/fuzz/campaign.sh), which started
from these seeds: without --replace the seeds are added next to them (a later campaign's merge
keeps those that add coverage); --replace throws the campaigns' inputs away.

  url/                URL strings from net/url_test.cc and net/url_fuzz_test.cc
  permissions_policy/ header and `allow` strings from policy/permissions_policy_test.cc
  http1_response/     responses from net/http1_response_parser_test.cc, plus a few framings
  scenario_reader/    examples/*.json and *.textproto, examples/js/*.json and tests/wpt_js/*.json
                      (first byte: 0 JSON, 1 textproto)
  renderer_host/      operation sequences (see tests/fuzz/renderer_host_fuzzer.cc)

Each file is named by the SHA-1 of its bytes, as libFuzzer names corpus files. Inputs are kept
small (a few KB at most) so the checked-in corpus stays small.
"""
import glob
import hashlib
import os
import random
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_FILE = 4096

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"((?:\s*"(?:[^"\\\n]|\\.)*")*)')


def c_unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        n = body[i + 1]
        i += 2
        simple = {"n": 10, "r": 13, "t": 9, "0": 0, "\\": 92, '"': 34, "'": 39, "a": 7,
                  "b": 8, "f": 12, "v": 11, "?": 63}
        if n == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", body[i:])
            out.append(int(m.group(0), 16))
            i += len(m.group(0))
        elif n in "01234567" and re.match(r"[0-7]{1,3}", body[i - 1:]):
            m = re.match(r"[0-7]{1,3}", body[i - 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += len(m.group(0)) - 1
        elif n in simple:
            out.append(simple[n])
        else:
            out += ("\\" + n).encode()
    return bytes(out)


def literals(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    for m in LITERAL.finditer(text):
        parts = [m.group(1)] + re.findall(r'"((?:[^"\\\n]|\\.)*)"', m.group(2) or "")
        try:
            yield b"".join(c_unescape(p) for p in parts)
        except (AttributeError, IndexError):
            continue


def write(target, data):
    data = data[:MAX_FILE]
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    if "--replace" in sys.argv[1:]:
        for d in glob.glob(os.path.join(OUT, "*")):
            for f in glob.glob(os.path.join(d, "*")):
                os.remove(f)

    # URL parser: byte 0 picks the base (0 none, 1 https, 2 file, 3 non-special, 4 about:).
    urls = set()
    for src in ("net/url_test.cc", "net/url_fuzz_test.cc", "net/origin_test.cc"):
        for lit in literals(os.path.join(ROOT, src)):
            if 0 < len(lit) < 200 and (b":" in lit or b"/" in lit or b"\\" in lit):
                urls.add(lit)
    for i, u in enumerate(sorted(urls)[:150]):
        write("url", bytes([i % 5]) + u)

    # Permissions-Policy header / allow: byte 0 picks self/target origins.
    policies = set()
    for lit in literals(os.path.join(ROOT, "policy/permissions_policy_test.cc")):
        if 0 < len(lit) < 300 and (b"deferred" in lit or b"=" in lit or b"'" in lit):
            policies.add(lit)
    for lit in literals(os.path.join(ROOT, "policy/structured_fields_test.cc")):
        if 0 < len(lit) < 200:
            policies.add(lit)
    for i, p in enumerate(sorted(policies)[:150]):
        write("permissions_policy", bytes([(i * 37) & 0xFF]) + p)

    # HTTP/1.1 responses: byte 0 = options (bit0 HEAD, bit1 keep body, bit2 small limits),
    # then (length byte, chunk)*; a 0 length byte means "the rest in one piece".
    responses = set()
    for lit in literals(os.path.join(ROOT, "net/http1_response_parser_test.cc")):
        if lit.startswith(b"HTTP/") or lit.startswith(b"\r\n") or b"\r\n" in lit:
            responses.add(lit)
    responses |= {
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.0 200 OK\r\n\r\nbody until close",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nConnection: close\r\n\r\n",
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
    }
    for i, r in enumerate(sorted(responses)[:120]):
        opts = i & 3
        if i % 3 == 0:  # one piece
            write("http1_response", bytes([opts, 0]) + r)
        else:  # small chunks
            data = bytearray([opts])
            step = 1 + i % 7
            for k in range(0, len(r), step):
                piece = r[k:k + step]
                data.append(len(piece))
                data += piece
            write("http1_response", bytes(data))

    # Scenario reader: the examples, as they are (they are a few KB each).
    # (and the script pages' scenarios: runScript / loadScript steps, script expects)
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.json")) +
                       glob.glob(os.path.join(ROOT, "examples", "invalid", "*.json")) +
                       glob.glob(os.path.join(ROOT, "examples", "js", "*.json")) +
                       glob.glob(os.path.join(ROOT, "tests", "wpt_js", "*.json"))):
        write("scenario_reader", b"\x00" + open(path, "rb").read())
    for path in sorted(glob.glob(os.path.join(ROOT, "examples", "*.textproto"))):
        write("scenario_reader", b"\x01" + open(path, "rb").read())

    # Renderer host: two bytes (the attacker page's policy, its iframe's `allow`), then
    # operation sequences. Op byte % 24: 0-6 and 23 FetchLater, 7-8 QueryQuota, 9-10 Abort,
    # 11 StepResult (one in four a real page step), 12 navigate, 13-14 iframe, 15 remove
    # iframe, 16 restore, 17 close tab, 18 clock, 19 crash, 20 hidden, 21 new tab,
    # 22 navigate iframe (at most 32 operations are run).
    rng = random.Random(20240601)
    for n in range(40):
        length = rng.choice([32, 64, 128, 256, 512])
        data = bytes(rng.randrange(256) for _ in range(length))
        write("renderer_host", data)
    # Sequences biased to valid FetchLaters (few field edits) and lifecycle events.
    for n in range(20):
        data = bytearray([rng.randrange(10), rng.randrange(8)])
        for _ in range(rng.randrange(5, 30)):
            op = rng.choice([0, 0, 0, 7, 9, 11, 12, 13, 15, 16, 17, 18, 19, 21, 22])
            data.append(op + 24 * rng.randrange(10))
            data += bytes(rng.choice([0, 0, 1, 2, rng.randrange(256)]) for _ in range(12))
        write("renderer_host", bytes(data))


if __name__ == "__main__":
    main()
