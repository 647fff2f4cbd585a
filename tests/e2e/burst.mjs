// What the many-callers tests share (burst.test.mjs, burst-spread.test.mjs): checks sent at once
// from a page, and what every answer and the simulator's counters must then say.
import assert from 'node:assert/strict';
import { admin } from './harness.mjs';

export const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** `n` checks of `id` sent at once from `page`; resolves to their answers. */
export const checks = (page, id, n) => page.evaluate(({ id, n }) => Promise.all(Array.from({ length: n }, () => chrome.runtime.sendMessage({ v: 2, request: { type: 'check', id } }))), { id, n });
/** Every connection, as the worker lists them to `page`. */
export const listed = async (page) => (await page.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } }))).connections;

/** Since `before` (the counters of `sim`), one refresh reached `sim` and no retired token. */
export async function assertOneRefresh(sim, before, round) {
  const after = await admin(sim, 'counters');
  assert.equal(after.refreshes - before.refreshes, 1, `round ${round}: one refresh`);
  assert.equal(after.rotated_reused, 0, `round ${round}: no retired token sent`);
}

/** Every answer is `id`'s row at Token valid. */
export function assertAllValid(answers, id, what) {
  for (const [i, a] of answers.entries()) {
    assert.equal(a.type, 'connection', `${what}, caller ${i}: ${JSON.stringify(a).slice(0, 300)}`);
    assert.equal(a.connection.id, id, `${what}, caller ${i}`);
    assert.equal(a.connection.status.title, 'Token valid', `${what}, caller ${i}`);
  }
}
