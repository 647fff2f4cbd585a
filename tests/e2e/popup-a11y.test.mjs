// The popup for keyboard and screen-reader users, in light and dark: every control has a name,
// the whole flow works from the keyboard, and the dark scheme is really dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, BUILD, connect, launch, newProfile, openPopup, OUT, startSim } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(BUILD.microsoft_sim_port); });
after(() => sim?.stop());

test('every control is named, the popup works from the keyboard, and it follows the dark scheme', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    const unnamed = await popup.evaluate(() => [...document.querySelectorAll('button, input, select, a')]
      .filter((e) => !e.hidden && e.offsetParent !== null)
      .filter((e) => {
        const label = e.getAttribute('aria-label') || (e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent) || e.textContent;
        return !label || !label.trim();
      })
      .map((e) => e.outerHTML.slice(0, 80)));
    assert.deepEqual(unnamed, []);
    assert.equal(await popup.getAttribute('#message', 'aria-live'), 'polite');

    // Keyboard only: Tab to "Add Microsoft 365 account" and press Enter.
    await popup.focus('body');
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await popup.keyboard.press('Tab');
      reached = await popup.evaluate(() => document.activeElement?.id === 'add-microsoft');
    }
    assert.ok(reached, 'Add Microsoft 365 account is reachable with Tab');
    const window = context.waitForEvent('page', { timeout: 20_000 });
    await popup.keyboard.press('Enter');
    const login = await window;
    await login.waitForSelector('#username');
    await login.close();

    await popup.emulateMedia({ colorScheme: 'dark' });
    const bg = await popup.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(27, 29, 33)');
    await popup.screenshot({ path: join(OUT, 'popup-dark.png') });
  } finally {
    await context.close();
  }
});
