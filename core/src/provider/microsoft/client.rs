//! Tokenwatch as a Microsoft identity platform client: the authorization request (with
//! `nonce`, `prompt=select_account` for a new account and `prompt=none` for a silent renewal),
//! the code's redemption with the ID token checked and the granted permissions compared with
//! the ones asked, refresh for no more than was granted, the check of the resource itself
//! (Microsoft Graph `/me`, or an EWS `GetFolder` of the inbox), and the diagnosis of every
//! refusal.

use super::protocol::{
    self as ms, Authority, Cloud, Endpoints, IdTokenError, MicrosoftApp, Registration, Resource,
    Target, check_id_token,
};
use crate::connection::{Account, Event, Site, Tokens};
use crate::error::EngineError;
use crate::flow::{PendingAuthorization, plain_text};
use crate::http::{Classified, describe_body, is_transient, token_error, unreachable};
use crate::ids::{ConnectionId, Provider};
use crate::ports::{Entropy, Interaction};
use crate::provider::shared::{
    Context, Intent, Probe, Refreshed, SignedIn, complete, refused_is_diagnosed,
};
use crate::status::{Cause, Refusal};
use crate::time::Timestamp;
use oauth2::http::{self, StatusCode, header};
use oauth2::{AccessToken, AsyncHttpClient, RefreshToken, Scope, TokenResponse as _};
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
    resource: Resource,
    ews_url: Url,
    cloud: Option<Cloud>,
    /// The resource's scope, which must come back granted.
    resource_scope: String,
}

/// The authorization request: PKCE S256, `state`, `nonce`; the account's own tenant for a
/// renewal; `prompt=select_account` to add an account (a person with two gets to choose) or
/// change it; `prompt=none` for a silent renewal, answered from the Microsoft session or
/// refused.
pub fn start(
    app: &MicrosoftApp,
    target: Target,
    intent: &Intent,
    interaction: Interaction,
    entropy: &impl Entropy,
    now: Timestamp,
) -> Started {
    let authority = target.authority.unwrap_or_else(|| Authority {
        host: app.authority.host.clone(),
        tenant: target
            .tenant
            .unwrap_or_else(|| app.authority.tenant.clone()),
    });
    let resource = target.resource.unwrap_or(app.resource);
    let ews_url = target.ews_url.unwrap_or_else(|| app.ews_url.clone());
    let cloud = target.cloud.or(app.cloud);
    let endpoints = authority.endpoints(cloud);
    let resource_scope = resource.scope(&endpoints, &ews_url);
    let client = ms::client(app, &authority);
    let pending = PendingAuthorization::new(entropy, app.redirect.clone(), now)
        .with_issuer_origin(authority.host.origin());
    let mut request = client
        .authorize_url(|| pending.state().clone())
        .add_scopes(
            ms::BASE_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .chain([resource_scope.clone()])
                .map(Scope::new),
        )
        .set_pkce_challenge(pending.challenge())
        .add_extra_param("nonce", pending.nonce().to_owned());
    if let Intent::Renew { username, .. } = intent {
        request = request.add_extra_param("login_hint", username.clone());
    }
    let prompt = match (interaction, intent) {
        (Interaction::Silent, _) => Some("none"),
        (_, Intent::Add | Intent::ChangeAccount) => Some("select_account"),
        (_, Intent::Renew { .. }) => None,
    };
    if let Some(p) = prompt {
        request = request.add_extra_param("prompt", p);
    }
    let (url, _) = request.url();
    Started {
        url,
        pending,
        authority,
        interaction,
        resource,
        ews_url,
        cloud,
        resource_scope,
    }
}

/// Whether `granted` (a token response's `scope`) includes `wanted`. Microsoft may answer a
/// Graph scope with or without its resource (`User.Read`,
/// `https://graph.microsoft.com/User.Read`), in any case.
fn includes(granted: &[Scope], wanted: &str) -> bool {
    let short = |s: &str| s.rsplit('/').next().unwrap_or(s).to_ascii_lowercase();
    granted.iter().any(|g| {
        g.as_str().eq_ignore_ascii_case(wanted)
            || (short(g.as_str()) == short(wanted) && (!g.contains('/') || !wanted.contains('/')))
    })
}

/// Redeems the callback's code and checks the ID token (signature algorithm, audience,
/// issuer, nonce, expiry) and the granted permissions before anything is kept.
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
        resource,
        ews_url,
        cloud,
        resource_scope,
        ..
    } = started;
    let ctx = Context {
        org: None,
        redirect: app.redirect.as_str(),
        expired_by_policy: false,
    };
    let diagnosed = |r: &Refusal| diagnose_refusal(r, &ctx);
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
    if let Some(granted) = token.scopes() {
        if !includes(granted, &resource_scope) {
            return Err(EngineError::Diagnosed {
                provider: MS,
                cause: Cause::PermissionWithheld {
                    permission: resource_scope,
                },
            });
        }
    }
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
            authority: authority.for_tenant(&who.tenant),
            tenant: who.tenant,
            object: who.object,
            registration: app.registration,
            resource,
            cloud,
            ews_url: (resource == Resource::ExchangeOnPremises).then(|| ews_url.to_string()),
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
            granted: token
                .scopes()
                .map(|all| all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        },
    })
}

/// What a refresh of a connection at `site` asks for: what the provider said it granted
/// (RFC 6749 §6: never more), or, where it did not say, what the sign-in asked for.
pub fn refresh_scopes(app: &MicrosoftApp, site: &Site, granted: Option<&str>) -> Vec<Scope> {
    if let Some(g) = granted.filter(|g| !g.trim().is_empty()) {
        return g
            .split_whitespace()
            .map(|s| Scope::new(s.to_owned()))
            .collect();
    }
    let Site::Microsoft {
        authority,
        resource,
        cloud,
        ews_url,
        ..
    } = site
    else {
        return Vec::new();
    };
    let ews = ews_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| app.ews_url.clone());
    ms::BASE_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .chain([resource.scope(&authority.endpoints(*cloud), &ews)])
        .map(Scope::new)
        .collect()
}

/// Redeems the refresh token at the account's own authority.
pub async fn refresh<H: for<'c> AsyncHttpClient<'c>>(
    app: &MicrosoftApp,
    http: &H,
    site: &Site,
    token: &RefreshToken,
    granted: Option<&str>,
    now: Timestamp,
) -> Result<Refreshed, EngineError> {
    let Site::Microsoft { authority, .. } = site else {
        return Err(EngineError::NotConfigured(MS));
    };
    let answer = ms::client(app, authority)
        .exchange_refresh_token(token)
        .add_scopes(refresh_scopes(app, site, granted))
        .request_async(&Classified(http))
        .await
        .map_err(token_error(MS))?;
    Ok(Refreshed {
        access: answer.access().clone(),
        refresh: answer.refresh().cloned(),
        issued_at: now,
        refresh_due: Some(answer.refresh_due(now)),
        identity_granted: None,
        granted: answer
            .scopes()
            .map(|all| all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
    })
}

/// The minimal EWS request that proves a mailbox: `GetFolder` of the inbox, ids only
/// ("GetFolder operation", EWS reference; SOAP 1.1's envelope namespace).
const GET_INBOX: &str = concat!(
    r#"<?xml version="1.0" encoding="utf-8"?>"#,
    r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" "#,
    r#"xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" "#,
    r#"xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages">"#,
    r#"<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>"#,
    r#"<soap:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"#,
    r#"<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></soap:Body>"#,
    r#"</soap:Envelope>"#
);

/// Proves the access token where it is used: `GET /v1.0/me?$select=id,userPrincipalName` on
/// Microsoft Graph (`User.Read`), or an EWS `GetFolder` of the inbox. 401 is a token not
/// accepted (refresh, then prove again); 429 and 5xx are an outage (with `Retry-After`); the
/// resource's own refusals are named.
pub async fn probe<H: for<'c> AsyncHttpClient<'c>>(
    http: &H,
    site: &Site,
    access: &AccessToken,
) -> Result<Probe, EngineError> {
    let Site::Microsoft {
        authority,
        resource,
        cloud,
        ews_url,
        ..
    } = site
    else {
        return Ok(Probe::NotProbed);
    };
    // Only an on-premises connection has an EWS address of its own; Exchange Online's comes
    // from the cloud.
    let ews = ews_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .unwrap_or_else(|| Url::parse(ms::DEFAULT_EWS_URL).expect("constant URL"));
    let endpoints: Endpoints = authority.endpoints(*cloud);
    let url = resource.probe_url(&endpoints, &ews);
    let bearer = format!("Bearer {}", access.secret());
    let request = match resource {
        Resource::Graph => http::Request::builder()
            .method(http::Method::GET)
            .uri(url.as_str())
            .header(header::AUTHORIZATION, bearer)
            .header(header::ACCEPT, "application/json")
            .body(Vec::new()),
        Resource::Exchange | Resource::ExchangeOnPremises => http::Request::builder()
            .method(http::Method::POST)
            .uri(url.as_str())
            .header(header::AUTHORIZATION, bearer)
            .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(GET_INBOX.as_bytes().to_vec()),
    }
    .map_err(|_| EngineError::BadResponse(MS, "the resource address is not a valid URL".into()))?;
    let response = http
        .call(request)
        .await
        .map_err(|e| EngineError::Unreachable {
            provider: MS,
            reason: plain_text(&e.to_string()),
            retry_after: None,
        })?;
    let status = response.status();
    if is_transient(status) {
        return Err(unreachable(MS, &response));
    }
    if status == StatusCode::UNAUTHORIZED {
        return Ok(Probe::Refused);
    }
    match resource {
        Resource::Graph => graph_answer(status, response.body()),
        Resource::Exchange | Resource::ExchangeOnPremises => {
            ews_answer(*resource, status, response.body())
        }
    }
}

/// Microsoft Graph's answer to `/me`: its error body is `{"error":{"code","message",…}}`
/// ("Microsoft Graph error responses").
fn graph_answer(status: StatusCode, body: &[u8]) -> Result<Probe, EngineError> {
    #[derive(serde::Deserialize)]
    struct Body {
        error: Option<GraphError>,
    }
    #[derive(serde::Deserialize)]
    struct GraphError {
        code: String,
    }
    if status == StatusCode::OK {
        return Ok(Probe::Accepted);
    }
    let code = serde_json::from_slice::<Body>(body)
        .ok()
        .and_then(|b| b.error)
        .map(|e| plain_text(&e.code))
        .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
    Ok(Probe::Denied(match code.as_str() {
        "MailboxNotEnabledForRESTAPI" | "ResourceNotFound" | "MailboxNotFound" => {
            Cause::MailboxNotFound { code }
        }
        _ if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND => {
            Cause::ResourceDenied {
                resource: Resource::Graph,
                code,
            }
        }
        _ => {
            return Err(EngineError::BadResponse(
                MS,
                format!("HTTP {} from Microsoft Graph", status.as_u16()),
            ));
        }
    }))
}

/// EWS's answer to `GetFolder`: HTTP 403 from Exchange Online is EWS's retirement; a
/// `ResponseClass="Error"` names the mailbox's problem in `ResponseCode`.
fn ews_answer(resource: Resource, status: StatusCode, body: &[u8]) -> Result<Probe, EngineError> {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
    let response_code = || {
        let start = text.find("ResponseCode>")? + "ResponseCode>".len();
        let end = text[start..].find('<')? + start;
        Some(plain_text(&text[start..end]))
    };
    match status {
        StatusCode::OK if text.contains(r#"ResponseClass="Success""#) => Ok(Probe::Accepted),
        StatusCode::OK | StatusCode::INTERNAL_SERVER_ERROR if response_code().is_some() => {
            let code = response_code().unwrap_or_default();
            Ok(Probe::Denied(match code.as_str() {
                "ErrorNonExistentMailbox" | "ErrorMailboxStoreUnavailable" => {
                    Cause::MailboxNotFound { code }
                }
                _ => Cause::ResourceDenied { resource, code },
            }))
        }
        StatusCode::FORBIDDEN if resource == Resource::Exchange => {
            Ok(Probe::Denied(Cause::EwsBlocked))
        }
        StatusCode::FORBIDDEN => Ok(Probe::Denied(Cause::ResourceDenied {
            resource,
            code: "HTTP 403".into(),
        })),
        s => Err(EngineError::BadResponse(
            MS,
            format!("HTTP {} from EWS ({})", s.as_u16(), describe_body(body)),
        )),
    }
}

/// The cause behind a Microsoft identity platform error, from `error` and `error_description`
/// alone (a redirect's refusal, or a body without `error_codes`).
pub fn diagnose(error: &str, description: Option<&str>, ctx: &Context<'_>) -> Cause {
    diagnose_refusal(&Refusal::said(error, description), ctx)
}

/// The cause behind a Microsoft refusal. What Tokenwatch does is the same for every refusal
/// (Needs sign-in, never retried); the AADSTS number, from `error_codes` or the description,
/// picks the explanation ("Microsoft Entra authentication and authorization error codes"), and
/// the OAuth `error` decides where there is no number Tokenwatch knows. Nothing that needs a
/// password change, an administrator or a device reads as a revocation.
pub fn diagnose_refusal(r: &Refusal, ctx: &Context<'_>) -> Cause {
    let error = r.error.as_str();
    let redirect = ctx.redirect.to_owned();
    let words = || Cause::RefreshRejected {
        detail: Some(plain_text(
            &match r.description.as_deref().map(ms::message_only) {
                Some(d) if !d.is_empty() => format!("{error}: {d}"),
                _ => error.to_owned(),
            },
        )),
    };
    match (r.code(), error) {
        (Some(700084), _) => Cause::DayLimitReached,
        (Some(700082 | 70008), _) => Cause::UnusedTooLong,
        (Some(50057), _) => Cause::InactiveUser,
        (Some(50076 | 50079), _) => Cause::MfaRequired,
        (Some(65001), _) | (_, "consent_required") => Cause::ConsentRequired,
        (Some(65004), _) => Cause::ConsentDeclined,
        (Some(53003), _) => Cause::BlockedByPolicy,
        (Some(53000 | 530003), _) => Cause::DeviceNotCompliant,
        (Some(50097), _) => Cause::DeviceAuthRequired,
        (Some(50055), _) => Cause::PasswordExpired,
        (Some(70043), _) => Cause::SignInFrequency,
        (Some(50105), _) => Cause::UserNotAssigned,
        (Some(500011), _) => Cause::ResourceNotInTenant,
        (Some(7000112), _) => Cause::AppDisabled,
        (Some(7000218), _) => Cause::RegisteredAsWeb { redirect },
        (Some(50089), _) => Cause::SignInExpired,
        (Some(90072 | 50020), _) => Cause::NotInTenant,
        (Some(9002326), _) => Cause::RegistrationMismatch {
            registered_as: Registration::PublicClient,
            redirect,
        },
        (Some(9002327), _) => Cause::RegistrationMismatch {
            registered_as: Registration::Spa,
            redirect,
        },
        (Some(50011), _) => Cause::RedirectMismatch { redirect },
        (Some(50058), _) | (_, "login_required") => Cause::SignedOut,
        (_, "invalid_scope") => Cause::ScopeRefused,
        // 50173 (password changed or reset, or an administrator revoked), 50133 (the session
        // ended with a password change), 700081, and any other number: the grant is gone.
        (_, "invalid_grant") => Cause::Revoked,
        (_, "unauthorized_client" | "invalid_client") => Cause::AppNotRegistered,
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
