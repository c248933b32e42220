#!/usr/bin/env node
'use strict';
// Opens N WebSocket connections with permessage-deflate offered (ws's default client offer,
// "permessage-deflate; client_max_window_bits"), sends one 4 KiB JSON-like text on each (so both
// sides' compressor and decompressor have been needed once), waits for every echo, then holds the
// connections idle and prints "READY <n> <extensions>" on stdout. Ends when stdin closes.
// Usage: node idle-client.js <url> <n> [--no-deflate]
// Also a module: bench/deflate/idle-load.js (bench/run.sh scenario 10) uses openAll and json.
const fs = require('fs');
const path = require('path');
const WebSocket = require(path.join(__dirname, '..', '..', 'tests', 'interop', 'node_modules', 'ws'));

let json = '[';
for (let i = 0; json.length < 4096; i++) json += `{"id":${i},"user":"name${i % 37}","tags":["a","b"],"ok":true},`;
json = json.slice(0, 4096);

function open(url, deflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: deflate });
    // the server's agreement with its parameters (ws.extensions lists only the extension names)
    ws.once('upgrade', (res) => { ws.agreement = res.headers['sec-websocket-extensions'] || '(none)'; });
    ws.once('open', () => {
      ws.once('message', (data) => (data.toString() === json ? resolve(ws) : reject(new Error('bad echo'))));
      ws.send(json);
    });
    ws.once('error', reject);
  });
}

// n connections, 50 at a time, each after its echo
async function openAll(url, n, deflate) {
  const sockets = [];
  for (let i = 0; i < n; i += 50) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 50); j++) batch.push(open(url, deflate));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}
module.exports = { openAll, json };
if (require.main !== module) return;

const [url, nText, flag] = process.argv.slice(2);
const n = parseInt(nText, 10);
const deflate = flag !== '--no-deflate';
(async () => {
  const sockets = await openAll(url, n, deflate);
  fs.writeSync(1, `READY ${sockets.length} ${sockets[0].extensions || '(none)'}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => { sockets.forEach((s) => s.terminate()); process.exit(0); });
})().catch((e) => { fs.writeSync(2, `FAILED ${e.stack || e}\n`); process.exit(1); });
