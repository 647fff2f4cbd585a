//! The worker's settings layers as the browser keeps them: the administrator's policy
//! (`chrome.storage.managed`), the person's own (`storage.local`) and the build's
//! (`config.json`). The rules for combining and checking them are the core's
//! ([`tokenwatch_core::settings`]); this reads and writes them.

use crate::chrome::storage;
use crate::config;
use crate::js::join;
use tokenwatch_core::messages::{ErrorCode, Response, SettingsView};
use tokenwatch_core::settings::SettingsValues;
use url::Url;

/// Where the person's own settings are kept (no secret in them).
const KEY: &str = "tokenwatch:settings";

/// The three layers and the build's whole configuration.
#[derive(Debug, Default)]
pub struct Layers {
    /// The administrator's policy.
    pub managed: SettingsValues,
    /// The person's own, from the options page.
    pub own: SettingsValues,
    /// The build's `config.json`.
    pub build_config: config::Config,
}

impl Layers {
    /// All three, read at once.
    pub async fn read() -> Self {
        let ((managed, own), build) = join(
            join(storage::managed::<SettingsValues>(), storage::get(KEY)),
            config::load(),
        )
        .await;
        let own = own
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_slice(s.as_bytes()).ok())
            .unwrap_or_default();
        Self {
            managed,
            own,
            build_config: build.unwrap_or_default(),
        }
    }

    /// The build's layer.
    pub fn build(&self) -> SettingsValues {
        self.build_config.as_values()
    }

    /// Each field from the first layer that sets it.
    pub fn merged(&self) -> SettingsValues {
        self.managed.over(&self.own.over(&self.build()))
    }
}

/// The settings as the options page shows them.
pub async fn view(microsoft_redirect: &Url) -> Response {
    let layers = Layers::read().await;
    let effective = layers.merged();
    let problems = effective
        .validate(microsoft_redirect)
        .err()
        .unwrap_or_default();
    Response::Settings {
        settings: SettingsView {
            locked: layers.managed.set_fields(),
            own: layers.own,
            effective,
            problems,
        },
    }
}

/// Checks the person's layer with the others and saves it; nothing is saved when a field is
/// refused.
pub async fn save(values: SettingsValues, microsoft_redirect: &Url) -> Response {
    let layers = Layers::read().await;
    if let Err(errors) = layers
        .managed
        .over(&values.over(&layers.build()))
        .validate(microsoft_redirect)
    {
        return Response::Invalid { errors };
    }
    let stored = match serde_json::to_string(&values) {
        Ok(s) => storage::set(KEY, &s).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = stored {
        return Response::error(
            ErrorCode::Storage,
            format!("the settings could not be saved ({e})"),
        );
    }
    view(microsoft_redirect).await
}
