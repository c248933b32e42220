#!/usr/bin/env node
'use strict';
// Drives the demo's web page (ActorWs.Demo web) in headless Debian Chromium via playwright-core.
// Usage: node web-demo.js <http://host:port/> <screenshot.png>
// Prints PASS/FAIL lines, one a lesson, and "DONE passed=<n> failed=<m>"; exit 0 iff all passed.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// A limit for a failure, never a measurement: each step waits for what the page shows.
const LIMIT_MS = 30_000;

function out(line) { fs.writeSync(1, line + '\n'); }

const [url, screenshot] = process.argv.slice(2);
let passed = 0, failed = 0;

async function step(name, fn) {
  try {
    const note = await fn();
    passed++;
    out('PASS ' + name + (note ? ' (' + note + ')' : ''));
  } catch (err) {
    failed++;
    out('FAIL ' + name + ': ' + ((err && err.message) || err).split('\n')[0]);
  }
}

const text = (tab, sel) => tab.textContent(sel);
const waitText = (tab, sel, pattern) => tab.waitForFunction(([s, p]) => {
  const e = document.querySelector(s);
  return e && new RegExp(p).test(e.textContent);
}, [sel, pattern], { timeout: LIMIT_MS, polling: 50 });
const count = (tab, sel) => tab.evaluate((s) => document.querySelectorAll(s).length, sel);
const waitCount = (tab, sel, n) => tab.waitForFunction(([s, k]) => document.querySelectorAll(s).length >= k, [sel, n], { timeout: LIMIT_MS, polling: 50 });

async function openMine(tab) {
  await tab.click('#open');
  await waitText(tab, '#mystate', '^OPEN$');
  await waitText(tab, '#you', 'conn-\\d+');
  return (await text(tab, '#you')).replace('you are ', '');
}

// A fault by a peer the server starts: a new supervision entry with the code, and in the tree the
// connection it names closed with that code and its failed child marked.
async function peerFault(tab, button, code, child) {
  const sel = `#supervision li[data-code="${code}"]`;
  const before = await count(tab, sel);
  await tab.click(button);
  await waitCount(tab, sel, before + 1);
  const conn = await tab.evaluate(([s, i]) => document.querySelectorAll(s)[i].dataset.conn, [sel, before]);
  await waitCount(tab, `#tree li[data-conn="${conn}"] [data-code="${code}"]`, 1);
  await waitCount(tab, `#tree li[data-conn="${conn}"] li.child.failed[data-child="${child}"]`, 1);
  return `${conn}: '${child}' failed, closed with ${code}`;
}

// WCAG 2.2 contrast ratio of an element's text on the background it is drawn on.
function contrastOf(selector) {
  const parse = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const e = document.querySelector(selector);
  if (!e) return null;
  let bg = e, rgba;
  while (bg) {
    rgba = parse(getComputedStyle(bg).backgroundColor);
    if (rgba.length === 3 || (rgba.length === 4 && rgba[3] > 0)) break;
    bg = bg.parentElement;
  }
  const back = bg ? rgba.slice(0, 3) : [255, 255, 255];
  const fore = parse(getComputedStyle(e).color).slice(0, 3);
  const [a, b] = [lum(fore), lum(back)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

async function main() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'actorws-chromium-'));
  let context = null;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
    const tab = context.pages()[0] || await context.newPage();
    tab.on('pageerror', (err) => process.stderr.write(`page error: ${err.message}\n`));
    await tab.goto(url, { waitUntil: 'load' });
    await waitText(tab, '#feed', '^live$');

    await step('offline', async () => {
      const external = await tab.evaluate(() => [...document.querySelectorAll('script[src], link[href], img[src]')].length);
      if (external) throw new Error(external + ' elements load something from elsewhere');
    });
    await step('keyboard', async () => {
      // Tab from the top of the page to the first control, Enter opens the connection.
      for (let i = 0; i < 10 && await tab.evaluate(() => document.activeElement.id) !== 'open'; i++) await tab.keyboard.press('Tab');
      if (await tab.evaluate(() => document.activeElement.id) !== 'open') throw new Error('Tab never reached "Open a connection"');
      const outline = await tab.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
      if (outline === 'none') throw new Error('the focused button shows no outline');
      await tab.keyboard.press('Enter');
      await waitText(tab, '#mystate', '^OPEN$');
      // Focus moves to "Send text"; Enter sends.
      if (await tab.evaluate(() => document.activeElement.id) !== 'send') throw new Error('focus did not move to "Send text"');
      await tab.keyboard.press('Enter');
      await waitText(tab, '#echo', '^hello, actors$');
      return 'Tab to "Open a connection", Enter, Enter sends; focus outline ' + outline;
    });
    await step('contrast', async () => {
      const sels = ['body', 'h1', '.note', 'button', 'button.fault', 'label', '#log .SERVER', '#log .CLIENT', '#log .err', '.state-OPEN', '#frames td'];
      const worst = [];
      for (const s of sels) {
        const r = await tab.evaluate(contrastOf, s);
        if (r !== null && r < 4.5) worst.push(`${s} ${r.toFixed(2)}:1`);
      }
      if (worst.length) throw new Error('below 4.5:1: ' + worst.join(', '));
      return 'every checked text at least 4.5:1';
    });

    let mine = null;
    await step('open-tree', async () => {
      mine = (await text(tab, '#you')).replace('you are ', '');
      // The reader starts with the first frame (the echo below); at OPEN the writer and the handler run.
      await waitCount(tab, `#tree li[data-conn="${mine}"][data-state="OPEN"] li.child[data-child="writer"]`, 1);
      const children = await tab.evaluate((c) => [...document.querySelectorAll(`#tree li[data-conn="${c}"] li.child`)].map((l) => l.dataset.child).join(', '), mine);
      return `${mine}: ${children}`;
    });
    await step('echo-text', async () => {
      await tab.fill('#text', 'über ünïcödé ✓');
      await tab.click('#send');
      await waitText(tab, '#echo', '^über ünïcödé ✓$');
      await waitCount(tab, `#frames tr[data-opcode="TEXT"]`, 2);
      await waitCount(tab, `#tree li[data-conn="${mine}"] li.child[data-child="reader"]`, 1);
    });
    await step('echo-binary', async () => {
      await tab.click('#binary');
      await waitText(tab, '#echo', '^binary 00 01 02 fd fe ff$');
      await waitCount(tab, `#frames tr[data-opcode="BINARY"]`, 2);
    });
    await step('ping', async () => {
      const before = await count(tab, '#frames tr[data-opcode="PONG"]');
      await tab.click('#ping');
      await waitCount(tab, '#frames tr[data-opcode="PONG"]', before + 2); // the browser's pong, sent and received
    });
    await step('close-with-code', async () => {
      await tab.fill('#code', '4000');
      await tab.fill('#reason', 'bye');
      await tab.click('#close');
      // The server answers with the code and no reason (RFC 6455 §5.5.1 asks for the code only).
      await waitText(tab, '#myclose', '^4000 wasClean=true$');
      await waitCount(tab, `#tree li[data-conn="${mine}"][data-state="CLOSED"] [data-code="4000"]`, 1);
      await waitCount(tab, `#tree li[data-conn="${mine}"] li.child.stopped[data-child="reader"]`, 1);
      return 'closed 4000, children stopped';
    });
    await step('cut-tcp', async () => {
      const conn = await openMine(tab);
      await tab.click('#abort');
      await waitText(tab, '#myclose', '^1006 wasClean=false$');
      await waitCount(tab, `#tree li[data-conn="${conn}"] [data-code="1006"]`, 1);
      await waitCount(tab, `#tree li[data-conn="${conn}"] li.child.stopped`, 1);
      return `${conn}: 1006 on both sides`;
    });
    await step('handler-throws', async () => {
      const conn = await openMine(tab);
      await tab.click('#throw');
      await waitText(tab, '#myclose', '^1011');
      await waitCount(tab, `#supervision li[data-conn="${conn}"][data-code="1011"]`, 1);
      await waitCount(tab, `#tree li[data-conn="${conn}"] li.child.failed[data-child="handler"]`, 1);
      return `${conn}: handler failed, 1011`;
    });
    await step('fragmented', async () => {
      const before = await count(tab, '#frames tr[data-opcode="CONT"]');
      await tab.click('#fragment');
      await waitCount(tab, '#frames tr[data-opcode="CONT"]', before + 1);
      await waitText(tab, '#log', "SERVER <- \\[APP\\] 'hello, fragmented world'");
    });
    await step('unmasked-1002', () => peerFault(tab, '#unmasked', 1002, 'reader'));
    await step('invalid-utf8-1007', () => peerFault(tab, '#utf8', 1007, 'reader'));
    await step('unknown-opcode-1002', () => peerFault(tab, '#opcode', 1002, 'reader'));
    await step('no-pong-1011', () => peerFault(tab, '#silent', 1011, 'pinger'));
    await step('reconnect-timer', async () => {
      await tab.click('#reconnect');
      await waitText(tab, '#timer', 'reconnect #1 in \\d+\\.\\d s');
      const shown = await text(tab, '#timer');
      await waitText(tab, '#timer', 'connecting now');
      await waitCount(tab, '#tree li[data-conn^="ws-client"] [data-code="1000"]', 1);
      return shown;
    });
    await step('refused-handshake', async () => {
      await tab.click('#refused');
      await waitText(tab, '#refusal', '^closed with 1006');
      await waitText(tab, '#log', '403 Forbidden');
    });
    if (screenshot) {
      await tab.evaluate(() => window.scrollTo(0, 0));
      await tab.screenshot({ path: screenshot, fullPage: true });
    }
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  out(`DONE passed=${passed} failed=${failed}`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  out(`FAIL browser: ${(err && err.message) || err}`);
  out(`DONE passed=${passed} failed=${failed + 1}`);
  process.exit(1);
});
