// Tokenwatch service worker. MV3 loses an event whose listener is added after the first turn of
// the event loop, and the wasm loads asynchronously, so the listeners are registered here,
// synchronously, and each event is forwarded to Rust (src/background.rs). Nothing is logged:
// errors could carry provider text.
// The worker has a wasm of its own (the engine, the vault, oauth2); the pages load a smaller
// one through loader.js.
import init, * as worker from './tokenwatch_worker.js';

// The build's configuration is fetched beside the wasm rather than after it: the engine's first
// start needs both. A failed fetch hands over nothing and the engine fetches it itself.
const configText = fetch(new URL('./config.json', import.meta.url))
  .then((r) => (r.ok ? r.text() : null))
  .catch(() => null);
const tokenwatch = init({ module_or_path: new URL('./tokenwatch_worker_bg.wasm', import.meta.url) }).then(() => {
  worker.use_config_text(configText);
  return worker;
});

// Performance marks (names and times only) let `cargo xtask bench` read how long a start takes
// to the wasm instantiated and to an engine ready with badge and alarm set, and how long each
// alarm takes to handle (`tokenwatch:alarm:<name>`; the schedule's is `tokenwatch-tick`).
const mark = (name) => { try { performance.mark(name); } catch { /* no timeline: no marks */ } };

// Alarms, notification buttons and every start of the worker re-create the schedule.
chrome.alarms.onAlarm.addListener((alarm) => {
  const start = performance.now();
  tokenwatch.then((tw) => tw.on_alarm(alarm.name))
    .then(() => performance.measure(`tokenwatch:alarm:${alarm.name}`, { start, end: performance.now() }))
    .catch(() => {});
});
// Every change to the stored records, by this worker or anything else, makes the worker's
// in-memory mirror of them read those keys again (only the keys cross, never a value).
chrome.storage.onChanged.addListener((changes, area) => {
  // The administrator's policy changed: the engine starts again with it (no restart needed).
  if (area === 'managed') {
    tokenwatch.then((tw) => tw.on_policy_changed()).catch(() => {});
    return;
  }
  if (area !== 'local') return;
  const keys = Object.keys(changes);
  tokenwatch.then((tw) => tw.on_storage_changed(keys)).catch(() => {});
});
chrome.notifications.onButtonClicked.addListener((id, button) => {
  tokenwatch.then((tw) => tw.on_notification_button(id, button)).catch(() => {});
});
tokenwatch.then((tw) => { mark('tokenwatch:wasm'); return tw.on_start(); }).then(() => mark('tokenwatch:ready')).catch(() => {});

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  tokenwatch
    .then((tw) => tw.handle_message(message, sender))
    .then(sendResponse, () =>
      sendResponse({ type: 'error', error: { code: 'internal', message: 'Tokenwatch hit an internal error; reload the extension.', field: null } }));
  return true;
});
