#!/usr/bin/env node
'use strict';
// Drives examples/echo.html?auto=1 in headless Debian Chromium (/usr/bin/chromium) via playwright-core.
// Usage: node browser-client.js <url> [--spki <base64 sha256 of the server certificate's SPKI>]
// --spki: for a wss:// url, Chromium trusts a certificate with that public key (--ignore-certificate-errors-spki-list).
// Prints the page's PASS/FAIL lines and "DONE passed=<n> failed=<m>"; exit 0 iff all passed.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DONE_TIMEOUT_MS = 60_000;

function out(line) { fs.writeSync(1, line + '\n'); }

async function main() {
  const url = process.argv[2];
  const spkiAt = process.argv.indexOf('--spki');
  const spki = spkiAt > 0 ? process.argv[spkiAt + 1] : null;
  if (!url) {
    process.stderr.write('usage: node browser-client.js <url>\n');
    return 2;
  }
  const page = path.resolve(__dirname, '..', '..', 'examples', 'echo.html');
  const pageUrl = pathToFileURL(page).href + '?auto=1&url=' + encodeURIComponent(url);
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
