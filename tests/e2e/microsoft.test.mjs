// A Microsoft 365 account connected through the real extension in Chromium, against the
// simulator's Microsoft endpoints: login form, consent page, the service worker's own `Origin`
// on token requests (the single-page-app rule), and what the popup says when the registration
// type does not match.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, BUILD, launch, message, newProfile, openPopup, OUT, rows, signIn, startSim, storage, EXTENSION_ID } from './harness.mjs';

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
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    // The consent page comes next in the same window.
    await login.waitForSelector('#Accept');
    assert.match(await login.textContent('#scopes'), /EWS\.AccessAsUser\.All/);
    await login.click('#Accept');
    const said = await message(popup, /Connected/);
    assert.equal(said.text, 'Connected ada@acme.example — Token valid.');
    const [row] = await rows(popup);
    assert.deepEqual(row, { id: ADA.id, label: 'Microsoft 365 acme.example', account: ADA.account, status: 'Token valid', detail: 'Renews silently' });
    await popup.screenshot({ path: join(OUT, 'popup-microsoft.png') });
    assert.equal((await admin(sim, 'counters')).code_exchanges, 1, 'the code was redeemed with Origin (SPA registration)');

    // Check now redeems the refresh token, again from the service worker.
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
    assert.equal((await admin(sim, 'counters')).refreshes, 1);

    // No token in storage in the clear.
    const raw = JSON.stringify(await storage(worker));
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!raw.includes(token));

    // The admin moves the redirect URI to "Mobile and desktop": the service worker's Origin
    // is now refused (AADSTS9002326) and the popup says what to change.
    await admin(sim, 'ms-registration', `client_id=${BUILD.microsoft_client_id}&registration=public_client`);
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
    await popup.click(`button.check[data-id="${ADA.id}"]`);
    assert.equal((await message(popup, /: Token/)).text, 'ada@acme.example: Token valid.');
  } finally {
    await context.close();
  }
});
