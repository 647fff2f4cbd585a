//! `chrome.identity`.

use crate::js::{JsError, js_error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "identity"], js_name = launchWebAuthFlow)]
    fn launch_web_auth_flow_call(details: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "identity"], js_name = getRedirectURL)]
    fn get_redirect_url(path: &str) -> String;
}

async fn launch_web_auth_flow(details: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(launch_web_auth_flow_call(details)).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebAuthFlowDetails<'a> {
    url: &'a str,
    interactive: bool,
}

/// Opens the auth window at `url`; resolves to the URL the provider redirected to under
/// `https://<id>.chromiumapp.org/`. Errors are the browser's message.
pub async fn launch(url: &str, interactive: bool) -> Result<String, JsError> {
    let details = crate::js::to_js(&WebAuthFlowDetails { url, interactive });
    let result = launch_web_auth_flow(details).await.map_err(js_error)?;
    result.as_string().ok_or_else(|| JsError {
        name: "TypeError".into(),
        message: "the auth flow returned no URL".into(),
    })
}

/// `https://<extension-id>.chromiumapp.org/<path>`: a distinct path per provider.
pub fn redirect_url(path: &str) -> String {
    get_redirect_url(path)
}
