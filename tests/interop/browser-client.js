#!/usr/bin/env node
'use strict';
// Drives examples/echo.html?auto=1 in headless Debian Chromium (/usr/bin/chromium) via playwright-core.
// Usage: node browser-client.js <url> [--no-commands] [--only handshake [--subprotocol <name>]...] [--spki <pin>]
// --spki: for a wss:// url, Chromium trusts a certificate with that public key (base64 SHA-256 of its
// SubjectPublicKeyInfo; --ignore-certificate-errors-spki-list).
// --no-commands: a plain echo server (the demo's serve): the two cases that send the test handler
// commands are skipped.
// Prints the page's PASS/FAIL lines and "DONE passed=<n> failed=<m>"; exit 0 iff all passed.
// --only handshake instead loads the page the server itself serves at the http:// form of <url> and
// opens new WebSocket(<url>, [the --subprotocol names]) there, reporting the subprotocol the server chose.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DONE_TIMEOUT_MS = 60_000;

function out(line) { fs.writeSync(1, line + '\n'); }

const args = process.argv.slice(2);
let url = null;
let only = null;
let commands = true;
let spki = null;
const offered = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--only') only = args[++i];
  else if (args[i] === '--spki') spki = args[++i];
  else if (args[i] === '--no-commands') commands = false;
  else if (args[i] === '--subprotocol') offered.push(args[++i]);
  else if (!url) url = args[i];
}

// The echo page's cases, as the page reports them.
async function echoPage(tab) {
  const page = path.resolve(__dirname, '..', '..', 'examples', 'echo.html');
  const pageUrl = pathToFileURL(page).href + '?auto=1' + (commands ? '&commands=1' : '') + '&url=' + encodeURIComponent(url);
  await tab.goto(pageUrl, { waitUntil: 'load' });
  let timedOut = false;
  try {
    await tab.waitForFunction(() => window.__done === true, null, { timeout: DONE_TIMEOUT_MS, polling: 100 });
  } catch (err) {
    timedOut = true;
  }
  const results = await tab.evaluate(() => document.getElementById('results').textContent);
  const summary = await tab.evaluate(() => window.__summary || null);
  const lines = results.split('\n').filter((l) => l.startsWith('PASS') || l.startsWith('FAIL'));
  lines.forEach(out);
  let passed = lines.filter((l) => l.startsWith('PASS')).length;
  let failed = lines.filter((l) => l.startsWith('FAIL')).length;
  if (summary) { passed = summary.passed; failed = summary.failed; }
  if (timedOut) {
    out(`FAIL browser: page did not finish within ${DONE_TIMEOUT_MS / 1000} s`);
    failed++;
  }
  return { passed, failed };
}

// The application's door (RFC 6455 §4.1, §4.2.2). The page comes from the server under test, so the
// socket carries that page's Origin and whatever cookie its answer set, as an application's own page would.
async function handshake(tab) {
  await tab.goto(url.replace(/^ws/, 'http'), { waitUntil: 'load' });
  const r = await tab.evaluate(({ u, protocols }) => new Promise((resolve) => {
    const ws = new WebSocket(u, protocols);
    let protocol = null;
    ws.onopen = () => { protocol = ws.protocol; ws.close(1000, 'done'); };
    ws.onclose = (e) => resolve({ protocol, code: e.code, wasClean: e.wasClean });
  }), { u: url, protocols: offered });
  if (r.protocol === null) {
    out(`FAIL handshake: the socket never opened (closed with ${r.code})`);
    return { passed: 0, failed: 1 };
  }
  out(`PASS handshake (subprotocol='${r.protocol}' closed=${r.code} wasClean=${r.wasClean})`);
  return { passed: 1, failed: 0 };
}

async function main() {
  if (!url || (only !== null && only !== 'handshake')) {
    process.stderr.write('usage: node browser-client.js <url> [--only handshake [--subprotocol <name>]...]\n');
    return 2;
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'actorws-chromium-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        ...(spki ? [`--ignore-certificate-errors-spki-list=${spki}`] : []),
      ],
      timeout: 30_000,
    });
    const tab = context.pages()[0] || await context.newPage();
    tab.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
    tab.on('console', (msg) => { if (msg.type() === 'error') process.stderr.write(`console: ${msg.text()}\n`); });
    const { passed, failed } = only === 'handshake' ? await handshake(tab) : await echoPage(tab);
    out(`DONE passed=${passed} failed=${failed}`);
    return failed === 0 && passed > 0 ? 0 : 1;
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  out(`FAIL browser: ${(err && err.message) || err}`);
  out('DONE passed=0 failed=1');
  process.exit(1);
});
