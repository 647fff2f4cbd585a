// Tokenwatch service worker. MV3 loses an event whose listener is added after the first turn of
// the event loop, and the wasm loads asynchronously, so the listeners are registered here,
// synchronously, and each event is forwarded to Rust (src/background.rs). Nothing is logged:
// errors could carry provider text.
import { load } from './loader.js';

const tokenwatch = load();

// Alarms, notification buttons and every start of the worker re-create the schedule.
chrome.alarms.onAlarm.addListener((alarm) => { tokenwatch.then((tw) => tw.on_alarm(alarm.name)).catch(() => {}); });
chrome.notifications.onButtonClicked.addListener((id, button) => {
  tokenwatch.then((tw) => tw.on_notification_button(id, button)).catch(() => {});
});
tokenwatch.then((tw) => tw.on_start()).catch(() => {});

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  tokenwatch
    .then((tw) => tw.handle_message(message, sender))
    .then(sendResponse, () =>
      sendResponse({ type: 'error', error: { code: 'internal', message: 'Tokenwatch hit an internal error; reload the extension.', field: null } }));
  return true;
});
