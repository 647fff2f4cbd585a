//! The list as the worker last answered it, kept for the popup's first paint.
//!
//! A popup opened on a sleeping worker would wait for the worker to start and open every
//! record before it shows anything. The worker keeps each full list it answers in
//! `chrome.storage.session` (in memory for the browser session, never on disk, open only to
//! the extension's own pages and worker; no token is in a view), and the popup paints it at
//! once while it asks the worker for the list as it is now, then draws that.

use crate::chrome::storage;
use tokenwatch_core::messages::ConnectionView;

/// The `chrome.storage.session` key (`extension/popup.js` reads the same one).
const KEY: &str = "tokenwatch:known";

/// Keeps `connections` as the last known list (the worker, after each answer that holds it).
pub async fn remember(connections: &[ConnectionView]) {
    let _ = storage::session_set(KEY, &crate::js::to_js(connections)).await;
}

/// The last known list, if there is one and it reads (the popup, before the worker answers),
/// from `popup.js`'s read of `chrome.storage.session` under [`KEY`], begun while the wasm
/// loaded.
pub async fn recall(prefetched: js_sys::Promise) -> Option<Vec<ConnectionView>> {
    let value = wasm_bindgen_futures::JsFuture::from(prefetched)
        .await
        .ok()?;
    crate::js::from_js(&value)
}
