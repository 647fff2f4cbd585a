// The Office dialog must open on the add-in's own origin; this page then goes on to the
// provider's authorize endpoint. It only ever goes to an OAuth authorize endpoint (Salesforce's
// /services/oauth2/authorize or Microsoft's /oauth2/v2.0/authorize) over https (http only on
// the loopback simulator), so it cannot be used as an open redirect.
(() => {
  const raw = new URLSearchParams(location.search).get('to') ?? '';
  let target = null;
  try { target = new URL(raw); } catch { target = null; }
  const secure = target && (target.protocol === 'https:'
    || (target.protocol === 'http:' && target.hostname === '127.0.0.1'));
  const authorize = target && /^(\/services\/oauth2\/authorize|\/[^/]+\/oauth2\/v2\.0\/authorize)$/.test(target.pathname);
  if (secure && authorize && !target.username && !target.password) {
    location.replace(target.href);
    return;
  }
  addEventListener('DOMContentLoaded', () => {
    const m = document.getElementById('message');
    m.textContent = 'This sign-in link is not one Tokenwatch made. Close this window and start again from the Tokenwatch pane.';
    m.setAttribute('role', 'alert');
  });
})();
