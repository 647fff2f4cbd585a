//! `chrome.storage.local`: string values under string keys.

use crate::js::{JsError, js_error};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = get)]
    fn local_get_call(keys: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = set)]
    fn local_set_call(items: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = remove)]
    fn local_remove_call(keys: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = getKeys)]
    fn local_get_keys_call() -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "local"], js_name = setAccessLevel)]
    fn local_set_access_level_call(details: JsValue) -> Result<JsValue, JsValue>;
}

async fn local_get(keys: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(local_get_call(keys)).await
}

async fn local_set(items: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(local_set_call(items)).await
}

async fn local_remove(keys: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(local_remove_call(keys)).await
}

async fn local_get_keys() -> Result<JsValue, JsValue> {
    crate::js::settle(local_get_keys_call()).await
}

async fn local_set_access_level(details: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(local_set_access_level_call(details)).await
}

async fn managed_get(keys: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(managed_get_call(keys)).await
}

/// Restricts `chrome.storage.local` to trusted contexts (the extension's pages and worker), so
/// content scripts cannot read it. Chrome keeps the level as an extension preference; browsers
/// that support it only for `storage.session` (Firefox) refuse the call, and local storage stays
/// readable by content scripts there, which is one reason the records are sealed.
pub async fn restrict_to_trusted_contexts() -> Result<(), JsError> {
    let details = Object::new();
    Reflect::set(&details, &"accessLevel".into(), &"TRUSTED_CONTEXTS".into()).map_err(js_error)?;
    local_set_access_level(details.into())
        .await
        .map_err(js_error)?;
    Ok(())
}

/// The string under `key`, if any. A non-string value reads as absent.
pub async fn get(key: &str) -> Result<Option<String>, JsError> {
    let items = local_get(JsValue::from_str(key)).await.map_err(js_error)?;
    let value = Reflect::get(&items, &JsValue::from_str(key)).map_err(js_error)?;
    Ok(value.as_string())
}

/// Stores `value` under `key`.
pub async fn set(key: &str, value: &str) -> Result<(), JsError> {
    let items = Object::new();
    Reflect::set(&items, &JsValue::from_str(key), &JsValue::from_str(value)).map_err(js_error)?;
    local_set(items.into()).await.map_err(js_error)?;
    Ok(())
}

/// Removes `key`.
pub async fn remove(key: &str) -> Result<(), JsError> {
    local_remove(JsValue::from_str(key))
        .await
        .map_err(js_error)?;
    Ok(())
}

/// Every string entry whose key starts with `prefix`, in key order. Where the browser has
/// `getKeys` (Chrome 130+) only the matching entries cross into the worker, not the whole
/// store (every sealed record) as `get(null)` would bring.
pub async fn list(prefix: &str) -> Result<Vec<(String, String)>, JsError> {
    let wanted = if prefix.is_empty() {
        JsValue::NULL
    } else {
        match local_get_keys().await {
            Ok(keys) => {
                // Compared in JavaScript: no key is copied into the wasm to be looked at.
                let matching: js_sys::Array = js_sys::Array::from(&keys)
                    .iter()
                    .filter(|k| {
                        k.dyn_ref::<js_sys::JsString>()
                            .is_some_and(|k| k.starts_with(prefix, 0))
                    })
                    .collect();
                if matching.length() == 0 {
                    return Ok(Vec::new());
                }
                matching.into()
            }
            Err(_) => JsValue::NULL,
        }
    };
    let items = local_get(wanted).await.map_err(js_error)?;
    let mut out: Vec<(String, String)> = Object::entries(&items.unchecked_into())
        .iter()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.unchecked_into();
            let key = pair.get(0).as_string()?;
            let value = pair.get(1).as_string()?;
            key.starts_with(prefix).then_some((key, value))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "managed"], js_name = get)]
    fn managed_get_call(keys: JsValue) -> Result<JsValue, JsValue>;
}

/// Everything an administrator pushed through policy (`chrome.storage.managed`); the default
/// where no policy applies, the browser has no managed storage or the policy does not fit `T`.
pub async fn managed<T: serde::de::DeserializeOwned + Default>() -> T {
    match managed_get(JsValue::NULL).await {
        Ok(items) => crate::js::from_js(&items).unwrap_or_default(),
        Err(_) => T::default(),
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "storage", "session"], js_name = set)]
    fn session_set_call(items: JsValue) -> Result<JsValue, JsValue>;
}

/// Keeps `value` under `key` in `chrome.storage.session`: held in memory for the browser
/// session, never written to disk, and open only to the extension's own pages and worker
/// (content scripts cannot read it unless the extension opens it, which Tokenwatch never does).
pub async fn session_set(key: &str, value: &JsValue) -> Result<(), JsError> {
    let items = Object::new();
    Reflect::set(&items, &JsValue::from_str(key), value).map_err(js_error)?;
    crate::js::settle(session_set_call(items.into()))
        .await
        .map_err(js_error)?;
    Ok(())
}
