//! Every text the shell draws, from the message catalogue (`_locales/<lang>/messages.json`) in
//! the person's language: through `chrome.i18n` in the extension, and from the catalogue the task
//! pane fetched for Office's display language ([`use_catalogue`]) in the add-in.

#[cfg(feature = "outlook")]
use std::cell::RefCell;
#[cfg(feature = "outlook")]
use wasm_bindgen::prelude::*;

#[cfg(feature = "outlook")]
thread_local! {
    /// The pane's catalogue (the extension has `chrome.i18n` instead).
    static CATALOGUE: RefCell<Option<JsValue>> = const { RefCell::new(None) };
}

/// The catalogue to draw with (a parsed `messages.json`), for a page without `chrome.i18n`:
/// the Outlook task pane passes the one for Office's display language (or English).
#[cfg(feature = "outlook")]
#[wasm_bindgen]
pub fn use_catalogue(messages: JsValue) {
    CATALOGUE.with(|c| *c.borrow_mut() = Some(messages));
}

/// The message `key` with `args` put in for `$1`…`$9`. A key the catalogue lacks comes out as
/// itself, which the catalogue test and the end-to-end tests catch.
pub fn t(key: &str, args: &[&str]) -> String {
    message(key, args).unwrap_or_else(|| key.to_owned())
}

/// The message `key` with `args`, or `english` where the catalogue has none.
pub fn or_english(key: &str, args: &[&str], english: &str) -> String {
    message(key, args).unwrap_or_else(|| english.to_owned())
}

/// The words of `said` in the person's language, or `english` where the catalogue has no such
/// message (or the core gave none).
pub fn said(said: Option<&tokenwatch_core::status::Said>, english: &str) -> String {
    match said {
        Some(said) => {
            let args: Vec<&str> = said.args.iter().map(String::as_str).collect();
            or_english(&said.key, &args, english)
        }
        None => english.to_owned(),
    }
}

/// A failure's words in the person's language: its catalogue messages joined, or its English
/// where it has none (the technical failures) or the catalogue lacks one.
pub fn error(error: &tokenwatch_core::messages::ErrorView) -> String {
    if error.said.is_empty() {
        return error.message.clone();
    }
    let words: Option<Vec<String>> = error
        .said
        .iter()
        .map(|said| {
            let args: Vec<&str> = said.args.iter().map(String::as_str).collect();
            message(&said.key, &args)
        })
        .collect();
    words.map_or_else(|| error.message.clone(), |w| w.join(" "))
}

/// The message `key` with `args`, from the pane's catalogue or `chrome.i18n`.
fn message(key: &str, args: &[&str]) -> Option<String> {
    #[cfg(feature = "outlook")]
    if let Some(text) = CATALOGUE.with(|c| c.borrow().as_ref().and_then(|m| lookup(m, key, args))) {
        return Some(text);
    }
    crate::chrome::i18n::message(key, args)
}

#[cfg(feature = "outlook")]
/// `key` in a parsed `messages.json`, as `chrome.i18n.getMessage` would give it: each
/// `$name$` replaced by its placeholder's content, then each `$n` by the n-th argument.
fn lookup(messages: &JsValue, key: &str, args: &[&str]) -> Option<String> {
    let entry = js_sys::Reflect::get(messages, &key.into()).ok()?;
    let message = js_sys::Reflect::get(&entry, &"message".into())
        .ok()?
        .as_string()?;
    let placeholders = js_sys::Reflect::get(&entry, &"placeholders".into()).ok();
    let content = |name: &str| -> Option<String> {
        let all = placeholders.as_ref().filter(|p| p.is_object())?;
        let found = js_sys::Object::keys(all.unchecked_ref::<js_sys::Object>())
            .iter()
            .filter_map(|k| k.as_string())
            .find(|k| k.eq_ignore_ascii_case(name))?;
        let p = js_sys::Reflect::get(all, &found.into()).ok()?;
        js_sys::Reflect::get(&p, &"content".into())
            .ok()?
            .as_string()
    };
    Some(substitute(&message, content, args))
}

#[cfg(feature = "outlook")]
/// Fills in a message: `$name$` through `content`, then `$1`…`$9` from `args`; `$$` is a `$`.
fn substitute(message: &str, content: impl Fn(&str) -> Option<String>, args: &[&str]) -> String {
    let mut named = String::new();
    let mut rest = message;
    while let Some(at) = rest.find('$') {
        named.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.find('$') {
            Some(end)
                if end > 0
                    && after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !after[..end].chars().all(|c| c.is_ascii_digit()) =>
            {
                named.push_str(&content(&after[..end]).unwrap_or_default());
                rest = &after[end + 1..];
            }
            _ => {
                named.push('$');
                rest = after;
            }
        }
    }
    named.push_str(rest);
    tokenwatch_core::words::fill(&named, args)
}

#[cfg(all(test, feature = "outlook"))]
mod tests {
    use super::substitute;

    #[test]
    fn placeholders_then_arguments_are_put_in_as_chrome_i18n_does() {
        let content = |name: &str| match name {
            "USER" | "user" => Some("$1".to_owned()),
            "when" => Some("$2".to_owned()),
            _ => None,
        };
        assert_eq!(
            substitute("Renew $USER$ by $when$", content, &["ada", "12:00"]),
            "Renew ada by 12:00"
        );
        assert_eq!(
            substitute("Costs $$5 for $1", content, &["all"]),
            "Costs $5 for all"
        );
        assert_eq!(substitute("No args: $1.", content, &[]), "No args: .");
        assert_eq!(substitute("Just text", content, &[]), "Just text");
    }
}
