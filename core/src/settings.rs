//! The settings a person or an administrator can change: the apps Tokenwatch signs in with and
//! the timing. Three layers, each field taken from the first that sets it: the
//! administrator's managed policy (`chrome.storage.managed`, shown locked), the options page,
//! then the build's `config.json`. Validation happens here, field by field, so a bad value is
//! named next to its field and nothing is saved.

use crate::microsoft::{self, Authority, MicrosoftApp, Registration, Resource, SetupError, Tenant};
use crate::salesforce::LoginHost;
use crate::schedule::{Settings, SettingsInput};
use serde::{Deserialize, Serialize};
use url::Url;

/// Every setting, each optional (unset means "from the next layer", finally the default).
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
    /// The Microsoft resource.
    pub microsoft_resource: Option<Resource>,
    /// The EWS endpoint.
    pub ews_url: Option<String>,
    /// Timing, in seconds.
    pub schedule: SettingsInput,
}

/// A refused value, for the field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field's name, as in [`SettingsValues`].
    pub field: String,
    /// Why, in words.
    pub message: String,
}

/// The refusals in one line: "field: why; field: why".
pub fn describe(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What the apps and timing come to.
#[derive(Debug, Clone)]
pub struct Effective {
    /// The Salesforce consumer key, when set.
    pub salesforce_consumer_key: Option<String>,
    /// The Microsoft app, when a client id is set.
    pub microsoft: Option<MicrosoftApp>,
    /// The timing.
    pub schedule: Settings,
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
        let (s, b) = (&self.schedule, &below.schedule);
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
            ews_url: pick(&self.ews_url, &below.ews_url),
            schedule: SettingsInput {
                check_interval_s: pick(&s.check_interval_s, &b.check_interval_s),
                warn_long_s: pick(&s.warn_long_s, &b.warn_long_s),
                warn_short_s: pick(&s.warn_short_s, &b.warn_short_s),
                warn_day_limited_s: pick(&s.warn_day_limited_s, &b.warn_day_limited_s),
                silent_renew_lead_s: pick(&s.silent_renew_lead_s, &b.silent_renew_lead_s),
            },
        }
    }

    /// The names of the fields this layer sets (for showing managed values as locked).
    pub fn set_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(self) {
            for (k, v) in map {
                match v {
                    serde_json::Value::Null => {}
                    // Timing fields are named on their own: `schedule.check_interval_s`.
                    serde_json::Value::Object(inner) => out.extend(
                        inner
                            .into_iter()
                            .filter(|(_, v)| !v.is_null())
                            .map(|(i, _)| format!("{k}.{i}")),
                    ),
                    _ => out.push(k),
                }
            }
        }
        out
    }

    /// Checks every field; all refusals at once, each with its field.
    pub fn validate(&self, microsoft_redirect: &Url) -> Result<Effective, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut refuse = |field: &str, message: String| {
            errors.push(FieldError {
                field: field.into(),
                message,
            })
        };
        let key_ok = |s: &str| s.len() <= 256 && s.bytes().all(|b| b.is_ascii_graphic());
        let salesforce_consumer_key = blank(&self.salesforce_consumer_key).map(str::to_owned);
        if salesforce_consumer_key
            .as_deref()
            .is_some_and(|k| !key_ok(k))
        {
            refuse(
                "salesforce_consumer_key",
                "the consumer key is letters, digits and punctuation, without spaces".into(),
            );
        }
        let client_id = blank(&self.microsoft_client_id).map(str::to_owned);
        if client_id.as_deref().is_some_and(|k| !key_ok(k)) {
            refuse(
                "microsoft_client_id",
                "the application (client) id is a GUID such as 11111111-2222-3333-4444-555555555555".into(),
            );
        }
        let host = match LoginHost::parse(
            blank(&self.microsoft_authority_host).unwrap_or(microsoft::DEFAULT_AUTHORITY_HOST),
        ) {
            Ok(h) => Some(h),
            Err(e) => {
                refuse("microsoft_authority_host", e.to_string());
                None
            }
        };
        let tenant = match Tenant::parse(blank(&self.microsoft_tenant).unwrap_or("organizations")) {
            Ok(t) => Some(t),
            Err(e) => {
                refuse("microsoft_tenant", e.to_string());
                None
            }
        };
        let ews = match microsoft::parse_ews_url(
            blank(&self.ews_url).unwrap_or(microsoft::DEFAULT_EWS_URL),
        ) {
            Ok(u) => Some(u),
            Err(SetupError::Ews) => {
                refuse(
                    "ews_url",
                    "the EWS address must be an https URL (http only on this computer)".into(),
                );
                None
            }
            Err(e) => {
                refuse("ews_url", e.to_string());
                None
            }
        };
        let schedule = match self.schedule.settings() {
            Ok(s) => Some(s),
            Err(e) => {
                let field = match &e {
                    crate::schedule::SettingsError::OutOfRange { field, .. } => match *field {
                        "check interval" => "schedule.check_interval_s",
                        "first warning" => "schedule.warn_long_s",
                        "second warning" => "schedule.warn_short_s",
                        "24-hour sign-in warning" => "schedule.warn_day_limited_s",
                        _ => "schedule.silent_renew_lead_s",
                    },
                    _ => "schedule.warn_short_s",
                };
                refuse(field, e.to_string());
                None
            }
        };
        match (host, tenant, ews, schedule) {
            (Some(host), Some(tenant), Some(ews_url), Some(schedule)) if errors.is_empty() => {
                Ok(Effective {
                    salesforce_consumer_key,
                    microsoft: client_id.map(|client_id| MicrosoftApp {
                        client_id,
                        authority: Authority { host, tenant },
                        registration: self.microsoft_registration.unwrap_or(Registration::Spa),
                        resource: self.microsoft_resource.unwrap_or(Resource::Exchange),
                        ews_url,
                        redirect: microsoft_redirect.clone(),
                    }),
                    schedule,
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
    fn layers_take_each_field_from_the_first_that_sets_it() {
        let managed = SettingsValues {
            microsoft_tenant: Some("contoso.onmicrosoft.com".into()),
            ..Default::default()
        };
        let user = SettingsValues {
            microsoft_tenant: Some("common".into()),
            microsoft_client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Default::default()
        };
        let build = SettingsValues {
            salesforce_consumer_key: Some("3MVG9key".into()),
            ..Default::default()
        };
        let all = managed.over(&user.over(&build));
        assert_eq!(
            all.microsoft_tenant.as_deref(),
            Some("contoso.onmicrosoft.com")
        );
        assert_eq!(all.salesforce_consumer_key.as_deref(), Some("3MVG9key"));
        assert_eq!(managed.set_fields(), ["microsoft_tenant"]);
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
            schedule: SettingsInput {
                check_interval_s: Some(5),
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = bad.validate(&redirect()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
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
    fn settings_read_from_json_refuse_unknown_fields() {
        let ok: SettingsValues = serde_json::from_str(
            r#"{"microsoft_tenant":"common","schedule":{"check_interval_s":600}}"#,
        )
        .unwrap();
        assert_eq!(ok.schedule.check_interval_s, Some(600));
        assert!(serde_json::from_str::<SettingsValues>(r#"{"tenant":"common"}"#).is_err());
    }
}
