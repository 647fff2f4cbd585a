//! From what a provider said to why the connection broke and what fixes it.
//!
//! Branch on the OAuth `error` and Salesforce's fixed `error_description` strings ("OAuth 2.0
//! Refresh Token Flow", "Connected App Usage Restrictions", Salesforce Help); never on free
//! text beyond those. Anything unknown keeps the provider's words.

use crate::flow::plain_text;
use crate::microsoft::Registration;
use crate::status::Cause;

/// What the diagnosis needs to know beyond the error itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The org, for messages that name it.
    pub org: Option<&'a str>,
    /// The redirect URL the connected app must list.
    pub redirect: &'a str,
    /// Whether the org's declared refresh token policy says the token has run out by now. An
    /// "expired" answer is then the policy; otherwise (valid until revoked, Salesforce's
    /// default) it means the token was revoked.
    pub expired_by_policy: bool,
}

/// The cause behind a Salesforce OAuth error, from the token endpoint or the authorize
/// redirect.
pub fn salesforce(error: &str, description: Option<&str>, ctx: &Context<'_>) -> Cause {
    let d = description.unwrap_or_default().trim().to_ascii_lowercase();
    let org = ctx.org.map(str::to_owned);
    match (error, d.as_str()) {
        ("invalid_grant", "expired access/refresh token") if ctx.expired_by_policy => {
            Cause::PolicyExpired
        }
        ("invalid_grant", "expired access/refresh token" | "authentication failure") => {
            Cause::Revoked
        }
        ("invalid_grant", "inactive user") => Cause::InactiveUser,
        ("invalid_grant", "inactive organization") => Cause::InactiveOrg,
        ("invalid_grant", "user hasn't approved this consumer") => Cause::ApprovalRemoved,
        // "IP restricted or invalid login hours" is the form Salesforce's flow-error list uses.
        ("invalid_grant", d) if d.starts_with("ip restricted") => Cause::IpRestricted,
        ("OAUTH_APP_BLOCKED", _) => Cause::AppBlocked { org },
        ("invalid_client", d) if d.contains("must be installed") => Cause::AppNotInstalled { org },
        // At the authorize redirect (`OAUTH_APP_ACCESS_DENIED`) or the token endpoint
        // (`invalid_app_access`): "Admin approved users are pre-authorized"
        // (`xcloud.connected_app_manage_oauth.htm`) and this user is not.
        ("OAUTH_APP_ACCESS_DENIED" | "invalid_app_access", _) => Cause::NotAdminApproved,
        ("invalid_client_id", _) => Cause::ConsumerKeyUnknown,
        ("redirect_uri_mismatch", _) => Cause::RedirectMismatch {
            redirect: ctx.redirect.to_owned(),
        },
        _ => Cause::RefreshRejected {
            detail: Some(plain_text(&match description {
                Some(d) => format!("{error}: {d}"),
                None => error.to_owned(),
            })),
        },
    }
}

/// The cause behind a Microsoft identity platform error. The OAuth `error` decides the class
/// ("Microsoft Entra authentication and authorization error codes": branch on `error`, the
/// AADSTS numbers may change); the number inside `error_description` only refines which
/// explanation to give within that class.
pub fn microsoft(error: &str, description: Option<&str>, ctx: &Context<'_>) -> Cause {
    let code = description.and_then(crate::microsoft::aadsts);
    // Microsoft appends trace and correlation ids: useful to support, noise to the person.
    let description = description.map(|d| d.split(" Trace ID:").next().unwrap_or(d).trim());
    let words = || Cause::RefreshRejected {
        detail: Some(plain_text(&match description {
            Some(d) => format!("{error}: {d}"),
            None => error.to_owned(),
        })),
    };
    let redirect = ctx.redirect.to_owned();
    match (error, code) {
        ("invalid_grant", Some(700084)) => Cause::DayLimitReached,
        ("invalid_grant", Some(700082 | 70008)) => Cause::UnusedTooLong,
        ("invalid_grant", Some(50057)) => Cause::InactiveUser,
        ("invalid_grant" | "interaction_required", Some(50076 | 50079)) => Cause::MfaRequired,
        ("invalid_grant" | "interaction_required" | "consent_required", Some(65001))
        | ("consent_required", _) => Cause::ConsentRequired,
        ("invalid_grant" | "interaction_required" | "access_denied", Some(53003)) => {
            Cause::BlockedByPolicy
        }
        // 50173 (password changed), 50133, 700081 and anything else: the grant is gone.
        ("invalid_grant", _) => Cause::Revoked,
        ("invalid_request", Some(9002326)) => Cause::RegistrationMismatch {
            registered_as: Registration::PublicClient,
            redirect,
        },
        ("invalid_request", Some(9002327)) => Cause::RegistrationMismatch {
            registered_as: Registration::Spa,
            redirect,
        },
        ("invalid_request", Some(50011)) => Cause::RedirectMismatch { redirect },
        ("unauthorized_client" | "invalid_client", _) => Cause::AppNotRegistered,
        ("login_required", _) => Cause::SignedOut,
        _ => words(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::Provider;

    const REDIRECT: &str = "https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/salesforce";
    const SF: Provider = Provider::Salesforce;

    fn ctx() -> Context<'static> {
        Context {
            org: Some("00D5g000004AcmeEAA"),
            redirect: REDIRECT,
            expired_by_policy: false,
        }
    }

    fn both(error: &str, description: &str) -> (String, String) {
        let c = salesforce(error, Some(description), &ctx());
        (c.text(SF), c.action(SF))
    }

    #[test]
    fn expired_means_revoked_unless_the_declared_policy_ran_out() {
        assert_eq!(
            salesforce(
                "invalid_grant",
                Some("expired access/refresh token"),
                &ctx()
            ),
            Cause::Revoked
        );
        let policy = Context {
            expired_by_policy: true,
            ..ctx()
        };
        assert_eq!(
            salesforce(
                "invalid_grant",
                Some("expired access/refresh token"),
                &policy
            ),
            Cause::PolicyExpired
        );
        assert!(
            Cause::PolicyExpired
                .action(SF)
                .contains("Refresh token is valid until revoked")
        );
    }

    #[test]
    fn a_password_change_reads_as_password_changed_or_access_revoked() {
        let (text, action) = both("invalid_grant", "authentication failure");
        assert_eq!(
            text,
            "The password was changed or access was revoked, so Salesforce no longer accepts this connection."
        );
        assert_eq!(action, "Choose \"Sign in again\" to restore it.");
    }

    #[test]
    fn user_org_approval_and_network_causes() {
        assert_eq!(
            both("invalid_grant", "inactive user").0,
            "The Salesforce user is frozen or deactivated."
        );
        assert_eq!(
            both("invalid_grant", "inactive user").1,
            "Ask your Salesforce admin to reactivate the user, then sign in again."
        );
        assert_eq!(
            salesforce("invalid_grant", Some("inactive organization"), &ctx()),
            Cause::InactiveOrg
        );
        assert_eq!(
            salesforce(
                "invalid_grant",
                Some("user hasn't approved this consumer"),
                &ctx()
            ),
            Cause::ApprovalRemoved
        );
        assert!(
            Cause::ApprovalRemoved
                .text(SF)
                .contains("at most 5 approvals")
        );
        assert_eq!(
            salesforce("invalid_grant", Some("IP restricted"), &ctx()),
            Cause::IpRestricted
        );
        assert!(Cause::IpRestricted.action(SF).contains("IP Relaxation"));
    }

    #[test]
    fn app_causes_name_the_org_and_the_setup_page() {
        assert_eq!(
            both("OAUTH_APP_BLOCKED", "this app is blocked by admin"),
            (
                "The connected app is blocked in org 00D5g000004AcmeEAA.".into(),
                "Ask your Salesforce admin to unblock it (Setup → Connected Apps OAuth Usage → Unblock), then sign in again.".into()
            )
        );
        assert_eq!(
            both("invalid_client", "app must be installed into org"),
            (
                "The connected app is not installed in org 00D5g000004AcmeEAA.".into(),
                "Ask your Salesforce admin to install it (Setup → Connected Apps OAuth Usage → Install), then sign in again.".into()
            )
        );
        let no_org = Context { org: None, ..ctx() };
        assert_eq!(
            salesforce("OAUTH_APP_BLOCKED", None, &no_org).text(SF),
            "The connected app is blocked in this org."
        );
        assert_eq!(
            salesforce(
                "invalid_app_access",
                Some("user is not admin approved to access this app"),
                &ctx()
            ),
            Cause::NotAdminApproved
        );
    }

    #[test]
    fn configuration_causes_say_what_an_administrator_must_change() {
        assert_eq!(
            salesforce(
                "invalid_client_id",
                Some("client identifier invalid"),
                &ctx()
            ),
            Cause::ConsumerKeyUnknown
        );
        let (_, action) = both(
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        );
        assert_eq!(
            action,
            format!("An administrator must add {REDIRECT} to the connected app's callback URLs.")
        );
    }

    #[test]
    fn unknown_errors_keep_the_providers_words_as_plain_text() {
        let c = salesforce(
            "invalid_grant",
            Some("token request is <b>odd</b>\n"),
            &ctx(),
        );
        assert_eq!(
            c,
            Cause::RefreshRejected {
                detail: Some("invalid_grant: token request is <b>odd</b>".into())
            }
        );
        assert_eq!(
            c.text(SF),
            "Salesforce no longer accepts this connection (invalid_grant: token request is <b>odd</b>)."
        );
        assert_eq!(
            salesforce("weird", None, &ctx()),
            Cause::RefreshRejected {
                detail: Some("weird".into())
            }
        );
    }

    const MS: Provider = Provider::Microsoft;
    const MS_REDIRECT: &str = "https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/microsoft";

    fn ms(error: &str, description: &str) -> Cause {
        let ctx = Context {
            org: None,
            redirect: MS_REDIRECT,
            expired_by_policy: false,
        };
        microsoft(error, Some(description), &ctx)
    }

    #[test]
    fn microsoft_refresh_refusals_by_aadsts_number() {
        assert_eq!(
            ms(
                "invalid_grant",
                "AADSTS700084: The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which can't be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page."
            ),
            Cause::DayLimitReached
        );
        assert_eq!(
            ms(
                "invalid_grant",
                "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on 2026-01-01T00:00:00Z and was inactive for 90.00:00:00."
            ),
            Cause::UnusedTooLong
        );
        let revoked = ms(
            "invalid_grant",
            "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        );
        assert_eq!(revoked, Cause::Revoked);
        assert_eq!(
            revoked.text(MS),
            "The password was changed or access was revoked, so Microsoft no longer accepts this connection."
        );
        assert_eq!(
            ms(
                "invalid_grant",
                "AADSTS50057: The user account is disabled."
            ),
            Cause::InactiveUser
        );
        assert_eq!(
            Cause::InactiveUser.action(MS),
            "Ask your Microsoft 365 admin to reactivate the account, then sign in again."
        );
        assert_eq!(
            ms("invalid_grant", "AADSTS9999999: something new"),
            Cause::Revoked,
            "an unknown number under invalid_grant still means the grant is gone"
        );
    }

    #[test]
    fn microsoft_interaction_consent_and_policy_causes() {
        for (error, d) in [
            (
                "interaction_required",
                "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
            ),
            (
                "invalid_grant",
                "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
            ),
        ] {
            assert_eq!(ms(error, d), Cause::MfaRequired, "{d}");
        }
        assert!(
            Cause::MfaRequired
                .action(MS)
                .contains("complete the verification")
        );
        assert_eq!(
            ms(
                "consent_required",
                "AADSTS65001: The user or administrator has not consented to use the application with ID '11111111-2222-3333-4444-555555555555' named 'Tokenwatch'."
            ),
            Cause::ConsentRequired
        );
        assert_eq!(ms("consent_required", "no number"), Cause::ConsentRequired);
        assert!(Cause::ConsentRequired.action(MS).contains("admin consent"));
        assert_eq!(
            ms(
                "invalid_grant",
                "AADSTS53003: Access has been blocked by Conditional Access policies."
            ),
            Cause::BlockedByPolicy
        );
        assert_eq!(
            ms(
                "login_required",
                "AADSTS50058: A silent sign-in request was sent but no user is signed in."
            ),
            Cause::SignedOut
        );
        assert_eq!(
            ms(
                "interaction_required",
                "AADSTS12345: something else Trace ID: 0f1e Correlation ID: 0f1e"
            ),
            Cause::RefreshRejected {
                detail: Some("interaction_required: AADSTS12345: something else".into())
            },
            "outside the known numbers the provider's words are kept"
        );
    }

    #[test]
    fn microsoft_configuration_causes_tell_the_admin_what_to_change() {
        let spa_without_origin = ms(
            "invalid_request",
            "AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
        );
        assert_eq!(
            spa_without_origin,
            Cause::RegistrationMismatch {
                registered_as: Registration::Spa,
                redirect: MS_REDIRECT.into()
            }
        );
        assert!(
            spa_without_origin
                .action(MS)
                .contains("single-page application")
        );
        let origin_without_spa = ms(
            "invalid_request",
            "AADSTS9002326: Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: 'chrome-extension://aenijjbppdciepplnmbnkldooemgnadd'.",
        );
        assert_eq!(
            origin_without_spa,
            Cause::RegistrationMismatch {
                registered_as: Registration::PublicClient,
                redirect: MS_REDIRECT.into()
            }
        );
        assert_eq!(
            origin_without_spa.action(MS),
            format!(
                "An administrator must either register {MS_REDIRECT} under \"Single-page application\" (Entra admin center → App registrations → Authentication), or set Tokenwatch's Microsoft registration type to mobile and desktop."
            )
        );
        let mismatch = ms(
            "invalid_request",
            "AADSTS50011: The redirect URI 'x' specified in the request does not match the redirect URIs configured for the application.",
        );
        assert_eq!(
            mismatch,
            Cause::RedirectMismatch {
                redirect: MS_REDIRECT.into()
            }
        );
        assert!(
            mismatch
                .action(MS)
                .contains("app registration's redirect URIs")
        );
        assert_eq!(
            ms(
                "unauthorized_client",
                "AADSTS700016: Application with identifier '1111' was not found in the directory 'contoso'."
            ),
            Cause::AppNotRegistered
        );
    }
}
