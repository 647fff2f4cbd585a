//! The worker's settings layers as the browser keeps them: the administrator's policy
//! (`chrome.storage.managed`), the person's own (`storage.local`) and the build's
//! (`config.json`). The rules for combining and checking them are the core's
//! ([`tokenwatch_core::settings`]); this reads and writes them.

use crate::chrome::storage;
use crate::config;
use crate::js::join;
use crate::sealer::WebCryptoSealer;
use tokenwatch_core::messages::{ErrorCode, Response, SettingsView};
use tokenwatch_core::settings::SettingsValues;
use tokenwatch_core::vault::signed::{self, Unverified};
use url::Url;

/// Where the person's own settings are kept (no secret in them), signed: a content script
/// can write `storage.local` in Firefox, and a forged authority host must not redirect a
/// sign-in.
const KEY: &str = "tokenwatch:settings";

/// What the options page says when the stored settings failed their check.
const IGNORED: &str = "Your saved settings were changed outside Tokenwatch (they failed their integrity check), so they are not in force: your administrator's and the build's settings apply. Review the fields below and save to use your own again.";

/// The three layers and the build's whole configuration.
#[derive(Debug, Default)]
pub struct Layers {
    /// The administrator's policy.
    pub managed: SettingsValues,
    /// The person's own, from the options page.
    pub own: SettingsValues,
    /// The build's `config.json`.
    pub build_config: config::Config,
    /// The person's stored layer failed its integrity check and is not in force.
    pub own_ignored: bool,
}

impl Layers {
    /// All three, read at once.
    pub async fn read() -> Self {
        let ((managed, own), build) = join(
            join(storage::managed::<SettingsValues>(), storage::get(KEY)),
            config::load(),
        )
        .await;
        let (own, own_ignored) = match own.ok().flatten() {
            None => (SettingsValues::default(), false),
            Some(stored) => match signed::verify(&WebCryptoSealer::default(), KEY, &stored).await {
                Ok(body) => (crate::js::from_json_text(&body).unwrap_or_default(), false),
                // The key store failed: nothing is known about the value, so it is not used,
                // and nothing is claimed about who wrote it.
                Err(Unverified::Backend(_)) => (SettingsValues::default(), false),
                Err(_) => (SettingsValues::default(), true),
            },
        };
        Self {
            managed,
            own,
            build_config: build.unwrap_or_default(),
            own_ignored,
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
            ignored: layers.own_ignored.then(|| IGNORED.to_owned()),
        },
    }
}

/// Checks the person's layer with the others and saves it; nothing is saved when a field is
/// refused.
pub async fn save(values: SettingsValues, microsoft_redirect: &Url) -> Response {
    let layers = Layers::read().await;
    if let Err(errors) = values.refuse_locked(&layers.managed) {
        return Response::Invalid { errors };
    }
    if let Err(errors) = layers
        .managed
        .over(&values.over(&layers.build()))
        .validate(microsoft_redirect)
    {
        return Response::Invalid { errors };
    }
    let stored = match crate::js::to_json_text(&values) {
        Some(body) => match signed::sign(&WebCryptoSealer::default(), KEY, body).await {
            Ok(s) => storage::set(KEY, &s).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        None => Err("they could not be written as JSON".to_owned()),
    };
    if let Err(e) = stored {
        return Response::error(
            ErrorCode::Storage,
            format!("the settings could not be saved ({e})"),
        );
    }
    view(microsoft_redirect).await
}
