// Debian's Firefox ESR driven over WebDriver (geckodriver), with the test build of the extension
// installed as a temporary add-on. WebDriver refuses to navigate to moz-extension:// pages, so
// extension pages are opened from the browser's chrome context (as a privileged tab) and then
// driven like any page. Only loopback is reachable: every Mozilla service is switched off.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD, EXTENSION, OUT } from './harness.mjs';

export const FIREFOX = process.env.TOKENWATCH_FIREFOX ?? '/usr/lib/firefox-esr/firefox-esr';
export const GECKODRIVER = process.env.TOKENWATCH_GECKODRIVER ?? 'geckodriver';
/** The Firefox test build (the Chromium test build's sibling). */
export const FIREFOX_EXTENSION = process.env.TOKENWATCH_FIREFOX_EXTENSION ?? join(EXTENSION, '../firefox');
/** The Firefox build of the 30-second schedule test build. */
export const FAST_FIREFOX = process.env.TOKENWATCH_FAST_FIREFOX_EXTENSION ?? join(EXTENSION, '../../test-fast/firefox');
export const FIREFOX_ID = BUILD.firefox_id;
/** Firefox's redirect host for an add-on: the SHA-1 of its id under extensions.allizom.org. */
export const FIREFOX_REDIRECT = `https://${createHash('sha1').update(FIREFOX_ID).digest('hex')}.extensions.allizom.org`;

const W3C_ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Prefs for a Firefox that reaches only loopback, never asks anything, and lets an idle event
 *  page stop after `idleMs` (Firefox's default is 30 s). */
function prefs(uuid, idleMs) {
  return {
    'extensions.webextensions.uuids': JSON.stringify({ [FIREFOX_ID]: uuid }),
    'extensions.background.idle.timeout': idleMs,
    'xpinstall.signatures.required': false,
    'extensions.autoDisableScopes': 0,
    'extensions.enabledScopes': 5,
    'app.update.enabled': false,
    'app.update.auto': false,
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.aboutwelcome.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'toolkit.telemetry.enabled': false,
    'toolkit.telemetry.unified': false,
    'browser.ping-centre.telemetry': false,
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false,
    'browser.safebrowsing.provider.mozilla.updateURL': '',
    'extensions.getAddons.cache.enabled': false,
    'extensions.update.enabled': false,
    'extensions.blocklist.enabled': false,
    'services.settings.server': 'http://127.0.0.1:9/',
    'network.captive-portal-service.enabled': false,
    'network.connectivity-service.enabled': false,
    'browser.newtabpage.enabled': false,
    'browser.topsites.contile.enabled': false,
    'dom.push.enabled': false,
    'network.dns.disablePrefetch': true,
    'network.prefetch-next': false,
    'media.gmp-manager.url': '',
    // Clipboard writes from extension pages without a prompt.
    'dom.events.asyncClipboard.clipboardItem': true,
    'devtools.console.stdout.chrome': !!process.env.TOKENWATCH_FIREFOX_LOG,
    'devtools.console.stdout.content': !!process.env.TOKENWATCH_FIREFOX_LOG,
  };
}

class WebDriverError extends Error {}

/** One Firefox with the extension installed. */
export class Firefox {
  constructor(driver, base, session, uuid) {
    this.driver = driver;
    this.base = base;
    this.session = session;
    this.uuid = uuid;
    this.origin = `moz-extension://${uuid}`;
  }

  async cmd(method, path, body) {
    const r = await fetch(`${this.base}/session/${this.session}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (!r.ok) throw new WebDriverError(`${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  async context(which) { await this.cmd('POST', '/moz/context', { context: which }); }

  /** Runs `script` (a function body; `arguments` are `args`) in the current context. */
  async run(script, ...args) { return this.cmd('POST', '/execute/sync', { script, args }); }

  /** Runs an async function body that calls `arguments[arguments.length - 1](value)`. */
  async runAsync(script, ...args) { return this.cmd('POST', '/execute/async', { script, args }); }

  async handles() { return this.cmd('GET', '/window/handles'); }
  async handle() { return this.cmd('GET', '/window'); }
  async switchTo(handle) { await this.cmd('POST', '/window', { handle }); }
  async url() { return this.cmd('GET', '/url'); }

  /** Opens `path` of the extension in a new tab from the chrome context, and switches to it. */
  async openExtensionPage(path) {
    const before = new Set(await this.handles());
    await this.context('chrome');
    await this.run(`
      const tab = gBrowser.addTab(arguments[0], {
        triggeringPrincipal: Services.scriptSecurityManager.getSystemPrincipal(),
      });
      gBrowser.selectedTab = tab;`, `${this.origin}/${path}`);
    await this.context('content');
    const handle = await this.waitFor(async () => (await this.handles()).find((h) => !before.has(h)), `a tab for ${path}`);
    await this.switchTo(handle);
    await this.waitFor(async () => (await this.run('return document.readyState')) === 'complete' && (await this.url()).startsWith(this.origin), `${path} loaded`);
    // The popup's buttons are wired once its wasm has started, which is after the load event:
    // a click before that is lost. The first drawn list says it has started.
    if (path.startsWith('popup.html')) {
      await this.waitFor(() => this.run("return !document.getElementById('empty').hidden || !!document.querySelector('#connections li')"), 'the popup to draw its list');
    }
    return handle;
  }

  /** Opens a web page (http) in a new tab and switches to it. */
  async openWebPage(url) {
    const { handle } = await this.cmd('POST', '/window/new', { type: 'tab' });
    await this.switchTo(handle);
    await this.cmd('POST', '/url', { url });
    return handle;
  }

  /** Polls `probe` until it returns a truthy value. */
  async waitFor(probe, what, timeoutMs = 20_000) {
    const end = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        const v = await probe();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Waits for a window other than `known` to appear, and switches to it. */
  async waitForNewWindow(known) {
    const seen = new Set(known);
    const handle = await this.waitFor(async () => (await this.handles()).find((h) => !seen.has(h)), 'a new window');
    await this.switchTo(handle);
    return handle;
  }

  async find(selector) {
    const el = await this.cmd('POST', '/element', { using: 'css selector', value: selector });
    return el[W3C_ELEMENT];
  }

  async waitForSelector(selector) {
    return this.waitFor(() => this.find(selector), selector);
  }

  async click(selector) {
    const el = await this.waitForSelector(selector);
    await this.cmd('POST', `/element/${el}/click`, {});
  }

  async fill(selector, text) {
    const el = await this.waitForSelector(selector);
    await this.cmd('POST', `/element/${el}/clear`, {});
    if (text !== '') await this.cmd('POST', `/element/${el}/value`, { text });
  }

  async select(selector, value) {
    await this.run(`
      const s = document.querySelector(arguments[0]);
      s.value = arguments[1];
      s.dispatchEvent(new Event('change', { bubbles: true }));`, selector, value);
  }

  /** A real (trusted) mouse click at viewport coordinates. */
  async clickAt(x, y) {
    await this.cmd('POST', '/actions', {
      actions: [{
        type: 'pointer',
        id: 'mouse',
        parameters: { pointerType: 'mouse' },
        actions: [
          { type: 'pointerMove', x, y, origin: 'viewport' },
          { type: 'pointerDown', button: 0 },
          { type: 'pointerUp', button: 0 },
        ],
      }],
    });
    await this.cmd('DELETE', '/actions');
  }

  /** The state of the extension's event page: running, suspending or stopped. */
  async backgroundState() {
    await this.context('chrome');
    try {
      return await this.run('return String(WebExtensionPolicy.getByID(arguments[0])?.extension?.backgroundState)', FIREFOX_ID);
    } finally {
      await this.context('content');
    }
  }

  /** Closes the current tab and switches to `next`. */
  async closeTab(next) {
    await this.cmd('DELETE', '/window');
    if (next) await this.switchTo(next);
  }

  async text(selector) {
    return this.run('return document.querySelector(arguments[0])?.textContent ?? null', selector);
  }

  /** Waits for the page's message line to match `pattern`, and returns its text. */
  async message(pattern) {
    return this.waitFor(async () => {
      const t = await this.text('#message');
      return t !== null && pattern.test(t) ? t : null;
    }, `a message matching ${pattern}`);
  }

  /** The popup's rows, as the Chromium tests read them. */
  async rows() {
    // The worker's answer, not the last known list the popup paints first (aria-busy).
    await this.waitFor(() => this.run("return document.getElementById('connections')?.getAttribute('aria-busy') !== 'true'"), 'the popup to draw the worker\'s list');
    return this.run(`return [...document.querySelectorAll('#connections li')].map((li) => ({
      id: li.dataset.id,
      label: li.querySelector('.label')?.textContent,
      account: li.querySelector('.account')?.textContent,
      status: li.querySelector('.status-title')?.textContent,
      detail: li.querySelector('.status-detail')?.textContent,
    }))`);
  }

  async screenshot(name) {
    const png = await this.cmd('GET', '/screenshot');
    writeFileSync(join(OUT, `firefox-${name}.png`), Buffer.from(png, 'base64'));
  }

  async close() {
    try { await this.cmd('DELETE', ''); } catch { /* already gone */ }
    this.driver.kill();
  }
}

/** Starts geckodriver and Firefox ESR (headless) with `extension` as a temporary add-on. */
export async function launchFirefox({ extension = FIREFOX_EXTENSION, idleMs = 30_000 } = {}) {
  const port = await freePort();
  const driver = spawn(GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1', '--allow-system-access'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (process.env.TOKENWATCH_FIREFOX_LOG) {
    driver.stdout.pipe(process.stderr);
    driver.stderr.pipe(process.stderr);
  } else {
    driver.stdout.resume();
    driver.stderr.resume();
  }
  const base = `http://127.0.0.1:${port}`;
  const up = Date.now() + 10_000;
  for (;;) {
    try {
      const r = await fetch(`${base}/status`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > up) { driver.kill(); throw new Error('geckodriver did not start within 10 s'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const uuid = randomUUID();
  const r = await fetch(`${base}/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      capabilities: {
        alwaysMatch: {
          browserName: 'firefox',
          acceptInsecureCerts: false,
          'moz:firefoxOptions': { binary: FIREFOX, args: ['-headless'], prefs: prefs(uuid, idleMs) },
        },
      },
    }),
  });
  const json = await r.json();
  if (!r.ok) { driver.kill(); throw new Error(`new session: ${json.value?.message}`); }
  const ff = new Firefox(driver, base, json.value.sessionId, uuid);
  try {
    await ff.cmd('POST', '/window/rect', { width: 1024, height: 800 });
    const id = await ff.cmd('POST', '/moz/addon/install', { path: extension, temporary: true });
    if (id !== FIREFOX_ID) throw new Error(`installed ${id}, expected ${FIREFOX_ID}`);
  } catch (e) {
    await ff.close();
    throw e;
  }
  return ff;
}
