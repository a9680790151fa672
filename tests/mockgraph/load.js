'use strict';
// Loading the events file: {"value":[...]} pages (one or several, with
// whitespace between), a bare array, or one object per line. The file is
// read as a Buffer and split into elements byte by byte, so a large file
// never becomes one huge string; each element is parsed on its own.

const fs = require('fs');

function isWs(c) {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function loadEventsBuffer(buf) {
  const n = buf.length;
  const events = [];
  let i = 0;
  if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) i = 3;

  function fail(msg, at) {
    throw new Error(`${msg} at byte ${at}`);
  }
  function ws(k) {
    while (k < n && isWs(buf[k])) k++;
    return k;
  }
  function skipString(k) {
    // buf[k] is '"'
    k++;
    for (;;) {
      const q = buf.indexOf(0x22, k);
      if (q < 0) fail('unterminated string', k);
      let j = q - 1;
      while (j >= k && buf[j] === 0x5c) j--;
      if ((q - 1 - j) % 2 === 0) return q + 1; // an even run of backslashes: the closing quote
      k = q + 1;
    }
  }
  function skipValue(k) {
    const c = buf[k];
    if (c === 0x22) return skipString(k);
    if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      while (k < n) {
        const d = buf[k];
        if (d === 0x22) {
          k = skipString(k);
          continue;
        }
        if (d === 0x7b || d === 0x5b) depth++;
        else if (d === 0x7d || d === 0x5d) {
          depth--;
          if (depth === 0) return k + 1;
        }
        k++;
      }
      fail('unterminated value', k);
    }
    const s = k;
    while (k < n && !isWs(buf[k]) && buf[k] !== 0x2c && buf[k] !== 0x5d && buf[k] !== 0x7d) k++;
    if (k === s) fail('value expected', k);
    return k;
  }
  function parseSlice(s, e) {
    try {
      return JSON.parse(buf.toString('utf8', s, e));
    } catch (err) {
      fail('invalid JSON (' + err.message + ')', s);
    }
  }
  function pushEvent(v, at) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('an event is not a JSON object', at);
    events.push(v);
  }
  function parseArray(k) {
    // buf[k] is '['
    k = ws(k + 1);
    if (buf[k] === 0x5d) return k + 1;
    for (;;) {
      const s = k;
      const e = skipValue(k);
      pushEvent(parseSlice(s, e), s);
      k = ws(e);
      if (buf[k] === 0x2c) {
        k = ws(k + 1);
        continue;
      }
      if (buf[k] === 0x5d) return k + 1;
      fail("',' or ']' expected", k);
    }
  }
  function parseTopObject(k) {
    const start = k;
    let isPage = false;
    k = ws(k + 1);
    if (buf[k] === 0x7d) {
      pushEvent({}, start);
      return k + 1;
    }
    for (;;) {
      if (buf[k] !== 0x22) fail('member name expected', k);
      const ks = k;
      k = skipString(k);
      const key = parseSlice(ks, k);
      k = ws(k);
      if (buf[k] !== 0x3a) fail("':' expected", k);
      k = ws(k + 1);
      if (key === 'value' && buf[k] === 0x5b) {
        isPage = true;
        k = parseArray(k);
      } else {
        k = skipValue(k);
      }
      k = ws(k);
      if (buf[k] === 0x2c) {
        k = ws(k + 1);
        continue;
      }
      if (buf[k] === 0x7d) {
        k++;
        break;
      }
      fail("',' or '}' expected", k);
    }
    if (!isPage) pushEvent(parseSlice(start, k), start);
    return k;
  }

  for (;;) {
    i = ws(i);
    if (i >= n) break;
    if (buf[i] === 0x5b) i = parseArray(i);
    else if (buf[i] === 0x7b) i = parseTopObject(i);
    else fail('a JSON object or array expected', i);
  }
  return events;
}

function loadEventsFile(file) {
  return loadEventsBuffer(fs.readFileSync(file));
}

module.exports = { loadEventsFile, loadEventsBuffer };
