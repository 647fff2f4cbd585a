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
