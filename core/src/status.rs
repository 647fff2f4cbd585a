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

fn in_org(org: &Option<String>) -> String {
    org.as_deref()
        .map(|o| format!("in org {o}"))
        .unwrap_or_else(|| "in this org".into())
}

const SIGN_IN: &str = "Choose \"Sign in again\" to restore it.";

impl Cause {
    /// What went wrong, in one or two sentences, for a connection to `provider`.
    pub fn text(&self, provider: Provider) -> String {
        let p = provider.name();
        match self {
            Cause::Revoked => format!("The password was changed or access was revoked, so {p} no longer accepts this connection."),
            Cause::RefreshInterrupted => format!("A renewal was cut off while {p} was answering (the browser stopped Tokenwatch before it could save the new token), and {p}'s refresh token rotation then retired the previous one."),
            Cause::DayLimitReached => "Microsoft ends a single-page app's sign-in 24 hours after it was made, and it could not be renewed silently before then (you were signed out of Microsoft in this browser, or Microsoft asked for more).".into(),
            Cause::UnusedTooLong => "The sign-in expired after 90 days without use (Tokenwatch could not renew it in that time, for example because this browser was not running).".into(),
            Cause::MfaRequired => "Your organization now requires multi-factor authentication for this app (or asks you to register for it).".into(),
            Cause::ConsentRequired => "Tokenwatch's permissions are not consented in your Microsoft tenant, or the consent was withdrawn.".into(),
            Cause::BlockedByPolicy => "A Conditional Access policy of your organization blocks this sign-in.".into(),
            Cause::SignedOut => "You are signed out of Microsoft in this browser, so the sign-in cannot be renewed without you.".into(),
            Cause::AppNotRegistered => "This Microsoft tenant does not know the application (client) id Tokenwatch signs in with.".into(),
            Cause::RegistrationMismatch { registered_as: Registration::Spa, .. } => "The app registration lists Tokenwatch's redirect URI as a single-page application, but Tokenwatch is set up as a mobile and desktop (public client) app.".into(),
            Cause::RegistrationMismatch { registered_as: Registration::PublicClient, .. } => "The app registration does not list Tokenwatch's redirect URI as a single-page application, but Tokenwatch is set up as one.".into(),
            Cause::PolicyExpired => "The refresh token expired under the org's refresh token policy for the connected app.".into(),
            Cause::InactiveUser => match provider {
                Provider::Salesforce => "The Salesforce user is frozen or deactivated.".into(),
                Provider::Microsoft => "The Microsoft account is disabled or was deleted.".into(),
            },
            Cause::InactiveOrg => "The org is no longer active (a refreshed or deleted sandbox, or an expired org).".into(),
            Cause::ApprovalRemoved => "The app's approval for this user was removed: revoked in the org, or replaced because a user keeps at most 5 approvals per app.".into(),
            Cause::IpRestricted => "Salesforce refused the request from this network: the org or the connected app restricts IP addresses.".into(),
            Cause::AppBlocked { org } => format!("The connected app is blocked {}.", in_org(org)),
            Cause::AppNotInstalled { org } => format!("The connected app is not installed {}.", in_org(org)),
            Cause::NotAdminApproved => "Your Salesforce administrator has not approved this app for you: only admin-approved users may use it.".into(),
            Cause::UserInfoRefused { missing_scope: true } => "Salesforce issues tokens for this connection but refuses them at its user information endpoint, because the connected app does not grant the identity scope (id) Tokenwatch checks connections with.".into(),
            Cause::UserInfoRefused { missing_scope: false } => "Salesforce issues tokens for this connection but refuses them at its user information endpoint (HTTP 403), although the identity scope was granted.".into(),
            Cause::ConsumerKeyUnknown => "This Salesforce org does not know the consumer key Tokenwatch signs in with.".into(),
            Cause::RedirectMismatch { .. } => match provider {
                Provider::Salesforce => "The connected app's callback URL does not match Tokenwatch's.".into(),
                Provider::Microsoft => "The app registration's redirect URIs do not include Tokenwatch's.".into(),
            },
            Cause::RefreshRejected { detail } => match detail {
                Some(d) => format!("{p} no longer accepts this connection ({d})."),
                None => format!("{p} no longer accepts this connection."),
            },
            Cause::PasswordExpired => "Your Microsoft password has expired; Microsoft asks you to change it before this connection can be renewed.".into(),
            Cause::SignInFrequency => "Your organization requires a fresh sign-in at a set interval (a Conditional Access sign-in frequency policy), and that interval has passed.".into(),
            Cause::UserNotAssigned => "Your account is not assigned to Tokenwatch in your Microsoft tenant, which allows only assigned users.".into(),
            Cause::ResourceNotInTenant => "Your Microsoft tenant has no service for the resource this connection uses (for example, Exchange Online in a tenant without it).".into(),
            Cause::AppDisabled => "Tokenwatch's app is disabled in your Microsoft tenant.".into(),
            Cause::DeviceNotCompliant => "A Conditional Access policy of your organization requires a managed, compliant device for this sign-in.".into(),
            Cause::DeviceAuthRequired => "Your organization requires this device to be registered or joined to sign in.".into(),
            Cause::ConsentDeclined => "The permissions Tokenwatch asked for were declined.".into(),
            Cause::RegisteredAsWeb { .. } => "The app registration lists Tokenwatch's redirect URI under \"Web\", which needs a client secret; Tokenwatch is a public client and has none.".into(),
            Cause::SignInExpired => "The sign-in took too long and expired before it finished.".into(),
            Cause::NotInTenant => "This account is neither a member nor a guest of the tenant Tokenwatch signed in to.".into(),
            Cause::ScopeRefused => format!("{p} refused the permissions Tokenwatch asks for (invalid_scope)."),
            Cause::PermissionWithheld { permission } => format!("{p} signed you in without granting {permission}, which this connection needs: an administrator withheld it."),
            Cause::EwsBlocked => "Exchange Online no longer accepts EWS for your organization (retired: blocked since 1 October 2026 unless an administrator allows it, switched off on 1 April 2027).".into(),
            Cause::ResourceDenied { resource, code } => format!("{} refuses this account's access to Tokenwatch ({code}).", resource.title()),
            Cause::MailboxNotFound { code } => format!("Exchange has no mailbox for this account ({code})."),
            Cause::ResourceRefused { resource } => format!("Microsoft issues new tokens for this connection, but {} refuses them.", resource.title()),
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

    /// What fixes it, for a connection to `provider`.
    pub fn action(&self, provider: Provider) -> String {
        match self {
            Cause::Revoked | Cause::ApprovalRemoved | Cause::RefreshRejected { .. } | Cause::UnusedTooLong | Cause::SignedOut | Cause::RefreshInterrupted => SIGN_IN.into(),
            Cause::DayLimitReached => format!("{SIGN_IN} To be renewed every day without you, stay signed in to Microsoft in this browser; or ask your Microsoft 365 admin to register Tokenwatch as a mobile and desktop app, which renews for 90 days at a time."),
            Cause::MfaRequired => "Choose \"Sign in again\" and complete the verification Microsoft asks for.".into(),
            Cause::ConsentRequired => "Choose \"Sign in again\" and accept the permissions; if your organization does not let users consent, ask your Microsoft 365 admin to grant admin consent (Entra admin center → Enterprise applications → Tokenwatch → Permissions).".into(),
            Cause::BlockedByPolicy => "Ask your Microsoft 365 admin which Conditional Access policy applies (sign-in logs), or sign in from a compliant device or network.".into(),
            Cause::AppNotRegistered => "An administrator must check the client id Tokenwatch is set up with, and that the app is available in your tenant.".into(),
            Cause::RegistrationMismatch { registered_as: Registration::Spa, redirect } => format!("An administrator must either set Tokenwatch's Microsoft registration type to single-page application, or register {redirect} under \"Mobile and desktop applications\" instead (Entra admin center → App registrations → Authentication)."),
            Cause::RegistrationMismatch { registered_as: Registration::PublicClient, redirect } => format!("An administrator must either register {redirect} under \"Single-page application\" (Entra admin center → App registrations → Authentication), or set Tokenwatch's Microsoft registration type to mobile and desktop."),
            Cause::PolicyExpired => format!("{SIGN_IN} To stop it recurring, ask your Salesforce admin to set the app's refresh token policy to \"Refresh token is valid until revoked\" (Setup → Manage Connected Apps → Edit Policies)."),
            Cause::InactiveUser => match provider {
                Provider::Salesforce => "Ask your Salesforce admin to reactivate the user, then sign in again.".into(),
                Provider::Microsoft => "Ask your Microsoft 365 admin to reactivate the account, then sign in again.".into(),
            },
            Cause::InactiveOrg => "Sign in to the org's new address (after a sandbox refresh, sign in to the refreshed sandbox) or disconnect it.".into(),
            Cause::IpRestricted => "Connect from an allowed network, or ask your Salesforce admin to relax the app's IP restrictions (Setup → Manage Connected Apps → Edit Policies → IP Relaxation).".into(),
            Cause::AppBlocked { .. } => "Ask your Salesforce admin to unblock it (Setup → Connected Apps OAuth Usage → Unblock), then sign in again.".into(),
            Cause::AppNotInstalled { .. } => "Ask your Salesforce admin to install it (Setup → Connected Apps OAuth Usage → Install), then sign in again.".into(),
            Cause::NotAdminApproved => "Ask your Salesforce admin to approve you for the app (Setup → Manage Connected Apps → the app → Manage Profiles or Manage Permission Sets), then sign in again.".into(),
            Cause::UserInfoRefused { missing_scope: true } => "An administrator must add \"Access the identity URL service (id, profile, email, address, phone)\" to the connected app's Selected OAuth Scopes (Setup → App Manager → the app → Edit), then choose \"Sign in again\".".into(),
            Cause::UserInfoRefused { missing_scope: false } => "Ask your Salesforce admin to check the connected app's OAuth policies and your user's access to it (Setup → Manage Connected Apps), then choose \"Sign in again\"; the connection's history shows when it started.".into(),
            Cause::ConsumerKeyUnknown => "An administrator must check the consumer key Tokenwatch is built with against the org's connected app.".into(),
            Cause::RedirectMismatch { redirect } => match provider {
                Provider::Salesforce => format!("An administrator must add {redirect} to the connected app's callback URLs."),
                Provider::Microsoft => format!("An administrator must add {redirect} to the app registration's redirect URIs (Entra admin center → App registrations → Authentication)."),
            },
            Cause::StoredDataUnreadable { .. } => "Add the connection again below to restore it.".into(),
            Cause::PasswordExpired => "Choose \"Sign in again\": Microsoft asks you to change the password first.".into(),
            Cause::SignInFrequency => format!("{SIGN_IN} It will be asked again at the interval your organization set."),
            Cause::UserNotAssigned => "Ask your Microsoft 365 admin to assign you to Tokenwatch (Entra admin center → Enterprise applications → Tokenwatch → Users and groups), then sign in again.".into(),
            Cause::ResourceNotInTenant => "Remove this connection and add the account again with Microsoft Graph, or ask your Microsoft 365 admin which service your tenant offers.".into(),
            Cause::AppDisabled => "Ask your Microsoft 365 admin to enable it (Entra admin center → Enterprise applications → Tokenwatch → Properties → Enabled for users to sign in), then sign in again.".into(),
            Cause::DeviceNotCompliant | Cause::DeviceAuthRequired => "Sign in from a device your organization manages, or ask your Microsoft 365 admin which policy applies (the sign-in logs name it).".into(),
            Cause::ConsentDeclined => "Add the account again and accept the permissions, or ask your Microsoft 365 admin to grant admin consent.".into(),
            Cause::RegisteredAsWeb { redirect } => format!("An administrator must move {redirect} from \"Web\" to \"Single-page application\" (or to \"Mobile and desktop applications\", with Tokenwatch's registration type set to match) in Entra admin center → App registrations → Authentication."),
            Cause::SignInExpired => format!("{SIGN_IN} Finish the sign-in without a long pause."),
            Cause::NotInTenant => "Add the account again with its own tenant (or \"organizations\"), or ask the tenant's admin to invite it as a guest.".into(),
            Cause::ScopeRefused => match provider {
                Provider::Microsoft => "An administrator must check the app registration's API permissions for the connection's resource (Entra admin center → App registrations → API permissions).".into(),
                Provider::Salesforce => "An administrator must check the connected app's Selected OAuth Scopes (api, id, refresh_token).".into(),
            },
            Cause::PermissionWithheld { permission } => format!("Ask your Microsoft 365 admin to grant {permission} to Tokenwatch (Entra admin center → Enterprise applications → Tokenwatch → Permissions → Grant admin consent), then add the account again."),
            Cause::EwsBlocked => "Remove this connection and add the account again with Microsoft Graph, or ask your administrator to allow-list Tokenwatch for EWS until April 2027 (Set-OrganizationConfig -EwsEnabled $true -EwsAllowedAppIDs with Tokenwatch's client id).".into(),
            Cause::ResourceDenied { .. } => "Ask your Microsoft 365 admin to grant admin consent to Tokenwatch's permissions and to check the tenant's application access policies, then sign in again.".into(),
            Cause::MailboxNotFound { .. } => "Use an account with an Exchange mailbox, or remove this connection and add the account again with Microsoft Graph.".into(),
            Cause::ResourceRefused { .. } => "Ask your Microsoft 365 admin to check Tokenwatch's API permissions and grant admin consent, then choose \"Sign in again\".".into(),
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
    /// The label's message id in the catalogue (`extension/_locales`), where it has one.
    #[serde(default)]
    pub key: Option<String>,
}

/// Words as a message of the catalogue (`extension/_locales/<lang>/messages.json`): its id and
/// the values for its placeholders, in order. The English beside it in a view is the English
/// catalogue's message with these values (`core/tests/catalogue.rs` holds them to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    /// The message id.
    pub key: String,
    /// The placeholders' values.
    #[serde(default)]
    pub args: Vec<String>,
}

impl Said {
    fn of(key: &str, args: &[&str]) -> Option<Self> {
        Some(Self {
            key: key.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        })
    }
}

/// The catalogue's messages for a view's words, where it has them (the causes' texts do not
/// yet: they are shown in English).
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
        match self {
            Status::Healthy => StatusView {
                tone: Tone::Ok,
                title: "Token valid".into(),
                detail: "Renews silently".into(),
                action: None,
                times: Vec::new(),
                alert: None,
                said: StatusSaid {
                    title: Said::of("statusHealthy", &[]),
                    detail: Said::of("statusHealthyDetail", &[]),
                    action: None,
                },
            },
            Status::NeedsSignIn { cause } => StatusView {
                tone: Tone::Error,
                title: "Token expired".into(),
                detail: cause.text(provider),
                action: Some(cause.action(provider)),
                times: Vec::new(),
                alert: Some(Alert::NeedsSignIn(cause.key())),
                said: StatusSaid {
                    title: Said::of("statusNeedsSignIn", &[]),
                    detail: None,
                    action: None,
                },
            },
            Status::ExpiringSoon { by, within_a_day } => {
                let (detail, detail_key) = match provider {
                    Provider::Salesforce => (
                        "The org's refresh token policy ends this connection; it cannot be renewed silently past that.",
                        "statusExpiringSalesforce",
                    ),
                    Provider::Microsoft => (
                        "Microsoft ends a single-page app's sign-in after 24 hours, and renewing it silently did not work (you may be signed out of Microsoft in this browser).",
                        "statusExpiringMicrosoft",
                    ),
                };
                StatusView {
                    tone: Tone::Warn,
                    title: "Expiring soon".into(),
                    detail: detail.into(),
                    action: Some("Sign in again before then to start a new period.".into()),
                    times: vec![TimeNote {
                        label: "sign-in needed by".into(),
                        at: *by,
                        key: Some("statusNeededBy".into()),
                    }],
                    alert: Some(if *within_a_day {
                        Alert::ExpiringWithinADay
                    } else {
                        Alert::ExpiringSoon
                    }),
                    said: StatusSaid {
                        title: Said::of("statusExpiringSoon", &[]),
                        detail: Said::of(detail_key, &[]),
                        action: Said::of("statusExpiringAction", &[]),
                    },
                }
            }
            Status::Unreachable {
                since,
                next_try,
                reason,
            } => StatusView {
                tone: Tone::Warn,
                title: format!("Can't reach {p}"),
                detail: format!(
                    "{reason}. Tokenwatch keeps trying; nothing is needed from you yet."
                ),
                action: None,
                times: vec![
                    TimeNote {
                        label: "since".into(),
                        at: *since,
                        key: Some("statusSince".into()),
                    },
                    TimeNote {
                        label: "next try".into(),
                        at: *next_try,
                        key: Some("statusNextTry".into()),
                    },
                ],
                alert: None,
                said: StatusSaid {
                    title: Said::of("statusUnreachable", &[p]),
                    detail: Said::of("statusUnreachableDetail", &[reason]),
                    action: None,
                },
            },
        }
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
