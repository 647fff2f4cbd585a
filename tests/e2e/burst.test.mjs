// Many callers at once (issue 27). The popup, the options page, a banner's Renew, the person's
// clicks and the alarm can all ask the worker about one connection in the same moment. Every
// caller must be answered, and the provider must see one refresh: with Salesforce's refresh
// token rotation on, a second would spend a retired token and revoke the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, connectNumbered, EXTENSION_ID, FAST_EXTENSION, launch, newProfile, openPopup, startSim, within } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(0, [], 200); });
after(() => sim?.stop());

const counters = () => admin(sim, 'counters');
const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** `n` checks of `id` sent at once from `page`; resolves to their answers. */
const checks = (page, id, n) => page.evaluate(({ id, n }) => Promise.all(Array.from({ length: n }, () => chrome.runtime.sendMessage({ v: 2, request: { type: 'check', id } }))), { id, n });
const listed = async (page) => (await page.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } }))).connections;

/** Since `before` (the counters), one refresh reached the simulator and no retired token. */
async function assertOneRefresh(before, round) {
  const after = await counters();
  assert.equal(after.refreshes - before.refreshes, 1, `round ${round}: one refresh`);
  assert.equal(after.rotated_reused, 0, `round ${round}: no retired token sent`);
}

function assertAllValid(answers, id, what) {
  for (const [i, a] of answers.entries()) {
    assert.equal(a.type, 'connection', `${what}, caller ${i}: ${JSON.stringify(a).slice(0, 300)}`);
    assert.equal(a.connection.id, id, `${what}, caller ${i}`);
    assert.equal(a.connection.status.title, 'Token valid', `${what}, caller ${i}`);
  }
}

test('fifty checks at once of one expired connection among 200, twenty times: every caller answered, one refresh each time', async () => {
  await admin(sim, 'rotation', 'on');
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connectNumbered(context, popup, sim.url, range(1, 200));
    const all = await listed(popup);
    assert.equal(all.length, 200);
    const { id } = all.find((c) => c.username === 'user1@org1.example');
    for (let round = 0; round < 20; round += 1) {
      await admin(sim, 'expire-access', 'username=user1%40org1.example');
      const before = await counters();
      const answers = await within(60_000, checks(popup, id, 50), `round ${round}: 50 checks at once`);
      assert.equal(answers.length, 50);
      assertAllValid(answers, id, `round ${round}`);
      assert.ok(answers.every((a) => a.connections.length === 200), `round ${round}: every answer lists all 200`);
      await assertOneRefresh(before, round);
    }
  } finally {
    await admin(sim, 'rotation', 'off');
    await context.close();
  }
});

test('checks spread over the popup, the options page and an alarm firing at once: every caller answered, one refresh each time', async () => {
  // The build that checks every 30 s, so the alarm's tick checks the connection as well.
  await admin(sim, 'rotation', 'on');
  const { context, worker } = await launch(newProfile(), FAST_EXTENSION);
  try {
    const popup = await openPopup(context);
    const options = await context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await connectNumbered(context, popup, sim.url, range(1, 20));
    const { id } = (await listed(popup)).find((c) => c.username === 'user1@org1.example');
    for (let round = 0; round < 3; round += 1) {
      // The test fires the alarm itself, once the connection is due (30 s after its last check).
      await worker.evaluate(() => chrome.alarms.clear('tokenwatch-tick'));
      const { checked_at: checkedAt } = (await listed(popup)).find((c) => c.id === id);
      await popup.waitForTimeout(Math.max(0, checkedAt + 31_000 - Date.now()));
      await admin(sim, 'expire-access', 'username=user1%40org1.example');
      const before = await counters();
      const tick = worker.evaluate(() => new Promise((ok) => {
        const seen = new PerformanceObserver((list) => {
          if (list.getEntries().some((e) => e.name === 'tokenwatch:alarm:tokenwatch-tick')) {
            seen.disconnect();
            ok();
          }
        });
        seen.observe({ type: 'measure' });
        chrome.alarms.create('tokenwatch-tick', { when: Date.now() });
      }));
      const [fromPopup, fromOptions] = await within(60_000, Promise.all([checks(popup, id, 20), checks(options, id, 20), tick]), `round ${round}: the popup, the options page and the alarm at once`);
      assertAllValid(fromPopup, id, `round ${round}, popup`);
      assertAllValid(fromOptions, id, `round ${round}, options page`);
      await assertOneRefresh(before, round);
    }
  } finally {
    await admin(sim, 'rotation', 'off');
    await context.close();
  }
});
