//! The Outlook add-in's task pane: the popup's connection panel over an engine that runs in
//! the pane itself (Outlook has no service worker for add-ins), its state in `localStorage`
//! sealed with a non-extractable WebCrypto key kept in IndexedDB, refreshes single-flight
//! across panes through `navigator.locks`, sign-in through the Office dialog, and one in-mail
//! banner per connection that needs the person.
//!
//! Monitoring runs while a pane is open: a check of what is due on every open, then at each
//! next due time. Several open panes (Outlook on the web in two tabs) share the store and the
//! locks, so a due refresh happens once.

pub mod dialog;
pub mod office;

use crate::adapters::{CryptoEntropy, JsClock, LocalStorageStore, WebLocks};
use crate::fetch::FetchClient;
use crate::popup::{Backend, Panel};
use crate::sealer::WebCryptoSealer;
use dialog::OfficeIdentity;
use std::rc::Rc;
use tokenwatch_core::banners::{self, BannerOp};
use tokenwatch_core::engine::{PortSet, Ports};
use tokenwatch_core::messages::{ConnectionView, Request, Response};
use tokenwatch_core::ports::{Clock, Lock, MemoryLock};
use tokenwatch_core::salesforce::LoginHost;
use tokenwatch_core::sender::SenderKind;
use tokenwatch_core::session::{Session, Setup, Surface};
use url::Url;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// The pane's ports.
pub type PanePorts = PortSet<
    FetchClient,
    LocalStorageStore,
    OfficeIdentity,
    JsClock,
    CryptoEntropy,
    WebCryptoSealer,
    WebLocks,
>;

/// The pane's backend: its session, with the banners brought up to date after every change.
pub struct Pane {
    session: Session<PanePorts>,
    /// One banner update at a time.
    banner_lock: MemoryLock,
}

impl Backend for Pane {
    async fn ask(&self, request: Request) -> Response {
        let answer = self
            .session
            .answer(request, SenderKind::ExtensionPage)
            .await;
        if answer.changed {
            self.settle().await;
        }
        answer.response
    }

    /// A page cannot ask for host access: whether Salesforce answers the add-in is the org's
    /// CORS allowlist, which the first request finds out.
    async fn may_reach(&self, _host: &LoginHost) -> Result<(), String> {
        Ok(())
    }
}

impl Pane {
    /// Brings the selected mail item's banners in line with the connections; returns when the
    /// next check is due.
    async fn settle(&self) -> Option<tokenwatch_core::time::Timestamp> {
        let (views, next) = self.session.engine().attention().await.ok()?;
        self.show_banners(&views).await;
        next
    }

    async fn show_banners(&self, views: &[ConnectionView]) {
        let Some(item) = office::item() else {
            return;
        };
        let _one_at_a_time = self.banner_lock.acquire("banners").await;
        let Ok(current) = office::messages(&item).await else {
            return;
        };
        for op in banners::plan(&current, &banners::banners(views)) {
            // A failed change is left for the next update; Outlook's refusal names no secret.
            let _ = match op {
                BannerOp::Remove(key) => office::remove_message(&item, &key).await,
                BannerOp::Replace(b) => office::replace_message(&item, &b.key, &b.text).await,
            };
        }
    }
}

/// The soonest and latest a pane waits between checks.
const MIN_WAIT_MS: i64 = 30_000;
const MAX_WAIT_MS: i64 = 30 * 60_000;

/// Entry point, called by `taskpane.js` once Office.js and the wasm are loaded.
#[wasm_bindgen]
pub async fn outlook_main() -> Result<(), JsValue> {
    office::ready()
        .await
        .map_err(|e| JsValue::from_str(&e.message))?;
    let window = web_sys::window().ok_or("no window")?;
    let pane_url = Url::parse(&window.location().href()?)
        .map_err(|_| JsValue::from_str("the pane's address is not a URL"))?;
    let config_url = pane_url
        .join("config.json")
        .map_err(|_| JsValue::from_str("no config.json beside the pane"))?;
    let config = crate::config::load_from(config_url.as_str())
        .await
        .map_err(|e| JsValue::from_str(&e))?;
    let identity = OfficeIdentity::new(pane_url);
    // The deployment's config.json is the pane's only layer: an add-in has no options page.
    let build = config.as_values();
    let setup = Setup::of(
        &build,
        &build,
        &identity.redirect("microsoft"),
        Surface::OfficePane,
    );
    let salesforce = setup
        .effective
        .salesforce_consumer_key
        .clone()
        .map(|key| config.salesforce_app(key, identity.redirect("salesforce")));
    let ports = PanePorts {
        http: FetchClient,
        store: LocalStorageStore,
        identity,
        clock: JsClock,
        entropy: CryptoEntropy,
        sealer: WebCryptoSealer::default(),
        lock: WebLocks::default(),
    };
    let pane = Pane {
        session: Session::new(ports, setup, salesforce).with_about(crate::js::about()),
        banner_lock: MemoryLock::default(),
    };
    let panel = Panel::start(pane, config.default_login_host.clone()).await?;
    panel.refresh().await;

    let on_item = Rc::clone(&panel);
    let _ = office::on_item_changed(move || {
        let panel = Rc::clone(&on_item);
        spawn_local(async move {
            panel.backend().settle().await;
        });
    })
    .await;
    // Another pane (a second Outlook tab) changed the connections: show what it did.
    let on_storage = Rc::clone(&panel);
    crate::ui::on(&window, "storage", move |_| {
        let panel = Rc::clone(&on_storage);
        spawn_local(async move { panel.refresh().await });
    })?;
    spawn_local(monitor(panel));
    Ok(())
}

/// Checks what is due now and whenever the next check falls due, while the pane is open.
async fn monitor(panel: Rc<Panel<Pane>>) {
    loop {
        let pane = panel.backend();
        let engine = pane.session.engine();
        let next = match engine.tick_attention().await {
            Ok((tick, views)) => {
                pane.show_banners(&views).await;
                tick.next_wakeup
            }
            Err(_) => None,
        };
        panel.refresh().await;
        let now = engine.ports().clock().now().as_millis();
        let wait = next
            .map_or(MAX_WAIT_MS, |at| at.as_millis() - now)
            .clamp(MIN_WAIT_MS, MAX_WAIT_MS);
        crate::js::sleep_ms(wait as u32).await;
    }
}
