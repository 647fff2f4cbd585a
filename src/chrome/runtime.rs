//! `chrome.runtime`.

use crate::js::{JsError, js_error};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type Runtime;

    #[wasm_bindgen(thread_local_v2, js_namespace = chrome, js_name = runtime)]
    static RUNTIME: Runtime;

    #[wasm_bindgen(method, getter)]
    fn id(this: &Runtime) -> String;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "runtime"], js_name = sendMessage)]
    fn send_message_raw_call(message: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    fn get_url_raw(path: &str) -> String;
}

async fn send_message_raw(message: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(send_message_raw_call(message)).await
}

/// This extension's id.
pub fn id() -> String {
    RUNTIME.with(Runtime::id)
}

/// The URL of a file packaged in the extension.
pub fn get_url(path: &str) -> String {
    get_url_raw(path)
}

/// Sends `message` to the extension's service worker and awaits its answer.
pub async fn send_message(message: JsValue) -> Result<JsValue, JsError> {
    send_message_raw(message).await.map_err(js_error)
}

/// This extension as the sender check and the network rules need it: its id and its pages'
/// origin as this browser reports it.
pub fn own() -> tokenwatch_core::sender::Own {
    tokenwatch_core::sender::Own::new(&id(), &get_url(""))
}
