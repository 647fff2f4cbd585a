// The Office dialog must open on the add-in's own origin; this page then goes on to the
// provider's authorize endpoint. The authorize URL arrives in the fragment (`#to=…`), which
// browsers never send to the server, so its `state`, `nonce` and PKCE challenge stay out of the
// add-in host's logs; it is taken off the address bar and the history at once. The page goes
// only to an OAuth authorize endpoint on a sign-in host this add-in allows — Salesforce's
// (`*.salesforce.com`, `*.force.com`), Microsoft's in every cloud, and the hosts in its
// `config.json` — over https (http only on the loopback simulator), so it is no open redirect.
(async () => {
  const say = (text) => {
    const show = () => {
      const m = document.getElementById('message');
      m.textContent = text;
      m.setAttribute('role', 'alert');
    };
    if (document.readyState === 'loading') addEventListener('DOMContentLoaded', show);
    else show();
  };
  const raw = new URLSearchParams(location.hash.slice(1)).get('to') ?? '';
  history.replaceState(null, '', location.pathname);
  let target = null;
  try { target = new URL(raw); } catch { target = null; }
  if (!target) {
    say('This sign-in link is not one Tokenwatch made. Close this window and start again from the Tokenwatch pane.');
    return;
  }
  // Microsoft's sign-in hosts in each cloud (core/tests/outlook_hosts.rs pins this list to the
  // core's table).
  const MICROSOFT = [
    'login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net',
    'login.microsoftonline.us', 'login.usgovcloudapi.net',
    'login.partner.microsoftonline.cn', 'login.chinacloudapi.cn',
  ];
  const salesforce = (host) => host === 'salesforce.com' || host.endsWith('.salesforce.com')
    || host.endsWith('.force.com');
  let configured = [];
  try {
    const config = await (await fetch(new URL('../config.json', location.href), { cache: 'no-store' })).json();
    configured = [config?.default_login_host, config?.salesforce?.production_host, config?.salesforce?.sandbox_host, config?.microsoft?.authority_host]
      .filter((h) => typeof h === 'string')
      .map((h) => { try { return new URL(h.includes('://') ? h : `https://${h}`).origin; } catch { return null; } })
      .filter(Boolean);
  } catch { configured = []; }

  const loopback = target.protocol === 'http:' && target.hostname === '127.0.0.1';
  const secure = target.protocol === 'https:' || loopback;
  const salesforcePath = target.pathname === '/services/oauth2/authorize';
  const microsoftPath = /^\/[^/]+\/oauth2\/v2\.0\/authorize$/.test(target.pathname);
  const known = configured.includes(target.origin)
    ? salesforcePath || microsoftPath
    : target.protocol === 'https:' && !target.port
      && ((salesforce(target.hostname) && salesforcePath) || (MICROSOFT.includes(target.hostname) && microsoftPath));
  if (secure && known && !target.username && !target.password) {
    location.replace(target.href);
    return;
  }
  say(`This sign-in goes to ${target.host}, which is not a sign-in host this add-in allows (Salesforce's, Microsoft's, or one in its configuration). Close this window.`);
})();
