//! The parts of Office.js the add-in uses, reached through the global `Office` that
//! `office.js` defines: `onReady`, the dialog API, the mail item's `notificationMessages` and
//! the `ItemChanged` event. Office's callback style (`…Async(args, callback(asyncResult))`)
//! becomes `async` functions returning `Result`.

use crate::js::deferred;
use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// An Office.js failure: the numeric code (dialog errors such as 12006) or 0, Office's error
/// name (mailbox errors such as `NumberOfNotificationMessagesExceeded`) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeError {
    /// Office's numeric code, 0 when it gave none.
    pub code: i32,
    /// Office's error name.
    pub name: String,
    /// Office's message.
    pub message: String,
}

impl OfficeError {
    fn new(message: &str) -> Self {
        Self {
            code: 0,
            name: String::new(),
            message: message.into(),
        }
    }

    fn from_js(error: &JsValue) -> Self {
        if let Some(message) = error.as_string() {
            return Self::new(&message);
        }
        Self {
            code: get(error, "code").as_f64().unwrap_or(0.0) as i32,
            name: get(error, "name").as_string().unwrap_or_default(),
            message: get(error, "message").as_string().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for OfficeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.code, self.name, self.message)
    }
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `a.b.c` from the global object, or `undefined`.
fn path(keys: &[&str]) -> JsValue {
    keys.iter().fold(js_sys::global().into(), |at: JsValue, k| {
        if at.is_undefined() || at.is_null() {
            at
        } else {
            get(&at, k)
        }
    })
}

fn method(target: &JsValue, name: &str) -> Result<Function, OfficeError> {
    get(target, name)
        .dyn_into()
        .map_err(|_| OfficeError::new(&format!("Office.js has no {name} here")))
}

/// Waits for `Office.onReady`.
pub async fn ready() -> Result<(), OfficeError> {
    let office = path(&["Office"]);
    let on_ready = method(&office, "onReady")
        .map_err(|_| OfficeError::new("Office.js is not loaded; open Tokenwatch from Outlook"))?;
    let promise: Promise = on_ready
        .call0(&office)
        .map_err(|e| OfficeError::from_js(&e))?
        .dyn_into()
        .map_err(|_| OfficeError::new("Office.onReady returned no promise"))?;
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| OfficeError::from_js(&e))
}

/// Calls `target.name(...args, callback)` and waits for Office's `AsyncResult`: its `value`
/// when it succeeded, its `error` otherwise (also when the call throws).
async fn call_async(
    target: &JsValue,
    name: &str,
    args: &[JsValue],
) -> Result<JsValue, OfficeError> {
    let f = method(target, name)?;
    let (done, resolve) = deferred();
    let callback = Closure::once_into_js(move |result: JsValue| {
        let _ = resolve.call1(&JsValue::NULL, &result);
    });
    let all: Array = args.iter().collect();
    all.push(&callback);
    if let Err(thrown) = f.apply(target, &all) {
        return Err(OfficeError::from_js(&thrown));
    }
    let result = JsFuture::from(done)
        .await
        .map_err(|e| OfficeError::from_js(&e))?;
    if get(&result, "status").as_string().as_deref() == Some("succeeded") {
        Ok(get(&result, "value"))
    } else {
        Err(OfficeError::from_js(&get(&result, "error")))
    }
}

fn event_type(name: &str) -> JsValue {
    path(&["Office", "EventType", name])
}

/// What an Office dialog reported first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogOutcome {
    /// `messageParent` from the dialog page, with the sender's origin when Office gives it.
    Message {
        /// The message.
        message: String,
        /// The sending page's origin.
        origin: Option<String>,
    },
    /// A `DialogEventReceived`: 12006 closed by the person, 12002/12003 the page failed.
    Event(i32),
}

/// An open dialog.
#[derive(Debug)]
pub struct Dialog {
    dialog: JsValue,
    first: Promise,
}

impl Dialog {
    /// `Office.context.ui.displayDialogAsync(url)`, with handlers for its messages and events
    /// attached before anything can arrive.
    pub async fn open(url: &str) -> Result<Self, OfficeError> {
        let ui = path(&["Office", "context", "ui"]);
        let options = Object::new();
        let _ = Reflect::set(&options, &"height".into(), &60.into());
        let _ = Reflect::set(&options, &"width".into(), &35.into());
        let _ = Reflect::set(&options, &"promptBeforeOpen".into(), &false.into());
        let dialog = call_async(&ui, "displayDialogAsync", &[url.into(), options.into()]).await?;
        let (first, resolve) = deferred();
        let add = method(&dialog, "addEventHandler")?;
        let on_message = {
            let resolve = resolve.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
                let _ = resolve.call1(&JsValue::NULL, &pair("message", &arg));
            })
            .into_js_value()
        };
        let on_event = Closure::<dyn FnMut(JsValue)>::new(move |arg: JsValue| {
            let _ = resolve.call1(&JsValue::NULL, &pair("event", &arg));
        })
        .into_js_value();
        add.call2(&dialog, &event_type("DialogMessageReceived"), &on_message)
            .map_err(|e| OfficeError::from_js(&e))?;
        add.call2(&dialog, &event_type("DialogEventReceived"), &on_event)
            .map_err(|e| OfficeError::from_js(&e))?;
        Ok(Self { dialog, first })
    }

    /// The dialog's first message or event.
    pub async fn outcome(&self) -> DialogOutcome {
        let got = JsFuture::from(self.first.clone())
            .await
            .unwrap_or(JsValue::UNDEFINED);
        let arg = get(&got, "arg");
        if get(&got, "kind").as_string().as_deref() == Some("message") {
            DialogOutcome::Message {
                message: get(&arg, "message").as_string().unwrap_or_default(),
                origin: get(&arg, "origin").as_string(),
            }
        } else {
            DialogOutcome::Event(get(&arg, "error").as_f64().unwrap_or(0.0) as i32)
        }
    }

    /// Closes the dialog.
    pub fn close(&self) {
        if let Ok(close) = method(&self.dialog, "close") {
            let _ = close.call0(&self.dialog);
        }
    }
}

fn pair(kind: &str, arg: &JsValue) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"kind".into(), &kind.into());
    let _ = Reflect::set(&o, &"arg".into(), arg);
    o.into()
}

/// The selected mail item, if one is selected (a pinned pane may have none).
pub fn item() -> Option<JsValue> {
    let item = path(&["Office", "context", "mailbox", "item"]);
    (!item.is_undefined() && !item.is_null()).then_some(item)
}

/// The item's notification messages as (key, text).
pub async fn messages(item: &JsValue) -> Result<Vec<(String, String)>, OfficeError> {
    let all = call_async(&get(item, "notificationMessages"), "getAllAsync", &[]).await?;
    Ok(Array::from(&all)
        .iter()
        .map(|m| {
            (
                get(&m, "key").as_string().unwrap_or_default(),
                get(&m, "message").as_string().unwrap_or_default(),
            )
        })
        .collect())
}

/// Puts an informational message with the add-in's 16 px icon under `key`, replacing any
/// message there. Not persistent: Outlook drops it when the person moves to another item,
/// and the add-in writes it again on `ItemChanged`.
pub async fn replace_message(item: &JsValue, key: &str, text: &str) -> Result<(), OfficeError> {
    let details = Object::new();
    let informational = path(&[
        "Office",
        "MailboxEnums",
        "ItemNotificationMessageType",
        "InformationalMessage",
    ]);
    let _ = Reflect::set(&details, &"type".into(), &informational);
    let _ = Reflect::set(&details, &"message".into(), &text.into());
    let _ = Reflect::set(&details, &"icon".into(), &"Icon.16x16".into());
    let _ = Reflect::set(&details, &"persistent".into(), &false.into());
    call_async(
        &get(item, "notificationMessages"),
        "replaceAsync",
        &[key.into(), details.into()],
    )
    .await
    .map(|_| ())
}

/// Removes the message under `key`.
pub async fn remove_message(item: &JsValue, key: &str) -> Result<(), OfficeError> {
    call_async(
        &get(item, "notificationMessages"),
        "removeAsync",
        &[key.into()],
    )
    .await
    .map(|_| ())
}

/// Calls `handler` after every `ItemChanged` (the person selected another mail while the
/// pane is pinned).
pub async fn on_item_changed(handler: impl FnMut() + 'static) -> Result<(), OfficeError> {
    let mut handler = handler;
    let callback = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| handler()).into_js_value();
    call_async(
        &path(&["Office", "context", "mailbox"]),
        "addHandlerAsync",
        &[event_type("ItemChanged"), callback],
    )
    .await
    .map(|_| ())
}
