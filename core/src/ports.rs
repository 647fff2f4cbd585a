//! The ports through which the engine touches the world, each with an in-memory twin.
//!
//! HTTP is not here: it enters as [`oauth2::AsyncHttpClient`], implemented once over `fetch` by
//! the shell and by a closure over the simulator in tests.
//!
//! Futures are not `Send`: on wasm32 everything runs on one thread, and natively the tests drive
//! the engine on one thread too.
#![allow(async_fn_in_trait)]

use crate::time::Timestamp;
use std::cell::RefCell;
use std::collections::BTreeMap;
use url::Url;

/// Why the key-value store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The host refused or failed the operation; the text is the host's, never a stored value.
    #[error("browser storage failed: {0}")]
    Backend(String),
    /// A stored value could not be read back as the expected record.
    #[error("a stored record is unreadable ({0})")]
    Corrupt(String),
}

/// A string key-value store (`chrome.storage.local`, `localStorage`, memory).
pub trait Store {
    /// The value under `key`, if any.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores `value` under `key`, replacing what was there.
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError>;
    /// Removes `key`; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// Every entry whose key starts with `prefix`, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError>;
}

/// In-memory [`Store`] for tests and for hosts without persistence.
#[derive(Default)]
pub struct MemoryStore {
    entries: RefCell<BTreeMap<String, String>>,
}

/// Shows the keys only: values may hold tokens.
impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.entries.borrow().keys().collect::<Vec<_>>())
            .finish()
    }
}

impl MemoryStore {
    /// Every stored value, for tests that search the store for secrets.
    pub fn dump(&self) -> Vec<(String, String)> {
        self.entries
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.entries.borrow().get(key).cloned())
    }
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        self.entries.borrow_mut().insert(key.to_owned(), value);
        Ok(())
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.entries.borrow_mut().remove(key);
        Ok(())
    }
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .entries
            .borrow()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Whether the identity window may show UI to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    /// A visible sign-in window.
    Interactive,
    /// No UI: succeeds only if the provider can answer from its session (`prompt=none`).
    Silent,
}

/// Why the identity window did not come back with a callback URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// The person closed the window.
    #[error("the sign-in window was closed before sign-in finished")]
    Cancelled,
    /// A silent attempt (no window) needed the person: the provider showed a page instead of
    /// answering from its session.
    #[error("the provider needs you to sign in")]
    InteractionRequired,
    /// The window could not load or reach the provider.
    #[error("the sign-in page could not be loaded ({0})")]
    Unavailable(String),
    /// The host would not open a sign-in window; the text says why and what to do.
    #[error("{0}")]
    Blocked(String),
    /// The sign-in window answered from a site that is not Tokenwatch's own; the sign-in was
    /// stopped and the answer thrown away.
    #[error(
        "the sign-in window answered from {0}, which is not Tokenwatch; the sign-in was stopped"
    )]
    ForeignOrigin(String),
}

/// The auth window: `chrome.identity.launchWebAuthFlow`, the Office dialog, or a test driver.
pub trait Identity {
    /// Opens `url` and returns the URL the provider finally redirected to (the callback).
    async fn authorize(&self, url: &Url, interaction: Interaction) -> Result<Url, IdentityError>;
}

/// The wall clock. Only its adapter reads the real time.
pub trait Clock {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// A named exclusive lock held across `await`s: `navigator.locks` in the browser, so one
/// refresh per connection runs at a time across every extension context.
pub trait Lock {
    /// Held while alive; dropping it releases the lock.
    type Guard<'a>
    where
        Self: 'a;
    /// Waits until `name` is free and takes it.
    async fn acquire<'a>(&'a self, name: &str) -> Self::Guard<'a>;
}

/// In-memory [`Lock`] for one context (and for tests): waiters are woken in turn.
#[derive(Debug, Default)]
pub struct MemoryLock {
    held: RefCell<std::collections::HashSet<String>>,
    waiting: RefCell<Vec<std::task::Waker>>,
}

/// The guard of a [`MemoryLock`].
#[derive(Debug)]
pub struct MemoryGuard<'a> {
    lock: &'a MemoryLock,
    name: String,
}

impl Drop for MemoryGuard<'_> {
    fn drop(&mut self) {
        self.lock.held.borrow_mut().remove(&self.name);
        for waker in self.lock.waiting.borrow_mut().drain(..) {
            waker.wake();
        }
    }
}

impl Lock for MemoryLock {
    type Guard<'a> = MemoryGuard<'a>;
    async fn acquire<'a>(&'a self, name: &str) -> MemoryGuard<'a> {
        std::future::poll_fn(|cx| {
            if self.held.borrow_mut().insert(name.to_owned()) {
                std::task::Poll::Ready(())
            } else {
                self.waiting.borrow_mut().push(cx.waker().clone());
                std::task::Poll::Pending
            }
        })
        .await;
        MemoryGuard {
            lock: self,
            name: name.to_owned(),
        }
    }
}

/// Cryptographically secure random bytes (`crypto.getRandomValues` in the browser).
pub trait Entropy {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }

    #[test]
    fn memory_store_lists_only_the_prefix_in_key_order() {
        let s = MemoryStore::default();
        block_on(async {
            s.put("conn:b", "2".into()).await.unwrap();
            s.put("conn:a", "1".into()).await.unwrap();
            s.put("connx", "no".into()).await.unwrap();
            s.put("settings", "no".into()).await.unwrap();
            let listed = s.list("conn:").await.unwrap();
            assert_eq!(
                listed,
                vec![("conn:a".into(), "1".into()), ("conn:b".into(), "2".into())]
            );
            s.delete("conn:a").await.unwrap();
            s.delete("missing").await.unwrap();
            assert_eq!(s.get("conn:a").await.unwrap(), None);
        });
    }
}
