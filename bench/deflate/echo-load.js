#!/usr/bin/env node
'use strict';
// Compressed echo load (bench/run.sh scenario 9): C connections, each keeping P messages of a 4 KiB
// JSON-like text in flight, with permessage-deflate offered (Node ws's client offer:
// "permessage-deflate; client_max_window_bits"; what each server agrees to is printed). One client
// for every server, so bytes on the wire compare the servers' compression, not two clients'.
// Warm-up, then a measured window: messages/s, latency send -> echo (p50/p99/p99.9), and bytes on
// the wire per message in each direction, read from the TCP sockets (bytesWritten/bytesRead deltas
// over the window: frame headers, masks and deflate output, what a network would carry).
// Prints one human-readable line, then `RESULT {json}` (the format bench/run.sh collects).
//
// Usage: node echo-load.js --url ws://127.0.0.1:PORT/ [--connections 16] [--inflight 4]
//          [--size 4096] [--threshold 1024] [--warmup 20] [--duration 5] [--pid SERVER_PID] [--no-deflate]
const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', '..', 'tests', 'interop', 'node_modules', 'ws'));

const opt = { url: '', connections: 16, inflight: 4, size: 4096, threshold: 1024, warmup: 20, duration: 5, pid: 0, deflate: true };
for (let a = process.argv.slice(2); a.length;) {
  const k = a.shift();
  if (k === '--no-deflate') { opt.deflate = false; continue; }
  const name = k.replace(/^--/, '');
  if (!(name in opt) || !a.length) { fs.writeSync(2, `unknown or incomplete option ${k}\n`); process.exit(2); }
  opt[name] = name === 'url' ? a.shift() : Number(a.shift());
}
// Loopback only: this tool saturates whatever it points at.
if (!/^ws:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\//.test(opt.url)) { fs.writeSync(2, 'only ws://127.0.0.1:PORT/ (loopback) targets\n'); process.exit(2); }

// 256 different messages of exactly opt.size bytes, cycled: realistic JSON (the same keys in every
// record, values that vary), so a compressor finds the repetition a real API payload has but not
// one identical message over and over (which context takeover would shrink to a few bytes).
// A fixed-seed PRNG keeps the messages identical between runs and servers.
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];
function makeMessage(m) {
  const items = [];
  let body = '';
  for (let i = 0; ; i++) {
    const rec = JSON.stringify({
      id: m * 1000 + i, user: `user_${rnd(100000)}`, email: `${words[rnd(10)]}.${rnd(10000)}@example.com`,
      ts: new Date(1764600000000 + rnd(86400000)).toISOString(), price: rnd(100000) / 100,
      qty: rnd(50), tags: [words[rnd(10)], words[rnd(10)]], active: rnd(2) === 1, score: rnd(10000) / 10000,
    });
    const next = `{"seq":${m},"items":[${[...items, rec].join(',')}],"pad":""}`;
    if (next.length > opt.size) break;
    items.push(rec); body = next;
  }
  // pad with spaces inside the last string so every message is exactly opt.size bytes (ASCII)
  body = body.slice(0, -2) + ' '.repeat(opt.size - body.length) + '"}';
  return Buffer.from(body, 'utf8');
}
const messages = Array.from({ length: 256 }, (_, m) => makeMessage(m));
if (messages.some((b) => b.length !== opt.size)) { fs.writeSync(2, `size ${opt.size} too small for one record\n`); process.exit(2); }

const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat counts CPU time in these ticks
function serverCpuSeconds() {
  if (!opt.pid) return null;
  try {
    const f = fs.readFileSync(`/proc/${opt.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime (fields 14, 15)
  } catch { return null; }
}

let errors = 0;
let measuring = false;
let stopping = false;
let sentInWindow = 0;
let echoedInWindow = 0;
const latUs = []; // per echoed message during the window, microseconds
const conns = [];

function openOne(id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(opt.url, { perMessageDeflate: opt.deflate ? { threshold: opt.threshold } : false, handshakeTimeout: 10000 });
    const c = { ws, id, next: id * 7, pending: [], closedByUs: false, done: null };
    const send = () => {
      const idx = c.next++ & 255;
      c.pending.push([process.hrtime.bigint(), idx]);
      if (measuring) sentInWindow++;
      ws.send(messages[idx], { binary: false });
    };
    c.send = send;
    ws.on('message', (data, isBinary) => {
      const p = c.pending.shift();
      if (!p || isBinary || !messages[p[1]].equals(data)) { errors++; return; }
      if (measuring) { echoedInWindow++; latUs.push(Number(process.hrtime.bigint() - p[0]) / 1000); }
      if (!stopping) send();
      else if (c.pending.length === 0 && c.done) c.done();
    });
    ws.on('error', (e) => { errors++; fs.writeSync(2, `conn ${id}: ${e.message}\n`); });
    ws.on('close', () => { if (!c.closedByUs) { errors++; fs.writeSync(2, `conn ${id}: closed by the server\n`); } });
    // the server's agreement with its parameters (ws.extensions lists only the extension names)
    ws.once('upgrade', (res) => { c.agreement = res.headers['sec-websocket-extensions'] || '(none)'; });
    ws.once('open', () => resolve(c));
    ws.once('unexpected-response', (_, res) => reject(new Error(`handshake rejected: HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wire = () => conns.reduce((s, c) => [s[0] + c.ws._socket.bytesWritten, s[1] + c.ws._socket.bytesRead], [0, 0]);
function pct(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : null; }

(async () => {
  for (let i = 0; i < opt.connections; i++) conns.push(await openOne(i));
  const extensions = conns[0].agreement;
  for (const c of conns) for (let k = 0; k < opt.inflight; k++) c.send();
  await sleep(opt.warmup * 1000);

  // measurement window: counters and CPU snapshots at both ends
  const w0 = wire(); const cpu0 = process.cpuUsage(); const s0 = serverCpuSeconds(); const t0 = process.hrtime.bigint();
  measuring = true;
  await sleep(opt.duration * 1000);
  measuring = false;
  const w1 = wire(); const cpu1 = process.cpuUsage(cpu0); const s1 = serverCpuSeconds();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;

  // stop refilling, wait (bounded) for the last echoes, then close 1000 and wait for the replies
  stopping = true;
  await Promise.race([Promise.all(conns.map((c) => (c.pending.length ? new Promise((r) => { c.done = r; }) : null))), sleep(10000)]);
  const missing = conns.reduce((s, c) => s + c.pending.length, 0);
  errors += missing;
  await Promise.race([Promise.all(conns.map((c) => new Promise((r) => { c.closedByUs = true; c.ws.once('close', r); c.ws.close(1000); }))), sleep(10000)]);

  latUs.sort((a, b) => a - b);
  const wireOut = sentInWindow ? (w1[0] - w0[0]) / sentInWindow : null; // client -> server, per message
  const wireIn = echoedInWindow ? (w1[1] - w0[1]) / echoedInWindow : null; // server -> client (the echo)
  const r = {
    mode: 'echo-deflate', connections: opt.connections, inflight: opt.inflight, size: opt.size, threshold: opt.threshold,
    extensions, msgs_per_s: echoedInWindow / secs, p50_us: pct(latUs, 0.5), p99_us: pct(latUs, 0.99), p999_us: pct(latUs, 0.999),
    wire_out_b_per_msg: wireOut, wire_in_b_per_msg: wireIn,
    // payload bytes / wire bytes: how many times smaller a message is on the wire (higher = smaller)
    ratio_out: wireOut ? opt.size / wireOut : null, ratio_in: wireIn ? opt.size / wireIn : null,
    errors, messages: echoedInWindow, seconds: secs,
    load_cpu_pct: ((cpu1.user + cpu1.system) / 1e6 / secs) * 100, // all of the client's threads (zlib runs on libuv's pool)
    server_cpu_pct: s0 !== null && s1 !== null ? ((s1 - s0) / secs) * 100 : null,
  };
  const f = (v, d = 0) => (v === null ? '–' : v.toFixed(d));
  fs.writeSync(1, `echo-deflate ${opt.connections}x${opt.inflight} ${opt.size} B [${extensions}]: ${f(r.msgs_per_s)} msg/s, p50 ${f(r.p50_us)} µs, p99 ${f(r.p99_us)} µs, `
    + `wire ${f(wireOut)} B out / ${f(wireIn)} B in per msg (x${f(r.ratio_out, 2)} / x${f(r.ratio_in, 2)}), client CPU ${f(r.load_cpu_pct)} %, server CPU ${f(r.server_cpu_pct)} %, errors ${errors}\n`);
  fs.writeSync(1, `RESULT ${JSON.stringify(r)}\n`);
  process.exit(errors ? 1 : 0);
})().catch((e) => { fs.writeSync(2, `FAILED ${e.stack || e}\n`); process.exit(1); });
