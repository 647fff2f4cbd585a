// Tokens at rest: sealed in chrome.storage.local and on disk, out of content scripts' reach,
// and a lost key leads to a clean sign-in again.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { admin, connect, launch, message, newProfile, openPopup, OUT, rows, startSim, stopServiceWorker, storage } from './harness.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());
beforeEach(() => admin(sim, 'faults', {}));

const ID = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? filesUnder(path) : st.isFile() ? [path] : [];
  });
}

test('no token the simulator issued is in extension storage or anywhere in the profile on disk', async () => {
  const profile = newProfile();
  const { context, worker } = await launch(profile);
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    const stored = await storage(worker);
    assert.deepEqual(Object.keys(stored).sort(), [`conn:${ID}`, `rec:${ID}:1`]);
    // The head, signed: the generation and, readable, only when the next check is due (no
    // alert: the connection is healthy). Everything else is in the sealed record.
    const signedHead = JSON.parse(stored[`conn:${ID}`]);
    assert.deepEqual(Object.keys(signedHead).sort(), ['body', 'kid', 'nonce', 'signed', 'tag']);
    assert.equal(Buffer.from(signedHead.tag, 'base64url').length, 16, 'a 128-bit GMAC tag');
    const head = JSON.parse(signedHead.body);
    assert.deepEqual(Object.keys(head).sort(), ['gen', 'glance']);
    assert.equal(head.gen, 1);
    assert.deepEqual(Object.keys(head.glance), ['next']);
    assert.ok(Number.isInteger(head.glance.next) && head.glance.next > Date.now());
    const record = JSON.parse(stored[`rec:${ID}:1`]);
    assert.deepEqual(Object.keys(record).sort(), ['ciphertext', 'kid', 'nonce', 'v']);
    assert.equal(record.v, 1);
    assert.equal(Buffer.from(record.nonce, 'base64url').length, 12, '96-bit AES-GCM nonce');

    const tokens = await admin(sim, 'issued-tokens');
    assert.equal(tokens.length, 2, 'an access and a refresh token were issued');
    const everything = JSON.stringify(stored);
    for (const t of tokens) assert.ok(!everything.includes(t), 'a token is in chrome.storage.local');

    // The sealed record still works: a check decrypts it and uses the token.
    await popup.click(`button.check[data-id="${ID}"]`);
    assert.equal((await message(popup, /Token/)).text, 'ada@acme.example: Token valid.');
  } finally {
    await context.close();
  }

  const files = filesUnder(profile);
  const contents = files.map((f) => readFileSync(f));
  // The search does read the extension's storage files: the record's key is found in them.
  assert.ok(contents.some((c) => c.includes(`rec:${ID}:1`)), 'storage files were not found on disk');
  const tokens = await admin(sim, 'issued-tokens');
  for (const t of tokens) {
    const hits = files.filter((_, i) => contents[i].includes(t));
    assert.deepEqual(hits, [], 'a token was written to disk in clear');
  }
});

test('a content script on a web page can neither read the records nor ask the worker for them', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    const page = await context.newPage();
    const plant = encodeURIComponent(JSON.stringify({ [`conn:${ID}`]: '{"gen":1,"glance":{"parked":true}}' }));
    await page.goto(`${sim.url}/admin/health#plant=${plant}`);
    await page.waitForFunction(() => document.documentElement.dataset.tokenwatchProbe, null, { timeout: 20_000 });
    const report = JSON.parse(await page.evaluate(() => document.documentElement.dataset.tokenwatchProbe));
    assert.match(report.storage, /^denied: /, report.storage);
    assert.match(report.plant, /^denied: /, 'Chrome keeps content scripts from writing storage.local too');
    const answer = JSON.parse(report.message);
    assert.equal(answer.type, 'error');
    assert.equal(answer.error.code, 'forbidden');
  } finally {
    await context.close();
  }
});

test('a lost key turns the connection into Needs sign-in with its cause, and signing in again restores it', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    // Clearing the extension's IndexedDB destroys the key; the worker restarts without it.
    await popup.evaluate(() => new Promise((resolve, reject) => {
      const r = indexedDB.deleteDatabase('tokenwatch-keys');
      r.onsuccess = resolve; r.onerror = () => reject(r.error); r.onblocked = () => reject(new Error('blocked'));
    }));
    await stopServiceWorker(context, popup);
    await popup.reload();
    // The popup paints the list as the worker last answered it (the key was there then), and
    // draws the worker's answer over it: rows() waits for that.
    await popup.waitForSelector('#connections li');
    const [row] = await rows(popup);
    assert.equal(row.status, 'Token expired');
    assert.equal(row.detail, "The stored data could not be decrypted (the browser's encryption key for Tokenwatch was removed). It was set aside, not deleted.");
    assert.equal(row.account, 'unknown user · Org 00D5g000004AcmeEAA');
    await popup.screenshot({ path: join(OUT, 'popup-key-lost.png') });
    const quarantined = await popup.evaluate(() => chrome.storage.local.get(null)).then((all) => Object.keys(all).filter((k) => k.startsWith('quarantine:')));
    assert.deepEqual(quarantined, [`quarantine:${ID}:1`], 'the unreadable record is kept aside');

    // Signing in again to the same org replaces it under a new key.
    await connect(context, popup, sim.url, 'ada@acme.example');
    const after = await rows(popup);
    assert.equal(after.length, 1);
    assert.equal(after[0].status, 'Token valid');
  } finally {
    await context.close();
  }
});

test('a warm worker sees what another context changed in storage (its in-memory mirror forgets on storage.onChanged)', async () => {
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    const list = () => popup.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } }))
      .then((r) => r.connections.map((c) => c.username));
    // Twice: the second answer comes from the worker's mirror.
    assert.deepEqual(await list(), ['ada@acme.example']);
    assert.deepEqual(await list(), ['ada@acme.example']);
    // Waits for the worker to reflect a change it did not make (the notification of a change
    // reaches it asynchronously); a mirror that never forgot would keep the old answer.
    const until = async (want) => {
      for (let tries = 0; tries < 100; tries += 1) {
        const got = await list();
        if (JSON.stringify(got) === JSON.stringify(want)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(await list(), want);
    };
    // This page (not the worker) damages the record, then removes the head. (A damaged head
    // alone is rebuilt from the record: see the test below.)
    await popup.evaluate((key) => chrome.storage.local.set({ [key]: 'not json' }), `rec:${ID}:1`);
    await until(['unknown user']);
    await popup.evaluate((key) => chrome.storage.local.remove(key), `conn:${ID}`);
    await until([]);
  } finally {
    await context.close();
  }
});

test('what something else writes into storage.local steers nothing and loses nothing: a forged head, a planted clear record, forged settings', async () => {
  const { context, worker } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');
    const EVE = 'sf:00D5g000004AcmeEAA:0055g000004EveXEAA';
    const planted = JSON.stringify({ v: 3, id: EVE, tokens: { access: 'planted-access', refresh: 'planted-refresh' } });
    // Written as another program with the profile would (a content script cannot here:
    // Chrome restricts storage.local to the extension's own pages; Firefox does not, see
    // firefox.test.mjs).
    await popup.evaluate(([ada, eve, clear]) => chrome.storage.local.set({
      [`conn:${ada}`]: JSON.stringify({ gen: 1, glance: { parked: true, next: 4102444800000 } }),
      [`conn:${eve}`]: clear,
      'tokenwatch:settings': JSON.stringify({ microsoft_authority_host: 'https://login.evil.example', salesforce_consumer_key: 'evil' }),
    }), [ID, EVE, planted]);
    await stopServiceWorker(context, popup);

    // The forged head does not park Ada: a check reaches the org, and her history says what
    // was ignored.
    await popup.reload();
    await popup.waitForSelector(`li[data-id="${ID}"]`);
    const before = await admin(sim, 'counters');
    await popup.click(`button.check[data-id="${ID}"]`);
    assert.equal((await message(popup, /ada@acme\.example: Token/)).text, 'ada@acme.example: Token valid.');
    assert.ok((await admin(sim, 'counters')).userinfo > before.userinfo);
    const listed = await rows(popup);
    assert.equal(listed.find((r) => r.id === ID).status, 'Token valid');
    // The planted record is shown as unreadable, never sealed, and kept aside.
    const eve = listed.find((r) => r.id === EVE);
    assert.equal(eve.status, 'Token expired');
    assert.match(eve.detail, /could not be decrypted .*set aside, not deleted/);
    const stored = await storage(worker);
    assert.ok(!Object.keys(stored).some((k) => k.startsWith(`rec:${EVE}`)), 'a planted record was sealed');
    assert.equal(stored[`quarantine:${EVE}:0`], planted, 'what was planted is kept');
    assert.ok(JSON.parse(stored[`conn:${ID}`]).tag, 'Ada\'s head is the vault\'s own again');

    // The forged settings are not in force, and the options page says so.
    const answer = await popup.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'get_settings' } }));
    assert.equal(answer.settings.effective.microsoft_authority_host, `http://127.0.0.1:${(await import('./harness.mjs')).BUILD.microsoft_sim_port}`);
    assert.equal(answer.settings.effective.salesforce_consumer_key, 'tokenwatch-dev');
    assert.match(answer.settings.ignored, /changed outside Tokenwatch/);
    const options = await context.newPage();
    await options.goto(popup.url().replace('popup.html', 'options.html'));
    await options.waitForFunction(() => /changed outside Tokenwatch/.test(document.getElementById('message').textContent));
    const details = await options.waitForSelector(`section.detail[data-id="${ID}"] .history`);
    assert.match(await details.textContent(), /Stored schedule ignored/);
  } finally {
    await context.close();
  }
});
