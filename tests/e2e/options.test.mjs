// The options page: settings checked field by field (a refusal is shown next to its field and
// nothing is saved), saved settings in force, and each connection's horizon, declared policy
// and history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, connect, copyReport, EXTENSION_ID, launch, newProfile, openPopup, OUT, rows, storage } from './harness.mjs';
import { startSim } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());

const ADA = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

async function openOptions(context) {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${EXTENSION_ID}/options.html`);
  await page.waitForFunction(() => document.getElementById('microsoft_client_id').placeholder !== '');
  return page;
}

const errorOf = (page, field) => page.$eval(`[id="err-${field}"]`, (e) => e.textContent);

test('bad settings are refused next to their fields and nothing is saved; good ones are saved', async () => {
  await admin(sim, 'faults', {});
  const { context, worker } = await launch(newProfile());
  try {
    const options = await openOptions(context);
    // The redirect URIs an administrator registers, as this browser computes them.
    assert.equal(await options.textContent('#redirect-salesforce'), `https://${EXTENSION_ID}.chromiumapp.org/salesforce`);
    assert.equal(await options.textContent('#redirect-microsoft'), `https://${EXTENSION_ID}.chromiumapp.org/microsoft`);
    // The build's values show as placeholders.
    assert.equal(await options.getAttribute('#microsoft_client_id', 'placeholder'), '5b1e0c8a-7d3f-4e2a-9b6c-1f0e2d3c4b5a');
    await options.fill('#microsoft_tenant', 'not a tenant');
    await options.fill('#microsoft_authority_host', 'http://login.example.com');
    await options.fill('#check_interval', '0.01');
    await options.fill('#warn_short', 'soon');
    await options.click('#save');
    await options.waitForFunction(() => document.getElementById('message').textContent.startsWith('Nothing was saved'));
    assert.equal(await errorOf(options, 'schedule.warn_short_s'), 'Enter a positive number.');
    await options.fill('#warn_short', '');
    await options.click('#save');
    await options.waitForFunction(() => document.getElementById('err-microsoft_tenant').textContent !== '');
    assert.equal(await errorOf(options, 'microsoft_tenant'), 'The tenant must be organizations, consumers (personal accounts), common, a tenant id (GUID) or a domain such as contoso.onmicrosoft.com.');
    assert.equal(await errorOf(options, 'microsoft_authority_host'), 'Only https addresses are allowed (http only for 127.0.0.1 / localhost).');
    assert.equal(await errorOf(options, 'schedule.check_interval_s'), 'Check interval must be between 10 and 43200 seconds.');
    assert.equal(await options.getAttribute('#microsoft_tenant', 'aria-invalid'), 'true');
    await options.screenshot({ path: join(OUT, 'options-refused.png'), fullPage: true });
    assert.equal((await storage(worker))['tokenwatch:settings'], undefined, 'nothing saved');

    await options.fill('#microsoft_tenant', 'common');
    await options.fill('#microsoft_authority_host', '');
    await options.fill('#check_interval', '45');
    await options.click('#save');
    await options.waitForFunction(() => document.getElementById('message').textContent.startsWith('Settings saved'));
    assert.deepEqual(JSON.parse(JSON.parse((await storage(worker))['tokenwatch:settings']).body), {
      salesforce_consumer_key: null, microsoft_client_id: null, microsoft_authority_host: null,
      microsoft_tenant: 'common', microsoft_registration: null, microsoft_resource: null, microsoft_cloud: null, ews_url: null,
      schedule: { check_interval_s: 2700, warn_long_s: null, warn_short_s: null, warn_day_limited_s: null, silent_renew_lead_s: null },
    });
    await options.reload();
    await options.waitForFunction(() => document.getElementById('check_interval').value === '45');
    assert.equal(await options.inputValue('#microsoft_tenant'), 'common');
  } finally {
    await context.close();
  }
});

test('a connection shows its horizon and history, and a declared policy turns it into Expiring soon', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    const options = await openOptions(context);
    const card = `section.detail[data-id="${ADA}"]`;
    await options.waitForSelector(card);
    assert.equal(await options.textContent(`${card} .horizon`), 'Renews silently, with no fixed end (the refresh token is valid until revoked).');
    const history = await options.$$eval(`${card} .history tr`, (trs) => trs.slice(1).map((tr) => [...tr.children].slice(1).map((td) => td.textContent)));
    assert.deepEqual(history, [['Signed in', 'as ada@acme.example']]);

    await options.selectOption(`${card} select.policy-kind`, 'expire_after');
    await options.fill(`${card} input.policy-days`, '0');
    await options.click(`${card} form.policy button`);
    assert.equal(await options.textContent(`${card} .policy-error`), 'Enter a whole number of days from 1 to 3650.');
    await options.fill(`${card} input.policy-days`, '3');
    await options.click(`${card} form.policy button`);
    await options.waitForFunction(() => document.getElementById('message').textContent.startsWith('Policy saved'));
    assert.equal(await options.textContent('#message'), 'Policy saved for ada@acme.example: Expiring soon.');
    await options.waitForSelector(`${card} .horizon`);
    assert.match(await options.textContent(`${card} .horizon`), /^Sign-in needed by /);
    await options.screenshot({ path: join(OUT, 'options-connection.png'), fullPage: true });

    // The diagnostic report from the options page: the org, the policy just declared, no token.
    const report = await copyReport(options, `${card} button.report`, `${card} textarea.report-text`);
    for (const line of ['Provider: Salesforce', 'Account: ada@acme.example', 'Status: Expiring soon', 'Declared refresh token policy:']) {
      assert.ok(report.includes(line), `the report lacks ${line}:\n${report}`);
    }
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!report.includes(token), 'a token in the report');

    await popup.reload();
    await popup.waitForSelector('#connections li');
    const [row] = await rows(popup);
    assert.equal(row.status, 'Expiring soon');
    await popup.screenshot({ path: join(OUT, 'popup-expiring-soon.png') });
  } finally {
    await context.close();
  }
});
