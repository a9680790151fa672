# trust_listener.py MODE PORTFILE LOG [SECONDS]: a loopback listener for the
# trust tests (tests/sh/trust_*.sh), on a free port written to PORTFILE,
# gone after SECONDS (default 300).
#   MODE catch   records every byte it receives (a proxy, or anything else)
#   MODE graph   a tiny Graph: logs each request (one JSON line: method,
#                path, headers) and answers
#                  POST .../oauth2/v2.0/token  an access token ($ISSUED_TOKEN)
#                  GET  .../echo400/...        400 Graph error echoing the bearer token
#                  GET  .../echoraw/...        502 text echoing the bearer token
#                  GET  .../echo200/...        a page whose nextLink carries
#                                              access_token=<the token>, then a last page
#                  GET  .../retry/...          429 with Retry-After: 1000
#                  GET  .../outboundProvisioningFlowSets  one flow set; .../provisioningFlows one flow
#                  GET  .../auditLogs/provisioning        two events
import json, os, socket, sys, threading, time
mode, port_file, log_path = sys.argv[1], sys.argv[2], sys.argv[3]
life = float(sys.argv[4]) if len(sys.argv) > 4 else 300
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0)); s.listen(32)
port = s.getsockname()[1]
log = open(log_path, 'ab', buffering=0)
lock = threading.Lock()
EV = [{"id": "ev-1", "activityDateTime": "2024-06-01T10:00:00Z", "jobId": "job-1",
       "provisioningStatusInfo": {"status": "success"}},
      {"id": "ev-2", "activityDateTime": "2024-06-02T10:00:00Z", "jobId": "job-2",
       "provisioningStatusInfo": {"status": "failure"}}]

def answer(c, status, body, ctype='application/json', extra=''):
    b = body.encode() if isinstance(body, str) else body
    c.sendall(('HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n' %
               (status, ctype, len(b), extra)).encode() + b)

def graph(c):
    f = c.makefile('rb')
    while True:
        line = f.readline()
        if not line: return
        method, target = line.decode('latin-1').split(' ')[:2]
        hdr = {}
        while True:
            h = f.readline().decode('latin-1')
            if h in ('\r\n', '\n', ''): break
            k, _, v = h.partition(':'); hdr[k.strip().lower()] = v.strip()
        n = int(hdr.get('content-length', '0') or 0)
        body = f.read(n).decode('latin-1') if n else ''
        with lock:
            log.write((json.dumps({"method": method, "path": target, "headers": hdr, "body": body}) + '\n').encode())
        tok = hdr.get('authorization', '')[7:]
        path = target.split('?')[0]
        if method == 'POST' and path.endswith('/oauth2/v2.0/token'):
            answer(c, 200, json.dumps({"token_type": "Bearer", "expires_in": 3600,
                                       "access_token": os.environ.get('ISSUED_TOKEN', 'issued')}))
        elif '/echo400/' in path:
            answer(c, 400, json.dumps({"error": {"code": "InvalidAuthenticationToken",
                                                 "message": "Access token " + tok + " has expired; get a new one."}}))
        elif '/echoraw/' in path:
            answer(c, 502, "bad gateway: upstream refused token=" + tok + " (try later)", 'text/plain')
        elif '/echo200/' in path:
            if 'skiptoken' in target:
                answer(c, 200, json.dumps({"value": EV[1:]}))
            else:
                nl = 'http://127.0.0.1:%d%s?access_token=%s&$skiptoken=p2' % (port, path, tok)
                answer(c, 200, json.dumps({"@odata.nextLink": nl, "value": EV[:1]}))
        elif '/retry/' in path:
            answer(c, 429, json.dumps({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                   extra='Retry-After: 1000\r\n')
        elif path.endswith('/outboundProvisioningFlowSets'):
            answer(c, 200, json.dumps({"value": [{"id": "fs-1", "displayName": "set one"}]}))
        elif path.endswith('/provisioningFlows'):
            answer(c, 200, json.dumps({"value": [{"@odata.type": "#microsoft.graph.industryData.userProvisioningFlow",
                                                   "id": "fl-1", "readinessStatus": "ready"}]}))
        elif path.endswith('/auditLogs/provisioning'):
            answer(c, 200, json.dumps({"value": EV}))
        else:
            answer(c, 404, json.dumps({"error": {"code": "NotFound", "message": "no route"}}))

def catch(c):
    while True:
        d = c.recv(65536)
        if not d: return
        with lock: log.write(d)

def serve(c):
    c.settimeout(10)
    try:
        if mode == 'catch':
            with lock: log.write(b'[connection]\n')
            catch(c)
        else:
            graph(c)
    except Exception:
        pass
    finally:
        c.close()

open(port_file + '.tmp', 'w').write(str(port)); os.rename(port_file + '.tmp', port_file)
s.settimeout(0.5)
end = time.time() + life
while time.time() < end:
    try: c, _ = s.accept()
    except socket.timeout: continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
