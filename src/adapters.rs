//! The core's ports, implemented on the extension's APIs.

use crate::chrome::{identity, storage};
use crate::fetch::FetchClient;
use crate::js::js_error;
use crate::sealer::WebCryptoSealer;
use crate::web::locks;
use tokenwatch_core::engine::PortSet;
use tokenwatch_core::mirror::Mirrored;
use tokenwatch_core::ports::{
    Clock, Entropy, Identity, IdentityError, Interaction, Lock, MemoryGuard, MemoryLock, Store,
    StoreError,
};
use tokenwatch_core::time::Timestamp;
use url::Url;

/// `chrome.storage.local`.
#[derive(Debug, Default)]
pub struct ChromeStore;

thread_local! {
    /// Test builds only (`config.json` → `test_hooks.record_write_delay_ms`): each record write
    /// waits this long first, so the fault tests can stop the worker between a provider's
    /// answer and its storage. Zero in every shipped build.
    pub static RECORD_WRITE_DELAY_MS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Store for ChromeStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        storage::get(key).await.map_err(backend)
    }
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        let delay = RECORD_WRITE_DELAY_MS.with(std::cell::Cell::get);
        if delay > 0 && key.starts_with("rec:") {
            crate::js::sleep_ms(delay).await;
        }
        storage::set(key, &value).await.map_err(backend)
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        storage::remove(key).await.map_err(backend)
    }
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        storage::list(prefix).await.map_err(backend)
    }
}

/// A failed storage call: the browser's words, kept.
fn backend(e: crate::js::JsError) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// `chrome.identity.launchWebAuthFlow`.
#[derive(Debug, Default)]
pub struct ChromeIdentity;

impl Identity for ChromeIdentity {
    async fn authorize(&self, url: &Url, interaction: Interaction) -> Result<Url, IdentityError> {
        let interactive = interaction == Interaction::Interactive;
        match identity::launch(url.as_str(), interactive).await {
            Ok(callback) => Url::parse(&callback)
                .map_err(|_| IdentityError::Unavailable("the callback is not a URL".into())),
            Err(e) => Err(classify_identity_error(&e.message)),
        }
    }
}

/// Chrome reports a closed window as "The user did not approve access." and a silent flow that
/// needs UI as "User interaction required."; anything else is a page that could not load.
fn classify_identity_error(message: &str) -> IdentityError {
    if message.contains("interaction required") {
        IdentityError::InteractionRequired
    } else if message.contains("did not approve") || message.contains("canceled") {
        IdentityError::Cancelled
    } else {
        IdentityError::Unavailable(message.chars().take(200).collect())
    }
}

/// `Date.now()`.
#[derive(Debug, Default)]
pub struct JsClock;

impl Clock for JsClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(js_sys::Date::now() as i64)
    }
}

/// `crypto.getRandomValues`, through getrandom's browser backend.
#[derive(Debug, Default)]
pub struct CryptoEntropy;

impl Entropy for CryptoEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // getrandom only fails when the platform has no secure generator; a sign-in without
        // one must not start, and aborting is the only safe answer.
        getrandom::getrandom(buf).expect("crypto.getRandomValues is available");
    }
}

/// `localStorage` through gloo-storage, for the Outlook add-in (pages only: it needs a window).
/// A write over the quota fails with the browser's `QuotaExceededError` and changes nothing.
#[derive(Debug, Default)]
pub struct LocalStorageStore;

fn local() -> Result<web_sys::Storage, StoreError> {
    use gloo_storage::Storage as _;
    Ok(gloo_storage::LocalStorage::raw())
}

impl Store for LocalStorageStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        local()?.get_item(key).map_err(|e| backend(js_error(e)))
    }
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        local()?
            .set_item(key, &value)
            .map_err(|e| backend(js_error(e)))
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        local()?.remove_item(key).map_err(|e| backend(js_error(e)))
    }
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let storage = local()?;
        let count = storage.length().map_err(|e| backend(js_error(e)))?;
        let mut out = Vec::new();
        for i in 0..count {
            if let Some(key) = storage
                .key(i)
                .ok()
                .flatten()
                .filter(|k| k.starts_with(prefix))
            {
                if let Some(value) = storage.get_item(&key).ok().flatten() {
                    out.push((key, value));
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// `navigator.locks`, so one refresh per connection runs at a time across the worker and
/// every page; where the browser lacks it, an in-memory lock covers this context.
#[derive(Debug, Default)]
pub struct WebLocks {
    fallback: MemoryLock,
}

/// A held [`WebLocks`] lock.
#[derive(Debug)]
pub enum WebLockGuard<'a> {
    /// Held through `navigator.locks`.
    Shared(locks::LockGuard),
    /// Held in this context only.
    Local(MemoryGuard<'a>),
}

impl Lock for WebLocks {
    type Guard<'a> = WebLockGuard<'a>;
    async fn acquire<'a>(&'a self, name: &str) -> WebLockGuard<'a> {
        match locks::acquire(name).await {
            Ok(guard) => WebLockGuard::Shared(guard),
            Err(_) => WebLockGuard::Local(self.fallback.acquire(name).await),
        }
    }
}

/// The service worker's ports. Its store is mirrored in memory: the worker is the one writer
/// of `chrome.storage.local`, and hears of any other through [`crate::background`]'s
/// `on_storage_changed`.
pub type WorkerPorts = PortSet<
    FetchClient,
    Mirrored<ChromeStore>,
    ChromeIdentity,
    JsClock,
    CryptoEntropy,
    WebCryptoSealer,
    WebLocks,
>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chrome_identity_messages_map_to_cancelled_or_unavailable() {
        assert_eq!(
            classify_identity_error("The user did not approve access."),
            IdentityError::Cancelled
        );
        assert_eq!(
            classify_identity_error("User interaction required."),
            IdentityError::InteractionRequired
        );
        assert_eq!(
            classify_identity_error("Authorization page could not be loaded."),
            IdentityError::Unavailable("Authorization page could not be loaded.".into())
        );
    }
}
