//! Salesforce's `/services/oauth2/*` endpoints, in the shapes and with the error strings the
//! real ones use.
//!
//! Every behaviour cites where it comes from, so the next change at Salesforce is checked
//! against the source, not against memory. Salesforce Help pages are named by their id
//! (`https://help.salesforce.com/s/articleView?id=<id>&type=5`); where Salesforce documents
//! nothing, the observed behaviour is cited from the issue tracker that recorded it, and what
//! is the simulator's own guess says so.
//!
//! | behaviour | source |
//! |---|---|
//! | endpoints, token response without `expires_in`, `issued_at` in ms | `xcloud.remoteaccess_oauth_endpoints.htm`, `xcloud.remoteaccess_oauth_web_server_flow.htm` |
//! | PKCE S256 | RFC 7636; `xcloud.remoteaccess_pkce.htm` |
//! | refresh errors `invalid_grant` + "expired access/refresh token" | `xcloud.remoteaccess_oauth_flow_errors.htm` |
//! | "authentication failure", "inactive user", "user hasn't approved this consumer", "ip restricted" | observed: nango.dev "salesforce-oauth-refresh-token-invalid-grant", restforce#303, salesforce.stackexchange 207685 |
//! | userinfo: 403 `Bad_OAuth_Token` for an expired or invalid token | forcedotcom/SalesforceMobileSDK-iOS#3398 (headers of a real 403), SalesforceMobileSDK-Android#2430, jsforce#736 |
//! | userinfo needs the identity scope (`id`, or its synonyms `profile email address phone`, `openid`, `full`) | `xcloud.remoteaccess_using_openid.htm` ("a connected app with the id scope … can send a GET request with the access token to the identity URL"), `xcloud.remoteaccess_oauth_tokens_scopes.htm`, OpenID Connect Core §5.3 |
//! | a scope outside the app's Selected OAuth Scopes ends on `RemoteAccessErrorPage.apexp?error=invalid_scope` | observed: forcedotcom/mcp-hosted#47 |
//! | uninstalled app: new users end on `RemoteAccessErrorPage.apexp?error=invalid_client&error_description=app must be installed into org` (`OAUTH_APPROVAL_ERROR_GENERIC`), no callback; earlier approvals keep working | KB 005132365 "Prepare for Connected App Usage Restrictions Change"; admin.salesforce.com/blog/2025/get-ready-for-changes-to-connected-app-usage-restrictions; the page as reported by support.movedata.io and nango.dev "fix-salesforce-oauth-approval-error-generic" |
//! | admin-approved users only: `error=OAUTH_APP_ACCESS_DENIED` at authorize, `invalid_app_access` "user is not admin approved to access this app" at the token endpoint | policy: `xcloud.connected_app_manage_oauth.htm`, KB 000212208; strings observed: abisek/salesforce-elf-browser#9, help.cloudingo.com "user-is-not-admin-approved" (JWT flow; the refresh grant's string is not documented) |
//! | blocked app: `OAUTH_APP_BLOCKED` | `xcloud.connected_app_manage_current_sessions.htm` (Block); the string as observed by integrators |
//! | rotation: reuse of a rotated-away token revokes the current refresh token and all its access tokens | KB 005316711 "Force one-time-use Refresh Tokens - (RTR) Refresh Token Rotation" |
//! | refresh token policies | `xcloud.connected_app_manage_oauth.htm` ("Refresh Token Policy") |
//! | apps in more than two customer production orgs: PKCE, rotation, 30-day idle limit | developer.salesforce.com/docs/platform/isvforce/guide/secure-code-ac-eca; `xcloud.connected_app_limit_idle_ttl.htm` |
//! | "Prevent login from https://login.salesforce.com": users must log in at the My Domain | `xcloud.domain_name_setting_login_policy.htm`; KB 000339170 (Login History "Restricted Domain"); the words on the refused form are the simulator's own |
//! | 5 approvals per user and app; the sixth revokes the oldest | KB 000205876 |
//! | revocation endpoint | `xcloud.remoteaccess_revoke_token.htm` |

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
/// Where Salesforce shows an authorization error it will not send back to the app.
pub(crate) const ERROR_PAGE_PATH: &str = "/setup/secur/RemoteAccessErrorPage.apexp";
/// The idle limit Salesforce's partner requirements put on refresh tokens
/// (`xcloud.connected_app_limit_idle_ttl.htm`).
pub const PARTNER_IDLE_LIMIT_MS: i64 = 30 * 86_400 * 1000;
/// The scopes that open the identity service, userinfo included
/// (`xcloud.remoteaccess_oauth_tokens_scopes.htm`: `profile`, `email`, `address` and `phone` are
/// synonyms of `id`; `full` covers every scope; OpenID Connect Core §5.3 for `openid`).
const IDENTITY_SCOPES: [&str; 7] = [
    "id", "profile", "email", "address", "phone", "openid", "full",
];
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
    let apps = sim.current().apps;
    let Some(app) = apps.iter().find(|a| a.client_id == client_id) else {
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
    let scope = one(params, "scope").unwrap_or("api").to_owned();
    if scope.split(' ').any(|s| !s.is_empty() && !allows(app, s)) {
        return Checked::Page(to_error_page(
            sim,
            "invalid_scope",
            "the requested scope is not allowed",
        ));
    }
    Checked::Ok {
        redirect_uri: redirect_uri.to_owned(),
        state,
        challenge: challenge.to_owned(),
        scope,
        client_id: client_id.to_owned(),
    }
}

/// Whether the app's Selected OAuth Scopes cover `scope`: `refresh_token` and `offline_access`
/// are one scope, `full` covers all but that one (`xcloud.remoteaccess_oauth_tokens_scopes.htm`).
fn allows(app: &crate::App, scope: &str) -> bool {
    let has = |s: &str| app.scopes.iter().any(|a| a == s);
    let refresh = ["refresh_token", "offline_access"];
    if refresh.contains(&scope) {
        return refresh.iter().any(|s| has(s));
    }
    has(scope)
        || has("full")
        || (scope != "openid" && IDENTITY_SCOPES[..5].contains(&scope) && has("id"))
}

/// A redirect to Salesforce's own error page: the sign-in window stays there until the person
/// closes it, and the app never hears back.
fn to_error_page(sim: &Sim, error: &str, description: &str) -> SimResponse {
    let mut url =
        Url::parse(&format!("{}{ERROR_PAGE_PATH}", sim.base_url())).expect("the base URL is a URL");
    url.query_pairs_mut()
        .append_pair("error", error)
        .append_pair("error_description", description);
    redirect(url.as_str())
}

/// `RemoteAccessErrorPage.apexp`: what Salesforce shows for an authorization it refuses without
/// calling the app back (the wording as support.movedata.io and nango.dev record it).
pub(crate) fn error_page(req: &SimRequest) -> SimResponse {
    let params = pairs(req.uri().query().unwrap_or_default().as_bytes());
    let error = one(&params, "error").unwrap_or_default();
    let description = one(&params, "error_description").unwrap_or_default();
    // A page like any other (200), so the window shows it and waits for the person.
    page(
        StatusCode::OK,
        html::remote_access_error(PRODUCT, error, description),
    )
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
    if sim.state().faults.my_domain_only {
        // The org turned on "Prevent login from https://login.salesforce.com"
        // (`xcloud.domain_name_setting_login_policy.htm`); Login History records "Restricted
        // Domain" (KB 000339170). The words on the form are the simulator's own.
        let restricted = "You can't log in here: your company requires you to log in at its My Domain login page.";
        return page(
            StatusCode::OK,
            html::login(
                PRODUCT,
                &without_credentials(&params),
                Some(restricted),
                username,
            ),
        );
    }
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
        // Since September 2025 an uninstalled connected app is blocked for users who never
        // approved it; those who did keep using it (KB 005132365). Salesforce shows its error
        // page and does not call the app back.
        Some(AppFault::NotInstalled) if !has_approval(sim, user, &client_id) => {
            return to_error_page(sim, "invalid_client", "app must be installed into org");
        }
        // "Admin approved users are pre-authorized" and this user is not assigned
        // (`xcloud.connected_app_manage_oauth.htm`).
        Some(AppFault::NotAdminApproved) => {
            let to = callback(
                &redirect_uri,
                &[
                    ("error", "OAUTH_APP_ACCESS_DENIED"),
                    (
                        "error_description",
                        "user is not admin approved to access this app",
                    ),
                ],
                state.as_deref(),
            );
            return redirect(&to);
        }
        Some(AppFault::NotInstalled) | None => {}
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

/// Whether `user` holds a live approval (refresh token) of `client_id`.
fn has_approval(sim: &Sim, user: usize, client_id: &str) -> bool {
    sim.state()
        .refresh
        .values()
        .any(|g| g.user == user && g.client_id == client_id)
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
    // A scope the admin withheld is not granted (the token response's `scope` says so).
    let withheld = sim.state().faults.grant_without.clone();
    let grant = CodeGrant {
        scope: grant
            .scope
            .split(' ')
            .filter(|s| !s.is_empty() && Some(*s) != withheld.as_deref())
            .collect::<Vec<_>>()
            .join(" "),
        ..grant
    };
    let wants_refresh = grant
        .scope
        .split(' ')
        .any(|s| s == "refresh_token" || s == "offline_access");
    let refresh = wants_refresh.then(|| new_approval(sim, &grant));
    issue(
        sim,
        grant.user,
        &grant.scope,
        refresh.as_ref().map(|(t, a)| (t.as_str(), *a)),
        true,
    )
}

/// A new approval and its refresh token. Salesforce keeps at most `approval_cap` (5) approvals
/// per user and app; the next one revokes the oldest.
fn new_approval(sim: &Sim, grant: &CodeGrant) -> (String, u64) {
    let token = sim.mint("5Aep861");
    let now = sim.now();
    let cap = sim.current().approval_cap;
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
        state.access.retain(|_, g| g.approval != Some(oldest));
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
    (token, approval)
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
        Some(AppFault::NotAdminApproved) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_app_access",
                "user is not admin approved to access this app",
            );
        }
        // An uninstalled app keeps working for users who approved it before (KB 005132365).
        Some(AppFault::NotInstalled) | None => {}
    }
    let token = one(params, "refresh_token").unwrap_or_default().to_owned();
    let config = sim.current();
    // Apps in many orgs must rotate (secure-code-ac-eca).
    let rotation = config.rotation || config.partner_rules;
    let policy = config.refresh_policy;
    let mut state = sim.state();
    let Some(grant) = state.refresh.get(&token) else {
        // "Any attempted reuse of an invalidated refresh token results in the immediate
        // revocation of the current refresh token and all associated access tokens"
        // (KB 005316711); the answer is the usual `invalid_grant`.
        if let Some(approval) = state.rotated.get(&token).copied() {
            // Counted only for the tests' invariant (a reuse that revoked a live token); the
            // answer stays the one KB 005316711 describes.
            let live = state.refresh.len();
            state.refresh.retain(|_, g| g.approval != approval);
            if state.refresh.len() < live {
                state.counters.rotated_reused += 1;
            }
            state.access.retain(|_, g| g.approval != Some(approval));
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
    let idle = now - grant.last_used;
    let expired = match policy {
        RefreshPolicy::UntilRevoked => false,
        RefreshPolicy::ExpireAfter { ms } => now - grant.issued_at >= ms,
        RefreshPolicy::ExpireIfUnused { ms } => idle >= ms,
        RefreshPolicy::Immediately => true,
    } || (config.partner_rules
        && policy != RefreshPolicy::Immediately
        && idle >= PARTNER_IDLE_LIMIT_MS);
    if expired {
        state.refresh.remove(&token);
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "expired access/refresh token",
        );
    }
    let (user, scope, approval) = (grant.user, grant.scope.clone(), grant.approval);
    if rotation {
        let mut grant = state.refresh.remove(&token).expect("looked up above");
        state.rotated.insert(token.clone(), grant.approval);
        grant.last_used = now;
        drop(state);
        let next = sim.mint("5Aep861");
        sim.state().refresh.insert(next.clone(), grant);
        issue(sim, user, &scope, Some((&next, approval)), true)
    } else {
        state
            .refresh
            .get_mut(&token)
            .expect("looked up above")
            .last_used = now;
        drop(state);
        issue(sim, user, &scope, Some((&token, approval)), false)
    }
}

/// Mints an access token and answers in Salesforce's shape: no `expires_in`, `issued_at` in
/// milliseconds as a string. A refresh answer carries no `refresh_token` (rotation off).
fn issue(
    sim: &Sim,
    user: usize,
    scope: &str,
    refresh: Option<(&str, u64)>,
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
            refresh: refresh.map(|(t, _)| t.to_owned()),
            scope: scope.to_owned(),
            approval: refresh.map(|(_, a)| a),
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
    if let (true, Some((r, _))) = (include_refresh, refresh) {
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

/// `GET /services/oauth2/userinfo`. An expired, revoked or unknown token is a **403** with the
/// plain-text body `Bad_OAuth_Token` (not the 401 of the REST API under `/services/data`): the
/// headers of a real one are in SalesforceMobileSDK-iOS#3398, and Salesforce's own Mobile SDK
/// stopped using this endpoint for its "cheap call" because of it (SalesforceMobileSDK-Android
/// #2430).
fn userinfo(sim: &Sim, req: &SimRequest) -> SimResponse {
    sim.state().counters.userinfo += 1;
    let now = sim.now();
    let grant = bearer(req).and_then(|t| {
        let state = sim.state();
        state
            .access
            .get(t)
            .filter(|g| g.expires_at > now)
            .map(|g| (g.user, g.scope.clone()))
    });
    let Some((user, scope)) = grant else {
        return text(StatusCode::FORBIDDEN, "Bad_OAuth_Token");
    };
    if !scope.split(' ').any(|s| IDENTITY_SCOPES.contains(&s)) {
        // A live token without the identity scope. Salesforce does not document this answer;
        // the status is what a client can rely on, so the body is the simulator's own.
        return text(StatusCode::FORBIDDEN, "Forbidden");
    }
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

/// `POST /services/oauth2/revoke` (`xcloud.remoteaccess_revoke_token.htm`): revoking a refresh
/// token revokes its access tokens too.
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
