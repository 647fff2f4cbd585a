//! The English of every message the core names (`Said`), in two tables: the words a view
//! carries in English are a table's message with the view's arguments, and the English catalogue
//! (`extension/_locales/en/messages.json`) holds the same messages with named placeholders
//! (`core/tests/catalogue.rs` holds the two to each other). Other languages live only in the
//! catalogue.

use serde::{Deserialize, Serialize};

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
    /// The message `key` with `args`.
    pub fn new(key: &str, args: &[&str]) -> Self {
        Self {
            key: key.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

/// Message id → English, with `$1`…`$9` for the arguments and `$$` for a `$`: statuses, causes
/// and fixes, labels, the banner's notes.
const MESSAGES: &[(&str, &str)] = &[
    ("statusHealthy", "Token valid"),
    ("statusHealthyDetail", "Renews silently"),
    ("statusNeedsSignIn", "Token expired"),
    ("statusExpiringSoon", "Expiring soon"),
    (
        "statusExpiringSalesforce",
        "The org's refresh token policy ends this connection; it cannot be renewed silently past that.",
    ),
    (
        "statusExpiringMicrosoft",
        "Microsoft ends a single-page app's sign-in after 24 hours, and renewing it silently did not work (you may be signed out of Microsoft in this browser).",
    ),
    (
        "statusExpiringAction",
        "Sign in again before then to start a new period.",
    ),
    ("statusNeededBy", "sign-in needed by"),
    ("statusUnreachable", "Can't reach $1"),
    (
        "statusUnreachableDetail",
        "$1. Tokenwatch keeps trying; nothing is needed from you yet.",
    ),
    (
        "statusUnreachableNoAnswer",
        "$1 could not be reached ($2). Tokenwatch keeps trying; nothing is needed from you yet.",
    ),
    ("statusSince", "since"),
    ("statusNextTry", "next try"),
    (
        "causeRevoked",
        "The password was changed or access was revoked, so $1 no longer accepts this connection.",
    ),
    (
        "causeRefreshInterrupted",
        "$1 no longer accepts this connection, and the renewal before was cut off (the browser stopped Tokenwatch, or the connection dropped, before the answer was saved). With refresh token rotation that alone retires the token; a changed password, revoked access or an expiry policy gets the same answer from $1.",
    ),
    (
        "causeDayLimit",
        "Microsoft ends a single-page app's sign-in 24 hours after it was made, and it could not be renewed silently before then (you were signed out of Microsoft in this browser, or Microsoft asked for more).",
    ),
    (
        "causeUnusedTooLong",
        "The sign-in expired after 90 days without use (Tokenwatch could not renew it in that time, for example because this browser was not running).",
    ),
    (
        "causeMfaRequired",
        "Your organization now requires multi-factor authentication for this app (or asks you to register for it).",
    ),
    (
        "causeConsentRequired",
        "Tokenwatch's permissions are not consented in your Microsoft tenant, or the consent was withdrawn.",
    ),
    (
        "causeBlockedByPolicy",
        "A Conditional Access policy of your organization blocks this sign-in.",
    ),
    (
        "causeSignedOut",
        "You are signed out of Microsoft in this browser, so the sign-in cannot be renewed without you.",
    ),
    (
        "causeAppNotRegistered",
        "This Microsoft tenant does not know the application (client) id Tokenwatch signs in with.",
    ),
    (
        "causeRegisteredAsSpa",
        "The app registration lists Tokenwatch's redirect URI as a single-page application, but Tokenwatch is set up as a mobile and desktop (public client) app.",
    ),
    (
        "causeRegisteredAsPublicClient",
        "The app registration does not list Tokenwatch's redirect URI as a single-page application, but Tokenwatch is set up as one.",
    ),
    (
        "causePolicyExpired",
        "The refresh token expired under the org's refresh token policy for the connected app.",
    ),
    (
        "causeInactiveUserSalesforce",
        "The Salesforce user is frozen or deactivated.",
    ),
    (
        "causeInactiveUserMicrosoft",
        "The Microsoft account is disabled or was deleted.",
    ),
    (
        "causeInactiveOrg",
        "The org is no longer active (a refreshed or deleted sandbox, or an expired org).",
    ),
    (
        "causeApprovalRemoved",
        "The app's approval for this user was removed: revoked in the org, or replaced because a user keeps at most 5 approvals per app.",
    ),
    (
        "causeIpRestricted",
        "Salesforce refused the request from this network: the org or the connected app restricts IP addresses.",
    ),
    (
        "causeAppBlockedIn",
        "The connected app is blocked in org $1.",
    ),
    (
        "causeAppBlocked",
        "The connected app is blocked in this org.",
    ),
    (
        "causeAppNotInstalledIn",
        "The connected app is not installed in org $1.",
    ),
    (
        "causeAppNotInstalled",
        "The connected app is not installed in this org.",
    ),
    (
        "causeNotAdminApproved",
        "Your Salesforce administrator has not approved this app for you: only admin-approved users may use it.",
    ),
    (
        "causeUserInfoNoScope",
        "Salesforce issues tokens for this connection but refuses them at its user information endpoint, because the connected app does not grant the identity scope (id) Tokenwatch checks connections with.",
    ),
    (
        "causeUserInfoRefused",
        "Salesforce issues tokens for this connection but refuses them at its user information endpoint (HTTP 403), although the identity scope was granted.",
    ),
    (
        "causeConsumerKeyUnknown",
        "This Salesforce org does not know the consumer key Tokenwatch signs in with.",
    ),
    (
        "causeRedirectSalesforce",
        "The connected app's callback URL does not match Tokenwatch's.",
    ),
    (
        "causeRedirectMicrosoft",
        "The app registration's redirect URIs do not include Tokenwatch's.",
    ),
    (
        "causeRejectedSaying",
        "$1 no longer accepts this connection ($2).",
    ),
    ("causeRejected", "$1 no longer accepts this connection."),
    (
        "causePasswordExpired",
        "Your Microsoft password has expired; Microsoft asks you to change it before this connection can be renewed.",
    ),
    (
        "causeSignInFrequency",
        "Your organization requires a fresh sign-in at a set interval (a Conditional Access sign-in frequency policy), and that interval has passed.",
    ),
    (
        "causeUserNotAssigned",
        "Your account is not assigned to Tokenwatch in your Microsoft tenant, which allows only assigned users.",
    ),
    (
        "causeResourceNotInTenant",
        "Your Microsoft tenant has no service for the resource this connection uses (for example, Exchange Online in a tenant without it).",
    ),
    (
        "causeAppDisabled",
        "Tokenwatch's app is disabled in your Microsoft tenant.",
    ),
    (
        "causeDeviceNotCompliant",
        "A Conditional Access policy of your organization requires a managed, compliant device for this sign-in.",
    ),
    (
        "causeDeviceAuthRequired",
        "Your organization requires this device to be registered or joined to sign in.",
    ),
    (
        "causeConsentDeclined",
        "The permissions Tokenwatch asked for were declined.",
    ),
    (
        "causeRegisteredAsWeb",
        "The app registration lists Tokenwatch's redirect URI under \"Web\", which needs a client secret; Tokenwatch is a public client and has none.",
    ),
    (
        "causeSignInExpired",
        "The sign-in took too long and expired before it finished.",
    ),
    (
        "causeNotInTenant",
        "This account is neither a member nor a guest of the tenant Tokenwatch signed in to.",
    ),
    (
        "causeScopeRefused",
        "$1 refused the permissions Tokenwatch asks for (invalid_scope).",
    ),
    (
        "causePermissionWithheld",
        "$1 signed you in without granting $2, which this connection needs: an administrator withheld it.",
    ),
    (
        "causeEwsBlocked",
        "Exchange Online no longer accepts EWS for your organization (retired: blocked since 1 October 2026 unless an administrator allows it, switched off on 1 April 2027).",
    ),
    (
        "causeResourceDenied",
        "$1 refuses this account's access to Tokenwatch ($2).",
    ),
    (
        "causeMailboxNotFound",
        "Exchange has no mailbox for this account ($1).",
    ),
    (
        "causeResourceRefused",
        "Microsoft issues new tokens for this connection, but $1 refuses them.",
    ),
    (
        "causeKeyLost",
        "The stored data could not be decrypted (the browser's encryption key for Tokenwatch was removed). It was set aside, not deleted.",
    ),
    (
        "causeTampered",
        "The stored data could not be decrypted (it was altered or damaged). It was set aside, not deleted.",
    ),
    (
        "causeUnknownFormat",
        "The stored data could not be decrypted (it is in a format this version cannot read). It was set aside, not deleted.",
    ),
    (
        "causeMissing",
        "The stored data could not be decrypted (part of it is missing). It was set aside, not deleted.",
    ),
    ("fixSignIn", "Choose \"Sign in again\" to restore it."),
    (
        "fixDayLimit",
        "Choose \"Sign in again\" to restore it. To be renewed every day without you, stay signed in to Microsoft in this browser; or ask your Microsoft 365 admin to register Tokenwatch as a mobile and desktop app, which renews for 90 days at a time.",
    ),
    (
        "fixMfa",
        "Choose \"Sign in again\" and complete the verification Microsoft asks for.",
    ),
    (
        "fixConsent",
        "Choose \"Sign in again\" and accept the permissions; if your organization does not let users consent, ask your Microsoft 365 admin to grant admin consent (Entra admin center → Enterprise applications → Tokenwatch → Permissions).",
    ),
    (
        "fixBlockedByPolicy",
        "Ask your Microsoft 365 admin which Conditional Access policy applies (sign-in logs), or sign in from a compliant device or network.",
    ),
    (
        "fixAppNotRegistered",
        "An administrator must check the client id Tokenwatch is set up with, and that the app is available in your tenant.",
    ),
    (
        "fixRegisteredAsSpa",
        "An administrator must either set Tokenwatch's Microsoft registration type to single-page application, or register $1 under \"Mobile and desktop applications\" instead (Entra admin center → App registrations → Authentication).",
    ),
    (
        "fixRegisteredAsPublicClient",
        "An administrator must either register $1 under \"Single-page application\" (Entra admin center → App registrations → Authentication), or set Tokenwatch's Microsoft registration type to mobile and desktop.",
    ),
    (
        "fixPolicyExpired",
        "Choose \"Sign in again\" to restore it. To stop it recurring, ask your Salesforce admin to set the app's refresh token policy to \"Refresh token is valid until revoked\" (Setup → Manage Connected Apps → Edit Policies).",
    ),
    (
        "fixInactiveUserSalesforce",
        "Ask your Salesforce admin to reactivate the user, then sign in again.",
    ),
    (
        "fixInactiveUserMicrosoft",
        "Ask your Microsoft 365 admin to reactivate the account, then sign in again.",
    ),
    (
        "fixInactiveOrg",
        "Sign in to the org's new address (after a sandbox refresh, sign in to the refreshed sandbox) or disconnect it.",
    ),
    (
        "fixIpRestricted",
        "Connect from an allowed network, or ask your Salesforce admin to relax the app's IP restrictions (Setup → Manage Connected Apps → Edit Policies → IP Relaxation).",
    ),
    (
        "fixAppBlocked",
        "Ask your Salesforce admin to unblock it (Setup → Connected Apps OAuth Usage → Unblock), then sign in again.",
    ),
    (
        "fixAppNotInstalled",
        "Ask your Salesforce admin to install it (Setup → Connected Apps OAuth Usage → Install), then sign in again.",
    ),
    (
        "fixNotAdminApproved",
        "Ask your Salesforce admin to approve you for the app (Setup → Manage Connected Apps → the app → Manage Profiles or Manage Permission Sets), then sign in again.",
    ),
    (
        "fixUserInfoNoScope",
        "An administrator must add \"Access the identity URL service (id, profile, email, address, phone)\" to the connected app's Selected OAuth Scopes (Setup → App Manager → the app → Edit), then choose \"Sign in again\".",
    ),
    (
        "fixUserInfoRefused",
        "Ask your Salesforce admin to check the connected app's OAuth policies and your user's access to it (Setup → Manage Connected Apps), then choose \"Sign in again\"; the connection's history shows when it started.",
    ),
    (
        "fixConsumerKeyUnknown",
        "An administrator must check the consumer key Tokenwatch is built with against the org's connected app.",
    ),
    (
        "fixRedirectSalesforce",
        "An administrator must add $1 to the connected app's callback URLs.",
    ),
    (
        "fixRedirectMicrosoft",
        "An administrator must add $1 to the app registration's redirect URIs (Entra admin center → App registrations → Authentication).",
    ),
    (
        "fixStoredDataUnreadable",
        "Add the connection again below to restore it.",
    ),
    (
        "fixPasswordExpired",
        "Choose \"Sign in again\": Microsoft asks you to change the password first.",
    ),
    (
        "fixSignInFrequency",
        "Choose \"Sign in again\" to restore it. It will be asked again at the interval your organization set.",
    ),
    (
        "fixUserNotAssigned",
        "Ask your Microsoft 365 admin to assign you to Tokenwatch (Entra admin center → Enterprise applications → Tokenwatch → Users and groups), then sign in again.",
    ),
    (
        "fixResourceNotInTenant",
        "Remove this connection and add the account again with Microsoft Graph, or ask your Microsoft 365 admin which service your tenant offers.",
    ),
    (
        "fixAppDisabled",
        "Ask your Microsoft 365 admin to enable it (Entra admin center → Enterprise applications → Tokenwatch → Properties → Enabled for users to sign in), then sign in again.",
    ),
    (
        "fixDevice",
        "Sign in from a device your organization manages, or ask your Microsoft 365 admin which policy applies (the sign-in logs name it).",
    ),
    (
        "fixConsentDeclined",
        "Add the account again and accept the permissions, or ask your Microsoft 365 admin to grant admin consent.",
    ),
    (
        "fixRegisteredAsWeb",
        "An administrator must move $1 from \"Web\" to \"Single-page application\" (or to \"Mobile and desktop applications\", with Tokenwatch's registration type set to match) in Entra admin center → App registrations → Authentication.",
    ),
    (
        "fixSignInExpired",
        "Choose \"Sign in again\" to restore it. Finish the sign-in without a long pause.",
    ),
    (
        "fixNotInTenant",
        "Add the account again with its own tenant (or \"organizations\"), or ask the tenant's admin to invite it as a guest.",
    ),
    (
        "fixScopeMicrosoft",
        "An administrator must check the app registration's API permissions for the connection's resource (Entra admin center → App registrations → API permissions).",
    ),
    (
        "fixScopeSalesforce",
        "An administrator must check the connected app's Selected OAuth Scopes (api, id, refresh_token).",
    ),
    (
        "fixPermissionWithheld",
        "Ask your Microsoft 365 admin to grant $1 to Tokenwatch (Entra admin center → Enterprise applications → Tokenwatch → Permissions → Grant admin consent), then add the account again.",
    ),
    (
        "fixEwsBlocked",
        "Remove this connection and add the account again with Microsoft Graph, or ask your administrator to allow-list Tokenwatch for EWS until April 2027 (Set-OrganizationConfig -EwsEnabled $$true -EwsAllowedAppIDs with Tokenwatch's client id).",
    ),
    (
        "fixResourceDenied",
        "Ask your Microsoft 365 admin to grant admin consent to Tokenwatch's permissions and to check the tenant's application access policies, then sign in again.",
    ),
    (
        "fixMailboxNotFound",
        "Use an account with an Exchange mailbox, or remove this connection and add the account again with Microsoft Graph.",
    ),
    (
        "fixResourceRefused",
        "Ask your Microsoft 365 admin to check Tokenwatch's API permissions and grant admin consent, then choose \"Sign in again\".",
    ),
    (
        "bannerCancelled",
        "The sign-in window was closed before it finished.",
    ),
    (
        "bannerWrongAccount",
        "That sign-in was with another account, so nothing was changed. Open Tokenwatch to renew with the right one.",
    ),
    (
        "bannerUnreachable",
        "The provider could not be reached. Tokenwatch will try again.",
    ),
    (
        "bannerFailed",
        "Renewing did not finish. Open Tokenwatch to see why and what fixes it.",
    ),
    ("labelProduction", "Production org"),
    ("labelSandbox", "Sandbox"),
    ("labelMyDomain", "My Domain $1"),
    ("labelSandboxMyDomain", "Sandbox $1"),
    ("labelLocal", "Local org at $1"),
    ("labelCustom", "$1"),
    ("labelMicrosoft", "Microsoft 365 $1"),
    ("labelMicrosoftAccount", "Microsoft 365 account"),
    ("labelSalesforceOrg", "Salesforce org"),
    (
        "errorNotConfiguredSalesforce",
        "Salesforce is not set up yet: an administrator must enter the consumer key of the connected app.",
    ),
    (
        "errorNotConfiguredMicrosoft",
        "Microsoft 365 is not set up yet: an administrator must enter the application (client) id of the app registration.",
    ),
    (
        "errorNoAnswer",
        "The sign-in window was closed before Salesforce sent Tokenwatch an answer. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org (since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install); or the app does not offer the scopes Tokenwatch asks for (api, id, refresh_token: Setup → App Manager → the app → Edit → Selected OAuth Scopes).",
    ),
    (
        "errorNoAnswerShared",
        "The sign-in window was closed before Salesforce sent Tokenwatch an answer. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org (since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install); or the app does not offer the scopes Tokenwatch asks for (api, id, refresh_token: Setup → App Manager → the app → Edit → Selected OAuth Scopes); or your org allows sign-in only at its My Domain (choose Custom and enter your My Domain, such as yourcompany.my.salesforce.com).",
    ),
    (
        "errorCancelled",
        "The sign-in window was closed before sign-in finished.",
    ),
    (
        "errorInteractionRequired",
        "The provider needs you to sign in.",
    ),
    (
        "errorUnreachable",
        "$1 could not be reached ($2); try again later.",
    ),
    (
        "errorUnknownConnection",
        "That connection no longer exists.",
    ),
    (
        "errorPolicyNotApplicable",
        "A refresh token policy applies to Salesforce orgs only; Microsoft's horizon follows from the app registration.",
    ),
    (
        "errorWrongAccount",
        "You signed in as $1, but this connection belongs to $2. Nothing was changed; to use another account, choose Change account.",
    ),
    (
        "errorSignInRejectedSaying",
        "Sign-in failed: $1 refused it ($2). Try again; if it keeps failing, give your $1 administrator the words in brackets.",
    ),
    (
        "errorSignInRejected",
        "Sign-in failed: $1 refused it. Try again; if it keeps failing, give your $1 administrator the words in brackets.",
    ),
    (
        "errorSignInCode",
        "Sign-in failed: $1 refused the new sign-in's code. Try again; if it keeps failing, your $1 administrator can see why in the sign-in logs.",
    ),
];

/// The settings fields' refusals, apart: the options page checks what is typed and needs only
/// these (one table would put every English sentence of the core in its wasm).
const FIELDS: &[(&str, &str)] = &[
    (
        "fieldLocked",
        "your administrator's policy sets this field, so it cannot be changed here",
    ),
    (
        "fieldChooseRegistration",
        "choose one of the registration types listed",
    ),
    ("fieldChooseResource", "choose one of the resources listed"),
    ("fieldChooseCloud", "choose one of the clouds listed"),
    ("fieldPositive", "enter a positive number"),
    (
        "fieldConsumerKey",
        "the consumer key is letters, digits and punctuation, without spaces",
    ),
    (
        "fieldClientId",
        "the application (client) id is a GUID such as 11111111-2222-3333-4444-555555555555",
    ),
    (
        "fieldEwsNeeded",
        "Exchange on premises needs the EWS address of your Exchange server, such as https://mail.contoso.com/EWS/Exchange.asmx",
    ),
    (
        "fieldEwsHttps",
        "the EWS address must be an https URL (http only on this computer)",
    ),
    (
        "fieldRangeCheckInterval",
        "check interval must be between $1 and $2 seconds",
    ),
    (
        "fieldRangeWarnLong",
        "first warning must be between $1 and $2 seconds",
    ),
    (
        "fieldRangeWarnShort",
        "second warning must be between $1 and $2 seconds",
    ),
    (
        "fieldRangeWarnDayLimited",
        "24-hour sign-in warning must be between $1 and $2 seconds",
    ),
    (
        "fieldRangeSilentRenewLead",
        "silent renewal lead must be between $1 and $2 seconds",
    ),
    (
        "fieldOrderWarnings",
        "the second warning must come after the first",
    ),
    (
        "fieldOrderRenewal",
        "silent renewal must start before the 24-hour sign-in warning",
    ),
];

/// The English of `said`: its message with the arguments put in, as `chrome.i18n` does it.
/// An id the tables lack comes out as itself (the catalogue test catches it).
pub fn english(said: &Said) -> String {
    match MESSAGES.iter().find(|(key, _)| *key == said.key) {
        Some((_, text)) => fill(text, &said.args),
        None => field_english(said),
    }
}

/// [`english`] for a settings field's refusal, from its table only.
pub fn field_english(said: &Said) -> String {
    match FIELDS.iter().find(|(key, _)| *key == said.key) {
        Some((_, text)) => fill(text, &said.args),
        None => said.key.clone(),
    }
}

/// `text` with `$n` replaced by the n-th of `args` and `$$` by `$`, as `chrome.i18n` fills a
/// message once its named placeholders are put in (the task pane's catalogue lookup uses it too).
pub fn fill<A: AsRef<str>>(text: &str, args: &[A]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().copied()) {
            ('$', Some('$')) => {
                chars.next();
                out.push('$');
            }
            ('$', Some(d @ '1'..='9')) => {
                chars.next();
                let n = d as usize - '1' as usize;
                out.push_str(args.get(n).map(AsRef::as_ref).unwrap_or_default());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Every message id the table holds, for the catalogue test.
pub fn keys() -> impl Iterator<Item = &'static str> {
    MESSAGES.iter().chain(FIELDS).map(|(key, _)| *key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_dollars_are_put_in() {
        let said = Said::new("causeRejectedSaying", &["Salesforce", "invalid_grant"]);
        assert_eq!(
            english(&said),
            "Salesforce no longer accepts this connection (invalid_grant)."
        );
        assert!(english(&Said::new("fixEwsBlocked", &[])).contains("-EwsEnabled $true "));
        assert_eq!(english(&Said::new("noSuchKey", &[])), "noSuchKey");
    }

    #[test]
    fn each_id_is_in_the_table_once() {
        let mut seen = std::collections::BTreeSet::new();
        for key in keys() {
            assert!(seen.insert(key), "{key} twice");
        }
    }
}
