// Many callers at once across the worker's callers (issue 27; burst.test.mjs has fifty from one
// page among 200). The popup, the options page, a banner's Renew, the person's
// clicks and the alarm can all ask the worker about one connection in the same moment. Every
// caller must be answered, and the provider must see one refresh: with Salesforce's refresh
// token rotation on, a second would spend a retired token and revoke the connection.
import { test, before, after } from 'node:test';
import { assertAllValid, assertOneRefresh, checks, listed, range } from './burst.mjs';
import { admin, connectNumbered, EXTENSION_ID, FAST_EXTENSION, launch, newProfile, openPopup, startSim, within } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(0, [], 20); });
after(() => sim?.stop());

const counters = () => admin(sim, 'counters');

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
      await assertOneRefresh(sim, before, round);
    }
  } finally {
    await admin(sim, 'rotation', 'off');
    await context.close();
  }
});
