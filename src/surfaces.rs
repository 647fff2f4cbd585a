//! What the worker shows outside its pages: the badge (count and colour of the connections
//! that need the person), one notification per new need (Renew, Snooze), and the alarm that
//! wakes it for the next due check. What to show is the core's ([`attention`]); this keeps it
//! on the browser's surfaces, and remembers what it last set so an unchanged tick costs no
//! browser call.

use crate::adapters::WorkerPorts;
use crate::chrome::{action, alarms, notifications, runtime};
use crate::i18n::{said, t};
use crate::js::join;
use std::cell::RefCell;
use tokenwatch_core::attention::{self, Announced};
use tokenwatch_core::engine::{Engine, Ports};
use tokenwatch_core::ids::ConnectionId;
use tokenwatch_core::messages::ConnectionView;
use tokenwatch_core::ports::{Clock, Store, StoreError};
use tokenwatch_core::time::Timestamp;
use tokenwatch_core::vault::signed;

/// The alarm that drives the schedule. One name: a missed alarm fires once, not in a burst.
const TICK_ALARM: &str = "tokenwatch-tick";
/// Where the notifications already shown are remembered (no secret in it).
const ANNOUNCED_KEY: &str = "tokenwatch:announced";
/// Chrome fires alarms no sooner than 30 s ahead; earlier wishes are rounded up.
const MIN_ALARM_DELAY_MS: f64 = 30_000.0;

/// What this worker last put on the badge and the alarm (a new worker starts empty and sets
/// both once).
#[derive(Default)]
struct Shown {
    badge: Option<attention::Badge>,
    alarm_at: Option<f64>,
}

thread_local! {
    static SHOWN: RefCell<Shown> = RefCell::new(Shown::default());
}

/// Whether `name` is the schedule's alarm.
pub fn is_tick(name: &str) -> bool {
    name == TICK_ALARM
}

/// The alarm fired: check what is due, then bring the surfaces up to date.
pub async fn tick(engine: &Engine<WorkerPorts>) {
    // The alarm that fired is spent: the next one is set whatever this worker set before.
    SHOWN.with(|s| s.borrow_mut().alarm_at = None);
    if let Ok((tick, views)) = engine.tick_attention().await {
        show(engine, &views, tick.next_wakeup).await;
    }
}

/// Brings the badge, the notifications and the alarm in line with the stored connections.
pub async fn settle(engine: &Engine<WorkerPorts>) {
    if let Ok((views, next_check)) = engine.attention().await {
        show(engine, &views, next_check).await;
    }
}

/// Snoozes `id`'s notification for a day.
pub async fn snooze(engine: &Engine<WorkerPorts>, id: &ConnectionId, now: Timestamp) {
    let mut announced = load_announced(engine).await;
    announced.snooze(id, now);
    save_announced(engine, &announced).await;
}

/// What was announced, through the engine's mirrored store: a warm worker's tick reads it from
/// memory. It is signed like the heads: a forged entry (a content script can write the store in
/// Firefox) would silence a notification, so one that fails its check counts as nothing
/// announced, and the worst a forgery does is announce again.
async fn load_announced(engine: &Engine<WorkerPorts>) -> Announced {
    let ports = engine.ports();
    let Some(stored) = ports.store().get(ANNOUNCED_KEY).await.ok().flatten() else {
        return Announced::default();
    };
    signed::verify(ports.sealer(), ANNOUNCED_KEY, &stored)
        .await
        .ok()
        .and_then(|body| crate::js::from_json_text(&body))
        .unwrap_or_default()
}

async fn save_announced(engine: &Engine<WorkerPorts>, announced: &Announced) {
    let ports = engine.ports();
    let store = ports.store();
    let _ = if announced.entries.is_empty() {
        store.delete(ANNOUNCED_KEY).await
    } else {
        match crate::js::to_json_text(announced) {
            Some(body) => match signed::sign(ports.sealer(), ANNOUNCED_KEY, body).await {
                Ok(s) => store.put(ANNOUNCED_KEY, s).await,
                Err(e) => Err(StoreError::Backend(e.to_string())),
            },
            None => Err(StoreError::Backend("not written as JSON".to_owned())),
        }
    };
}

/// The surfaces for `views` (the connections that need the person) and the next due check.
async fn show(
    engine: &Engine<WorkerPorts>,
    views: &[ConnectionView],
    next_check: Option<Timestamp>,
) {
    let mut badge = attention::badge(views);
    badge.title = badge_title(views);
    let show_badge = async {
        if SHOWN.with(|s| s.borrow().badge.as_ref() != Some(&badge)) {
            let _ = action::badge(&badge.text, badge.color, &badge.title).await;
            SHOWN.with(|s| s.borrow_mut().badge = Some(badge.clone()));
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
    let buttons = [t("bannerRenew", &[]), t("notifySnooze", &[])];
    let buttons: Vec<&str> = buttons.iter().map(String::as_str).collect();
    for notice in notices {
        let Some(view) = views.iter().find(|v| v.id == notice.id) else {
            continue;
        };
        let status = &view.status;
        let title = t(
            "notifyTitle",
            &[
                &view.username,
                view.provider.name(),
                &said(status.said.title.as_ref(), &status.title),
            ],
        );
        let message = said(status.said.detail.as_ref(), &status.detail);
        let _ = notifications::show(notice.id.as_str(), &icon, &title, &message, &buttons).await;
    }
    if announced != unchanged {
        save_announced(engine, &announced).await;
    }
    let next = tokenwatch_core::time::earliest(next_check, announced.next_snooze_end());
    let when = next.map(|at| {
        let soonest = now.as_millis() as f64 + MIN_ALARM_DELAY_MS;
        (at.as_millis() as f64).max(soonest)
    });
    // Unless this worker already set exactly this alarm and it has not fired since.
    if when.is_some() && SHOWN.with(|s| s.borrow().alarm_at) == when {
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
    SHOWN.with(|s| s.borrow_mut().alarm_at = when);
}

/// The toolbar button's tooltip, in the person's language: all is well, who needs them, or how
/// many connections do.
fn badge_title(views: &[ConnectionView]) -> String {
    let needing: Vec<&ConnectionView> = views.iter().filter(|v| v.status.alert.is_some()).collect();
    match needing.as_slice() {
        [] => t("badgeAllGood", &[]),
        [one] => t(
            "badgeOne",
            &[
                &one.username,
                &said(one.status.said.title.as_ref(), &one.status.title),
            ],
        ),
        many => t("badgeMany", &[&many.len().to_string()]),
    }
}
