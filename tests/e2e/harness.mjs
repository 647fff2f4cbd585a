// Shared pieces of the end-to-end tests and the demo tour: the provider simulator as a child
// process, Debian's Chromium with the simulator build of the extension, and the popup.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXTENSION = process.env.TOKENWATCH_DEV_EXTENSION ?? join(ROOT, 'dist/dev/chrome');
/** The test build with a 30-second schedule, beside the test build. */
export const FAST_EXTENSION = process.env.TOKENWATCH_FAST_EXTENSION ?? join(EXTENSION, '../../test-fast/chrome');
export { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs';
export const SIM_BIN = process.env.TOKENWATCH_SIM_BIN ?? join(ROOT, 'target/debug/tokenwatch-sim');
export const BUILD = JSON.parse(readFileSync(join(EXTENSION, '../build-info.json'), 'utf8'));
export const EXTENSION_ID = BUILD.extension_id;
export const OUT = process.env.TOKENWATCH_OUT ?? join(ROOT, 'target/e2e');
mkdirSync(OUT, { recursive: true });

/** Starts the simulator on a free loopback port (or `port`); it exits when this process closes
 *  its stdin. `callbacks` are more registered Salesforce redirect URLs (the Outlook add-in's);
 *  `users` adds user1@org1.example … (the benchmark's many connections). */
export async function startSim(port = 0, callbacks = [], users = 0) {
  const app = `${BUILD.consumer_key}=${[BUILD.redirect_salesforce, ...callbacks].join(',')}`;
  const child = spawn(SIM_BIN, ['--port', String(port), '--app', app, '--users', String(users), '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolveUrl, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('simulator did not start within 10 s')), 10_000);
    child.on('exit', (code) => reject(new Error(`simulator exited (${code})`)));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const m = buffered.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
  });
  return { url, stop: () => { child.stdin.end(); child.kill(); } };
}

/** Drives the simulator's admin API. */
export async function admin(sim, path, body) {
  const init = body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  const r = await fetch(`${sim.url}/admin/${path}`, init);
  if (!r.ok) throw new Error(`admin ${path}: HTTP ${r.status}`);
  return r.headers.get('content-type')?.includes('json') ? r.json() : r.text();
}

export function newProfile() {
  return mkdtempSync(join(tmpdir(), 'tokenwatch-e2e-'));
}

/** Chromium with the simulator build loaded, on `profile`. Only loopback is reachable. */
export async function launch(profile, extension = EXTENSION, id = EXTENSION_ID, { args = [], locale } = {}) {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    // The pages' language (navigator.language, Accept-Language); `--lang` sets the browser's own.
    ...(locale ? { locale } : {}),
    args: [
      `--disable-extensions-except=${extension}`,
      `--load-extension=${extension}`,
      ...CHROMIUM_ARGS,
      '--disable-gpu',
      ...args,
    ],
  });
  const worker = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${id}/`))
    ?? await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(`chrome-extension://${id}/`), timeout: 20_000 });
  return { context, worker };
}

/** The popup page, opened in a tab (Playwright cannot click the toolbar button). */
export async function openPopup(context) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 380, height: 560 });
  await page.goto(`chrome-extension://${EXTENSION_ID}/popup.html`);
  await page.waitForFunction(() => !document.getElementById('empty').hidden || document.querySelector('#connections li'));
  return page;
}

/** Waits until the popup shows the worker's answer, not the last known list (aria-busy). */
export async function settled(popup) {
  await popup.waitForSelector('#connections:not([aria-busy="true"])', { state: 'attached' });
}

/** Starts "Add Salesforce org" for `host` and returns the simulator's login window. */
export async function startAdd(context, popup, host) {
  await popup.selectOption('#sf-host-kind', 'custom');
  await popup.fill('#sf-host', host);
  const loginWindow = context.waitForEvent('page', { timeout: 20_000 });
  await popup.click('#add-salesforce');
  const login = await loginWindow;
  await login.waitForSelector('#username');
  return login;
}

/** Types the credentials into the simulator's login form and submits it. */
export async function signIn(login, username, password) {
  await login.fill('#username', username);
  await login.fill('#password', password);
  await login.click('#Login');
}

/** Adds the org of `username` at `simUrl` through the popup and the login form, and waits
 *  until the popup says it is connected. */
export async function connect(context, popup, simUrl, username) {
  await signIn(await startAdd(context, popup, simUrl), username, 'tokenwatch');
  return message(popup, /Connected/);
}

/** Connects `user<n>@org<n>.example` for each n of `numbers` (a simulator started with that
 *  many `users`) through the worker, asked from `page`, and the simulator's login window. */
export async function connectNumbered(context, page, simUrl, numbers) {
  for (const n of numbers) {
    const window = context.waitForEvent('page', { timeout: 20_000 });
    const answer = page.evaluate((host) => chrome.runtime.sendMessage({ v: 2, request: { type: 'add_salesforce', login: { kind: 'custom', host } } }), simUrl);
    const login = await window;
    await login.waitForSelector('#username');
    await signIn(login, `user${n}@org${n}.example`, 'tokenwatch');
    const r = await answer;
    if (r.type !== 'connection') throw new Error(`connecting user${n}: ${JSON.stringify(r)}`);
  }
}

/** `promise`, or a failure naming `what` after `ms`: a step that hangs says which. */
export function within(ms, promise, what) {
  let timer;
  const late = new Promise((_, fail) => { timer = setTimeout(() => fail(new Error(`${what} did not finish within ${ms / 1000} s`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The popup's rows as plain data. */
export async function rows(popup) {
  await settled(popup);
  return popup.$$eval('#connections li', (items) => items.map((li) => ({
    id: li.dataset.id,
    label: li.querySelector('.label')?.textContent,
    account: li.querySelector('.account')?.textContent,
    status: li.querySelector('.status-title')?.textContent,
    detail: li.querySelector('.status-detail')?.textContent,
  })));
}

/** Everything in the extension's chrome.storage.local. */
export async function storage(worker) {
  return worker.evaluate(() => chrome.storage.local.get(null));
}

/** Waits for the popup's message line to say something matching `pattern`. */
export async function message(popup, pattern) {
  await popup.waitForFunction((src) => new RegExp(src).test(document.getElementById('message').textContent), pattern.source, { timeout: 20_000 });
  return popup.$eval('#message', (m) => ({ text: m.textContent, role: m.getAttribute('role'), className: m.className }));
}

/** Clicks a Copy-report button and returns the report: what the page wrote to the real
 *  clipboard (kept by the page for the test: Chromium will not let the test read the clipboard
 *  back), or the text shown to copy by hand where the clipboard was refused. */
export async function copyReport(page, button, shownSelector) {
  await page.evaluate(() => {
    if (!navigator.clipboard || window.copiedKept) return;
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => { window.copied = text; return write(text); };
    window.copiedKept = true;
  });
  await page.evaluate(() => { window.copied = undefined; document.getElementById('message').textContent = ''; });
  await page.click(button);
  await page.waitForFunction(() => /report/.test(document.getElementById('message').textContent));
  const said = await page.textContent('#message');
  const report = said.startsWith('Diagnostic report copied')
    ? await page.evaluate(() => window.copied)
    : await page.$eval(shownSelector, (t) => t.value);
  assert.equal(typeof report, 'string', said);
  return report;
}

/** Stops the extension's service worker through the DevTools protocol, as Chrome does when it
 *  is idle, and resolves once it has stopped. */
export async function stopServiceWorker(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  const stopped = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the service worker did not stop within 10 s')), 10_000);
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
      if (versions.some((v) => v.scriptURL.startsWith(`chrome-extension://${EXTENSION_ID}/`) && v.runningStatus === 'stopped')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await cdp.send('ServiceWorker.stopAllWorkers');
  await stopped;
  await cdp.detach();
}
