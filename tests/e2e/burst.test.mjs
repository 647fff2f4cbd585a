// Many callers at once (issue 27). The popup, the options page, a banner's Renew, the person's
// clicks and the alarm can all ask the worker about one connection in the same moment. Every
// caller must be answered, and the provider must see one refresh: with Salesforce's refresh
// token rotation on, a second would spend a retired token and revoke the connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { assertAllValid, assertOneRefresh, checks, listed, range } from './burst.mjs';
import { admin, connectNumbered, launch, newProfile, openPopup, startSim, within } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(0, [], 200); });
after(() => sim?.stop());

const counters = () => admin(sim, 'counters');

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
      await assertOneRefresh(sim, before, round);
    }
  } finally {
    await admin(sim, 'rotation', 'off');
    await context.close();
  }
});
