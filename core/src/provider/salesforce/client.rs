//! Tokenwatch as Salesforce's client: the authorization request, the code's redemption and the
//! proof of whose tokens they are, refresh, the userinfo probe, revocation, and the diagnosis
//! of every refusal.

use super::protocol::{
    self as sf, LoginHost, ResponseError, SCOPES, SalesforceApp, UserInfo, userinfo_url,
};
use crate::connection::{Account, Event, Site, Tokens};
use crate::error::EngineError;
use crate::flow::{PendingAuthorization, plain_text};
use crate::host::parse_ascii_url;
use crate::http::{Classified, describe_body, is_transient, token_error, unreachable};
use crate::ids::{ConnectionId, OrgId, Provider, UserId};
use crate::ports::{Entropy, IdentityError, StoreError};
use crate::provider::shared::{
    Context, Intent, Probe, Refreshed, SignedIn, complete, refused_is_diagnosed,
};
use crate::status::{Cause, Refusal};
use crate::time::Timestamp;
use oauth2::http::{self, StatusCode, header};
use oauth2::{AccessToken, AsyncHttpClient, RefreshToken, Scope, TokenResponse as _};
use url::Url;

const SF: Provider = Provider::Salesforce;

/// A sign-in under way.
#[derive(Debug)]
pub struct Started {
    /// Where the sign-in window goes.
    pub url: Url,
    pending: PendingAuthorization,
    host: LoginHost,
}

/// The authorization request to `host`: PKCE S256, `state`, the scopes Tokenwatch needs; the
/// known username as `login_hint` when signing in again, `prompt=login` to change account.
pub fn start(
    app: &SalesforceApp,
    host: LoginHost,
    intent: &Intent,
    entropy: &impl Entropy,
    now: Timestamp,
) -> Started {
    let client = sf::client(&app.consumer_key, &app.redirect, &host);
    let pending = PendingAuthorization::new(entropy, app.redirect.clone(), now)
        .with_issuer_origin(host.origin());
    let mut request = client
        .authorize_url(|| pending.state().clone())
        .add_scopes(SCOPES.map(|s| Scope::new(s.into())))
        .set_pkce_challenge(pending.challenge());
    match intent {
        Intent::Add => {}
        Intent::Renew { username, .. } => {
            request = request.add_extra_param("login_hint", username.clone())
        }
        Intent::ChangeAccount => request = request.add_extra_param("prompt", "login"),
    }
    let (url, _) = request.url();
    Started { url, pending, host }
}

/// A window that ended without Salesforce calling back: Salesforce keeps refusals it will not
/// send to the app on its own error page, so the likely causes are named.
pub fn unanswered(app: &SalesforceApp, started: &Started, e: IdentityError) -> EngineError {
    match e {
        IdentityError::Cancelled => EngineError::NoAnswer {
            shared_login: app.is_shared_login(&started.host),
        },
        e => e.into(),
    }
}

/// Redeems the callback's code, checks Salesforce's answer and proves the new access token at
/// userinfo, which also says whose it is. Nothing is kept unless every step succeeds.
pub async fn finish<H: for<'c> AsyncHttpClient<'c>>(
    app: &SalesforceApp,
    http: &H,
    started: Started,
    callback: &Url,
    now: Timestamp,
) -> Result<SignedIn, EngineError> {
    let Started { pending, host, .. } = started;
    let ctx = Context {
        org: None,
        redirect: app.redirect.as_str(),
        expired_by_policy: false,
    };
    let diagnosed = |r: &Refusal| diagnose(&r.error, r.description.as_deref(), &ctx);
    let (code, verifier) = complete(pending, callback, now, SF, diagnosed)?;
    let token = sf::client(&app.consumer_key, &app.redirect, &host)
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .request_async(&Classified(http))
        .await
        .map_err(token_error(SF))
        .map_err(|e| refused_is_diagnosed(e, diagnosed))?;
    let grant = token.validate(&host)?;
    let refresh = token
        .refresh()
        .ok_or(ResponseError::NoRefreshToken)?
        .clone();
    let Some(info) = userinfo(http, &grant.instance_url, token.access()).await? else {
        // Not stored, so nothing keeps the approval: give it back.
        let _ = revoke(http, &host, &refresh).await;
        return Err(EngineError::Diagnosed {
            provider: SF,
            cause: Cause::UserInfoRefused {
                missing_scope: token.grants_identity() == Some(false),
            },
        });
    };
    info.check(&grant)?;
    Ok(SignedIn {
        event: Event::SignedIn,
        id: ConnectionId::salesforce(&grant.org, &grant.user),
        site: Site::Salesforce {
            login_host: host,
            instance_url: grant.instance_url.as_str().trim_end_matches('/').to_owned(),
            org: grant.org,
            user: grant.user,
        },
        account: Account {
            username: plain_text(&info.preferred_username),
            display_name: info.name.as_deref().map(plain_text),
        },
        tokens: Tokens {
            access: token.access().clone(),
            refresh,
            issued_at: grant.issued_at,
            refresh_due: None,
            granted: token
                .scopes()
                .map(|all| all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        },
    })
}

/// Redeems the refresh token at the org's login host. The answer must name the same org and
/// user.
pub async fn refresh<H: for<'c> AsyncHttpClient<'c>>(
    app: &SalesforceApp,
    http: &H,
    login_host: &LoginHost,
    (org, user): (&OrgId, &UserId),
    token: &RefreshToken,
) -> Result<Refreshed, EngineError> {
    let answer = sf::client(&app.consumer_key, &app.redirect, login_host)
        .exchange_refresh_token(token)
        .request_async(&Classified(http))
        .await
        .map_err(token_error(SF))?;
    let grant = answer.validate(login_host)?;
    if grant.org != *org || grant.user != *user {
        return Err(ResponseError::IdentityMismatch.into());
    }
    Ok(Refreshed {
        access: answer.access().clone(),
        refresh: answer.refresh().cloned(),
        issued_at: grant.issued_at,
        refresh_due: None,
        identity_granted: answer.grants_identity(),
        granted: None,
    })
}

/// Proves the access token at the org's userinfo.
pub async fn probe<H: for<'c> AsyncHttpClient<'c>>(
    http: &H,
    instance_url: &str,
    access: &AccessToken,
) -> Result<Probe, EngineError> {
    let instance =
        parse_ascii_url(instance_url).ok_or_else(|| StoreError::Corrupt("instance URL".into()))?;
    Ok(match userinfo(http, &instance, access).await? {
        Some(_) => Probe::Accepted,
        None => Probe::Refused,
    })
}

/// `GET {instance}/services/oauth2/userinfo`: whose the token is, or `None` when it is not
/// accepted. Salesforce answers an expired or revoked token there with 403 `Bad_OAuth_Token`
/// (not the REST API's 401), and a token without the identity scope with 403 too: both are
/// taken as "not accepted".
async fn userinfo<H: for<'c> AsyncHttpClient<'c>>(
    http: &H,
    instance: &Url,
    access: &AccessToken,
) -> Result<Option<UserInfo>, EngineError> {
    let request = http::Request::builder()
        .method(http::Method::GET)
        .uri(userinfo_url(instance).as_str())
        .header(header::AUTHORIZATION, format!("Bearer {}", access.secret()))
        .header(header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|_| EngineError::BadResponse(SF, "the org address is not a valid URL".into()))?;
    let response = http
        .call(request)
        .await
        .map_err(|e| EngineError::Unreachable {
            provider: SF,
            reason: plain_text(&e.to_string()),
            retry_after: None,
        })?;
    match response.status() {
        StatusCode::OK => serde_json::from_slice(response.body())
            .map(Some)
            .map_err(|_| EngineError::BadResponse(SF, describe_body(response.body()).into())),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(None),
        s if is_transient(s) => Err(unreachable(SF, &response)),
        s => Err(EngineError::BadResponse(
            SF,
            format!("HTTP {} from the user information endpoint", s.as_u16()),
        )),
    }
}

/// Revokes `refresh`, and with it its access tokens, with a POST to `host`'s
/// `/services/oauth2/revoke` ("Revoke OAuth Tokens", Salesforce Help). Built by hand because
/// the oauth2 crate refuses a non-https revocation URL, which the loopback simulator is.
pub async fn revoke<H: for<'c> AsyncHttpClient<'c>>(
    http: &H,
    host: &LoginHost,
    refresh: &RefreshToken,
) -> Result<(), EngineError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", refresh.secret())
        .append_pair("token_type_hint", "refresh_token")
        .finish();
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(host.revoke_url().as_str())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .map_err(|_| EngineError::BadResponse(SF, "the login host is not a valid URL".into()))?;
    let response = Classified(http)
        .call(request)
        .await
        .map_err(|e| EngineError::Unreachable {
            provider: SF,
            reason: e.to_string(),
            retry_after: None,
        })?;
    if response.status() == StatusCode::OK {
        Ok(())
    } else {
        Err(EngineError::BadResponse(
            SF,
            format!(
                "HTTP {} from the revoke endpoint",
                response.status().as_u16()
            ),
        ))
    }
}

/// The cause behind a Salesforce OAuth error, from the token endpoint or the authorize
/// redirect. Branches on the OAuth `error` and Salesforce's fixed `error_description` strings
/// ("OAuth 2.0 Refresh Token Flow", "Connected App Usage Restrictions", Salesforce Help); never
/// on free text beyond those. Anything unknown keeps the provider's words.
pub fn diagnose(error: &str, description: Option<&str>, ctx: &Context<'_>) -> Cause {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let c = diagnose(error, Some(description), &ctx());
        (c.text(SF), c.action(SF))
    }

    #[test]
    fn expired_means_revoked_unless_the_declared_policy_ran_out() {
        assert_eq!(
            diagnose(
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
            diagnose(
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
            diagnose("invalid_grant", Some("inactive organization"), &ctx()),
            Cause::InactiveOrg
        );
        assert_eq!(
            diagnose(
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
            diagnose("invalid_grant", Some("IP restricted"), &ctx()),
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
            diagnose("OAUTH_APP_BLOCKED", None, &no_org).text(SF),
            "The connected app is blocked in this org."
        );
        assert_eq!(
            diagnose(
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
            diagnose(
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
        let c = diagnose(
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
            diagnose("weird", None, &ctx()),
            Cause::RefreshRejected {
                detail: Some("weird".into())
            }
        );
    }
}
