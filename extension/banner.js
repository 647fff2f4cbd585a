// Tokenwatch's in-mail banner for Outlook on the web. A content script: it never sees a token.
// It asks the service worker for the banner lines (who needs a sign-in, nothing more) and shows
// them at the top of the page inside a closed shadow root, so the page can neither style nor
// read it. Renew asks the worker to open the provider's sign-in; only a real click can.
// Plain JavaScript on purpose: loading the wasm into every Outlook tab would cost far more
// than these lines.
(() => {
  // One banner per page. The guard lives in this script's own world, which the page cannot
  // reach: a DOM attribute would let the page switch the banner off.
  if (window.top !== window || globalThis.tokenwatchBannerShown) return;
  globalThis.tokenwatchBannerShown = true;
  const t = (key, subs) => chrome.i18n.getMessage(key, subs) || key;

  const host = document.createElement('div');
  host.setAttribute('data-tokenwatch', 'banner');
  host.style.cssText = 'all:initial;position:fixed;top:0;left:0;right:0;z-index:2147483647;';
  const root = host.attachShadow({ mode: 'closed' });
  const style = document.createElement('style');
  style.textContent = `
    .bar{font:13px/1.4 system-ui,sans-serif;background:#fff4ce;color:#3b2f00;border-bottom:1px solid #e0c36b;
         padding:6px 12px;display:flex;flex-direction:column;gap:4px}
    .bar.error{background:#fde7e9;color:#5f0b12;border-color:#e8a5ac}
    .line{display:flex;align-items:center;gap:8px;flex-wrap:wrap}
    .line b{font-weight:600}
    button{font:inherit;padding:2px 10px;border-radius:4px;border:1px solid currentColor;background:transparent;color:inherit;cursor:pointer}
    button:focus-visible{outline:2px solid #0b5cab;outline-offset:1px}
    .close{margin-left:auto}
    @media (prefers-color-scheme: dark){.bar{background:#3b2f00;color:#fff4ce}.bar.error{background:#5f0b12;color:#fde7e9}}`;
  const bar = document.createElement('div');
  bar.setAttribute('role', 'region');
  bar.setAttribute('aria-label', t('bannerLabel'));
  root.append(style, bar);
  let dismissed = false;

  const PROVIDERS = { salesforce: 'Salesforce', microsoft: 'Microsoft' };
  // A failure's words in the person's language: its catalogue messages, or its English.
  const words = (error) => {
    const parts = (error.said ?? []).map((s) => chrome.i18n.getMessage(s.key, s.args));
    return parts.length && parts.every(Boolean) ? parts.join(' ') : error.message;
  };
  const ask = (request) => chrome.runtime.sendMessage({ v: 2, request }).catch(() => null);

  function render(items, note) {
    bar.replaceChildren();
    if (dismissed || (!items.length && !note)) { host.remove(); return; }
    bar.className = items.some((i) => i.title === 'Token expired') ? 'bar error' : 'bar';
    for (const item of items) {
      const line = document.createElement('div');
      line.className = 'line';
      const who = document.createElement('b');
      who.textContent = `${PROVIDERS[item.provider] ?? ''} · ${item.username}`;
      const what = document.createElement('span');
      // The status in the person's language (the worker sends its catalogue message).
      const title = (item.said && chrome.i18n.getMessage(item.said.key, item.said.args)) || item.title;
      what.textContent = item.by
        ? t('bannerBy', [title, new Date(item.by).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })])
        : title;
      const renew = document.createElement('button');
      renew.type = 'button';
      renew.className = 'renew';
      renew.dataset.id = item.id;
      renew.textContent = t('bannerRenew');
      renew.setAttribute('aria-label', t('bannerRenewFor', [item.username]));
      line.append(who, what, renew);
      bar.append(line);
    }
    if (note) {
      const line = document.createElement('div');
      line.className = 'line note';
      line.setAttribute('role', 'status');
      line.textContent = note;
      bar.append(line);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'close';
    close.textContent = '×';
    close.setAttribute('aria-label', t('bannerClose'));
    bar.firstChild?.append(close);
    if (!host.isConnected) document.documentElement.append(host);
  }

  bar.addEventListener('click', async (event) => {
    if (!event.isTrusted) return;
    const button = event.target.closest('button');
    if (!button) return;
    if (button.classList.contains('close')) { dismissed = true; render([]); return; }
    const id = button.dataset.id;
    if (!id) return;
    button.disabled = true;
    const answer = await ask({ type: 'sign_in_again', id });
    if (answer?.type === 'banner') render(answer.items, answer.items.length ? '' : t('bannerAllGood'));
    else if (answer?.type === 'error') { await refresh(words(answer.error)); }
    else await refresh();
  });

  async function refresh(note = '') {
    const answer = await ask({ type: 'banner_status' });
    render(answer?.type === 'banner' ? answer.items : [], note);
  }

  refresh();
  setInterval(refresh, 5 * 60 * 1000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
})();
