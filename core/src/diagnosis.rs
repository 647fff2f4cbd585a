//! From what a provider said to why the connection broke and what fixes it.
//!
//! Branch on the OAuth `error` and Salesforce's fixed `error_description` strings ("OAuth 2.0
//! Refresh Token Flow", "Connected App Usage Restrictions", Salesforce Help); never on free
//! text beyond those. Anything unknown keeps the provider's words.

use crate::flow::plain_text;
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
        ("invalid_grant", "ip restricted") => Cause::IpRestricted,
        ("OAUTH_APP_BLOCKED", _) => Cause::AppBlocked { org },
        ("invalid_client", d) if d.contains("must be installed") => Cause::AppNotInstalled { org },
        ("invalid_app_access", _) => Cause::NotAdminApproved,
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

#[cfg(test)]
mod tests {
    use super::*;

    const REDIRECT: &str = "https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/salesforce";

    fn ctx() -> Context<'static> {
        Context {
            org: Some("00D5g000004AcmeEAA"),
            redirect: REDIRECT,
            expired_by_policy: false,
        }
    }

    fn both(error: &str, description: &str) -> (String, String) {
        let c = salesforce(error, Some(description), &ctx());
        (c.text(), c.action())
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
                .action()
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
                .text()
                .contains("at most 5 approvals")
        );
        assert_eq!(
            salesforce("invalid_grant", Some("IP restricted"), &ctx()),
            Cause::IpRestricted
        );
        assert!(Cause::IpRestricted.action().contains("IP Relaxation"));
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
            salesforce("OAUTH_APP_BLOCKED", None, &no_org).text(),
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
            c.text(),
            "Salesforce no longer accepts this connection (invalid_grant: token request is <b>odd</b>)."
        );
        assert_eq!(
            salesforce("weird", None, &ctx()),
            Cause::RefreshRejected {
                detail: Some("weird".into())
            }
        );
    }
}
