//! `navigator.locks`: a named lock shared by every context of the origin (the service worker
//! and every extension page), held across `await`s.

use crate::js::{JsError, deferred, js_error};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["navigator", "locks"], js_name = request)]
    fn lock_request(name: &str, callback: &Function) -> Result<Promise, JsValue>;
}

/// Releases the lock when dropped.
#[derive(Debug)]
pub struct LockGuard {
    release: Function,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Waits for the lock `name`. The browser holds it while the callback's promise is pending;
/// that promise resolves when the guard is dropped.
pub async fn acquire(name: &str) -> Result<LockGuard, JsError> {
    let (held_until, release) = deferred();
    let (granted, grant) = deferred();
    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = grant.call0(&JsValue::UNDEFINED);
        held_until.into()
    });
    // The request's own promise settles after release; nothing waits on it.
    let _settles_after_release = lock_request(name, callback.unchecked_ref()).map_err(js_error)?;
    JsFuture::from(granted).await.map_err(js_error)?;
    Ok(LockGuard { release })
}
