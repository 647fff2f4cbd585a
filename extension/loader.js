// The one loader: every page and the service worker import the wasm through this file.
import init, * as tokenwatch from './tokenwatch.js';

let ready;

/** Resolves to the wasm module's exports, instantiating it once per context. */
export function load() {
  ready ??= init({ module_or_path: new URL('./tokenwatch_bg.wasm', import.meta.url) }).then(() => tokenwatch);
  return ready;
}
