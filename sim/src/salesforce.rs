//! Salesforce's `/services/oauth2/*` endpoints, in the shapes and with the error strings the
//! real ones use ("OAuth 2.0 Web Server Flow", "OAuth Endpoints", "UserInfo Endpoint").

use crate::form::{one, pairs};
use crate::html;
use crate::{
    AccessGrant, AppFault, CodeGrant, RefreshGrant, RefreshPolicy, Sim, SimRequest, SimResponse,
    TokenFault, json, page, redirect, text,
};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{Method, StatusCode, header};
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

const PRODUCT: &str = "Salesforce";
/// Authorization codes live 15 minutes at Salesforce.
const CODE_TTL_MS: i64 = 15 * 60 * 1000;
const BAD_LOGIN: &str = "Please check your username and password. If you still can't log in, contact your Salesforce administrator.";

pub(crate) fn handle(sim: &Sim, endpoint: &str, req: &SimRequest) -> SimResponse {
    match (req.method(), endpoint) {
        (&Method::GET, "authorize") => authorize_form(sim, req),
        (&Method::POST, "authorize") => authorize_submit(sim, req),
        (&Method::POST, "token") => token(sim, req),
        (&Method::GET, "userinfo") => userinfo(sim, req),
        (&Method::POST, "revoke") => revoke(sim, req),
        _ => text(StatusCode::NOT_FOUND, "not found"),
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> SimResponse {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// The authorization request's parameters, checked as Salesforce checks them. Problems that make
/// the redirect untrustworthy (unknown app, unregistered callback) are shown as a page; the rest
/// go back to the app as `error=…`.
enum Checked {
    Ok {
        redirect_uri: String,
        state: Option<String>,
        challenge: String,
        scope: String,
        client_id: String,
    },
    Page(SimResponse),
}

fn check_request(sim: &Sim, params: &[(String, String)]) -> Checked {
    let client_id = one(params, "client_id").unwrap_or_default();
    let Some(app) = sim.config().apps.iter().find(|a| a.client_id == client_id) else {
        return Checked::Page(page(
            StatusCode::BAD_REQUEST,
            html::error_page(PRODUCT, "invalid_client_id", "client identifier invalid"),
        ));
    };
    let redirect_uri = one(params, "redirect_uri").unwrap_or_default();
    if !app.callbacks.iter().any(|c| c == redirect_uri) {
        return Checked::Page(page(
            StatusCode::BAD_REQUEST,
            html::error_page(
                PRODUCT,
                "redirect_uri_mismatch",
                "redirect_uri must match configuration",
            ),
        ));
    }
    let state = one(params, "state").map(str::to_owned);
    let back = |error: &str, description: &str| {
        Checked::Page(redirect(&callback(
            redirect_uri,
            &[("error", error), ("error_description", description)],
            state.as_deref(),
        )))
    };
    if one(params, "response_type") != Some("code") {
        return back("unsupported_response_type", "response type not supported");
    }
    let challenge = one(params, "code_challenge").unwrap_or_default();
    if challenge.len() < 43 || one(params, "code_challenge_method").unwrap_or("S256") != "S256" {
        return back("invalid_request", "missing required code challenge");
    }
    Checked::Ok {
        redirect_uri: redirect_uri.to_owned(),
        state,
        challenge: challenge.to_owned(),
        scope: one(params, "scope").unwrap_or("api").to_owned(),
        client_id: client_id.to_owned(),
    }
}

fn callback(redirect_uri: &str, params: &[(&str, &str)], state: Option<&str>) -> String {
    let mut url = Url::parse(redirect_uri).expect("registered callbacks are URLs");
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
    }
    url.into()
}

fn authorize_form(sim: &Sim, req: &SimRequest) -> SimResponse {
    let params = pairs(req.uri().query().unwrap_or_default().as_bytes());
    match check_request(sim, &params) {
        Checked::Page(p) => p,
        Checked::Ok { .. } => {
            let hint = one(&params, "login_hint").unwrap_or_default();
            page(
                StatusCode::OK,
                html::login(PRODUCT, &without_credentials(&params), None, hint),
            )
        }
    }
}

fn without_credentials(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, _)| k != "username" && k != "pw")
        .cloned()
        .collect()
}

fn authorize_submit(sim: &Sim, req: &SimRequest) -> SimResponse {
    let params = pairs(req.body());
    let (redirect_uri, state, challenge, scope, client_id) = match check_request(sim, &params) {
        Checked::Page(p) => return p,
        Checked::Ok {
            redirect_uri,
            state,
            challenge,
            scope,
            client_id,
        } => (redirect_uri, state, challenge, scope, client_id),
    };
    let username = one(&params, "username").unwrap_or_default();
    let password = one(&params, "pw").unwrap_or_default();
    let Some(user) = sim
        .config()
        .users
        .iter()
        .position(|u| u.username == username && u.password == password)
    else {
        return page(
            StatusCode::OK,
            html::login(
                PRODUCT,
                &without_credentials(&params),
                Some(BAD_LOGIN),
                username,
            ),
        );
    };
    if sim.state().inactive_users.contains(&user) {
        let frozen =
            "Your account has been frozen or deactivated. Contact your Salesforce administrator.";
        return page(
            StatusCode::OK,
            html::login(
                PRODUCT,
                &without_credentials(&params),
                Some(frozen),
                username,
            ),
        );
    }
    let app_fault = sim.state().faults.app;
    match app_fault {
        Some(AppFault::Blocked) => {
            let to = callback(
                &redirect_uri,
                &[
                    ("error", "OAUTH_APP_BLOCKED"),
                    ("error_description", "this app is blocked by admin"),
                ],
                state.as_deref(),
            );
            return redirect(&to);
        }
        Some(AppFault::NotInstalled) => {
            let to = callback(
                &redirect_uri,
                &[
                    ("error", "invalid_client"),
                    ("error_description", "app must be installed into org"),
                ],
                state.as_deref(),
            );
            return redirect(&to);
        }
        Some(AppFault::NotAdminApproved) | None => {}
    }
    let code = sim.mint("aPrx");
    let expires_at = sim.now() + CODE_TTL_MS;
    let tamper = {
        let mut state = sim.state();
        state.codes.insert(
            code.clone(),
            CodeGrant {
                client_id,
                redirect_uri: redirect_uri.clone(),
                challenge,
                user,
                scope,
                expires_at,
            },
        );
        state.faults.tamper_state
    };
    let state = if tamper {
        Some("tampered-by-simulator".to_owned())
    } else {
        state
    };
    redirect(&callback(
        &redirect_uri,
        &[("code", &code)],
        state.as_deref(),
    ))
}

/// The scripted token endpoint failure, if one is on (shared with the Microsoft endpoints).
pub(crate) fn token_fault(sim: &Sim) -> Option<SimResponse> {
    let fault = sim.state().faults.token;
    Some(match fault? {
        TokenFault::HtmlPage => page(StatusCode::OK, html::outage()),
        TokenFault::NotJson => http::Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(b"access_token=not-json&this=is-not-json".to_vec())
            .expect("static parts"),
        TokenFault::Outage => page(StatusCode::SERVICE_UNAVAILABLE, html::outage()),
        TokenFault::RateLimited => http::Response::builder()
            .status(StatusCode::TOO_MANY_REQUESTS)
            .header(header::RETRY_AFTER, "120")
            .header(header::CONTENT_TYPE, "text/html")
            .body(b"<html><body>Too Many Requests</body></html>".to_vec())
            .expect("static parts"),
        TokenFault::ServerError => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unknown_error",
            "retry your request",
        ),
        TokenFault::Redirect => redirect(&format!("{}/stolen-token", sim.base_url())),
        TokenFault::Huge => {
            let mut body = b"{\"access_token\":\"".to_vec();
            body.resize(10 * 1024 * 1024, b'a');
            body.extend_from_slice(b"\"}");
            http::Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(body)
                .expect("static parts")
        }
    })
}

fn token(sim: &Sim, req: &SimRequest) -> SimResponse {
    if let Some(r) = token_fault(sim) {
        return r;
    }
    let params = pairs(req.body());
    match one(&params, "grant_type") {
        Some("authorization_code") => code_grant(sim, &params),
        Some("refresh_token") => refresh_grant(sim, &params),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type not supported",
        ),
    }
}

fn code_grant(sim: &Sim, params: &[(String, String)]) -> SimResponse {
    sim.state().counters.code_exchanges += 1;
    let code = one(params, "code").unwrap_or_default();
    let Some(grant) = sim.state().codes.remove(code) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "invalid authorization code",
        );
    };
    if grant.expires_at <= sim.now() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "invalid authorization code",
        );
    }
    if one(params, "client_id") != Some(grant.client_id.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    }
    if one(params, "redirect_uri") != Some(grant.redirect_uri.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        );
    }
    let verifier = one(params, "code_verifier").unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != grant.challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "invalid code verifier",
        );
    }
    let wants_refresh = grant.scope.split(' ').any(|s| s == "refresh_token");
    let refresh = wants_refresh.then(|| new_approval(sim, &grant));
    issue(sim, grant.user, &grant.scope, refresh.as_deref(), true)
}

/// A new approval and its refresh token. Salesforce keeps at most `approval_cap` (5) approvals
/// per user and app; the next one revokes the oldest.
fn new_approval(sim: &Sim, grant: &CodeGrant) -> String {
    let token = sim.mint("5Aep861");
    let now = sim.now();
    let (_, _, cap) = sim.settings();
    let mut state = sim.state();
    state.minted += 1;
    let approval = state.minted;
    let mut approvals: Vec<u64> = state
        .refresh
        .values()
        .filter(|g| g.user == grant.user && g.client_id == grant.client_id)
        .map(|g| g.approval)
        .collect();
    approvals.sort_unstable();
    approvals.dedup();
    if approvals.len() >= cap {
        let oldest = approvals[0];
        state.refresh.retain(|_, g| g.approval != oldest);
    }
    state.refresh.insert(
        token.clone(),
        RefreshGrant {
            user: grant.user,
            client_id: grant.client_id.clone(),
            scope: grant.scope.clone(),
            issued_at: now,
            last_used: now,
            approval,
            password_changed: false,
        },
    );
    token
}

fn refresh_grant(sim: &Sim, params: &[(String, String)]) -> SimResponse {
    sim.state().counters.refreshes += 1;
    let (faults, now) = (sim.state().faults.clone(), sim.now());
    if faults.ip_restricted {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "ip restricted");
    }
    match faults.app {
        Some(AppFault::Blocked) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "OAUTH_APP_BLOCKED",
                "this app is blocked by admin",
            );
        }
        Some(AppFault::NotInstalled) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client",
                "app must be installed into org",
            );
        }
        Some(AppFault::NotAdminApproved) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_app_access",
                "user is not admin approved to access this app",
            );
        }
        None => {}
    }
    let token = one(params, "refresh_token").unwrap_or_default().to_owned();
    let (rotation, policy, _) = sim.settings();
    let mut state = sim.state();
    let Some(grant) = state.refresh.get(&token) else {
        // Reuse of a rotated-away token is taken as theft: the whole approval is revoked.
        if let Some(approval) = state.rotated.get(&token).copied() {
            state.refresh.retain(|_, g| g.approval != approval);
        }
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "expired access/refresh token",
        );
    };
    if one(params, "client_id") != Some(grant.client_id.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    }
    if grant.password_changed {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "authentication failure",
        );
    }
    if state.inactive_users.contains(&grant.user) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "inactive user");
    }
    let expired = match policy {
        RefreshPolicy::UntilRevoked => false,
        RefreshPolicy::ExpireAfter { ms } => now - grant.issued_at >= ms,
        RefreshPolicy::ExpireIfUnused { ms } => now - grant.last_used >= ms,
        RefreshPolicy::Immediately => true,
    };
    if expired {
        state.refresh.remove(&token);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "expired access/refresh token",
        );
    }
    let (user, scope) = (grant.user, grant.scope.clone());
    if rotation {
        let mut grant = state.refresh.remove(&token).expect("looked up above");
        state.rotated.insert(token.clone(), grant.approval);
        grant.last_used = now;
        drop(state);
        let next = sim.mint("5Aep861");
        sim.state().refresh.insert(next.clone(), grant);
        issue(sim, user, &scope, Some(&next), true)
    } else {
        state
            .refresh
            .get_mut(&token)
            .expect("looked up above")
            .last_used = now;
        drop(state);
        issue(sim, user, &scope, Some(&token), false)
    }
}

/// Mints an access token and answers in Salesforce's shape: no `expires_in`, `issued_at` in
/// milliseconds as a string. A refresh answer carries no `refresh_token` (rotation off).
fn issue(
    sim: &Sim,
    user: usize,
    scope: &str,
    refresh: Option<&str>,
    include_refresh: bool,
) -> SimResponse {
    let person = &sim.config().users[user];
    let now = sim.now();
    let access = format!("{}!{}", &person.org_id[..15], sim.mint("AQ"));
    sim.state().access.insert(
        access.clone(),
        AccessGrant {
            user,
            expires_at: now + sim.config().access_ttl_ms,
            refresh: refresh.map(str::to_owned),
        },
    );
    let base = sim.base_url();
    let id = format!("{base}/id/{}/{}", person.org_id, person.user_id);
    let issued_at = now.to_string();
    let signature = STANDARD.encode(Sha256::digest(format!("{id}{issued_at}")));
    let mut body = json!({
        "access_token": access,
        "signature": signature,
        "scope": scope,
        "instance_url": base,
        "id": id,
        "token_type": "Bearer",
        "issued_at": issued_at,
    });
    if let (true, Some(r)) = (include_refresh, refresh) {
        body["refresh_token"] = json!(r);
    }
    json(StatusCode::OK, &body)
}

fn bearer(req: &SimRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn userinfo(sim: &Sim, req: &SimRequest) -> SimResponse {
    sim.state().counters.userinfo += 1;
    let now = sim.now();
    let user = bearer(req).and_then(|t| {
        let state = sim.state();
        state
            .access
            .get(t)
            .filter(|g| g.expires_at > now)
            .map(|g| g.user)
    });
    let Some(user) = user else {
        return text(StatusCode::UNAUTHORIZED, "Bad_OAuth_Token");
    };
    let p = &sim.config().users[user];
    let base = sim.base_url();
    json(
        StatusCode::OK,
        &json!({
            "sub": format!("{base}/id/{}/{}", p.org_id, p.user_id),
            "user_id": p.user_id,
            "organization_id": p.org_id,
            "preferred_username": p.username,
            "nickname": p.username.split('@').next(),
            "name": p.name,
            "email": p.username,
            "email_verified": true,
            "zoneinfo": "Europe/London",
            "locale": "en_GB",
            "user_type": "STANDARD",
            "active": true,
        }),
    )
}

fn revoke(sim: &Sim, req: &SimRequest) -> SimResponse {
    sim.state().counters.revocations += 1;
    let params = pairs(req.body());
    let token = one(&params, "token").unwrap_or_default().to_owned();
    let mut state = sim.state();
    if state.refresh.remove(&token).is_some() {
        state
            .access
            .retain(|_, g| g.refresh.as_deref() != Some(token.as_str()));
        return text(StatusCode::OK, "");
    }
    if state.access.remove(&token).is_some() {
        return text(StatusCode::OK, "");
    }
    drop(state);
    oauth_error(
        StatusCode::BAD_REQUEST,
        "unsupported_token_type",
        "this token type is not supported",
    )
}
