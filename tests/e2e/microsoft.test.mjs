// A Microsoft 365 account connected through the real extension in Chromium, against the
// simulator's Microsoft endpoints: login form, consent page, the service worker's own `Origin`
// on token requests (the single-page-app rule), and what the popup says when the registration
// type does not match.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, BUILD, copyReport, launch, message, newProfile, openPopup, OUT, rows, signIn, startSim, storage, EXTENSION_ID } from './harness.mjs';

let sim;
// The test build's Microsoft authority is this port (see xtask build).
before(async () => { sim = await startSim(BUILD.microsoft_sim_port); });
after(() => sim?.stop());
beforeEach(() => admin(sim, 'faults', {}));

const ADA = {
  id: 'ms:4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d:0ada0ada-1111-4222-8333-444455556666',
  account: 'ada@acme.example · Tenant 4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d',
};

async function addMicrosoft(context, popup) {
  const window = context.waitForEvent('page', { timeout: 20_000 });
  await popup.click('#add-microsoft');
  const login = await window;
  await login.waitForSelector('#username');
  return login;
}

test('a Microsoft 365 account added through login and consent shows Token valid; refreshes carry the extension Origin', async () => {
  const profile = newProfile();
  const { context, worker } = await launch(profile);
  try {
    const popup = await openPopup(context);
    const login = await addMicrosoft(context, popup);
    assert.match(login.url(), /prompt=select_account/, 'Add lets the person pick the account');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    // The consent page comes next in the same window.
    await login.waitForSelector('#Accept');
    assert.match(await login.textContent('#scopes'), /User\.Read/, 'Microsoft Graph by default');
    await login.click('#Accept');
    const said = await message(popup, /Connected/);
    assert.equal(said.text, 'Connected ada@acme.example — Token valid.');
    const [row] = await rows(popup);
    assert.deepEqual(row, { id: ADA.id, label: 'Microsoft 365 acme.example', account: ADA.account, status: 'Token valid', detail: 'Renews silently' });
    await popup.screenshot({ path: join(OUT, 'popup-microsoft.png') });
    assert.equal((await admin(sim, 'counters')).code_exchanges, 1, 'the code was redeemed with Origin (SPA registration)');

    // Check now proves the token at Microsoft Graph; once it has expired, the refresh token
    // is redeemed from the service worker, with its Origin.
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
    let counted = await admin(sim, 'counters');
    assert.deepEqual([counted.graph_me, counted.refreshes], [1, 0]);
    await admin(sim, 'expire-access', '');
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    await message(popup, /Token/);
    counted = await admin(sim, 'counters');
    assert.deepEqual([counted.graph_me, counted.refreshes], [3, 1], 'refused, refreshed, proven');

    // No token in storage in the clear.
    const raw = JSON.stringify(await storage(worker));
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!raw.includes(token));

    // The admin moves the redirect URI to "Mobile and desktop": the service worker's Origin
    // is now refused (AADSTS9002326) and the popup says what to change.
    await admin(sim, 'ms-registration', `client_id=${BUILD.microsoft_client_id}&registration=public_client`);
    await admin(sim, 'expire-access', '');
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    await message(popup, /Token expired/);
    const [broken] = await rows(popup);
    assert.equal(broken.status, 'Token expired');
    assert.equal(broken.detail, "The app registration does not list Tokenwatch's redirect URI as a single-page application, but Tokenwatch is set up as one.");
    const action = await popup.$eval(`li[data-id="${ADA.id}"] .status-action`, (e) => e.textContent).catch(() => '');
    assert.match(action, new RegExp(`https://${EXTENSION_ID}\\.chromiumapp\\.org/microsoft`));
    await admin(sim, 'ms-registration', `client_id=${BUILD.microsoft_client_id}&registration=spa`);

    // Disconnect: no revocation endpoint at Microsoft, said plainly.
    await popup.click(`button.disconnect[data-id="${ADA.id}"]`);
    await popup.click(`button.disconnect[data-id="${ADA.id}"]`);
    assert.match((await message(popup, /Disconnected/)).text, /Microsoft lets no app revoke its own sign-in/);
    assert.deepEqual(await storage(worker), {});
  } finally {
    await context.close();
  }
});

test('a public-client registration works from the extension: its own token requests go without Origin', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    // Switch to the simulator's mobile-and-desktop registration on the options page.
    const options = await context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.waitForFunction(() => document.getElementById('microsoft_client_id').placeholder !== '');
    await options.fill('#microsoft_client_id', BUILD.microsoft_public_client_id);
    await options.selectOption('#microsoft_registration', 'public_client');
    await options.click('#save');
    await options.waitForFunction(() => document.getElementById('message').textContent.startsWith('Settings saved'));

    const popup = await openPopup(context);
    const before = (await admin(sim, 'counters')).code_exchanges;
    const login = await addMicrosoft(context, popup);
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    await login.waitForSelector('#Accept');
    await login.click('#Accept');
    // The simulator refuses a public client's redemption that carries Origin (AADSTS9002326):
    // success means the session rule removed it.
    assert.equal((await message(popup, /Connected|refused|Token expired|registration/)).text, 'Connected ada@acme.example — Token valid.');
    assert.equal((await admin(sim, 'counters')).code_exchanges, before + 1);
    await admin(sim, 'expire-access', '');
    const refreshes = (await admin(sim, 'counters')).refreshes;
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /: Token/)).text, 'ada@acme.example: Token valid.');
    assert.equal((await admin(sim, 'counters')).refreshes, refreshes + 1, 'refreshed without Origin');
  } finally {
    await context.close();
  }
});

const GRACE = 'ms:7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d:06ace06a-1111-4222-8333-444455556666';

async function addWith(context, popup, { tenant = '', resource = '', username }) {
  if (!(await popup.$eval('#ms-choices', (d) => d.open))) await popup.click('#ms-choices summary');
  await popup.fill('#ms-tenant', tenant);
  await popup.selectOption('#ms-resource', resource);
  const login = await addMicrosoft(context, popup);
  await signIn(login, username, 'tokenwatch');
  // Consent is asked once per account and app (an earlier test may have given it).
  const closed = login.waitForEvent('close').then(() => false);
  if (await Promise.race([login.waitForSelector('#Accept').then(() => true, () => false), closed])) {
    await login.click('#Accept');
  }
  return message(popup, new RegExp(`Connected ${username.replace('.', '\\.')}`));
}

test('two accounts of two tenants side by side, one on Graph and one on EWS in a tenant that retired EWS, and a diagnostic report copied', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    const counted = await admin(sim, 'counters');
    await addWith(context, popup, { username: 'ada@acme.example' });
    await addWith(context, popup, { tenant: '7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', resource: 'exchange', username: 'grace@globex.example' });
    assert.deepEqual((await rows(popup)).map((r) => [r.id, r.status]), [[ADA.id, 'Token valid'], [GRACE, 'Token valid']]);

    // Check now reaches each account's resource.
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    await message(popup, /ada@acme\.example: Token valid/);
    await popup.click(`button.check[data-id="${GRACE}"]`);
    await message(popup, /grace@globex\.example: Token valid/);
    const after = await admin(sim, 'counters');
    assert.equal(after.graph_me - counted.graph_me, 1, 'Ada is checked on Microsoft Graph');
    assert.equal(after.ews - counted.ews, 1, 'Grace is checked on EWS');

    // Exchange Online retires EWS for Grace's tenant: the row says so and what fixes it.
    await admin(sim, 'faults', { ews_disabled: true });
    await popup.click(`button.check[data-id="${GRACE}"]`);
    await message(popup, /grace@globex\.example: Token expired/);
    const grace = (await rows(popup)).find((r) => r.id === GRACE);
    assert.equal(grace.detail, 'Exchange Online no longer accepts EWS for your organization (retired: blocked since 1 October 2026 unless an administrator allows it, switched off on 1 April 2027).');
    const action = await popup.$eval(`li[data-id="${GRACE}"] .status-action`, (e) => e.textContent);
    assert.match(action, /add the account again with Microsoft Graph/);
    assert.equal((await rows(popup)).find((r) => r.id === ADA.id).status, 'Token valid', 'Ada on Graph is not affected');
    await popup.screenshot({ path: join(OUT, 'popup-ews-retired.png') });
    await admin(sim, 'faults', {});

    // The diagnostic report: what an administrator needs, never a token.
    const report = await copyReport(popup, `button.report[data-id="${GRACE}"]`, `li[data-id="${GRACE}"] textarea.report-text`);
    for (const line of ['Tokenwatch diagnostic report', 'Provider: Microsoft', 'Account: grace@globex.example', 'Tenant: 7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d', 'Resource: Exchange Online (EWS)', 'Status: Token expired — Exchange Online no longer accepts EWS', 'History, newest first:']) {
      assert.ok(report.includes(line), `the report lacks ${line}:\n${report}`);
    }
    assert.match(report, /Tokenwatch \d+\.\d+\.\d+ on Mozilla\/5\.0/);
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!report.includes(token), 'a token in the report');
  } finally {
    await context.close();
  }
});

test('a tenant the person types wrong is refused next to its field, before any window opens', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await popup.click('#ms-choices summary');
    await popup.fill('#ms-tenant', 'not a tenant');
    const pages = context.pages().length;
    await popup.click('#add-microsoft');
    await popup.waitForFunction(() => document.getElementById('ms-tenant-error').textContent !== '');
    assert.match(await popup.textContent('#ms-tenant-error'), /^The tenant must be organizations, consumers/);
    assert.equal(await popup.getAttribute('#ms-tenant', 'aria-invalid'), 'true');
    assert.equal(context.pages().length, pages);
  } finally {
    await context.close();
  }
});
