#!/usr/bin/env python3
"""faultwrite.py: a tiny HTTP/1.1 server (tests only) that fails one write.

    faultwrite.py --port-file F --log L --fault cut|hold|503 [--nth 2] [--lifetime 60]

Listens on 127.0.0.1, a free port written to --port-file once listening.
Keeps connections alive like a real server. Every request is appended to
--log as one JSON line {"n", "method", "path", "body", "conn", "answer"}
BEFORE it is answered, so a body the client sends twice shows up twice.
Writes (anything but GET) are counted; the --nth one gets the fault:
  cut   its body is read whole, then the connection is closed, no answer
  hold  its body is read whole, then nothing is sent until the client leaves
  503   answered 503 with Retry-After: 0 (once), so a retry is allowed
Other writes: POST -> 201 {"id":"w-<n>"}; PATCH, DELETE -> 204. GET -> 200
{"value":[]}. Exits after --lifetime seconds whatever happens.
"""
import argparse
import json
import os
import socket
import threading
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--fault", choices=["cut", "hold", "503", "none"], default="cut")
ap.add_argument("--nth", type=int, default=2)
ap.add_argument("--lifetime", type=float, default=60)
args = ap.parse_args()

lock = threading.Lock()
state = {"writes": 0, "requests": 0, "fired": False}


def log(entry):
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def read_request(f):
    line = f.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0") or 0)
    body = f.read(n).decode("utf-8", "replace") if n else None
    return method, target, headers, body


def answer(sock, status, reason, body=None, extra=()):
    data = b"" if body is None else json.dumps(body).encode()
    head = ["HTTP/1.1 %d %s" % (status, reason), "Content-Length: %d" % len(data), "Connection: keep-alive"]
    if body is not None:
        head.append("Content-Type: application/json")
    head.extend(extra)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)


def serve(sock, port):
    f = sock.makefile("rb")
    try:
        while True:
            req = read_request(f)
            if req is None:
                return
            method, target, headers, body = req
            with lock:
                state["requests"] += 1
                n = state["requests"]
                nth = 0
                if method != "GET":
                    state["writes"] += 1
                    nth = state["writes"]
            fault = None
            if nth == args.nth and args.fault != "none" and not state["fired"]:
                fault = args.fault
                state["fired"] = True
            entry = {"n": n, "method": method, "path": target, "body": body, "conn": port,
                     "retry_attempt": headers.get("retry-attempt"), "answer": fault or "ok"}
            log(entry)
            if fault == "cut":
                sock.shutdown(socket.SHUT_RDWR)
                return
            if fault == "hold":
                while sock.recv(1024):
                    pass
                return
            if fault == "503":
                answer(sock, 503, "Service Unavailable", {"error": {"code": "ServiceUnavailable", "message": "busy"}},
                       ["Retry-After: 0"])
            elif method == "GET":
                answer(sock, 200, "OK", {"value": []})
            elif method == "POST":
                obj = {}
                try:
                    obj = json.loads(body or "{}")
                except ValueError:
                    pass
                obj["id"] = "w-%d" % nth
                answer(sock, 201, "Created", obj)
            else:
                answer(sock, 204, "No Content")
    except OSError:
        return
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(tmp, args.port_file)
    threading.Timer(args.lifetime, lambda: os._exit(0)).start()
    while True:
        c, addr = srv.accept()
        threading.Thread(target=serve, args=(c, addr[1]), daemon=True).start()


main()
