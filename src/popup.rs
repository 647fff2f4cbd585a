//! The connection panel: every connection with its status, "Check now", "Add Salesforce org"
//! and "Add Microsoft 365 account". The extension's popup and the Outlook add-in's task pane
//! are this same code over two [`Backend`]s.
//!
//! The page's HTML holds the static structure (so the first paint needs no wasm); this module
//! fills the list, and wires the form and buttons to requests.
#![allow(async_fn_in_trait)]

use crate::ui::{by_id, on, render_connections};
use std::rc::Rc;
use tokenwatch_core::ids::ConnectionId;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::messages::{
    ConnectionView, ErrorView, LoginChoice, MicrosoftChoice, Request, Response,
};
use tokenwatch_core::microsoft::Resource;
use tokenwatch_core::salesforce::LoginHost;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, Event, HtmlButtonElement, HtmlInputElement, HtmlSelectElement};

/// Where the panel's requests go.
pub trait Backend {
    /// Answers one request.
    async fn ask(&self, request: Request) -> Response;
    /// Makes sure `host` can be reached, asking the person while the click still counts as
    /// theirs; the error says what to do.
    async fn may_reach(&self, host: &LoginHost) -> Result<(), String>;
    /// The list as last known, to paint before the answer comes (none by default).
    async fn known(&self) -> Option<Vec<ConnectionView>> {
        None
    }
}

/// The extension popup's backend: messages to the service worker, host permissions from
/// `chrome.permissions`, the last known list from `chrome.storage.session`.
#[derive(Debug, Default)]
pub struct Worker {
    /// The last known list as `popup.js` began reading it, taken by the first drawing.
    known: std::cell::RefCell<Option<js_sys::Promise>>,
}

impl Backend for Worker {
    async fn ask(&self, request: Request) -> Response {
        crate::ui::ask(request).await
    }

    async fn known(&self) -> Option<Vec<ConnectionView>> {
        let prefetched = self.known.borrow_mut().take()?;
        crate::known::recall(prefetched).await
    }

    /// A login host outside the shipped host access (`*.salesforce.com`, `*.force.com`) is
    /// asked for at run time.
    async fn may_reach(&self, host: &LoginHost) -> Result<(), String> {
        use crate::chrome::permissions;
        use tokenwatch_core::salesforce::HostKind;
        let shipped = host.kind() == HostKind::Local
            || [".salesforce.com", ".force.com"]
                .iter()
                .any(|d| host.host().ends_with(d));
        if shipped {
            return Ok(());
        }
        let pattern = vec![format!("{}/*", host.origin())];
        if permissions::contains(&pattern).await.unwrap_or(false)
            || permissions::request(&pattern).await.unwrap_or(false)
        {
            return Ok(());
        }
        Err(crate::i18n::t("popupNeedPermission", &[&host.origin()]))
    }
}

/// The panel on one page.
pub struct Panel<B> {
    backend: B,
    list: Element,
    empty: Element,
    message: Element,
    kind: HtmlSelectElement,
    custom_row: Element,
    host: HtmlInputElement,
    host_error: Element,
    add: HtmlButtonElement,
    add_ms: HtmlButtonElement,
    ms_tenant: HtmlInputElement,
    ms_resource: HtmlSelectElement,
    ms_ews_row: Element,
    ms_ews_url: HtmlInputElement,
    doc: Document,
}

/// Entry point, called by `popup.js` once the wasm is loaded, with its read of the last known
/// list (begun while the wasm loaded).
#[cfg(feature = "pages")]
#[wasm_bindgen]
pub async fn popup_main(known: js_sys::Promise) -> Result<(), JsValue> {
    let worker = Worker {
        known: std::cell::RefCell::new(Some(known)),
    };
    let panel = Panel::start(worker, None).await?;
    // The list does not wait for the build's configuration, which only preselects a host.
    let (config, ()) = crate::js::join(crate::config::load(), panel.first_refresh()).await;
    panel.offer_login_host(config.ok().and_then(|c| c.default_login_host));
    Ok(())
}

impl<B: Backend + 'static> Panel<B> {
    /// Finds the panel's elements on this page and wires them; the list is drawn by the
    /// first [`Panel::refresh`].
    pub async fn start(
        backend: B,
        default_login_host: Option<String>,
    ) -> Result<Rc<Self>, JsValue> {
        let doc = web_sys::window()
            .and_then(|w| w.document())
            .ok_or("no document")?;
        let panel = Rc::new(Panel {
            backend,
            list: by_id(&doc, "connections")?,
            empty: by_id(&doc, "empty")?,
            message: by_id(&doc, "message")?,
            kind: by_id(&doc, "sf-host-kind")?,
            custom_row: by_id(&doc, "custom-row")?,
            host: by_id(&doc, "sf-host")?,
            host_error: by_id(&doc, "sf-host-error")?,
            add: by_id(&doc, "add-salesforce")?,
            add_ms: by_id(&doc, "add-microsoft")?,
            ms_tenant: by_id(&doc, "ms-tenant")?,
            ms_resource: by_id(&doc, "ms-resource")?,
            ms_ews_row: by_id(&doc, "ms-ews-row")?,
            ms_ews_url: by_id(&doc, "ms-ews-url")?,
            doc: doc.clone(),
        });
        panel.offer_login_host(default_login_host);
        panel.sync_custom_row();
        panel.sync_ews_row();
        panel.wire()?;
        Ok(panel)
    }

    /// Preselects the build's own login host (the simulator builds'), unless the person has
    /// already typed one.
    pub fn offer_login_host(&self, host: Option<String>) {
        if let Some(host) = host.filter(|_| self.host.value().is_empty()) {
            self.kind.set_value("custom");
            self.host.set_value(&host);
            self.sync_custom_row();
        }
    }

    /// The backend this panel asks.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let me = Rc::clone(self);
        on(&self.kind, "change", move |_| me.sync_custom_row())?;
        let me = Rc::clone(self);
        let form: Element = by_id(&self.doc, "add-sf")?;
        on(&form, "submit", move |event: Event| {
            event.prevent_default();
            let me = Rc::clone(&me);
            spawn_local(async move { me.add_salesforce().await });
        })?;
        let me = Rc::clone(self);
        on(&self.ms_resource, "change", move |_| me.sync_ews_row())?;
        let me = Rc::clone(self);
        on(&self.add_ms, "click", move |_| {
            let me = Rc::clone(&me);
            spawn_local(async move {
                me.add_ms.set_disabled(true);
                let account = me.microsoft_choice();
                me.act(Request::AddMicrosoft { account }).await;
                me.add_ms.set_disabled(false);
                me.return_focus(&["#add-microsoft"]);
            });
        })?;
        let me = Rc::clone(self);
        on(&self.list, "click", move |event: Event| {
            let Some((button, id)) = crate::ui::connection_button(&event) else {
                return;
            };
            let classes = button.class_list();
            if classes.contains("report") {
                let me = Rc::clone(&me);
                spawn_local(async move { me.copy_report(id).await });
                return;
            }
            // Focus comes back to the same action of the same row once the list is drawn
            // again (the sign-in window took it, and the row's buttons are new).
            let action = button.class_name();
            let action = action
                .split_whitespace()
                .next()
                .unwrap_or("check")
                .to_owned();
            let origin = [
                format!("#connections button.{action}[data-id=\"{}\"]", id.as_str()),
                // The action may be gone with the answer (Sign in again, once it worked):
                // the row's Check now, which every row has.
                format!("#connections button.check[data-id=\"{}\"]", id.as_str()),
            ];
            let request = if classes.contains("renew") {
                // Silent first where the provider allows, the sign-in window otherwise.
                Request::RenewNow { id }
            } else if classes.contains("change") {
                Request::ChangeAccount { id }
            } else if classes.contains("disconnect") {
                // Two steps: the first click arms the button, the second disconnects.
                if button.get_attribute("data-armed").is_none() {
                    let _ = button.set_attribute("data-armed", "");
                    let confirm = crate::i18n::t("popupConfirmDisconnect", &[]);
                    button.set_text_content(Some(&confirm));
                    // The name follows the text (label in name): "Confirm disconnect: <who>".
                    if let Some(label) = button.get_attribute("aria-label") {
                        let who = label.split_once(": ").map_or("", |(_, who)| who);
                        let _ = button.set_attribute("aria-label", &format!("{confirm}: {who}"));
                    }
                    return;
                }
                Request::Disconnect { id }
            } else {
                Request::Check { id }
            };
            let me = Rc::clone(&me);
            spawn_local(async move {
                me.act(request).await;
                me.return_focus(&[&origin[0], &origin[1]]);
            });
        })?;
        Ok(())
    }

    /// Puts focus back on the first of `selectors` that matches after an action, unless
    /// something else has it now (a field the answer marked, say). When none matches (a
    /// disconnected row), the first action left in the list takes it, or else *Add Salesforce
    /// org*. Keyboard and screen reader users continue where they were, not at the top.
    fn return_focus(&self, selectors: &[&str]) {
        let lost = match self.doc.active_element() {
            None => true,
            Some(e) => self.doc.body().is_some_and(|b| b.is_same_node(Some(&e))),
        };
        if !lost {
            return;
        }
        let target = selectors
            .iter()
            .copied()
            .chain(["#connections button", "#add-salesforce"])
            .find_map(|s| self.doc.query_selector(s).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(target) = target {
            let _ = target.focus();
        }
    }

    fn sync_custom_row(&self) {
        let custom = self.kind.value() == "custom";
        let _ = if custom {
            self.custom_row.remove_attribute("hidden")
        } else {
            self.custom_row.set_attribute("hidden", "")
        };
    }

    fn sync_ews_row(&self) {
        let on_premises = self.ms_resource.value() == "exchange_on_premises";
        let _ = if on_premises {
            self.ms_ews_row.remove_attribute("hidden")
        } else {
            self.ms_ews_row.set_attribute("hidden", "")
        };
    }

    /// What the person chose for a new Microsoft 365 account; blank takes the settings'.
    fn microsoft_choice(&self) -> MicrosoftChoice {
        let text = |s: String| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let resource = Resource::parse(&self.ms_resource.value());
        MicrosoftChoice {
            tenant: text(self.ms_tenant.value()),
            resource,
            ews_url: (resource == Some(Resource::ExchangeOnPremises))
                .then(|| text(self.ms_ews_url.value()))
                .flatten(),
        }
    }

    fn say(&self, text: &str, error: bool) {
        crate::ui::say(&self.message, text, error);
    }

    fn show_error(&self, error: &ErrorView) {
        for (input, slot) in [
            (&self.host, "sf-host-error"),
            (&self.ms_tenant, "ms-tenant-error"),
            (&self.ms_ews_url, "ms-ews-url-error"),
        ] {
            let _ = input.remove_attribute("aria-invalid");
            if let Some(e) = self.doc.get_element_by_id(slot) {
                e.set_text_content(None);
            }
        }
        let field = match error.field.as_deref() {
            Some("login_host") => Some((&self.host, "sf-host-error")),
            Some("ms-tenant") => Some((&self.ms_tenant, "ms-tenant-error")),
            Some("ms-ews-url") => Some((&self.ms_ews_url, "ms-ews-url-error")),
            _ => None,
        };
        match field {
            Some((input, slot)) => {
                if let Some(e) = self.doc.get_element_by_id(slot) {
                    e.set_text_content(Some(&crate::i18n::error(error)));
                }
                let _ = input.set_attribute("aria-invalid", "true");
                input.focus().ok();
                self.say("", false);
            }
            None => self.say(&crate::i18n::error(error), true),
        }
    }

    /// Copies the connection's diagnostic report for the person to hand to an administrator;
    /// where the page may not write the clipboard, the report is shown to copy by hand.
    async fn copy_report(&self, id: ConnectionId) {
        let text = match self.backend.ask(Request::Report { id: id.clone() }).await {
            Response::Report { text } => text,
            Response::Error { error } => return self.show_error(&error),
            _ => return self.say(&crate::i18n::t("uiUnexpected", &[]), true),
        };
        match crate::ui::copy_text(&text).await {
            Ok(()) => self.say(&crate::i18n::t("uiReportCopied", &[]), false),
            Err(_) => {
                let _ = crate::ui::show_report(&self.doc, &self.list, &id, &text);
                self.say(&crate::i18n::t("popupReportShown", &[]), false);
            }
        }
    }

    /// Redraws the list from the backend.
    pub async fn refresh(&self) {
        let answer = self.backend.ask(Request::ListConnections {}).await;
        self.draw_answer(answer);
    }

    /// The first drawing: the last known list at once, where the backend keeps one, while the
    /// list as it is now is asked for; that answer is drawn when it comes, and the last known
    /// list is not drawn after it.
    pub async fn first_refresh(&self) {
        let answered = std::cell::Cell::new(false);
        let known = async {
            if let Some(list) = self.backend.known().await {
                if !answered.get() {
                    self.draw(&list);
                    // Said to assistive technology, and to anything that reads the list: this
                    // is the last known list, and the current one is coming.
                    let _ = self.list.set_attribute("aria-busy", "true");
                }
            }
        };
        let now = async {
            let answer = self.backend.ask(Request::ListConnections {}).await;
            answered.set(true);
            self.draw_answer(answer);
            let _ = self.list.remove_attribute("aria-busy");
        };
        crate::js::join(known, now).await;
    }

    fn draw_answer(&self, answer: Response) {
        match answer {
            Response::Connections { connections } => self.draw(&connections),
            Response::Error { error } => self.show_error(&error),
            _ => self.say(&crate::i18n::t("uiUnexpected", &[]), true),
        }
    }

    fn draw(&self, connections: &[ConnectionView]) {
        if render_connections(&self.doc, &self.list, connections).is_err() {
            self.say(&crate::i18n::t("popupListFailed", &[]), true);
        }
        let _ = if connections.is_empty() {
            self.empty.remove_attribute("hidden")
        } else {
            self.empty.set_attribute("hidden", "")
        };
    }

    async fn add_salesforce(&self) {
        let login = match self.kind.value().as_str() {
            "production" => LoginChoice::Production,
            "sandbox" => LoginChoice::Sandbox,
            _ => LoginChoice::Custom {
                host: self.host.value(),
            },
        };
        self.connect(login).await;
    }

    /// Adds a new org, once the backend can reach its login host.
    async fn connect(&self, login: LoginChoice) {
        self.host_error.set_text_content(None);
        let _ = self.host.remove_attribute("aria-invalid");
        if let Ok(host) = login.host() {
            if let Err(why) = self.backend.may_reach(&host).await {
                self.host_error.set_text_content(Some(&why));
                return;
            }
        }
        self.add.set_disabled(true);
        self.act(Request::AddSalesforce { login }).await;
        self.add.set_disabled(false);
        self.return_focus(&["#add-salesforce"]);
    }

    /// Sends one action to the worker and shows its outcome.
    async fn act(&self, request: Request) {
        let added = matches!(
            request,
            Request::AddSalesforce { .. } | Request::AddMicrosoft { .. }
        );
        let microsoft = match &request {
            Request::AddMicrosoft { .. } => true,
            Request::Check { id }
            | Request::RenewNow { id }
            | Request::SignInAgain { id }
            | Request::ChangeAccount { id }
            | Request::Disconnect { id }
            | Request::DeclarePolicy { id, .. } => id.provider() == Provider::Microsoft,
            _ => false,
        };
        let provider = if microsoft { "Microsoft" } else { "Salesforce" };
        let busy = match request {
            Request::Check { .. } => crate::i18n::t("popupChecking", &[]),
            Request::Disconnect { .. } => crate::i18n::t("popupDisconnecting", &[]),
            _ => crate::i18n::t("popupWaiting", &[provider]),
        };
        self.say(&busy, false);
        // Every action is answered with the list it left: one round trip.
        let connections = match self.backend.ask(request).await {
            Response::Connection {
                connection: c,
                connections,
            } => {
                let title = crate::i18n::said(c.status.said.title.as_ref(), &c.status.title);
                if added {
                    self.say(
                        &crate::i18n::t("popupConnected", &[&c.username, &title]),
                        false,
                    );
                } else {
                    self.say(
                        &crate::i18n::t("popupStatusOf", &[&c.username, &title]),
                        false,
                    );
                }
                connections
            }
            Response::Disconnected {
                revoked,
                connections,
                ..
            } => {
                match (revoked, microsoft) {
                    (true, _) => self.say(&crate::i18n::t("popupDisconnectedRevoked", &[]), false),
                    (false, true) => {
                        self.say(&crate::i18n::t("popupDisconnectedMicrosoft", &[]), false)
                    }
                    (false, false) => {
                        self.say(&crate::i18n::t("popupDisconnectedUntold", &[]), true)
                    }
                }
                connections
            }
            Response::Error { error } => return self.show_error(&error),
            _ => {
                return self.say(&crate::i18n::t("uiUnexpected", &[]), true);
            }
        };
        self.draw(&connections);
    }
}
