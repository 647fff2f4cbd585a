//! Tokenwatch as a Microsoft identity platform client: the authorization request (with
//! `nonce`, and `prompt=none` for a silent renewal), the code's redemption with the ID token
//! checked, refresh, and the diagnosis of every refusal.

use super::protocol::{
    self as ms, Authority, IdTokenError, MicrosoftApp, Registration, aadsts, check_id_token,
};
use crate::connection::{Account, Event, Site, Tokens};
use crate::error::EngineError;
use crate::flow::{PendingAuthorization, plain_text};
use crate::http::{Classified, token_error};
use crate::ids::{ConnectionId, Provider};
use crate::ports::{Entropy, Interaction};
use crate::provider::shared::{
    Context, Intent, Refreshed, SignedIn, complete, refused_is_diagnosed,
};
use crate::status::Cause;
use crate::time::Timestamp;
use oauth2::{AsyncHttpClient, RefreshToken};
use url::Url;

const MS: Provider = Provider::Microsoft;

/// A sign-in under way.
#[derive(Debug)]
pub struct Started {
    /// Where the sign-in window goes.
    pub url: Url,
    pending: PendingAuthorization,
    authority: Authority,
    interaction: Interaction,
}

/// The authorization request: PKCE S256, `state`, `nonce`; `pinned` keeps a renewal in the
/// account's own tenant; `Silent` sends `prompt=none`, answered from the Microsoft session or
/// refused.
pub fn start(
    app: &MicrosoftApp,
    pinned: Option<Authority>,
    intent: &Intent,
    interaction: Interaction,
    entropy: &impl Entropy,
    now: Timestamp,
) -> Started {
    let authority = pinned.unwrap_or_else(|| app.authority.clone());
    let client = ms::client(app, &authority);
    let pending = PendingAuthorization::new(entropy, app.redirect.clone(), now)
        .with_issuer_origin(authority.host.origin());
    let mut request = client
        .authorize_url(|| pending.state().clone())
        .add_scopes(app.scopes())
        .set_pkce_challenge(pending.challenge())
        .add_extra_param("nonce", pending.nonce().to_owned());
    match intent {
        Intent::Add => {}
        Intent::Renew { username, .. } => {
            request = request.add_extra_param("login_hint", username.clone())
        }
        Intent::ChangeAccount => request = request.add_extra_param("prompt", "select_account"),
    }
    if interaction == Interaction::Silent {
        request = request.add_extra_param("prompt", "none");
    }
    let (url, _) = request.url();
    Started {
        url,
        pending,
        authority,
        interaction,
    }
}

/// Redeems the callback's code and checks the ID token (signature algorithm, audience,
/// issuer, nonce, expiry) before anything is kept.
pub async fn finish<H: for<'c> AsyncHttpClient<'c>>(
    app: &MicrosoftApp,
    http: &H,
    started: Started,
    callback: &Url,
    now: Timestamp,
) -> Result<SignedIn, EngineError> {
    let Started {
        pending,
        authority,
        interaction,
        ..
    } = started;
    let ctx = Context {
        org: None,
        redirect: app.redirect.as_str(),
        expired_by_policy: false,
    };
    let diagnosed = |e: &str, d: Option<&str>| diagnose(e, d, &ctx);
    let nonce = pending.nonce().to_owned();
    let (code, verifier) = complete(pending, callback, now, MS, diagnosed)?;
    let token = ms::client(app, &authority)
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .request_async(&Classified(http))
        .await
        .map_err(token_error(MS))
        .map_err(|e| refused_is_diagnosed(e, diagnosed))?;
    let who = check_id_token(
        token.id_token().ok_or(IdTokenError::Missing)?,
        &ms::Expect {
            client_id: &app.client_id,
            authority: &authority,
            nonce: &nonce,
            now,
        },
    )?;
    let refresh = token.refresh().cloned().ok_or_else(|| {
        EngineError::BadResponse(
            MS,
            "no refresh token although offline_access was asked for".into(),
        )
    })?;
    Ok(SignedIn {
        event: match interaction {
            Interaction::Interactive => Event::SignedIn,
            Interaction::Silent => Event::RenewedSilently,
        },
        id: ConnectionId::microsoft(&who.tenant, &who.object),
        site: Site::Microsoft {
            authority: app.authority.for_tenant(&who.tenant),
            tenant: who.tenant,
            object: who.object,
            registration: app.registration,
            resource: app.resource,
        },
        account: Account {
            username: who.username,
            display_name: who.name,
        },
        tokens: Tokens {
            access: token.access().clone(),
            refresh,
            issued_at: now,
            refresh_due: Some(token.refresh_due(now)),
        },
    })
}

/// Redeems the refresh token at the account's own authority for the app's scopes.
pub async fn refresh<H: for<'c> AsyncHttpClient<'c>>(
    app: &MicrosoftApp,
    http: &H,
    authority: &Authority,
    token: &RefreshToken,
    now: Timestamp,
) -> Result<Refreshed, EngineError> {
    let answer = ms::client(app, authority)
        .exchange_refresh_token(token)
        .add_scopes(app.scopes())
        .request_async(&Classified(http))
        .await
        .map_err(token_error(MS))?;
    Ok(Refreshed {
        access: answer.access().clone(),
        refresh: answer.refresh().cloned(),
        issued_at: now,
        refresh_due: Some(answer.refresh_due(now)),
        identity_granted: None,
    })
}

/// The cause behind a Microsoft identity platform error. The OAuth `error` decides the class
/// ("Microsoft Entra authentication and authorization error codes": branch on `error`, the
/// AADSTS numbers may change); the number inside `error_description` only refines which
/// explanation to give within that class.
pub fn diagnose(error: &str, description: Option<&str>, ctx: &Context<'_>) -> Cause {
    let code = description.and_then(aadsts);
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

    const MS: Provider = Provider::Microsoft;
    const MS_REDIRECT: &str = "https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/microsoft";

    fn ms(error: &str, description: &str) -> Cause {
        let ctx = Context {
            org: None,
            redirect: MS_REDIRECT,
            expired_by_policy: false,
        };
        diagnose(error, Some(description), &ctx)
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
