//! `chrome.action`: the toolbar button's badge and tooltip.

use crate::js::{JsError, js_error};
use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeText)]
    fn set_badge_text_call(details: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor)]
    fn set_badge_background_color_call(details: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(catch, js_namespace = ["chrome", "action"], js_name = setTitle)]
    fn set_title_call(details: JsValue) -> Result<JsValue, JsValue>;
}

async fn set_badge_text(details: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(set_badge_text_call(details)).await
}

async fn set_badge_background_color(details: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(set_badge_background_color_call(details)).await
}

async fn set_title(details: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(set_title_call(details)).await
}

fn one(key: &str, value: &str) -> Result<JsValue, JsError> {
    let o = Object::new();
    Reflect::set(&o, &key.into(), &value.into()).map_err(js_error)?;
    Ok(o.into())
}

/// Shows `text` on the badge in `color` (`#rrggbb`), with `title` as the button's tooltip.
pub async fn badge(text: &str, color: &str, title: &str) -> Result<(), JsError> {
    set_badge_text(one("text", text)?).await.map_err(js_error)?;
    set_badge_background_color(one("color", color)?)
        .await
        .map_err(js_error)?;
    set_title(one("title", title)?).await.map_err(js_error)?;
    Ok(())
}
