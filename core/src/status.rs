//! What the person sees about a connection, in words (DESIGN.md, "Connection status").

use serde::{Deserialize, Serialize};

/// The state of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    /// Tokens are usable and renewable without the person ("Token Valid" in Flosum's list).
    Healthy,
    /// Only an interactive sign-in can restore it ("Token Expired").
    NeedsSignIn {
        /// Why.
        cause: Cause,
    },
}

/// Why a connection needs the person. Each cause carries its fix in [`Cause::action`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// The provider refused the refresh token (`invalid_grant`): it expired under the org's
    /// policy, or it was revoked.
    RefreshRejected {
        /// The provider's `error_description`, as plain text.
        detail: Option<String>,
    },
    /// The stored record could not be decrypted; it was quarantined, not deleted.
    StoredDataUnreadable {
        /// What went wrong with it.
        reason: crate::vault::Unreadable,
    },
}

impl Cause {
    /// What went wrong, in one sentence.
    pub fn text(&self) -> String {
        use crate::vault::Unreadable;
        match self {
            Cause::StoredDataUnreadable { reason } => {
                let why = match reason {
                    Unreadable::KeyLost => {
                        "the browser's encryption key for Tokenwatch was removed"
                    }
                    Unreadable::Tampered => "it was altered or damaged",
                    Unreadable::UnknownFormat => "it is in a format this version cannot read",
                    Unreadable::Missing => "part of it is missing",
                };
                format!(
                    "The stored data could not be decrypted ({why}). It was set aside, not deleted."
                )
            }
            Cause::RefreshRejected { detail } => {
                let base = "Salesforce no longer accepts this connection's refresh token";
                match detail {
                    Some(d) => format!("{base} ({d})."),
                    None => format!("{base}."),
                }
            }
        }
    }

    /// What fixes it.
    pub fn action(&self) -> &'static str {
        match self {
            Cause::RefreshRejected { .. } => "Choose \"Sign in again\" to restore it.",
            Cause::StoredDataUnreadable { .. } => "Add the org again below to restore it.",
        }
    }
}

/// Colour and urgency of a status, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    /// Nothing to do.
    Ok,
    /// The person must act.
    Error,
}

/// A status as the UI shows it: no secret, all words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    /// Colour and urgency.
    pub tone: Tone,
    /// The headline, e.g. "Token valid".
    pub title: String,
    /// The horizon or the cause.
    pub detail: String,
    /// What the person should do, if anything.
    pub action: Option<String>,
}

impl Status {
    /// The words for this status.
    pub fn view(&self) -> StatusView {
        match self {
            Status::Healthy => StatusView {
                tone: Tone::Ok,
                title: "Token valid".into(),
                detail: "Renews silently".into(),
                action: None,
            },
            Status::NeedsSignIn { cause } => StatusView {
                tone: Tone::Error,
                title: "Token expired".into(),
                detail: cause.text(),
                action: Some(cause.action().into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_reads_as_token_valid() {
        let v = Status::Healthy.view();
        assert_eq!(
            (v.tone, v.title.as_str(), v.detail.as_str()),
            (Tone::Ok, "Token valid", "Renews silently")
        );
    }

    #[test]
    fn a_rejected_refresh_token_says_why_and_what_to_do() {
        let s = Status::NeedsSignIn {
            cause: Cause::RefreshRejected {
                detail: Some("expired access/refresh token".into()),
            },
        };
        let v = s.view();
        assert_eq!(v.tone, Tone::Error);
        assert_eq!(v.title, "Token expired");
        assert_eq!(
            v.detail,
            "Salesforce no longer accepts this connection's refresh token (expired access/refresh token)."
        );
        assert_eq!(
            v.action.as_deref(),
            Some("Choose \"Sign in again\" to restore it.")
        );
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            r#"{"state":"needs_sign_in","cause":{"cause":"refresh_rejected","detail":"expired access/refresh token"}}"#
        );
    }
}
