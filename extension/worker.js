// Tokenwatch service worker. MV3 loses an event whose listener is added after the first turn of
// the event loop, and the wasm loads asynchronously, so the listeners are registered here,
// synchronously, and each event is forwarded to Rust (src/background.rs). Nothing is logged:
// errors could carry provider text.
import { load } from './loader.js';

const tokenwatch = load();

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  tokenwatch
    .then((tw) => tw.handle_message(message, sender))
    .then(sendResponse, () =>
      sendResponse({ type: 'error', error: { code: 'internal', message: 'Tokenwatch hit an internal error; reload the extension.', field: null } }));
  return true;
});
