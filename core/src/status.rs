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
    /// Renewing silently works, but the declared policy ends the refresh token soon: a sign-in
    /// will be needed by `by`.
    ExpiringSoon {
        /// The horizon.
        by: crate::time::Timestamp,
        /// Less than a day is left (the second warning).
        within_a_day: bool,
    },
    /// The provider could not be reached; retrying with backoff.
    Unreachable {
        /// Since when.
        since: crate::time::Timestamp,
        /// The next attempt.
        next_try: crate::time::Timestamp,
        /// What failed, in words.
        reason: String,
    },
}

/// Why a connection needs the person. Each cause says what happened in [`Cause::text`] and
/// what fixes it in [`Cause::action`]; [`crate::diagnosis`] maps provider errors to causes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cause", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// `invalid_grant` "expired access/refresh token" under a valid-until-revoked policy, or
    /// "authentication failure": the password was changed or access was revoked.
    Revoked,
    /// The refresh token outlived the org's declared refresh token policy.
    PolicyExpired,
    /// `invalid_grant` "inactive user": the user is frozen or deactivated.
    InactiveUser,
    /// `invalid_grant` "inactive organization": the org is gone (a refreshed or deleted
    /// sandbox, an expired trial).
    InactiveOrg,
    /// `invalid_grant` "user hasn't approved this consumer": the approval was revoked, or
    /// pushed out by a sixth approval (Salesforce keeps five per user and app).
    ApprovalRemoved,
    /// `invalid_grant` "ip restricted".
    IpRestricted,
    /// `OAUTH_APP_BLOCKED`: the connected app is blocked in the org.
    AppBlocked {
        /// The org, when known.
        org: Option<String>,
    },
    /// `invalid_client` "app must be installed into org": uninstalled connected apps are
    /// blocked for most users since September 2025.
    AppNotInstalled {
        /// The org, when known.
        org: Option<String>,
    },
    /// `invalid_app_access`: only admin-approved users may use the app.
    NotAdminApproved,
    /// `invalid_client_id`: the org does not know the consumer key.
    ConsumerKeyUnknown,
    /// `redirect_uri_mismatch`: the app's callback URL is not Tokenwatch's.
    RedirectMismatch {
        /// The callback URL the app must list.
        redirect: String,
    },
    /// Any other refusal, with the provider's words.
    RefreshRejected {
        /// The provider's `error` and `error_description`, as plain text.
        detail: Option<String>,
    },
    /// The stored record could not be decrypted; it was quarantined, not deleted.
    StoredDataUnreadable {
        /// What went wrong with it.
        reason: crate::vault::Unreadable,
    },
}

fn in_org(org: &Option<String>) -> String {
    org.as_deref()
        .map(|o| format!("in org {o}"))
        .unwrap_or_else(|| "in this org".into())
}

const SIGN_IN: &str = "Choose \"Sign in again\" to restore it.";

impl Cause {
    /// What went wrong, in one or two sentences.
    pub fn text(&self) -> String {
        use crate::vault::Unreadable;
        match self {
            Cause::Revoked => "The password was changed or access was revoked, so Salesforce no longer accepts this connection.".into(),
            Cause::PolicyExpired => "The refresh token expired under the org's refresh token policy for the connected app.".into(),
            Cause::InactiveUser => "The Salesforce user is frozen or deactivated.".into(),
            Cause::InactiveOrg => "The org is no longer active (a refreshed or deleted sandbox, or an expired org).".into(),
            Cause::ApprovalRemoved => "The app's approval for this user was removed: revoked in the org, or replaced because a user keeps at most 5 approvals per app.".into(),
            Cause::IpRestricted => "Salesforce refused the request from this network: the org or the connected app restricts IP addresses.".into(),
            Cause::AppBlocked { org } => format!("The connected app is blocked {}.", in_org(org)),
            Cause::AppNotInstalled { org } => format!("The connected app is not installed {}.", in_org(org)),
            Cause::NotAdminApproved => "Your user is not approved for the connected app: only admin-approved users may use it.".into(),
            Cause::ConsumerKeyUnknown => "This Salesforce org does not know the consumer key Tokenwatch signs in with.".into(),
            Cause::RedirectMismatch { .. } => "The connected app's callback URL does not match Tokenwatch's.".into(),
            Cause::RefreshRejected { detail } => match detail {
                Some(d) => format!("Salesforce no longer accepts this connection ({d})."),
                None => "Salesforce no longer accepts this connection.".into(),
            },
            Cause::StoredDataUnreadable { reason } => {
                let why = match reason {
                    Unreadable::KeyLost => "the browser's encryption key for Tokenwatch was removed",
                    Unreadable::Tampered => "it was altered or damaged",
                    Unreadable::UnknownFormat => "it is in a format this version cannot read",
                    Unreadable::Missing => "part of it is missing",
                };
                format!("The stored data could not be decrypted ({why}). It was set aside, not deleted.")
            }
        }
    }

    /// What fixes it.
    pub fn action(&self) -> String {
        match self {
            Cause::Revoked | Cause::ApprovalRemoved | Cause::RefreshRejected { .. } => SIGN_IN.into(),
            Cause::PolicyExpired => format!("{SIGN_IN} To stop it recurring, ask your Salesforce admin to set the app's refresh token policy to \"Refresh token is valid until revoked\" (Setup → Manage Connected Apps → Edit Policies)."),
            Cause::InactiveUser => "Ask your Salesforce admin to reactivate the user, then sign in again.".into(),
            Cause::InactiveOrg => "Sign in to the org's new address (after a sandbox refresh, sign in to the refreshed sandbox) or disconnect it.".into(),
            Cause::IpRestricted => "Connect from an allowed network, or ask your Salesforce admin to relax the app's IP restrictions (Setup → Manage Connected Apps → Edit Policies → IP Relaxation).".into(),
            Cause::AppBlocked { .. } => "Ask your Salesforce admin to unblock it (Setup → Connected Apps OAuth Usage → Unblock), then sign in again.".into(),
            Cause::AppNotInstalled { .. } => "Ask your Salesforce admin to install it (Setup → Connected Apps OAuth Usage → Install), then sign in again.".into(),
            Cause::NotAdminApproved => "Ask your Salesforce admin to give your profile or a permission set access to the app (Setup → Manage Connected Apps).".into(),
            Cause::ConsumerKeyUnknown => "An administrator must check the consumer key Tokenwatch is built with against the org's connected app.".into(),
            Cause::RedirectMismatch { redirect } => format!("An administrator must add {redirect} to the connected app's callback URLs."),
            Cause::StoredDataUnreadable { .. } => "Add the org again below to restore it.".into(),
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
    /// Something is wrong that may pass by itself.
    Warn,
}

/// A moment the person may need, labelled; the UI writes it in local time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeNote {
    /// e.g. "since", "next try".
    pub label: String,
    /// When.
    pub at: crate::time::Timestamp,
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
    /// Moments to show with it.
    #[serde(default)]
    pub times: Vec<TimeNote>,
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
                times: Vec::new(),
            },
            Status::NeedsSignIn { cause } => StatusView {
                tone: Tone::Error,
                title: "Token expired".into(),
                detail: cause.text(),
                action: Some(cause.action()),
                times: Vec::new(),
            },
            Status::ExpiringSoon { by, .. } => StatusView {
                tone: Tone::Warn,
                title: "Expiring soon".into(),
                detail: "The org's refresh token policy ends this connection; it cannot be renewed silently past that."
                    .into(),
                action: Some("Sign in again before then to start a new period.".into()),
                times: vec![TimeNote { label: "sign-in needed by".into(), at: *by }],
            },
            Status::Unreachable {
                since,
                next_try,
                reason,
            } => StatusView {
                tone: Tone::Warn,
                title: "Can't reach Salesforce".into(),
                detail: format!(
                    "{reason}. Tokenwatch keeps trying; nothing is needed from you yet."
                ),
                action: None,
                times: vec![
                    TimeNote {
                        label: "since".into(),
                        at: *since,
                    },
                    TimeNote {
                        label: "next try".into(),
                        at: *next_try,
                    },
                ],
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
    fn a_revoked_connection_says_why_and_what_to_do() {
        let s = Status::NeedsSignIn {
            cause: Cause::Revoked,
        };
        let v = s.view();
        assert_eq!(v.tone, Tone::Error);
        assert_eq!(v.title, "Token expired");
        assert_eq!(
            v.detail,
            "The password was changed or access was revoked, so Salesforce no longer accepts this connection."
        );
        assert_eq!(
            v.action.as_deref(),
            Some("Choose \"Sign in again\" to restore it.")
        );
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"state":"needs_sign_in","cause":{"cause":"revoked"}}"#
        );
    }
}
