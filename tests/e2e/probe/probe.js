// Test-build-only content script (never shipped): on loopback pages it tries to read the
// extension's storage and to ask the worker for connections, and — when the page's fragment is
// `#plant=<JSON>` — to write those entries into storage.local, as a compromised content script
// would; it writes what happened into the page's DOM for the end-to-end test to read.
(async () => {
  const report = {};
  try {
    const all = await chrome.storage.local.get(null);
    report.storage = `read ${Object.keys(all).length} keys: ${JSON.stringify(all)}`;
  } catch (e) {
    report.storage = `denied: ${e.message}`;
  }
  try {
    const answer = await chrome.runtime.sendMessage({ v: 2, request: { type: 'list_connections' } });
    report.message = JSON.stringify(answer);
  } catch (e) {
    report.message = `failed: ${e.message}`;
  }
  if (location.hash.startsWith('#plant=')) {
    try {
      await chrome.storage.local.set(JSON.parse(decodeURIComponent(location.hash.slice('#plant='.length))));
      report.plant = 'written';
    } catch (e) {
      report.plant = `denied: ${e.message}`;
    }
  }
  document.documentElement.dataset.tokenwatchProbe = JSON.stringify(report);
})();
