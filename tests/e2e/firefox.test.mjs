// The extension in real Firefox ESR (Debian's, over geckodriver), against the simulator: what
// the Chromium tests show, shown again where Firefox differs — its extension origin is a
// per-profile UUID (moz-extension://…), its identity redirect host is
// <sha1(id)>.extensions.allizom.org, its background is an event page, and it cannot restrict
// storage.local to the extension's own pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, BUILD, startSim } from './harness.mjs';
import { FAST_FIREFOX, FIREFOX_REDIRECT, launchFirefox } from './firefox.mjs';

let sim;
let ms;
before(async () => {
  sim = await startSim(0, [`${FIREFOX_REDIRECT}/salesforce`]);
  // The test build's Microsoft authority.
  ms = await startSim(BUILD.microsoft_sim_port, [`${FIREFOX_REDIRECT}/salesforce`]);
});
after(() => { sim?.stop(); ms?.stop(); });

const ADA_SF = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';
const ADA_MS = 'ms:4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d:0ada0ada-1111-4222-8333-444455556666';

/** Signs in at the simulator's login window that `action` opens, then returns to `back`. */
async function throughLogin(ff, back, action, username, { consent = false } = {}) {
  const known = await ff.handles();
  await action();
  await ff.waitForNewWindow(known);
  await ff.waitForSelector('#username');
  await ff.fill('#username', username);
  await ff.fill('#password', 'tokenwatch');
  await ff.click('#Login');
  if (consent) {
    // Consent is asked once per account and app; the window closes when it is not asked.
    const accept = await ff.waitFor(async () => {
      if (!(await ff.handles()).includes(await ff.handle().catch(() => null))) return 'closed';
      return (await ff.find('#Accept').catch(() => null)) ? 'consent' : null;
    }, 'the consent page or the window closing').catch(() => 'closed');
    if (accept === 'consent') await ff.click('#Accept');
  }
  await ff.switchTo(back);
}

async function addSalesforce(ff, popup, username) {
  await ff.select('#sf-host-kind', 'custom');
  await ff.fill('#sf-host', sim.url);
  await throughLogin(ff, popup, () => ff.click('#add-salesforce'), username);
  return ff.message(/Connected|failed|refused/);
}

async function addMicrosoft(ff, popup, username) {
  await throughLogin(ff, popup, () => ff.click('#add-microsoft'), username, { consent: true });
  return ff.message(/Connected|failed|refused|Sign-in/);
}

test('Firefox: a Salesforce org and a Microsoft 365 account connect through identity.launchWebAuthFlow; the options page shows the Firefox redirect URLs; Check now works', async () => {
  const ff = await launchFirefox();
  try {
    const popup = await ff.openExtensionPage('popup.html');
    assert.equal(await ff.text('#message'), '', 'the popup is answered as one of the extension\'s own pages');
    assert.equal(await addSalesforce(ff, popup, 'ada@acme.example'), 'Connected ada@acme.example — Token valid.');
    assert.equal(await addMicrosoft(ff, popup, 'ada@acme.example'), 'Connected ada@acme.example — Token valid.');
    assert.deepEqual((await ff.rows()).map((r) => [r.id, r.status]), [[ADA_MS, 'Token valid'], [ADA_SF, 'Token valid']]);

    // Check now reaches the org's userinfo and Microsoft Graph.
    const before = [await admin(sim, 'counters'), await admin(ms, 'counters')];
    await ff.click(`button.check[data-id="${ADA_SF}"]`);
    assert.equal(await ff.message(/: Token/), 'ada@acme.example: Token valid.');
    await ff.click(`button.check[data-id="${ADA_MS}"]`);
    await ff.waitFor(async () => (await admin(ms, 'counters')).graph_me > before[1].graph_me, 'a Graph check');
    assert.equal((await admin(sim, 'counters')).userinfo - before[0].userinfo, 1);
    await ff.screenshot('popup');

    // The options page names the redirect URLs to register for this browser.
    await ff.openExtensionPage('options.html');
    await ff.waitFor(() => ff.text('#redirect-salesforce'), 'the redirect URLs');
    assert.equal(await ff.text('#redirect-salesforce'), `${FIREFOX_REDIRECT}/salesforce`);
    assert.equal(await ff.text('#redirect-microsoft'), `${FIREFOX_REDIRECT}/microsoft`);
    await ff.screenshot('options');
  } finally {
    await ff.close();
  }
});

test('Firefox: a public-client registration works: the session rule finds the extension requests by the initiator Firefox reports and removes Origin', async () => {
  await admin(ms, 'faults', {});
  const ff = await launchFirefox();
  try {
    await ff.openExtensionPage('options.html');
    await ff.waitFor(async () => (await ff.run("return document.getElementById('microsoft_client_id').placeholder")) !== '', 'the settings');
    await ff.fill('#microsoft_client_id', BUILD.microsoft_public_client_id);
    await ff.select('#microsoft_registration', 'public_client');
    await ff.click('#save');
    await ff.message(/^Settings saved/);

    const popup = await ff.openExtensionPage('popup.html');
    const before = await admin(ms, 'counters');
    // The simulator refuses a public client's redemption that carries Origin (AADSTS9002326):
    // success means the rule matched Firefox's initiator (moz-extension://<uuid>).
    assert.equal(await addMicrosoft(ff, popup, 'grace@globex.example'), 'Connected grace@globex.example — Token valid.');
    assert.equal((await admin(ms, 'counters')).code_exchanges, before.code_exchanges + 1);
    await admin(ms, 'expire-access', '');
    const grace = (await ff.rows()).find((r) => r.id.startsWith('ms:'));
    await ff.click(`button.check[data-id="${grace.id}"]`);
    assert.equal(await ff.message(/: Token/), 'grace@globex.example: Token valid.');
    assert.equal((await admin(ms, 'counters')).refreshes, before.refreshes + 1, 'refreshed without Origin');
  } finally {
    await ff.close();
  }
});

test('Firefox: a web page cannot reach the extension, and its content script gets no connection and no token even though Firefox lets it read storage.local', async () => {
  const ff = await launchFirefox();
  try {
    const popup = await ff.openExtensionPage('popup.html');
    await addSalesforce(ff, popup, 'ada@acme.example');
    const tokens = await admin(sim, 'issued-tokens');
    assert.ok(tokens.length >= 2);

    // The simulator's page: the test build's probe content script runs there.
    await ff.openWebPage(`${sim.url}/admin/health`);
    const probe = JSON.parse(await ff.waitFor(() => ff.run('return document.documentElement.dataset.tokenwatchProbe ?? null'), 'the probe'));
    // Firefox has no storage.local.setAccessLevel: the content script reads the store, and
    // finds only sealed records.
    for (const t of tokens) assert.ok(!probe.storage.includes(t), 'a token readable by a content script');
    assert.deepEqual(JSON.parse(probe.message), { type: 'error', error: { code: 'forbidden', message: "Only Tokenwatch's own pages may ask for this.", field: null } });
    // The page itself has no messaging API for the extension.
    assert.equal(await ff.run('return typeof globalThis.browser?.runtime?.sendMessage ?? typeof globalThis.chrome?.runtime?.sendMessage'), 'undefined');
  } finally {
    await ff.close();
  }
});

test('Firefox: the event page sleeps, wakes on the alarm and refreshes an expired session unasked', async () => {
  const ff = await launchFirefox({ extension: FAST_FIREFOX, idleMs: 2000 });
  try {
    const popup = await ff.openExtensionPage('popup.html');
    await addSalesforce(ff, popup, 'charles@acme.example');
    await ff.closeTab((await ff.handles())[0]);
    await ff.waitFor(async () => (await ff.backgroundState()) === 'stopped', 'the event page to stop', 30_000);
    const before = await admin(sim, 'counters');
    await admin(sim, 'expire-access', '');
    // The 30-second check alarm wakes the event page, which finds the session timed out and
    // refreshes it.
    await ff.waitFor(async () => (await admin(sim, 'counters')).refreshes > before.refreshes, 'a scheduled refresh', 90_000);
    assert.ok((await admin(sim, 'counters')).userinfo > before.userinfo, 'the scheduled check probed userinfo');
  } finally {
    await ff.close();
  }
});

test('Firefox: the banner on the Outlook stand-in names who needs a sign-in inside a closed shadow root, and its Renew works', async () => {
  const ff = await launchFirefox();
  try {
    const popup = await ff.openExtensionPage('popup.html');
    await addSalesforce(ff, popup, 'ada@acme.example');
    await admin(sim, 'revoke-user', 'username=ada%40acme.example');
    await ff.click(`button.check[data-id="${ADA_SF}"]`);
    await ff.message(/Token expired/);

    const mail = await ff.openWebPage(`${sim.url}/outlook/mail/`);
    await ff.waitForSelector('[data-tokenwatch="banner"]');
    assert.equal(await ff.run('return document.querySelector(\'[data-tokenwatch="banner"]\').shadowRoot'), null, 'the page cannot open the root');
    const html = await ff.run('return document.documentElement.outerHTML');
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!html.includes(token));
    const seen = async () => {
      await ff.run("document.documentElement.removeAttribute('data-tokenwatch-banner-probe'); document.dispatchEvent(new Event('tokenwatch-probe-banner'))");
      return JSON.parse(await ff.waitFor(() => ff.run('return document.documentElement.dataset.tokenwatchBannerProbe ?? null'), 'the banner probe'));
    };
    const banner = await seen();
    assert.equal(banner.mode, 'closed');
    assert.equal(banner.lines.length, 1);
    assert.match(banner.lines[0], /Salesforce.*ada@acme\.example.*Token expired.*Renew/);
    await ff.screenshot('banner');

    const known = await ff.handles();
    await ff.clickAt(banner.renew.x, banner.renew.y);
    await ff.waitForNewWindow(known);
    await ff.waitForSelector('#username');
    await ff.fill('#username', 'ada@acme.example');
    await ff.fill('#password', 'tokenwatch');
    await ff.click('#Login');
    await ff.switchTo(mail);
    const after = await ff.waitFor(async () => {
      const b = await seen();
      return b.lines.some((l) => l.includes('Renewed.')) ? b : null;
    }, 'the banner to say Renewed');
    assert.equal(after.lines.length, 1);
  } finally {
    await ff.close();
  }
});

test('Firefox: a content script that writes storage.local steers nothing and loses nothing: a forged head, a planted clear record, forged settings and notifications', async () => {
  const ff = await launchFirefox();
  try {
    const popup = await ff.openExtensionPage('popup.html');
    await addSalesforce(ff, popup, 'ada@acme.example');
    const EVE = 'sf:00D5g000004AcmeEAA:0055g000004EveXEAA';
    const planted = JSON.stringify({ v: 3, id: EVE, tokens: { access: 'planted-access', refresh: 'planted-refresh' } });
    const plant = encodeURIComponent(JSON.stringify({
      [`conn:${ADA_SF}`]: JSON.stringify({ gen: 1, glance: { parked: true, next: 4102444800000 } }),
      [`conn:${EVE}`]: planted,
      'tokenwatch:settings': JSON.stringify({ microsoft_authority_host: 'https://login.evil.example' }),
      'tokenwatch:announced': JSON.stringify({ entries: [] }),
    }));
    // The test build's probe content script writes them from a web page.
    await ff.openWebPage(`${sim.url}/admin/health#plant=${plant}`);
    const probe = JSON.parse(await ff.waitFor(() => ff.run('return document.documentElement.dataset.tokenwatchProbe ?? null'), 'the probe'));
    assert.equal(probe.plant, 'written', 'Firefox lets a content script write storage.local');
    // Back to the popup (closing the web page), drawn afresh.
    await ff.closeTab(popup);
    await ff.run('location.reload()');
    await ff.waitFor(async () => (await ff.rows()).length === 2, 'both rows');

    const before = await admin(sim, 'counters');
    await ff.click(`button.check[data-id="${ADA_SF}"]`);
    assert.equal(await ff.message(/ada@acme\.example: Token/), 'ada@acme.example: Token valid.');
    assert.ok((await admin(sim, 'counters')).userinfo > before.userinfo, 'the forged parked head was obeyed');
    const eve = (await ff.rows()).find((r) => r.id === EVE);
    assert.equal(eve.status, 'Token expired');
    assert.match(eve.detail, /could not be decrypted .*set aside, not deleted/);
    const stored = await ff.runAsync('const done = arguments[arguments.length - 1]; chrome.storage.local.get(null).then(done)');
    assert.ok(!Object.keys(stored).some((k) => k.startsWith(`rec:${EVE}`)), 'a planted record was sealed');
    assert.equal(stored[`quarantine:${EVE}:0`], planted, 'what was planted is kept');
    const settings = await ff.runAsync("const done = arguments[arguments.length - 1]; chrome.runtime.sendMessage({ v: 2, request: { type: 'get_settings' } }).then(done)");
    assert.equal(settings.settings.effective.microsoft_authority_host, `http://127.0.0.1:${BUILD.microsoft_sim_port}`);
    assert.match(settings.settings.ignored, /changed outside Tokenwatch/);
  } finally {
    await ff.close();
  }
});
