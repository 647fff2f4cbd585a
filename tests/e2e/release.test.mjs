// The release build as a person installs it: Chromium loads it with no install warning, no
// manifest error and no runtime error, and it asks for the providers' hosts only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { EXTENSION, EXTENSION_ID, launch, newProfile } from './harness.mjs';

const RELEASE = process.env.TOKENWATCH_RELEASE_EXTENSION ?? join(EXTENSION, '../../chrome');

test('the release build loads in Chromium without a warning and asks for the providers\' hosts only', async () => {
  const manifest = JSON.parse(readFileSync(join(RELEASE, 'manifest.json'), 'utf8'));
  assert.deepEqual(manifest.host_permissions, ['https://*.salesforce.com/*', 'https://*.force.com/*', 'https://login.microsoftonline.com/*', 'https://graph.microsoft.com/*', 'https://outlook.office365.com/*']);
  assert.deepEqual(manifest.externally_connectable, { ids: [] });
  const { context, worker } = await launch(newProfile(), RELEASE);
  try {
    const page = await context.newPage();
    await page.goto('chrome://extensions');
    // chrome://extensions reads the same report through its private API.
    const info = await page.evaluate(() => new Promise((resolve) =>
      chrome.developerPrivate.getExtensionsInfo({ includeDisabled: true, includeTerminated: true }, resolve)));
    const ours = info.find((e) => e.id === EXTENSION_ID);
    assert.ok(ours, 'loaded');
    assert.equal(ours.name, 'Tokenwatch');
    assert.deepEqual(ours.installWarnings, []);
    assert.deepEqual(ours.manifestErrors, []);
    assert.deepEqual(ours.runtimeErrors, []);
    // Started: the worker answers, and without a configured key says so plainly.
    assert.equal(await worker.evaluate(() => chrome.runtime.getManifest().name), 'Tokenwatch');
  } finally {
    await context.close();
  }
});
