// Chrome stops the worker at the worst moments of a refresh, with Salesforce's refresh token
// rotation on. The fault build (dist/test-faults) makes every record write wait 2.5 s, which
// opens a window to stop the worker between the provider's answer and its storage.
//   before the token request  → nothing was sent; the next check refreshes as usual;
//   after the write           → nothing lost; the next check needs no refresh at all;
//   after the answer, before the write → the rotated token is lost with the worker: no client
//     can close that window; Tokenwatch recorded that a refresh had started, so it says exactly
//     this (never "revoked", never silence) and Sign in again restores the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, connect, EXTENSION, launch, message, newProfile, openPopup, OUT, rows, signIn, startSim, stopServiceWorker } from './harness.mjs';

const FAULTS = process.env.TOKENWATCH_FAULTS_EXTENSION ?? join(EXTENSION, '../../test-faults/chrome');
const ADA = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());

const refreshes = async () => (await admin(sim, 'counters')).refreshes;

async function until(probe, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function fresh(popup) {
  await popup.reload();
  await popup.waitForSelector('#connections li');
}

test('the worker stopped before the token request, after the write, and between the answer and the write, with rotation on', async () => {
  await admin(sim, 'faults', {});
  await admin(sim, 'rotation', 'on');
  const { context } = await launch(newProfile(), FAULTS);
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    // 1. Before the token request: the refresh's first step (recording that it starts) is
    //    still being written when the worker stops.
    await admin(sim, 'expire-access', '');
    let before = await refreshes();
    await popup.click(`button.check[data-id="${ADA}"]`);
    await popup.waitForTimeout(1000);
    await stopServiceWorker(context, popup);
    assert.equal(await refreshes(), before, 'no token request was sent');
    await fresh(popup);
    await popup.click(`button.check[data-id="${ADA}"]`);
    assert.equal((await message(popup, /ada@acme\.example: /)).text, 'ada@acme.example: Token valid.');
    assert.equal(await refreshes(), before + 1);

    // 2. After the write: nothing to lose; the next check's probe finds the new token valid.
    await admin(sim, 'expire-access', '');
    before = await refreshes();
    await popup.click(`button.check[data-id="${ADA}"]`);
    assert.equal((await message(popup, /ada@acme\.example: /)).text, 'ada@acme.example: Token valid.');
    await stopServiceWorker(context, popup);
    await fresh(popup);
    await popup.click(`button.check[data-id="${ADA}"]`);
    assert.equal((await message(popup, /ada@acme\.example: /)).text, 'ada@acme.example: Token valid.');
    assert.equal(await refreshes(), before + 1, 'the stored token needed no second refresh');

    // 3. Between the answer and the write.
    await admin(sim, 'expire-access', '');
    before = await refreshes();
    await fresh(popup);
    await popup.click(`button.check[data-id="${ADA}"]`);
    await until(async () => (await refreshes()) === before + 1, 10_000, 'the token request');
    await stopServiceWorker(context, popup);
    await fresh(popup);
    await popup.click(`button.check[data-id="${ADA}"]`);
    await message(popup, /ada@acme\.example: /);
    const [row] = await rows(popup);
    assert.equal(row.status, 'Token expired');
    assert.equal(row.detail, "Salesforce no longer accepts this connection, and the renewal before was cut off (the browser stopped Tokenwatch, or the connection dropped, before the answer was saved). With refresh token rotation that alone retires the token; a changed password, revoked access or an expiry policy gets the same answer from Salesforce.");
    await popup.screenshot({ path: join(OUT, 'popup-refresh-interrupted.png') });
    // Sign in again restores it.
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click(`button.renew[data-id="${ADA}"]`);
    const login = await window;
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    assert.equal((await message(popup, /Token valid/)).text, 'ada@acme.example: Token valid.');
  } finally {
    await admin(sim, 'rotation', 'off');
    await context.close();
  }
});

test('a redirect from the token endpoint is never followed and a 10 MB answer is refused before parsing; nothing changes', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    for (const [fault, words] of [
      ['redirect', "Can't reach Salesforce"],
      ['huge', "Can't reach Salesforce"],
    ]) {
      await admin(sim, 'expire-access', '');
      await admin(sim, 'faults', { token: fault });
      await popup.click(`button.check[data-id="${ADA}"]`);
      await message(popup, /ada@acme\.example: /);
      const [row] = await rows(popup);
      assert.equal(row.status, words, fault);
      assert.match(row.detail, fault === 'redirect' ? /redirect, which is not followed/ : /response was too large/);
      assert.equal((await admin(sim, 'counters')).redirects_followed, 0);
      await admin(sim, 'faults', {});
      await popup.click(`button.check[data-id="${ADA}"]`);
      assert.equal((await message(popup, /Token valid/)).text, 'ada@acme.example: Token valid.');
    }
  } finally {
    await context.close();
  }
});

test('the browser closed in the middle of an interactive sign-in leaves nothing half-done', async () => {
  await admin(sim, 'faults', {});
  const profile = newProfile();
  let { context } = await launch(profile);
  try {
    let popup = await openPopup(context);
    await popup.selectOption('#sf-host-kind', 'custom');
    await popup.fill('#sf-host', sim.url);
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click('#add-salesforce');
    const login = await window;
    await login.waitForSelector('#username');
    await context.close();
    ({ context } = await launch(profile));
    popup = await openPopup(context);
    assert.deepEqual(await rows(popup), [], 'no half connection');
    await connect(context, popup, sim.url, 'ada@acme.example');
    assert.equal((await rows(popup))[0].status, 'Token valid');
  } finally {
    await context.close();
  }
});

test('a token endpoint that never answers is given up after the timeout: Can\'t reach, and none of ten checks at once waits behind it', async () => {
  // The fault build gives a request 3 s; the simulator's token endpoint answers after 20 s.
  // Without a timeout the refresh would hold the connection's lock until then, and every
  // check of it behind the lock would wait as long (for ever, on a server that never answers).
  await admin(sim, 'faults', {});
  await admin(sim, 'rotation', 'off');
  const { context } = await launch(newProfile(), FAULTS);
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    await admin(sim, 'expire-access', '');
    await admin(sim, 'faults', { token_delay_ms: 20_000 });
    const before = await refreshes();
    const answers = await popup.evaluate((id) => Promise.all(Array.from({ length: 10 }, () => chrome.runtime.sendMessage({ v: 2, request: { type: 'check', id } }))), ADA);
    assert.equal(answers.length, 10);
    for (const a of answers) {
      assert.equal(a.type, 'connection', JSON.stringify(a));
      assert.equal(a.connection.status.title, "Can't reach Salesforce");
      assert.match(a.connection.status.detail, /no answer within 3 s/);
    }
    assert.equal(await refreshes(), before, 'the slow answer had not come when the checks were answered');
    await admin(sim, 'faults', {});
    // The slow request is answered at last (to nobody); with rotation off it retires nothing.
    await until(async () => (await refreshes()) === before + 1, 25_000, 'the slow token request');
    await fresh(popup);
    await popup.click(`button.check[data-id="${ADA}"]`);
    assert.equal((await message(popup, /ada@acme\.example: /)).text, 'ada@acme.example: Token valid.');
  } finally {
    await admin(sim, 'faults', {});
    await context.close();
  }
});
