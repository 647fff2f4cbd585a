//! The build's configuration, packaged as `config.json`: the release build ships the consumer
//! key an organization built it with (or none), the simulator build ships the simulator's.

use serde::Deserialize;

/// The packaged configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Salesforce settings.
    #[serde(default)]
    pub salesforce: SalesforceConfig,
    /// Login host the popup offers first (the simulator build sets its own).
    #[serde(default)]
    pub default_login_host: Option<String>,
}

/// Salesforce settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesforceConfig {
    /// The connected app's consumer key; `None` until an administrator sets one.
    pub consumer_key: Option<String>,
}

/// Reads `config.json` from the extension package.
pub async fn load() -> Result<Config, String> {
    let text = crate::fetch::get_text(&crate::chrome::runtime::get_url("config.json"))
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("config.json: {e}"))
}
