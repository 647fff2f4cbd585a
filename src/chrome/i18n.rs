//! `chrome.i18n`: the extension's message catalogue (`_locales/<lang>/messages.json`) in the
//! language the browser chose.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    fn get_message_call(key: &str) -> Result<JsValue, JsValue>;
}

/// The message under `key`, or `english` where the catalogue has none (or there is no
/// `chrome.i18n`, as in a test page).
pub fn message(key: &str, english: &str) -> String {
    get_message_call(key)
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| english.to_owned())
}
