// The headless demo: adds a Salesforce org and a Microsoft 365 account through the simulator's
// login (and consent) pages, saves the popup to $TOKENWATCH_OUT/popup.png and prints the
// connections with their status; then the Outlook add-in in the dev host page (the stand-in for
// Outlook): an org connected through the Office dialog, revoked at the simulator, its in-mail
// banner, and Renew ($TOKENWATCH_OUT/outlook.png). `cargo xtask demo --headless` runs it with
// the simulator already listening.
import { join } from 'node:path';
import { launch, newProfile, openPopup, OUT, rows, signIn, startAdd, message } from './harness.mjs';
import { serveAddin } from '../outlook/serve.mjs';

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
  console.log('6. Signed in and accepted the permissions (openid profile offline_access User.Read: Microsoft Graph).');
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
  await outlookTour(context);
} finally {
  await context.close();
}

/** The Outlook add-in's side panel and banners, in the dev host page. */
async function outlookTour(context) {
  const served = await serveAddin({ addinPort: Number(process.env.TOKENWATCH_ADDIN_PORT ?? 17401), hostPort: Number(process.env.TOKENWATCH_HOST_PORT ?? 17400) });
  try {
    const host = await context.newPage();
    await host.setViewportSize({ width: 1280, height: 760 });
    await host.goto(served.hostPage());
    const pane = await (await host.waitForSelector('#taskpane')).contentFrame();
    await pane.waitForSelector('#add-salesforce');
    console.log(`8. Outlook add-in: the dev host page (a stand-in for Outlook on the web) shows the task pane from ${served.addin}.`);
    await pane.selectOption('#sf-host-kind', 'custom');
    await pane.fill('#sf-host', simUrl);
    const dialog = context.waitForEvent('page', { timeout: 20_000 });
    await pane.click('#add-salesforce');
    const login = await dialog;
    await login.waitForSelector('#username');
    await signIn(login, 'grace@globex.example', 'tokenwatch');
    console.log(`9. Office dialog sign-in as grace@globex.example: ${(await message(pane, /Connected|failed|refused|could not/)).text}`);
    await fetch(`${simUrl}/admin/revoke-user`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=grace@globex.example' });
    await pane.click('button.check');
    await message(pane, /Token expired|failed/);
    await host.waitForFunction(() => window.tokenwatchDev.banners().length === 1, null, { timeout: 20_000 });
    const [banner] = await host.evaluate(() => window.tokenwatchDev.banners());
    console.log(`10. The simulator revoked grace's access; Check now → banner on the mail: "${banner.message}"`);
    await host.screenshot({ path: join(OUT, 'outlook.png') });
    const renew = context.waitForEvent('page', { timeout: 20_000 });
    await pane.click('button.renew');
    const again = await renew;
    await again.waitForSelector('#username');
    await signIn(again, 'grace@globex.example', 'tokenwatch');
    await message(pane, /Token valid/);
    await host.waitForFunction(() => window.tokenwatchDev.banners().length === 0, null, { timeout: 20_000 });
    console.log('11. Sign in again in the dialog → Token valid, and the banner is gone.');
  } finally {
    served.stop();
  }
}
