// Accounts across orgs and extensions: a production org and a sandbox (the test build points
// "Production" and "Sandbox" at two simulators), Change account, a worker stopped in the middle
// of a refresh, and another extension that tries to message the worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { admin, BUILD, CHROMIUM, CHROMIUM_ARGS, EXTENSION, EXTENSION_ID, launch, message, newProfile, openPopup, OUT, rows, signIn, startSim, stopServiceWorker, storage } from './harness.mjs';

let production;
let sandbox;
before(async () => {
  production = await startSim(BUILD.salesforce_production_port);
  sandbox = await startSim(BUILD.salesforce_sandbox_port);
});
after(() => { production?.stop(); sandbox?.stop(); });

const ADA = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';
const CHARLES = 'sf:00D5g000004AcmeEAA:0055g000004ChsXEAA';
const GRACE = 'sf:00D5g000004GlobEAA:0055g000004GrcXEAA';

async function add(context, popup, kind, username) {
  await popup.selectOption('#sf-host-kind', kind);
  const window = context.waitForEvent('page', { timeout: 20_000 });
  await popup.click('#add-salesforce');
  const login = await window;
  await login.waitForSelector('#username');
  await signIn(login, username, 'tokenwatch');
  return message(popup, /Connected|failed|refused/);
}

test('a production org and a sandbox; Change account replaces the user and revokes the old one; a refresh cut off by a worker stop loses nothing', async () => {
  await admin(production, 'faults', {});
  await admin(sandbox, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    assert.equal((await add(context, popup, 'production', 'ada@acme.example')).text, 'Connected ada@acme.example — Token valid.');
    assert.equal((await add(context, popup, 'sandbox', 'grace@globex.example')).text, 'Connected grace@globex.example — Token valid.');
    const both = await rows(popup);
    assert.deepEqual(both.map((r) => [r.id, r.label, r.status]), [
      [ADA, `Local org at ${production.url}`, 'Token valid'],
      [GRACE, `Local org at ${sandbox.url}`, 'Token valid'],
    ]);
    assert.equal((await admin(production, 'counters')).code_exchanges, 1);
    assert.equal((await admin(sandbox, 'counters')).code_exchanges, 1);
    await popup.screenshot({ path: join(OUT, 'popup-production-and-sandbox.png') });

    // Change account: the login form comes up even with a session (prompt=login), another
    // user of the same org signs in, the old user's tokens are revoked and the row replaced.
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click(`button.change[data-id="${ADA}"]`);
    const login = await window;
    await login.waitForSelector('#username');
    assert.match(login.url(), /prompt=login/);
    await signIn(login, 'charles@acme.example', 'tokenwatch');
    await message(popup, /charles@acme\.example/);
    await popup.waitForFunction((id) => !document.querySelector(`li[data-id="${id}"]`), ADA);
    assert.deepEqual((await rows(popup)).map((r) => r.id), [CHARLES, GRACE]);
    assert.equal((await admin(production, 'counters')).revocations, 1, 'the replaced account was revoked');

    // A refresh in flight when Chrome stops the worker: the token endpoint is slow, the worker
    // is stopped while it waits; the stored record is untouched and the next check refreshes.
    await admin(sandbox, 'expire-access', '');
    await admin(sandbox, 'faults', { token_delay_ms: 3000 });
    const refreshesBefore = (await admin(sandbox, 'counters')).refreshes;
    await popup.click(`button.check[data-id="${GRACE}"]`);
    await popup.waitForTimeout(800);
    await stopServiceWorker(context, popup);
    await admin(sandbox, 'faults', {});
    // The slow request is still answered (to a worker that is gone): the provider did refresh.
    for (let waited = 0; (await admin(sandbox, 'counters')).refreshes === refreshesBefore; waited += 100) {
      assert.ok(waited < 10_000, 'the refresh reached the provider within 10 s');
      await popup.waitForTimeout(100);
    }
    assert.equal((await admin(sandbox, 'counters')).refreshes, refreshesBefore + 1, 'the refresh had reached the provider');
    await popup.reload();
    await popup.waitForSelector('#connections li');
    const keys = Object.keys(await storage((await context.serviceWorkers())[0] ?? (await context.waitForEvent('serviceworker')))).sort();
    assert.ok(keys.includes(`conn:${GRACE}`) && keys.some((k) => k.startsWith(`rec:${GRACE}:`)));
    await popup.click(`button.check[data-id="${GRACE}"]`);
    assert.equal((await message(popup, /grace@globex\.example: /)).text, 'grace@globex.example: Token valid.');
  } finally {
    await context.close();
  }
});

test('another installed extension cannot message the worker', async () => {
  const other = resolve(dirname(fileURLToPath(import.meta.url)), 'other-extension');
  const context = await chromium.launchPersistentContext(newProfile(), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      `--disable-extensions-except=${EXTENSION},${other}`,
      `--load-extension=${EXTENSION},${other}`,
      ...CHROMIUM_ARGS,
    ],
  });
  try {
    const isOther = (w) => w.url().startsWith('chrome-extension://') && !w.url().startsWith(`chrome-extension://${EXTENSION_ID}/`);
    const worker = context.serviceWorkers().find(isOther) ?? await context.waitForEvent('serviceworker', { predicate: isOther, timeout: 20_000 });
    const answer = await worker.evaluate(async (id) => {
      try {
        const r = await chrome.runtime.sendMessage(id, { v: 2, request: { type: 'list_connections' } });
        return { answered: r ?? null };
      } catch (e) {
        return { refused: e.message };
      }
    }, EXTENSION_ID);
    assert.deepEqual(answer, { refused: 'Could not establish connection. Receiving end does not exist.' });
  } finally {
    await context.close();
  }
});

test('an org that allows sign-in only at its My Domain refuses the production login page, and the message says to use the My Domain', async () => {
  // The production simulator stands for login.salesforce.com of an org with "Prevent login
  // from https://login.salesforce.com" on.
  await admin(production, 'faults', { my_domain_only: true });
  const exchanges = (await admin(production, 'counters')).code_exchanges;
  const { context, worker } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await popup.selectOption('#sf-host-kind', 'production');
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click('#add-salesforce');
    const login = await window;
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    await login.waitForSelector('#error');
    assert.match(await login.textContent('#error'), /My Domain/);
    await login.close();
    const said = await message(popup, /closed before Salesforce/);
    assert.match(said.text, /or your org allows sign-in only at its My Domain \(choose Custom and enter your My Domain, such as yourcompany\.my\.salesforce\.com\)\.$/);
    await popup.screenshot({ path: join(OUT, 'popup-my-domain-only.png') });
    assert.deepEqual(await storage(worker), {});
    assert.equal((await admin(production, 'counters')).code_exchanges, exchanges, 'no code was issued');
  } finally {
    await admin(production, 'faults', {});
    await context.close();
  }
});
