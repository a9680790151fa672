#!/usr/bin/python3
"""faultserver.py: a small misbehaving Graph server on loopback, for the
control tests (interrupts, deadlines, paging that must end, malformed pages).

  /usr/bin/python3 tests/sh/faultserver.py --port-file F --log L [--lifetime 120]

Listens on 127.0.0.1 on a free port (written to F), logs one line per request
("<scenario> <path?query>") to L, and exits by itself after --lifetime
seconds. The scenario is the first path segment: /<scenario>/v1.0/... .

  ok            a page of two events
  retry429      429 with Retry-After: 60
  silent        reads the request, never answers
  trickle       200 and headers at once, then the body at 2 bytes a second
  trickle_hdr   the status line and headers at 2 bytes a second
  cycle         first -> A (?p=1&x=2) -> B (?p=2) -> A spelled ?x=2&&p=1
  selfamp       first -> A (?p=1) -> A spelled ?p=1&
  emptyloop     every page empty, each linking to a new page
  emptycycle    empty pages: first -> A (?p=a) -> B (?p=b) -> A
  secretlink    first -> ?p=1&sig=<a signature>, which answers 429 with
                Retry-After: 60 (a nextLink carrying a credential)
  linknum       a nextLink that is a number
  linkempty     a nextLink that is an empty string
  linknull      a nextLink that is null
  value42, valuenull, valueobj, valuestr, novalue, xarr, error200, bare
                200 answers that are not Graph pages
  utf8_bad, utf8_overlong, utf8_surrogate, utf8_big, utf8_cont
                a page whose event id holds invalid UTF-8
  utf8_good     a page whose event id holds valid multi-byte UTF-8
"""
import argparse
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

EV = b'{"id":"%s","activityDateTime":"2024-06-01T00:00:00Z"}'

STATIC = {
    "value42": b'{"value":42}',
    "valuenull": b'{"value":null}',
    "valueobj": b'{"value":{"id":"x","activityDateTime":"2024-06-01T00:00:00Z"}}',
    "valuestr": b'{"value":"events"}',
    "novalue": b'{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning"}',
    "xarr": b'{"x":[{"id":"a"}]}',
    "error200": b'{"error":{"code":"InternalError","message":"something broke"}}',
    "bare": b'[{"id":"a"}]',
    "linknum": b'{"value":[' + EV % b"a" + b'],"@odata.nextLink":42}',
    "linkempty": b'{"value":[' + EV % b"a" + b'],"@odata.nextLink":""}',
    "linknull": b'{"value":[' + EV % b"a" + b'],"@odata.nextLink":null}',
    "utf8_bad": b'{"value":[{"id":"ab\xffcd"}]}',
    "utf8_overlong": b'{"value":[{"id":"ab\xc0\xafcd"}]}',
    "utf8_surrogate": b'{"value":[{"id":"ab\xed\xa0\x80cd"}]}',
    "utf8_big": b'{"value":[{"id":"ab\xf4\x90\x80\x80cd"}]}',
    "utf8_cont": b'{"value":[{"id":"ab\x80cd"}]}',
    "utf8_good": '{"value":[{"id":"é€😀"}]}'.encode("utf-8"),
}

SIG = "Zq8vK2mW4tR7yB1nC5xL9pD3hF6jG0sQ"  # control_interrupt.sh greps for it

STOP = threading.Event()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def page(self, ids, link=None, raw_link=None):
        body = b'{"value":[' + b",".join(EV % i.encode() for i in ids) + b"]"
        if link is not None:
            body += b',"@odata.nextLink":"' + link.encode() + b'"'
        body += b"}"
        self.send(200, body)

    def send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlsplit(self.path)
        parts = u.path.split("/")
        scen = parts[1] if len(parts) > 1 else ""
        with open(self.server.log, "a") as f:
            f.write("%s %s\n" % (scen, self.path))
        base = "http://127.0.0.1:%d%s" % (self.server.server_address[1], u.path)
        q = u.query
        params = dict(p.split("=", 1) for p in q.split("&") if "=" in p)
        p = params.get("p")
        try:
            if scen == "ok":
                self.page(["a", "b"])
            elif scen == "retry429":
                self.send(429, b'{"error":{"code":"TooManyRequests","message":"slow down"}}', [("Retry-After", "60")])
            elif scen == "silent":
                STOP.wait(self.server.lifetime)
            elif scen in ("trickle", "trickle_hdr"):
                if scen == "trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                    data = b'{"value":[' + b" " * 99990
                else:
                    data = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"x" * 99990
                for i in range(0, len(data), 2):
                    if STOP.wait(1.0):
                        return
                    self.wfile.write(data[i:i + 2])
                    self.wfile.flush()
            elif scen == "cycle":
                if p is None:
                    self.page(["c0"], base + "?p=1&x=2")
                elif p == "1":
                    self.page(["c1"], base + "?p=2")
                else:
                    self.page(["c2"], base + "?x=2&&p=1")
            elif scen == "secretlink":
                if p is None:
                    self.page(["k0"], base + "?p=1&sig=" + SIG)
                else:
                    self.send(429, b'{"error":{"code":"TooManyRequests","message":"slow down"}}', [("Retry-After", "60")])
            elif scen == "selfamp":
                self.page(["s0"] if p is None else ["s1"], base + ("?p=1" if p is None else "?p=1&"))
            elif scen == "emptyloop":
                n = int(p) if p else 0
                self.page([], base + "?p=%d" % (n + 1))
            elif scen == "emptycycle":
                nxt = {None: "a", "a": "b", "b": "a"}[p]
                self.page([], base + "?p=" + nxt)
            elif scen in STATIC:
                self.send(200, STATIC[scen])
            else:
                self.send(404, b'{"error":{"code":"NotFound","message":"no such scenario"}}')
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass

    def do_POST(self):  # the token request (auth='azure' with PROVISIONING_AUTHORITY_HOST)
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)
        self.do_GET()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=120)
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.log = a.log
    srv.lifetime = a.lifetime
    open(a.log, "w").close()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    time.sleep(a.lifetime)
    STOP.set()
    srv.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
