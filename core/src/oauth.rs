//! The OAuth error body both providers' token endpoints answer with, read once for both so the
//! oauth2 client is built for one error type.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A token endpoint's error body: RFC 6749 §5.2's `error`, `error_description` and
/// `error_uri`, plus the ids Microsoft's support needs ("Microsoft identity platform error
/// codes": `error_codes`, `timestamp`, `trace_id`, `correlation_id`). Salesforce sends only
/// the RFC fields, so the rest stay empty. `error` is kept as the string sent rather than an
/// enum: both providers send values beyond RFC 6749's list (`invalid_app_access`,
/// `inactive_user`, …).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ErrorResponse {
    /// The OAuth `error`.
    pub error: String,
    /// The `error_description`.
    #[serde(default)]
    pub error_description: Option<String>,
    /// The AADSTS numbers.
    #[serde(default)]
    pub error_codes: Vec<u32>,
    /// When Microsoft refused.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Microsoft's trace id.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Microsoft's correlation id.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Where Microsoft explains the error.
    #[serde(default)]
    pub error_uri: Option<String>,
}

impl fmt::Display for ErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error)
    }
}

impl oauth2::ErrorResponse for ErrorResponse {}

/// The first line of a Microsoft `error_description`: the message without the trace, correlation
/// and timestamp lines (separated by `\r\n`, or by spaces in some bodies).
pub fn message_only(description: &str) -> &str {
    let end = [
        description.find("\r\n"),
        description.find("\n"),
        description.find(" Trace ID:"),
    ]
    .into_iter()
    .flatten()
    .min()
    .unwrap_or(description.len());
    description[..end].trim()
}
