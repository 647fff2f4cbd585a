//! The options page: each connection's horizon, declared refresh token policy and history, and
//! the settings (the apps Tokenwatch signs in with, and the timing). Every value is checked by
//! the core before anything is saved; a refusal is shown next to its field. Fields an
//! administrator set through policy are shown locked.

use crate::chrome::permissions;
use crate::ui::{ask, by_id, child, local_time, on};
use serde_json::{Map, Value};
use std::rc::Rc;
use tokenwatch_core::connection::{DeclaredPolicy, Provider};
use tokenwatch_core::messages::{ConnectionDetails, Request, Response, SettingsView};
use tokenwatch_core::microsoft::Registration;
use tokenwatch_core::salesforce::{HostKind, LoginHost};
use tokenwatch_core::settings::{FieldError, SettingsValues};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Document, Element, Event, HtmlInputElement, HtmlSelectElement};

/// Text inputs whose id is their settings field.
const TEXT: [&str; 5] = [
    "salesforce_consumer_key",
    "microsoft_client_id",
    "microsoft_authority_host",
    "microsoft_tenant",
    "ews_url",
];
/// Selects whose id is their settings field.
const SELECTS: [&str; 2] = ["microsoft_registration", "microsoft_resource"];
/// Number inputs: (element id, settings field, seconds per unit shown).
const NUMBERS: [(&str, &str, u64); 5] = [
    ("check_interval", "schedule.check_interval_s", 60),
    ("warn_long", "schedule.warn_long_s", 86_400),
    ("warn_short", "schedule.warn_short_s", 3600),
    ("warn_day", "schedule.warn_day_limited_s", 60),
    ("renew_lead", "schedule.silent_renew_lead_s", 3600),
];

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
    page.load_settings().await;
    page.load_connections().await;
    Ok(())
}

fn get<'v>(v: &'v Value, field: &str) -> Option<&'v Value> {
    field
        .split('.')
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

fn set(map: &mut Map<String, Value>, field: &str, value: Value) {
    match field.split_once('.') {
        Some((outer, inner)) => {
            let entry = map
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = entry {
                o.insert(inner.to_owned(), value);
            }
        }
        None => {
            map.insert(field.to_owned(), value);
        }
    }
}

/// `text`, a decimal number such as `1`, `1.5` or `.25`, times `unit`, rounded to a whole number;
/// `None` for anything else (signs, exponents, more than nine decimals, overflow). In integers:
/// no float parsing machinery in the wasm.
fn decimal_times(text: &str, unit: u64) -> Option<u64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty()
        || !digits(whole)
        || !digits(fraction)
        || fraction.len() > 9
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let scale = 10u64.pow(fraction.len() as u32);
    let fraction: u64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let part =
        (u128::from(fraction) * u128::from(unit) + u128::from(scale) / 2) / u128::from(scale);
    whole
        .checked_mul(unit)?
        .checked_add(u64::try_from(part).ok()?)
}

fn shown(v: Option<&Value>, unit: u64) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => {
            let secs = n.as_u64().unwrap_or_default();
            if secs % unit == 0 {
                (secs / unit).to_string()
            } else {
                // Two decimals in integers: no float formatting machinery in the wasm.
                let hundredths = (u128::from(secs) * 100 + u128::from(unit) / 2) / u128::from(unit);
                format!("{}.{:02}", hundredths / 100, hundredths % 100)
            }
        }
        _ => String::new(),
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
        let fields = TEXT
            .iter()
            .chain(SELECTS.iter())
            .copied()
            .chain(NUMBERS.iter().map(|(_, f, _)| *f));
        for field in fields {
            if let Some(e) = self.doc.get_element_by_id(&format!("err-{field}")) {
                e.set_text_content(None);
            }
        }
        for id in TEXT
            .iter()
            .copied()
            .chain(NUMBERS.iter().map(|(i, _, _)| *i))
        {
            if let Some(e) = self.doc.get_element_by_id(id) {
                let _ = e.remove_attribute("aria-invalid");
            }
        }
    }

    fn show_field_errors(&self, errors: &[FieldError]) {
        for e in errors {
            let input_id = NUMBERS
                .iter()
                .find(|(_, f, _)| *f == e.field)
                .map_or(e.field.as_str(), |(id, _, _)| *id);
            if let Some(input) = self.doc.get_element_by_id(input_id) {
                let _ = input.set_attribute("aria-invalid", "true");
            }
            match self.doc.get_element_by_id(&format!("err-{}", e.field)) {
                Some(slot) => slot.set_text_content(Some(&sentence(&e.message))),
                None => self.say(&sentence(&e.message), true),
            }
        }
        if let Some(first) = errors.first() {
            let input_id = NUMBERS
                .iter()
                .find(|(_, f, _)| *f == first.field)
                .map_or(first.field.as_str(), |(id, _, _)| *id);
            if let Some(input) = self
                .doc
                .get_element_by_id(input_id)
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = input.focus();
            }
        }
        self.say("Nothing was saved: correct the marked fields.", true);
    }

    async fn load_settings(&self) {
        match ask(Request::GetSettings {}).await {
            Response::Settings { settings } => self.fill(&settings),
            Response::Error { error } => self.say(&error.message, true),
            _ => self.say("Unexpected answer from the background service.", true),
        }
    }

    fn fill(&self, settings: &SettingsView) {
        let own = serde_json::to_value(&settings.own).unwrap_or_default();
        let effective = serde_json::to_value(&settings.effective).unwrap_or_default();
        let locked = |field: &str| settings.locked.iter().any(|l| l == field);
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
                            Some(" — Set by your administrator"),
                        );
                    }
                }
            }
        };
        for field in TEXT {
            let Ok(input) = by_id::<HtmlInputElement>(&self.doc, field) else {
                continue;
            };
            if locked(field) {
                input.set_value(&shown(get(&effective, field), 1));
                mark_locked(field);
            } else {
                input.set_value(&shown(get(&own, field), 1));
                if let Some(v) = get(&effective, field) {
                    input.set_placeholder(&shown(Some(v), 1));
                }
            }
        }
        for field in SELECTS {
            let Ok(select) = by_id::<HtmlSelectElement>(&self.doc, field) else {
                continue;
            };
            let source = if locked(field) { &effective } else { &own };
            select.set_value(&shown(get(source, field), 1));
            if locked(field) {
                mark_locked(field);
            }
        }
        for (id, field, unit) in NUMBERS {
            let Ok(input) = by_id::<HtmlInputElement>(&self.doc, id) else {
                continue;
            };
            if locked(field) {
                input.set_value(&shown(get(&effective, field), unit));
                mark_locked(id);
            } else {
                input.set_value(&shown(get(&own, field), unit));
            }
        }
        if let Ok(note) = by_id::<Element>(&self.doc, "locked-note") {
            let _ = if settings.locked.is_empty() {
                note.set_attribute("hidden", "")
            } else {
                note.remove_attribute("hidden")
            };
        }
        if !settings.problems.is_empty() {
            self.show_field_errors(&settings.problems);
            self.say(
                "The settings in force are not usable: correct the marked fields.",
                true,
            );
        }
    }

    /// The person's layer from the form, or the fields that are not numbers.
    fn collect(&self, locked: &[String]) -> Result<SettingsValues, Vec<FieldError>> {
        let mut map = Map::new();
        let mut errors = Vec::new();
        let is_locked = |f: &str| locked.iter().any(|l| l == f);
        for field in TEXT.into_iter().filter(|f| !is_locked(f)) {
            if let Ok(input) = by_id::<HtmlInputElement>(&self.doc, field) {
                let v = input.value().trim().to_owned();
                if !v.is_empty() {
                    set(&mut map, field, Value::String(v));
                }
            }
        }
        for field in SELECTS.into_iter().filter(|f| !is_locked(f)) {
            if let Ok(select) = by_id::<HtmlSelectElement>(&self.doc, field) {
                let v = select.value();
                if !v.is_empty() {
                    set(&mut map, field, Value::String(v));
                }
            }
        }
        for (id, field, unit) in NUMBERS.into_iter().filter(|(_, f, _)| !is_locked(f)) {
            let Ok(input) = by_id::<HtmlInputElement>(&self.doc, id) else {
                continue;
            };
            let text = input.value().trim().replace(',', ".");
            if text.is_empty() {
                continue;
            }
            match decimal_times(&text, unit) {
                Some(n) if n > 0 => set(&mut map, field, Value::from(n)),
                _ => errors.push(FieldError {
                    field: field.into(),
                    message: "enter a positive number".into(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Through the text rather than `from_value`: one JSON reader for every type.
        let text = serde_json::to_vec(&map).unwrap_or_default();
        serde_json::from_slice(&text).map_err(|e| {
            vec![FieldError {
                field: "settings".into(),
                message: e.to_string(),
            }]
        })
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
        // An authority host outside the shipped host access is asked for now, while the
        // click that saves still counts as the person's gesture.
        if let Some(host) = values
            .microsoft_authority_host
            .as_deref()
            .and_then(|h| LoginHost::parse(h).ok())
        {
            let shipped = host.host() == tokenwatch_core::microsoft::DEFAULT_AUTHORITY_HOST
                || host.kind() == HostKind::Local;
            if !shipped {
                let pattern = vec![format!("{}/*", host.origin())];
                if !permissions::contains(&pattern).await.unwrap_or(false)
                    && !permissions::request(&pattern).await.unwrap_or(false)
                {
                    return self.show_field_errors(&[FieldError {
                        field: "microsoft_authority_host".into(),
                        message: format!(
                            "Tokenwatch needs your permission to reach {}: save again and allow it",
                            host.origin()
                        ),
                    }]);
                }
            }
        }
        self.say("Saving…", false);
        match ask(Request::SaveSettings { values }).await {
            Response::Settings { settings } => {
                self.fill(&settings);
                self.say("Settings saved. They apply from now on.", false);
            }
            Response::Invalid { errors } => self.show_field_errors(&errors),
            Response::Error { error } => self.say(&error.message, true),
            _ => self.say("Unexpected answer from the background service.", true),
        }
    }

    async fn load_connections(&self) {
        let Ok(container) = by_id::<Element>(&self.doc, "details") else {
            return;
        };
        let connections = match ask(Request::ListConnections {}).await {
            Response::Connections { connections } => connections,
            Response::Error { error } => return self.say(&error.message, true),
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
                    self.say("A connection could not be drawn.", true);
                }
                Response::Error { error } => {
                    let _ = child(
                        &self.doc,
                        &container,
                        "div",
                        "detail",
                        Some(&format!("{}: {}", c.username, error.message)),
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
        card.set_attribute("aria-label", &format!("{} ({})", v.label, v.username))?;
        child(doc, &card, "h3", "", Some(&v.label))?;
        child(
            doc,
            &card,
            "p",
            "account",
            Some(&format!(
                "{} · {} · {}",
                v.username,
                v.provider.name(),
                v.status.title
            )),
        )?;
        let horizon = match (d.horizon, d.horizon_fixed, d.registration) {
            (None, _, _) => {
                "Renews silently, with no fixed end (the refresh token is valid until revoked)."
                    .to_owned()
            }
            (Some(at), true, Some(Registration::Spa)) => format!(
                "This sign-in ends {}; Microsoft allows single-page apps 24 hours, and Tokenwatch renews it silently before then while you stay signed in to Microsoft.",
                local_time(at.as_millis())
            ),
            (Some(at), true, _) => format!("Sign-in needed by {}.", local_time(at.as_millis())),
            (Some(at), false, _) => format!(
                "Renews silently; it would end {} if it were not used until then.",
                local_time(at.as_millis())
            ),
        };
        child(doc, &card, "p", "horizon", Some(&horizon))?;
        if let (Provider::Salesforce, Some(policy)) = (v.provider, d.policy) {
            self.policy_form(&card, v.id.as_str(), policy)?;
        }
        let table = child(doc, &card, "table", "history", None)?;
        child(
            doc,
            &table,
            "caption",
            "help",
            Some("History, newest first"),
        )?;
        let head = child(doc, &table, "tr", "", None)?;
        for h in ["When", "What", "Detail"] {
            child(doc, &head, "th", "", Some(h))?.set_attribute("scope", "col")?;
        }
        for entry in d.history.iter().rev() {
            let row = child(doc, &table, "tr", "", None)?;
            child(doc, &row, "td", "", Some(&local_time(entry.at.as_millis())))?;
            child(doc, &row, "td", "", Some(&entry.event))?;
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
            Some("Refresh token policy (as the org's admin set it)"),
        )?
        .set_attribute("for", &select_id)?;
        let select: HtmlSelectElement =
            child(doc, &field, "select", "policy-kind", None)?.dyn_into()?;
        select.set_id(&select_id);
        for (value, text) in [
            ("until_revoked", "Valid until revoked (default)"),
            ("expire_after", "Expire after N days"),
            ("expire_if_unused", "Expire if not used for N days"),
            ("immediately", "Expire immediately"),
        ] {
            let o = child(doc, &select, "option", "", Some(text))?;
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
        let save = child(doc, &form, "button", "", Some("Save policy"))?;
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
            _ => Err("Enter a whole number of days from 1 to 3650."),
        };
        let policy = match kind.as_str() {
            "expire_after" => days().map(|days| DeclaredPolicy::ExpireAfter { days }),
            "expire_if_unused" => days().map(|days| DeclaredPolicy::ExpireIfUnused { days }),
            "immediately" => Ok(DeclaredPolicy::Immediately),
            _ => Ok(DeclaredPolicy::UntilRevoked),
        };
        let policy = match policy {
            Ok(p) => p,
            Err(why) => return say_field(why),
        };
        say_field("");
        match ask(Request::DeclarePolicy { id, policy }).await {
            Response::Connection { connection } => {
                self.say(
                    &format!(
                        "Policy saved for {}: {}.",
                        connection.username, connection.status.title
                    ),
                    false,
                );
                self.load_connections().await;
            }
            Response::Error { error } => say_field(&error.message),
            _ => self.say("Unexpected answer from the background service.", true),
        }
    }
}

fn sentence(s: &str) -> String {
    tokenwatch_core::messages::sentence(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_read_in_integers() {
        let hour = 3600;
        assert_eq!(decimal_times("2", hour), Some(7200));
        assert_eq!(decimal_times("1.5", hour), Some(5400));
        assert_eq!(decimal_times(".25", hour), Some(900));
        assert_eq!(decimal_times("1.", hour), Some(3600));
        assert_eq!(decimal_times("0.0001", hour), Some(0));
        assert_eq!(decimal_times("0.00014", hour), Some(1), "rounded");
        for bad in [
            "",
            ".",
            "-1",
            "+1",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            "1,5",
            "0.1234567891",
            "99999999999999999999",
        ] {
            assert_eq!(decimal_times(bad, hour), None, "{bad}");
        }
        assert_eq!(decimal_times("18446744073709551615", 2), None, "overflow");
    }

    #[test]
    fn seconds_are_shown_with_two_decimals_at_most() {
        let n = |s: u64| Value::from(s);
        assert_eq!(shown(Some(&n(7200)), 3600), "2");
        assert_eq!(shown(Some(&n(5400)), 3600), "1.50");
        assert_eq!(shown(Some(&n(3601)), 3600), "1.00");
        assert_eq!(shown(Some(&n(60)), 3600), "0.02");
        assert_eq!(shown(Some(&Value::from("x")), 3600), "x");
        assert_eq!(shown(None, 3600), "");
    }
}
