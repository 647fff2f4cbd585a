//! The options page: each connection's horizon, declared refresh token policy and history, and
//! the settings (the apps Tokenwatch signs in with, and the timing). Every value is checked by
//! the core before anything is saved; a refusal is shown next to its field. Fields an
//! administrator set through policy are shown locked.

use crate::chrome::permissions;
use crate::i18n::{said, t};
use crate::ui::{ask, by_id, child, local_time, on};
use std::rc::Rc;
use tokenwatch_core::connection::DeclaredPolicy;
use tokenwatch_core::host::HttpsOrigin;
use tokenwatch_core::ids::{ConnectionId, Provider};
use tokenwatch_core::messages::{ConnectionDetails, Request, Response, SettingsView};
use tokenwatch_core::microsoft::{Authority, Registration, Tenant};
use tokenwatch_core::settings::{Field, FieldError, Input, SettingsValues};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement};

struct Page {
    doc: Document,
    message: Element,
}

/// Entry point, called by `options.js` once the wasm is loaded.
#[wasm_bindgen]
pub async fn options_main() -> Result<(), JsValue> {
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let page = Rc::new(Page {
        message: by_id(&doc, "message")?,
        doc,
    });
    page.wire()?;
    for provider in ["salesforce", "microsoft"] {
        if let Ok(slot) = by_id::<Element>(&page.doc, &format!("redirect-{provider}")) {
            slot.set_text_content(Some(&crate::chrome::identity::redirect_url(provider)));
        }
    }
    PAGE.with(|p| *p.borrow_mut() = Some(Rc::clone(&page)));
    page.load_settings().await;
    page.load_connections().await;
    Ok(())
}

thread_local! {
    /// The page, for the events `options.js` forwards after the start.
    static PAGE: std::cell::RefCell<Option<Rc<Page>>> = const { std::cell::RefCell::new(None) };
}

/// `chrome.storage.onChanged` for the managed area: the administrator's policy changed while
/// the page is open, so the fields are shown again as the policy now sets and locks them.
#[wasm_bindgen]
pub async fn options_policy_changed() {
    let Some(page) = PAGE.with(|p| p.borrow().clone()) else {
        return;
    };
    page.say("", false);
    page.load_settings().await;
    if page.message.text_content().unwrap_or_default().is_empty() {
        page.say(&t("optionsPolicyChanged", &[]), false);
    }
}

impl Page {
    fn wire(self: &Rc<Self>) -> Result<(), JsValue> {
        let me = Rc::clone(self);
        let form: Element = by_id(&self.doc, "settings")?;
        on(&form, "submit", move |event: Event| {
            event.prevent_default();
            let me = Rc::clone(&me);
            spawn_local(async move { me.save().await });
        })?;
        let me = Rc::clone(self);
        let details: Element = by_id(&self.doc, "details")?;
        on(&details, "submit", move |event: Event| {
            event.prevent_default();
            let Some(form) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            let me = Rc::clone(&me);
            spawn_local(async move { me.declare(&form).await });
        })?;
        let me = Rc::clone(self);
        on(&details, "click", move |event: Event| {
            let Some((button, id)) = crate::ui::connection_button(&event)
                .filter(|(b, _)| b.class_list().contains("report"))
            else {
                return;
            };
            let me = Rc::clone(&me);
            spawn_local(async move { me.copy_report(&button, id).await });
        })?;
        let me = Rc::clone(self);
        on(&details, "change", move |event: Event| {
            if let Some(select) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
            {
                me.sync_days(&select);
            }
        })?;
        Ok(())
    }

    fn say(&self, text: &str, error: bool) {
        crate::ui::say(&self.message, text, error);
    }

    fn clear_errors(&self) {
        for field in Field::ALL {
            if let Some(e) = self.doc.get_element_by_id(&format!("err-{}", field.name())) {
                e.set_text_content(None);
            }
            if let Some(e) = self.doc.get_element_by_id(field.element()) {
                let _ = e.remove_attribute("aria-invalid");
            }
        }
    }

    fn show_field_errors(&self, errors: &[FieldError]) {
        for e in errors {
            if let Some(input) = self.doc.get_element_by_id(e.field.element()) {
                let _ = input.set_attribute("aria-invalid", "true");
            }
            match self
                .doc
                .get_element_by_id(&format!("err-{}", e.field.name()))
            {
                Some(slot) => {
                    slot.set_text_content(Some(&sentence(&said(e.said.as_ref(), &e.message))))
                }
                None => self.say(&sentence(&said(e.said.as_ref(), &e.message)), true),
            }
        }
        if let Some(first) = errors.first() {
            if let Some(input) = self
                .doc
                .get_element_by_id(first.field.element())
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = input.focus();
            }
        }
        self.say(&t("optionsNothingSaved", &[]), true);
    }

    async fn load_settings(&self) {
        match ask(Request::GetSettings {}).await {
            Response::Settings { settings } => self.fill(&settings),
            Response::Error { error } => self.say(&crate::i18n::error(&error), true),
            _ => self.say(&t("uiUnexpected", &[]), true),
        }
    }

    /// Shows each field: an administrator's value, locked; otherwise the person's own, with
    /// what is in force as the placeholder of a text field.
    fn fill(&self, settings: &SettingsView) {
        let mark_locked = |id: &str| {
            if let Some(input) = self.doc.get_element_by_id(id) {
                let _ = input.set_attribute("disabled", "");
                if let Some(label) = self
                    .doc
                    .query_selector(&format!("label[for=\"{id}\"]"))
                    .ok()
                    .flatten()
                {
                    if label.query_selector(".locked").ok().flatten().is_none() {
                        let _ = child(
                            &self.doc,
                            &label,
                            "span",
                            "locked",
                            Some(&format!(" — {}", t("optionsLockedMark", &[]))),
                        );
                    }
                }
            }
        };
        let unlock = |id: &str| {
            if let Some(input) = self.doc.get_element_by_id(id) {
                let _ = input.remove_attribute("disabled");
            }
            if let Ok(Some(mark)) = self
                .doc
                .query_selector(&format!("label[for=\"{id}\"] .locked"))
            {
                mark.remove();
            }
        };
        self.clear_errors();
        for field in Field::ALL {
            let locked = settings.locked.contains(&field);
            let source = if locked {
                &settings.effective
            } else {
                &settings.own
            };
            let id = field.element();
            if let Ok(select) = by_id::<HtmlSelectElement>(&self.doc, id) {
                select.set_value(&field.shown(source));
            } else if let Ok(input) = by_id::<HtmlInputElement>(&self.doc, id) {
                input.set_value(&field.shown(source));
                if !locked && field.input() == Input::Text && field.is_set(&settings.effective) {
                    input.set_placeholder(&field.shown(&settings.effective));
                }
            } else {
                continue;
            }
            if locked {
                mark_locked(id);
            } else {
                unlock(id);
            }
        }
        if let Ok(note) = by_id::<Element>(&self.doc, "locked-note") {
            let _ = if settings.locked.is_empty() {
                note.set_attribute("hidden", "")
            } else {
                note.remove_attribute("hidden")
            };
        }
        if let Some(ignored) = &settings.ignored {
            self.say(ignored, true);
        }
        if !settings.problems.is_empty() {
            self.show_field_errors(&settings.problems);
            let by_policy = settings
                .problems
                .iter()
                .any(|p| settings.locked.contains(&p.field));
            self.say(
                &if by_policy {
                    t("optionsPolicyRefused", &[])
                } else {
                    t("optionsUnusable", &[])
                },
                true,
            );
        }
    }

    /// The person's layer from the form (the locked fields left out), or every field it
    /// refuses.
    fn collect(&self, locked: &[Field]) -> Result<SettingsValues, Vec<FieldError>> {
        let mut values = SettingsValues::default();
        let mut errors = Vec::new();
        for field in Field::ALL.into_iter().filter(|f| !locked.contains(f)) {
            let id = field.element();
            let typed = match by_id::<HtmlSelectElement>(&self.doc, id) {
                Ok(select) => select.value(),
                Err(_) => match by_id::<HtmlInputElement>(&self.doc, id) {
                    Ok(input) => input.value(),
                    Err(_) => continue,
                },
            };
            if let Err(e) = field.enter(&mut values, &typed) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(values)
        } else {
            Err(errors)
        }
    }

    async fn save(&self) {
        self.clear_errors();
        let locked = match ask(Request::GetSettings {}).await {
            Response::Settings { settings } => settings.locked,
            _ => Vec::new(),
        };
        let values = match self.collect(&locked) {
            Ok(v) => v,
            Err(errors) => return self.show_field_errors(&errors),
        };
        // An authority host, and a national cloud's Graph and Exchange hosts, outside the
        // shipped host access are asked for now, while the click that saves still counts as
        // the person's gesture.
        if let Some(host) = values
            .microsoft_authority_host
            .as_deref()
            .and_then(|h| HttpsOrigin::parse(h).ok())
            .filter(|h| !h.is_loopback())
        {
            let endpoints = Authority {
                host: host.clone(),
                tenant: Tenant::Organizations,
            }
            .endpoints(values.microsoft_cloud);
            const SHIPPED: [&str; 3] = [
                "https://login.microsoftonline.com",
                "https://graph.microsoft.com",
                "https://outlook.office365.com",
            ];
            let wanted: Vec<String> = [host.origin(), endpoints.graph, endpoints.exchange]
                .into_iter()
                .filter(|o| !SHIPPED.contains(&o.as_str()))
                .collect();
            if !wanted.is_empty() {
                let patterns: Vec<String> = wanted.iter().map(|o| format!("{o}/*")).collect();
                if !permissions::contains(&patterns).await.unwrap_or(false)
                    && !permissions::request(&patterns).await.unwrap_or(false)
                {
                    return self.show_field_errors(&[FieldError {
                        field: Field::MicrosoftAuthorityHost,
                        message: t("optionsNeedPermission", &[&wanted.join(", ")]),
                        said: None,
                    }]);
                }
            }
        }
        self.say(&t("optionsSaving", &[]), false);
        match ask(Request::SaveSettings { values }).await {
            Response::Settings { settings } => {
                self.fill(&settings);
                self.say(&t("optionsSaved", &[]), false);
            }
            Response::Invalid { errors } => self.show_field_errors(&errors),
            Response::Error { error } => self.say(&crate::i18n::error(&error), true),
            _ => self.say(&t("uiUnexpected", &[]), true),
        }
    }

    async fn load_connections(&self) {
        let Ok(container) = by_id::<Element>(&self.doc, "details") else {
            return;
        };
        let connections = match ask(Request::ListConnections {}).await {
            Response::Connections { connections } => connections,
            Response::Error { error } => return self.say(&crate::i18n::error(&error), true),
            _ => return,
        };
        container.set_text_content(None);
        if let Ok(empty) = by_id::<Element>(&self.doc, "no-connections") {
            let _ = if connections.is_empty() {
                empty.remove_attribute("hidden")
            } else {
                empty.set_attribute("hidden", "")
            };
        }
        for c in connections {
            match ask(Request::Details { id: c.id.clone() }).await {
                Response::Details { details }
                    if self.render_details(&container, &details).is_err() =>
                {
                    self.say(&t("optionsDrawFailed", &[]), true);
                }
                Response::Error { error } => {
                    let _ = child(
                        &self.doc,
                        &container,
                        "div",
                        "detail",
                        Some(&format!("{}: {}", c.username, crate::i18n::error(&error))),
                    );
                }
                _ => {}
            }
        }
    }

    fn render_details(&self, container: &Element, d: &ConnectionDetails) -> Result<(), JsValue> {
        let doc = &self.doc;
        let v = &d.view;
        let card = child(doc, container, "section", "detail", None)?;
        card.set_attribute("data-id", v.id.as_str())?;
        let label = said(v.label_said.as_ref(), &v.label);
        card.set_attribute("aria-label", &format!("{label} ({})", v.username))?;
        child(doc, &card, "h3", "", Some(&label))?;
        child(
            doc,
            &card,
            "p",
            "account",
            Some(&format!(
                "{} · {} · {}",
                v.username,
                v.provider.name(),
                crate::i18n::said(v.status.said.title.as_ref(), &v.status.title)
            )),
        )?;
        let horizon = match (d.horizon, d.horizon_fixed, d.registration) {
            (None, _, _) => t("optionsHorizonNone", &[]),
            (Some(at), true, Some(Registration::Spa)) => {
                t("optionsHorizonSpa", &[&local_time(at.as_millis())])
            }
            (Some(at), true, _) => t("optionsHorizonFixed", &[&local_time(at.as_millis())]),
            (Some(at), false, _) => t("optionsHorizonSliding", &[&local_time(at.as_millis())]),
        };
        child(doc, &card, "p", "horizon", Some(&horizon))?;
        let report = child(
            doc,
            &card,
            "button",
            "report",
            Some(&t("optionsCopyReport", &[])),
        )?;
        report.set_attribute("type", "button")?;
        report.set_attribute("data-id", v.id.as_str())?;
        report.set_attribute(
            "aria-label",
            &format!("{}: {label} ({})", t("optionsCopyReport", &[]), v.username),
        )?;
        if let (Provider::Salesforce, Some(policy)) = (v.provider, d.policy) {
            self.policy_form(&card, v.id.as_str(), policy)?;
        }
        let table = child(doc, &card, "table", "history", None)?;
        child(
            doc,
            &table,
            "caption",
            "help",
            Some(&t("optionsHistory", &[])),
        )?;
        let head = child(doc, &table, "tr", "", None)?;
        for h in [
            t("optionsWhen", &[]),
            t("optionsWhat", &[]),
            t("optionsDetail", &[]),
        ] {
            child(doc, &head, "th", "", Some(&h))?.set_attribute("scope", "col")?;
        }
        for entry in d.history.iter().rev() {
            let row = child(doc, &table, "tr", "", None)?;
            child(doc, &row, "td", "", Some(&local_time(entry.at.as_millis())))?;
            child(doc, &row, "td", "", Some(&entry.title))?;
            child(doc, &row, "td", "", Some(&entry.detail))?;
        }
        Ok(())
    }

    fn policy_form(&self, card: &Element, id: &str, policy: DeclaredPolicy) -> Result<(), JsValue> {
        let doc = &self.doc;
        let form = child(doc, card, "form", "policy", None)?;
        form.set_attribute("data-id", id)?;
        form.set_attribute("novalidate", "")?;
        let select_id = format!("policy-{id}");
        let days_id = format!("days-{id}");
        let field = child(doc, &form, "div", "", None)?;
        child(
            doc,
            &field,
            "label",
            "",
            Some(&t("optionsPolicyLabel", &[])),
        )?
        .set_attribute("for", &select_id)?;
        let select: HtmlSelectElement =
            child(doc, &field, "select", "policy-kind", None)?.dyn_into()?;
        select.set_id(&select_id);
        for (value, text) in [
            ("until_revoked", t("optionsPolicyUntilRevoked", &[])),
            ("expire_after", t("optionsPolicyExpireAfter", &[])),
            ("expire_if_unused", t("optionsPolicyExpireUnused", &[])),
            ("immediately", t("optionsPolicyImmediately", &[])),
        ] {
            let o = child(doc, &select, "option", "", Some(&text))?;
            o.set_attribute("value", value)?;
        }
        let (kind, days) = match policy {
            DeclaredPolicy::UntilRevoked => ("until_revoked", None),
            DeclaredPolicy::ExpireAfter { days } => ("expire_after", Some(days)),
            DeclaredPolicy::ExpireIfUnused { days } => ("expire_if_unused", Some(days)),
            DeclaredPolicy::Immediately => ("immediately", None),
        };
        select.set_value(kind);
        let days_field = child(doc, &form, "div", "", None)?;
        child(doc, &days_field, "label", "", Some("Days"))?.set_attribute("for", &days_id)?;
        let input: HtmlInputElement =
            child(doc, &days_field, "input", "policy-days", None)?.dyn_into()?;
        input.set_id(&days_id);
        input.set_attribute("inputmode", "numeric")?;
        input.set_value(&days.map(|d| d.to_string()).unwrap_or_default());
        let save = child(doc, &form, "button", "", Some(&t("optionsSavePolicy", &[])))?;
        save.set_attribute("type", "submit")?;
        child(doc, &form, "p", "field-error policy-error", None)?
            .set_attribute("aria-live", "polite")?;
        self.sync_days(&select);
        Ok(())
    }

    fn sync_days(&self, select: &HtmlSelectElement) {
        let Some(form) = select.closest("form.policy").ok().flatten() else {
            return;
        };
        if let Some(input) = form
            .query_selector(".policy-days")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        {
            let needs_days = matches!(select.value().as_str(), "expire_after" | "expire_if_unused");
            input.set_disabled(!needs_days);
        }
    }

    /// Copies a connection's diagnostic report; where the page may not write the clipboard,
    /// shows it beside the button to copy by hand.
    async fn copy_report(&self, button: &Element, id: ConnectionId) {
        let text = match ask(Request::Report { id }).await {
            Response::Report { text } => text,
            Response::Error { error } => return self.say(&crate::i18n::error(&error), true),
            _ => return self.say(&t("uiUnexpected", &[]), true),
        };
        if crate::ui::copy_text(&text).await.is_ok() {
            return self.say(&t("uiReportCopied", &[]), false);
        }
        if let Some(card) = button.parent_element() {
            if let Ok(area) = child(&self.doc, &card, "textarea", "report-text", Some(&text)) {
                let _ = area.set_attribute("readonly", "");
                let _ = area.set_attribute("aria-label", "Diagnostic report");
            }
        }
        self.say(&t("optionsReportShown", &[]), false);
    }

    async fn declare(&self, form: &Element) {
        let Some(id) = form
            .get_attribute("data-id")
            .and_then(|id| tokenwatch_core::ids::ConnectionId::parse(&id))
        else {
            return;
        };
        let error_slot = form.query_selector(".policy-error").ok().flatten();
        let say_field = |text: &str| {
            if let Some(slot) = &error_slot {
                slot.set_text_content(Some(text));
            }
        };
        let kind = form
            .query_selector(".policy-kind")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default();
        let days_text = form
            .query_selector(".policy-days")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default();
        let days = || match days_text.trim().parse::<u32>() {
            Ok(d) if (1..=3650).contains(&d) => Ok(d),
            _ => Err(t("optionsDaysRange", &[])),
        };
        let policy = match kind.as_str() {
            "expire_after" => days().map(|days| DeclaredPolicy::ExpireAfter { days }),
            "expire_if_unused" => days().map(|days| DeclaredPolicy::ExpireIfUnused { days }),
            "immediately" => Ok(DeclaredPolicy::Immediately),
            _ => Ok(DeclaredPolicy::UntilRevoked),
        };
        let policy = match policy {
            Ok(p) => p,
            Err(why) => return say_field(&why),
        };
        say_field("");
        match ask(Request::DeclarePolicy { id, policy }).await {
            Response::Connection { connection, .. } => {
                self.say(
                    &t(
                        "optionsPolicySaved",
                        &[
                            &connection.username,
                            &crate::i18n::said(
                                connection.status.said.title.as_ref(),
                                &connection.status.title,
                            ),
                        ],
                    ),
                    false,
                );
                self.load_connections().await;
            }
            Response::Error { error } => say_field(&crate::i18n::error(&error)),
            _ => self.say(&t("uiUnexpected", &[]), true),
        }
    }
}

fn sentence(s: &str) -> String {
    tokenwatch_core::messages::sentence(s)
}
