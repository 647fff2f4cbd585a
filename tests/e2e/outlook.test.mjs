// The Outlook add-in end to end: its dev build served over http on loopback, hosted in the dev
// host page (the stand-in for Outlook on the web: it provides the Office APIs the add-in uses),
// the real wasm in Chromium, the provider simulator over HTTP. Outlook itself cannot run here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, BUILD, copyReport, launch, message, newProfile, openPopup, connect as connectExtension, OUT, rows, signIn, startSim } from './harness.mjs';
import { serveAddin } from '../outlook/serve.mjs';

let served;
let sim;
let config;

before(async () => {
  served = await serveAddin({ config: () => config });
  sim = await startSim(0, [`${served.addin}/auth/salesforce.html`]);
  config = {
    salesforce: { consumer_key: BUILD.consumer_key },
    microsoft: { client_id: BUILD.microsoft_client_id, authority_host: sim.url, tenant: 'organizations', registration: 'spa' },
    default_login_host: sim.url,
  };
});
after(() => { sim?.stop(); served?.stop(); });

/** The dev host page with the task pane loaded; resolves to { host, pane } (pane: the frame). */
async function openOutlook(context) {
  const host = await context.newPage();
  await host.setViewportSize({ width: 1280, height: 800 });
  await host.goto(served.hostPage());
  const frame = await (await host.waitForSelector('#taskpane')).contentFrame();
  await frame.waitForFunction(() => !document.getElementById('empty').hidden || document.querySelector('#connections li'), null, { timeout: 20_000 });
  return { host, pane: frame };
}

/** Clicks `selector` in the pane and returns the Office dialog window it opens. */
async function dialogFrom(context, pane, selector) {
  const opened = context.waitForEvent('page', { timeout: 20_000 });
  await pane.click(selector);
  return opened;
}

async function addSalesforce(context, pane, username) {
  await pane.selectOption('#sf-host-kind', 'custom');
  await pane.fill('#sf-host', sim.url);
  const login = await dialogFrom(context, pane, '#add-salesforce');
  await login.waitForSelector('#username');
  await signIn(login, username, 'tokenwatch');
  return message(pane, /Connected|failed|could not/);
}

async function addMicrosoft(context, pane, username) {
  const login = await dialogFrom(context, pane, '#add-microsoft');
  await login.waitForSelector('#username');
  await signIn(login, username, 'tokenwatch');
  await login.waitForSelector('#Accept');
  await login.click('#Accept');
  return message(pane, /Connected|failed|could not/);
}

const banners = (host) => host.evaluate(() => window.tokenwatchDev.banners());
const storedKeys = (pane) => pane.evaluate(() => Object.keys(localStorage));

async function waitForBanners(host, count) {
  await host.waitForFunction((n) => window.tokenwatchDev.banners().length === n, count, { timeout: 20_000 });
  return banners(host);
}

test('both providers connect through the Office dialog; a revoked org gets a banner that follows the mail items and goes after Renew', async () => {
  const { context } = await launch(newProfile());
  try {
    const { host, pane } = await openOutlook(context);
    assert.equal((await addSalesforce(context, pane, 'ada@acme.example')).text, 'Connected ada@acme.example — Token valid.');
    assert.equal((await addMicrosoft(context, pane, 'grace@globex.example')).text, 'Connected grace@globex.example — Token valid.');
    const listed = await rows(pane);
    assert.deepEqual(listed.map((r) => r.status), ['Token valid', 'Token valid']);
    // Tokens are sealed: localStorage holds records, none of the simulator's tokens in clear.
    const dump = await pane.evaluate(() => JSON.stringify({ ...localStorage }));
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!dump.includes(token), 'a token is stored in clear');
    assert.ok((await storedKeys(pane)).some((k) => k.startsWith('rec:')));
    assert.deepEqual(await banners(host), []);

    // The pane copies the same diagnostic report, from its own engine.
    const grace = listed.find((r) => r.id.startsWith('ms:'));
    const report = await copyReport(pane, `button.report[data-id="${grace.id}"]`, `li[data-id="${grace.id}"] textarea.report-text`);
    for (const line of ['Tokenwatch diagnostic report', 'Provider: Microsoft', 'Account: grace@globex.example', 'Resource: Microsoft Graph', 'Status: Token valid']) {
      assert.ok(report.includes(line), `the report lacks ${line}:\n${report}`);
    }
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!report.includes(token), 'a token in the report');

    await admin(sim, 'revoke-user', 'username=ada@acme.example');
    const sf = listed.find((r) => r.id.startsWith('sf:'));
    await pane.click(`button.check[data-id="${sf.id}"]`);
    await message(pane, /Token expired/);
    const [banner] = await waitForBanners(host, 1);
    assert.equal(banner.message, 'Tokenwatch: Salesforce ada@acme.example — Token expired. Open Tokenwatch and choose Sign in again.');
    assert.equal(banner.type, 'informationalMessage');
    assert.equal(banner.icon, 'Icon.16x16');
    assert.ok(banner.message.length <= 150);
    await host.screenshot({ path: join(OUT, 'outlook-banner.png') });

    // Another mail: the pinned pane hears ItemChanged and puts the banner on it too.
    const items = await host.evaluate(() => [...document.querySelectorAll('[data-item-id]')].map((e) => e.dataset.itemId));
    await host.evaluate((id) => window.tokenwatchDev.selectItem(id), items[1]);
    assert.equal((await waitForBanners(host, 1))[0].key, 'tokenwatch-1');
    await host.evaluate(() => window.tokenwatchDev.deselect());
    await host.evaluate((id) => window.tokenwatchDev.selectItem(id), items[0]);
    assert.equal((await waitForBanners(host, 1)).length, 1);

    // Renew: the sign-in again, through the dialog; the banner goes.
    const login = await dialogFrom(context, pane, `button.renew[data-id="${sf.id}"]`);
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    await message(pane, /Token valid/);
    await waitForBanners(host, 0);
    assert.deepEqual((await rows(pane)).map((r) => r.status), ['Token valid', 'Token valid']);
    await host.screenshot({ path: join(OUT, 'outlook-pane.png') });
  } finally {
    await context.close();
  }
});

test('a messageParent from another origin, a callback with a wrong state, a second dialog and a closed one are refused and store nothing', async () => {
  const { context } = await launch(newProfile());
  try {
    const { pane } = await openOutlook(context);
    const exchanges = (await admin(sim, 'counters')).code_exchanges;
    const forged = `${served.addin}/auth/salesforce.html?code=forged&state=forged`;

    // The dialog is on the simulator's login page (another origin) and posts a callback.
    await pane.selectOption('#sf-host-kind', 'custom');
    await pane.fill('#sf-host', sim.url);
    let dialog = await dialogFrom(context, pane, '#add-salesforce');
    await dialog.waitForSelector('#username');
    await dialog.evaluate((message) => window.opener.postMessage({ type: 'tokenwatch-dev:dialog-message', message }, '*'), forged);
    let said = await message(pane, /not Tokenwatch/);
    assert.match(said.text, new RegExp(`answered from ${sim.url.replace(/[.:/]/g, '\\$&')}`));
    assert.equal(said.role, 'alert');

    // The add-in's own callback page with a state this sign-in did not send.
    dialog = await dialogFrom(context, pane, '#add-salesforce');
    await dialog.waitForSelector('#username');
    // The page hands its URL over and the pane closes the dialog at once.
    await dialog.goto(forged, { waitUntil: 'commit' }).catch(() => {});
    said = await message(pane, /does not belong to the sign-in/);
    assert.equal(said.role, 'alert');

    // A second sign-in while one is open: Office refuses it (12007) and the pane says why.
    dialog = await dialogFrom(context, pane, '#add-salesforce');
    await dialog.waitForSelector('#username');
    await pane.click('#add-microsoft');
    said = await message(pane, /already open/);
    assert.equal(said.text, 'A Tokenwatch sign-in window is already open; finish or close it first.');
    // The person closes the dialog.
    await dialog.close();
    said = await message(pane, /closed before Salesforce sent Tokenwatch an answer/);

    assert.equal((await admin(sim, 'counters')).code_exchanges, exchanges, 'no code was redeemed');
    assert.deepEqual((await storedKeys(pane)).filter((k) => k.startsWith('rec:')), []);
    assert.deepEqual(await rows(pane), []);
  } finally {
    await context.close();
  }
});

test('the pane shows the same statuses as the extension for the same simulator state, and two panes refresh once', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connectExtension(context, popup, sim.url, 'grace@globex.example');
    const { pane } = await openOutlook(context);
    await addSalesforce(context, pane, 'grace@globex.example');
    const strip = (r) => ({ label: r.label, account: r.account, status: r.status, detail: r.detail });
    assert.deepEqual((await rows(pane)).map(strip), (await rows(popup)).map(strip));

    // Expired access tokens: both panes check at once; the refresh token is redeemed once.
    const second = await openOutlook(context);
    const [row] = await rows(pane);
    await admin(sim, 'expire-access', '');
    const before = (await admin(sim, 'counters')).refreshes;
    await Promise.all([
      pane.click(`button.check[data-id="${row.id}"]`),
      second.pane.click(`button.check[data-id="${row.id}"]`),
    ]);
    await message(pane, /Token valid/);
    await message(second.pane, /Token valid/);
    assert.equal((await admin(sim, 'counters')).refreshes - before, 1, 'one refresh for two panes');

    // The simulator revokes the user: the extension and the pane say the same.
    await admin(sim, 'change-password', 'username=grace@globex.example');
    await popup.click('button.check');
    await message(popup, /Token expired/);
    await pane.click('button.check');
    await message(pane, /Token expired/);
    const [p] = (await rows(popup)).map(strip);
    const [q] = (await rows(pane)).map(strip);
    assert.deepEqual(q, p);
    assert.equal(q.status, 'Token expired');
  } finally {
    await context.close();
  }
});

test('a 24-hour Microsoft sign-in is renewed silently in a hidden frame, without a dialog', async () => {
  // This deployment renews from 10 s after the sign-in (the 24-hour horizon minus 86,390 s).
  const saved = config;
  config = { ...config, schedule: { silent_renew_lead_s: 86_390 } };
  const { context } = await launch(newProfile());
  try {
    const { pane } = await openOutlook(context);
    await addMicrosoft(context, pane, 'charles@acme.example');
    const [row] = await rows(pane);
    const before = (await admin(sim, 'counters')).silent_authorizations;
    const pages = context.pages().length;
    await new Promise((r) => setTimeout(r, 11_000));
    await pane.click(`button.check[data-id="${row.id}"]`);
    await message(pane, /Token valid/);
    assert.equal((await admin(sim, 'counters')).silent_authorizations - before, 1, 'one prompt=none authorization');
    assert.equal(context.pages().length, pages, 'no window opened');
    assert.equal(await pane.evaluate(() => document.querySelectorAll('iframe').length), 0, 'the hidden frame is gone');
  } finally {
    config = saved;
    await context.close();
  }
});

test('the add-in sign-in pages: the start page goes only to allowed sign-in hosts and keeps the authorize URL out of the query; the callback drops the code from the address; only Outlook and the add-in may frame its pages', async () => {
  const { context } = await launch(newProfile());
  try {
    const page = await context.newPage();
    const start = `${served.addin}/auth/start.html`;
    // Another host's authorize endpoint: refused, and the page stays (its host in the words).
    const evil = 'https://login.evil.example/services/oauth2/authorize?client_id=x&state=s';
    await page.goto(`${start}#to=${encodeURIComponent(evil)}`);
    await page.waitForFunction(() => /not a sign-in host this add-in allows/.test(document.getElementById('message').textContent));
    assert.equal(new URL(page.url()).host, new URL(served.addin).host);
    assert.equal(new URL(page.url()).hash, '', 'the authorize URL left the address bar');
    // The query is not read any more: a link built the old way goes nowhere.
    const ours = `${sim.url}/services/oauth2/authorize?response_type=code&client_id=${BUILD.consumer_key}&state=s&code_challenge=c`;
    await page.goto(`${start}?to=${encodeURIComponent(ours)}`);
    await page.waitForFunction(() => /not one Tokenwatch made/.test(document.getElementById('message').textContent));
    // The configured host, in the fragment: on to the provider.
    // (From a blank page: the start page took its own address back to a bare path, and a
    // fragment-only change of it would not load it again. The Office dialog is a new window.)
    await page.goto('about:blank');
    await page.goto(`${start}#to=${encodeURIComponent(ours)}`);
    await page.waitForURL((u) => u.origin === sim.url || u.href.startsWith(sim.url), { timeout: 10_000 });

    // The callback page takes the code off its address at once.
    await page.goto(`${served.addin}/auth/salesforce.html?code=aPrx.code-value&state=s`);
    await page.waitForFunction(() => location.search === '');
    assert.ok(!page.url().includes('code-value'));

    // Every page carries frame-ancestors as a header; a page elsewhere cannot frame the pane.
    const r = await fetch(`${served.addin}/taskpane.html`);
    assert.match(r.headers.get('content-security-policy'), /^frame-ancestors 'self' /);
    // A page of no allowed origin (a blank page's origin is opaque) cannot frame the pane;
    // the dev host page, on an allowed origin, frames it in every other test here.
    const framing = await context.newPage();
    await framing.setContent(`<iframe id="f" src="${served.addin}/taskpane.html"></iframe>`);
    await framing.waitForTimeout(1500);
    const child = framing.frames().find((f) => f !== framing.mainFrame());
    assert.ok(child, 'the frame exists');
    assert.equal(await child.$('#connections'), null, 'the pane rendered inside a foreign page');
  } finally {
    await context.close();
  }
});
