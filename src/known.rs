//! The list as the worker last answered it, kept for the popup's first paint.
//!
//! A popup opened on a sleeping worker would wait for the worker to start and open every
//! record before it shows anything. The worker keeps each full list it answers in
//! `chrome.storage.session` (in memory for the browser session, never on disk, open only to
//! the extension's own pages and worker; no token is in a view), and the popup paints it at
//! once while it asks the worker for the list as it is now, then draws that.

use crate::chrome::storage;
use tokenwatch_core::messages::ConnectionView;

/// The `chrome.storage.session` key.
const KEY: &str = "tokenwatch:known";

/// Keeps `connections` as the last known list (the worker, after each answer that holds it).
pub async fn remember(connections: &[ConnectionView]) {
    let _ = storage::session_set(KEY, &crate::js::to_js(connections)).await;
}

/// The last known list, if there is one and it reads (the popup, before the worker answers):
/// `prefetched` is `popup.js`'s read of `chrome.storage.session`, begun while the wasm loaded
/// (under the same key as [`KEY`]); without it, it is read now.
pub async fn recall(prefetched: Option<js_sys::Promise>) -> Option<Vec<ConnectionView>> {
    let value = match prefetched {
        Some(p) => wasm_bindgen_futures::JsFuture::from(p).await.ok()?,
        None => storage::session_get(KEY).await.ok()?,
    };
    crate::js::from_js(&value)
}
