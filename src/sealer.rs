//! The core's [`Sealer`] on WebCrypto: AES-256-GCM under one non-extractable key, generated on
//! first use and kept in IndexedDB, where the service worker and every page of the extension
//! (or of the add-in's origin) find the same key.

use crate::web::{idb, subtle};
use std::cell::RefCell;
use tokenwatch_core::vault::{SealError, Sealed, Sealer};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::CryptoKey;

/// The database that holds the key.
pub const KEY_DATABASE: &str = "tokenwatch-keys";
const KEY_ENTRY: &str = "vault";

thread_local! {
    /// The key of each database once read, shared by every sealer of this context (the
    /// settings and the engine use the same key and read it from IndexedDB once).
    static KEYS: RefCell<Vec<(String, (String, CryptoKey))>> = const { RefCell::new(Vec::new()) };
}

/// WebCrypto sealing with the key from IndexedDB.
#[derive(Debug)]
pub struct WebCryptoSealer {
    database: String,
}

impl Default for WebCryptoSealer {
    fn default() -> Self {
        Self::with_database(KEY_DATABASE)
    }
}

fn backend(e: impl std::fmt::Display) -> SealError {
    SealError::Backend(e.to_string())
}

impl WebCryptoSealer {
    /// A sealer whose key lives in database `name` (tests use their own).
    pub fn with_database(name: &str) -> Self {
        Self {
            database: name.to_owned(),
        }
    }

    /// Drops the in-memory copy of the key, as a worker restart does; the next use reads
    /// IndexedDB again.
    pub fn forget_cached_key(&self) {
        KEYS.with(|k| k.borrow_mut().retain(|(db, _)| db != &self.database));
    }

    fn cached(&self) -> Option<(String, CryptoKey)> {
        KEYS.with(|k| {
            k.borrow()
                .iter()
                .find(|(db, _)| db == &self.database)
                .map(|(_, found)| found.clone())
        })
    }

    fn remember(&self, found: &(String, CryptoKey)) {
        self.forget_cached_key();
        KEYS.with(|k| k.borrow_mut().push((self.database.clone(), found.clone())));
    }

    /// Reads the stored key into memory ahead of its first use (nothing is created, and a
    /// failure is left for that use to report).
    pub async fn preload(&self) {
        if self.cached().is_none() {
            if let Ok(Some(found)) = self.stored().await {
                self.remember(&found);
            }
        }
    }

    /// The stored key, if any: `{kid, key}` in the key database.
    async fn stored(&self) -> Result<Option<(String, CryptoKey)>, SealError> {
        let db = idb::open(&self.database).await.map_err(backend)?;
        let entry = idb::get(&db, KEY_ENTRY).await.map_err(backend)?;
        db.close();
        if entry.is_undefined() {
            return Ok(None);
        }
        let kid = js_sys::Reflect::get(&entry, &"kid".into())
            .ok()
            .and_then(|k| k.as_string());
        let key = js_sys::Reflect::get(&entry, &"key".into())
            .ok()
            .and_then(|k| k.dyn_into::<CryptoKey>().ok());
        match (kid, key) {
            (Some(kid), Some(key)) => Ok(Some((kid, key))),
            _ => Err(SealError::Backend("the key entry is malformed".into())),
        }
    }

    /// The key, creating it when none exists. Two contexts creating at once both end up with
    /// the one that was stored first.
    async fn current(&self) -> Result<(String, CryptoKey), SealError> {
        if let Some(found) = self.cached() {
            return Ok(found);
        }
        let found = match self.stored().await? {
            Some(found) => found,
            None => {
                let key = subtle::generate_key()
                    .await
                    .map_err(|e| backend(format!("{e:?}")))?;
                let mut id = [0u8; 16];
                getrandom::getrandom(&mut id).map_err(backend)?;
                let kid: String = id.iter().map(|b| format!("{b:02x}")).collect();
                let entry = js_sys::Object::new();
                js_sys::Reflect::set(&entry, &"kid".into(), &JsValue::from_str(&kid))
                    .map_err(|_| backend("kid"))?;
                js_sys::Reflect::set(&entry, &"key".into(), &key).map_err(|_| backend("key"))?;
                let db = idb::open(&self.database).await.map_err(backend)?;
                let added = idb::add(&db, KEY_ENTRY, &entry).await;
                db.close();
                match added {
                    Ok(()) => (kid, key),
                    Err(e) if e.name == "ConstraintError" => self
                        .stored()
                        .await?
                        .ok_or_else(|| backend("the key vanished while being created"))?,
                    Err(e) => return Err(backend(e)),
                }
            }
        };
        self.remember(&found);
        Ok(found)
    }
}

impl Sealer for WebCryptoSealer {
    async fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
        let (kid, key) = self.current().await?;
        let mut nonce = vec![0u8; 12];
        getrandom::getrandom(&mut nonce).map_err(backend)?;
        let ciphertext = subtle::encrypt(&key, &nonce, aad, plaintext)
            .await
            .map_err(|e| backend(format!("{e:?}")))?;
        Ok(Sealed {
            kid,
            nonce,
            ciphertext,
        })
    }

    async fn open(
        &self,
        kid: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let key = match self.cached() {
            Some((k, key)) if k == kid => Some(key),
            _ => None,
        };
        let key = match key {
            Some(key) => key,
            None => match self.stored().await? {
                Some((k, key)) if k == kid => {
                    self.remember(&(k, key.clone()));
                    key
                }
                _ => return Err(SealError::KeyMissing),
            },
        };
        subtle::decrypt(&key, nonce, aad, ciphertext)
            .await
            .map_err(|e| match e {
                subtle::CryptoError::Rejected => SealError::Rejected,
                subtle::CryptoError::Failed(m) => SealError::Backend(m),
            })
    }
}
