// The person's language: Chromium started with --lang=de shows the popup, the options page and
// the Outlook task pane with their own texts in German (the catalogue in
// extension/_locales/de, through chrome.i18n in the extension and fetched for Office's display
// language in the pane), and marks each page's language. Screenshots: target/e2e/de-*.png.
// The texts the core returns (statuses, causes, fixes) are still English: issue 19 goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EXTENSION, EXTENSION_ID, launch, message, newProfile, openPopup, OUT, settled, signIn, startAdd, startSim } from './harness.mjs';
import { serveAddin } from '../outlook/serve.mjs';

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());

test('with a German browser the popup, the options page and the task pane speak German', async () => {
  const { context } = await launch(newProfile(), EXTENSION, EXTENSION_ID, { args: ['--lang=de'], locale: 'de-DE' });
  const served = await serveAddin({ config: () => ({}) });
  try {
    const popup = await openPopup(context);
    await settled(popup);
    assert.equal(await popup.evaluate(() => document.documentElement.lang), 'de');
    assert.equal(await text(popup, '#add-salesforce'), 'Salesforce-Org hinzufügen');
    assert.equal(await text(popup, '#add-microsoft'), 'Microsoft-365-Konto hinzufügen');
    assert.equal(await text(popup, '#connections-heading'), 'Verbindungen');
    assert.equal(await popup.getAttribute('#ms-tenant', 'placeholder'), 'wie in den Einstellungen');
    // What the wasm draws: the row's actions and the time of the last check.
    const sim = await startSim(0, [], 2);
    try {
      await signIn(await startAdd(context, popup, sim.url), 'ada@acme.example', 'tokenwatch');
      const said = await message(popup, /Verbunden/);
      assert.match(said.text, /^Verbunden: ada@acme\.example — /);
      assert.equal(await text(popup, '#connections button.check'), 'Jetzt prüfen');
      assert.equal(await text(popup, '#connections button.disconnect'), 'Trennen');
      assert.match(await text(popup, '#connections .checked'), /^Geprüft /);
      // The status the core gives, as catalogue messages: title and detail in German.
      assert.equal(await text(popup, '#connections .status-title'), 'Token gültig');
      assert.equal(await text(popup, '#connections .status-detail'), 'Erneuert sich still');
      assert.equal(await popup.getAttribute('#connections button.check', 'aria-label'), 'Jetzt prüfen: Local org at ' + sim.url + ' (ada@acme.example)');
      await popup.screenshot({ path: join(OUT, 'de-popup.png') });
    } finally {
      sim.stop();
    }

    const options = await context.newPage();
    await options.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
    await options.waitForFunction(() => document.documentElement.lang === 'de');
    assert.equal(await options.title(), 'Tokenwatch-Optionen');
    assert.equal(await text(options, '#save'), 'Einstellungen speichern');
    assert.equal(await text(options, 'label[for="check_interval"]'), 'Prüfen alle (Minuten)');
    await options.screenshot({ path: join(OUT, 'de-options.png'), fullPage: true });

    const host = await context.newPage();
    await host.setViewportSize({ width: 1280, height: 800 });
    await host.goto(served.hostPage());
    const pane = await (await host.waitForSelector('#taskpane')).contentFrame();
    await pane.waitForFunction(() => document.documentElement.lang === 'de', null, { timeout: 20_000 });
    assert.equal(await text(pane, '#add-salesforce'), 'Salesforce-Org hinzufügen');
    await host.screenshot({ path: join(OUT, 'de-pane.png') });
  } finally {
    served.stop();
    await context.close();
  }
});

test('with an English browser the pages stay English', async () => {
  const { context } = await launch(newProfile(), EXTENSION, EXTENSION_ID, { args: ['--lang=en-US'], locale: 'en-US' });
  try {
    const popup = await openPopup(context);
    await settled(popup);
    assert.equal(await popup.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await text(popup, '#add-salesforce'), 'Add Salesforce org');
  } finally {
    await context.close();
  }
});
