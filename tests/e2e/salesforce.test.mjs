// A Salesforce org connected through the real extension in Chromium, against the simulator.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, connect, stopServiceWorker, launch, message, newProfile, openPopup, OUT, rows, signIn, startAdd, startSim, storage } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());
beforeEach(() => admin(sim, 'faults', {}));

const ADA = { id: 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA', account: 'ada@acme.example · Org 00D5g000004AcmeEAA' };

test('an org added through the login form shows Token valid and survives a browser restart', async () => {
  const profile = newProfile();
  let { context, worker } = await launch(profile);
  try {
    const popup = await openPopup(context);
    assert.deepEqual(await rows(popup), []);
    const login = await startAdd(context, popup, sim.url);
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    const said = await message(popup, /Connected/);
    assert.equal(said.text, 'Connected ada@acme.example — Token valid.');
    const [row] = await rows(popup);
    assert.deepEqual(row, { id: ADA.id, label: `Local org at ${sim.url}`, account: ADA.account, status: 'Token valid', detail: 'Renews silently' });
    await popup.screenshot({ path: join(OUT, 'popup-token-valid.png') });

    const stored = await storage(worker);
    assert.deepEqual(Object.keys(stored).sort(), [`conn:${ADA.id}`, `rec:${ADA.id}:1`]);
    assert.equal((await admin(sim, 'counters')).code_exchanges, 1);

    // Stop the service worker as Chrome does when it is idle; the next message starts a new one
    // that knows the connection from storage alone.
    await stopServiceWorker(context, popup);
    await popup.reload();
    await popup.waitForSelector('#connections li');
    assert.equal((await rows(popup))[0].status, 'Token valid');
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
  } finally {
    await context.close();
  }

  ({ context, worker } = await launch(profile));
  try {
    const popup = await openPopup(context);
    const [row] = await rows(popup);
    assert.equal(row.status, 'Token valid');
    assert.equal(row.account, ADA.account);
    // The stored tokens still work after the restart: a check reaches the simulator and passes.
    const before = (await admin(sim, 'counters')).userinfo;
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
    assert.equal((await admin(sim, 'counters')).userinfo, before + 1);
  } finally {
    await context.close();
  }
});

test('a check after the session timed out refreshes silently; a revoked org shows Token expired', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'grace@globex.example');
    const id = 'sf:00D5g000004GlobEAA:0055g000004GrcXEAA';

    // Salesforce answers a timed-out session at userinfo with 403 Bad_OAuth_Token: one refresh,
    // the new token proven, and never "Can't reach".
    await admin(sim, 'expire-access', '');
    const counted = await admin(sim, 'counters');
    await popup.click(`button.check[data-id="${id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'grace@globex.example: Token valid.');
    const recounted = await admin(sim, 'counters');
    assert.equal(recounted.refreshes, counted.refreshes + 1);
    assert.equal(recounted.userinfo, counted.userinfo + 2, 'the refused probe and the proof of the new token');
    assert.equal((await rows(popup))[0].status, 'Token valid');

    // Salesforce down: the row says so, and the next check recovers.
    await admin(sim, 'faults', { outage: true });
    await popup.click(`button.check[data-id="${id}"]`);
    assert.equal((await message(popup, /Can't reach/)).text, "grace@globex.example: Can't reach Salesforce.");
    const [down] = await rows(popup);
    assert.equal(down.status, "Can't reach Salesforce");
    assert.match(await popup.textContent(`li[data-id="${id}"] .status-times`), /^since .+ · next try .+$/);
    await popup.screenshot({ path: join(OUT, 'popup-unreachable.png') });
    await admin(sim, 'faults', {});
    await popup.click(`button.check[data-id="${id}"]`);
    assert.equal((await message(popup, /Token valid/)).text, 'grace@globex.example: Token valid.');

    await admin(sim, 'revoke-user', 'username=grace%40globex.example');
    await popup.click(`button.check[data-id="${id}"]`);
    await message(popup, /Token expired/);
    const [row] = await rows(popup);
    assert.equal(row.status, 'Token expired');
    assert.equal(row.detail, 'The password was changed or access was revoked, so Salesforce no longer accepts this connection.');
    await popup.screenshot({ path: join(OUT, 'popup-token-expired.png') });

    // "Sign in again" on the row opens the same org's login; the same user replaces the row.
    const loginWindow = context.waitForEvent('page');
    await popup.click(`li[data-id="${id}"] button.renew`);
    const login = await loginWindow;
    await login.waitForSelector('#username');
    assert.equal(await login.inputValue('#username'), 'grace@globex.example', 'login_hint prefills the user');
    await signIn(login, 'grace@globex.example', 'tokenwatch');
    assert.equal((await message(popup, /Token valid/)).text, 'grace@globex.example: Token valid.');
    const after = await rows(popup);
    assert.equal(after.length, 1);
    assert.equal(after[0].status, 'Token valid');

    // Disconnect takes two clicks, revokes at Salesforce and leaves nothing stored.
    const revocations = (await admin(sim, 'counters')).revocations;
    await popup.click(`li[data-id="${id}"] button.disconnect`);
    assert.equal(await popup.textContent(`li[data-id="${id}"] button.disconnect`), 'Confirm disconnect');
    await popup.screenshot({ path: join(OUT, 'popup-confirm-disconnect.png') });
    await popup.click(`li[data-id="${id}"] button.disconnect`);
    assert.equal((await message(popup, /Disconnected/)).text, "Disconnected. Salesforce revoked Tokenwatch's tokens.");
    assert.deepEqual(await rows(popup), []);
    assert.equal((await admin(sim, 'counters')).revocations, revocations + 1);
    assert.deepEqual(await popup.evaluate(() => chrome.storage.local.get(null)), {});
  } finally {
    await context.close();
  }
});

test('a rejected login, a closed window, a wrong state, a non-JSON token response and a bad host each leave a clear message and nothing stored', async () => {
  const { context, worker } = await launch(newProfile());
  try {
    const popup = await openPopup(context);

    // Wrong password: the simulator's form says so; the person closes the window.
    const login = await startAdd(context, popup, sim.url);
    await signIn(login, 'ada@acme.example', 'wrong password');
    await login.waitForSelector('#error');
    assert.match(await login.textContent('#error'), /check your username and password/);
    await login.close();
    let said = await message(popup, /closed/);
    assert.match(said.text, /^The sign-in window was closed before Salesforce sent Tokenwatch an answer\. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org/);
    assert.equal(said.role, 'alert');
    assert.deepEqual(await storage(worker), {});

    // The provider sends back a `state` this sign-in never sent.
    await admin(sim, 'faults', { tamper_state: true });
    const exchanges = (await admin(sim, 'counters')).code_exchanges;
    await signIn(await startAdd(context, popup, sim.url), 'ada@acme.example', 'tokenwatch');
    said = await message(popup, /does not belong/);
    assert.equal(said.text, 'Sign-in failed: the sign-in answer does not belong to the sign-in that was started.');
    assert.equal((await admin(sim, 'counters')).code_exchanges, exchanges, 'the code is never redeemed');
    assert.deepEqual(await storage(worker), {});

    // The token endpoint answers with something that is not JSON.
    await admin(sim, 'faults', { token: 'not_json' });
    await signIn(await startAdd(context, popup, sim.url), 'ada@acme.example', 'tokenwatch');
    said = await message(popup, /unexpected way/);
    assert.equal(said.text, 'Salesforce answered in an unexpected way (a body that is not JSON); nothing was saved.');
    assert.ok(!said.text.includes('access_token'));
    assert.deepEqual(await storage(worker), {});
    await admin(sim, 'faults', {});

    // A login host that is not https is refused next to the field, before any window opens.
    await popup.selectOption('#sf-host-kind', 'custom');
    await popup.fill('#sf-host', 'http://acme.my.salesforce.com');
    const pages = context.pages().length;
    await popup.click('#add-salesforce');
    await popup.waitForFunction(() => document.getElementById('sf-host-error').textContent !== '');
    assert.equal(await popup.textContent('#sf-host-error'), 'Only https addresses are allowed (http only for 127.0.0.1 / localhost).');
    assert.equal(await popup.getAttribute('#sf-host', 'aria-invalid'), 'true');
    assert.equal(context.pages().length, pages);
    assert.deepEqual(await rows(popup), []);
    await popup.screenshot({ path: join(OUT, 'popup-bad-host.png') });
  } finally {
    await context.close();
  }
});

test('the worker answers only its own pages: a web page cannot reach it, and nothing it returns holds a token', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    // A web page (the simulator's origin) has no way to message the extension.
    const page = await context.newPage();
    await page.goto(`${sim.url}/admin/health`);
    const reach = await page.evaluate(async (id) => {
      if (!globalThis.chrome?.runtime?.sendMessage) return 'no messaging API';
      try { return JSON.stringify(await chrome.runtime.sendMessage(id, { v: 2, request: { type: 'list_connections' } })); }
      catch (e) { return `refused: ${e.message}`; }
    }, (await import('./harness.mjs')).EXTENSION_ID);
    assert.ok(reach === 'no messaging API' || reach.startsWith('refused'), reach);

    // What the popup receives carries no token the simulator issued.
    const answer = await popup.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } }));
    const tokens = await admin(sim, 'issued-tokens');
    assert.ok(tokens.length >= 2);
    for (const t of tokens) assert.ok(!JSON.stringify(answer).includes(t), 'a token reached a page');

    // A malformed or unknown request gets a clear error, not a crash.
    const bad = await popup.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'get_token' } }));
    assert.deepEqual(bad, { type: 'error', error: { code: 'malformed', message: 'Malformed request.', field: null } });
    const old = await popup.evaluate(() => chrome.runtime.sendMessage({ v: 9, request: { type: 'list_connections' } }));
    assert.equal(old.error.code, 'malformed');
    assert.match(old.error.message, /another version of Tokenwatch/);
  } finally {
    await context.close();
  }
});

test('Salesforce refusals that never come back: an uninstalled app, an app without the identity scope, and a user the admin has not approved', async () => {
  const { context, worker } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    // Uninstalled since September 2025: Ada approved it before and keeps refreshing; Charles
    // never did and ends on Salesforce's own error page, which never returns to Tokenwatch.
    await admin(sim, 'faults', { app: 'not_installed' });
    await admin(sim, 'expire-access', '');
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
    const login = await startAdd(context, popup, sim.url);
    await signIn(login, 'charles@acme.example', 'tokenwatch');
    await login.waitForURL(/RemoteAccessErrorPage\.apexp/);
    assert.match(login.url(), /error=invalid_client&error_description=app\+must\+be\+installed\+into\+org/);
    assert.match(await login.textContent('body'), /OAUTH_APPROVAL_ERROR_GENERIC/);
    await login.close();
    let said = await message(popup, /closed before Salesforce/);
    assert.match(said.text, /the connected app is not installed in your org \(since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install\)/);
    await popup.screenshot({ path: join(OUT, 'popup-app-not-installed.png') });
    // The whole sentence stays inside the message box.
    const box = await popup.$eval('#message', (m) => ({ scroll: m.scrollWidth, client: m.clientWidth }));
    assert.ok(box.scroll <= box.client, `the message overflows: ${JSON.stringify(box)}`);

    // The app does not offer the identity scope: Salesforce's error page again.
    await admin(sim, 'faults', {});
    await admin(sim, 'app-scopes', 'api refresh_token');
    await popup.selectOption('#sf-host-kind', 'custom');
    await popup.fill('#sf-host', sim.url);
    const scopeWindow = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click('#add-salesforce');
    const scopePage = await scopeWindow;
    await scopePage.waitForURL(/RemoteAccessErrorPage\.apexp\?error=invalid_scope/);
    await scopePage.close();
    said = await message(popup, /closed before Salesforce/);
    assert.match(said.text, /the app does not offer the scopes Tokenwatch asks for \(api, id, refresh_token/);
    await admin(sim, 'app-scopes', 'api id openid refresh_token');

    // Admin-approved users only: Salesforce comes back with OAUTH_APP_ACCESS_DENIED.
    await admin(sim, 'faults', { app: 'not_admin_approved' });
    await signIn(await startAdd(context, popup, sim.url), 'charles@acme.example', 'tokenwatch');
    said = await message(popup, /administrator has not approved/);
    assert.equal(said.text, 'Your Salesforce administrator has not approved this app for you: only admin-approved users may use it. Ask your Salesforce admin to approve you for the app (Setup → Manage Connected Apps → the app → Manage Profiles or Manage Permission Sets), then sign in again.');
    await admin(sim, 'faults', {});

    assert.deepEqual((await rows(popup)).map((r) => r.id), [ADA.id], 'nothing of Charles was stored');
    assert.deepEqual(Object.keys(await storage(worker)).filter((k) => k.includes('ChsX')), []);
  } finally {
    await context.close();
  }
});
