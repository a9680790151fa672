'use strict';
// tokens.js: the token endpoints of the Azure credential chain, for the mock.
//
//   POST /{tenant}/oauth2/v2.0/token with client_assertion (server.js hands
//        such requests here): a certificate assertion (header x5t) is
//        verified like Entra ID does: RS256 signature against the test
//        certificate, x5t = base64url SHA-1 of its DER, aud = this endpoint's
//        URL, iss = sub = the client id, exp in the future (and short), nbf
//        not ahead, jti never seen before, x5c (when required) the certificate;
//        any other assertion is a federated token: it must equal the
//        configured one and, when it is a JWT, be unexpired.
//   GET  /msi/token (App Service, IDENTITY_ENDPOINT): X-IDENTITY-HEADER must be
//        the configured one, api-version=2019-08-01, resource given.
//   GET  /metadata/identity/oauth2/token (IMDS): Metadata: true,
//        api-version=2018-02-01, resource given.
//   client_id (managed identity): must be the configured user-assigned one.
//
// Admin (never logged): POST /_mock/s/{name}/tokens + JSON merges the
// scenario's token config; GET answers {config, issued: [{kind, token}]}.
// Config: cert (path of the PEM certificate), requireChain, federatedToken,
// identityHeader (default "test-identity-header"), managedClientId, skewSec
// (the mock's clock runs this many seconds ahead). The client id is the
// scenario's clientId knob; tokens live tokenTtl s and go into the
// scenario's accessTokens (so requireAuth accepts them).
const crypto = require('crypto');
const fs = require('fs');

const DEFAULTS = { cert: null, requireChain: false, federatedToken: null, identityHeader: 'test-identity-header', managedClientId: null, skewSec: 0 };
const state = new WeakMap(); // scenario -> { config, issued, jtis }

function st(s) {
  let t = state.get(s);
  if (!t) {
    t = { config: Object.assign({}, DEFAULTS), issued: [], jtis: new Set() };
    state.set(s, t);
  }
  return t;
}

function admin(ctx, plain, scenarioOf) {
  const m = /^\/_mock\/s\/([^/]+)\/tokens$/.exec(ctx.rawPath);
  if (!m) return false;
  const t = st(scenarioOf(decodeURIComponent(m[1])));
  if (ctx.method === 'POST') {
    let k;
    try {
      k = JSON.parse(ctx.bodyText || '{}');
      for (const key of Object.keys(k)) if (!(key in DEFAULTS)) throw new Error(`unknown token config '${key}'`);
    } catch (e) {
      plain(400, { error: e.message });
      return true;
    }
    Object.assign(t.config, k);
  }
  plain(200, { config: t.config, issued: t.issued });
  return true;
}

function issue(ctx, kind, extra) {
  const { s } = ctx;
  const t = st(s);
  const tok = `mock.${kind}.` + crypto.randomBytes(24).toString('base64url');
  s.accessTokens.set(tok, Date.now() + s.knobs.tokenTtl * 1000);
  t.issued.push(Object.assign({ kind, token: tok }, extra || {}));
  return tok;
}

function b64json(part) {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch (e) {
    return null;
  }
}

// A client_assertion on the token endpoint. aad(status, error, desc, codes) answers as Entra does.
function assertion(ctx, tenant, p, sendJson, aad) {
  const { s } = ctx;
  const t = st(s);
  const c = t.config;
  const now = Math.floor(Date.now() / 1000) + (c.skewSec || 0);
  if (p.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return aad(400, 'invalid_request', "AADSTS50027: client_assertion_type must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.", [50027]);
  }
  if (p.get('client_secret') !== null) return aad(400, 'invalid_request', 'AADSTS50027: a client secret and a client assertion were both given.', [50027]);
  const clientId = s.knobs.clientId;
  if (p.get('client_id') !== clientId) {
    return aad(401, 'invalid_client', `AADSTS700016: Application with identifier was not found in the directory '${tenant}'.`, [700016]);
  }
  const a = p.get('client_assertion') || '';
  const parts = a.split('.');
  const head = parts.length === 3 ? b64json(parts[0]) : null;
  const claims = parts.length === 3 ? b64json(parts[1]) : null;
  if (head && head.x5t !== undefined) {
    // certificate credential
    if (!c.cert) return aad(401, 'invalid_client', 'AADSTS700027: no certificate is registered for this application.', [700027]);
    const x = new crypto.X509Certificate(fs.readFileSync(c.cert));
    const bad = (why) => aad(401, 'invalid_client', `AADSTS700027: Client assertion failed signature validation: ${why}.`, [700027]);
    if (head.alg !== 'RS256' || head.typ !== 'JWT') return bad('the header must say alg RS256, typ JWT');
    const thumb = crypto.createHash('sha1').update(x.raw).digest('base64url');
    if (head.x5t !== thumb) return bad('x5t is not the thumbprint of a registered certificate');
    if (c.requireChain && !(Array.isArray(head.x5c) && head.x5c[0] === x.raw.toString('base64'))) return bad('x5c must start with the certificate');
    const ok = crypto.verify('sha256', Buffer.from(parts[0] + '.' + parts[1]), x.publicKey, Buffer.from(parts[2], 'base64url'));
    if (!ok) return bad('the signature does not verify');
    if (!claims) return bad('the claims are not JSON');
    const aud = `http://${ctx.req.headers.host}${ctx.rawPath}`;
    if (claims.aud !== aud) return aad(401, 'invalid_client', `AADSTS700212: the assertion's audience must be the token endpoint ${aud}.`, [700212]);
    if (claims.iss !== clientId || claims.sub !== clientId) return aad(401, 'invalid_client', 'AADSTS700023: the assertion\'s iss and sub must be the client id.', [700023]);
    if (!Number.isInteger(claims.exp) || claims.exp <= now) return aad(401, 'invalid_client', 'AADSTS700024: Client assertion is not within its valid time range (expired).', [700024]);
    if (!Number.isInteger(claims.nbf) || claims.nbf > now + 300) return aad(401, 'invalid_client', 'AADSTS700024: Client assertion is not within its valid time range (not yet valid).', [700024]);
    if (claims.exp - claims.nbf > 3600) return aad(401, 'invalid_client', 'AADSTS700025: the assertion lives longer than an hour.', [700025]);
    if (typeof claims.jti !== 'string' || !claims.jti || t.jtis.has(claims.jti)) return aad(401, 'invalid_client', 'AADSTS700025: the assertion\'s jti is missing or was used before.', [700025]);
    t.jtis.add(claims.jti);
    const tok = issue(ctx, 'cert', { jti: claims.jti, x5c: Array.isArray(head.x5c) ? head.x5c.length : 0 });
    return sendJson(ctx, 200, { token_type: 'Bearer', expires_in: s.knobs.tokenTtl, ext_expires_in: s.knobs.tokenTtl, access_token: tok });
  }
  // federated token (workload identity)
  if (c.federatedToken === null || a !== c.federatedToken) {
    return aad(401, 'invalid_client', 'AADSTS700213: No matching federated identity record found for presented assertion.', [700213]);
  }
  if (claims && Number.isInteger(claims.exp) && claims.exp <= now) {
    return aad(400, 'invalid_client', 'AADSTS700024: Client assertion is not within its valid time range.', [700024]);
  }
  const tok = issue(ctx, 'workload');
  return sendJson(ctx, 200, { token_type: 'Bearer', expires_in: s.knobs.tokenTtl, ext_expires_in: s.knobs.tokenTtl, access_token: tok });
}

// Managed identity routes; true when the request was one of them.
function route(ctx, segs, low, sendJson) {
  const path = '/' + low.join('/');
  const appService = path === '/msi/token';
  const imds = path === '/metadata/identity/oauth2/token';
  if (!appService && !imds) return false;
  const { s } = ctx;
  const c = st(s).config;
  const q = new URLSearchParams(ctx.rawQuery);
  const h = ctx.req.headers;
  const err = (status, error, desc) => sendJson(ctx, status, { error, error_description: desc });
  if (ctx.method !== 'GET') return err(405, 'invalid_request', 'only GET is supported'), true;
  if (appService) {
    // echoes what it got, as some servers do: the client must mask it
    if (h['x-identity-header'] !== c.identityHeader) return err(401, 'invalid_request', `X-IDENTITY-HEADER is missing or wrong ('${h['x-identity-header'] || ''}')`), true;
    if (q.get('api-version') !== '2019-08-01') return err(400, 'invalid_request', 'api-version must be 2019-08-01'), true;
  } else {
    if (h.metadata !== 'true') return err(400, 'invalid_request', 'Required metadata header not specified'), true;
    if (q.get('api-version') !== '2018-02-01') return err(400, 'invalid_request', 'api-version must be 2018-02-01'), true;
  }
  const resource = q.get('resource');
  if (!resource || !/^https:\/\//.test(resource)) return err(400, 'invalid_resource', 'resource must be given'), true;
  const cid = q.get('client_id');
  if (cid !== null && cid !== c.managedClientId) return err(400, 'invalid_request', 'Identity not found'), true;
  if (cid === null && c.managedClientId !== null) return err(400, 'invalid_request', 'Multiple user assigned identities exist, please specify the clientId'), true;
  const kind = appService ? 'appservice' : 'imds';
  const tok = issue(ctx, kind, { resource, clientId: cid });
  const exp = Math.floor(Date.now() / 1000) + s.knobs.tokenTtl;
  const body = { access_token: tok, expires_on: String(exp), resource, token_type: 'Bearer' };
  if (imds) body.expires_in = String(s.knobs.tokenTtl);
  if (cid !== null) body.client_id = cid;
  sendJson(ctx, 200, body);
  return true;
}

module.exports = { admin, assertion, route };
