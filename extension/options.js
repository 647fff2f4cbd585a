import { load } from './loader.js';

load().then((tw) => tw.options_main()).catch(() => {
  const message = document.getElementById('message');
  message.textContent = 'Tokenwatch could not start. Reload the extension from chrome://extensions.';
  message.className = 'message error';
});
