// The in-mail banner: on a page standing in for Outlook on the web (the test build adds it to
// the banner's matches), a connection that needs the person shows as one line with Renew, inside
// a closed shadow root the page cannot read; Renew opens the sign-in and the line goes away.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { admin, connect, launch, newProfile, openPopup, OUT, signIn, startSim } from './harness.mjs';
import { inBothSchemes } from './axe.mjs';

let sim;
before(async () => { sim = await startSim(); });
after(() => sim?.stop());

const ADA = 'sf:00D5g000004AcmeEAA:0055g000004AdaXEAA';

/** Every node under `n` of a DevTools DOM tree (shadow roots included), `n` first. */
const walk = (n, out = []) => {
  out.push(n);
  for (const c of [...(n.children ?? []), ...(n.shadowRoots ?? [])]) walk(c, out);
  return out;
};
/** A DevTools node's attributes (a flat name, value list) as an object. */
const attrs = (n) => Object.fromEntries((n.attributes ?? []).reduce((a, v, i, all) => (i % 2 ? a : [...a, [v, all[i + 1]]]), []));

/** The banner's closed shadow root as the DevTools protocol sees it (page scripts and
 *  Playwright's locators cannot enter a closed root): its type, its text, and a way to click a
 *  button in it with a real (trusted) mouse click. */
async function banner(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const host = walk(root).find((n) => attrs(n)['data-tokenwatch'] === 'banner');
    if (!host) return null;
    const shadow = host.shadowRoots?.[0];
    const nodes = shadow ? walk(shadow) : [];
    const text = (n) => walk(n).filter((x) => x.nodeType === 3).map((x) => x.nodeValue).join(' ');
    const lines = nodes.filter((n) => (attrs(n).class ?? '').split(' ').includes('line')).map(text);
    const buttonNode = (cls) => nodes.find((n) => n.nodeName === 'BUTTON' && (attrs(n).class ?? '').split(' ').includes(cls));
    return {
      type: shadow?.shadowRootType,
      lines,
      async click(cls) {
        const c2 = await page.context().newCDPSession(page);
        const { root: r } = await c2.send('DOM.getDocument', { depth: -1, pierce: true });
        const b = walk(r).find((n) => n.nodeName === 'BUTTON' && (attrs(n).class ?? '').split(' ').includes(cls));
        const { model } = await c2.send('DOM.getBoxModel', { backendNodeId: b.backendNodeId });
        const [x1, y1, , , x3, y3] = model.content;
        await c2.detach();
        await page.mouse.click((x1 + x3) / 2, (y1 + y3) / 2);
      },
      has: (cls) => Boolean(buttonNode(cls)),
    };
  } finally {
    await cdp.detach();
  }
}

/** axe-core cannot enter a closed shadow root, so the banner is checked as a copy: its
 *  shadow root's markup and style (read through DevTools) in an open root on the same page,
 *  the host styled as the banner's host is. Returns the copy's violations, light and dark. */
async function bannerViolations(page) {
  const cdp = await page.context().newCDPSession(page);
  let html = '';
  let hostStyle = '';
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const host = walk(root).find((n) => attrs(n)['data-tokenwatch'] === 'banner');
    hostStyle = attrs(host).style ?? '';
    for (const child of host.shadowRoots[0].children ?? []) {
      html += (await cdp.send('DOM.getOuterHTML', { backendNodeId: child.backendNodeId })).outerHTML;
    }
  } finally {
    await cdp.detach();
  }
  assert.ok(html.includes('<style'), 'the copy carries the banner\'s own style');
  await page.evaluate(({ html, hostStyle }) => {
    const copy = document.createElement('div');
    copy.id = 'banner-copy';
    copy.style.cssText = hostStyle;
    copy.attachShadow({ mode: 'open' }).innerHTML = html;
    document.body.append(copy);
  }, { html, hostStyle });
  try {
    return await inBothSchemes(page, page, 'banner (open copy)');
  } finally {
    await page.evaluate(() => document.getElementById('banner-copy').remove());
  }
}

test('the banner on Outlook on the web names who needs a sign-in, never a token, and its Renew works', async () => {
  await admin(sim, 'faults', {});
  const { context } = await launch(newProfile());
  try {
    const popup = await openPopup(context);
    await connect(context, popup, sim.url, 'ada@acme.example');

    const mail = await context.newPage();
    // The page tries to switch the banner off the way the first build's guard allowed.
    await mail.addInitScript(() => { document.documentElement.dataset.tokenwatchBanner = '1'; });
    await mail.goto(`${sim.url}/outlook/mail/`);
    await mail.waitForTimeout(1500);
    assert.equal(await mail.$('[data-tokenwatch="banner"]'), null, 'no banner while every connection renews silently');

    await admin(sim, 'revoke-user', 'username=ada%40acme.example');
    await popup.click(`button.check[data-id="${ADA}"]`);
    await popup.waitForFunction(() => document.querySelector('.status-title')?.textContent === 'Token expired');

    await mail.reload();
    await mail.waitForSelector('[data-tokenwatch="banner"]');
    // The page sees only the host element: the shadow root is closed.
    assert.equal(await mail.$eval('[data-tokenwatch="banner"]', (h) => h.shadowRoot), null);
    const html = await mail.content();
    for (const token of await admin(sim, 'issued-tokens')) assert.ok(!html.includes(token));
    const seen = await banner(mail);
    assert.equal(seen.type, 'closed');
    assert.equal(seen.lines.length, 1);
    assert.match(seen.lines[0], /Salesforce · ada@acme\.example\s+Token expired\s+Renew/);
    await mail.screenshot({ path: join(OUT, 'banner-outlook-standin.png') });
    // Accessibility: no WCAG 2.2 A/AA violation in the banner (or the stand-in page), light and
    // dark.
    assert.deepEqual(await bannerViolations(mail), []);

    const window = context.waitForEvent('page', { timeout: 20_000 });
    await seen.click('renew');
    const login = await window;
    await login.waitForSelector('#username');
    await signIn(login, 'ada@acme.example', 'tokenwatch');
    let after;
    for (let i = 0; i < 20; i++) {
      after = await banner(mail);
      if (after?.lines.some((l) => l.includes('Renewed.'))) break;
      await mail.waitForTimeout(500);
    }
    assert.deepEqual(after.lines, ['Renewed. Every connection renews silently again. ×']);
    await popup.reload();
    await popup.waitForFunction(() => document.querySelector('.status-title')?.textContent === 'Token valid');
  } finally {
    await context.close();
  }
});
