//! What the person sees about a connection, in words (DESIGN.md, "Connection status").

use crate::ids::Provider;
use crate::microsoft::Registration;
use serde::{Deserialize, Serialize};

/// The state of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
pub enum Status {
    /// Tokens are usable and renewable without the person ("Token Valid" in Flosum's list).
    Healthy,
    /// Only an interactive sign-in can restore it ("Token Expired").
    NeedsSignIn {
        /// Why.
        cause: Cause,
    },
    /// Renewing silently works, but the refresh token's horizon is fixed and near: the org's
    /// declared policy (Salesforce) or the 24-hour limit of a single-page-app sign-in that
    /// could not be renewed silently (Microsoft). A sign-in will be needed by `by`.
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

crate::tag_first!(Status, "state");

/// Why a connection needs the person. Each cause says what happened in [`Cause::text`] and
/// what fixes it in [`Cause::action`]; [`crate::diagnosis`] maps provider errors to causes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// `invalid_grant` "expired access/refresh token" under a valid-until-revoked policy, or
    /// "authentication failure" (Salesforce); AADSTS50173 or an admin revocation (Microsoft):
    /// the password was changed or access was revoked.
    Revoked,
    /// AADSTS700084: a single-page-app sign-in reached its 24-hour limit and could not be
    /// renewed silently before.
    DayLimitReached,
    /// A refresh was cut off after the provider answered and before the answer was stored
    /// (the browser stopped Tokenwatch); with refresh token rotation the provider then retired
    /// the token Tokenwatch still had.
    RefreshInterrupted,
    /// AADSTS700082: the refresh token went unused for 90 days.
    UnusedTooLong,
    /// AADSTS50076 / 50079 (`interaction_required`): multi-factor authentication is now
    /// required, or must be registered.
    MfaRequired,
    /// AADSTS65001 (`consent_required`): the app's permissions are not consented.
    ConsentRequired,
    /// `login_required` (AADSTS50058) to a silent sign-in: no Microsoft session in this
    /// browser.
    SignedOut,
    /// AADSTS53003: a Conditional Access policy blocks the sign-in.
    BlockedByPolicy,
    /// AADSTS700016 (`unauthorized_client`): the tenant does not know the client id.
    AppNotRegistered,
    /// AADSTS9002326 / 9002327: the token request's `Origin` does not match the registration
    /// type of the redirect URI.
    RegistrationMismatch {
        /// How the redirect URI is actually registered, as the error tells.
        registered_as: Registration,
        /// The redirect URI concerned.
        redirect: String,
    },
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
    /// `OAUTH_APP_ACCESS_DENIED` at the authorize redirect, `invalid_app_access` at the token
    /// endpoint: the app's Permitted Users is "Admin approved users are pre-authorized" and
    /// this user has neither a profile nor a permission set that grants it.
    NotAdminApproved,
    /// Salesforce issued a fresh access token and its user information endpoint refused it
    /// (401/403): not an expired token, but a permission the connection lacks.
    UserInfoRefused {
        /// The token response's `scope` did not include the identity scope (`id`, one of its
        /// synonyms, `openid` or `full`): the connected app does not offer it.
        missing_scope: bool,
    },
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
    /// AADSTS50055: the Microsoft password expired (not a revocation: changing it restores the
    /// account).
    PasswordExpired,
    /// AADSTS70043: a Conditional Access sign-in frequency policy requires a fresh sign-in.
    SignInFrequency,
    /// AADSTS50105: the tenant allows only users assigned to the app, and this one is not.
    UserNotAssigned,
    /// AADSTS500011: the tenant has no service principal for the resource (no Exchange Online,
    /// say).
    ResourceNotInTenant,
    /// AADSTS7000112: the app is disabled in the tenant.
    AppDisabled,
    /// AADSTS53000 / 530003: Conditional Access requires a compliant or managed device.
    DeviceNotCompliant,
    /// AADSTS50097: device authentication is required.
    DeviceAuthRequired,
    /// AADSTS65004: the person declined the permissions.
    ConsentDeclined,
    /// AADSTS7000218 (`invalid_client`, HTTP 401): the redirect URI is registered under "Web",
    /// a confidential client that needs a secret.
    RegisteredAsWeb {
        /// The redirect URI concerned.
        redirect: String,
    },
    /// AADSTS50089: the sign-in's flow token expired before it finished.
    SignInExpired,
    /// AADSTS90072 / 50020: the account is neither a member nor a guest of the tenant.
    NotInTenant,
    /// `invalid_scope`: the provider refused the scopes asked for.
    ScopeRefused,
    /// A sign-in granted less than asked: an administrator withheld `permission`.
    PermissionWithheld {
        /// The scope that was not granted.
        permission: String,
    },
    /// Exchange Online answered EWS with 403: EWS is retired for the tenant.
    EwsBlocked,
    /// The resource refused the account's access for a reason of its own (Graph's
    /// `Authorization_RequestDenied` or `ErrorAccessDenied`, an EWS error).
    ResourceDenied {
        /// What refused.
        resource: crate::microsoft::Resource,
        /// Its code for it.
        code: String,
    },
    /// The account has no Exchange mailbox (EWS `ErrorNonExistentMailbox`, Graph
    /// `MailboxNotEnabledForRESTAPI`).
    MailboxNotFound {
        /// The resource's code for it.
        code: String,
    },
    /// A fresh Microsoft access token refused by its resource (401).
    ResourceRefused {
        /// What refused.
        resource: crate::microsoft::Resource,
    },
    /// The stored record could not be decrypted; it was quarantined, not deleted.
    StoredDataUnreadable {
        /// What went wrong with it.
        reason: Unreadable,
    },
}

crate::tag_first!(Cause, "cause");

/// A provider's refusal as it was said: the OAuth `error` and description, and the ids
/// Microsoft adds so its support can find the sign-in (`error_codes`, `trace_id`,
/// `correlation_id`, `timestamp`; "Microsoft identity platform error codes"). Kept in the
/// history and in the diagnostic report; no token or code is ever part of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The OAuth `error`.
    pub error: String,
    /// The `error_description`, as plain text without the trace lines.
    #[serde(default)]
    pub description: Option<String>,
    /// Microsoft's AADSTS numbers, from `error_codes` (or the description when the body has
    /// none).
    #[serde(default)]
    pub codes: Vec<u32>,
    /// Microsoft's `trace_id`.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// Microsoft's `correlation_id`.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Microsoft's `timestamp`, as it wrote it.
    #[serde(default)]
    pub timestamp: Option<String>,
}

impl Refusal {
    /// A refusal with only an `error` and a description (Salesforce's, or a redirect's).
    pub fn said(error: &str, description: Option<&str>) -> Self {
        Self {
            error: error.to_owned(),
            description: description.map(str::to_owned),
            ..Self::default()
        }
    }

    /// The first AADSTS number, from `error_codes` or else the description.
    pub fn code(&self) -> Option<u32> {
        self.codes.first().copied().or_else(|| {
            self.description
                .as_deref()
                .and_then(crate::microsoft::aadsts)
        })
    }

    /// The ids support needs, in one line, e.g. "AADSTS50173, trace ID 0f…, correlation ID
    /// 9a…, 2026-11-29 10:00:00Z"; empty when there are none.
    pub fn ids(&self) -> String {
        let mut parts = Vec::new();
        if let Some(code) = self.code() {
            parts.push(format!("AADSTS{code}"));
        }
        if let Some(t) = &self.trace_id {
            parts.push(format!("trace ID {t}"));
        }
        if let Some(c) = &self.correlation_id {
            parts.push(format!("correlation ID {c}"));
        }
        if let Some(t) = &self.timestamp {
            parts.push(t.clone());
        }
        parts.join(", ")
    }
}

/// Why a stored connection could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unreadable {
    /// The key that sealed it is gone.
    KeyLost,
    /// The record was altered, truncated or moved.
    Tampered,
    /// A format this version does not know.
    UnknownFormat,
    /// The head points at a record that is not there.
    Missing,
}

impl Cause {
    /// What went wrong, in one or two sentences, for a connection to `provider`.
    pub fn text(&self, provider: Provider) -> String {
        crate::words::english(&self.said_text(provider))
    }

    /// What fixes it, for a connection to `provider`.
    pub fn action(&self, provider: Provider) -> String {
        crate::words::english(&self.said_action(provider))
    }

    /// [`Cause::text`] as a catalogue message.
    pub fn said_text(&self, provider: Provider) -> Said {
        let p = provider.name();
        let salesforce = provider == Provider::Salesforce;
        let key = match self {
            Cause::Revoked => return Said::new("causeRevoked", &[p]),
            Cause::RefreshInterrupted => return Said::new("causeRefreshInterrupted", &[p]),
            Cause::DayLimitReached => "causeDayLimit",
            Cause::UnusedTooLong => "causeUnusedTooLong",
            Cause::MfaRequired => "causeMfaRequired",
            Cause::ConsentRequired => "causeConsentRequired",
            Cause::BlockedByPolicy => "causeBlockedByPolicy",
            Cause::SignedOut => "causeSignedOut",
            Cause::AppNotRegistered => "causeAppNotRegistered",
            Cause::RegistrationMismatch {
                registered_as: Registration::Spa,
                ..
            } => "causeRegisteredAsSpa",
            Cause::RegistrationMismatch {
                registered_as: Registration::PublicClient,
                ..
            } => "causeRegisteredAsPublicClient",
            Cause::PolicyExpired => "causePolicyExpired",
            Cause::InactiveUser if salesforce => "causeInactiveUserSalesforce",
            Cause::InactiveUser => "causeInactiveUserMicrosoft",
            Cause::InactiveOrg => "causeInactiveOrg",
            Cause::ApprovalRemoved => "causeApprovalRemoved",
            Cause::IpRestricted => "causeIpRestricted",
            Cause::AppBlocked { org: Some(org) } => return Said::new("causeAppBlockedIn", &[org]),
            Cause::AppBlocked { org: None } => "causeAppBlocked",
            Cause::AppNotInstalled { org: Some(org) } => {
                return Said::new("causeAppNotInstalledIn", &[org]);
            }
            Cause::AppNotInstalled { org: None } => "causeAppNotInstalled",
            Cause::NotAdminApproved => "causeNotAdminApproved",
            Cause::UserInfoRefused {
                missing_scope: true,
            } => "causeUserInfoNoScope",
            Cause::UserInfoRefused {
                missing_scope: false,
            } => "causeUserInfoRefused",
            Cause::ConsumerKeyUnknown => "causeConsumerKeyUnknown",
            Cause::RedirectMismatch { .. } if salesforce => "causeRedirectSalesforce",
            Cause::RedirectMismatch { .. } => "causeRedirectMicrosoft",
            Cause::RefreshRejected { detail: Some(d) } => {
                return Said::new("causeRejectedSaying", &[p, d]);
            }
            Cause::RefreshRejected { detail: None } => return Said::new("causeRejected", &[p]),
            Cause::PasswordExpired => "causePasswordExpired",
            Cause::SignInFrequency => "causeSignInFrequency",
            Cause::UserNotAssigned => "causeUserNotAssigned",
            Cause::ResourceNotInTenant => "causeResourceNotInTenant",
            Cause::AppDisabled => "causeAppDisabled",
            Cause::DeviceNotCompliant => "causeDeviceNotCompliant",
            Cause::DeviceAuthRequired => "causeDeviceAuthRequired",
            Cause::ConsentDeclined => "causeConsentDeclined",
            Cause::RegisteredAsWeb { .. } => "causeRegisteredAsWeb",
            Cause::SignInExpired => "causeSignInExpired",
            Cause::NotInTenant => "causeNotInTenant",
            Cause::ScopeRefused => return Said::new("causeScopeRefused", &[p]),
            Cause::PermissionWithheld { permission } => {
                return Said::new("causePermissionWithheld", &[p, permission]);
            }
            Cause::EwsBlocked => "causeEwsBlocked",
            Cause::ResourceDenied { resource, code } => {
                return Said::new("causeResourceDenied", &[resource.title(), code]);
            }
            Cause::MailboxNotFound { code } => return Said::new("causeMailboxNotFound", &[code]),
            Cause::ResourceRefused { resource } => {
                return Said::new("causeResourceRefused", &[resource.title()]);
            }
            Cause::StoredDataUnreadable { reason } => match reason {
                Unreadable::KeyLost => "causeKeyLost",
                Unreadable::Tampered => "causeTampered",
                Unreadable::UnknownFormat => "causeUnknownFormat",
                Unreadable::Missing => "causeMissing",
            },
        };
        Said::new(key, &[])
    }

    /// [`Cause::action`] as a catalogue message.
    pub fn said_action(&self, provider: Provider) -> Said {
        let salesforce = provider == Provider::Salesforce;
        let key = match self {
            Cause::Revoked
            | Cause::ApprovalRemoved
            | Cause::RefreshRejected { .. }
            | Cause::UnusedTooLong
            | Cause::SignedOut
            | Cause::RefreshInterrupted => "fixSignIn",
            Cause::DayLimitReached => "fixDayLimit",
            Cause::MfaRequired => "fixMfa",
            Cause::ConsentRequired => "fixConsent",
            Cause::BlockedByPolicy => "fixBlockedByPolicy",
            Cause::AppNotRegistered => "fixAppNotRegistered",
            Cause::RegistrationMismatch {
                registered_as,
                redirect,
            } => {
                let key = match registered_as {
                    Registration::Spa => "fixRegisteredAsSpa",
                    Registration::PublicClient => "fixRegisteredAsPublicClient",
                };
                return Said::new(key, &[redirect]);
            }
            Cause::PolicyExpired => "fixPolicyExpired",
            Cause::InactiveUser if salesforce => "fixInactiveUserSalesforce",
            Cause::InactiveUser => "fixInactiveUserMicrosoft",
            Cause::InactiveOrg => "fixInactiveOrg",
            Cause::IpRestricted => "fixIpRestricted",
            Cause::AppBlocked { .. } => "fixAppBlocked",
            Cause::AppNotInstalled { .. } => "fixAppNotInstalled",
            Cause::NotAdminApproved => "fixNotAdminApproved",
            Cause::UserInfoRefused {
                missing_scope: true,
            } => "fixUserInfoNoScope",
            Cause::UserInfoRefused {
                missing_scope: false,
            } => "fixUserInfoRefused",
            Cause::ConsumerKeyUnknown => "fixConsumerKeyUnknown",
            Cause::RedirectMismatch { redirect } => {
                let key = if salesforce {
                    "fixRedirectSalesforce"
                } else {
                    "fixRedirectMicrosoft"
                };
                return Said::new(key, &[redirect]);
            }
            Cause::StoredDataUnreadable { .. } => "fixStoredDataUnreadable",
            Cause::PasswordExpired => "fixPasswordExpired",
            Cause::SignInFrequency => "fixSignInFrequency",
            Cause::UserNotAssigned => "fixUserNotAssigned",
            Cause::ResourceNotInTenant => "fixResourceNotInTenant",
            Cause::AppDisabled => "fixAppDisabled",
            Cause::DeviceNotCompliant | Cause::DeviceAuthRequired => "fixDevice",
            Cause::ConsentDeclined => "fixConsentDeclined",
            Cause::RegisteredAsWeb { redirect } => {
                return Said::new("fixRegisteredAsWeb", &[redirect]);
            }
            Cause::SignInExpired => "fixSignInExpired",
            Cause::NotInTenant => "fixNotInTenant",
            Cause::ScopeRefused if salesforce => "fixScopeSalesforce",
            Cause::ScopeRefused => "fixScopeMicrosoft",
            Cause::PermissionWithheld { permission } => {
                return Said::new("fixPermissionWithheld", &[permission]);
            }
            Cause::EwsBlocked => "fixEwsBlocked",
            Cause::ResourceDenied { .. } => "fixResourceDenied",
            Cause::MailboxNotFound { .. } => "fixMailboxNotFound",
            Cause::ResourceRefused { .. } => "fixResourceRefused",
        };
        Said::new(key, &[])
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
    /// The label's message id in the catalogue (`extension/_locales`), where it has one.
    #[serde(default)]
    pub key: Option<String>,
}

pub use crate::words::Said;

/// The catalogue's messages for a view's words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSaid {
    /// For [`StatusView::title`].
    #[serde(default)]
    pub title: Option<Said>,
    /// For [`StatusView::detail`].
    #[serde(default)]
    pub detail: Option<Said>,
    /// For [`StatusView::action`].
    #[serde(default)]
    pub action: Option<Said>,
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
    /// When the person must act: which need, so each new one is announced once.
    #[serde(default)]
    pub alert: Option<Alert>,
    /// The same words as catalogue messages, for the person's language.
    #[serde(default)]
    pub said: StatusSaid,
}

/// A need of the person's, as a stable key (stored in heads and in what was announced):
/// `expiring_soon`, `expiring_within_a_day`, `needs_sign_in:<cause>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Alert {
    /// A fixed horizon within the long warning.
    ExpiringSoon,
    /// A fixed horizon within a day.
    ExpiringWithinADay,
    /// Only a sign-in helps, for this cause (its tag, e.g. `revoked`).
    NeedsSignIn(String),
}

impl From<Alert> for String {
    fn from(a: Alert) -> String {
        match a {
            Alert::ExpiringSoon => "expiring_soon".into(),
            Alert::ExpiringWithinADay => "expiring_within_a_day".into(),
            Alert::NeedsSignIn(cause) => format!("needs_sign_in:{cause}"),
        }
    }
}

impl TryFrom<String> for Alert {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "expiring_soon" => Ok(Alert::ExpiringSoon),
            "expiring_within_a_day" => Ok(Alert::ExpiringWithinADay),
            _ => s
                .strip_prefix("needs_sign_in:")
                .map(|c| Alert::NeedsSignIn(c.to_owned()))
                .ok_or_else(|| "an unknown alert".into()),
        }
    }
}

impl Cause {
    /// The cause's tag, as stored (`revoked`, `app_blocked`, …).
    pub fn key(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("cause").and_then(|c| c.as_str()).map(str::to_owned))
            .unwrap_or_default()
    }
}

impl Status {
    /// The words for this status of a connection to `provider`.
    pub fn view(&self, provider: Provider) -> StatusView {
        let p = provider.name();
        let (tone, title, detail, action, times, alert) = match self {
            Status::Healthy => (
                Tone::Ok,
                Said::new("statusHealthy", &[]),
                Said::new("statusHealthyDetail", &[]),
                None,
                Vec::new(),
                None,
            ),
            Status::NeedsSignIn { cause } => (
                Tone::Error,
                Said::new("statusNeedsSignIn", &[]),
                cause.said_text(provider),
                Some(cause.said_action(provider)),
                Vec::new(),
                Some(Alert::NeedsSignIn(cause.key())),
            ),
            Status::ExpiringSoon { by, within_a_day } => (
                Tone::Warn,
                Said::new("statusExpiringSoon", &[]),
                Said::new(
                    match provider {
                        Provider::Salesforce => "statusExpiringSalesforce",
                        Provider::Microsoft => "statusExpiringMicrosoft",
                    },
                    &[],
                ),
                Some(Said::new("statusExpiringAction", &[])),
                vec![time("statusNeededBy", *by)],
                Some(if *within_a_day {
                    Alert::ExpiringWithinADay
                } else {
                    Alert::ExpiringSoon
                }),
            ),
            Status::Unreachable {
                since,
                next_try,
                reason,
            } => {
                // What `record_unreachable` writes when nothing answered; any other reason
                // (an answer against the protocol) is shown as it was recorded.
                let no_answer = reason
                    .strip_prefix(p)
                    .and_then(|r| r.strip_prefix(" could not be reached ("))
                    .and_then(|r| r.strip_suffix(')'));
                let detail = match no_answer {
                    Some(what) => Said::new("statusUnreachableNoAnswer", &[p, what]),
                    None => Said::new("statusUnreachableDetail", &[reason]),
                };
                (
                    Tone::Warn,
                    Said::new("statusUnreachable", &[p]),
                    detail,
                    None,
                    vec![
                        time("statusSince", *since),
                        time("statusNextTry", *next_try),
                    ],
                    None,
                )
            }
        };
        let english = crate::words::english;
        StatusView {
            tone,
            title: english(&title),
            detail: english(&detail),
            action: action.as_ref().map(english),
            times,
            alert,
            said: StatusSaid {
                title: Some(title),
                detail: Some(detail),
                action,
            },
        }
    }
}

/// A moment labelled with the message `key`.
fn time(key: &str, at: crate::time::Timestamp) -> TimeNote {
    TimeNote {
        label: crate::words::english(&Said::new(key, &[])),
        at,
        key: Some(key.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn healthy_reads_as_token_valid() {
        let v = Status::Healthy.view(Provider::Salesforce);
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
        let v = s.view(Provider::Salesforce);
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
