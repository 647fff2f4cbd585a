// An administrator's policy in a real Chromium: the test writes a platform policy file
// (`3rdparty.extensions.<id>`, Chromium's managed-storage policy for one extension) into this
// machine's policy directory, for a copy of the test build with an id of its own (so no other
// test ever runs under it, even if a run is killed before the file is removed), and removes it
// afterwards. Chromium reads the directory at start and watches it: a changed file reaches
// `chrome.storage.managed` (and `storage.onChanged`) within seconds, without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXTENSION, launch, newProfile } from './harness.mjs';

const POLICY_DIR = process.env.TOKENWATCH_POLICY_DIR ?? '/etc/chromium/policies/managed';
const POLICY_FILE = join(POLICY_DIR, 'tokenwatch-e2e.json');

/** A copy of the test build under a fresh key: returns its directory and extension id. */
function copyWithOwnId() {
  const dir = join(mkdtempSync(join(tmpdir(), 'tokenwatch-policy-')), 'chrome');
  cpSync(EXTENSION, dir, { recursive: true });
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'spki', format: 'der' });
  // Chromium's id: the first 128 bits of the key's SHA-256, each hex digit as a letter a–p.
  const id = [...createHash('sha256').update(der).digest('hex').slice(0, 32)]
    .map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  manifest.key = der.toString('base64');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return { dir, id };
}

function writePolicy(id, values) {
  writeFileSync(POLICY_FILE, JSON.stringify({ '3rdparty': { extensions: { [id]: values } } }));
}

function policyDirWritable() {
  try {
    mkdirSync(POLICY_DIR, { recursive: true });
    accessSync(POLICY_DIR, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const field = (page, id) => page.$eval(`#${id}`, (input) => ({
  value: input.value,
  disabled: input.disabled,
  locked: document.querySelector(`label[for="${input.id}"] .locked`)?.textContent ?? null,
  error: document.getElementById(`err-${input.id}`)?.textContent ?? '',
}));

test('a policy is applied and locked in the options page, a value it locks is refused, and a new policy is picked up without a restart', {
  skip: policyDirWritable() ? false : `needs write access to ${POLICY_DIR} (run as root, as CI does)`,
}, async () => {
  const { dir, id } = copyWithOwnId();
  writePolicy(id, { microsoft_tenant: 'contoso.onmicrosoft.com', schedule: { check_interval_s: 3600 } });
  const { context } = await launch(newProfile(), dir, id);
  try {
    const options = await context.newPage();
    await options.goto(`chrome-extension://${id}/options.html`);
    await options.waitForFunction(() => document.getElementById('microsoft_tenant').value !== '', null, { timeout: 20_000 });

    // Applied and locked.
    const tenant = await field(options, 'microsoft_tenant');
    assert.equal(tenant.value, 'contoso.onmicrosoft.com');
    assert.equal(tenant.disabled, true);
    assert.match(tenant.locked, /Set by your administrator/);
    const interval = await field(options, 'check_interval');
    assert.equal(interval.value, '60', 'an hour, shown in minutes');
    assert.equal(interval.disabled, true);
    assert.equal(await options.$eval('#locked-note', (n) => n.hidden), false);
    const own = await field(options, 'microsoft_client_id');
    assert.equal(own.disabled, false, 'what the policy does not set stays the person\'s');

    // A value the policy sets cannot be changed, even by a request the page did not build.
    const refused = await options.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'save_settings', values: { microsoft_tenant: 'common' } } }));
    assert.equal(refused.type, 'invalid', JSON.stringify(refused));
    assert.match(JSON.stringify(refused.errors), /microsoft_tenant/);
    assert.match(JSON.stringify(refused.errors), /administrator's policy sets this field/);
    const view = await options.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'get_settings' } }));
    assert.equal(view.settings.own.microsoft_tenant ?? null, null, 'nothing of the refused request was stored');

    // The policy changes (a tenant Tokenwatch refuses; the timing no longer set): the open page
    // and the worker follow without a reload or a restart.
    writePolicy(id, { microsoft_tenant: 'not a tenant!' });
    await options.waitForFunction(() => document.getElementById('microsoft_tenant').value === 'not a tenant!', null, { timeout: 30_000 });
    await options.waitForFunction(() => /administrator's policy sets a value Tokenwatch refuses/.test(document.getElementById('message').textContent), null, { timeout: 10_000 });
    const bad = await field(options, 'microsoft_tenant');
    assert.equal(bad.disabled, true);
    assert.notEqual(bad.error, '', 'the refusal is shown next to the field');
    const freed = await field(options, 'check_interval');
    assert.equal(freed.disabled, false, 'a field the policy no longer sets is the person\'s again');
    assert.equal(freed.locked, null);
    // The worker runs with it: Microsoft 365 stays off and says why, rather than falling back
    // to the build's tenant.
    const add = await options.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'add_microsoft', account: {} } }));
    assert.equal(add.type, 'error', JSON.stringify(add));
    assert.match(add.error.message, /administrator's policy/);
  } finally {
    rmSync(POLICY_FILE, { force: true });
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
