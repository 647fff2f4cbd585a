//! Bindings to web platform APIs the extension and the add-in share, one file per API. They
//! reach globals through `js_sys::global()`, so they work in the service worker (no window).

pub mod idb;
pub mod locks;
pub mod subtle;

use wasm_bindgen::{JsCast, JsValue};

/// A global of the current context (`indexedDB`, `crypto`), typed; its absence said in words.
fn global<T: JsCast>(name: &str) -> Result<T, String> {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .and_then(|v| v.dyn_into::<T>().ok())
        .ok_or_else(|| format!("{name} is not available in this context"))
}
