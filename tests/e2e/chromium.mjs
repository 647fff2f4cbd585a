// Debian's Chromium and the flags every run of it on these machines needs: no host name resolves
// except 127.0.0.1 and nothing talks to the network in the background. One list for the tests,
// the benchmark and its peers; it reads no build output, so the peers' CLI can use it alone.
export const CHROMIUM = process.env.TOKENWATCH_CHROMIUM ?? '/usr/lib/chromium/chromium';

export const CHROMIUM_ARGS = [
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-sandbox',
];
