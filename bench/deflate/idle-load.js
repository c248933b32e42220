#!/usr/bin/env node
'use strict';
// Memory per idle connection with permessage-deflate negotiated (bench/run.sh scenario 10), the
// measurement of bench/deflate/idle-memory.sh in run.sh's form: warm the server with 20 short
// connections (so JIT and first-use allocations are not charged to the idle ones, as ActorWs.Load's
// idle mode does), read its VmRSS, open N connections with idle-client.js's openAll (deflate offered,
// one 4 KiB JSON echo each, so compressor and decompressor were both needed once), wait --settle
// seconds, read VmRSS again: (after - before) / N. Then close all with 1000.
// Prints one human-readable line, then `RESULT {json}`.
// Usage: node idle-load.js --url ws://127.0.0.1:PORT/ --pid SERVER_PID [--connections 2000] [--settle 5] [--no-deflate]
const fs = require('fs');
const { openAll } = require('./idle-client.js');

const opt = { url: '', pid: 0, connections: 2000, settle: 5, deflate: true };
for (let a = process.argv.slice(2); a.length;) {
  const k = a.shift();
  if (k === '--no-deflate') { opt.deflate = false; continue; }
  const name = k.replace(/^--/, '');
  if (!(name in opt) || !a.length) { fs.writeSync(2, `unknown or incomplete option ${k}\n`); process.exit(2); }
  opt[name] = name === 'url' ? a.shift() : Number(a.shift());
}
if (!/^ws:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+\//.test(opt.url)) { fs.writeSync(2, 'only ws://127.0.0.1:PORT/ (loopback) targets\n'); process.exit(2); }
if (!opt.pid) { fs.writeSync(2, '--pid SERVER_PID is required\n'); process.exit(2); }

const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${opt.pid}/status`, 'utf8'))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const closeAll = (socks) => Promise.race([
  Promise.all(socks.map((s) => new Promise((r) => { s.once('close', r); s.close(1000); }))), sleep(15000)]);

(async () => {
  await closeAll(await openAll(opt.url, 20, opt.deflate));
  await sleep(2000);
  const before = rssKiB();
  const t0 = Date.now();
  const socks = await openAll(opt.url, opt.connections, opt.deflate);
  const openSecs = (Date.now() - t0) / 1000;
  await sleep(opt.settle * 1000);
  const after = rssKiB();
  const extensions = socks[0].agreement;
  await closeAll(socks);
  const r = {
    mode: 'idle-deflate', connections: socks.length, extensions, rss_before_kib: before, rss_after_kib: after,
    rss_per_conn_kib: (after - before) / socks.length, open_seconds: openSecs, errors: opt.connections - socks.length,
  };
  fs.writeSync(1, `idle-deflate ${socks.length} conns [${extensions}]: RSS ${before} -> ${after} KiB, ${r.rss_per_conn_kib.toFixed(1)} KiB per idle connection\n`);
  fs.writeSync(1, `RESULT ${JSON.stringify(r)}\n`);
  process.exit(r.errors ? 1 : 0);
})().catch((e) => { fs.writeSync(2, `FAILED ${e.stack || e}\n`); process.exit(1); });
