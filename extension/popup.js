import { load } from './loader.js';
import { localize, extensionMessage } from './i18n.js';

// The page's own texts in the person's language, before anything is drawn.
localize(document, extensionMessage);

// Read while the wasm loads: the list as the worker last answered it (src/known.rs keeps it in
// chrome.storage.session under this key) for the first paint, and the build's configuration.
const KNOWN = 'tokenwatch:known';
const known = chrome.storage.session.get(KNOWN).then((items) => items[KNOWN]).catch(() => undefined);
const configText = fetch(new URL('./config.json', import.meta.url))
  .then((r) => (r.ok ? r.text() : null))
  .catch(() => null);
// A mark (a name and a time) lets `cargo xtask bench` tell the wasm's load from the drawing.
const mark = (name) => { try { performance.mark(name); } catch { /* no timeline: no marks */ } };

load().then((tw) => {
  mark('tokenwatch:wasm');
  tw.use_config_text(configText);
  return tw.popup_main(known);
}).catch(() => {
  const message = document.getElementById('message');
  message.textContent = 'Tokenwatch could not start. Reload the extension from chrome://extensions.';
  message.className = 'message error';
});
