// `cargo xtask bench`: what Tokenwatch costs to ship and to start, each figure beside the floor
// it could reach in the same run, and beside what a team would otherwise assemble
// (msal-browser, jsforce, oauth4webapi), measured in one headless Chromium run. Writes
// report.json and report.md (target/bench/) and prints the table. Timings are medians of
// TOKENWATCH_BENCH_REPS (at least 20) repetitions with min and max, a figure and its floor
// measured in alternation; sizes are exact.
//
// TOKENWATCH_BENCH_SMOKE=1 (what `cargo xtask test` runs): every step once or twice over 20
// connections, into target/bench-smoke/. It fails when a step fails or hangs (each has a time
// limit and names itself) or a correctness figure is wrong (one token request per renewal);
// its timings are reported, never judged.
//
// Sizes are those of the release build (dist/chrome, dist/outlook). Timings run the simulator
// build (dist/dev/chrome: the same wasm and glue byte for byte, another config.json) against the
// provider simulator on 127.0.0.1, because the release build reaches no provider here. The
// floors: an extension page with the popup's own HTML and ten static rows (floor.html, added to
// a copy of the build), an alarm into the worker's wasm that does nothing, and an extension
// whose worker starts the smallest wasm-bindgen module (bench/noop, built by the xtask).
import { cpSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { admin, connectNumbered, launch, newProfile, openPopup, startSim, within, EXTENSION, EXTENSION_ID } from '../e2e/harness.mjs';
import { buildPeers, measureEval } from '../../bench/peers.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SMOKE = process.env.TOKENWATCH_BENCH_SMOKE === '1';
const OUT = join(ROOT, SMOKE ? 'target/bench-smoke' : 'target/bench');
const REPS = SMOKE ? 2 : Math.max(20, Number(process.env.TOKENWATCH_BENCH_REPS ?? 20));
const RELEASE = join(ROOT, 'dist/chrome');
mkdirSync(OUT, { recursive: true });

const gzip = (b) => gzipSync(b, { level: 9 }).length;
const brotli = (b) => brotliCompressSync(b, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  return { median: round(median), min: round(s[0]), max: round(s[s.length - 1]), reps: s.length, samples: samples.map(round) };
}

async function repeat(n, once) {
  const samples = [];
  for (let i = 0; i < n; i += 1) samples.push(await once(i));
  return samples;
}

const log = (line) => process.stderr.write(`bench: ${line}\n`);

// ---- sizes -------------------------------------------------------------------------------
// Each surface loads its own wasm: the worker `tokenwatch_worker`, the popup and the options
// page the same `tokenwatch` (no engine), the Outlook task pane its own `tokenwatch` (with its
// engine, dist/outlook).
const SURFACES = {
  worker: [RELEASE, 'tokenwatch_worker'],
  popup: [RELEASE, 'tokenwatch'],
  options: [RELEASE, 'tokenwatch'],
  pane: [join(ROOT, 'dist/outlook'), 'tokenwatch'],
};
function surfaceSize([dir, name]) {
  const wasm = readFileSync(join(dir, `${name}_bg.wasm`));
  const glue = readFileSync(join(dir, `${name}.js`));
  return {
    files: [`${name}_bg.wasm`, `${name}.js`],
    wasm_raw_bytes: wasm.length,
    wasm_gzip_bytes: gzip(wasm),
    wasm_brotli_bytes: brotli(wasm),
    glue_raw_bytes: glue.length,
    glue_gzip_bytes: gzip(glue),
    glue_brotli_bytes: brotli(glue),
    gzip_bytes: gzip(wasm) + gzip(glue),
  };
}
const surfaces = Object.fromEntries(Object.entries(SURFACES).map(([k, v]) => [k, surfaceSize(v)]));
// The figures reported before the split, now the worker's (the wasm that carries the engine).
const { files: _files, gzip_bytes: _gzip, ...sizes } = surfaces.worker;

// ---- the floors ----------------------------------------------------------------------------
// The popup's floor: popup.html itself with ten static rows in the popup's markup and no
// script, as a page of (a copy of) the same extension.
const BENCH_EXTENSION = join(OUT, 'extension');
rmSync(BENCH_EXTENSION, { recursive: true, force: true });
cpSync(EXTENSION, BENCH_EXTENSION, { recursive: true });
const popupHtml = readFileSync(join(EXTENSION, 'popup.html'), 'utf8');
const staticRow = (n) => `<li class="conn" data-id="floor:${n}"><div class="conn-head"><span class="provider">Salesforce</span>`
  + `<strong class="label">Org ${n}</strong><span class="account">user${n}@org${n}.example</span></div>`
  + '<div class="status tone-ok"><span class="dot" aria-hidden="true"></span><span class="status-title">Token valid</span>'
  + '<span class="status-detail">Salesforce accepts this connection.</span></div>'
  + '<div class="conn-foot"><span class="checked">Checked 12:00</span><div class="actions"><button class="check">Check now</button></div></div></li>';
const floorHtml = popupHtml
  .replace(/\s*<script type="module" src="popup.js"><\/script>/, '')
  .replace('<ul id="connections" class="connections"></ul>', `<ul id="connections" class="connections">${Array.from({ length: 10 }, (_, i) => staticRow(i + 1)).join('')}</ul>`);
if (floorHtml.includes('popup.js') || !floorHtml.includes('data-id="floor:10"')) {
  throw new Error('popup.html changed shape: the floor page cannot be made from it');
}
writeFileSync(join(BENCH_EXTENSION, 'floor.html'), floorHtml);
// The worker's floor: an extension whose worker starts the smallest wasm-bindgen module.
const FLOOR_EXTENSION = process.env.TOKENWATCH_BENCH_FLOOR_EXTENSION ?? join(OUT, 'floor-extension');
const noopSize = surfaceSize([FLOOR_EXTENSION, 'noop']);

// ---- the product in Chromium against the simulator --------------------------------------
const CONNECTIONS = SMOKE ? 20 : 200;
const sim = await startSim(0, [], CONNECTIONS);
const { context, worker: firstWorker } = await launch(newProfile(), `${BENCH_EXTENSION},${FLOOR_EXTENSION}`);
let worker = firstWorker;
const floorWorkerUrl = (w) => w.url().endsWith('/noop-worker.js');
const floorWorker = context.serviceWorkers().find(floorWorkerUrl)
  ?? await context.waitForEvent('serviceworker', { predicate: floorWorkerUrl, timeout: 20_000 });
const FLOOR_ORIGIN = floorWorker.url().split('/').slice(0, 3).join('/');
const report = { generated_at: new Date().toISOString(), smoke: SMOKE, reps: REPS, connections: CONNECTIONS, chromium: context.browser()?.version() ?? null, ...sizes, surfaces };
try {
  const popup = await openPopup(context);

  const numbers = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  await within(120_000, connectNumbered(context, popup, sim.url, numbers(1, 10)), 'connecting 10');
  log('10 connections stored');

  // popup_ready_ms: navigation start → every connection's status painted; the floor,
  // empty_page_ready_ms, is the same watcher on floor.html (ten static rows), in alternation.
  async function readyAt(path) {
    const page = await context.newPage();
    await page.addInitScript(() => {
      const watch = () => {
        if (document.querySelectorAll('#connections li .status-title').length >= 10) {
          window.__twPainted = performance.now();
        } else {
          requestAnimationFrame(watch);
        }
      };
      requestAnimationFrame(watch);
    });
    await page.goto(`chrome-extension://${EXTENSION_ID}/${path}`);
    const t = await page.waitForFunction(() => window.__twPainted, null, { timeout: 20_000 }).then((h) => h.jsonValue());
    // popup.js marks when its wasm is instantiated (the floor has no wasm).
    const wasm = await page.evaluate(() => performance.getEntriesByName('tokenwatch:wasm')[0]?.startTime ?? null);
    await page.close();
    return { t, wasm };
  }
  const popupReady = [];
  const floorReady = [];
  for (let i = 0; i < REPS; i += 1) {
    popupReady.push(await readyAt('popup.html'));
    floorReady.push((await readyAt('floor.html')).t);
  }
  report.popup_ready_ms = stats(popupReady.map((p) => p.t));
  // Of which: navigation start → the pages' wasm instantiated (modules and wasm fetched,
  // compiled, instantiated); the rest is the panel's start and the first drawing.
  report.popup_wasm_instantiated_ms = stats(popupReady.map((p) => p.wasm));
  report.empty_page_ready_ms = stats(floorReady);
  log(`popup_ready_ms ${report.popup_ready_ms.median}, empty_page_ready_ms ${report.empty_page_ready_ms.median}`);

  // sw_cold_start_ms: a stopped worker started again → engine ready (records read, badge and
  // alarm set), from the worker's own time origin; noop_wasm_start_ms: the floor extension's
  // worker, started again → its wasm instantiated and its one export called. In alternation.
  const cdp = await context.newCDPSession(popup);
  await cdp.send('ServiceWorker.enable');
  const running = new Map();
  cdp.on('ServiceWorker.workerVersionUpdated', ({ versions }) => {
    // (Node's URL gives chrome-extension: URLs no origin: the first three parts are it.)
    for (const v of versions) running.set(v.scriptURL.split('/').slice(0, 3).join('/'), v.runningStatus);
  });
  // Observed, not polled: a poll in the worker would run on the thread it measures.
  const ready = () => new Promise((ok) => {
    const seen = new PerformanceObserver(() => {
      const [m] = performance.getEntriesByName('tokenwatch:ready');
      const [w] = performance.getEntriesByName('tokenwatch:wasm');
      if (m) {
        seen.disconnect();
        ok({ origin: performance.timeOrigin, ready: m.startTime, wasm: w?.startTime });
      }
    });
    seen.observe({ type: 'mark', buffered: true });
  });
  const origins = new Map();
  /** Stops every worker, starts the one of `origin`, and reads its start's marks. */
  async function coldStart(origin) {
    await cdp.send('ServiceWorker.stopAllWorkers');
    for (let tries = 0; running.get(origin) !== 'stopped'; tries += 1) {
      if (tries > 200) throw new Error(`the worker of ${origin} did not stop`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await cdp.send('ServiceWorker.startWorker', { scopeURL: `${origin}/` });
    // Playwright keeps the worker's handle across a restart; a new time origin proves a new start.
    for (let tries = 0; tries < 200; tries += 1) {
      const [w] = context.serviceWorkers().filter((x) => x.url().startsWith(`${origin}/`));
      const seen = w && await w.evaluate(ready).catch(() => null);
      if (seen && seen.origin !== origins.get(origin)) {
        origins.set(origin, seen.origin);
        if (origin === `chrome-extension://${EXTENSION_ID}`) worker = w;
        return seen;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`the worker of ${origin} did not start again`);
  }
  origins.set(`chrome-extension://${EXTENSION_ID}`, (await worker.evaluate(ready)).origin);
  origins.set(FLOOR_ORIGIN, (await floorWorker.evaluate(ready)).origin);
  const coldStarts = [];
  const wasmReady = [];
  const noopStarts = [];
  for (let i = 0; i < REPS; i += 1) {
    const seen = await coldStart(`chrome-extension://${EXTENSION_ID}`);
    coldStarts.push(seen.ready);
    wasmReady.push(seen.wasm);
    noopStarts.push((await coldStart(FLOOR_ORIGIN)).ready);
  }
  report.sw_cold_start_ms = stats(coldStarts);
  // Of which: the worker started → the wasm fetched, compiled and instantiated.
  report.sw_wasm_instantiated_ms = stats(wasmReady);
  report.noop_wasm_start_ms = stats(noopStarts);
  log(`sw_cold_start_ms ${report.sw_cold_start_ms.median}, noop_wasm_start_ms ${report.noop_wasm_start_ms.median}`);
  // The popup's worker is awake again for what follows.
  await coldStart(`chrome-extension://${EXTENSION_ID}`);

  for (let n = 11; n <= CONNECTIONS; n += 50) {
    const to = Math.min(n + 49, CONNECTIONS);
    await within(300_000, connectNumbered(context, popup, sim.url, numbers(n, to)), `connecting ${n}-${to}`);
    log(`${to} connections stored`);
  }

  // One alarm, created in the worker, through the listener in worker.js to the end of its
  // handling: `handler` from the listener (the worker's own measure), `path` from the
  // alarm's creation (the browser's dispatch included).
  const alarm = (name) => worker.evaluate((name) => new Promise((ok, fail) => {
    const timeout = setTimeout(() => fail(new Error(`no ${name} within 20 s`)), 20_000);
    let t0 = 0;
    const seen = new PerformanceObserver((list) => {
      const m = list.getEntries().find((e) => e.name === `tokenwatch:alarm:${name}`);
      if (m) {
        seen.disconnect();
        clearTimeout(timeout);
        ok({ handler: m.duration, path: m.startTime + m.duration - t0 });
      }
    });
    seen.observe({ type: 'measure' });
    t0 = performance.now();
    chrome.alarms.create(name, { when: Date.now() });
  }), name);
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));

  // tick_200_ms: one alarm-driven tick over 200 stored connections, nothing due, each after
  // half a second idle: every record read and opened, evaluated, the badge, notifications and
  // the next alarm settled (from the listener, as before). tick_200_alarm_ms: the same from
  // the alarm's creation; its floor, noop_wasm_alarm_ms, an alarm the worker's wasm does
  // nothing for, through the same listener, in alternation.
  const ticks = [];
  const noops = [];
  for (let i = 0; i < REPS; i += 1) {
    await pause(500);
    ticks.push(await alarm('tokenwatch-tick'));
    await pause(500);
    noops.push(await alarm('tokenwatch-bench-noop'));
  }
  report.tick_200_ms = stats(ticks.map((t) => t.handler));
  report.tick_200_alarm_ms = stats(ticks.map((t) => t.path));
  report.noop_wasm_alarm_ms = stats(noops.map((t) => t.path));
  // tick_200_warm_ms: ticks back to back, each alarm created as the previous tick ends.
  const warm = [];
  for (let i = 0; i < REPS; i += 1) warm.push(await alarm('tokenwatch-tick'));
  report.tick_200_warm_ms = stats(warm.map((t) => t.handler));
  log(`tick_200_ms ${report.tick_200_ms.median}, tick_200_alarm_ms ${report.tick_200_alarm_ms.median}, noop_wasm_alarm_ms ${report.noop_wasm_alarm_ms.median}, tick_200_warm_ms ${report.tick_200_warm_ms.median}`);

  // sw_heap_bytes: the worker's JS heap after the ticks (wasm linear memory is outside it and
  // reported beside it where the browser says).
  // Through DevTools: Runtime.getHeapUsage on the worker's target (a page's session reaches it
  // with Target.attachToTarget; Playwright gives no session to a worker).
  log('heap');
  const { targetInfos } = await cdp.send('Target.getTargets');
  const sw = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(`chrome-extension://${EXTENSION_ID}/`));
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: sw.targetId, flatten: false });
  const usage = new Promise((ok) => {
    setTimeout(() => ok(null), 10_000);
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const m = JSON.parse(e.message);
      if (m.id === 1) ok(m.result);
    });
  });
  await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) });
  const heap = await within(30_000, usage, 'Runtime.getHeapUsage');
  if (!heap) log('the worker did not answer Runtime.getHeapUsage within 10 s');
  report.sw_heap_bytes = heap?.usedSize ?? null;
  report.sw_heap_detail = heap;
  report.sw_heap_note = 'Runtime.getHeapUsage of the worker: usedSize is the V8 JS heap; embedderHeapUsedSize and backingStorageSize (ArrayBuffers) beside it';

  // checks_at_once_ms: k callers (1, 10, 50) ask Check now of one connection at once, after
  // its access token expired, with every connection stored: from the first message sent to
  // the last answer, in the page. refresh_requests_at_once: the token requests the simulator
  // saw for each burst (1 is right: one renewal). In alternation, k = 1, 10, 50 per repetition.
  log('checks at once');
  // A fresh popup page: the first one has been through every worker restart above.
  const caller = await openPopup(context);
  const listed = await within(60_000, caller.evaluate(() => chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } }).then((r) => r.connections)), `the list of ${CONNECTIONS} connections`);
  const target = listed.find((c) => c.username === 'user1@org1.example');
  const BURSTS = [1, 10, 50];
  const lastAnswer = Object.fromEntries(BURSTS.map((k) => [k, []]));
  const requests = Object.fromEntries(BURSTS.map((k) => [k, []]));
  for (let i = 0; i < REPS; i += 1) {
    for (const k of BURSTS) {
      await admin(sim, 'expire-access', 'username=user1%40org1.example');
      const before = (await admin(sim, 'counters')).refreshes;
      const burst = caller.evaluate(async ({ id, k }) => {
        const t0 = performance.now();
        let last = 0;
        const answers = await Promise.all(Array.from({ length: k }, () => chrome.runtime.sendMessage({ v: 2, request: { type: 'check', id } })
          .then((a) => { last = performance.now() - t0; return a; })));
        return { last, bad: answers.filter((a) => a.type !== 'connection' || a.connection.status.title !== 'Token valid').map((a) => JSON.stringify(a).slice(0, 300)) };
      }, { id: target.id, k });
      const { last, bad } = await within(60_000, burst, `${k} checks at once`);
      if (bad.length) throw new Error(`bench: ${k} checks at once: ${bad.length} callers got ${bad[0]}`);
      lastAnswer[k].push(last);
      requests[k].push((await admin(sim, 'counters')).refreshes - before);
    }
  }
  report.checks_at_once_ms = Object.fromEntries(BURSTS.map((k) => [k, stats(lastAnswer[k])]));
  report.refresh_requests_at_once = Object.fromEntries(BURSTS.map((k) => [k, stats(requests[k])]));
  // The figure of earlier reports, kept under its name.
  report.refresh_requests_50_callers = report.refresh_requests_at_once[50];
  log(`checks_at_once_ms ${BURSTS.map((k) => `${k}: ${report.checks_at_once_ms[k].median}`).join(', ')}`);
  const wrong = BURSTS.filter((k) => report.refresh_requests_at_once[k].min !== 1 || report.refresh_requests_at_once[k].max !== 1);
  if (wrong.length) {
    throw new Error(`bench: a renewal took other than one token request for ${wrong.map((k) => `${k} callers (${requests[k].join(', ')})`).join('; ')}`);
  }
} finally {
  await context.close();
  sim.stop();
}

// ---- the peers, bundled with esbuild and evaluated in the same Chromium ------------------
const peersDir = join(OUT, 'peers');
const peers = await buildPeers(peersDir);
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const name = path.startsWith('/peers/') ? path.slice('/peers/'.length) : null;
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><title>peers</title>');
  }
  if (!name || name.includes('/') || name.includes('..')) { res.writeHead(404); return res.end(); }
  try {
    const body = readFileSync(join(peersDir, name));
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    res.end(body);
  } catch { res.writeHead(404); res.end(); }
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;
const { context: peerContext } = await launch(newProfile());
try {
  const page = await peerContext.newPage();
  await page.goto(`${base}/`);
  report.peers = {};
  for (const [name, built] of Object.entries(peers)) {
    const measured = await within(120_000, measureEval(page, base, name, REPS), `evaluating ${name}`);
    report.peers[name] = { ...built, ...measured };
  }
} finally {
  await peerContext.close();
  server.close();
}

// ---- ratios and targets --------------------------------------------------------------
// Each figure over its floor from the same run. The start ratio against msal is the earlier
// issue's: the worker's cold start (which reads its wasm and glue from the extension package)
// over msal's eval_ms (fetch from loopback, compile, evaluate); the stricter ratio over msal's
// compile and evaluation alone (eval_no_fetch_ms) is beside it.
const msal = report.peers.msal_browser;
const peerBytes = {
  msal_browser: msal.gzip_bytes,
  msal_browser_and_jsforce: msal.gzip_bytes + report.peers.jsforce.gzip_bytes,
  oauth4webapi: report.peers.oauth4webapi.gzip_bytes,
};
report.noop_wasm_gzip_bytes = noopSize.gzip_bytes;
report.sizes_vs_peers = Object.fromEntries(Object.entries(surfaces).map(([name, size]) => [name, {
  gzip_bytes: size.gzip_bytes,
  ...Object.fromEntries(Object.entries(peerBytes).map(([peer, bytes]) => [`vs_${peer}`, round3(size.gzip_bytes / bytes)])),
}]));
report.ratio_size_vs_msal = round3((report.wasm_gzip_bytes + report.glue_gzip_bytes) / msal.gzip_bytes);
report.ratio_popup_vs_floor = round3(report.popup_ready_ms.median / report.empty_page_ready_ms.median);
report.ratio_tick_vs_floor = round3(report.tick_200_alarm_ms.median / report.noop_wasm_alarm_ms.median);
report.ratio_start_vs_noop_wasm = round3(report.sw_cold_start_ms.median / report.noop_wasm_start_ms.median);
report.ratio_start_vs_msal = round3(report.sw_cold_start_ms.median / msal.eval_ms.median);
report.ratio_start_vs_msal_no_fetch = round3(report.sw_cold_start_ms.median / msal.eval_no_fetch_ms.median);
report.ratio_50_checks_vs_1 = round3(report.checks_at_once_ms[50].median / report.checks_at_once_ms[1].median);
report.targets = {
  ratio_popup_vs_floor: { target: '<= 1.25', met: report.ratio_popup_vs_floor <= 1.25 },
  ratio_tick_vs_floor: { target: '<= 1.5', met: report.ratio_tick_vs_floor <= 1.5 },
  ratio_start_vs_msal: { target: '<= 1 (sw_cold_start_ms <= msal eval_ms)', met: report.ratio_start_vs_msal <= 1 },
  worker_vs_msal: { target: '<= 1.5', met: report.sizes_vs_peers.worker.vs_msal_browser <= 1.5 },
  popup_vs_msal: { target: '<= 0.5', met: report.sizes_vs_peers.popup.vs_msal_browser <= 0.5 },
  refresh_requests_50_callers: { target: '= 1 (every repetition)', met: report.refresh_requests_50_callers.max === 1 && report.refresh_requests_50_callers.min === 1 },
  ratio_50_checks_vs_1: { target: '<= 3 (the 50th answer within 3x a single check)', met: report.ratio_50_checks_vs_1 <= 3 },
};

function round3(x) { return Math.round(x * 1000) / 1000; }

writeFileSync(join(OUT, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
const md = markdown(report);
writeFileSync(join(OUT, 'report.md'), md);
process.stdout.write(md);

function markdown(r) {
  const t = (s) => `${s.median} (min ${s.min}, max ${s.max})`;
  const yes = (k) => `${r.targets[k].target}: ${r.targets[k].met ? 'met' : '**missed**'}`;
  const lines = [
    `# Tokenwatch benchmark${r.smoke ? ' (smoke: every step, few repetitions; timings not judged)' : ''} — ${r.generated_at}`,
    '',
    `Medians of ${r.reps} repetitions in one headless Chromium run (${r.chromium ?? 'Chromium'}), each figure and its floor in alternation; sizes gzip -9 and brotli 11.`,
    '',
    '| measure | value | floor (same run) | ratio | target |',
    '|---|---|---|---|---|',
    `| popup_ready_ms (10 connections) | ${t(r.popup_ready_ms)} | empty_page_ready_ms ${t(r.empty_page_ready_ms)} | ${r.ratio_popup_vs_floor} | ${yes('ratio_popup_vs_floor')} |`,
    `| of which popup_wasm_instantiated_ms | ${t(r.popup_wasm_instantiated_ms)} | | | |`,
    `| tick_200_alarm_ms (alarm created → tick done; ${r.connections} connections) | ${t(r.tick_200_alarm_ms)} | noop_wasm_alarm_ms ${t(r.noop_wasm_alarm_ms)} | ${r.ratio_tick_vs_floor} | ${yes('ratio_tick_vs_floor')} |`,
    `| tick_200_ms (listener → tick done, after 0.5 s idle) | ${t(r.tick_200_ms)} | | | |`,
    `| tick_200_warm_ms (back to back) | ${t(r.tick_200_warm_ms)} | | | |`,
    `| sw_cold_start_ms | ${t(r.sw_cold_start_ms)} | noop_wasm_start_ms ${t(r.noop_wasm_start_ms)} | ${r.ratio_start_vs_noop_wasm} | |`,
    `| of which sw_wasm_instantiated_ms | ${t(r.sw_wasm_instantiated_ms)} | | | |`,
    `| sw_cold_start_ms vs msal-browser eval_ms | | ${t(r.peers.msal_browser.eval_ms)} | ${r.ratio_start_vs_msal} | ${yes('ratio_start_vs_msal')} |`,
    `| sw_cold_start_ms vs msal-browser eval_no_fetch_ms | | ${t(r.peers.msal_browser.eval_no_fetch_ms)} | ${r.ratio_start_vs_msal_no_fetch} | |`,
    ...[1, 10, 50].map((k) => `| checks_at_once_ms, ${k} caller${k > 1 ? 's' : ''} (last answer; ${r.connections} connections) | ${t(r.checks_at_once_ms[k])} | ${k === 1 ? '' : `1 caller ${r.checks_at_once_ms[1].median}`} | ${k === 1 ? '' : round3(r.checks_at_once_ms[k].median / r.checks_at_once_ms[1].median)} | ${k === 50 ? yes('ratio_50_checks_vs_1') : ''} |`),
    `| refresh_requests_50_callers (token requests per burst; 1, 10 callers: ${r.refresh_requests_at_once[1].max}, ${r.refresh_requests_at_once[10].max} at most) | ${t(r.refresh_requests_50_callers)} | | | ${yes('refresh_requests_50_callers')} |`,
    `| sw_heap_bytes (after the ${r.connections}-connection ticks) | ${r.sw_heap_bytes ?? 'n/a'} | | | |`,
    '',
    `| surface | wasm raw / gzip | glue gzip | wasm+glue gzip | vs msal-browser | vs msal-browser + jsforce | vs oauth4webapi | target |`,
    '|---|---|---|---|---|---|---|---|',
    ...Object.entries(r.surfaces).map(([name, x]) => {
      const v = r.sizes_vs_peers[name];
      const target = name === 'worker' ? yes('worker_vs_msal') : name === 'popup' ? yes('popup_vs_msal') : '';
      return `| ${name} | ${x.wasm_raw_bytes} / ${x.wasm_gzip_bytes} | ${x.glue_gzip_bytes} | ${x.gzip_bytes} | ${v.vs_msal_browser} | ${v.vs_msal_browser_and_jsforce} | ${v.vs_oauth4webapi} | ${target} |`;
    }),
    `| (floor: noop wasm-bindgen module) | | | ${r.noop_wasm_gzip_bytes} | | | | |`,
    '',
    '| peer | version | gzip | brotli | eval_ms (fetch + compile + evaluate) | eval_no_fetch_ms |',
    '|---|---|---|---|---|---|',
    ...Object.entries(r.peers).map(([name, p]) => `| ${name} | ${p.version} | ${p.gzip_bytes} | ${p.brotli_bytes} | ${t(p.eval_ms)} | ${t(p.eval_no_fetch_ms)} |`),
    '',
  ];
  return lines.join('\n');
}
