//! `chrome.alarms`: the worker's only timer (it outlives the worker; `setTimeout` does not).

use crate::js::{JsError, js_error};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = create)]
    fn create_raw_call(name: &str, info: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "alarms"], js_name = clear)]
    fn clear_raw_call(name: &str) -> Result<JsValue, JsValue>;
}

async fn create_raw(name: &str, info: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(create_raw_call(name, info)).await
}

async fn clear_raw(name: &str) -> Result<JsValue, JsValue> {
    crate::js::settle(clear_raw_call(name)).await
}

/// Sets (or moves) the alarm `name` to fire once at `when_ms` (epoch milliseconds). One named
/// alarm: a machine that slept past it gets one catch-up event, not a burst.
pub async fn set(name: &str, when_ms: f64) -> Result<(), JsError> {
    let info = Object::new();
    Reflect::set(&info, &"when".into(), &when_ms.into()).map_err(js_error)?;
    create_raw(name, info.into()).await.map_err(js_error)?;
    Ok(())
}

/// Removes the alarm `name`.
pub async fn clear(name: &str) -> Result<(), JsError> {
    clear_raw(name).await.map_err(js_error)?;
    Ok(())
}
