//! The Microsoft identity platform's v2.0 endpoints, `/{tenant}/oauth2/v2.0/{authorize,token}`,
//! with the behaviour Tokenwatch depends on: a login form and a consent page, a session cookie
//! (`ESTSAUTH`) that lets `prompt=none` answer without UI while it lives, the `Origin` rule
//! that tells a single-page-app registration from a public client (AADSTS9002326 / 9002327),
//! refresh tokens that live 24 h from the sign-in (single-page app, carried over rotation) or
//! 90 days sliding (public client), and the real `error` / AADSTS strings; and the resources a
//! connection is proven on, Microsoft Graph `/v1.0/me` and EWS.
//!
//! | behaviour | source |
//! |---|---|
//! | endpoints, `prompt`, `login_hint`, tenants (`common`, `organizations`, `consumers`, an id) | learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, v2-protocols |
//! | SPA refresh tokens: 24 h, carried over rotation; `Origin` tells SPA from public client (9002326/9002327) | v2-oauth2-auth-code-flow ("Refresh the access token", "Redeem a code") |
//! | 90-day sliding refresh tokens (700082) | learn.microsoft.com/entra/identity-platform/refresh-tokens |
//! | error body: `error_codes`, `trace_id`, `correlation_id`, `timestamp`, `error_uri`; `\r\n` before the trace lines | learn.microsoft.com/entra/identity-platform/reference-error-codes ("Error response") |
//! | every AADSTS number and its name | reference-error-codes; the `error` class and status of each as real bodies show them (GitHub issues cited in `/work/research`-era notes of the session that added them) |
//! | "Web" redirect URIs need a client secret: 7000218, `invalid_client`, HTTP 401 | reference-error-codes; observed bodies |
//! | Graph `/me` needs `User.Read`; errors `{"error":{"code","message","innerError"}}`; 401 `InvalidAuthenticationToken`; 403 `Authorization_RequestDenied`; 429 with `Retry-After` (may be fractional) | learn.microsoft.com/graph/api/user-get, /graph/errors, /graph/throttling |
//! | EWS `GetFolder` of the inbox; 401 with `WWW-Authenticate: Bearer … error="invalid_token"` and `x-ms-diagnostics` 2000002 for an expired token | learn.microsoft.com/exchange/client-developer/web-service-reference/getfolder-operation; "Instrumenting client requests for EWS and REST" |
//! | EWS blocked in Exchange Online from 1 October 2026 unless allowed, off on 1 April 2027; the block as HTTP 403 | Message Center MC1227454; learn.microsoft.com/exchange/client-developer/exchange-web-services/how-to-control-access-to-ews-in-exchange (403 is documented for the licence block; the simulator assumes the same for the tenant block) |
//! | a user without a mailbox: EWS `ErrorNonExistentMailbox` | GetFolder reference (ResponseCode values) |

use crate::form::{one, pairs};
use crate::html;
use crate::{
    IdTokenFault, MsApp, MsRegistration, Sim, SimRequest, SimResponse, json, page, redirect, text,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{Method, StatusCode, header};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use url::Url;

const PRODUCT: &str = "Microsoft";
const CODE_TTL_MS: i64 = 10 * 60 * 1000;
const SPA_LIFETIME_MS: i64 = 24 * 3600 * 1000;
const IDLE_LIFETIME_MS: i64 = 90 * 86_400 * 1000;
const COOKIE: &str = "ESTSAUTH";
const BAD_LOGIN: &str = "Your account or password is incorrect.";

/// Microsoft's part of the simulator's state.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Session cookie value → (user, expires at, passed MFA).
    sessions: HashMap<String, Session>,
    codes: HashMap<String, Code>,
    refresh: HashMap<String, Grant>,
    /// (user, client id) pairs that consented.
    consents: HashSet<(usize, String)>,
    /// Users whose grants were revoked (password change, admin action).
    revoked_before: HashMap<usize, i64>,
    disabled: HashSet<usize>,
    registrations: HashMap<String, MsRegistration>,
    /// Access tokens, for Graph and EWS to check.
    access: HashMap<String, Access>,
}

#[derive(Debug, Clone)]
struct Access {
    user: usize,
    scope: String,
    expires_at: i64,
}

#[derive(Debug, Clone)]
struct Session {
    user: usize,
    expires_at: i64,
    mfa: bool,
}

#[derive(Debug)]
struct Code {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user: usize,
    nonce: Option<String>,
    scope: String,
    expires_at: i64,
    mfa: bool,
}

#[derive(Debug, Clone)]
struct Grant {
    user: usize,
    client_id: String,
    scope: String,
    /// The sign-in this token descends from: a single-page app's 24 h run from here.
    auth_time: i64,
    issued_at: i64,
    spa: bool,
    mfa: bool,
}

/// `/{tenant}/oauth2/v2.0/{endpoint}` → (tenant, endpoint).
pub(crate) fn route(path: &str) -> Option<(String, String)> {
    let mut parts = path.trim_start_matches('/').split('/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some(tenant), Some("oauth2"), Some("v2.0"), Some(endpoint), None)
            if !tenant.is_empty() =>
        {
            Some((tenant.to_owned(), endpoint.to_owned()))
        }
        _ => None,
    }
}

pub(crate) fn handle(sim: &Sim, tenant: &str, endpoint: &str, req: &SimRequest) -> SimResponse {
    match (req.method(), endpoint) {
        (&Method::GET, "authorize") => {
            let params = pairs(req.uri().query().unwrap_or_default().as_bytes());
            authorize(sim, tenant, &params, req, false)
        }
        (&Method::POST, "authorize") => {
            let params = pairs(req.body());
            authorize(sim, tenant, &params, req, true)
        }
        (&Method::POST, "token") => token(sim, tenant, req),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

impl Sim {
    fn ms_app(&self, client_id: &str) -> Option<(MsApp, MsRegistration)> {
        let app = self
            .config()
            .ms_apps
            .iter()
            .find(|a| a.client_id == client_id)?
            .clone();
        let registration = self
            .state()
            .ms
            .registrations
            .get(client_id)
            .copied()
            .unwrap_or(app.registration);
        Some((app, registration))
    }

    /// Moves a Microsoft app's redirect URIs to another platform (Entra admin center →
    /// Authentication), as an admin would.
    pub fn set_ms_registration(&self, client_id: &str, registration: MsRegistration) {
        self.state()
            .ms
            .registrations
            .insert(client_id.to_owned(), registration);
    }

    /// Ends every Microsoft session of `username` (all users when `None`), as signing out of
    /// Microsoft in the browser or a session timeout does. Refresh tokens are not affected.
    pub fn sign_out_microsoft(&self, username: Option<&str>) {
        let user = username.and_then(|u| self.user_index_pub(u));
        self.state()
            .ms
            .sessions
            .retain(|_, s| user.is_some_and(|u| s.user != u));
    }

    /// Withdraws `username`'s consent to every Microsoft app.
    pub fn revoke_ms_consent(&self, username: &str) -> bool {
        let Some(user) = self.user_index_pub(username) else {
            return false;
        };
        self.state().ms.consents.retain(|(u, _)| *u != user);
        true
    }

    pub(crate) fn ms_revoke_user(&self, user: usize) {
        let now = self.now();
        let mut state = self.state();
        state.ms.revoked_before.insert(user, now);
        state.ms.sessions.retain(|_, s| s.user != user);
        state.ms.access.retain(|_, a| a.user != user);
    }

    pub(crate) fn ms_set_disabled(&self, user: usize, disabled: bool) {
        let mut state = self.state();
        if disabled {
            state.ms.disabled.insert(user);
        } else {
            state.ms.disabled.remove(&user);
        }
    }

    fn user_index_pub(&self, username: &str) -> Option<usize> {
        self.config()
            .users
            .iter()
            .position(|u| u.username.eq_ignore_ascii_case(username))
    }

    /// Whether `token` is a live Microsoft refresh token.
    pub fn ms_refresh_token_is_live(&self, token: &str) -> bool {
        self.state().ms.refresh.contains_key(token)
    }

    pub(crate) fn ms_issued_tokens(&self) -> Vec<String> {
        let state = self.state();
        state
            .ms
            .refresh
            .keys()
            .chain(state.ms.access.keys())
            .cloned()
            .collect()
    }

    /// Expires every Microsoft access token now.
    pub fn expire_ms_access_tokens(&self) {
        let now = self.now();
        for a in self.state().ms.access.values_mut() {
            a.expires_at = now;
        }
    }

    /// Ends user `user`'s Microsoft access tokens now.
    pub(crate) fn expire_ms_access_tokens_of(&self, user: usize) {
        let now = self.now();
        for a in self
            .state()
            .ms
            .access
            .values_mut()
            .filter(|a| a.user == user)
        {
            a.expires_at = now;
        }
    }
}

/// A trace and a correlation id, as GUIDs.
fn ids(sim: &Sim) -> (String, String) {
    let guid = |h: String| {
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    };
    (guid(sim.mint("")), guid(sim.mint("")))
}

/// Microsoft's timestamp, `2026-11-29 17:50:00Z`: RFC 3339 with a space for the `T`.
fn timestamp(sim: &Sim) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(sim.now().max(0).unsigned_abs());
    humantime::format_rfc3339_seconds(at)
        .to_string()
        .replacen('T', " ", 1)
}

/// An error body in Microsoft's shape ("Microsoft identity platform error codes", "Error
/// response"): `error`, an `error_description` that starts with the AADSTS code and ends with
/// the trace, correlation and timestamp lines after `\r\n`, `error_codes`, `timestamp`,
/// `trace_id`, `correlation_id`, `error_uri`.
fn aad_error(sim: &Sim, status: StatusCode, error: &str, code: u32, message: &str) -> SimResponse {
    let (trace, correlation) = ids(sim);
    let at = timestamp(sim);
    json(
        status,
        &json!({
            "error": error,
            "error_description": aad_description(code, message, &trace, &correlation, &at),
            "error_codes": [code],
            "timestamp": at,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// `invalid_grant` with its AADSTS code, as most token endpoint refusals are.
fn invalid_grant(sim: &Sim, code: u32, message: &str) -> SimResponse {
    aad_error(sim, StatusCode::BAD_REQUEST, "invalid_grant", code, message)
}

fn aad_description(code: u32, message: &str, trace: &str, correlation: &str, at: &str) -> String {
    format!(
        "AADSTS{code}: {message}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {at}"
    )
}

fn back(redirect_uri: &str, state: Option<&str>, pairs: &[(&str, &str)]) -> SimResponse {
    let mut url = Url::parse(redirect_uri).expect("registered redirect URIs are URLs");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    redirect(url.as_str())
}

fn back_error(
    sim: &Sim,
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    code: u32,
    message: &str,
) -> SimResponse {
    let (trace, correlation) = ids(sim);
    let description = aad_description(code, message, &trace, &correlation, &timestamp(sim));
    back(
        redirect_uri,
        state,
        &[("error", error), ("error_description", &description)],
    )
}

fn session(sim: &Sim, req: &SimRequest) -> Option<Session> {
    let cookies = req.headers().get(header::COOKIE)?.to_str().ok()?;
    let value = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)?
        .1;
    let now = sim.now();
    let state = sim.state();
    state
        .ms
        .sessions
        .get(value)
        .filter(|s| s.expires_at > now && !state.ms.disabled.contains(&s.user))
        .cloned()
}

fn authorize(
    sim: &Sim,
    tenant: &str,
    params: &[(String, String)],
    req: &SimRequest,
    submitted: bool,
) -> SimResponse {
    let client_id = one(params, "client_id").unwrap_or_default();
    let Some((app, _)) = sim.ms_app(client_id) else {
        return page(
            StatusCode::BAD_REQUEST,
            html::error_page(
                PRODUCT,
                "unauthorized_client",
                &format!(
                    "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'."
                ),
            ),
        );
    };
    let redirect_uri = one(params, "redirect_uri").unwrap_or_default().to_owned();
    if !app.redirect_uris.contains(&redirect_uri) {
        return page(
            StatusCode::BAD_REQUEST,
            html::error_page(
                PRODUCT,
                "invalid_request",
                &format!(
                    "AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'."
                ),
            ),
        );
    }
    let state = one(params, "state").map(str::to_owned);
    let state = state.as_deref();
    if one(params, "response_type") != Some("code") {
        return back_error(
            sim,
            &redirect_uri,
            state,
            "unsupported_response_type",
            700054,
            "response_type 'code' is required.",
        );
    }
    let challenge = one(params, "code_challenge").unwrap_or_default();
    if challenge.len() < 43 || one(params, "code_challenge_method") != Some("S256") {
        return back_error(
            sim,
            &redirect_uri,
            state,
            "invalid_request",
            9002325,
            "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
        );
    }
    let scope = one(params, "scope").unwrap_or_default().to_owned();
    let prompt = one(params, "prompt").unwrap_or_default();
    let hint = one(params, "login_hint").unwrap_or_default();
    let current = session(sim, req);

    let signed_in: Option<(Session, Option<String>)> = if submitted {
        if one(params, "consent") == Some("accept") {
            current.clone().map(|s| (s, None))
        } else {
            let username = one(params, "username").unwrap_or_default();
            let password = one(params, "pw").unwrap_or_default();
            let found =
                sim.config().users.iter().position(|u| {
                    u.username.eq_ignore_ascii_case(username) && u.password == password
                });
            match found {
                Some(user) if sim.state().ms.disabled.contains(&user) => {
                    return login_page(
                        params,
                        Some(
                            "Your account has been locked. Contact your support person to unlock it, then try again.",
                        ),
                        username,
                    );
                }
                Some(user) if !tenant_accepts(sim, tenant, user) => {
                    return login_page(
                        params,
                        Some("This account does not exist in the tenant the app signs in to."),
                        username,
                    );
                }
                Some(user) => {
                    // The person passes whatever verification is asked at an interactive
                    // sign-in: while the MFA policy is on, the new session satisfies it.
                    let cookie = sim.mint("sess");
                    let mfa = sim.state().faults.mfa_required;
                    let s = Session {
                        user,
                        expires_at: sim.now() + sim.config().ms_session_ttl_ms,
                        mfa,
                    };
                    sim.state().ms.sessions.insert(cookie.clone(), s.clone());
                    Some((s, Some(cookie)))
                }
                None => return login_page(params, Some(BAD_LOGIN), username),
            }
        }
    } else {
        None
    };

    let (session, set_cookie) = match signed_in {
        Some(found) => found,
        None => {
            if prompt == "none" {
                sim.state().counters.silent_authorizations += 1;
            }
            let reusable = current.filter(|s| {
                !matches!(prompt, "login" | "select_account")
                    && (hint.is_empty()
                        || sim.config().users[s.user]
                            .username
                            .eq_ignore_ascii_case(hint))
                    && tenant_accepts(sim, tenant, s.user)
            });
            match (reusable, prompt) {
                (Some(s), _) => (s, None),
                (None, "none") => {
                    return back_error(
                        sim,
                        &redirect_uri,
                        state,
                        "login_required",
                        50058,
                        "A silent sign-in request was sent but no user is signed in.",
                    );
                }
                (None, _) => return login_page(params, None, hint),
            }
        }
    };
    let mfa_required = sim.state().faults.mfa_required;
    if mfa_required && !session.mfa {
        if prompt == "none" {
            return back_error(
                sim,
                &redirect_uri,
                state,
                "interaction_required",
                50076,
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
            );
        }
        return login_page(params, None, &sim.config().users[session.user].username);
    }
    let consented = {
        let mut st = sim.state();
        if one(params, "consent") == Some("accept") {
            st.ms.consents.insert((session.user, client_id.to_owned()));
        }
        st.ms
            .consents
            .contains(&(session.user, client_id.to_owned()))
    };
    if !consented {
        if prompt == "none" {
            return back_error(
                sim,
                &redirect_uri,
                state,
                "consent_required",
                65001,
                &format!(
                    "The user or administrator has not consented to use the application with ID '{client_id}' named 'Tokenwatch'. Send an interactive authorization request for this user and resource."
                ),
            );
        }
        return with_cookie(consent_page(params, &scope), set_cookie.as_deref());
    }
    let fault = sim.state().faults.aadsts;
    if let Some((code, message)) =
        fault.and_then(|c| at_authorize(c, &sim.config().users[session.user].username))
    {
        return back_error(sim, &redirect_uri, state, "access_denied", code, &message);
    }
    let code = sim.mint("0.AXsA");
    sim.state().ms.codes.insert(
        code.clone(),
        Code {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.clone(),
            challenge: challenge.to_owned(),
            user: session.user,
            nonce: one(params, "nonce").map(str::to_owned),
            scope,
            expires_at: sim.now() + CODE_TTL_MS,
            mfa: session.mfa,
        },
    );
    let state = if sim.state().faults.tamper_state {
        Some("tampered-by-simulator")
    } else {
        state
    };
    with_cookie(
        back(
            &redirect_uri,
            state,
            &[("code", &code), ("session_state", "sim")],
        ),
        set_cookie.as_deref(),
    )
}

/// The refusals Microsoft gives at the authorize redirect rather than the token endpoint, with
/// their words ("Microsoft identity platform error codes").
fn at_authorize(code: u32, username: &str) -> Option<(u32, String)> {
    Some((
        code,
        match code {
            65004 => "User declined to consent to access the app.".to_owned(),
            50105 => "Your administrator has configured the application Tokenwatch to block users unless they are specifically granted ('assigned') access to the application.".into(),
            90072 => format!("User account '{username}' from identity provider 'live.com' does not exist in tenant and cannot access the application. The account needs to be added as an external user in the tenant first."),
            50020 => format!("User account '{username}' from identity provider 'https://sts.windows.net/' does not exist in tenant and cannot access the application. The account needs to be added as an external user in the tenant first."),
            _ => return None,
        },
    ))
}

/// The refusals Microsoft gives at the token endpoint: status, `error` class and words.
fn at_token(code: u32) -> Option<(StatusCode, &'static str, &'static str)> {
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    Some(match code {
        50055 => (BAD, "invalid_grant", "The password is expired."),
        70043 => (
            BAD,
            "invalid_grant",
            "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.",
        ),
        500011 => (
            BAD,
            "invalid_resource",
            "The resource principal named https://outlook.office365.com was not found in the tenant.",
        ),
        7000112 => (BAD, "unauthorized_client", "Application is disabled."),
        530003 => (
            BAD,
            "interaction_required",
            "Your device is required to be managed to access this resource.",
        ),
        7000218 => (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ),
        50133 => (
            BAD,
            "invalid_grant",
            "Session is invalid due to expiration or recent password change.",
        ),
        50089 => (
            BAD,
            "invalid_grant",
            "Authentication failed due to flow token expired.",
        ),
        53000 => (
            BAD,
            "interaction_required",
            "Device is not in required device state: compliant. Conditional Access policy requires a compliant device, and the device is not compliant.",
        ),
        50097 => (
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "Device authentication is required.",
        ),
        // DelegationDoesNotExist: the consent a refresh token was issued under was withdrawn;
        // only an interactive request helps. Microsoft lists it for a token request to a
        // resource nobody consented to ("Troubleshoot consent issues in Microsoft Entra ID",
        // learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/troubleshoot-consent-issues;
        // "Microsoft identity platform error codes", learn.microsoft.com/entra/identity-platform/
        // reference-error-codes), answered at the token endpoint as `invalid_grant`, 400, as the
        // consent check in `refresh_grant` below answers it.
        65001 => (
            BAD,
            "invalid_grant",
            "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.",
        ),
        _ => return None,
    })
}

fn tenant_accepts(sim: &Sim, tenant: &str, user: usize) -> bool {
    match tenant {
        "common" | "organizations" => true,
        // Personal accounts live in Microsoft's own consumer tenant.
        "consumers" => sim.config().users[user].tenant_id == "9188040d-6c67-4c5b-b112-36a304b66dad",
        t => {
            let u = &sim.config().users[user];
            u.tenant_id.eq_ignore_ascii_case(t)
                || u.username
                    .rsplit('@')
                    .next()
                    .is_some_and(|d| d.eq_ignore_ascii_case(t))
        }
    }
}

fn with_cookie(mut response: SimResponse, cookie: Option<&str>) -> SimResponse {
    if let Some(c) = cookie {
        if let Ok(v) = format!("{COOKIE}={c}; Path=/; HttpOnly; SameSite=Lax").parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

fn request_fields(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "username" | "pw" | "consent"))
        .cloned()
        .collect()
}

fn login_page(params: &[(String, String)], error: Option<&str>, username: &str) -> SimResponse {
    page(
        StatusCode::OK,
        html::login(PRODUCT, &request_fields(params), error, username),
    )
}

fn consent_page(params: &[(String, String)], scope: &str) -> SimResponse {
    page(
        StatusCode::OK,
        html::consent(PRODUCT, &request_fields(params), scope),
    )
}

fn token(sim: &Sim, tenant: &str, req: &SimRequest) -> SimResponse {
    if let Some(r) = crate::salesforce::token_fault(sim) {
        return r;
    }
    let params = pairs(req.body());
    let client_id = one(&params, "client_id").unwrap_or_default();
    let Some((_, registration)) = sim.ms_app(client_id) else {
        return aad_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    };
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok());
    let fault = sim.state().faults.aadsts;
    if let Some((code, (status, error, message))) = fault.and_then(|c| Some((c, at_token(c)?))) {
        return aad_error(sim, status, error, code, message);
    }
    match (registration, origin) {
        (MsRegistration::Web, _) if one(&params, "client_secret").is_none() => {
            return aad_error(
                sim,
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            );
        }
        (MsRegistration::Spa, None) => {
            return aad_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                9002327,
                "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
            );
        }
        (MsRegistration::PublicClient, Some(o)) => {
            return aad_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                9002326,
                &format!(
                    "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '{o}'."
                ),
            );
        }
        _ => {}
    }
    match one(&params, "grant_type") {
        Some("authorization_code") => code_grant(sim, tenant, &params, registration),
        Some("refresh_token") => refresh_grant(sim, tenant, &params),
        _ => aad_error(
            sim,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ),
    }
}

fn code_grant(
    sim: &Sim,
    tenant: &str,
    params: &[(String, String)],
    registration: MsRegistration,
) -> SimResponse {
    sim.state().counters.code_exchanges += 1;
    let code = one(params, "code").unwrap_or_default();
    let now = sim.now();
    let found = sim.state().ms.codes.remove(code);
    let Some(grant) = found.filter(|g| g.expires_at > now) else {
        return invalid_grant(
            sim,
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        );
    };
    if one(params, "client_id") != Some(grant.client_id.as_str()) {
        return invalid_grant(
            sim,
            70000,
            "The provided value for the 'code' parameter is not valid.",
        );
    }
    if one(params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return invalid_grant(
            sim,
            70000,
            "The provided value for the 'redirect_uri' parameter is not valid.",
        );
    }
    let verifier = one(params, "code_verifier").unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return invalid_grant(
            sim,
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    let withheld = sim.state().faults.grant_without.clone();
    let granted = grant
        .scope
        .split(' ')
        .filter(|s| !s.is_empty() && Some(*s) != withheld.as_deref())
        .collect::<Vec<_>>()
        .join(" ");
    let grant = Code {
        scope: granted,
        ..grant
    };
    let refresh = grant
        .scope
        .split(' ')
        .any(|s| s == "offline_access")
        .then(|| {
            let token = sim.mint("1.AXsA");
            sim.state().ms.refresh.insert(
                token.clone(),
                Grant {
                    user: grant.user,
                    client_id: grant.client_id.clone(),
                    scope: grant.scope.clone(),
                    auth_time: now,
                    issued_at: now,
                    spa: registration == MsRegistration::Spa,
                    mfa: grant.mfa,
                },
            );
            token
        });
    issue(
        sim,
        tenant,
        grant.user,
        &grant.client_id,
        &grant.scope,
        refresh,
        grant.nonce.as_deref(),
    )
}

fn refresh_grant(sim: &Sim, tenant: &str, params: &[(String, String)]) -> SimResponse {
    sim.state().counters.refreshes += 1;
    let token = one(params, "refresh_token").unwrap_or_default();
    let now = sim.now();
    let Some(grant) = sim.state().ms.refresh.get(token).cloned() else {
        return invalid_grant(
            sim,
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if one(params, "client_id") != Some(grant.client_id.as_str()) {
        return invalid_grant(
            sim,
            700003,
            "Device object was not found in the tenant directory.",
        );
    }
    let (revoked, disabled, consented, mfa_required) = {
        let st = sim.state();
        (
            st.ms
                .revoked_before
                .get(&grant.user)
                .is_some_and(|at| grant.auth_time <= *at),
            st.ms.disabled.contains(&grant.user),
            st.ms
                .consents
                .contains(&(grant.user, grant.client_id.clone())),
            st.faults.mfa_required,
        )
    };
    if disabled {
        return invalid_grant(sim, 50057, "The user account is disabled.");
    }
    if revoked {
        return invalid_grant(
            sim,
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
        );
    }
    if grant.spa && now - grant.auth_time >= SPA_LIFETIME_MS {
        return invalid_grant(
            sim,
            700084,
            "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which can't be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page.",
        );
    }
    if !grant.spa && now - grant.issued_at >= IDLE_LIFETIME_MS {
        return invalid_grant(
            sim,
            700082,
            "The refresh token has expired due to inactivity. The token was issued on a date and was inactive for 90.00:00:00.",
        );
    }
    if !consented {
        return invalid_grant(
            sim,
            65001,
            &format!(
                "The user or administrator has not consented to use the application with ID '{}' named 'Tokenwatch'. Send an interactive authorization request for this user and resource.",
                grant.client_id
            ),
        );
    }
    // RFC 6749 §6: a refresh may not ask for a scope the grant does not hold. Microsoft is more
    // lenient; while a scope is withheld the simulator is the strict server the RFC describes.
    if sim.state().faults.grant_without.is_some() {
        let held: Vec<&str> = grant.scope.split(' ').collect();
        let asked = one(params, "scope").unwrap_or_default();
        if let Some(extra) = asked
            .split(' ')
            .find(|s| !s.is_empty() && !held.iter().any(|h| h.eq_ignore_ascii_case(s)))
        {
            return aad_error(
                sim,
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                70011,
                &format!(
                    "The provided value for the input parameter 'scope' isn't valid. The scope {extra} isn't valid."
                ),
            );
        }
    }
    if mfa_required && !grant.mfa {
        return invalid_grant(
            sim,
            50076,
            "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000002-0000-0ff1-ce00-000000000000'.",
        );
    }
    // Rotation: a new refresh token each time, carrying the sign-in time over; the old one
    // is not revoked.
    let next = sim.mint("1.AXsA");
    sim.state().ms.refresh.insert(
        next.clone(),
        Grant {
            issued_at: now,
            ..grant.clone()
        },
    );
    issue(
        sim,
        tenant,
        grant.user,
        &grant.client_id,
        &grant.scope,
        Some(next),
        None,
    )
}

fn issue(
    sim: &Sim,
    tenant: &str,
    user: usize,
    client_id: &str,
    scope: &str,
    refresh: Option<String>,
    nonce: Option<&str>,
) -> SimResponse {
    let _ = tenant;
    let ttl_s = sim.config().ms_access_ttl_ms / 1000;
    let access = sim.mint("eyJ0eXAiOiJKV1QiLCJub25jZSI6");
    sim.state().ms.access.insert(
        access.clone(),
        Access {
            user,
            scope: scope.to_owned(),
            expires_at: sim.now() + sim.config().ms_access_ttl_ms,
        },
    );
    // `scope`: what the token holds; `offline_access` is not listed (v2-oauth2-auth-code-flow).
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope.split(' ').filter(|s| !s.is_empty() && *s != "offline_access").collect::<Vec<_>>().join(" "),
        "expires_in": ttl_s,
        "ext_expires_in": ttl_s,
        "access_token": access,
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    if scope.split(' ').any(|s| s == "openid") {
        body["id_token"] = json!(id_token(sim, user, client_id, nonce));
    }
    json(StatusCode::OK, &body)
}

fn id_token(sim: &Sim, user: usize, client_id: &str, nonce: Option<&str>) -> String {
    let person = &sim.config().users[user];
    let fault = sim.state().faults.id_token;
    let now_s = sim.now() / 1000;
    let alg = if fault == Some(IdTokenFault::AlgNone) {
        "none"
    } else {
        "RS256"
    };
    let header = json!({"typ": "JWT", "alg": alg, "kid": "sim-key-1"});
    let issuer_host = if fault == Some(IdTokenFault::WrongIssuer) {
        "https://login.evil.example".to_owned()
    } else {
        sim.base_url()
    };
    let mut claims = json!({
        "aud": if fault == Some(IdTokenFault::WrongAudience) { "00000000-0000-0000-0000-000000000bad" } else { client_id },
        "iss": format!("{issuer_host}/{}/v2.0", person.tenant_id),
        "iat": now_s,
        "nbf": now_s,
        "exp": now_s + 3600,
        "name": person.name,
        "oid": person.object_id,
        "preferred_username": person.username,
        "sub": URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{}{client_id}", person.object_id))),
        "tid": person.tenant_id,
        "ver": "2.0",
    });
    match (nonce, fault) {
        (Some(_), Some(IdTokenFault::WrongNonce)) => {
            claims["nonce"] = json!("not-the-requested-nonce")
        }
        (Some(n), _) => claims["nonce"] = json!(n),
        (None, _) => {}
    }
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = if alg == "none" {
        String::new()
    } else {
        URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{head}.{body}")))
    };
    format!("{head}.{body}.{signature}")
}

/// Microsoft Graph `/v1.0/me` and the EWS endpoint, for the connection's check.
pub(crate) fn resource(sim: &Sim, path: &str, req: &SimRequest) -> SimResponse {
    let now = sim.now();
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let holder = token.and_then(|t| {
        sim.state()
            .ms
            .access
            .get(t)
            .filter(|a| a.expires_at > now)
            .cloned()
    });
    if path == "/v1.0/me" {
        sim.state().counters.graph_me += 1;
        graph_me(sim, holder)
    } else {
        sim.state().counters.ews += 1;
        ews(sim, req, holder)
    }
}

fn graph_error(status: StatusCode, code: &str, message: &str) -> SimResponse {
    json(
        status,
        &json!({"error": {"code": code, "message": message, "innerError": {
            "date": "2026-11-29T00:00:00", "request-id": "00000000-0000-0000-0000-000000000000",
            "client-request-id": "00000000-0000-0000-0000-000000000000"}}}),
    )
}

fn graph_me(sim: &Sim, holder: Option<Access>) -> SimResponse {
    let faults = sim.state().faults.clone();
    if faults.graph_throttled {
        let mut r = graph_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Please retry again later.",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, http::HeaderValue::from_static("2.128"));
        return r;
    }
    let graph_scope = |scope: &str| {
        scope.split(' ').any(|s| {
            s.eq_ignore_ascii_case("User.Read") || s.to_ascii_lowercase().ends_with("/user.read")
        })
    };
    let Some(holder) = holder.filter(|h| graph_scope(&h.scope)) else {
        let mut r = graph_error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Lifetime validation failed, the token is expired.",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static(
                r#"Bearer realm="", client_id="00000003-0000-0000-c000-000000000000""#,
            ),
        );
        return r;
    };
    if faults.graph_denied {
        return graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        );
    }
    let person = &sim.config().users[holder.user];
    json(
        StatusCode::OK,
        &json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(id,userPrincipalName)/$entity",
            "id": person.object_id,
            "userPrincipalName": person.username,
        }),
    )
}

fn soap(body: &str) -> SimResponse {
    http::Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/xml; charset=utf-8")
        .body(format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{body}</s:Body></s:Envelope>"#
        ).into_bytes())
        .expect("static parts")
}

fn ews(sim: &Sim, req: &SimRequest, holder: Option<Access>) -> SimResponse {
    let faults = sim.state().faults.clone();
    let ews_scope = |scope: &str| {
        scope
            .split(' ')
            .any(|s| s.ends_with("/EWS.AccessAsUser.All"))
    };
    if holder.as_ref().is_none_or(|h| !ews_scope(&h.scope)) {
        return http::Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header(
                header::WWW_AUTHENTICATE,
                r#"Bearer client_id="00000002-0000-0ff1-ce00-000000000000", trusted_issuers="00000001-0000-0000-c000-000000000000@*", token_types="app_asserted_user_v1 service_asserted_app_v1", error="invalid_token""#,
            )
            .header("x-ms-diagnostics", r#"2000002;reason="The token has expired.";error_category="token_expired""#)
            .body(Vec::new())
            .expect("static parts");
    }
    if faults.ews_disabled {
        return http::Response::builder()
            .status(StatusCode::FORBIDDEN)
            .body(Vec::new())
            .expect("static parts");
    }
    if !String::from_utf8_lossy(req.body()).contains("GetFolder") {
        return text(StatusCode::BAD_REQUEST, "only GetFolder is simulated");
    }
    if faults.no_mailbox {
        return soap(
            r#"<m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Error"><m:MessageText>The SMTP address has no mailbox associated with it.</m:MessageText><m:ResponseCode>ErrorNonExistentMailbox</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Folders/></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#,
        );
    }
    soap(
        r#"<m:GetFolderResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><m:ResponseMessages><m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode><m:Folders><t:Folder><t:FolderId Id="AAMkAGInbox" ChangeKey="AQAAAB"/></t:Folder></m:Folders></m:GetFolderResponseMessage></m:ResponseMessages></m:GetFolderResponse>"#,
    )
}
