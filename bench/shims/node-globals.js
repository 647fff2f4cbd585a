// jsforce's browser build still imports Node built-ins (events, stream, crypto,
// querystring, timers) and the browserify polyfills for them expect the
// `process` and `Buffer` globals that webpack 4 used to provide. jsforce's own
// dist/jsforce-core.js is built that way; esbuild injects these two instead.
export { default as process } from 'process/browser.js';
export { Buffer } from 'buffer';
