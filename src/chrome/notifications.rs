//! `chrome.notifications`: system notifications with buttons.

use crate::js::{JsError, js_error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "notifications"], js_name = create)]
    fn create_raw_call(id: &str, options: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "notifications"], js_name = clear)]
    fn clear_raw_call(id: &str) -> Result<JsValue, JsValue>;
}

async fn create_raw(id: &str, options: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(create_raw_call(id, options)).await
}

async fn clear_raw(id: &str) -> Result<JsValue, JsValue> {
    crate::js::settle(clear_raw_call(id)).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Options<'a> {
    r#type: &'static str,
    icon_url: &'a str,
    title: &'a str,
    message: &'a str,
    buttons: Vec<Button<'a>>,
    require_interaction: bool,
}

#[derive(Serialize)]
struct Button<'a> {
    title: &'a str,
}

/// Shows (or replaces) the notification `id` with one button per entry of `buttons`.
pub async fn show(
    id: &str,
    icon_url: &str,
    title: &str,
    message: &str,
    buttons: &[&str],
) -> Result<(), JsError> {
    let options = Options {
        r#type: "basic",
        icon_url,
        title,
        message,
        buttons: buttons.iter().map(|title| Button { title }).collect(),
        require_interaction: true,
    };
    let value = crate::js::to_js(&options);
    create_raw(id, value).await.map_err(js_error)?;
    Ok(())
}

/// Removes the notification `id`.
pub async fn clear(id: &str) -> Result<(), JsError> {
    clear_raw(id).await.map_err(js_error)?;
    Ok(())
}
