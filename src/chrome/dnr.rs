//! `chrome.declarativeNetRequest` session rules: the one rule that removes `Origin` from the
//! extension's own requests to a Microsoft token endpoint, for public-client registrations.

use crate::js::{JsError, js_error};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = ["chrome", "declarativeNetRequest"], js_name = updateSessionRules)]
    fn update_session_rules_call(options: JsValue) -> Result<JsValue, JsValue>;
}

async fn update_session_rules(options: JsValue) -> Result<JsValue, JsValue> {
    crate::js::settle(update_session_rules_call(options)).await
}

/// The id of the rule.
const ORIGIN_RULE: u32 = 1;

/// With `Some(authority_origin)`, removes `Origin` from requests this extension itself makes to
/// `{authority_origin}/{tenant}/oauth2/v2.0/token` (and nothing else: no other URL, no page's
/// requests); with `None`, removes the rule. `initiator_host` is the host of the extension's
/// own origin: its id in Chromium, its per-profile UUID in Firefox (`moz-extension://<uuid>`),
/// which is what each browser matches `initiatorDomains` against.
pub async fn strip_origin_for_token_endpoint(
    authority_origin: Option<&str>,
    initiator_host: &str,
) -> Result<(), JsError> {
    let add_rules = match authority_origin {
        Some(origin) => vec![Rule {
            id: ORIGIN_RULE,
            priority: 1,
            action: Action {
                kind: "modifyHeaders",
                request_headers: [Header {
                    header: "origin",
                    operation: "remove",
                }],
            },
            condition: Condition {
                regex_filter: format!("^{}/[^/?#]+/oauth2/v2\\.0/token$", regex_escape(origin)),
                initiator_domains: [initiator_host],
                resource_types: ["xmlhttprequest", "other"],
            },
        }],
        None => Vec::new(),
    };
    let options = UpdateRuleOptions {
        remove_rule_ids: [ORIGIN_RULE],
        add_rules,
    };
    update_session_rules(crate::js::to_js(&options))
        .await
        .map_err(js_error)?;
    Ok(())
}

/// `chrome.declarativeNetRequest.UpdateRuleOptions`, with only what this rule uses.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRuleOptions<'a> {
    remove_rule_ids: [u32; 1],
    add_rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
struct Rule<'a> {
    id: u32,
    priority: u32,
    action: Action,
    condition: Condition<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Action {
    #[serde(rename = "type")]
    kind: &'static str,
    request_headers: [Header; 1],
}

#[derive(Serialize)]
struct Header {
    header: &'static str,
    operation: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Condition<'a> {
    regex_filter: String,
    initiator_domains: [&'a str; 1],
    resource_types: [&'static str; 2],
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
