//! The build's configuration, packaged as `config.json`: the release build ships the consumer
//! key and Microsoft application id an organization built it with (or none), the simulator
//! build ships the simulator's.

use serde::Deserialize;
use tokenwatch_core::microsoft::{Cloud, Registration, Resource};
use tokenwatch_core::salesforce::LoginHost;
use tokenwatch_core::salesforce::SalesforceApp;
use tokenwatch_core::settings::SettingsValues;

/// The packaged configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Salesforce settings.
    #[serde(default)]
    pub salesforce: SalesforceConfig,
    /// Microsoft settings.
    #[serde(default)]
    pub microsoft: MicrosoftConfig,
    /// Timing, in seconds (defaults: check every 30 min, warn 7 days and 1 day ahead, 2 h
    /// before a 24-hour sign-in ends, silent renewal from 4 h before).
    #[serde(default)]
    pub schedule: tokenwatch_core::schedule::TimingInput,
    /// Fault-injection knobs of the test builds; absent from every shipped build.
    #[serde(default)]
    pub test_hooks: TestHooks,
    /// Login host the popup offers first (the simulator build sets its own).
    #[serde(default)]
    pub default_login_host: Option<String>,
}

/// Fault-injection knobs of the test builds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestHooks {
    /// Each record write waits this long first (see `adapters::RECORD_WRITE_DELAY_MS`).
    pub record_write_delay_ms: Option<u32>,
    /// Requests are given up after this long instead of `fetch::REQUEST_TIMEOUT_MS`.
    pub request_timeout_ms: Option<u32>,
}

/// Salesforce settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceConfig {
    /// The connected app's consumer key; `None` until an administrator sets one.
    pub consumer_key: Option<String>,
    /// Where "Production" signs in, when not `login.salesforce.com` (test builds).
    pub production_host: Option<String>,
    /// Where "Sandbox" signs in, when not `test.salesforce.com` (test builds).
    pub sandbox_host: Option<String>,
    /// The consumer key is one app shared by many orgs (a vendor's build), so Salesforce's
    /// partner requirements bind it: a 30-day idle limit and rotation (see
    /// [`SalesforceApp::shared`]). It follows the key: an administrator who sets the org's own
    /// key in a higher settings layer gets an ordinary app.
    #[serde(default)]
    pub shared_app: bool,
}

/// Microsoft settings; everything but the client id has a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MicrosoftConfig {
    /// The app registration's application (client) id; `None` until an administrator sets one.
    pub client_id: Option<String>,
    /// The authority host (default `login.microsoftonline.com`; national clouds differ).
    pub authority_host: Option<String>,
    /// `common`, `organizations` (default), a tenant id or a domain.
    pub tenant: Option<String>,
    /// How the redirect URI is registered (default: single-page application).
    pub registration: Option<Registration>,
    /// The resource new connections are for (default: Microsoft Graph).
    pub resource: Option<Resource>,
    /// The EWS address of an on-premises Exchange Server.
    pub ews_url: Option<String>,
    /// The national cloud, where the authority host does not say (US Government L5).
    pub cloud: Option<Cloud>,
}

impl Config {
    /// The Salesforce app with this consumer key and redirect; a build may say where
    /// "Production" and "Sandbox" sign in (the test builds point them at simulators).
    pub fn salesforce_app(&self, consumer_key: String, redirect: url::Url) -> SalesforceApp {
        let shared = self.salesforce.shared_app
            && self.salesforce.consumer_key.as_deref() == Some(consumer_key.as_str());
        let mut app = SalesforceApp::new(consumer_key, redirect);
        app.shared = shared;
        let host = |h: &Option<String>| h.as_deref().and_then(|h| LoginHost::parse(h).ok());
        if let Some(h) = host(&self.salesforce.production_host) {
            app.production = h;
        }
        if let Some(h) = host(&self.salesforce.sandbox_host) {
            app.sandbox = h;
        }
        app
    }

    /// The build's settings, as the lowest of the settings layers.
    pub fn as_values(&self) -> SettingsValues {
        SettingsValues {
            salesforce_consumer_key: self.salesforce.consumer_key.clone(),
            microsoft_client_id: self.microsoft.client_id.clone(),
            microsoft_authority_host: self.microsoft.authority_host.clone(),
            microsoft_tenant: self.microsoft.tenant.clone(),
            microsoft_registration: self.microsoft.registration,
            microsoft_resource: self.microsoft.resource,
            microsoft_cloud: self.microsoft.cloud,
            ews_url: self.microsoft.ews_url.clone(),
            schedule: self.schedule,
        }
    }
}

thread_local! {
    /// `config.json`'s text as the service worker began fetching it beside the wasm.
    static PREFETCHED: std::cell::RefCell<Option<js_sys::Promise>> = const { std::cell::RefCell::new(None) };
}

/// The service worker and the pages start fetching `config.json` while the wasm loads (the
/// engine's first start needs both) and hand the promise of its text here.
#[cfg(any(feature = "worker", feature = "pages"))]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn use_config_text(text: js_sys::Promise) {
    PREFETCHED.with(|p| *p.borrow_mut() = Some(text));
}

/// Reads `config.json` from the extension package: the prefetched text where there is one.
pub async fn load() -> Result<Config, String> {
    if let Some(text) = PREFETCHED.with(|p| p.borrow().clone()) {
        let text = wasm_bindgen_futures::JsFuture::from(text).await.ok();
        if let Some(text) = text.and_then(|t| t.as_string()) {
            return parse(&text);
        }
    }
    load_from(&crate::chrome::runtime::get_url("config.json")).await
}

/// Reads the configuration at `url` (the Outlook add-in's, beside its task pane).
pub async fn load_from(url: &str) -> Result<Config, String> {
    let text = crate::js::fetch_text(url)
        .await
        .map_err(|e| e.to_string())?;
    parse(&text)
}

fn parse(text: &str) -> Result<Config, String> {
    crate::js::from_json_text(text)
        .ok_or_else(|| "config.json is not JSON of the expected shape".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redirect() -> url::Url {
        url::Url::parse("https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/salesforce")
            .unwrap()
    }

    #[test]
    fn a_shared_app_is_shared_only_with_the_builds_own_key() {
        let config =
            parse(r#"{"salesforce":{"consumer_key":"3MVG9vendor","shared_app":true}}"#).unwrap();
        assert!(
            config
                .salesforce_app("3MVG9vendor".into(), redirect())
                .shared
        );
        assert!(
            !config
                .salesforce_app("3MVG9theorgsown".into(), redirect())
                .shared,
            "an administrator's own key is the org's own app"
        );
        let own = parse(r#"{"salesforce":{"consumer_key":"3MVG9vendor"}}"#).unwrap();
        assert!(!own.salesforce_app("3MVG9vendor".into(), redirect()).shared);
    }
}
