//! The one conversion from a JavaScript error to Rust.

use wasm_bindgen::{JsCast, JsValue};

/// The message of a thrown value: `Error.message`, a thrown string, or its type. Callers map it
/// to their own error enum; it never carries a token because no binding passes one into an
/// error (URLs with secrets are never part of a thrown message here).
pub fn js_error(value: JsValue) -> String {
    if let Some(e) = value.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    if let Some(s) = value.as_string() {
        return s;
    }
    value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "unknown".into())
}

/// Resolves after `ms` milliseconds (`setTimeout` on the global object: a page or a worker).
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(ms));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A promise and the function that resolves it.
pub fn deferred() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
    (promise, resolve.expect("the executor runs synchronously"))
}
