//! The service worker's entry points.
//!
//! `worker.js` registers the extension's event listeners synchronously, as MV3 requires (an
//! event that wakes the worker is lost if its listener is added after the first turn, and the
//! wasm loads asynchronously), then forwards each event here. This file wires those events to
//! the session and does nothing else: the settings layers are read in [`crate::settings`], the
//! badge, notifications and alarm are kept in [`crate::surfaces`].

use crate::adapters::WorkerPorts;
use crate::chrome::{dnr, identity, notifications, runtime, storage};
use crate::js::join;
use crate::settings;
use crate::surfaces;
use std::cell::RefCell;
use std::rc::Rc;
use tokenwatch_core::concurrent::SingleFlight;
use tokenwatch_core::ids::ConnectionId;
use tokenwatch_core::messages::{Envelope, ErrorCode, Request, Response};
use tokenwatch_core::microsoft::Registration;
use tokenwatch_core::ports::Clock;
use tokenwatch_core::sender::{self, MessageSender, SenderKind};
use tokenwatch_core::session::{Session, Setup};
use url::Url;
use wasm_bindgen::prelude::*;

/// The worker's session.
pub type WorkerSession = Session<WorkerPorts>;

thread_local! {
    /// The session, built on first use in this worker's life and again after the settings
    /// change. It holds no state of its own (the store is the truth), so a worker restart loses
    /// nothing.
    static SESSION: RefCell<Option<Rc<WorkerSession>>> = const { RefCell::new(None) };
}

fn redirect(provider: &str) -> Option<Url> {
    Url::parse(&identity::redirect_url(provider)).ok()
}

fn microsoft_redirect() -> Url {
    redirect("microsoft").unwrap_or_else(|| {
        Url::parse("https://invalid.chromiumapp.org/microsoft").expect("constant URL")
    })
}

async fn session() -> Rc<WorkerSession> {
    if let Some(session) = SESSION.with(|s| s.borrow().clone()) {
        return session;
    }
    // Where the browser cannot restrict storage, sealing still keeps the tokens unreadable.
    // The key is read from IndexedDB meanwhile: the settings and the heads need it next.
    let ((_, layers), ()) = join(
        join(
            storage::restrict_to_trusted_contexts(),
            settings::Layers::read(),
        ),
        crate::sealer::WebCryptoSealer::default().preload(),
    )
    .await;
    let hooks = &layers.build_config.test_hooks;
    if let Some(ms) = hooks.record_write_delay_ms {
        crate::adapters::RECORD_WRITE_DELAY_MS.with(|d| d.set(ms));
    }
    if let Some(ms) = hooks.request_timeout_ms {
        crate::fetch::set_timeout_ms(ms);
    }
    let setup = Setup::of_worker(
        &layers.managed,
        &layers.merged(),
        &layers.build(),
        &microsoft_redirect(),
    );
    // A public-client registration is redeemed without `Origin`, which fetch cannot omit: a
    // session rule removes it from this extension's own token requests, and only those.
    let strip = setup
        .effective
        .microsoft
        .as_ref()
        .filter(|m| m.registration == Registration::PublicClient)
        .map(|m| m.authority.host.origin());
    // Set while the start goes on; every request waits for it (`fetch::send_after`).
    let host = runtime::own().host().to_owned();
    crate::fetch::send_after(wasm_bindgen_futures::future_to_promise(async move {
        let _ = dnr::strip_origin_for_token_endpoint(strip.as_deref(), &host).await;
        Ok(JsValue::UNDEFINED)
    }));
    let salesforce = match (
        setup.effective.salesforce_consumer_key.clone(),
        redirect("salesforce"),
    ) {
        (Some(key), Some(redirect)) => Some(layers.build_config.salesforce_app(key, redirect)),
        _ => None,
    };
    let session = Rc::new(
        Session::new(WorkerPorts::default(), setup, salesforce).with_about(crate::js::about()),
    );
    SESSION.with(|s| s.borrow_mut().get_or_insert(session).clone())
}

/// Brings the badge, the notifications and the alarm in line with the stored connections
/// ([`surfaces::settle`]) with the session in force. Calls that arrive while a pass runs are
/// folded into one more pass after it, which takes the session anew (the settings may have
/// changed): a burst of fifty answers settles twice, not fifty times over every stored head.
/// Such a call returns at once; the running pass brings the surfaces up to date with it.
async fn settle() {
    if SETTLING.with(|s| s.replace(Settling::Again)) != Settling::Idle {
        return;
    }
    while SETTLING.with(|s| s.replace(Settling::Running)) == Settling::Again {
        surfaces::settle(session().await.engine()).await;
    }
    SETTLING.with(|s| s.set(Settling::Idle));
}

/// Whether a settling pass is running, and whether another was asked for meanwhile.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Settling {
    Idle,
    Running,
    Again,
}

thread_local! {
    static SETTLING: std::cell::Cell<Settling> = const { std::cell::Cell::new(Settling::Idle) };
}

/// `chrome.runtime.onMessage`: checks the sender, decodes the request, answers it.
#[wasm_bindgen]
pub async fn handle_message(message: JsValue, sender: JsValue) -> JsValue {
    let asked = match Asked::of(&message, &sender) {
        Ok(asked) => asked,
        Err(refused) => return crate::js::to_js(&refused),
    };
    // Checks of one connection that the extension's pages ask at once share one answer, made
    // into a JavaScript value once: each copy of a 200-row list costs the worker ~2 ms, so
    // fifty callers spent 100 ms copying it (issue 27). A content script's answer is its own.
    if let (Request::Check { id }, SenderKind::ExtensionPage) = (&asked.request, asked.kind) {
        let flights = PAGE_CHECKS.with(Rc::clone);
        return flights.run(&id.clone(), || respond(asked)).await.0;
    }
    respond(asked).await
}

thread_local! {
    /// The checks the pages asked for that are being answered now, by connection.
    static PAGE_CHECKS: Rc<SingleFlight<ConnectionId, JsValue>> = Rc::default();
}

/// A request whose sender may ask it.
struct Asked {
    request: Request,
    kind: SenderKind,
}

impl Asked {
    /// The request in `message` from `sender`, or the answer that refuses it.
    fn of(message: &JsValue, sender: &JsValue) -> Result<Self, Box<Response>> {
        let sender: MessageSender = crate::js::from_js(sender).unwrap_or_default();
        let kind = sender::classify(&sender, &runtime::own());
        if kind == SenderKind::Foreign {
            return Err(Box::new(Response::forbidden()));
        }
        let request =
            Envelope::decode_with(crate::js::from_js(message), || crate::js::from_js(message))
                .map_err(|e| Box::new(Response::error(ErrorCode::Malformed, e.to_string())))?;
        if !sender::permits(kind, &request) {
            return Err(Box::new(Response::forbidden()));
        }
        Ok(Asked { request, kind })
    }
}

/// Answers `asked`, brings the surfaces up to date when it changed something, and keeps the
/// list it answers with for the popup's first paint next time (without holding up the answer:
/// the browser applies the writes in the order they are made). An answer joined to another
/// caller's check is that caller's, which keeps it.
async fn respond(asked: Asked) -> JsValue {
    let (response, joined) = answer(asked).await;
    if let Some(list) = response.connections().filter(|_| !joined) {
        let list = list.to_vec();
        wasm_bindgen_futures::spawn_local(async move { crate::known::remember(&list).await });
    }
    crate::js::to_js(&response)
}

/// The answer to `asked`, and whether it was joined to another caller's check.
async fn answer(Asked { request, kind }: Asked) -> (Response, bool) {
    match request {
        Request::GetSettings {} => (settings::view(&microsoft_redirect()).await, false),
        Request::SaveSettings { values } => {
            let answer = settings::save(values, &microsoft_redirect()).await;
            // The session is built again with them on next use.
            SESSION.with(|s| *s.borrow_mut() = None);
            settle().await;
            (answer, false)
        }
        request => {
            let session = session().await;
            let answer = session.answer(request, kind).await;
            if answer.changed {
                settle().await;
            }
            (answer.response, answer.joined)
        }
    }
}

/// Every start of the worker (install, browser start, or Chrome waking it for an event)
/// re-creates the alarm from the stored schedule, and brings the badge up to date.
#[wasm_bindgen]
pub async fn on_start() {
    settle().await;
}

/// `chrome.storage.onChanged` for the managed area: the session is built again with the new
/// policy, and the badge, notifications and alarm follow it.
#[wasm_bindgen]
pub async fn on_policy_changed() {
    SESSION.with(|s| *s.borrow_mut() = None);
    settle().await;
}

/// `chrome.storage.onChanged` for the local area: the engine's store mirror forgets these keys
/// (values never cross here). Before the session exists there is nothing to forget.
#[wasm_bindgen]
pub fn on_storage_changed(keys: Vec<String>) {
    if let Some(session) = SESSION.with(|s| s.borrow().clone()) {
        use tokenwatch_core::engine::Ports;
        session.engine().ports().store().forget(keys);
    }
}

/// The alarm: check what is due, then update badge, notifications and the next alarm.
#[wasm_bindgen]
pub async fn on_alarm(name: String) {
    if surfaces::is_tick(&name) {
        surfaces::tick(session().await.engine()).await;
    }
}

/// A notification's button: 0 is Renew (silent if possible, else the sign-in), 1 is Snooze.
#[wasm_bindgen]
pub async fn on_notification_button(notification: String, button: u32) {
    let Some(id) = ConnectionId::parse(&notification) else {
        return;
    };
    let session = session().await;
    let engine = session.engine();
    let _ = notifications::clear(&notification).await;
    if button == 0 {
        let _ = engine.renew_now(&id).await;
    } else {
        use tokenwatch_core::engine::Ports;
        surfaces::snooze(engine, &id, engine.ports().clock().now()).await;
    }
    settle().await;
}
