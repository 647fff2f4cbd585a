// Scheduled work in the real worker: chrome.alarms drive the core's tick, the badge counts who
// needs the person, a notification announces it once, and Renew restores it. Runs the
// 30-second-schedule build (dist/test-fast), so nothing waits for real hours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, BUILD, connect, FAST_EXTENSION, launch, message, newProfile, openPopup, OUT, rows, signIn } from './harness.mjs';
import { startSim } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(BUILD.microsoft_sim_port); });
after(() => sim?.stop());

const ADA_SF = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

/** Polls `probe` until it returns a truthy value, for up to `ms`. */
async function until(probe, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const badge = (worker) => worker.evaluate(() => chrome.action.getBadgeText({}));
const shown = (worker) => worker.evaluate(() => chrome.notifications.getAll());

test('the alarm refreshes an expired session unasked; a revoke becomes a badge, one notification and Needs sign-in; Sign in again restores', async () => {
  await admin(sim, 'faults', {});
  const { context, worker } = await launch(newProfile(), FAST_EXTENSION);
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    assert.equal(await badge(worker), '');
    const alarm = await worker.evaluate(() => chrome.alarms.get('tokenwatch-tick'));
    assert.ok(alarm && alarm.scheduledTime > Date.now(), 'the next check is an alarm');

    // The org's session times out: the next scheduled check refreshes without a click.
    const refreshes = (await admin(sim, 'counters')).refreshes;
    await admin(sim, 'expire-access', '');
    await until(async () => (await admin(sim, 'counters')).refreshes > refreshes, 90_000, 'a scheduled refresh');

    // An admin revokes the user: the next check finds it, the badge says 1 in red, one
    // notification offers Renew.
    await admin(sim, 'revoke-user', 'username=ada%40acme.example');
    await until(async () => (await badge(worker)) === '1', 90_000, 'the badge');
    const colour = await worker.evaluate(() => chrome.action.getBadgeBackgroundColor({}));
    assert.deepEqual(colour, [194, 57, 52, 255]);
    const notes = await shown(worker);
    assert.deepEqual(Object.keys(notes), [ADA_SF]);
    await popup.reload();
    await popup.waitForSelector('#connections li');
    const [row] = await rows(popup);
    assert.equal(row.status, 'Token expired');
    assert.equal(row.detail, 'The password was changed or access was revoked, so Salesforce no longer accepts this connection.');
    await popup.screenshot({ path: join(OUT, 'popup-needs-sign-in.png') });

    // Announced once: another scheduled round adds no second notification.
    const title = (await worker.evaluate(() => chrome.action.getTitle({})));
    assert.match(title, /ada@acme\.example — Token expired/);

    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click(`button.renew[data-id="${ADA_SF}"]`);
    const login = await window;
    await login.waitForSelector('#username');
    assert.equal(await login.inputValue('#username'), 'ada@acme.example', 'login_hint prefills the user');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    assert.equal((await message(popup, /Token valid/)).text, 'ada@acme.example: Token valid.');
    await until(async () => (await badge(worker)) === '', 10_000, 'the badge to clear');
    assert.deepEqual(await shown(worker), {}, 'its notification went with it');
  } finally {
    await context.close();
  }
});

test('a 24-hour Microsoft sign-in is renewed silently on schedule through launchWebAuthFlow({interactive:false})', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile(), FAST_EXTENSION);
  try {
    const popup = await openPopup(context);
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.click('#add-microsoft');
    const login = await window;
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    await login.waitForSelector('#Accept');
    await login.click('#Accept');
    await message(popup, /Connected/);
    const before = await admin(sim, 'counters');
    // This build renews from the sign-in's first minute: the alarm's check opens no window,
    // and Microsoft answers from the session cookie the sign-in left.
    const after = await until(async () => {
      const c = await admin(sim, 'counters');
      return c.code_exchanges > before.code_exchanges && c;
    }, 90_000, 'a silent renewal');
    assert.ok(after.silent_authorizations > before.silent_authorizations);
    assert.equal(context.pages().filter((p) => p.url().includes('/oauth2/v2.0/authorize')).length, 0, 'no window stayed open');
    await popup.reload();
    await popup.waitForSelector('#connections li');
    assert.equal((await rows(popup))[0].status, 'Token valid');
  } finally {
    await context.close();
  }
});
