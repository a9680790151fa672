#!/usr/bin/env node
'use strict';
// Mock Microsoft Graph server for the provisioning extension's tests.
// See README.md beside this file for the command line, routes and knobs.

const http = require('http');
const https = require('https');
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { loadEventsFile } = require('./load');
const od = require('./odata');
const tokens = require('./tokens'); // the Azure credential chain's token endpoints

// ---- command line

function usage(msg) {
  if (msg) process.stderr.write(`mockgraph: ${msg}\n`);
  process.stderr.write('usage: node server.js --data FILE [--port 0] [--port-file F] [--idle-exit SECONDS]\n' +
    '                      [--parent-pid PID] [--tls-key K --tls-cert C]\n');
  process.exit(2);
}

const opt = { data: null, port: 0, portFile: null, idleExit: 300, parentPid: 0, tlsKey: null, tlsCert: null };
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const need = () => { if (i + 1 >= a.length) usage(`${a[i]} needs a value`); return a[++i]; };
    switch (a[i]) {
      case '--data': opt.data = need(); break;
      case '--port': opt.port = Number(need()); break;
      case '--port-file': opt.portFile = need(); break;
      case '--idle-exit': opt.idleExit = Number(need()); break;
      case '--parent-pid': opt.parentPid = Number(need()); break;
      case '--tls-key': opt.tlsKey = need(); break;
      case '--tls-cert': opt.tlsCert = need(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a[i]}`);
    }
  }
  if (!opt.data) usage('--data is required');
  if (!Number.isInteger(opt.port) || opt.port < 0 || opt.port > 65535) usage('bad --port');
  if (!(opt.idleExit > 0)) usage('bad --idle-exit');
  if (!!opt.tlsKey !== !!opt.tlsCert) usage('--tls-key and --tls-cert go together');
}

// ---- data

let BASE_EVENTS;
try {
  BASE_EVENTS = loadEventsFile(opt.data);
} catch (e) {
  process.stderr.write(`mockgraph: cannot load ${opt.data}: ${e.message}\n`);
  process.exit(1);
}
const BASE_INDEX = new Map();
BASE_EVENTS.forEach((ev, i) => {
  if (typeof ev.id === 'string' && !BASE_INDEX.has(ev.id)) BASE_INDEX.set(ev.id, i);
});

const FLOW_TYPES = new Set(['administrativeUnit', 'classGroup', 'securityGroup', 'user']
  .map((t) => `#microsoft.graph.industryData.${t}ProvisioningFlow`));

function initialFlowSets() {
  const t0 = '2024-03-01T08:00:00.0000000Z';
  const t1 = '2024-03-02T09:30:00.0000000Z';
  const ptype = '#microsoft.graph.industryData.';
  return [
    {
      id: 'fs-0001', displayName: 'Contoso District: staff and students',
      filter: { '@odata.type': ptype + 'basicFilter', attribute: 'orgExternalId', in: ['org-100', 'org-200'] },
      createdDateTime: t0, lastModifiedDateTime: t1,
      flows: [
        {
          '@odata.type': ptype + 'userProvisioningFlow', id: 'fl-0001', createdDateTime: t0, lastModifiedDateTime: t1,
          readinessStatus: 'ready', createUnmatchedUsers: true,
          managementOptions: { additionalAttributes: ['userGradeLevel'], additionalOptions: { markAllStudentsAsMinors: true, allowStudentContactAssociation: false } },
          creationOptions: { configurations: [{ licenseSkus: ['Sku1'], defaultPasswordSettings: { '@odata.type': ptype + 'simplePasswordSettings', password: '********' } }] },
        },
        {
          '@odata.type': ptype + 'classGroupProvisioningFlow', id: 'fl-0002', createdDateTime: t0, lastModifiedDateTime: t0,
          readinessStatus: 'notReady',
          configuration: {
            additionalAttributes: ['courseTitle', 'courseCode'],
            additionalOptions: { createTeam: true, writeDisplayNameOnCreateOnly: false },
            enrollmentMappings: { ownerEnrollmentMappings: [{ code: 'teacher' }], memberEnrollmentMappings: [{ code: 'student' }] },
          },
        },
      ],
    },
    {
      id: 'fs-0002', displayName: 'Fabrikam College: groups',
      filter: { '@odata.type': ptype + 'basicFilter', attribute: 'orgExternalId', in: ['org-300'] },
      createdDateTime: t1, lastModifiedDateTime: t1,
      flows: [
        {
          '@odata.type': ptype + 'administrativeUnitProvisioningFlow', id: 'fl-0003', createdDateTime: t1, lastModifiedDateTime: t1,
          readinessStatus: 'ready', creationOptions: { createBasedOnOrg: true, createBasedOnOrgPlusRoleGroup: false },
        },
        {
          '@odata.type': ptype + 'securityGroupProvisioningFlow', id: 'fl-0004', createdDateTime: t1, lastModifiedDateTime: t1,
          readinessStatus: 'failed', creationOptions: { createBasedOnRoleGroup: true, createBasedOnOrgPlusRoleGroup: false },
        },
      ],
    },
  ];
}

// ---- scenarios

const DEFAULT_KNOBS = {
  gzip: true, maxTop: 1000, defaultTop: 100, pageSize: 0,
  requireAuth: false, staticToken: null, clientId: 'test-client', clientSecret: 'test-secret', tokenTtl: 3600,
  fail: [], rateLimit: null, slowBytesPerSec: 0, truncate: null, reset: null, nextLinkHost: null,
  redirect: null, hugeBody: null, delayMs: 0, throwError: null,
  // OData beyond Microsoft's docs for this API: refused (400) unless allowed
  allowOr: false, allowSelect: false, allowWideInt: false, refuse: [],
};

const MAX_TOKENS = 200000;
const scenarios = new Map();

function newScenario(name) {
  return {
    name,
    knobs: JSON.parse(JSON.stringify(DEFAULT_KNOBS)),
    log: [],
    nRequests: 0,
    fired: new WeakMap(), // trigger object -> times fired
    events: null, // null: BASE_EVENTS (copy on write)
    index: null,
    version: 0, // bumped by every write to the events
    gzMemo: new Map(), // page memo key -> gzipped body (see listEvents)
    gzMemoBytes: 0,
    skiptokens: new Map(),
    rateTimes: [],
    accessTokens: new Map(), // token -> expiry (ms)
    flowSets: initialFlowSets(),
  };
}

function scenario(name) {
  let s = scenarios.get(name);
  if (!s) {
    s = newScenario(name);
    scenarios.set(name, s);
  }
  return s;
}

function eventsOf(s) { return s.events || BASE_EVENTS; }
function findEvent(s, id) {
  const i = (s.index || BASE_INDEX).get(id);
  return i === undefined ? -1 : i;
}
function writableEvents(s) {
  s.version++;
  if (!s.events) {
    s.events = BASE_EVENTS.slice();
    s.index = new Map(BASE_INDEX);
  }
  return s.events;
}

// ---- knob validation

function isTrigger(t) {
  return t && typeof t === 'object' && !Array.isArray(t);
}
function checkTriggers(name, v, extra) {
  const list = Array.isArray(v) ? v : [v];
  for (const t of list) {
    if (!isTrigger(t)) throw new od.BadRequest(`knob ${name}: each entry must be an object`);
    for (const k of Object.keys(t)) {
      if (!['page', 'request', 'times', 'methods', ...extra].includes(k)) throw new od.BadRequest(`knob ${name}: unknown field '${k}'`);
    }
    for (const k of ['page', 'request']) {
      if (t[k] !== undefined && !(Number.isInteger(t[k]) && t[k] >= 1)) throw new od.BadRequest(`knob ${name}: ${k} must be an integer >= 1`);
    }
    if (t.times !== undefined && !(Number.isInteger(t.times) && (t.times >= 1 || t.times === -1))) throw new od.BadRequest(`knob ${name}: times must be >= 1 or -1`);
    if (t.methods !== undefined && !(Array.isArray(t.methods) && t.methods.every((m) => typeof m === 'string'))) throw new od.BadRequest(`knob ${name}: methods must be a list of strings`);
  }
}

function validateKnobs(k) {
  if (!k || typeof k !== 'object' || Array.isArray(k)) throw new od.BadRequest('config body must be a JSON object');
  for (const [name, v] of Object.entries(k)) {
    if (!(name in DEFAULT_KNOBS)) throw new od.BadRequest(`unknown knob '${name}' (known: ${Object.keys(DEFAULT_KNOBS).join(', ')})`);
    if (v === null) continue; // back to "off"/default
    const posInt = (x) => Number.isInteger(x) && x >= 1;
    switch (name) {
      case 'gzip': case 'requireAuth': case 'allowOr': case 'allowSelect': case 'allowWideInt':
        if (typeof v !== 'boolean') throw new od.BadRequest(`knob ${name} must be a boolean`);
        break;
      case 'maxTop': case 'defaultTop': case 'tokenTtl':
        if (!posInt(v)) throw new od.BadRequest(`knob ${name} must be an integer >= 1`);
        break;
      case 'pageSize': case 'slowBytesPerSec': case 'delayMs':
        if (!(Number.isInteger(v) && v >= 0)) throw new od.BadRequest(`knob ${name} must be an integer >= 0`);
        break;
      case 'staticToken': case 'clientId': case 'clientSecret': case 'nextLinkHost':
        if (typeof v !== 'string') throw new od.BadRequest(`knob ${name} must be a string`);
        break;
      case 'fail':
        if (!Array.isArray(v)) throw new od.BadRequest('knob fail must be a list');
        checkTriggers(name, v, ['status', 'retryAfter', 'code', 'message', 'body']);
        for (const f of v) {
          if (!(Number.isInteger(f.status) && f.status >= 100 && f.status <= 599)) throw new od.BadRequest('knob fail: status must be an HTTP status');
          if (f.page === undefined && f.request === undefined) throw new od.BadRequest('knob fail: page or request is required');
        }
        break;
      case 'refuse':
        if (!Array.isArray(v)) throw new od.BadRequest('knob refuse must be a list');
        checkTriggers(name, v, ['form']);
        for (const f of v) {
          if (!REFUSABLE[f.form]) throw new od.BadRequest(`knob refuse: form must be one of ${Object.keys(REFUSABLE).join(', ')}`);
        }
        break;
      case 'rateLimit':
        if (!isTrigger(v) || !posInt(v.requests) || !posInt(v.windowMs)) throw new od.BadRequest('knob rateLimit must be {"requests": N, "windowMs": W}');
        break;
      case 'truncate': case 'reset': case 'throwError':
        checkTriggers(name, v, []);
        break;
      case 'redirect':
        checkTriggers(name, v, ['location', 'status']);
        for (const t of Array.isArray(v) ? v : [v]) {
          if (typeof t.location !== 'string') throw new od.BadRequest('knob redirect: location is required');
        }
        break;
      case 'hugeBody':
        checkTriggers(name, v, ['bytes']);
        for (const t of Array.isArray(v) ? v : [v]) {
          if (!posInt(t.bytes)) throw new od.BadRequest('knob hugeBody: bytes must be an integer >= 1');
        }
        break;
      default:
        break;
    }
  }
}

// Does a trigger fire for this request? Counts the firing.
// defTimes: how often it fires when "times" is absent (-1 = always).
function fires(s, t, ctx, defTimes) {
  if (t.page !== undefined && t.page !== ctx.page) return false;
  if (t.request !== undefined && t.request !== ctx.nth) return false;
  if (t.methods && !t.methods.map((m) => m.toUpperCase()).includes(ctx.method)) return false;
  const times = t.times !== undefined ? t.times : defTimes;
  const n = s.fired.get(t) || 0;
  if (times !== -1 && n >= times) return false;
  s.fired.set(t, n + 1);
  return true;
}
function firstFiring(s, v, ctx, defTimes) {
  if (!v) return null;
  for (const t of Array.isArray(v) ? v : [v]) if (fires(s, t, ctx, defTimes)) return t;
  return null;
}

// ---- responses

const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const ERROR_CODES = {
  400: 'BadRequest', 401: 'InvalidAuthenticationToken', 403: 'Authorization_RequestDenied', 404: 'ResourceNotFound',
  405: 'MethodNotAllowed', 409: 'Conflict', 429: 'TooManyRequests', 500: 'InternalServerError',
  502: 'BadGateway', 503: 'ServiceUnavailable', 504: 'GatewayTimeout',
};

function nowIso7() {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

function errorBody(ctx, status, code, message) {
  return {
    error: {
      code: code || ERROR_CODES[status] || 'UnknownError',
      message: message || http.STATUS_CODES[status] || 'Error',
      innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId },
    },
  };
}

function finishLog(ctx, status) {
  if (ctx.logEntry && ctx.logEntry.status === null) ctx.logEntry.status = status;
}

const GZ_MEMO_MAX = 128 * 1024 * 1024; // bytes of gzipped pages kept per scenario

// Send a complete answer: gzip, truncate and slow delivery applied here.
// body: text, a Buffer, null, or a function giving the text (called only
// when needed); memoKey: set when the text is fully determined by it.
function send(ctx, status, headers, body, memoKey) {
  const { res, s } = ctx;
  if (ctx.sent) return;
  ctx.sent = true;
  finishLog(ctx, status);
  const h = Object.assign({ 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId }, headers);
  const gzip = s && s.knobs.gzip !== false && /\bgzip\b/i.test(ctx.req.headers['accept-encoding'] || '');
  const kept = gzip && memoKey ? s.gzMemo.get(memoKey) : undefined;
  if (typeof body === 'function') body = kept ? null : body();
  let buf = body === null || body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  if (kept || (buf && buf.length > 0 && gzip)) {
    // The fastest level, and a listing page whose text is fully determined
    // by memoKey is compressed once: the mock must not be what a benchmark
    // of the client measures.
    if (kept) {
      buf = kept;
    } else {
      buf = zlib.gzipSync(buf, { level: 1 });
      if (memoKey) {
        s.gzMemo.set(memoKey, buf);
        s.gzMemoBytes += buf.length;
        while (s.gzMemoBytes > GZ_MEMO_MAX) {
          const [k, v] = s.gzMemo.entries().next().value;
          s.gzMemo.delete(k);
          s.gzMemoBytes -= v.length;
        }
      }
    }
    h['Content-Encoding'] = 'gzip';
    h.Vary = 'Accept-Encoding';
  }
  if (buf) h['Content-Length'] = buf.length;
  else if (status !== 204 && status !== 304) h['Content-Length'] = 0;
  const truncate = s && ctx.graph ? firstFiring(s, s.knobs.truncate, ctx, -1) : null;
  if (truncate && buf && buf.length > 1) {
    h.Connection = 'close';
    res.writeHead(status, h);
    res.write(buf.subarray(0, Math.floor(buf.length / 2)), () => res.socket && res.socket.destroy());
    return;
  }
  const rate = s && ctx.graph ? s.knobs.slowBytesPerSec : 0;
  res.writeHead(status, h);
  if (!buf || buf.length === 0) {
    res.end();
    return;
  }
  if (!rate) {
    res.end(buf);
    return;
  }
  // slow delivery: a few bytes per tick, until done or the client goes away
  const tickMs = rate <= 10 ? Math.floor(1000 / rate) : 100;
  const per = rate <= 10 ? 1 : Math.ceil(rate / 10);
  let off = 0;
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded) {
      clearInterval(timer);
      return;
    }
    const next = Math.min(buf.length, off + per);
    res.write(buf.subarray(off, next));
    off = next;
    if (off >= buf.length) {
      clearInterval(timer);
      res.end();
    }
  }, tickMs);
  res.on('close', () => clearInterval(timer));
}

function sendJson(ctx, status, obj, extraHeaders) {
  send(ctx, status, Object.assign({ 'Content-Type': JSON_TYPE }, extraHeaders || {}), JSON.stringify(obj));
}

function sendError(ctx, status, code, message, extraHeaders) {
  sendJson(ctx, status, errorBody(ctx, status, code, message), extraHeaders);
}

// ---- request handling

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n <= 64 * 1024 * 1024) chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonBody(ctx) {
  let v;
  try {
    v = JSON.parse(ctx.bodyText || '');
  } catch (e) {
    throw new od.BadRequest('Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new od.BadRequest('The request body must be a JSON object.');
  return v;
}

let lastActivity = Date.now();
let inFlight = 0;
const SCEN_RE = /^[A-Za-z0-9_.~-]+$/;

async function handle(req, res) {
  const time = Date.now();
  lastActivity = time;
  const url = req.url || '/';
  const qpos = url.indexOf('?');
  const rawPath = qpos < 0 ? url : url.slice(0, qpos);
  const rawQuery = qpos < 0 ? '' : url.slice(qpos + 1);
  const requestId = crypto.randomUUID();
  const ctx = {
    req, res, s: null, method: req.method.toUpperCase(), url, rawPath, rawQuery, requestId,
    clientRequestId: typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : requestId,
    time, sent: false, graph: false, page: null, nth: 0, logEntry: null, bodyText: null,
  };
  try {
    const body = await readBody(req);
    ctx.bodyText = body.length ? body.toString('utf8') : null;

    if (rawPath.startsWith('/_mock/')) return handleAdmin(ctx);

    let prefix = '';
    let name = 'default';
    let rest = rawPath;
    const m = /^\/s\/([^/]+)(\/.*)?$/.exec(rawPath);
    if (m) {
      name = decodeURIComponent(m[1]);
      if (!SCEN_RE.test(name)) return sendError(ctx, 400, 'BadRequest', 'bad scenario name');
      prefix = '/s/' + m[1];
      rest = m[2] || '/';
    }
    const s = scenario(name);
    ctx.s = s;
    ctx.prefix = prefix;
    ctx.rest = rest;
    s.nRequests++;
    ctx.nth = s.nRequests;
    let query = {};
    try {
      for (const p of od.parseQueryString(rawQuery)) query[p.key] = p.value;
    } catch (e) {
      query = { _raw: rawQuery };
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
    // conn: the client's port, the same for requests sent over one kept-alive connection
    const conn = ctx.req.socket ? ctx.req.socket.remotePort : null;
    ctx.logEntry = { method: ctx.method, url, path: rawPath, query, headers, body: ctx.bodyText, status: null, time, conn };
    s.log.push(ctx.logEntry);

    if (s.knobs.delayMs > 0) await new Promise((r) => setTimeout(r, s.knobs.delayMs));
    return routeGraph(ctx);
  } catch (e) {
    return internalError(ctx, e);
  }
}

function internalError(ctx, e) {
  if (!(e instanceof od.BadRequest)) process.stderr.write(`mockgraph: ${ctx.method} ${ctx.url}: ${e && e.stack || e}\n`);
  if (ctx.sent || ctx.res.headersSent) {
    if (ctx.res.socket) ctx.res.socket.destroy();
    return;
  }
  if (e instanceof od.BadRequest) return sendError(ctx, 400, 'BadRequest', e.message);
  return sendError(ctx, 500, 'InternalServerError', 'mock server error: ' + (e && e.message));
}

// ---- admin API (never logged)

function handleAdmin(ctx) {
  const m = /^\/_mock\/s\/([^/]+)\/(config|reset|requests)$/.exec(ctx.rawPath);
  const plain = (status, obj) => {
    ctx.sent = true;
    const b = JSON.stringify(obj);
    ctx.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b) });
    ctx.res.end(b);
  };
  if (ctx.rawPath === '/_mock/ping') return plain(200, { ok: true, events: BASE_EVENTS.length });
  if (tokens.admin(ctx, plain, scenario)) return;
  if (!m) return plain(404, { error: 'unknown admin path' });
  const name = decodeURIComponent(m[1]);
  if (!SCEN_RE.test(name)) return plain(400, { error: 'bad scenario name' });
  const what = m[2];
  if (what === 'requests') {
    if (ctx.method !== 'GET') return plain(405, { error: 'GET only' });
    const s = scenarios.get(name);
    return plain(200, s ? s.log : []);
  }
  if (ctx.method !== 'POST' && !(what === 'config' && ctx.method === 'GET')) return plain(405, { error: 'POST only' });
  if (what === 'reset') {
    scenarios.set(name, newScenario(name));
    return plain(200, { ok: true });
  }
  const s = scenario(name);
  if (ctx.method === 'GET') return plain(200, s.knobs);
  let k;
  try {
    k = JSON.parse(ctx.bodyText || '{}');
    validateKnobs(k);
  } catch (e) {
    return plain(400, { error: e.message });
  }
  for (const [key, v] of Object.entries(k)) s.knobs[key] = v === null ? JSON.parse(JSON.stringify(DEFAULT_KNOBS[key])) : v;
  return plain(200, s.knobs);
}

// ---- Graph routes

function routeGraph(ctx) {
  const { s } = ctx;
  const segs = ctx.rest.split('/').slice(1).map((x) => {
    try { return decodeURIComponent(x); } catch (e) { return x; }
  });
  const low = segs.map((x) => x.toLowerCase());

  // token endpoint: /{tenant}/oauth2/v2.0/token
  if (segs.length === 4 && low[1] === 'oauth2' && low[2] === 'v2.0' && low[3] === 'token') return tokenEndpoint(ctx, segs[0]);
  if (tokens.route(ctx, segs, low, sendJson)) return;

  const v = low[0];
  if (v !== 'v1.0' && v !== 'beta') return sendError(ctx, 404, 'ResourceNotFound', `No route for ${ctx.rawPath}`);
  ctx.graph = true;
  ctx.version = v;

  // what kind of request is this (for page triggers)
  let kind = null;
  const collection = low[1] === 'auditlogs' && (low[2] === 'provisioning' || (v === 'beta' && low[2] === 'directoryprovisioning'));
  if (collection && segs.length === 3 && ctx.method === 'GET') {
    kind = 'list';
    const q = od.parseQueryString.bind(null);
    let tok = null;
    try {
      for (const p of q(ctx.rawQuery)) if (p.key === '$skiptoken') tok = p.value;
    } catch (e) { /* reported later */ }
    if (tok === null) ctx.page = 1;
    else {
      const t = s.skiptokens.get(tok);
      ctx.page = t ? t.page : null;
    }
  }

  // rate limit (sliding window over admitted Graph requests)
  const rl = s.knobs.rateLimit;
  if (rl) {
    const since = ctx.time - rl.windowMs;
    while (s.rateTimes.length && s.rateTimes[0] <= since) s.rateTimes.shift();
    if (s.rateTimes.length >= rl.requests) {
      const wait = Math.max(1, Math.ceil((s.rateTimes[0] + rl.windowMs - ctx.time) / 1000));
      return sendError(ctx, 429, 'TooManyRequests', 'Too many requests.', { 'Retry-After': String(wait) });
    }
    s.rateTimes.push(ctx.time);
  }

  // injected failures
  for (const f of s.knobs.fail || []) {
    if (!fires(s, f, ctx, 1)) continue;
    const h = {};
    if (f.retryAfter !== undefined && f.retryAfter !== null) h['Retry-After'] = String(f.retryAfter);
    if (typeof f.body === 'string') return send(ctx, f.status, Object.assign({ 'Content-Type': 'application/json' }, h), f.body);
    return sendError(ctx, f.status, f.code, f.message || `Injected failure (HTTP ${f.status}).`, h);
  }
  if (firstFiring(s, s.knobs.reset, ctx, -1)) {
    ctx.sent = true;
    finishLog(ctx, 0);
    ctx.req.socket.destroy();
    return;
  }
  const redir = firstFiring(s, s.knobs.redirect, ctx, -1);
  if (redir) {
    return send(ctx, redir.status || 302, { Location: redir.location, 'Content-Type': 'text/plain' }, 'Redirecting to ' + redir.location);
  }

  // authentication
  if (s.knobs.requireAuth) {
    const a = ctx.req.headers.authorization || '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(a);
    let ok = false;
    if (m) {
      const exp = s.accessTokens.get(m[1]);
      ok = (exp !== undefined && exp > Date.now()) || (s.knobs.staticToken !== null && m[1] === s.knobs.staticToken);
    }
    if (!ok) {
      return sendError(ctx, 401, 'InvalidAuthenticationToken', a ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.',
        { 'WWW-Authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' });
    }
  }

  if (firstFiring(s, s.knobs.throwError, ctx, -1)) throw new Error('throwError knob: a deliberate handler exception');

  const huge = firstFiring(s, s.knobs.hugeBody, ctx, -1);
  if (huge) return sendHuge(ctx, huge.bytes);

  if (collection) {
    if (segs.length === 3) {
      if (ctx.method === 'GET') return listEvents(ctx);
      if (ctx.method === 'POST') return createEvent(ctx);
      if (ctx.method === 'PATCH') {
        const b = parseJsonBody(ctx);
        if (typeof b.id !== 'string') throw new od.BadRequest('The id of the object to update is missing from the body.');
        return patchEvent(ctx, b.id, b);
      }
      return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported on this collection.`, { Allow: 'GET, POST, PATCH' });
    }
    if (segs.length === 4 && low[2] === 'directoryprovisioning' && segs[3] === '$ref') {
      if (ctx.method === 'POST') return createEvent(ctx);
      return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported on $ref.`, { Allow: 'POST' });
    }
    if (segs.length === 4) {
      const id = segs[3];
      if (ctx.method === 'GET') {
        const i = findEvent(s, id);
        if (i < 0) return sendError(ctx, 404, 'ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
        return sendJson(ctx, 200, Object.assign({ '@odata.context': contextUrl(ctx, '/$entity') }, versionShape(ctx, eventsOf(s)[i])));
      }
      if (ctx.method === 'PATCH') return patchEvent(ctx, id, parseJsonBody(ctx));
      return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported on provisioning events.`, { Allow: 'GET, PATCH' });
    }
  }
  if (v === 'beta' && low[1] === 'external' && low[2] === 'industrydata' && low[3] === 'outboundprovisioningflowsets') {
    return flowRoutes(ctx, segs.slice(4), low.slice(4));
  }
  return sendError(ctx, 400, 'BadRequest', `Resource not found for the segment '${segs[segs.length - 1]}'.`);
}

function contextUrl(ctx, suffix) {
  return `https://graph.microsoft.com/${ctx.version}/$metadata#auditLogs/provisioning${suffix || ''}`;
}

// ---- events: list

const KNOWN_OPTIONS = new Set(['$filter', '$orderby', '$top', '$select', '$skiptoken']);

// The knob refuse: [{"form": F, "times": n, ...trigger}] answers 400 to a
// listing that carries form F (even a documented one), n times (default 1),
// with a message naming it as Graph would.
const REFUSABLE = {
  or: "Operator 'or' is not supported in $filter on this resource.",
  and: "Operator 'and' is not supported in $filter on this resource.",
  eq: "Operator 'eq' is not supported in $filter on this resource.",
  gt: "Operator 'gt' is not supported in $filter on this resource.",
  lt: "Operator 'lt' is not supported in $filter on this resource.",
  contains: "Function 'contains' is not supported in $filter on this resource.",
  $select: "Query option '$select' is not supported on this resource.",
  $orderby: "Query option '$orderby' is not supported on this resource.",
  $top: "Query option '$top' is not supported on this resource.",
};

function listEvents(ctx) {
  const { s } = ctx;
  const params = od.parseQueryString(ctx.rawQuery);
  const opts = {};
  for (const p of params) {
    if (!p.key.startsWith('$')) continue; // non-OData parameters are ignored, as Graph does
    if (!KNOWN_OPTIONS.has(p.key)) throw new od.BadRequest(`Query option '${p.key}' is not supported on this resource.`);
    if (p.key in opts) throw new od.BadRequest(`Query option '${p.key}' was specified more than once, but it must be specified at most once.`);
    opts[p.key] = p.value;
  }
  let pred = null;
  const cx = { seen: new Set(), allowOr: s.knobs.allowOr, allowWideInt: s.knobs.allowWideInt };
  if ('$filter' in opts) pred = od.compileFilter(opts.$filter, cx);
  for (const k of ['$select', '$orderby', '$top']) if (k in opts) cx.seen.add(k);
  for (const f of s.knobs.refuse || []) {
    if (cx.seen.has(f.form) && !('$skiptoken' in opts) && fires(s, f, ctx, 1)) throw new od.BadRequest(REFUSABLE[f.form]);
  }
  if ('$select' in opts && !s.knobs.allowSelect) throw new od.BadRequest(REFUSABLE.$select);
  const dir = '$orderby' in opts ? od.parseOrderBy(opts.$orderby) : 0;
  const select = '$select' in opts ? od.parseSelect(opts.$select) : null;
  const top = '$top' in opts ? od.parseTop(opts.$top) : null;
  let size = Math.min(top !== null ? top : s.knobs.defaultTop, s.knobs.maxTop);
  if (s.knobs.pageSize > 0) size = Math.min(size, s.knobs.pageSize);
  const key = JSON.stringify([ctx.rest.toLowerCase(), opts.$filter, opts.$orderby, opts.$select, opts.$top]);

  let rs;
  let offset = 0;
  let page = 1;
  if ('$skiptoken' in opts) {
    const t = s.skiptokens.get(opts.$skiptoken);
    if (!t) throw new od.BadRequest('Invalid $skiptoken: the token was not issued by this service or has expired.');
    if (t.key !== key) throw new od.BadRequest('Invalid $skiptoken: the token belongs to a request with other query options.');
    rs = t.rs;
    offset = t.offset;
    page = t.page;
  } else {
    const all = eventsOf(s);
    rs = pred ? all.filter(pred) : all.slice();
    if (dir) {
      const idx = rs.map((ev, i) => [od.eventTicks(ev), i, ev]);
      idx.sort((a, b) => {
        const x = a[0], y = b[0];
        if (x !== y) {
          if (x === null) return -dir;
          if (y === null) return dir;
          return (x < y ? -1 : 1) * dir;
        }
        return a[1] - b[1];
      });
      rs = idx.map((e) => e[2]);
    }
  }
  const items = rs.slice(offset, offset + size).map((ev) => versionShape(ctx, ev));
  const context = contextUrl(ctx, select ? `(${select.join(',')})` : '');
  let link = null;
  if (offset + size < rs.length) {
    // opaque, but the same for the same page of the same data, so that a
    // whole page is the same text each time and its gzip can be kept
    const tok = crypto.createHash('sha256').update(JSON.stringify([s.version, key, offset + size]))
      .digest('base64url').slice(0, 24);
    s.skiptokens.set(tok, { rs, offset: offset + size, page: page + 1, key });
    if (s.skiptokens.size > MAX_TOKENS) s.skiptokens.delete(s.skiptokens.keys().next().value);
    link = nextLink(ctx, tok);
  }
  // the page's text, made only when its gzip is not kept already
  const body = () => {
    if (select) {
      const out = {
        '@odata.context': context,
        value: items.map((ev) => {
          const o = {};
          for (const n of select) o[n] = ev[n] === undefined ? null : ev[n];
          return o;
        }),
      };
      if (link) out['@odata.nextLink'] = link;
      return JSON.stringify(out);
    }
    // the same text JSON.stringify would give, from each event's text made once
    return '{"@odata.context":' + JSON.stringify(context) + ',"value":[' + items.map(eventText).join(',') + ']' +
      (link ? ',"@odata.nextLink":' + JSON.stringify(link) : '') + '}';
  };
  return send(ctx, 200, { 'Content-Type': JSON_TYPE }, body, JSON.stringify([s.version, key, offset, size, context, link]));
}

// What Graph's beta returns for an event (beta metadata): the v1.0 members
// and, beside them, the beta ones: "action" (a string) and "statusInfo", a
// statusDetails carrying status and the error fields on the same object (no
// errorInformation level; "@odata.type" names the subtype), or a plain
// statusBase {status} when there is no error. An event
// that already carries a beta spelling is served as it is (so a data file of
// beta-only events gives beta-only events). /v1.0 serves the events as loaded.
const BETA_SHAPE = new WeakMap();
const STATUS_DETAILS = ['errorCode', 'errorCategory', 'reason', 'recommendedAction', 'additionalDetails'];
function versionShape(ctx, ev) {
  if (ctx.version !== 'beta' || !ev || typeof ev !== 'object' || 'action' in ev || 'statusInfo' in ev) return ev;
  let b = BETA_SHAPE.get(ev);
  if (b === undefined) {
    b = Object.assign({}, ev);
    if (typeof ev.provisioningAction === 'string') b.action = ev.provisioningAction;
    const psi = ev.provisioningStatusInfo;
    if (psi && typeof psi === 'object') {
      const e = psi.errorInformation;
      const si = {};
      if (e && typeof e === 'object') si['@odata.type'] = '#microsoft.graph.statusDetails';
      si.status = psi.status === undefined ? null : psi.status;
      if (e && typeof e === 'object') for (const k of STATUS_DETAILS) if (k in e) si[k] = e[k];
      b.statusInfo = si;
    }
    BETA_SHAPE.set(ev, b);
  }
  return b;
}

// Events are never changed in place (writes replace the object), so an
// object's JSON text can be kept for the next page that carries it.
const EVENT_TEXT = new WeakMap();
function eventText(ev) {
  let t = EVENT_TEXT.get(ev);
  if (t === undefined) {
    t = JSON.stringify(ev);
    EVENT_TEXT.set(ev, t);
  }
  return t;
}

function nextLink(ctx, tok) {
  let origin;
  const nh = ctx.s.knobs.nextLinkHost;
  const scheme = TLS ? 'https' : 'http';
  if (nh) origin = nh.includes('://') ? nh.replace(/\/+$/, '') : `${scheme}://${nh}`;
  else origin = `${scheme}://${ctx.req.headers.host || '127.0.0.1:' + boundPort}`;
  const kept = ctx.rawQuery.split('&').filter((part) => {
    if (part === '') return false;
    const k = part.split('=')[0];
    let dk;
    try { dk = decodeURIComponent(k.replace(/\+/g, ' ')); } catch (e) { dk = k; }
    return dk !== '$skiptoken';
  });
  kept.push('$skiptoken=' + tok);
  return origin + ctx.prefix + ctx.rest + '?' + kept.join('&');
}

// ---- events: writes

function createEvent(ctx) {
  const b = parseJsonBody(ctx);
  const { s } = ctx;
  const ev = Object.assign({}, b);
  delete ev['@odata.context'];
  ev.id = crypto.randomUUID();
  const arr = writableEvents(s);
  arr.push(ev);
  s.index.set(ev.id, arr.length - 1);
  return sendJson(ctx, 201, Object.assign({ '@odata.context': contextUrl(ctx, '/$entity') }, ev));
}

function patchEvent(ctx, id, b) {
  const { s } = ctx;
  if (findEvent(s, id) < 0) return sendError(ctx, 404, 'ResourceNotFound', `Resource '${id}' does not exist.`);
  const arr = writableEvents(s);
  const i = findEvent(s, id);
  const ev = Object.assign({}, arr[i], b);
  delete ev['@odata.context'];
  ev.id = arr[i].id;
  arr[i] = ev;
  return sendJson(ctx, 200, Object.assign({ '@odata.context': contextUrl(ctx, '/$entity') }, ev));
}

// ---- hugeBody: a chunked body of N bytes, a JSON prefix then padding

function sendHuge(ctx, bytes) {
  const { res } = ctx;
  ctx.sent = true;
  finishLog(ctx, 200);
  res.writeHead(200, { 'Content-Type': JSON_TYPE, 'request-id': ctx.requestId, 'client-request-id': ctx.clientRequestId });
  const prefix = Buffer.from(`{"@odata.context":"${contextUrl(ctx, '')}","value":[`);
  let left = bytes;
  const pad = Buffer.alloc(65536, 0x20);
  let closed = false;
  res.on('close', () => { closed = true; });
  const pump = () => {
    while (!closed && left > 0) {
      let chunk;
      if (left === bytes) chunk = prefix.subarray(0, Math.min(prefix.length, left));
      else chunk = pad.subarray(0, Math.min(pad.length, left));
      left -= chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!closed) res.end();
  };
  pump();
}

// ---- token endpoint

function tokenEndpoint(ctx, tenant) {
  const { s } = ctx;
  const aad = (status, error, desc, codes) => sendJson(ctx, status, {
    error, error_description: `${desc}\r\nTrace ID: ${ctx.requestId}\r\nCorrelation ID: ${ctx.clientRequestId}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: codes, timestamp: new Date().toISOString(), trace_id: ctx.requestId, correlation_id: ctx.clientRequestId,
  });
  if (ctx.method !== 'POST') return aad(405, 'invalid_request', 'AADSTS900561: The endpoint only accepts POST requests.', [900561]);
  // faults and the rate limit apply here too (by request number)
  for (const f of s.knobs.fail || []) {
    if (f.page !== undefined || !fires(s, f, ctx, 1)) continue;
    const h = {};
    if (f.retryAfter !== undefined && f.retryAfter !== null) h['Retry-After'] = String(f.retryAfter);
    return send(ctx, f.status, Object.assign({ 'Content-Type': 'application/json' }, h),
      typeof f.body === 'string' ? f.body : JSON.stringify({ error: 'temporarily_unavailable', error_description: `Injected failure (HTTP ${f.status}).` }));
  }
  const p = new URLSearchParams(ctx.bodyText || '');
  if (p.get('grant_type') !== 'client_credentials') {
    return aad(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.', [70003]);
  }
  const scope = p.get('scope') || '';
  if (!/\/\.default$/.test(scope)) return aad(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope} is not valid.`, [1002012]);
  if (p.has('client_assertion') || p.has('client_assertion_type')) return tokens.assertion(ctx, tenant, p, sendJson, aad);
  if (p.get('client_id') !== s.knobs.clientId) {
    return aad(401, 'invalid_client', `AADSTS700016: Application with identifier was not found in the directory '${tenant}'.`, [700016]);
  }
  if (p.get('client_secret') !== s.knobs.clientSecret) {
    return aad(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.', [7000215]);
  }
  const tok = 'mock.' + crypto.randomBytes(24).toString('base64url');
  s.accessTokens.set(tok, Date.now() + s.knobs.tokenTtl * 1000);
  return sendJson(ctx, 200, { token_type: 'Bearer', expires_in: s.knobs.tokenTtl, ext_expires_in: s.knobs.tokenTtl, access_token: tok });
}

// ---- industryData flows

function maskPasswords(v) {
  if (Array.isArray(v)) return v.map(maskPasswords);
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = k === 'password' || k === 'defaultPassword' ? '********' : maskPasswords(x);
    return o;
  }
  return v;
}

function flowSetOut(fs) {
  const { flows, ...rest } = fs;
  return rest;
}

// Flow sets: POST the collection (201, the new set), PATCH {id} (204, merged),
// DELETE {id} (204). displayName and filter are the writable members.
const FLOW_SET_WRITABLE = new Set(['displayName', 'filter']);
function flowSetBody(ctx, bCreate) {
  const b = parseJsonBody(ctx);
  for (const k of Object.keys(b)) {
    if (k === '@odata.type' && b[k] === '#microsoft.graph.industryData.outboundProvisioningFlowSet') continue;
    if (!FLOW_SET_WRITABLE.has(k)) throw new od.BadRequest(`The property '${k}' cannot be set on an outboundProvisioningFlowSet.`);
  }
  if (bCreate && typeof b.displayName !== 'string') throw new od.BadRequest("The property 'displayName' is required.");
  if ('displayName' in b && typeof b.displayName !== 'string') throw new od.BadRequest("The property 'displayName' must be a string.");
  if ('filter' in b && b.filter !== null && (typeof b.filter !== 'object' || Array.isArray(b.filter))) throw new od.BadRequest("The property 'filter' must be an object.");
  return b;
}
function createFlowSet(ctx, base) {
  const b = flowSetBody(ctx, true);
  const now = nowIso7();
  const set = { id: crypto.randomUUID(), displayName: b.displayName, filter: b.filter === undefined ? null : b.filter, createdDateTime: now, lastModifiedDateTime: now, flows: [] };
  ctx.s.flowSets.push(set);
  return sendJson(ctx, 201, Object.assign({ '@odata.context': base + '/$entity' }, flowSetOut(set)));
}
function writeFlowSet(ctx, set) {
  const sets = ctx.s.flowSets;
  if (ctx.method === 'DELETE') {
    sets.splice(sets.indexOf(set), 1);
    return send(ctx, 204, {}, null);
  }
  const b = flowSetBody(ctx, false);
  for (const k of FLOW_SET_WRITABLE) if (k in b) set[k] = b[k];
  set.lastModifiedDateTime = nowIso7();
  return send(ctx, 204, {}, null);
}

function flowRoutes(ctx, segs, low) {
  const { s } = ctx;
  const base = 'https://graph.microsoft.com/beta/$metadata#external/industryData/outboundProvisioningFlowSets';
  if (segs.length === 0) {
    if (ctx.method === 'POST') return createFlowSet(ctx, base);
    if (ctx.method !== 'GET') return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported here.`, { Allow: 'GET, POST' });
    return sendJson(ctx, 200, { '@odata.context': base, value: s.flowSets.map(flowSetOut) });
  }
  const set = s.flowSets.find((x) => x.id === segs[0]);
  if (!set) return sendError(ctx, 404, 'ResourceNotFound', `Flow set '${segs[0]}' was not found.`);
  if (segs.length === 1) {
    if (ctx.method === 'PATCH' || ctx.method === 'DELETE') return writeFlowSet(ctx, set);
    if (ctx.method !== 'GET') return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported here.`, { Allow: 'GET, PATCH, DELETE' });
    return sendJson(ctx, 200, Object.assign({ '@odata.context': base + '/$entity' }, flowSetOut(set)));
  }
  // the reset action: POST .../provisioningFlows/{id}/reset, 202, no body
  if (segs.length === 4 && low[1] === 'provisioningflows' && low[3] === 'reset') {
    if (!set.flows.some((f) => f.id === segs[2])) return sendError(ctx, 404, 'ResourceNotFound', `Provisioning flow '${segs[2]}' was not found.`);
    if (ctx.method !== 'POST') return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported on reset.`, { Allow: 'POST' });
    if (ctx.bodyText) throw new od.BadRequest('The reset action takes no request body.');
    return send(ctx, 202, {}, null);
  }
  if (low[1] !== 'provisioningflows' || segs.length > 3) return sendError(ctx, 400, 'BadRequest', `Resource not found for the segment '${segs[1]}'.`);
  const ctxFlows = `${base}('${set.id}')/provisioningFlows`;
  if (segs.length === 2) {
    if (ctx.method === 'GET') return sendJson(ctx, 200, { '@odata.context': ctxFlows, value: set.flows });
    if (ctx.method === 'POST') {
      const b = parseJsonBody(ctx);
      const t = b['@odata.type'];
      if (!FLOW_TYPES.has(t)) {
        throw new od.BadRequest(`The request body must carry '@odata.type', one of ${[...FLOW_TYPES].join(', ')}; got ${JSON.stringify(t === undefined ? null : t)}.`);
      }
      const now = nowIso7();
      const flow = maskPasswords(Object.assign({}, b));
      flow.id = crypto.randomUUID();
      flow.createdDateTime = now;
      flow.lastModifiedDateTime = now;
      if (flow.readinessStatus === undefined) flow.readinessStatus = 'notReady';
      // @odata.type first, as Graph writes it
      const stored = Object.assign({ '@odata.type': t }, flow);
      set.flows.push(stored);
      return sendJson(ctx, 201, Object.assign({ '@odata.context': ctxFlows + '/$entity' }, stored));
    }
    return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported here.`, { Allow: 'GET, POST' });
  }
  const i = set.flows.findIndex((f) => f.id === segs[2]);
  if (i < 0) return sendError(ctx, 404, 'ResourceNotFound', `Provisioning flow '${segs[2]}' was not found.`);
  if (ctx.method === 'GET') return sendJson(ctx, 200, Object.assign({ '@odata.context': ctxFlows + '/$entity' }, set.flows[i]));
  if (ctx.method === 'PATCH') {
    const b = parseJsonBody(ctx);
    if (b['@odata.type'] !== undefined && b['@odata.type'] !== set.flows[i]['@odata.type']) {
      throw new od.BadRequest('The type of a provisioning flow cannot be changed.');
    }
    const flow = Object.assign({}, set.flows[i], maskPasswords(b));
    flow.id = set.flows[i].id;
    flow.createdDateTime = set.flows[i].createdDateTime;
    flow.lastModifiedDateTime = nowIso7();
    set.flows[i] = flow;
    return send(ctx, 204, {}, null);
  }
  if (ctx.method === 'DELETE') {
    set.flows.splice(i, 1);
    return send(ctx, 204, {}, null);
  }
  return sendError(ctx, 405, 'MethodNotAllowed', `${ctx.method} is not supported here.`, { Allow: 'GET, PATCH, DELETE' });
}

// ---- server

const TLS = !!opt.tlsKey;
let boundPort = 0;
const onRequest = (req, res) => {
  inFlight++;
  let done = false;
  const fin = () => {
    if (done) return;
    done = true;
    inFlight--;
    lastActivity = Date.now();
  };
  res.on('close', fin);
  res.on('finish', fin);
  req.on('error', () => {});
  res.on('error', () => {});
  handle(req, res).catch((e) => {
    process.stderr.write(`mockgraph: ${e && e.stack || e}\n`);
    try {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'InternalServerError', message: String(e && e.message) } }));
      } else if (res.socket) res.socket.destroy();
    } catch (e2) { /* nothing more to do */ }
  });
};

const server = TLS
  ? https.createServer({ key: fs.readFileSync(opt.tlsKey), cert: fs.readFileSync(opt.tlsCert) }, onRequest)
  : http.createServer(onRequest);
server.keepAliveTimeout = 5000;
server.on('clientError', (err, sock) => {
  try { sock.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); } catch (e) { /* ignore */ }
});
server.on('error', (e) => {
  process.stderr.write(`mockgraph: ${e.message}\n`);
  process.exit(1);
});
process.on('uncaughtException', (e) => process.stderr.write(`mockgraph: uncaught: ${e && e.stack || e}\n`));
process.on('unhandledRejection', (e) => process.stderr.write(`mockgraph: unhandled: ${e && e.stack || e}\n`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

server.listen(opt.port, '127.0.0.1', () => {
  boundPort = server.address().port;
  if (opt.portFile) {
    const tmp = `${opt.portFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, String(boundPort) + '\n');
    fs.renameSync(tmp, opt.portFile);
  }
  process.stderr.write(`mockgraph: ${BASE_EVENTS.length} events from ${path.basename(opt.data)}, listening on ${TLS ? 'https' : 'http'}://127.0.0.1:${boundPort}\n`);
});

setInterval(() => {
  if (opt.parentPid > 0) {
    try {
      process.kill(opt.parentPid, 0);
    } catch (e) {
      if (e.code === 'ESRCH') {
        process.stderr.write(`mockgraph: parent ${opt.parentPid} is gone, exiting\n`);
        process.exit(0);
      }
    }
  }
  if (inFlight === 0 && Date.now() - lastActivity > opt.idleExit * 1000) {
    process.stderr.write(`mockgraph: idle for ${opt.idleExit} s, exiting\n`);
    process.exit(0);
  }
}, 1000).unref();
