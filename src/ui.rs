//! Rendering shared by every surface that lists connections: the popup and the Outlook task pane
//! draw the same rows (the options page draws its own details). Text is always set as text,
//! never as markup.

use tokenwatch_core::ids::ConnectionId;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::messages::{ConnectionView, Envelope, ErrorCode, Request, Response};
use tokenwatch_core::status::Tone;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element};

/// Asks the service worker; a worker that cannot be reached becomes an error answer.
pub async fn ask(request: Request) -> Response {
    let message = crate::js::to_js(&Envelope::new(request));
    match crate::chrome::runtime::send_message(message).await {
        Ok(answer) => crate::js::from_js(&answer).unwrap_or_else(|| {
            Response::error(ErrorCode::Malformed, crate::i18n::t("uiWorkerOdd", &[]))
        }),
        Err(_) => Response::error(
            ErrorCode::UnreachableWorker,
            crate::i18n::t("uiWorkerGone", &[]),
        ),
    }
}

fn el(doc: &Document, tag: &str, class: &str, text: Option<&str>) -> Result<Element, JsValue> {
    let e = doc.create_element(tag)?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if let Some(t) = text {
        e.set_text_content(Some(t));
    }
    Ok(e)
}

/// Local wall-clock time of `ms`, e.g. "14:02", or the date when it is not today.
pub fn local_time(ms: i64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms as f64));
    let today = js_sys::Date::new_0();
    let options = js_sys::Object::new();
    let same_day = date.to_date_string() == today.to_date_string();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    };
    if !same_day {
        set("dateStyle", "medium");
    }
    set("timeStyle", "short");
    // In the page's language (the catalogue's: the browser's in the extension, Office's in the
    // pane), so dates read like the words around them.
    let lang = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "default".to_owned());
    String::from(date.to_locale_string(&lang, &options))
}

/// Creates an element under `parent`.
pub(crate) fn child(
    doc: &Document,
    parent: &Element,
    tag: &str,
    class: &str,
    text: Option<&str>,
) -> Result<Element, JsValue> {
    let e = el(doc, tag, class, text)?;
    parent.append_child(&e)?;
    Ok(e)
}

/// A row action: a button whose class names the action and whose `data-id` names the row. Its
/// accessible name is its visible text followed by the connection (`Check now: Acme (ada@…)`):
/// the text comes first, so a person who says what they see (speech input) reaches it, and a
/// screen reader tells the rows' buttons apart (WCAG 2.5.3, label in name).
fn button(
    doc: &Document,
    parent: &Element,
    class: &str,
    text: &str,
    id: &ConnectionId,
    who: &str,
) -> Result<(), JsValue> {
    let b = child(doc, parent, "button", class, Some(text))?;
    b.set_attribute("type", "button")?;
    b.set_attribute("data-id", id.as_str())?;
    b.set_attribute("aria-label", &format!("{text}: {who}"))
}

/// One list item per connection, with its actions: Sign in again (when it needs the person),
/// Check now, Change account and Disconnect.
pub fn render_connections(
    doc: &Document,
    list: &Element,
    connections: &[ConnectionView],
) -> Result<(), JsValue> {
    list.set_text_content(None);
    for c in connections {
        let item = child(doc, list, "li", "conn", None)?;
        item.set_attribute("data-id", c.id.as_str())?;
        let tone = match c.status.tone {
            Tone::Ok => "ok",
            Tone::Error => "error",
            Tone::Warn => "warn",
        };
        let label = crate::i18n::said(c.label_said.as_ref(), &c.label);
        let head = child(doc, &item, "div", "conn-head", None)?;
        child(doc, &head, "span", "provider", Some(c.provider.name()))?;
        child(doc, &head, "strong", "label", Some(&label))?;
        let place = match c.provider {
            Provider::Salesforce => crate::i18n::t("uiOrg", &[]),
            Provider::Microsoft => crate::i18n::t("commonTenant", &[]),
        };
        child(
            doc,
            &item,
            "div",
            "account",
            Some(&format!("{} · {place} {}", c.username, c.org_id)),
        )?;
        let status = child(doc, &item, "div", &format!("status tone-{tone}"), None)?;
        child(doc, &status, "span", "dot", None)?.set_attribute("aria-hidden", "true")?;
        let words = &c.status.said;
        child(
            doc,
            &status,
            "span",
            "status-title",
            Some(&crate::i18n::said(words.title.as_ref(), &c.status.title)),
        )?;
        child(
            doc,
            &status,
            "span",
            "status-detail",
            Some(&crate::i18n::said(words.detail.as_ref(), &c.status.detail)),
        )?;
        if !c.status.times.is_empty() {
            let times: Vec<String> = c
                .status
                .times
                .iter()
                .map(|t| {
                    let label = match &t.key {
                        Some(key) => crate::i18n::or_english(key, &[], &t.label),
                        None => t.label.clone(),
                    };
                    format!("{label} {}", local_time(t.at.as_millis()))
                })
                .collect();
            child(doc, &item, "div", "status-times", Some(&times.join(" · ")))?;
        }
        if let Some(action) = &c.status.action {
            let action = crate::i18n::said(words.action.as_ref(), action);
            child(doc, &item, "div", "status-action", Some(&action))?;
        }
        let foot = child(doc, &item, "div", "conn-foot", None)?;
        let checked = match c.checked_at {
            Some(t) => crate::i18n::t("uiChecked", &[&local_time(t.as_millis())]),
            None => crate::i18n::t("uiNotChecked", &[]),
        };
        child(doc, &foot, "span", "checked", Some(&checked))?;
        let actions = child(doc, &foot, "div", "actions", None)?;
        let who = format!("{label} ({})", c.username);
        let readable = c.login_host.is_some();
        if c.status.alert.is_some() && readable {
            let label = if c.status.tone == Tone::Error {
                crate::i18n::t("uiSignInAgain", &[])
            } else {
                crate::i18n::t("uiRenewNow", &[])
            };
            button(doc, &actions, "renew", &label, &c.id, &who)?;
        }
        let text = crate::i18n::t;
        button(
            doc,
            &actions,
            "check",
            &text("uiCheckNow", &[]),
            &c.id,
            &who,
        )?;
        if readable {
            button(
                doc,
                &actions,
                "change",
                &text("uiChangeAccount", &[]),
                &c.id,
                &who,
            )?;
        }
        if readable {
            button(
                doc,
                &actions,
                "report",
                &text("uiCopyReport", &[]),
                &c.id,
                &who,
            )?;
        }
        button(
            doc,
            &actions,
            "disconnect",
            &text("uiDisconnect", &[]),
            &c.id,
            &who,
        )?;
    }
    Ok(())
}

/// Writes `text` to the clipboard (`navigator.clipboard.writeText`, which needs the click that
/// asked for it).
pub async fn copy_text(text: &str) -> Result<(), JsValue> {
    let clipboard = web_sys::window()
        .ok_or("no window")?
        .navigator()
        .clipboard();
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text)).await?;
    Ok(())
}

/// Shows `text` read-only under connection `id`'s row, to be copied by hand.
pub fn show_report(
    doc: &Document,
    list: &Element,
    id: &ConnectionId,
    text: &str,
) -> Result<(), JsValue> {
    let Some(row) = list
        .query_selector(&format!("li[data-id=\"{}\"]", id.as_str()))
        .ok()
        .flatten()
    else {
        return Ok(());
    };
    let area = match row.query_selector("textarea.report-text")? {
        Some(a) => a,
        None => child(doc, &row, "textarea", "report-text", None)?,
    };
    area.set_attribute("readonly", "")?;
    area.set_attribute("aria-label", "Diagnostic report")?;
    area.set_text_content(Some(text));
    Ok(())
}

/// Adds an event listener that lives as long as the page.
pub(crate) fn on(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(web_sys::Event) + 'static,
) -> Result<(), JsValue> {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(f);
    target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
    closure.forget();
    Ok(())
}

/// The connection button an event in a list came from (the click may land on the button's
/// text), with the connection it names; `None` for clicks elsewhere or a malformed id.
pub(crate) fn connection_button(event: &web_sys::Event) -> Option<(Element, ConnectionId)> {
    let button = event
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| t.closest("button").ok().flatten())?;
    let id = ConnectionId::parse(&button.get_attribute("data-id")?)?;
    Some((button, id))
}

/// The element `#id` of this page as `T`; a page without it is a packaging mistake, said so.
pub(crate) fn by_id<T: JsCast>(doc: &Document, id: &str) -> Result<T, JsValue> {
    doc.get_element_by_id(id)
        .ok_or_else(|| JsValue::from_str(&format!("this page lacks #{id}")))?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str(&format!("#{id} has the wrong element type")))
}

/// Shows `text` in the page's message line, as an alert when it is an error.
pub(crate) fn say(message: &Element, text: &str, error: bool) {
    message.set_text_content(Some(text));
    message.set_class_name(if error { "message error" } else { "message" });
    let _ = message.set_attribute("role", if error { "alert" } else { "status" });
}
