// The benchmark's floor for Tokenwatch's service worker (extension/worker.js): the smallest
// wasm-bindgen module (bench/noop), loaded through the same kind of glue and started the same
// way, with the same marks. Not part of the product.
import init, * as noop from './noop.js';

const mark = (name) => { try { performance.mark(name); } catch { /* no timeline: no marks */ } };
init({ module_or_path: new URL('./noop_bg.wasm', import.meta.url) })
  .then(() => { mark('tokenwatch:wasm'); return noop.on_start(); })
  .then(() => mark('tokenwatch:ready'))
  .catch(() => {});
