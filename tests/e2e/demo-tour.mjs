// The headless demo: adds a Salesforce org through the simulator's login form, checks it,
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
  await popup.screenshot({ path: join(OUT, 'popup.png') });
  const table = await rows(popup);
  const widths = [10, 36, 52, 12];
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join(' ').trimEnd();
  console.log('\n' + line(['PROVIDER', 'ORG', 'ACCOUNT', 'STATUS']));
  for (const r of table) console.log(line(['Salesforce', r.label, r.account, r.status]));
  console.log('');
  if (!table.some((r) => r.status === 'Token valid')) {
    console.error('demo: no connection reached Token valid');
    process.exitCode = 1;
  }
} finally {
  await context.close();
}
