//! The service worker's entry points.
//!
//! `worker.js` registers the extension's event listeners synchronously, as MV3 requires (an
//! event that wakes the worker is lost if its listener is added after the first turn, and the
//! wasm loads asynchronously), then forwards each event here. This file wires those events to
//! the engine and does nothing else.

use crate::adapters::WorkerPorts;
use crate::chrome::{identity, runtime, storage};
use crate::{config, ui};
use std::cell::RefCell;
use std::rc::Rc;
use tokenwatch_core::engine::{Engine, SalesforceApp};
use tokenwatch_core::messages::{Envelope, Request, Response};
use tokenwatch_core::sender::{self, MessageSender, SenderKind};
use url::Url;
use wasm_bindgen::prelude::*;

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine<WorkerPorts>>>> = const { RefCell::new(None) };
    /// Why the packaged Microsoft settings were refused, if they were.
    static MICROSOFT_SETUP: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The engine, built on first use in this worker's life. It holds no state of its own (the
/// store is the truth), so a worker restart loses nothing.
async fn engine() -> Rc<Engine<WorkerPorts>> {
    if let Some(engine) = ENGINE.with(|e| e.borrow().clone()) {
        return engine;
    }
    // Where the browser cannot restrict storage, sealing still keeps the tokens unreadable.
    let _ = storage::restrict_to_trusted_contexts().await;
    let config = config::load().await.unwrap_or_default();
    let redirect = Url::parse(&identity::redirect_url("salesforce")).ok();
    let app = match (config.salesforce.consumer_key, redirect) {
        (Some(consumer_key), Some(redirect)) => Some(SalesforceApp {
            consumer_key,
            redirect,
        }),
        _ => None,
    };
    let microsoft = match Url::parse(&identity::redirect_url("microsoft")) {
        Ok(redirect) => config.microsoft.app(redirect).unwrap_or_else(|e| {
            let why = format!("The Microsoft 365 settings in config.json are refused: {e}");
            MICROSOFT_SETUP.with(|m| *m.borrow_mut() = Some(why));
            None
        }),
        Err(_) => None,
    };
    let engine = Rc::new(Engine::new(WorkerPorts::default(), app).with_microsoft(microsoft));
    ENGINE.with(|e| e.borrow_mut().get_or_insert(engine).clone())
}

/// `chrome.runtime.onMessage`: checks the sender, decodes the request, answers it.
#[wasm_bindgen]
pub async fn handle_message(message: JsValue, sender: JsValue) -> JsValue {
    ui::to_js(&answer(message, sender).await)
}

async fn answer(message: JsValue, sender: JsValue) -> Response {
    let sender: MessageSender = serde_wasm_bindgen::from_value(sender).unwrap_or_default();
    let kind = sender::classify(&sender, &runtime::id());
    if kind == SenderKind::Foreign {
        return Response::forbidden();
    }
    let request = match serde_wasm_bindgen::from_value::<serde_json::Value>(message)
        .map_err(|_| tokenwatch_core::messages::MessageError::Malformed)
        .and_then(Envelope::decode)
    {
        Ok(request) => request,
        Err(e) => return Response::error("malformed", e.to_string()),
    };
    if !sender::permits(kind, &request) {
        return Response::forbidden();
    }
    let engine = engine().await;
    if let (Request::AddMicrosoft {}, Some(why)) =
        (&request, MICROSOFT_SETUP.with(|m| m.borrow().clone()))
    {
        return Response::error("not_configured", why);
    }
    engine.handle(request).await
}
