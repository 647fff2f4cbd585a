// The peers of the benchmark: what a team would otherwise ship to keep Microsoft 365 and
// Salesforce tokens alive (msal-browser, jsforce, oauth4webapi), bundled with esbuild from the
// minimal entries in peers/ and evaluated in the same headless Chromium as Tokenwatch.
//
//   buildPeers(outDir)                     → sizes and versions of outDir/<name>.js
//   measureEval(page, baseUrl, name, reps) → eval_ms and eval_no_fetch_ms in that page
//   node bench/peers.mjs [reps]            → both, served from 127.0.0.1, printed as a table
//
// Needs `npm ci --prefix bench` (esbuild and the peers); the CLI also needs playwright-core
// from the root node_modules and Debian's Chromium.
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');

/** Output name → entry file, the package whose version is reported, extra esbuild options. */
const PEERS = {
  msal_browser: { entry: 'peers/msal.js', pkg: '@azure/msal-browser' },
  jsforce: {
    entry: 'peers/jsforce.js',
    pkg: 'jsforce',
    // jsforce's browser build (`jsforce/core` → browser/core.js) still imports Node built-ins.
    // These are the polyfills jsforce's own dist/jsforce-core.js carries (webpack 4's
    // node-libs-browser set), so the size is what a jsforce user ships, not an artefact of ours.
    options: {
      alias: {
        stream: 'stream-browserify',
        crypto: 'crypto-browserify',
        querystring: 'querystring-es3',
        timers: 'timers-browserify',
      },
      inject: [join(HERE, 'shims/node-globals.js')],
      define: { global: 'globalThis' },
    },
  },
  oauth4webapi: { entry: 'peers/oauth4webapi.js', pkg: 'oauth4webapi' },
};

/**
 * Bundles each peer into `outDir/<name>.js` and returns
 * `{ <name>: { file, raw_bytes, gzip_bytes, brotli_bytes, version } }` (gzip level 9, brotli 11).
 */
export async function buildPeers(outDir) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('bench/peers.mjs: esbuild is missing; run `npm ci --prefix bench` first');
  }
  mkdirSync(outDir, { recursive: true });
  const built = {};
  for (const [name, peer] of Object.entries(PEERS)) {
    const file = join(outDir, `${name}.js`);
    await esbuild.build({
      absWorkingDir: HERE,
      entryPoints: [join(HERE, peer.entry)],
      outfile: file,
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      legalComments: 'none',
      logLevel: 'error',
      ...peer.options,
    });
    const bytes = readFileSync(file);
    const { version } = JSON.parse(readFileSync(join(HERE, 'node_modules', peer.pkg, 'package.json'), 'utf8'));
    built[name] = {
      file,
      raw_bytes: bytes.length,
      gzip_bytes: gzipSync(bytes, { level: 9 }).length,
      brotli_bytes: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
      version,
    };
  }
  return built;
}

/**
 * Evaluates `/peers/<name>.js` afresh `reps` times in `page` (already on `baseUrl`) and returns
 * `{ eval_ms, eval_no_fetch_ms }`, each `{ median, min, max, samples }` in milliseconds:
 *
 * - eval_ms: `import()` of `<baseUrl>/peers/<name>.js?rep=N`, i.e. HTTP fetch from the loopback
 *   server + parse/compile + module evaluation.
 * - eval_no_fetch_ms: the same text fetched first (untimed), then `import()` of a `blob:` URL of
 *   it: parse/compile + evaluation only. This is the one to set beside a service worker's cold
 *   start of a wasm module already on disk, where no network is involved.
 *
 * Every repetition is a new URL, so the module map has no entry and the module is compiled and
 * evaluated again. Caches that could skip the compile are keyed so that they miss too: Blink's
 * on-disk code cache is keyed by resource URL (and blob: resources get none), and V8's
 * in-isolate compilation cache only hits a script of the same source *and* the same name
 * (URL). The server must answer with `cache-control: no-store` (so the HTTP cache plays no
 * part either). The two variants alternate within a repetition so drift touches both alike.
 * performance.now() is coarsened to 100 µs unless the page is cross-origin isolated (5 µs).
 */
export async function measureEval(page, baseUrl, name, reps) {
  const url = new URL(`/peers/${name}.js`, baseUrl).href;
  const runs = await page.evaluate(
    async ({ url, reps, stamp }) => {
      const check = (m) => {
        if (typeof m.monitor !== 'function') throw new Error(`${url}: no monitor() export`);
      };
      const withFetch = [];
      const noFetch = [];
      for (let i = 0; i < reps; i += 1) {
        // `stamp` keeps URLs unique across several calls in the same page.
        let t0 = performance.now();
        let m = await import(`${url}?rep=${stamp}-${i}`);
        withFetch.push(performance.now() - t0);
        check(m);

        const text = await (await fetch(`${url}?text=${stamp}-${i}`, { cache: 'no-store' })).text();
        const blobUrl = URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
        t0 = performance.now();
        m = await import(blobUrl);
        noFetch.push(performance.now() - t0);
        URL.revokeObjectURL(blobUrl);
        check(m);
      }
      return { withFetch, noFetch };
    },
    { url, reps, stamp: `${Date.now()}${Math.random().toString(36).slice(2, 8)}` },
  );
  return { eval_ms: stats(runs.withFetch), eval_no_fetch_ms: stats(runs.noFetch) };
}

function stats(samples) {
  const round = (x) => Math.round(x * 1000) / 1000;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), samples: samples.map(round) };
}

/**
 * Serves `outDir` at /peers/ and a blank page at / on 127.0.0.1 (port 0). The page is
 * cross-origin isolated (COOP + COEP) so performance.now() has 5 µs resolution, and sets no CSP,
 * so both http and blob: module imports load.
 */
function serve(outDir) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://127.0.0.1').pathname;
    const headers = {
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    };
    if (path === '/') {
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      return res.end('<!doctype html><meta charset="utf-8"><title>peers</title>');
    }
    const name = path.startsWith('/peers/') ? path.slice('/peers/'.length) : '';
    if (!/^[a-z0-9_]+\.js$/.test(name)) {
      res.writeHead(404, headers);
      return res.end();
    }
    try {
      const body = readFileSync(normalize(join(outDir, name)));
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function main() {
  const reps = Math.max(20, Number(process.argv[2] ?? 25) || 25);
  const outDir = join(ROOT, 'target/bench/peers');
  const built = await buildPeers(outDir);
  const server = await serve(outDir);
  const baseUrl = `http://127.0.0.1:${server.address().port}/`;
  // Resolved from the root node_modules: bench/ has no playwright-core of its own.
  const { chromium } = await import('playwright-core');
  const { CHROMIUM, CHROMIUM_ARGS } = await import('../tests/e2e/chromium.mjs');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const version = browser.version();
  const rows = [];
  try {
    for (const [name, b] of Object.entries(built)) {
      // A fresh context (and so renderer) per peer: no peer runs on a heap grown by another.
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(baseUrl);
      if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('page is not cross-origin isolated');
      const m = await measureEval(page, baseUrl, name, reps);
      await context.close();
      rows.push([name, b.version, b.raw_bytes, b.gzip_bytes, b.brotli_bytes, fmt(m.eval_ms), fmt(m.eval_no_fetch_ms)]);
    }
  } finally {
    await browser.close();
    server.close();
  }
  const head = ['peer', 'version', 'raw B', 'gzip B', 'brotli B', 'eval_ms median (min–max)', 'eval_no_fetch_ms median (min–max)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  console.log(`Chromium ${version}, ${reps} repetitions each, bundles in ${outDir}`);
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function fmt(s) {
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  await main();
}
