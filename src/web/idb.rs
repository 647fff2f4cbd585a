//! IndexedDB: one database with one object store of out-of-line keys, enough to keep a
//! `CryptoKey` (storage APIs that take JSON cannot hold one; IndexedDB structured-clones it
//! and keeps it non-extractable).

use super::global;
use crate::js::js_error;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Event, IdbDatabase, IdbFactory, IdbOpenDbRequest, IdbRequest, IdbTransactionMode};

const STORE: &str = "keys";

/// Why an IndexedDB call failed: the exception's `name` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdbError {
    /// e.g. "ConstraintError".
    pub name: String,
    /// The message.
    pub message: String,
}

impl std::fmt::Display for IdbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

fn idb_error(value: JsValue) -> IdbError {
    let e = js_error(value);
    IdbError {
        name: e.name,
        message: e.message,
    }
}

fn other(message: String) -> IdbError {
    IdbError {
        name: "Error".into(),
        message,
    }
}

/// Resolves when `request` succeeds, with its result.
async fn done(request: &IdbRequest) -> Result<JsValue, IdbError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let req = request.clone();
        let ok = Closure::once_into_js(move |_: Event| {
            let _ = resolve.call1(
                &JsValue::UNDEFINED,
                &req.result().unwrap_or(JsValue::UNDEFINED),
            );
        });
        let req = request.clone();
        let fail = Closure::once_into_js(move |event: Event| {
            event.prevent_default();
            let error = req
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::UNDEFINED);
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(fail.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(idb_error)
}

/// Opens (creating on first use) database `name`.
pub async fn open(name: &str) -> Result<IdbDatabase, IdbError> {
    let factory: IdbFactory = global("indexedDB").map_err(other)?;
    let request: IdbOpenDbRequest = factory.open_with_u32(name, 1).map_err(idb_error)?;
    let upgrade = Closure::once_into_js(move |event: Event| {
        if let Some(db) = event
            .target()
            .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            .and_then(|r| r.result().ok())
            .and_then(|r| r.dyn_into::<IdbDatabase>().ok())
        {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    Ok(done(&request).await?.unchecked_into())
}

/// The value under `key`, `undefined` when absent.
pub async fn get(db: &IdbDatabase, key: &str) -> Result<JsValue, IdbError> {
    let tx = db.transaction_with_str(STORE).map_err(idb_error)?;
    let store = tx.object_store(STORE).map_err(idb_error)?;
    done(&store.get(&JsValue::from_str(key)).map_err(idb_error)?).await
}

/// Adds `value` under `key`; fails with `ConstraintError` when the key exists, so two contexts
/// racing to create the same entry cannot overwrite each other.
pub async fn add(db: &IdbDatabase, key: &str, value: &JsValue) -> Result<(), IdbError> {
    let tx = db
        .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
        .map_err(idb_error)?;
    let store = tx.object_store(STORE).map_err(idb_error)?;
    done(
        &store
            .add_with_key(value, &JsValue::from_str(key))
            .map_err(idb_error)?,
    )
    .await
    .map(drop)
}

/// Deletes database `name` (tests use it to simulate a lost key).
pub async fn delete_database(name: &str) -> Result<(), IdbError> {
    let factory: IdbFactory = global("indexedDB").map_err(other)?;
    let request = factory.delete_database(name).map_err(idb_error)?;
    done(&request).await.map(drop)
}
