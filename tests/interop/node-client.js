#!/usr/bin/env node
'use strict';
// Independent WebSocket interop client built on the Node "ws" library.
// Usage: node node-client.js <url> [--only <case>] [--subprotocol <name>]... [--header <name>:<value>]... [--ca <pem file>]
// --ca: for a wss:// url, trust the CA certificates of that PEM file (ws's `ca` option, passed to tls.connect).
// Talks to an echo server implementing the command protocol of node-echo-server.js.
// The door cases (handshake, refused) run only when named with --only: they need a server set up for
// them. They offer the --subprotocol names (most preferred first) and send the --header fields.
// Prints "PASS <case>" / "FAIL <case>: <why>" per case and "DONE passed=<n> failed=<m>"; exit 0 iff all passed.
const crypto = require('crypto');
const fs = require('fs');
const WebSocket = require('ws');

const CASE_TIMEOUT_MS = 10_000;

function out(line) { fs.writeSync(1, line + '\n'); }

const args = process.argv.slice(2);
let url = null;
let only = null;
const offered = [];
const headers = {};
let ca = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = args[++i];
  else if (args[i] === '--ca') ca = fs.readFileSync(args[++i]);
  else if (args[i] === '--subprotocol') offered.push(args[++i]);
  else if (args[i] === '--header') {
    const field = args[++i];
    const colon = field.indexOf(':');
    headers[field.slice(0, colon)] = field.slice(colon + 1).trim();
  } else if (!url) url = args[i];
}
if (!url) {
  process.stderr.write('usage: node node-client.js <url> [--only <case>] [--subprotocol <name>]... [--header <name>:<value>]...\n');
  process.exit(2);
}

// A connection with a queue of incoming messages and pongs.
class Conn {
  constructor(ws) {
    this.ws = ws;
    this.messages = [];
    this.pongs = [];
    this.waiters = [];
    this.closed = null; // {code, reason}
    ws.on('message', (data, isBinary) => { this.messages.push({ data, isBinary }); this._wake(); });
    ws.on('pong', (data) => { this.pongs.push(data); this._wake(); });
    ws.on('close', (code, reason) => { this.closed = { code, reason: reason.toString('utf8') }; this._wake(); });
    ws.on('error', (err) => { this.error = err; this._wake(); });
  }
  static open(u, protocols = []) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(u, protocols, ca ? { maxPayload: 64 * 1024 * 1024, headers, ca } : { maxPayload: 64 * 1024 * 1024, headers });
      const conn = new Conn(ws);
      ws.once('open', () => resolve(conn));
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed before open (code ${code})`)));
    });
  }
  _wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }
  _wait(pred, allowClosed = false) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pred();
        if (v !== undefined) return resolve(v);
        if (this.closed && !allowClosed) return reject(new Error(`connection closed (code ${this.closed.code} reason '${this.closed.reason}')`));
        this.waiters.push(check);
      };
      check();
    });
  }
  nextMessage() { return this._wait(() => (this.messages.length ? this.messages.shift() : undefined)); }
  nextPong() { return this._wait(() => (this.pongs.length ? this.pongs.shift() : undefined)); }
  whenClosed() { return this._wait(() => (this.closed ? this.closed : undefined), true); }
  send(data, opts) {
    return new Promise((resolve, reject) => this.ws.send(data, opts, (err) => (err ? reject(err) : resolve())));
  }
  terminate() { try { this.ws.terminate(); } catch { /* ignore */ } }
}

function describe(buf) {
  return `${buf.length} bytes`;
}

async function expectText(conn, sent) {
  const m = await conn.nextMessage();
  if (m.isBinary) throw new Error(`expected text, got binary (${m.data.length} bytes)`);
  const got = m.data.toString('utf8');
  if (got !== sent) throw new Error(`text mismatch: sent ${JSON.stringify(sent).slice(0, 80)} got ${JSON.stringify(got).slice(0, 80)}`);
}

async function echoText(conn, text) {
  await conn.send(text, { binary: false });
  await expectText(conn, text);
}

async function echoBinary(conn, buf) {
  await conn.send(buf, { binary: true });
  const m = await conn.nextMessage();
  if (!m.isBinary) throw new Error(`expected binary, got text (${m.data.length} bytes)`);
  if (!Buffer.from(m.data).equals(buf)) throw new Error(`binary mismatch: sent ${describe(buf)} got ${describe(m.data)}`);
}

// JSON-like ASCII text of exactly n characters: compressible, as the messages compression is for.
function jsonText(n) {
  let s = '[';
  for (let i = 0; s.length < n; i++) s += `{"id":${i},"user":"name${i % 37}","tags":["a","b"],"ok":true},`;
  return s.slice(0, n);
}

const sizeCase = (n) => async (conn) => echoBinary(conn, crypto.randomBytes(n));

// Cases run on a shared connection (reopened after a failure), except close-by-server.
const cases = [
  ['text-ascii', async (c) => echoText(c, 'Hello, WebSocket! 0123456789 ~!@#$%^&*()')],
  ['text-utf8', async (c) => echoText(c, 'Привет, мир! héllo ünïcödé 日本語 😀 emoji 🎉')],
  ['binary-256', async (c) => echoBinary(c, Buffer.from(Array.from({ length: 256 }, (_, i) => i)))],
  ['size-0', sizeCase(0)],
  ['size-125', sizeCase(125)],
  ['size-126', sizeCase(126)],
  ['size-65535', sizeCase(65535)],
  ['size-65536', sizeCase(65536)],
  ['size-1MiB', sizeCase(1024 * 1024)],
  ['fragmented-send', async (c) => {
    const parts = ['frag-one ', 'frag-two ', 'Привет ', '😀 ', 'frag-last'];
    for (let i = 0; i < parts.length; i++) {
      await c.send(parts[i], { binary: false, fin: i === parts.length - 1 });
    }
    await expectText(c, parts.join(''));
  }],
  ['fragmented-receive', async (c) => {
    await c.send('fragmented:hello fragmented world', { binary: false });
    await expectText(c, 'hello fragmented world');
  }],
  // permessage-deflate (RFC 7692), which ws offers by default: agreed, then compressed text and
  // binary both ways, whole and fragmented (RSV1 on the first frame only).
  ['compression', async (c) => {
    if (!c.ws.extensions.includes('permessage-deflate')) throw new Error(`no permessage-deflate agreed (extensions '${c.ws.extensions}')`);
    const json = jsonText(8192);
    await echoText(c, json);
    await echoBinary(c, Buffer.from(jsonText(20000), 'ascii'));
    const parts = [json.slice(0, 3000), json.slice(3000, 6000), json.slice(6000)];
    for (let i = 0; i < parts.length; i++) await c.send(parts[i], { binary: false, fin: i === parts.length - 1 });
    await expectText(c, json);
    await echoText(c, 'small, sent uncompressed by a 1 KiB threshold');
    return `extensions='${c.ws.extensions}'`;
  }],
  ['ping-pong', async (c) => {
    const payload = Buffer.from('ping-payload-' + crypto.randomBytes(4).toString('hex'));
    c.ws.ping(payload);
    const pong = await c.nextPong();
    if (!Buffer.from(pong).equals(payload)) throw new Error(`pong payload mismatch: sent '${payload}' got '${pong}'`);
  }],
  ['server-ping', async (c) => {
    await c.send('ping:abc123', { binary: false });
    await expectText(c, 'pong:abc123');
  }],
  ['close-by-client', async (c) => {
    c.ws.close(4000, 'bye-client');
    const { code, reason } = await c.whenClosed();
    if (code !== 4000) throw new Error(`server replied with close code ${code} reason '${reason}', expected 4000`);
    return `observed ${code} '${reason}'`;
  }],
  ['close-by-server', async () => {
    const c2 = await Conn.open(url);
    try {
      await c2.send('close:4001:bye-server', { binary: false });
      const { code, reason } = await c2.whenClosed();
      if (code !== 4001 || reason !== 'bye-server') throw new Error(`observed close code ${code} reason '${reason}', expected 4001 'bye-server'`);
      return `observed ${code} '${reason}'`;
    } finally {
      c2.terminate();
    }
  }, { ownConnection: true }],
];

// The application's door (RFC 6455 §4.1, §4.2.2): what the server chose, or why it refused.
const doorCases = [
  ['handshake', async () => {
    const c = await Conn.open(url, offered);
    try {
      await echoText(c, 'through the door');
      return `subprotocol='${c.ws.protocol}'`;
    } finally {
      c.terminate();
    }
  }, { ownConnection: true }],
  // A refusal is an HTTP response, not a WebSocket: "ws" hands it over in 'unexpected-response'.
  ['refused', () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, offered, { headers });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve(`status=${res.statusCode} www-authenticate='${res.headers['www-authenticate'] || ''}' body='${body}'`));
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error(`the upgrade was accepted (subprotocol '${ws.protocol}'), expected a refusal`));
    });
    ws.on('error', reject);
  }), { ownConnection: true }],
];

function withTimeout(p, ms) {
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`timeout after ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(t));
}

async function main() {
  const known = cases.concat(doorCases);
  const selected = only ? known.filter(([name]) => name === only) : cases;
  if (selected.length === 0) {
    process.stderr.write(`unknown case '${only}'; known: ${known.map(([n]) => n).join(', ')}\n`);
    process.exit(2);
  }
  let passed = 0;
  let failed = 0;
  let conn = null;
  for (const [name, fn, opts] of selected) {
    try {
      const note = await withTimeout((async () => {
        if (!(opts && opts.ownConnection) && (!conn || conn.closed)) conn = await Conn.open(url);
        return fn(conn);
      })(), CASE_TIMEOUT_MS);
      passed++;
      out(note ? `PASS ${name} (${note})` : `PASS ${name}`);
    } catch (err) {
      failed++;
      out(`FAIL ${name}: ${(err && err.message) || err}`);
      if (conn) { conn.terminate(); conn = null; } // start the next case on a fresh connection
    }
  }
  if (conn) conn.terminate();
  out(`DONE passed=${passed} failed=${failed}`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => { out(`FAIL harness: ${(err && err.stack) || err}`); out('DONE passed=0 failed=1'); process.exit(1); });
