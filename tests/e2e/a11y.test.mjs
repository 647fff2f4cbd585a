// Accessibility checked by a real engine: axe-core (tests/e2e/axe.mjs) on the popup in each of
// its states, the options page and the Outlook task pane, each in the light and the dark scheme,
// must find no WCAG 2.2 A/AA violation. And the keyboard: every row action works from it, and
// focus comes back where it was once a sign-in window closes or the list is drawn again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, BUILD, connect, launch, message, newProfile, openPopup, settled, signIn, startSim } from './harness.mjs';
import { inBothSchemes } from './axe.mjs';
import { serveAddin } from '../outlook/serve.mjs';

let sim;
before(async () => { sim = await startSim(BUILD.microsoft_sim_port); });
after(() => sim?.stop());

const ADA = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

async function addMicrosoft(context, page) {
  const opened = context.waitForEvent('page', { timeout: 20_000 });
  await page.click('#add-microsoft');
  const login = await opened;
  await login.waitForSelector('#username');
  await signIn(login, 'grace@globex.example', 'tokenwatch');
  await login.waitForSelector('#Accept');
  await login.click('#Accept');
  return message(page, /Connected|failed/);
}

test('axe-core finds nothing in the popup (every state) or the options page, light and dark', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  const found = [];
  try {
    const popup = await openPopup(context);
    await settled(popup);
    found.push(...await inBothSchemes(popup, popup, 'popup, no connections'));

    // A host the popup refuses, and a tenant it refuses, each shown beside its field.
    await popup.selectOption('#sf-host-kind', 'custom');
    await popup.fill('#sf-host', 'not a host');
    await popup.click('#add-salesforce');
    await popup.waitForFunction(() => document.getElementById('sf-host-error').textContent !== '');
    await popup.evaluate(() => { document.getElementById('ms-choices').open = true; });
    await popup.fill('#ms-tenant', 'not a tenant!');
    await popup.click('#add-microsoft');
    await popup.waitForFunction(() => document.getElementById('ms-tenant-error').textContent !== '');
    found.push(...await inBothSchemes(popup, popup, 'popup, refused host and tenant, choices open'));
    await popup.fill('#ms-tenant', '');

    // Both providers connected: Token valid.
    await connect(context, popup, sim.url, 'ada@acme.example');
    await addMicrosoft(context, popup);
    await settled(popup);
    found.push(...await inBothSchemes(popup, popup, 'popup, two connections valid'));

    // Needs sign-in (the user revoked at the provider), then Can't reach (a broken token
    // endpoint after the access token expired): the error and warning tones.
    await admin(sim, 'revoke-user', 'username=ada%40acme.example');
    await popup.click(`#connections button.check[data-id="${ADA}"]`);
    await popup.waitForSelector(`#connections button.renew[data-id="${ADA}"]`);
    found.push(...await inBothSchemes(popup, popup, 'popup, needs sign-in'));
    await admin(sim, 'expire-access', '');
    await admin(sim, 'faults', { token: 'redirect' });
    const ms = await popup.$eval('#connections li[data-id^="ms:"]', (li) => li.dataset.id);
    await popup.click(`#connections button.check[data-id="${ms}"]`);
    await popup.waitForFunction((id) => /Can.t reach/.test(document.querySelector(`#connections li[data-id="${id}"] .status-title`)?.textContent ?? ''), ms, { timeout: 20_000 });
    found.push(...await inBothSchemes(popup, popup, 'popup, needs sign-in and can\'t reach'));
    await admin(sim, 'faults', {});

    // Disconnect armed (the confirmation step).
    await popup.click(`#connections button.disconnect[data-id="${ADA}"]`);
    found.push(...await inBothSchemes(popup, popup, 'popup, disconnect armed'));

    // The options page with both connections, and with a field it refuses.
    const options = await context.newPage();
    await options.goto(popup.url().replace('popup.html', 'options.html'));
    await options.waitForSelector('#details article, #details section, #details > *');
    found.push(...await inBothSchemes(options, options, 'options page'));
    await options.fill('#microsoft_tenant', 'not a tenant!');
    await options.click('#settings button[type="submit"]');
    await options.waitForFunction(() => document.getElementById('err-microsoft_tenant').textContent !== '');
    found.push(...await inBothSchemes(options, options, 'options page, refused field'));
  } finally {
    await context.close();
  }
  assert.deepEqual(found, []);
});

test('axe-core finds nothing in the Outlook task pane, light and dark', async () => {
  let config;
  const served = await serveAddin({ config: () => config });
  // A simulator of its own, with the add-in's Salesforce callback registered.
  const paneSim = await startSim(0, [`${served.addin}/auth/salesforce.html`]);
  config = { salesforce: { consumer_key: BUILD.consumer_key }, default_login_host: paneSim.url };
  const { context } = await launch(newProfile());
  const found = [];
  try {
    const host = await context.newPage();
    await host.setViewportSize({ width: 1280, height: 800 });
    await host.goto(served.hostPage());
    const pane = await (await host.waitForSelector('#taskpane')).contentFrame();
    await pane.waitForFunction(() => !document.getElementById('empty').hidden || document.querySelector('#connections li'), null, { timeout: 20_000 });
    found.push(...await inBothSchemes(host, pane, 'task pane, no connections'));
    await pane.selectOption('#sf-host-kind', 'custom');
    await pane.fill('#sf-host', paneSim.url);
    const opened = context.waitForEvent('page', { timeout: 20_000 });
    await pane.click('#add-salesforce');
    const login = await opened;
    await login.waitForSelector('#username');
    await signIn(login, 'grace@globex.example', 'tokenwatch');
    await message(pane, /Connected|failed|could not/);
    found.push(...await inBothSchemes(host, pane, 'task pane, one connection'));
  } finally {
    await context.close();
    served.stop();
    paneSim.stop();
  }
  assert.deepEqual(found, []);
});

test('every row action works from the keyboard, and focus returns where it was after a sign-in window', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await settled(popup);
    const focused = () => popup.evaluate(() => {
      const e = document.activeElement;
      return e && e !== document.body ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${e.className.split(' ')[0]}` : ''}${e.dataset?.id ? `[${e.dataset.id}]` : ''}` : 'body';
    });
    /** Tabs forward until `selector` has focus (at most 60 presses). */
    async function tabTo(selector) {
      for (let i = 0; i < 60; i += 1) {
        if (await popup.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
        await popup.keyboard.press('Tab');
      }
      assert.fail(`${selector} cannot be reached with Tab (focus is on ${await focused()})`);
    }

    // Add an org with the keyboard alone; the sign-in window takes focus, and gives it back.
    await popup.selectOption('#sf-host-kind', 'custom');
    await popup.fill('#sf-host', sim.url);
    await tabTo('#add-salesforce');
    const opened = context.waitForEvent('page', { timeout: 20_000 });
    await popup.keyboard.press('Enter');
    const login = await opened;
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    await message(popup, /Connected/);
    await popup.waitForFunction(() => document.activeElement?.id === 'add-salesforce', null, { timeout: 5_000 })
      .catch(async () => assert.fail(`after the sign-in, focus is on ${await focused()}, not Add Salesforce org`));

    // Check now from the keyboard: the row is drawn anew, focus stays on its Check now.
    await tabTo(`#connections button.check[data-id="${ADA}"]`);
    await popup.keyboard.press('Enter');
    await message(popup, /Token valid/);
    assert.equal(await focused(), `button.check[${ADA}]`);

    // Sign in again from the keyboard after a revoke: once it worked, the button is gone and
    // focus is on the same row's Check now.
    await admin(sim, 'revoke-user', 'username=ada%40acme.example');
    await popup.keyboard.press('Enter');
    await popup.waitForSelector(`#connections button.renew[data-id="${ADA}"]`);
    await tabTo(`#connections button.renew[data-id="${ADA}"]`);
    const again = context.waitForEvent('page', { timeout: 20_000 });
    await popup.keyboard.press('Enter');
    const relogin = await again;
    await relogin.waitForSelector('#username');
    await signIn(relogin, 'ada@acme.example', 'tokenwatch');
    await popup.waitForFunction((id) => !document.querySelector(`#connections button.renew[data-id="${id}"]`), ADA, { timeout: 20_000 });
    await popup.waitForFunction(() => document.activeElement?.classList.contains('check'), null, { timeout: 5_000 })
      .catch(async () => assert.fail(`after Sign in again, focus is on ${await focused()}`));

    // Change account, abandoned: the window closes, focus is back on Change account.
    await tabTo(`#connections button.change[data-id="${ADA}"]`);
    const change = context.waitForEvent('page', { timeout: 20_000 });
    await popup.keyboard.press('Enter');
    const chooser = await change;
    await chooser.waitForSelector('#username');
    await chooser.close();
    await message(popup, /cancel|closed|Sign-in/i);
    await popup.waitForFunction((id) => document.activeElement?.matches(`button.change[data-id="${id}"]`), ADA, { timeout: 5_000 })
      .catch(async () => assert.fail(`after the window closed, focus is on ${await focused()}`));

    // Copy report from the keyboard.
    await tabTo(`#connections button.report[data-id="${ADA}"]`);
    await popup.keyboard.press('Enter');
    await message(popup, /report/i);

    // Disconnect from the keyboard (Enter twice: arm, confirm); the row is gone and focus is
    // on Add Salesforce org, not lost at the top of the page.
    await tabTo(`#connections button.disconnect[data-id="${ADA}"]`);
    await popup.keyboard.press('Enter');
    await popup.keyboard.press('Enter');
    await popup.waitForFunction(() => document.querySelectorAll('#connections li').length === 0, null, { timeout: 20_000 });
    await popup.waitForFunction(() => document.activeElement?.id === 'add-salesforce', null, { timeout: 5_000 })
      .catch(async () => assert.fail(`after Disconnect, focus is on ${await focused()}`));
  } finally {
    await context.close();
  }
});
