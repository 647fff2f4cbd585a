// Serves the dev build of the Outlook add-in (dist/dev/outlook) the way an organization would
// serve dist/outlook, but over http on loopback: the add-in's pages on one origin and the dev
// host page (the stand-in for Outlook on the web) on another, as in real Outlook where the
// task pane is a frame of a different origin.
//
//   node tests/outlook/serve.mjs [--dir DIR] [--addin-port N] [--host-port N]
//
// prints the host page's address and serves until stopped. Used by the E2E tests and the demo.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize, resolve, dirname, extname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEV_ADDIN = process.env.TOKENWATCH_DEV_ADDIN ?? join(ROOT, 'dist/dev/outlook');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm',
  '.png': 'image/png', '.svg': 'image/svg+xml', '.xml': 'application/xml',
};

function listen(handler, port) {
  const server = createServer(handler);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(server));
  });
}

/** The headers a `_headers` file (the format static hosts read) sets for every path. */
async function headersFile(dir) {
  let text = '';
  try { text = await readFile(join(dir, '_headers'), 'utf8'); } catch { return {}; }
  return Object.fromEntries(text.split('\n')
    .filter((line) => /^\s+[A-Za-z-]+:/.test(line))
    .map((line) => { const i = line.indexOf(':'); return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()]; }));
}

/** Serves files under `dir` with the headers its `_headers` file names; `overrides` maps a
 *  path ("/config.json") to a body. */
async function files(dir, overrides) {
  const base = resolve(dir);
  const extra = await headersFile(base);
  return async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const send = (status, type, body) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...extra });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed');
    if (overrides.has(path)) return send(200, TYPES[extname(path)] ?? 'application/octet-stream', overrides.get(path)());
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    if (file !== base && !file.startsWith(base + sep)) return send(403, 'text/plain', 'forbidden');
    try {
      send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      send(404, 'text/plain', 'not found');
    }
  };
}

/**
 * Starts the add-in origin and the host origin. `config()` (optional) answers /config.json
 * instead of the built one, so a test can point the add-in at its own simulator.
 * Resolves to { addin, host, hostPage(), stop() }.
 */
export async function serveAddin({ dir = DEV_ADDIN, addinPort = 0, hostPort = 0, config } = {}) {
  const overrides = new Map();
  if (config) overrides.set('/config.json', () => JSON.stringify(config()));
  const addinServer = await listen(await files(dir, overrides), addinPort);
  const hostServer = await listen(await files(join(dir, 'dev'), new Map()), hostPort);
  const addin = `http://127.0.0.1:${addinServer.address().port}`;
  const host = `http://127.0.0.1:${hostServer.address().port}`;
  return {
    addin,
    host,
    /** The dev host page showing the pane, optionally a second copy (`?n=2`) for two tabs. */
    hostPage: () => `${host}/index.html?pane=${encodeURIComponent(`${addin}/taskpane.html`)}`,
    stop: () => { addinServer.close(); hostServer.close(); addinServer.closeAllConnections?.(); hostServer.closeAllConnections?.(); },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const served = await serveAddin({
    dir: arg('--dir', DEV_ADDIN),
    addinPort: Number(arg('--addin-port', 0)),
    hostPort: Number(arg('--host-port', 0)),
  });
  console.log(`outlook dev host on ${served.hostPage()}`);
  // Stops when the parent closes stdin (the demo), or on Ctrl-C.
  process.stdin.on('end', () => { served.stop(); process.exit(0); });
  process.stdin.resume();
}
