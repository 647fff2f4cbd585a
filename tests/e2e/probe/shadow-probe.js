// Test-build-only content script for Firefox (never shipped): WebDriver cannot enter the
// banner's closed shadow root, and Firefox lets only content scripts see it
// (`openOrClosedShadowRoot`). When the test dispatches `tokenwatch-probe-banner` on the page,
// this writes the banner's lines and the Renew button's position into the page's DOM.
document.addEventListener('tokenwatch-probe-banner', () => {
  const host = document.querySelector('[data-tokenwatch="banner"]');
  const root = host?.openOrClosedShadowRoot ?? null;
  const seen = { found: Boolean(host), mode: root?.mode ?? null, lines: [], renew: null };
  if (root) {
    seen.lines = [...root.querySelectorAll('.line')].map((line) => {
      const texts = [];
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.nodeValue.trim() !== '') texts.push(n.nodeValue.trim());
      }
      return texts.join(' ');
    });
    const renew = root.querySelector('button.renew');
    if (renew) {
      const r = renew.getBoundingClientRect();
      seen.renew = { x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2) };
    }
  }
  document.documentElement.dataset.tokenwatchBannerProbe = JSON.stringify(seen);
});
