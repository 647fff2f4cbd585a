// The headless demo: adds a Salesforce org and a Microsoft 365 account through the simulator's
// login (and consent) pages,
// saves the popup to $TOKENWATCH_OUT/popup.png and prints the connections with their status.
// `cargo xtask demo --headless` runs it with the simulator already listening.
import { join } from 'node:path';
import { launch, newProfile, openPopup, OUT, rows, signIn, startAdd, message } from './harness.mjs';

const simUrl = process.env.TOKENWATCH_SIM_URL;
if (!simUrl) {
  console.error('TOKENWATCH_SIM_URL is not set: run this through `cargo xtask demo --headless`');
  process.exit(2);
}

const { context } = await launch(newProfile());
try {
  const popup = await openPopup(context);
  console.log(`1. Popup open; login host prefilled with the simulator (${simUrl}).`);
  const login = await startAdd(context, popup, simUrl);
  console.log('2. "Add Salesforce org" opened the simulator\'s login page through chrome.identity.launchWebAuthFlow.');
  await signIn(login, 'ada@acme.example', 'tokenwatch');
  console.log('3. Typed ada@acme.example and the demo password into the login form and submitted it.');
  console.log(`4. ${(await message(popup, /Connected|failed|refused|unexpected/)).text}`);
  const msWindow = context.waitForEvent('page', { timeout: 20_000 });
  await popup.click('#add-microsoft');
  const msLogin = await msWindow;
  await msLogin.waitForSelector('#username');
  console.log('5. "Add Microsoft 365 account" opened the simulator\'s Microsoft sign-in (single-page-app registration).');
  await signIn(msLogin, 'ada@acme.example', 'tokenwatch');
  await msLogin.waitForSelector('#Accept');
  await msLogin.click('#Accept');
  console.log('6. Signed in and accepted the permissions (openid profile offline_access EWS.AccessAsUser.All).');
  await popup.waitForFunction(() => document.querySelectorAll('#connections li').length === 2 || document.getElementById('message').className.includes('error'), null, { timeout: 20_000 });
  console.log(`7. ${await popup.$eval('#message', (m) => m.textContent)}`);
  await popup.screenshot({ path: join(OUT, 'popup.png') });
  const table = await rows(popup);
  const widths = [10, 36, 52, 12];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' ').trimEnd();
  console.log('\n' + line(['PROVIDER', 'ORG', 'ACCOUNT', 'STATUS']));
  for (const r of table) console.log(line([r.id.startsWith('ms:') ? 'Microsoft' : 'Salesforce', r.label, r.account, r.status]));
  console.log('');
  if (table.length !== 2 || !table.every((r) => r.status === 'Token valid')) {
    console.error('demo: not every connection reached Token valid');
    process.exitCode = 1;
  }
} finally {
  await context.close();
}
