//! `chrome.permissions`: host access beyond the shipped hosts, asked at run time.

use crate::js::{JsError, js_error};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = request)]
    fn request_raw_call(permissions: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "permissions"], js_name = contains)]
    fn contains_raw_call(permissions: JsValue) -> Result<JsValue, JsValue>;
}

async fn request_raw(permissions: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(request_raw_call(permissions)).await
}

async fn contains_raw(permissions: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(contains_raw_call(permissions)).await
}

fn origins(patterns: &[String]) -> Result<JsValue, JsError> {
    let list = Array::new();
    for p in patterns {
        list.push(&JsValue::from_str(p));
    }
    let o = Object::new();
    Reflect::set(&o, &"origins".into(), &list).map_err(js_error)?;
    Ok(o.into())
}

/// Whether the extension already has host access to every pattern.
pub async fn contains(patterns: &[String]) -> Result<bool, JsError> {
    let answer = contains_raw(origins(patterns)?).await.map_err(js_error)?;
    Ok(answer.as_bool().unwrap_or(false))
}

/// Asks the person for host access to `patterns` (needs a click in this page); whether it was
/// granted.
pub async fn request(patterns: &[String]) -> Result<bool, JsError> {
    let answer = request_raw(origins(patterns)?).await.map_err(js_error)?;
    Ok(answer.as_bool().unwrap_or(false))
}
