// The Outlook task pane: Office.js (loaded before this module) and the wasm, then Rust runs it.
import { load } from './loader.js';
import { localize, catalogue, lookup } from './i18n.js';

// The panel's texts in Office's display language (the catalogues are served beside this page):
// the page's own at once, the wasm's through use_catalogue before it draws.
const messages = Promise.resolve(globalThis.Office?.onReady?.())
  .then(() => catalogue(globalThis.Office?.context?.displayLanguage));
messages.then((m) => localize(document, lookup(m))).catch(() => {});

load().then((tw) => messages.catch(() => null).then((m) => {
  if (m) tw.use_catalogue(m);
  return tw.outlook_main();
})).catch((e) => {
  const message = document.getElementById('message');
  message.textContent = typeof e === 'string'
    ? `Tokenwatch could not start: ${e}`
    : 'Tokenwatch could not start. Close this pane and open it again from Outlook.';
  message.className = 'message error';
  message.setAttribute('role', 'alert');
});
