'use strict';
// Strict OData query options for auditLogs/provisioning, as Graph accepts
// them (see shared/GRAPH.md). Syntax is checked by odata-v4-parser; the
// allowed subset and the evaluation are ours.

const parser = require('odata-v4-parser');

class BadRequest extends Error {}

// ---- query string

// Split a raw query string into [{key, value, raw}], decoding once
// ('+' is a space, as ASP.NET reads query strings).
function parseQueryString(qs) {
  const out = [];
  if (!qs) return out;
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    let key, value;
    try {
      key = decodeURIComponent(k.replace(/\+/g, ' '));
      value = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch (e) {
      throw new BadRequest(`Invalid percent-encoding in query option '${k}'.`);
    }
    out.push({ key, value, raw: part });
  }
  return out;
}

// The decoded text re-encoded for odata-v4-parser: inside string literals
// every character but letters, digits, space and the quote is percent-encoded
// (the parser accepts only URI characters there); outside, text is kept.
function forParser(s) {
  let out = '';
  let inStr = false;
  for (const ch of s) {
    if (ch === "'") {
      inStr = !inStr;
      out += ch;
    } else if (inStr && !/^[A-Za-z0-9 ]$/.test(ch)) {
      for (const b of Buffer.from(ch, 'utf8')) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    } else {
      out += ch;
    }
  }
  return out;
}

// The value of a string literal token's raw text ("'O''Brien'" -> O'Brien).
function stringLiteral(raw) {
  if (raw.length < 2 || raw[0] !== "'" || raw[raw.length - 1] !== "'") throw new BadRequest(`Bad string literal ${raw}.`);
  return decodeURIComponent(raw.slice(1, -1).replace(/''/g, "'"));
}

// ---- datetimes as 100 ns ticks (BigInt)

const DT_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})$/i;

function ticks(s) {
  if (typeof s !== 'string') return null;
  const m = DT_RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi] = [+m[1], +m[2], +m[3], +m[4], +m[5]];
  const sec = m[6] ? +m[6] : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) return null;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  const dt = new Date(ms);
  if (dt.getUTCDate() !== d) return null; // Feb 30 and the like
  let t = BigInt(ms) * 10000n;
  if (m[7]) t += BigInt(m[7].padEnd(7, '0').slice(0, 7));
  if (m[8].toUpperCase() !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n;
    const oh = BigInt(+m[8].slice(1, 3));
    const om = BigInt(+m[8].slice(4, 6));
    t -= sign * (oh * 60n + om) * 600000000n;
  }
  return t;
}

const tickCache = new WeakMap();
function eventTicks(ev) {
  let t = tickCache.get(ev);
  if (t === undefined) {
    t = ticks(ev.activityDateTime);
    tickCache.set(ev, t);
  }
  return t;
}

// ---- properties

const CMP_PROPS = { activityDateTime: 'datetime', durationInMilliseconds: 'int' };
const STR_PROPS = new Set([
  'id', 'tenantId', 'jobId', 'changeId', 'cycleId', 'provisioningAction', 'provisioningStatusInfo/status',
  'sourceSystem/displayName', 'targetSystem/displayName', 'sourceIdentity/identityType',
  'targetIdentity/identityType', 'sourceIdentity/id', 'targetIdentity/id', 'sourceIdentity/displayName',
  'targetIdentity/displayName', 'initiatedBy/displayName',
  // beta names of the same properties
  'action', 'statusInfo/status',
]);
const EQ_ONLY_PROPS = new Set(['servicePrincipal/id', 'servicePrincipal/displayName']);

// v1.0 and beta names of the same top-level property.
const ALIAS = { provisioningAction: 'action', action: 'provisioningAction', provisioningStatusInfo: 'statusInfo', statusInfo: 'provisioningStatusInfo' };

function getPath(ev, path) {
  let v = ev;
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    let nv = v[parts[i]];
    if (nv === undefined && i === 0 && ALIAS[parts[i]]) nv = v[ALIAS[parts[i]]];
    v = nv;
  }
  return v;
}

const INT_TYPES = new Set(['Edm.SByte', 'Edm.Byte', 'Edm.Int16', 'Edm.Int32', 'Edm.Int64']);
const MEMBER_TYPES = new Set(['FirstMemberExpression', 'MemberExpression', 'PropertyPathExpression']);

function memberPath(node) {
  if (!node || !MEMBER_TYPES.has(node.type)) return null;
  return node.raw;
}

// Edm.Int32, as durationInMilliseconds is declared: a wider literal is a 400
// unless the knob allowWideInt says otherwise (cx.allowWideInt).
const INT32_MIN = -2147483648n;
const INT32_MAX = 2147483647n;

function literalOf(node, kind, prop, cx) {
  if (!node || node.type !== 'Literal') {
    throw new BadRequest(`The right operand of a comparison on '${prop}' must be a literal.`);
  }
  const t = node.value;
  if (t === 'null') throw new BadRequest(`Comparison of '${prop}' with null is not supported.`);
  if (kind === 'string') {
    if (t !== 'Edm.String') throw new BadRequest(`A binary operator with incompatible types was detected. Found operand types 'Edm.String' and '${t}' for '${prop}'.`);
    return stringLiteral(node.raw);
  }
  if (kind === 'int') {
    if (!INT_TYPES.has(t)) throw new BadRequest(`A binary operator with incompatible types was detected. Found operand types 'Edm.Int32' and '${t}' for '${prop}'.`);
    const v = BigInt(node.raw);
    if ((v < INT32_MIN || v > INT32_MAX) && !(cx && cx.allowWideInt)) {
      throw new BadRequest(`The literal '${node.raw}' is out of range for '${prop}' of type 'Edm.Int32'.`);
    }
    return v;
  }
  if (t !== 'Edm.DateTimeOffset') throw new BadRequest(`A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and '${t}' for '${prop}'.`);
  const v = ticks(node.raw);
  if (v === null) throw new BadRequest(`Invalid DateTimeOffset literal '${node.raw}'.`);
  return v;
}

const OPS = { EqualsExpression: 'eq', GreaterThanExpression: 'gt', LesserThanExpression: 'lt' };
const REJECTED_OPS = {
  NotEqualsExpression: 'ne', GreaterOrEqualsExpression: 'ge', LesserOrEqualsExpression: 'le',
  NotExpression: 'not', HasExpression: 'has', InExpression: 'in',
};

// cx: {seen: Set of the forms met ('or', 'and', 'eq', 'gt', 'lt', 'contains'),
// allowOr, allowWideInt}
function compileNode(node, cx) {
  if (!node) throw new BadRequest('Invalid filter clause.');
  switch (node.type) {
    case 'BoolParenExpression':
    case 'ParenExpression':
      return compileNode(node.value, cx);
    case 'AndExpression': {
      cx.seen.add('and');
      const l = compileNode(node.value.left, cx);
      const r = compileNode(node.value.right, cx);
      return (ev) => l(ev) && r(ev);
    }
    case 'OrExpression': {
      // not documented for this API: refused unless the knob allowOr is set
      if (!cx.allowOr) throw new BadRequest("Operator 'or' is not supported in $filter on this resource.");
      cx.seen.add('or');
      const l = compileNode(node.value.left, cx);
      const r = compileNode(node.value.right, cx);
      return (ev) => l(ev) || r(ev);
    }
    case 'EqualsExpression':
    case 'GreaterThanExpression':
    case 'LesserThanExpression': {
      const op = OPS[node.type];
      cx.seen.add(op);
      const prop = memberPath(node.value.left);
      if (!prop) throw new BadRequest(`The left operand of '${op}' must be a property (in '${node.raw}').`);
      if (CMP_PROPS[prop]) {
        const kind = CMP_PROPS[prop];
        const lit = literalOf(node.value.right, kind, prop, cx);
        const get = kind === 'datetime' ? eventTicks : (ev) => {
          const v = ev.durationInMilliseconds;
          return Number.isInteger(v) ? BigInt(v) : null;
        };
        if (op === 'eq') return (ev) => { const v = get(ev); return v !== null && v === lit; };
        if (op === 'gt') return (ev) => { const v = get(ev); return v !== null && v > lit; };
        return (ev) => { const v = get(ev); return v !== null && v < lit; };
      }
      if (STR_PROPS.has(prop) || EQ_ONLY_PROPS.has(prop)) {
        if (op !== 'eq') throw new BadRequest(`Operator '${op}' is not supported on property '${prop}'.`);
        const lit = literalOf(node.value.right, 'string', prop);
        return (ev) => getPath(ev, prop) === lit;
      }
      throw new BadRequest(`Filtering on property '${prop}' is not supported.`);
    }
    case 'MethodCallExpression': {
      const m = node.value.method;
      const ps = node.value.parameters || [];
      if (m !== 'contains') throw new BadRequest(`Function '${m}' is not supported in $filter.`);
      cx.seen.add('contains');
      if (ps.length !== 2) throw new BadRequest('contains takes two arguments.');
      const prop = memberPath(ps[0]);
      if (!prop || !STR_PROPS.has(prop)) throw new BadRequest(`contains is not supported on '${ps[0] && ps[0].raw}'.`);
      const lit = literalOf(ps[1], 'string', prop);
      return (ev) => { const v = getPath(ev, prop); return typeof v === 'string' && v.includes(lit); };
    }
    default:
      if (REJECTED_OPS[node.type]) throw new BadRequest(`Operator '${REJECTED_OPS[node.type]}' is not supported in $filter.`);
      throw new BadRequest(`Unsupported $filter expression '${node.raw}'.`);
  }
}

function compileFilter(text, cx) {
  cx = cx || {};
  if (!cx.seen) cx.seen = new Set();
  let ast;
  try {
    ast = parser.filter(forParser(text));
  } catch (e) {
    throw new BadRequest(`Invalid filter clause: syntax error in '${text}' (${e.message}).`);
  }
  return compileNode(ast, cx);
}

// Returns +1 (asc) or -1 (desc).
function parseOrderBy(text) {
  try {
    parser.query('$orderby=' + forParser(text));
  } catch (e) {
    throw new BadRequest(`Invalid $orderby '${text}' (${e.message}).`);
  }
  const m = /^\s*activityDateTime(?:\s+(asc|desc))?\s*$/.exec(text);
  if (!m) throw new BadRequest(`$orderby is supported on activityDateTime only ('${text}').`);
  return m[1] === 'desc' ? -1 : 1;
}

const SELECTABLE = new Set([
  'id', 'activityDateTime', 'tenantId', 'jobId', 'cycleId', 'changeId', 'provisioningAction', 'action',
  'durationInMilliseconds', 'provisioningStatusInfo', 'statusInfo', 'servicePrincipal', 'initiatedBy',
  'sourceSystem', 'targetSystem', 'sourceIdentity', 'targetIdentity', 'provisioningSteps', 'modifiedProperties',
]);

function parseSelect(text) {
  const names = text.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!SELECTABLE.has(n)) throw new BadRequest(`Could not find a property named '${n}' on type 'microsoft.graph.provisioningObjectSummary'.`);
  }
  return names;
}

function parseTop(text) {
  if (!/^[0-9]+$/.test(text) || BigInt(text) < 1n || BigInt(text) > 2147483647n) {
    throw new BadRequest(`Invalid value '${text}' for $top query option: a positive integer is required.`);
  }
  return Number(text);
}

module.exports = {
  BadRequest, parseQueryString, compileFilter, parseOrderBy, parseSelect, parseTop, ticks, eventTicks, getPath,
};
