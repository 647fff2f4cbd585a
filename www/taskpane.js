// The Outlook task pane: Office.js (loaded before this module) and the wasm, then Rust runs it.
import { load } from './loader.js';
import { localize, catalogue } from './i18n.js';

// The panel's texts in Office's display language (the catalogue is served beside this page).
Promise.resolve(globalThis.Office?.onReady?.())
  .then(() => catalogue(globalThis.Office?.context?.displayLanguage))
  .then((message) => localize(document, message))
  .catch(() => {});

load().then((tw) => tw.outlook_main()).catch((e) => {
  const message = document.getElementById('message');
  message.textContent = typeof e === 'string'
    ? `Tokenwatch could not start: ${e}`
    : 'Tokenwatch could not start. Close this pane and open it again from Outlook.';
  message.className = 'message error';
  message.setAttribute('role', 'alert');
});
