// Test-only: the end-to-end test calls sendMessage from here, as another installed extension.
self.addEventListener('install', () => self.skipWaiting());
