//! The Microsoft identity platform's v2.0 endpoints, `/{tenant}/oauth2/v2.0/{authorize,token}`,
//! with the behaviour Tokenwatch depends on: a login form and a consent page, a session cookie
//! (`ESTSAUTH`) that lets `prompt=none` answer without UI while it lives, the `Origin` rule
//! that tells a single-page-app registration from a public client (AADSTS9002326 / 9002327),
//! refresh tokens that live 24 h from the sign-in (single-page app, carried over rotation) or
//! 90 days sliding (public client), and the real `error` / AADSTS strings.

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
        self.state().ms.refresh.keys().cloned().collect()
    }
}

/// An error body in Microsoft's shape: `error`, `error_description` starting with the AADSTS
/// code and ending with trace lines, `error_codes`.
fn aad_error(sim: &Sim, status: StatusCode, error: &str, code: u32, message: &str) -> SimResponse {
    let trace = sim.mint("");
    json(
        status,
        &json!({
            "error": error,
            "error_description": aad_description(sim, code, message, &trace),
            "error_codes": [code],
            "timestamp": sim.now().to_string(),
            "trace_id": trace,
            "correlation_id": trace,
        }),
    )
}

/// `invalid_grant` with its AADSTS code, as most token endpoint refusals are.
fn invalid_grant(sim: &Sim, code: u32, message: &str) -> SimResponse {
    aad_error(sim, StatusCode::BAD_REQUEST, "invalid_grant", code, message)
}

fn aad_description(_sim: &Sim, code: u32, message: &str, trace: &str) -> String {
    format!("AADSTS{code}: {message} Trace ID: {trace} Correlation ID: {trace}")
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
    let trace = sim.mint("");
    let description = aad_description(sim, code, message, &trace);
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

fn tenant_accepts(sim: &Sim, tenant: &str, user: usize) -> bool {
    match tenant {
        "common" | "organizations" => true,
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
    match (registration, origin) {
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
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scope.split(' ').filter(|s| !matches!(*s, "openid" | "profile" | "offline_access")).collect::<Vec<_>>().join(" "),
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
