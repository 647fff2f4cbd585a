//! `chrome.i18n`: the extension's message catalogue (`_locales/<lang>/messages.json`) in the
//! language the browser chose.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    fn get_message_call(key: &str, substitutions: js_sys::Array) -> Result<JsValue, JsValue>;
}

/// The message under `key` with `args` for `$1`…`$9`; `None` where the catalogue has none or
/// there is no `chrome.i18n` (the Outlook task pane, a test page).
#[cfg(target_arch = "wasm32")]
pub fn message(key: &str, args: &[&str]) -> Option<String> {
    let substitutions: js_sys::Array = args.iter().map(|a| JsValue::from_str(a)).collect();
    get_message_call(key, substitutions)
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
}

/// Native unit tests have no catalogue: every message is missing.
#[cfg(not(target_arch = "wasm32"))]
pub fn message(_key: &str, _args: &[&str]) -> Option<String> {
    None
}
