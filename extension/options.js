import { load } from './loader.js';
import { localize, extensionMessage } from './i18n.js';

localize(document, extensionMessage);

load().then((tw) => {
  // A change of the administrator's policy is shown at once, without reloading the page.
  chrome.storage.onChanged.addListener((_changes, area) => {
    if (area === 'managed') tw.options_policy_changed().catch(() => {});
  });
  return tw.options_main();
}).catch(() => {
  const message = document.getElementById('message');
  message.textContent = 'Tokenwatch could not start. Reload the extension from chrome://extensions.';
  message.className = 'message error';
});
