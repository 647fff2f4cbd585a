// The person's language: Chromium started with --lang=de shows the popup, the options page, the
// notification, the toolbar button's tooltip, the in-mail banner and the Outlook task pane in
// German: the pages' own texts, and the statuses, causes and fixes the core names as catalogue
// messages (extension/_locales/de, through chrome.i18n in the extension and fetched for Office's
// display language in the pane). Screenshots: target/e2e/de-*.png. A system notification is
// not drawn by headless Chromium, so the notification is read as the worker hands it to
// chrome.notifications.create (recorded on its way, then created as usual).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, EXTENSION, EXTENSION_ID, launch, message, newProfile, openPopup, OUT, settled, signIn, startAdd, startSim } from './harness.mjs';
import { serveAddin } from '../outlook/serve.mjs';

/** The text of the banner's closed shadow root, read through DevTools (page scripts cannot). */
async function bannerLines(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const texts = [];
    const walk = (n, inside) => {
      const here = inside || (n.attributes ?? []).join(' ').includes('data-tokenwatch banner');
      if (here && n.nodeType === 3) texts.push(n.nodeValue);
      for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? [])]) walk(c, here);
    };
    walk(root, false);
    return texts.join(' ');
  } finally {
    await cdp.detach();
  }
}

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());

test('with a German browser the popup, the options page and the task pane speak German', async () => {
  const { context, worker } = await launch(newProfile(), EXTENSION, EXTENSION_ID, { args: ['--lang=de'], locale: 'de-DE' });
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
      assert.equal(await popup.getAttribute('#connections button.check', 'aria-label'), 'Jetzt prüfen: Lokale Org unter ' + sim.url + ' (ada@acme.example)');
      await popup.screenshot({ path: join(OUT, 'de-popup.png') });

      // The org revokes the user: the row says why and what fixes it in German, and so do the
      // notification, the toolbar button's tooltip and the banner on Outlook on the web.
      await worker.evaluate(() => {
        const create = chrome.notifications.create.bind(chrome.notifications);
        globalThis.notified = [];
        chrome.notifications.create = (id, options) => { globalThis.notified.push(options); return create(id, options); };
      });
      await admin(sim, 'revoke-user', 'username=ada%40acme.example');
      await popup.click('#connections button.check');
      await popup.waitForFunction(() => document.querySelector('#connections .status-title')?.textContent === 'Token abgelaufen');
      const cause = 'Das Passwort wurde geändert oder der Zugriff widerrufen, daher nimmt Salesforce diese Verbindung nicht mehr an.';
      assert.equal(await text(popup, '#connections .status-detail'), cause);
      assert.equal(await text(popup, '#connections .status-action'), 'Wählen Sie „Erneut anmelden“, um sie wiederherzustellen.');
      assert.equal(await text(popup, '#connections strong.label'), `Lokale Org unter ${sim.url}`);
      await popup.screenshot({ path: join(OUT, 'de-popup-sign-in.png') });
      let notified = [];
      for (let i = 0; i < 20 && !notified.length; i++) {
        notified = await worker.evaluate(() => globalThis.notified);
        if (!notified.length) await popup.waitForTimeout(250);
      }
      assert.equal(notified.length, 1, 'one notification');
      assert.equal(notified[0].title, 'ada@acme.example (Salesforce): Token abgelaufen');
      assert.equal(notified[0].message, cause);
      assert.deepEqual(notified[0].buttons.map((b) => b.title), ['Erneuern', 'Einen Tag lang ruhen lassen']);
      assert.equal(await worker.evaluate(() => chrome.action.getTitle({})), 'Tokenwatch: ada@acme.example — Token abgelaufen');

      const mail = await context.newPage();
      await mail.goto(`${sim.url}/outlook/mail/`);
      await mail.waitForSelector('[data-tokenwatch="banner"]');
      const bannerText = await bannerLines(mail);
      assert.match(bannerText, /Salesforce · ada@acme\.example\s+Token abgelaufen\s+Erneuern/);
      await mail.screenshot({ path: join(OUT, 'de-banner.png') });
      await mail.close();
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
