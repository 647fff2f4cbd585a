// The pages' loader: the popup, the options page and the Outlook task pane import their wasm
// through this file (the service worker loads its own, in worker.js).
import init, * as tokenwatch from './tokenwatch.js';

let ready;

/** Resolves to the wasm module's exports, instantiating it once per context. */
export function load() {
  ready ??= init({ module_or_path: new URL('./tokenwatch_bg.wasm', import.meta.url) }).then(() => tokenwatch);
  return ready;
}
