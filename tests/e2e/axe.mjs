// axe-core (Deque's accessibility engine, npm) run inside a page or frame: every violation of
// WCAG 2.0, 2.1 and 2.2 at levels A and AA, as a short readable list. The engine is put into the
// page through DevTools, which the extension pages' CSP does not govern; nothing of it ships.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** The rule tags that make up WCAG 2.2 level AA. */
export const WCAG22AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

/** The violations in `target` (a Playwright page or frame), each `rule: element — why`. */
export async function violations(target, { include = 'document' } = {}) {
  if (!(await target.evaluate(() => typeof globalThis.axe === 'object'))) await target.evaluate(AXE);
  return target.evaluate(async ({ tags, include }) => {
    const context = include === 'document' ? document : include;
    const result = await globalThis.axe.run(context, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ').slice(0, 300)}`));
  }, { tags: WCAG22AA, include });
}

/** The violations in `target` in the light and in the dark colour scheme (`page` switches it). */
export async function inBothSchemes(page, target, label) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    for (const v of await violations(target)) found.push(`${label}, ${colorScheme}: ${v}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  return found;
}
