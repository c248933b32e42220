#!/usr/bin/env node
'use strict';
// Independent WebSocket echo peer built on the Node "ws" library.
// Usage: node node-echo-server.js <port>   (0 = any free port)
// Prints "LISTENING <port>" when ready and "CLOSED <code> <reason>" per closed connection.
// Echoes every message with its type, except these text commands:
//   close:<code>:<reason>  -> server initiates a close with that code/reason
//   fragmented:<text>      -> server sends <text> back as a 3-fragment text message
//   ping:<payload>         -> server pings with <payload>; on the matching pong sends text "pong:<payload>"
const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2] ?? '0', 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`usage: node node-echo-server.js <port>\n`);
  process.exit(2);
}

function out(line) {
  // stdout to a pipe is async in Node; write synchronously so lines are flushed immediately.
  require('fs').writeSync(1, line + '\n');
}

function splitInThree(text) {
  const cps = Array.from(text); // split on code points, never inside a surrogate pair
  const a = Math.ceil(cps.length / 3);
  const b = Math.ceil((cps.length * 2) / 3);
  return [cps.slice(0, a).join(''), cps.slice(a, b).join(''), cps.slice(b).join('')];
}

// permessage-deflate (RFC 7692) on, as most deployments have it: ActorWs clients negotiate it and
// every message of 1 KiB or more comes back compressed (ws's threshold).
const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 * 1024 * 1024, perMessageDeflate: { threshold: 1024 } });

wss.on('listening', () => out(`LISTENING ${wss.address().port}`));
wss.on('error', (err) => {
  process.stderr.write(`server error: ${err && err.stack || err}\n`);
  process.exit(1);
});

wss.on('connection', (ws) => {
  const pendingPings = []; // payload strings awaiting a pong

  ws.on('error', (err) => process.stderr.write(`connection error: ${err && err.message || err}\n`));

  ws.on('close', (code, reason) => out(`CLOSED ${code} ${reason.toString('utf8')}`));

  ws.on('pong', (data) => {
    const payload = data.toString('utf8');
    const i = pendingPings.indexOf(payload);
    if (i >= 0) {
      pendingPings.splice(i, 1);
      ws.send(`pong:${payload}`);
    }
  });

  ws.on('message', (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString('utf8');
      if (text.startsWith('close:')) {
        const rest = text.slice('close:'.length);
        const sep = rest.indexOf(':');
        const code = Number.parseInt(sep >= 0 ? rest.slice(0, sep) : rest, 10);
        const reason = sep >= 0 ? rest.slice(sep + 1) : '';
        try {
          ws.close(code, reason);
        } catch (err) { // invalid code/reason: report and drop the connection instead of crashing
          process.stderr.write(`cannot close with ${code} '${reason}': ${err.message}\n`);
          ws.terminate();
        }
        return;
      }
      if (text.startsWith('fragmented:')) {
        const parts = splitInThree(text.slice('fragmented:'.length));
        ws.send(parts[0], { binary: false, fin: false });
        ws.send(parts[1], { binary: false, fin: false });
        ws.send(parts[2], { binary: false, fin: true });
        return;
      }
      if (text.startsWith('ping:')) {
        const payload = text.slice('ping:'.length);
        pendingPings.push(payload);
        ws.ping(payload);
        return;
      }
      ws.send(text, { binary: false });
      return;
    }
    ws.send(data, { binary: true });
  });
});

for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
