//! The settings a person or an administrator can change: the apps Tokenwatch signs in with and
//! the timing. Three layers, each field taken from the first that sets it: the
//! administrator's managed policy (`chrome.storage.managed`, shown locked), the options page,
//! then the build's `config.json`. Every field is declared once, in [`Field`]: its name (as
//! stored, in the managed schema and in a refusal), how the options page enters and shows it,
//! and where its value lives. Validation happens here, field by field, so a bad value is named
//! next to its field and nothing is saved.

use crate::host::HttpsOrigin;
use crate::microsoft::{
    self, Authority, Cloud, MicrosoftApp, Registration, Resource, SetupError, Tenant,
};
use crate::schedule::{Timing, TimingField, TimingInput};
use crate::words::Said;
use serde::{Deserialize, Serialize};
use url::Url;

/// Every setting, each optional (unset means "from the next layer", finally the default). One
/// layer: the managed policy, the person's own, or the build's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettingsValues {
    /// The Salesforce connected app's consumer key.
    pub salesforce_consumer_key: Option<String>,
    /// The Microsoft app registration's application (client) id.
    pub microsoft_client_id: Option<String>,
    /// The Microsoft authority host.
    pub microsoft_authority_host: Option<String>,
    /// The Microsoft tenant.
    pub microsoft_tenant: Option<String>,
    /// How the Microsoft redirect URI is registered.
    pub microsoft_registration: Option<Registration>,
    /// The Microsoft resource new connections are for.
    pub microsoft_resource: Option<Resource>,
    /// The national cloud, where the authority host does not say (US Government L5).
    pub microsoft_cloud: Option<Cloud>,
    /// The EWS endpoint.
    pub ews_url: Option<String>,
    /// Timing, in seconds.
    pub schedule: TimingInput,
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Field {
    /// [`SettingsValues::salesforce_consumer_key`].
    SalesforceConsumerKey,
    /// [`SettingsValues::microsoft_client_id`].
    MicrosoftClientId,
    /// [`SettingsValues::microsoft_authority_host`].
    MicrosoftAuthorityHost,
    /// [`SettingsValues::microsoft_tenant`].
    MicrosoftTenant,
    /// [`SettingsValues::microsoft_registration`].
    MicrosoftRegistration,
    /// [`SettingsValues::microsoft_resource`].
    MicrosoftResource,
    /// [`SettingsValues::microsoft_cloud`].
    MicrosoftCloud,
    /// [`SettingsValues::ews_url`].
    EwsUrl,
    /// A timing field.
    Timing(TimingField),
}

/// How the options page enters a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Free text.
    Text,
    /// One of the options the page lists.
    Choice,
    /// A positive decimal number of `unit` seconds (minutes, hours, days).
    Seconds {
        /// Seconds per unit shown.
        unit: u64,
    },
}

impl Field {
    /// Whether the field configures Microsoft 365 (the app, authority, tenant, resource, cloud
    /// or EWS address).
    pub fn is_microsoft(&self) -> bool {
        matches!(
            self,
            Field::MicrosoftClientId
                | Field::MicrosoftAuthorityHost
                | Field::MicrosoftTenant
                | Field::MicrosoftRegistration
                | Field::MicrosoftResource
                | Field::MicrosoftCloud
                | Field::EwsUrl
        )
    }

    /// Every field, in the options page's order.
    pub const ALL: [Field; 13] = [
        Field::SalesforceConsumerKey,
        Field::MicrosoftClientId,
        Field::MicrosoftAuthorityHost,
        Field::MicrosoftTenant,
        Field::MicrosoftRegistration,
        Field::MicrosoftResource,
        Field::MicrosoftCloud,
        Field::EwsUrl,
        Field::Timing(TimingField::CheckInterval),
        Field::Timing(TimingField::WarnLong),
        Field::Timing(TimingField::WarnShort),
        Field::Timing(TimingField::WarnDayLimited),
        Field::Timing(TimingField::SilentRenewLead),
    ];

    /// The field's name as stored, in the managed schema and in a refusal:
    /// `salesforce_consumer_key`, `schedule.check_interval_s`.
    pub fn name(self) -> &'static str {
        match self {
            Field::SalesforceConsumerKey => "salesforce_consumer_key",
            Field::MicrosoftClientId => "microsoft_client_id",
            Field::MicrosoftAuthorityHost => "microsoft_authority_host",
            Field::MicrosoftTenant => "microsoft_tenant",
            Field::MicrosoftRegistration => "microsoft_registration",
            Field::MicrosoftResource => "microsoft_resource",
            Field::MicrosoftCloud => "microsoft_cloud",
            Field::EwsUrl => "ews_url",
            Field::Timing(TimingField::CheckInterval) => "schedule.check_interval_s",
            Field::Timing(TimingField::WarnLong) => "schedule.warn_long_s",
            Field::Timing(TimingField::WarnShort) => "schedule.warn_short_s",
            Field::Timing(TimingField::WarnDayLimited) => "schedule.warn_day_limited_s",
            Field::Timing(TimingField::SilentRenewLead) => "schedule.silent_renew_lead_s",
        }
    }

    /// The options page's element for it.
    pub fn element(self) -> &'static str {
        match self {
            Field::Timing(TimingField::CheckInterval) => "check_interval",
            Field::Timing(TimingField::WarnLong) => "warn_long",
            Field::Timing(TimingField::WarnShort) => "warn_short",
            Field::Timing(TimingField::WarnDayLimited) => "warn_day",
            Field::Timing(TimingField::SilentRenewLead) => "renew_lead",
            other => other.name(),
        }
    }

    /// How it is entered: the check interval and the day-limited warning in minutes, the
    /// second warning and the renewal lead in hours, the first warning in days.
    pub fn input(self) -> Input {
        match self {
            Field::MicrosoftRegistration | Field::MicrosoftResource | Field::MicrosoftCloud => {
                Input::Choice
            }
            Field::Timing(t) => Input::Seconds {
                unit: match t {
                    TimingField::CheckInterval | TimingField::WarnDayLimited => 60,
                    TimingField::WarnShort | TimingField::SilentRenewLead => 3600,
                    TimingField::WarnLong => 86_400,
                },
            },
            _ => Input::Text,
        }
    }

    fn text(self, v: &SettingsValues) -> Option<&Option<String>> {
        match self {
            Field::SalesforceConsumerKey => Some(&v.salesforce_consumer_key),
            Field::MicrosoftClientId => Some(&v.microsoft_client_id),
            Field::MicrosoftAuthorityHost => Some(&v.microsoft_authority_host),
            Field::MicrosoftTenant => Some(&v.microsoft_tenant),
            Field::EwsUrl => Some(&v.ews_url),
            _ => None,
        }
    }

    fn text_mut(self, v: &mut SettingsValues) -> Option<&mut Option<String>> {
        match self {
            Field::SalesforceConsumerKey => Some(&mut v.salesforce_consumer_key),
            Field::MicrosoftClientId => Some(&mut v.microsoft_client_id),
            Field::MicrosoftAuthorityHost => Some(&mut v.microsoft_authority_host),
            Field::MicrosoftTenant => Some(&mut v.microsoft_tenant),
            Field::EwsUrl => Some(&mut v.ews_url),
            _ => None,
        }
    }

    /// Whether `layer` sets it.
    pub fn is_set(self, layer: &SettingsValues) -> bool {
        match self {
            Field::MicrosoftRegistration => layer.microsoft_registration.is_some(),
            Field::MicrosoftResource => layer.microsoft_resource.is_some(),
            Field::MicrosoftCloud => layer.microsoft_cloud.is_some(),
            Field::Timing(t) => layer.schedule.get(t).is_some(),
            text => text.text(layer).is_some_and(Option::is_some),
        }
    }

    /// Its value in `layer` as the options page shows it; empty when unset. Seconds are shown
    /// in the field's unit, with two decimals when they are not whole (in integers: no float
    /// formatting in the wasm).
    pub fn shown(self, layer: &SettingsValues) -> String {
        match (self, self.input()) {
            (Field::MicrosoftRegistration, _) => layer
                .microsoft_registration
                .map(|r| r.name().to_owned())
                .unwrap_or_default(),
            (Field::MicrosoftResource, _) => layer
                .microsoft_resource
                .map(|r| r.name().to_owned())
                .unwrap_or_default(),
            (Field::MicrosoftCloud, _) => layer
                .microsoft_cloud
                .map(|c| c.name().to_owned())
                .unwrap_or_default(),
            (Field::Timing(t), Input::Seconds { unit }) => layer
                .schedule
                .get(t)
                .map(|secs| in_units(secs, unit))
                .unwrap_or_default(),
            (text, _) => text.text(layer).and_then(Option::clone).unwrap_or_default(),
        }
    }

    /// Puts what the person typed into `layer`: blank leaves it unset; a number that is not
    /// positive, or a choice the page does not offer, is refused.
    pub fn enter(self, layer: &mut SettingsValues, typed: &str) -> Result<(), FieldError> {
        let typed = typed.trim();
        let refuse = |key: &str| Err(FieldError::said(self, key, &[]));
        if typed.is_empty() {
            return Ok(());
        }
        match (self, self.input()) {
            (Field::MicrosoftRegistration, _) => match Registration::parse(typed) {
                Some(r) => layer.microsoft_registration = Some(r),
                None => return refuse("fieldChooseRegistration"),
            },
            (Field::MicrosoftResource, _) => match Resource::parse(typed) {
                Some(r) => layer.microsoft_resource = Some(r),
                None => return refuse("fieldChooseResource"),
            },
            (Field::MicrosoftCloud, _) => match Cloud::parse(typed) {
                Some(c) => layer.microsoft_cloud = Some(c),
                None => return refuse("fieldChooseCloud"),
            },
            (Field::Timing(t), Input::Seconds { unit }) => {
                match decimal_times(&typed.replace(',', "."), unit) {
                    Some(n) if n > 0 => layer.schedule.set(t, n),
                    _ => return refuse("fieldPositive"),
                }
            }
            (text, _) => {
                if let Some(slot) = text.text_mut(layer) {
                    *slot = Some(typed.to_owned());
                }
            }
        }
        Ok(())
    }
}

impl From<Field> for String {
    fn from(f: Field) -> String {
        f.name().into()
    }
}

impl TryFrom<String> for Field {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Field::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| "an unknown setting".into())
    }
}

/// `text`, a decimal number such as `1`, `1.5` or `.25`, times `unit`, rounded to a whole number;
/// `None` for anything else (signs, exponents, more than nine decimals, overflow). In integers:
/// no float parsing machinery in the wasm.
pub fn decimal_times(text: &str, unit: u64) -> Option<u64> {
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

/// `secs` in `unit`s: whole, or with two decimals.
fn in_units(secs: u64, unit: u64) -> String {
    if secs % unit == 0 {
        (secs / unit).to_string()
    } else {
        let hundredths = (u128::from(secs) * 100 + u128::from(unit) / 2) / u128::from(unit);
        format!("{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// A refused value, for the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// Why, in words.
    pub message: String,
    /// The same as a catalogue message, for the person's language, where it has one.
    #[serde(default)]
    pub said: Option<Said>,
}

impl FieldError {
    /// A refusal of `field` in the words of the message `key`.
    pub fn said(field: Field, key: &str, args: &[&str]) -> Self {
        let said = Said::new(key, args);
        Self {
            field,
            message: crate::words::field_english(&said),
            said: Some(said),
        }
    }
}

/// The refusals in one line: "field: why; field: why".
pub fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field.name(), e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the apps and timing come to.
#[derive(Debug, Clone, Default)]
pub struct Effective {
    /// The Salesforce consumer key, when set.
    pub salesforce_consumer_key: Option<String>,
    /// The Microsoft app, when a client id is set.
    pub microsoft: Option<MicrosoftApp>,
    /// The timing.
    pub timing: Timing,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl SettingsValues {
    /// `self` with every unset field taken from `below`.
    pub fn over(&self, below: &SettingsValues) -> SettingsValues {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            a.clone().or_else(|| b.clone())
        }
        let mut schedule = self.schedule;
        for t in TimingField::ALL {
            if schedule.get(t).is_none() {
                if let Some(v) = below.schedule.get(t) {
                    schedule.set(t, v);
                }
            }
        }
        SettingsValues {
            salesforce_consumer_key: pick(
                &self.salesforce_consumer_key,
                &below.salesforce_consumer_key,
            ),
            microsoft_client_id: pick(&self.microsoft_client_id, &below.microsoft_client_id),
            microsoft_authority_host: pick(
                &self.microsoft_authority_host,
                &below.microsoft_authority_host,
            ),
            microsoft_tenant: pick(&self.microsoft_tenant, &below.microsoft_tenant),
            microsoft_registration: pick(
                &self.microsoft_registration,
                &below.microsoft_registration,
            ),
            microsoft_resource: pick(&self.microsoft_resource, &below.microsoft_resource),
            microsoft_cloud: pick(&self.microsoft_cloud, &below.microsoft_cloud),
            ews_url: pick(&self.ews_url, &below.ews_url),
            schedule,
        }
    }

    /// Refuses every field this layer (the person's) sets that `managed` (the administrator's
    /// policy) already sets: the policy's value is the one in force, and a page that offers to
    /// change it (a crafted request, or a page opened before the policy locked the field) is
    /// told so rather than having the value stored to no effect.
    pub fn refuse_locked(&self, managed: &SettingsValues) -> Result<(), Vec<FieldError>> {
        let locked = managed.set_fields();
        let errors: Vec<FieldError> = self
            .set_fields()
            .into_iter()
            .filter(|f| locked.contains(f))
            .map(|field| FieldError::said(field, "fieldLocked", &[]))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The fields this layer sets (an administrator's are shown locked).
    pub fn set_fields(&self) -> Vec<Field> {
        Field::ALL.into_iter().filter(|f| f.is_set(self)).collect()
    }

    /// Checks every field; all refusals at once, each with its field.
    pub fn validate(&self, microsoft_redirect: &Url) -> Result<Effective, Vec<FieldError>> {
        let mut errors = Vec::new();
        // A refusal in the catalogue's words, or (from a parser's error) in English only.
        let mut refuse = |e: FieldError| errors.push(e);
        let plain = |field: Field, message: String| FieldError {
            field,
            message,
            said: None,
        };
        let key_ok = |s: &str| s.len() <= 256 && s.bytes().all(|b| b.is_ascii_graphic());
        let salesforce_consumer_key = blank(&self.salesforce_consumer_key).map(str::to_owned);
        if salesforce_consumer_key
            .as_deref()
            .is_some_and(|k| !key_ok(k))
        {
            refuse(FieldError::said(
                Field::SalesforceConsumerKey,
                "fieldConsumerKey",
                &[],
            ));
        }
        let client_id = blank(&self.microsoft_client_id).map(str::to_owned);
        if client_id.as_deref().is_some_and(|k| !key_ok(k)) {
            refuse(FieldError::said(
                Field::MicrosoftClientId,
                "fieldClientId",
                &[],
            ));
        }
        let host = match HttpsOrigin::parse(
            blank(&self.microsoft_authority_host).unwrap_or(microsoft::DEFAULT_AUTHORITY_HOST),
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                refuse(plain(Field::MicrosoftAuthorityHost, e.to_string()));
                None
            }
        };
        let tenant = match Tenant::parse(blank(&self.microsoft_tenant).unwrap_or("organizations")) {
            Ok(t) => Some(t),
            Err(e) => {
                refuse(plain(Field::MicrosoftTenant, e.to_string()));
                None
            }
        };
        if self.microsoft_resource == Some(Resource::ExchangeOnPremises)
            && blank(&self.ews_url).is_none()
        {
            refuse(FieldError::said(Field::EwsUrl, "fieldEwsNeeded", &[]));
        }
        let ews = match microsoft::parse_ews_url(
            blank(&self.ews_url).unwrap_or(microsoft::DEFAULT_EWS_URL),
        ) {
            Ok(u) => Some(u),
            Err(SetupError::Ews) => {
                refuse(FieldError::said(Field::EwsUrl, "fieldEwsHttps", &[]));
                None
            }
            Err(e) => {
                refuse(plain(Field::EwsUrl, e.to_string()));
                None
            }
        };
        let timing = match self.schedule.timing() {
            Ok(s) => Some(s),
            Err(e) => {
                let (field, said) = e.said();
                refuse(FieldError::said(
                    Field::Timing(field),
                    &said.key,
                    &said.args.iter().map(String::as_str).collect::<Vec<_>>(),
                ));
                None
            }
        };
        match (host, tenant, ews, timing) {
            (Some(host), Some(tenant), Some(ews_url), Some(timing)) if errors.is_empty() => {
                Ok(Effective {
                    salesforce_consumer_key,
                    microsoft: client_id.map(|client_id| MicrosoftApp {
                        client_id,
                        authority: Authority { host, tenant },
                        registration: self.microsoft_registration.unwrap_or(Registration::Spa),
                        resource: self.microsoft_resource.unwrap_or(Resource::Graph),
                        cloud: self.microsoft_cloud,
                        ews_url,
                        redirect: microsoft_redirect.clone(),
                    }),
                    timing,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect() -> Url {
        Url::parse("https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/microsoft").unwrap()
    }

    #[test]
    fn a_field_the_policy_sets_cannot_be_changed_by_the_person() {
        let managed = SettingsValues {
            microsoft_tenant: Some("contoso.onmicrosoft.com".into()),
            ..Default::default()
        };
        let own = SettingsValues {
            microsoft_tenant: Some("common".into()),
            microsoft_client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Default::default()
        };
        let errors = own.refuse_locked(&managed).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            [Field::MicrosoftTenant]
        );
        assert!(errors[0].message.contains("administrator's policy"));
        let without = SettingsValues {
            microsoft_tenant: None,
            ..own
        };
        assert_eq!(without.refuse_locked(&managed), Ok(()));
        assert_eq!(without.refuse_locked(&SettingsValues::default()), Ok(()));
    }

    #[test]
    fn layers_take_each_field_from_the_first_that_sets_it() {
        let managed = SettingsValues {
            microsoft_tenant: Some("contoso.onmicrosoft.com".into()),
            ..Default::default()
        };
        let user = SettingsValues {
            microsoft_tenant: Some("common".into()),
            microsoft_client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            schedule: TimingInput {
                check_interval_s: Some(600),
                ..Default::default()
            },
            ..Default::default()
        };
        let build = SettingsValues {
            salesforce_consumer_key: Some("3MVG9key".into()),
            schedule: TimingInput {
                check_interval_s: Some(60),
                warn_long_s: Some(3 * 86_400),
                ..Default::default()
            },
            ..Default::default()
        };
        let all = managed.over(&user.over(&build));
        assert_eq!(
            all.microsoft_tenant.as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(all.salesforce_consumer_key.as_deref(), Some("3MVG9key"));
        assert_eq!(all.schedule.check_interval_s, Some(600));
        assert_eq!(all.schedule.warn_long_s, Some(3 * 86_400));
        assert_eq!(managed.set_fields(), [Field::MicrosoftTenant]);
        let effective = all.validate(&redirect()).unwrap();
        let ms = effective.microsoft.unwrap();
        assert_eq!(ms.authority.tenant.as_str(), "contoso.onmicrosoft.com");
        assert_eq!(ms.registration, Registration::Spa);
    }

    #[test]
    fn every_bad_value_is_named_with_its_field_and_nothing_passes() {
        let bad = SettingsValues {
            salesforce_consumer_key: Some("has spaces in it".into()),
            microsoft_authority_host: Some("http://login.example.com".into()),
            microsoft_tenant: Some("not a tenant".into()),
            ews_url: Some("ftp://outlook.example/EWS".into()),
            schedule: TimingInput {
                check_interval_s: Some(5),
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = bad.validate(&redirect()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.name()).collect();
        assert_eq!(
            fields,
            [
                "salesforce_consumer_key",
                "microsoft_authority_host",
                "microsoft_tenant",
                "ews_url",
                "schedule.check_interval_s"
            ]
        );
        assert_eq!(
            errors[1].message,
            "only https addresses are allowed (http only for 127.0.0.1 / localhost)"
        );
        assert_eq!(
            errors[4].message,
            "check interval must be between 10 and 43200 seconds"
        );
    }

    #[test]
    fn an_order_refusal_is_named_on_the_field_that_comes_second() {
        let late = SettingsValues {
            schedule: TimingInput {
                warn_day_limited_s: Some(6 * 3600),
                silent_renew_lead_s: Some(3 * 3600),
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = late.validate(&redirect()).unwrap_err();
        assert_eq!(errors[0].field, Field::Timing(TimingField::SilentRenewLead));
    }

    #[test]
    fn settings_read_from_json_refuse_unknown_fields() {
        let ok: SettingsValues = serde_json::from_str(
            r#"{"microsoft_tenant":"common","schedule":{"check_interval_s":600}}"#,
        )
        .unwrap();
        assert_eq!(ok.schedule.check_interval_s, Some(600));
        assert!(serde_json::from_str::<SettingsValues>(r#"{"tenant":"common"}"#).is_err());
    }

    #[test]
    fn every_field_is_entered_and_shown_in_its_own_terms() {
        let mut layer = SettingsValues::default();
        for (field, typed, shown) in [
            (Field::SalesforceConsumerKey, " 3MVG9key ", "3MVG9key"),
            (
                Field::MicrosoftRegistration,
                "public_client",
                "public_client",
            ),
            (Field::MicrosoftResource, "graph", "graph"),
            (Field::Timing(TimingField::CheckInterval), "1.5", "1.50"),
            (Field::Timing(TimingField::WarnLong), "3", "3"),
            (Field::Timing(TimingField::SilentRenewLead), "2,25", "2.25"),
        ] {
            field.enter(&mut layer, typed).unwrap();
            assert_eq!(field.shown(&layer), shown, "{field:?}");
            assert!(field.is_set(&layer));
        }
        assert_eq!(layer.schedule.check_interval_s, Some(90));
        assert_eq!(layer.schedule.silent_renew_lead_s, Some(8100));
        assert_eq!(
            layer.microsoft_registration,
            Some(Registration::PublicClient)
        );
        let refused = Field::Timing(TimingField::WarnShort)
            .enter(&mut layer, "-1")
            .unwrap_err();
        assert_eq!(refused.field.name(), "schedule.warn_short_s");
        assert!(Field::MicrosoftResource.enter(&mut layer, "ews").is_err());
        Field::MicrosoftTenant.enter(&mut layer, "   ").unwrap();
        assert!(!Field::MicrosoftTenant.is_set(&layer), "blank stays unset");
        for f in Field::ALL {
            assert_eq!(Field::try_from(f.name().to_owned()), Ok(f));
        }
    }

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
        assert_eq!(in_units(7200, 3600), "2");
        assert_eq!(in_units(5400, 3600), "1.50");
        assert_eq!(in_units(3601, 3600), "1.00");
        assert_eq!(in_units(60, 3600), "0.02");
    }
}
