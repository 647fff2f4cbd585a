//! Salesforce's `/services/oauth2/*` endpoints, in the shapes and with the error strings the
//! real ones use ("OAuth 2.0 Web Server Flow", "OAuth Endpoints", "UserInfo Endpoint").

use crate::form::{one, pairs};
use crate::html;
use crate::{
    AccessGrant, CodeGrant, RefreshGrant, Sim, SimRequest, SimResponse, TokenFault, json, page,
    redirect, text,
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

fn token(sim: &Sim, req: &SimRequest) -> SimResponse {
    let fault = sim.state().faults.token;
    match fault {
        Some(TokenFault::HtmlPage) => return page(StatusCode::OK, html::outage()),
        Some(TokenFault::NotJson) => {
            return http::Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(b"access_token=not-json&this=is-not-json".to_vec())
                .expect("static parts");
        }
        Some(TokenFault::Outage) => return page(StatusCode::SERVICE_UNAVAILABLE, html::outage()),
        None => {}
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
    let refresh = grant
        .scope
        .split(' ')
        .any(|s| s == "refresh_token")
        .then(|| {
            let r = sim.mint("5Aep861");
            sim.state().refresh.insert(
                r.clone(),
                RefreshGrant {
                    user: grant.user,
                    client_id: grant.client_id.clone(),
                    scope: grant.scope.clone(),
                },
            );
            r
        });
    issue(sim, grant.user, &grant.scope, refresh.as_deref(), true)
}

fn refresh_grant(sim: &Sim, params: &[(String, String)]) -> SimResponse {
    sim.state().counters.refreshes += 1;
    let token = one(params, "refresh_token").unwrap_or_default();
    let found = sim
        .state()
        .refresh
        .get(token)
        .map(|g| (g.user, g.client_id.clone(), g.scope.clone()));
    match found {
        Some((user, client, scope)) if one(params, "client_id") == Some(client.as_str()) => {
            issue(sim, user, &scope, Some(token), false)
        }
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "expired access/refresh token",
        ),
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
