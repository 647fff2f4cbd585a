// The popup's first paint on a sleeping worker: the last list the worker answered is kept in
// chrome.storage.session and painted at once, the worker's answer is drawn over it, and no
// frame in between is empty or in another order.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, connect, EXTENSION_ID, launch, newProfile, openPopup, rows, startSim, stopServiceWorker } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());

const KNOWN = 'tokenwatch:known';

/** Opens the popup with a recorder: every state of the list, and when the worker's list came. */
async function openRecorded(context) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 380, height: 560 });
  await page.addInitScript(() => {
    window.__frames = [];
    window.__answeredAt = null;
    const send = chrome.runtime.sendMessage.bind(chrome.runtime);
    chrome.runtime.sendMessage = (...args) => send(...args).then((answer) => {
      if (answer?.type === 'connections') window.__answeredAt = performance.now();
      return answer;
    });
    const record = () => {
      const list = document.getElementById('connections');
      if (!list) return;
      const rows = [...list.querySelectorAll('li')].map((li) => [li.dataset.id, li.querySelector('.status-title')?.textContent ?? null]);
      const busy = list.getAttribute('aria-busy') === 'true';
      const last = window.__frames.at(-1);
      if (!last || JSON.stringify(last.rows) !== JSON.stringify(rows) || last.busy !== busy) window.__frames.push({ t: performance.now(), rows, busy });
    };
    new MutationObserver(record).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(`chrome-extension://${EXTENSION_ID}/popup.html`);
  await page.waitForFunction(() => window.__answeredAt !== null && document.querySelector('#connections li'));
  // Let the answer's drawing land.
  await page.waitForTimeout(300);
  return { page, frames: await page.evaluate(() => window.__frames), answeredAt: await page.evaluate(() => window.__answeredAt) };
}

test('a popup opened on a stopped worker paints the last known list before the worker answers, then the list as it is, never empty or reordered in between', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    for (const user of ['ada@acme.example', 'grace@globex.example', 'charles@acme.example']) {
      await connect(context, popup, sim.url, user);
    }
    const truth = (await rows(popup)).map((r) => [r.id, r.status]);
    assert.equal(truth.length, 3);
    assert.ok(truth.every(([, status]) => status === 'Token valid'));

    // The worker keeps each full list it answers; none of it is a secret, and it is not on disk.
    const known = await popup.evaluate((key) => chrome.storage.session.get(key).then((s) => s[key]), KNOWN);
    assert.deepEqual(known.map((c) => c.id), truth.map(([id]) => id));
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!JSON.stringify(known).includes(token), 'a token in the known list');

    // The known list is out of date (as after a scheduled check changed a status): the first
    // row reads "Token expired" there. The worker goes to sleep.
    const stale = structuredClone(known);
    stale[0].status.title = 'Token expired';
    stale[0].status.said.title = { key: 'statusNeedsSignIn', args: [] };
    await popup.evaluate(([key, value]) => chrome.storage.session.set({ [key]: value }), [KNOWN, stale]);
    await stopServiceWorker(context, popup);
    await popup.close();

    const { page, frames, answeredAt } = await openRecorded(context);
    const painted = frames.filter((f) => f.rows.length > 0);
    assert.ok(painted.length >= 2, `the known list, then the answer: ${JSON.stringify(frames)}`);
    assert.deepEqual(painted[0].rows, [[truth[0][0], 'Token expired'], ...truth.slice(1)], 'the first paint is the known list');
    assert.ok(painted[0].t < answeredAt, `painted at ${painted[0].t} ms, before the worker answered at ${answeredAt} ms`);
    assert.ok(frames.some((f) => f.busy && f.rows.length > 0), 'the known list is marked aria-busy while the answer comes');
    const first = frames.indexOf(painted[0]);
    for (const f of frames.slice(first)) {
      assert.deepEqual(f.rows.map(([id]) => id), truth.map(([id]) => id), 'no empty or reordered frame after the first paint');
    }
    assert.deepEqual(frames.at(-1).rows, truth, 'settled on the list as it is');
    assert.equal(await page.getAttribute('#connections', 'aria-busy'), null, 'no longer marked busy');
    assert.deepEqual(await page.evaluate((key) => chrome.storage.session.get(key).then((s) => s[key].map((c) => c.status.title)), KNOWN), truth.map(([, s]) => s), 'the answer is the known list now');
    await page.close();

    // A known list that does not read is passed over: the popup waits for the worker.
    const other = await openPopup(context);
    await other.evaluate((key) => chrome.storage.session.set({ [key]: 'not a list' }), KNOWN);
    await stopServiceWorker(context, other);
    await other.close();
    const again = await openRecorded(context);
    const drawn = again.frames.filter((f) => f.rows.length > 0).map((f) => JSON.stringify(f.rows));
    assert.deepEqual([...new Set(drawn)], [JSON.stringify(truth)], 'only the list as it is was drawn');
    assert.equal(await again.page.textContent('#message'), '');
  } finally {
    await context.close();
  }
});
