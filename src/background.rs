//! The service worker's entry points.
//!
//! `worker.js` registers the extension's event listeners synchronously, as MV3 requires (an
//! event that wakes the worker is lost if its listener is added after the first turn, and the
//! wasm loads asynchronously), then forwards each event here. This file wires those events to
//! the engine and does nothing else.

use crate::adapters::WorkerPorts;
use crate::chrome::{action, alarms, dnr, identity, notifications, runtime, storage};
use crate::config;
use crate::js::join;
use std::cell::RefCell;
use std::rc::Rc;
use tokenwatch_core::attention::{self, Announced};
use tokenwatch_core::engine::{Engine, Ports};
use tokenwatch_core::ids::ConnectionId;
use tokenwatch_core::messages::{Envelope, Request, Response, SettingsView};
use tokenwatch_core::microsoft::Registration;
use tokenwatch_core::ports::{Clock, Store, StoreError};
use tokenwatch_core::sender::{self, MessageSender, SenderKind};
use tokenwatch_core::settings::SettingsValues;
use url::Url;
use wasm_bindgen::prelude::*;

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine<WorkerPorts>>>> = const { RefCell::new(None) };
    /// Why the packaged Microsoft settings were refused, if they were.
    static MICROSOFT_SETUP: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Where the person's own settings are kept (no secret in them).
const SETTINGS_KEY: &str = "tokenwatch:settings";

/// The three settings layers (the administrator's policy, the person's, the build's) and the
/// build's whole configuration, all three read at once.
async fn layers() -> (SettingsValues, SettingsValues, config::Config) {
    let ((managed, own), build) = join(
        join(
            storage::managed::<SettingsValues>(),
            storage::get(SETTINGS_KEY),
        ),
        config::load(),
    )
    .await;
    let own = own
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_slice(s.as_bytes()).ok())
        .unwrap_or_default();
    (managed, own, build.unwrap_or_default())
}

fn microsoft_redirect() -> Url {
    Url::parse(&identity::redirect_url("microsoft")).unwrap_or_else(|_| {
        Url::parse("https://invalid.chromiumapp.org/microsoft").expect("constant URL")
    })
}

/// The engine, built on first use in this worker's life (and again after the settings
/// change). It holds no state of its own (the store is the truth), so a worker restart loses
/// nothing.
async fn engine() -> Rc<Engine<WorkerPorts>> {
    if let Some(engine) = ENGINE.with(|e| e.borrow().clone()) {
        return engine;
    }
    // Where the browser cannot restrict storage, sealing still keeps the tokens unreadable.
    let (_, (managed, own, build_config)) =
        join(storage::restrict_to_trusted_contexts(), layers()).await;
    let build = build_config.as_values();
    if let Some(ms) = build_config.test_hooks.record_write_delay_ms {
        crate::adapters::RECORD_WRITE_DELAY_MS.with(|d| d.set(ms));
    }
    let merged = managed.over(&own.over(&build));
    let effective = match merged.validate(&microsoft_redirect()) {
        Ok(effective) => {
            MICROSOFT_SETUP.with(|m| *m.borrow_mut() = None);
            effective
        }
        Err(errors) => {
            // Unusable settings leave the apps unconfigured, and say why when used.
            let why = tokenwatch_core::settings::describe(&errors);
            MICROSOFT_SETUP.with(|m| {
                *m.borrow_mut() = Some(format!(
                    "The settings in force are refused ({why}); fix them on the options page"
                ))
            });
            build
                .validate(&microsoft_redirect())
                .unwrap_or(tokenwatch_core::settings::Effective {
                    salesforce_consumer_key: None,
                    microsoft: None,
                    schedule: Default::default(),
                })
        }
    };
    // A public-client registration is redeemed without `Origin`, which fetch cannot omit: a
    // session rule removes it from this extension's own token requests, and only those.
    let strip = effective
        .microsoft
        .as_ref()
        .filter(|m| m.registration == Registration::PublicClient)
        .map(|m| m.authority.host.origin());
    let _ = dnr::strip_origin_for_token_endpoint(strip.as_deref(), &runtime::id()).await;
    let salesforce = match (
        effective.salesforce_consumer_key,
        Url::parse(&identity::redirect_url("salesforce")),
    ) {
        (Some(consumer_key), Ok(redirect)) => {
            Some(build_config.salesforce_app(consumer_key, redirect))
        }
        _ => None,
    };
    let engine = Rc::new(
        Engine::new(WorkerPorts::default(), salesforce)
            .with_microsoft(effective.microsoft)
            .with_settings(effective.schedule),
    );
    ENGINE.with(|e| e.borrow_mut().get_or_insert(engine).clone())
}

/// The settings as the options page shows them.
async fn settings_view() -> Response {
    let (managed, own, build) = layers().await;
    let build = build.as_values();
    let effective = managed.over(&own.over(&build));
    let problems = effective
        .validate(&microsoft_redirect())
        .err()
        .unwrap_or_default();
    Response::Settings {
        settings: SettingsView {
            locked: managed.set_fields(),
            own,
            effective,
            problems,
        },
    }
}

/// Checks and saves the person's settings; the engine is rebuilt with them on next use.
async fn save_settings(values: SettingsValues) -> Response {
    let (managed, _, build) = layers().await;
    let build = build.as_values();
    if let Err(errors) = managed
        .over(&values.over(&build))
        .validate(&microsoft_redirect())
    {
        return Response::Invalid { errors };
    }
    let stored = match serde_json::to_string(&values) {
        Ok(s) => storage::set(SETTINGS_KEY, &s).await,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = stored {
        return Response::error("storage", format!("the settings could not be saved ({e})"));
    }
    ENGINE.with(|e| *e.borrow_mut() = None);
    settings_view().await
}

/// `chrome.runtime.onMessage`: checks the sender, decodes the request, answers it.
#[wasm_bindgen]
pub async fn handle_message(message: JsValue, sender: JsValue) -> JsValue {
    crate::js::to_js(&answer(message, sender).await)
}

async fn answer(message: JsValue, sender: JsValue) -> Response {
    let sender: MessageSender = crate::js::from_js(&sender).unwrap_or_default();
    let kind = sender::classify(&sender, &runtime::id());
    if kind == SenderKind::Foreign {
        return Response::forbidden();
    }
    let request = match js_sys::JSON::stringify(&message)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or(tokenwatch_core::messages::MessageError::Malformed)
        .and_then(|text| Envelope::decode(&text))
    {
        Ok(request) => request,
        Err(e) => return Response::error("malformed", e.to_string()),
    };
    if !sender::permits(kind, &request) {
        return Response::forbidden();
    }
    match request {
        Request::GetSettings {} => return settings_view().await,
        Request::SaveSettings { values } => {
            let answer = save_settings(values).await;
            settle_surfaces(&*engine().await).await;
            return answer;
        }
        _ => {}
    }
    let engine = engine().await;
    if let (Request::AddMicrosoft {}, Some(why)) =
        (&request, MICROSOFT_SETUP.with(|m| m.borrow().clone()))
    {
        return Response::error("not_configured", why);
    }
    let changes = !matches!(
        request,
        Request::ListConnections {} | Request::BannerStatus {}
    );
    let from_banner = kind == SenderKind::ContentScript;
    let response = engine.handle(request).await;
    if changes {
        settle_surfaces(&engine).await;
    }
    if from_banner {
        // The banner learns only its lines, whatever the action answered.
        return match response {
            Response::Error { .. } | Response::Banner { .. } => response,
            _ => engine.handle(Request::BannerStatus {}).await,
        };
    }
    response
}

/// The alarm that drives the schedule. One name: a missed alarm fires once, not in a burst.
const TICK_ALARM: &str = "tokenwatch-tick";
/// Where the notifications already shown are remembered (no secret in it).
const ANNOUNCED_KEY: &str = "tokenwatch:announced";
/// Chrome fires alarms no sooner than 30 s ahead; earlier wishes are rounded up.
const MIN_ALARM_DELAY_MS: f64 = 30_000.0;

/// Every start of the worker (install, browser start, or Chrome waking it for an event)
/// re-creates the alarm from the stored schedule, and brings the badge up to date.
#[wasm_bindgen]
pub async fn on_start() {
    let engine = engine().await;
    settle_surfaces(&engine).await;
}

/// `chrome.storage.onChanged` for the local area: the engine's store mirror forgets these keys
/// (values never cross here). Before the engine exists there is nothing to forget.
#[wasm_bindgen]
pub fn on_storage_changed(keys: Vec<String>) {
    if let Some(engine) = ENGINE.with(|e| e.borrow().clone()) {
        engine.ports().store().forget(keys);
    }
}

/// The alarm: check what is due, then update badge, notifications and the next alarm.
#[wasm_bindgen]
pub async fn on_alarm(name: String) {
    if name != TICK_ALARM {
        return;
    }
    let engine = engine().await;
    // The alarm that fired is spent: the next one is set whatever this worker set before.
    SHOWN.with(|s| s.borrow_mut().1 = None);
    if let Ok((tick, views)) = engine.tick_attention().await {
        settle_with(&engine, &views, tick.next_wakeup).await;
    }
}

/// A notification's button: 0 is Renew (silent if possible, else the sign-in), 1 is Snooze.
#[wasm_bindgen]
pub async fn on_notification_button(notification: String, button: u32) {
    let Some(id) = ConnectionId::parse(&notification) else {
        return;
    };
    let engine = engine().await;
    let _ = notifications::clear(&notification).await;
    if button == 0 {
        let _ = engine.refresh_or_sign_in(&id).await;
    } else {
        let mut announced = load_announced(&engine).await;
        announced.snooze(&id, engine.ports().clock().now());
        save_announced(&engine, &announced).await;
    }
    settle_surfaces(&engine).await;
}

/// What was announced, through the engine's mirrored store: a warm worker's tick reads it from
/// memory.
async fn load_announced(engine: &Engine<WorkerPorts>) -> Announced {
    engine
        .ports()
        .store()
        .get(ANNOUNCED_KEY)
        .await
        .ok()
        .flatten()
        .and_then(|s| serde_json::from_slice(s.as_bytes()).ok())
        .unwrap_or_default()
}

async fn save_announced(engine: &Engine<WorkerPorts>, announced: &Announced) {
    let store = engine.ports().store();
    let _ = if announced.entries.is_empty() {
        store.delete(ANNOUNCED_KEY).await
    } else {
        match serde_json::to_string(announced) {
            Ok(s) => store.put(ANNOUNCED_KEY, s).await,
            Err(e) => Err(StoreError::Backend(e.to_string())),
        }
    };
}

/// Brings what the person sees outside the popup in line with the stored connections: the
/// badge (count and colour of those that need the person), one notification per new need,
/// and the alarm for the next due check or snooze end.
async fn settle_surfaces(engine: &Engine<WorkerPorts>) {
    if let Ok((views, next_check)) = engine.attention().await {
        settle_with(engine, &views, next_check).await;
    }
}

thread_local! {
    /// What this worker last put on the badge and the alarm, so an unchanged tick costs no
    /// browser call (a new worker starts empty and sets both once).
    static SHOWN: RefCell<(Option<attention::Badge>, Option<f64>)> = const { RefCell::new((None, None)) };
}

/// [`settle_surfaces`] with the views of the connections that need the person and the next
/// due check already in hand.
async fn settle_with(
    engine: &Engine<WorkerPorts>,
    views: &[tokenwatch_core::messages::ConnectionView],
    next_check: Option<tokenwatch_core::time::Timestamp>,
) {
    let badge = attention::badge(views);
    let show_badge = async {
        if SHOWN.with(|s| s.borrow().0.as_ref() != Some(&badge)) {
            let _ = action::badge(&badge.text, badge.color, &badge.title).await;
            SHOWN.with(|s| s.borrow_mut().0 = Some(badge.clone()));
        }
    };
    let now = engine.ports().clock().now();
    let (_, mut announced) = join(show_badge, load_announced(engine)).await;
    let unchanged = announced.clone();
    let before: Vec<String> = announced.entries.keys().cloned().collect();
    let icon = runtime::get_url("icons/icon128.png");
    let notices = announced.due(views, now);
    // A connection that no longer needs the person takes its notification with it.
    for gone in before
        .iter()
        .filter(|id| !announced.entries.contains_key(*id))
    {
        let _ = notifications::clear(gone).await;
    }
    for notice in notices {
        let _ = notifications::show(
            notice.id.as_str(),
            &icon,
            &notice.title,
            &notice.message,
            &["Renew", "Snooze for a day"],
        )
        .await;
    }
    if announced != unchanged {
        save_announced(engine, &announced).await;
    }
    let next = [next_check, announced.next_snooze_end()]
        .into_iter()
        .flatten()
        .min();
    let when = next.map(|at| {
        let soonest = now.as_millis() as f64 + MIN_ALARM_DELAY_MS;
        (at.as_millis() as f64).max(soonest)
    });
    // Unless this worker already set exactly this alarm and it has not fired since.
    if when.is_some() && SHOWN.with(|s| s.borrow().1) == when {
        return;
    }
    // Sent, not awaited: nothing here depends on the browser's reply (a failure is ignored
    // either way, and the next start sets the alarm again), and an alarm that just fired keeps
    // the browser busy for milliseconds before it answers.
    wasm_bindgen_futures::spawn_local(async move {
        let _ = match when {
            Some(at) => alarms::set(TICK_ALARM, at).await,
            None => alarms::clear(TICK_ALARM).await,
        };
    });
    SHOWN.with(|s| s.borrow_mut().1 = when);
}
