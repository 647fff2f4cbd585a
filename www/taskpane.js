// The Outlook task pane: Office.js (loaded before this module) and the wasm, then Rust runs it.
import { load } from './loader.js';

load().then((tw) => tw.outlook_main()).catch((e) => {
  const message = document.getElementById('message');
  message.textContent = typeof e === 'string'
    ? `Tokenwatch could not start: ${e}`
    : 'Tokenwatch could not start. Close this pane and open it again from Outlook.';
  message.className = 'message error';
  message.setAttribute('role', 'alert');
});
