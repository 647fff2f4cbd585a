// The provider's redirect lands here (auth/salesforce.html, auth/microsoft.html). The page
// hands its own URL, which carries the authorization response, to the task pane and nothing
// else: in a hidden frame (silent renewal) by postMessage to the pane on this exact origin,
// in the Office dialog by messageParent. The pane checks the origin; the engine checks the
// redirect URL and the state, and redeems the code with the PKCE verifier only it holds.
(() => {
  const url = location.href;
  // The authorization code leaves the address bar and the history at once: nothing after this
  // line (a reload, the Back button, a screenshot of the address) shows it again.
  history.replaceState(null, '', location.pathname);
  const done = (text) => {
    const m = document.getElementById('message');
    if (m) m.textContent = text;
  };
  if (window.parent !== window) {
    window.parent.postMessage({ type: 'tokenwatch:callback', url }, location.origin);
    return;
  }
  if (typeof Office === 'undefined') {
    addEventListener('DOMContentLoaded', () => done('Open this sign-in from the Tokenwatch pane in Outlook.'));
    return;
  }
  Office.onReady().then(() => {
    Office.context.ui.messageParent(url);
    addEventListener('DOMContentLoaded', () => done('Signed in. You can close this window.'));
  });
})();
