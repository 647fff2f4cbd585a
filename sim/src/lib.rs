//! A provider simulator that speaks Salesforce's and Microsoft's identity endpoints in their
//! real wire formats.
//!
//! [`Sim::handle`] is a pure request → response function over shared state, so native tests
//! call it in-process on a virtual clock, while [`server::serve`] puts the same function on
//! 127.0.0.1 for the browser tests and the demo. Providers are modules: [`salesforce`] under
//! `/services/oauth2/`, [`microsoft`] under `/{tenant}/oauth2/v2.0/`; the admin API
//! ([`admin`]) scripts faults.

pub mod admin;
pub mod form;
pub mod html;
pub mod microsoft;
pub mod salesforce;
pub mod server;

use http::{Request, Response, StatusCode, header};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A body-carrying request and response, as the simulator sees them.
pub type SimRequest = Request<Vec<u8>>;
/// The simulator's answer.
pub type SimResponse = Response<Vec<u8>>;

/// A registered client application (Salesforce connected app).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct App {
    /// The consumer key.
    pub client_id: String,
    /// Exact callback URLs accepted as `redirect_uri`.
    pub callbacks: Vec<String>,
    /// The app's "Selected OAuth Scopes": an authorization request for any other scope ends on
    /// Salesforce's error page (see [`salesforce`]).
    #[serde(default = "default_app_scopes")]
    pub scopes: Vec<String>,
}

/// The scopes a connected app set up as the README says holds: API access, the identity
/// service (which the userinfo probe needs), OpenID and refresh tokens.
pub fn default_app_scopes() -> Vec<String> {
    ["api", "id", "openid", "refresh_token"]
        .map(str::to_owned)
        .to_vec()
}

/// A person who can sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// Sign-in name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub name: String,
    /// The org (`00D…`, 18 characters).
    pub org_id: String,
    /// The user (`005…`, 18 characters).
    pub user_id: String,
    /// The Microsoft tenant (`tid`, a GUID).
    #[serde(default)]
    pub tenant_id: String,
    /// The Microsoft account (`oid`, a GUID).
    #[serde(default)]
    pub object_id: String,
}

/// How a Microsoft app registration lists its redirect URI, which decides the refresh token's
/// lifetime and whether token requests must carry `Origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MsRegistration {
    /// "Single-page application": cross-origin redemption only; refresh tokens live 24 h from
    /// the sign-in.
    Spa,
    /// "Mobile and desktop applications": no `Origin`; refresh tokens live 90 days sliding.
    PublicClient,
    /// "Web": a confidential client, whose code and refresh token redemption needs a
    /// `client_secret` (AADSTS7000218 without one).
    Web,
}

/// A Microsoft app registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MsApp {
    /// The application (client) id.
    pub client_id: String,
    /// Registered redirect URIs.
    pub redirect_uris: Vec<String>,
    /// The platform the redirect URIs are registered under.
    pub registration: MsRegistration,
}

/// What Microsoft's ID tokens get wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdTokenFault {
    /// `alg: none` and no signature.
    AlgNone,
    /// Another nonce than the request's.
    WrongNonce,
    /// Issued to another client id.
    WrongAudience,
    /// Issued by another host.
    WrongIssuer,
}

/// Faults the admin API can switch on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// How the token endpoint misbehaves.
    pub token: Option<TokenFault>,
    /// Replace `state` in the authorization redirect with another value.
    pub tamper_state: bool,
    /// The connected app's standing in the org.
    pub app: Option<AppFault>,
    /// Requests come from an address outside the org's or app's IP ranges.
    pub ip_restricted: bool,
    /// Every provider endpoint answers 503 with an HTML page (the login page included).
    pub outage: bool,
    /// Microsoft: Conditional Access now demands multi-factor authentication; refresh tokens
    /// and sessions from before it are refused with AADSTS50076 until an interactive sign-in.
    pub mfa_required: bool,
    /// Microsoft: the ID token is wrong in this way.
    pub id_token: Option<IdTokenFault>,
    /// Microsoft: refuse with this AADSTS number where Microsoft gives it (at the authorize
    /// redirect for 65004, 50105, 90072 and 50020; at the token endpoint for the others), in
    /// the `error` class and HTTP status Microsoft uses for it.
    pub aadsts: Option<u32>,
    /// Both providers: this scope is withheld from every grant (an administrator removed it),
    /// and a Microsoft refresh asking for a scope not granted is refused with `invalid_scope`
    /// (RFC 6749 §6; Microsoft itself is more lenient).
    pub grant_without: Option<String>,
    /// Microsoft: Exchange Online blocks EWS for the tenant (403), as it does since 1 October
    /// 2026 unless an administrator allowed it.
    pub ews_disabled: bool,
    /// Microsoft: the signed-in users have no Exchange mailbox.
    pub no_mailbox: bool,
    /// Microsoft Graph throttles: 429 with a fractional `Retry-After`.
    pub graph_throttled: bool,
    /// Microsoft Graph refuses the account (403 `Authorization_RequestDenied`).
    pub graph_denied: bool,
    /// Over HTTP, token requests are answered only after this many milliseconds (at most 30 s);
    /// the request is processed after the wait, as a slow provider would.
    pub token_delay_ms: Option<u64>,
    /// Salesforce: this simulator stands for the shared `login.salesforce.com` (or
    /// `test.salesforce.com`) of orgs that turned on "Prevent login from
    /// https://login.salesforce.com": their users cannot log in here, only at their My Domain.
    pub my_domain_only: bool,
}

/// What an org's admin did to the connected app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppFault {
    /// Blocked in Connected Apps OAuth Usage: authorize answers `error=OAUTH_APP_BLOCKED`.
    Blocked,
    /// Not installed (enforced since September 2025): a user who never approved the app ends on
    /// Salesforce's error page (`error=invalid_client`, "app must be installed into org") and
    /// is never sent back; users who approved it before keep using it.
    NotInstalled,
    /// "Admin approved users are pre-authorized" and this user is not: the authorize redirect
    /// carries `error=OAUTH_APP_ACCESS_DENIED`, a refresh `invalid_app_access`.
    NotAdminApproved,
}

/// The org's refresh token policy for the connected app ("Manage OAuth Access Policies").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum RefreshPolicy {
    /// Valid until revoked (Salesforce's default).
    UntilRevoked,
    /// Expires a fixed time after it was issued.
    ExpireAfter {
        /// Lifetime, ms.
        ms: i64,
    },
    /// Expires when unused for this long (sliding).
    ExpireIfUnused {
        /// Idle limit, ms.
        ms: i64,
    },
    /// Expires at once: the token can never be used.
    Immediately,
}

/// A token endpoint failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenFault {
    /// 200 with an HTML page, as a captive portal or proxy sends.
    HtmlPage,
    /// 200 `application/json` whose body is not JSON.
    NotJson,
    /// 503 with an HTML outage page.
    Outage,
    /// 429 with `Retry-After: 120`.
    RateLimited,
    /// 500 with a JSON error.
    ServerError,
    /// 302 to `/stolen-token` on the simulator (which counts any request that follows it).
    Redirect,
    /// 200 `application/json` with a 10 MB body.
    Huge,
}

/// Settings of a simulator instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Registered apps.
    pub apps: Vec<App>,
    /// People who can sign in.
    pub users: Vec<User>,
    /// Access-token lifetime (the org's session timeout), ms.
    pub access_ttl_ms: i64,
    /// Seed for token generation, so in-process runs are reproducible.
    pub seed: u64,
    /// Refresh token rotation: each refresh returns a new refresh token and invalidates the one
    /// it used.
    pub rotation: bool,
    /// The refresh token policy.
    pub refresh_policy: RefreshPolicy,
    /// Most approvals (refresh tokens) one user may hold for one app; the next revokes the
    /// oldest. Salesforce allows 5.
    pub approval_cap: usize,
    /// Microsoft app registrations.
    #[serde(default)]
    pub ms_apps: Vec<MsApp>,
    /// Microsoft access-token lifetime (`expires_in`), ms.
    #[serde(default = "default_ms_access_ttl")]
    pub ms_access_ttl_ms: i64,
    /// How long a Microsoft session cookie lives ("Stay signed in"), ms.
    #[serde(default = "default_ms_session_ttl")]
    pub ms_session_ttl_ms: i64,
    /// The connected app is used in more than two customer production orgs, so Salesforce's
    /// partner requirements apply: PKCE, refresh token rotation, and a 30-day idle limit on
    /// every refresh token policy but "immediately" (see [`salesforce`]).
    #[serde(default)]
    pub partner_rules: bool,
    /// Web origins the org's CORS allowlist holds ("Enable CORS for OAuth endpoints" on): only
    /// pages on these may call the Salesforce OAuth endpoints from a browser. Microsoft's
    /// endpoints answer every origin.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

fn default_ms_access_ttl() -> i64 {
    75 * 60 * 1000
}

fn default_ms_session_ttl() -> i64 {
    90 * 86_400 * 1000
}

/// The demo's Microsoft app ids: one registered as a single-page application, one as a
/// mobile and desktop app.
pub const MS_SPA_CLIENT_ID: &str = "5b1e0c8a-7d3f-4e2a-9b6c-1f0e2d3c4b5a";
/// See [`MS_SPA_CLIENT_ID`].
pub const MS_PUBLIC_CLIENT_ID: &str = "8c2d1e0f-3a4b-4c5d-8e6f-7a8b9c0d1e2f";

impl Config {
    /// One app with the given callbacks and three people: `ada@acme.example` and
    /// `charles@acme.example` in one org and tenant, `grace@globex.example` in another; the
    /// password is `tokenwatch`. Two Microsoft registrations ([`MS_SPA_CLIENT_ID`],
    /// [`MS_PUBLIC_CLIENT_ID`]) list the same extension's `/microsoft` redirect.
    pub fn demo(client_id: &str, callbacks: Vec<String>) -> Self {
        // The Microsoft registrations list each client's Microsoft redirect beside its
        // Salesforce one (`…/salesforce` → `…/microsoft`, `…/auth/salesforce.html` →
        // `…/auth/microsoft.html`).
        let ms_redirects: Vec<String> = callbacks
            .iter()
            .filter_map(|c| {
                c.rsplit_once('/').map(|(base, last)| {
                    format!("{base}/{}", last.replace("salesforce", "microsoft"))
                })
            })
            .collect();
        // A web page among the clients (the Outlook add-in) is on the org's CORS allowlist.
        let cors_origins = callbacks
            .iter()
            .filter_map(|c| url::Url::parse(c).ok())
            .filter(|u| u.scheme() == "http" || u.scheme() == "https")
            .map(|u| u.origin().ascii_serialization())
            .collect();
        Self {
            ms_apps: vec![
                MsApp {
                    client_id: MS_SPA_CLIENT_ID.into(),
                    redirect_uris: ms_redirects.clone(),
                    registration: MsRegistration::Spa,
                },
                MsApp {
                    client_id: MS_PUBLIC_CLIENT_ID.into(),
                    redirect_uris: ms_redirects,
                    registration: MsRegistration::PublicClient,
                },
            ],
            ms_access_ttl_ms: default_ms_access_ttl(),
            ms_session_ttl_ms: default_ms_session_ttl(),
            cors_origins,
            apps: vec![App {
                client_id: client_id.to_owned(),
                callbacks,
                scopes: default_app_scopes(),
            }],
            users: vec![
                User {
                    username: "ada@acme.example".into(),
                    password: "tokenwatch".into(),
                    name: "Ada Lovelace".into(),
                    org_id: "00D5g000004AcmeEAA".into(),
                    user_id: "0055g000004AdaXEAA".into(),
                    tenant_id: "4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d".into(),
                    object_id: "0ada0ada-1111-4222-8333-444455556666".into(),
                },
                User {
                    username: "grace@globex.example".into(),
                    password: "tokenwatch".into(),
                    name: "Grace Hopper".into(),
                    org_id: "00D5g000004GlobEAA".into(),
                    user_id: "0055g000004GrcXEAA".into(),
                    tenant_id: "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d".into(),
                    object_id: "06ace06a-1111-4222-8333-444455556666".into(),
                },
                User {
                    username: "charles@acme.example".into(),
                    password: "tokenwatch".into(),
                    name: "Charles Babbage".into(),
                    org_id: "00D5g000004AcmeEAA".into(),
                    user_id: "0055g000004ChsXEAA".into(),
                    tenant_id: "4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d".into(),
                    object_id: "0c4a51e5-1111-4222-8333-444455556666".into(),
                },
            ],
            access_ttl_ms: 2 * 60 * 60 * 1000,
            seed: 7,
            rotation: false,
            refresh_policy: RefreshPolicy::UntilRevoked,
            approval_cap: 5,
            partner_rules: false,
        }
    }

    /// Adds `n` Salesforce users, each alone in an org of their own (`user1@org1.example` …,
    /// password `tokenwatch`), so a benchmark can hold many connections.
    pub fn with_numbered_users(mut self, n: u32) -> Self {
        self.users.extend((1..=n).map(|i| User {
            username: format!("user{i}@org{i}.example"),
            password: "tokenwatch".into(),
            name: format!("User {i}"),
            org_id: format!("00D5g{i:010}EAA"),
            user_id: format!("0055g{i:010}EAA"),
            tenant_id: String::new(),
            object_id: String::new(),
        }));
        self
    }
}

/// What the simulator counts, for tests that assert how often an endpoint was hit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// `grant_type=authorization_code` requests.
    pub code_exchanges: u32,
    /// `grant_type=refresh_token` requests.
    pub refreshes: u32,
    /// Userinfo requests.
    pub userinfo: u32,
    /// Revocations.
    pub revocations: u32,
    /// Microsoft authorization requests with `prompt=none`.
    pub silent_authorizations: u32,
    /// Microsoft Graph `/v1.0/me` requests.
    pub graph_me: u32,
    /// EWS requests.
    pub ews: u32,
    /// Requests that followed the token endpoint's scripted redirect (must stay 0).
    pub redirects_followed: u32,
    /// Salesforce refreshes that sent a refresh token rotation had retired while its approval
    /// still held a live one, which the reuse revoked.
    #[serde(default)]
    pub rotated_reused: u32,
}

#[derive(Debug)]
pub(crate) struct CodeGrant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) user: usize,
    pub(crate) scope: String,
    pub(crate) expires_at: i64,
}

#[derive(Debug)]
pub(crate) struct AccessGrant {
    pub(crate) user: usize,
    pub(crate) expires_at: i64,
    pub(crate) refresh: Option<String>,
    /// The scopes granted with it.
    pub(crate) scope: String,
    /// The approval it descends from, when it came with a refresh token.
    pub(crate) approval: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) user: usize,
    pub(crate) client_id: String,
    pub(crate) scope: String,
    pub(crate) issued_at: i64,
    pub(crate) last_used: i64,
    /// The approval (sign-in) this token descends from; rotation keeps it.
    pub(crate) approval: u64,
    /// Set when the user's password changed: refreshes fail with "authentication failure".
    pub(crate) password_changed: bool,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) access: HashMap<String, AccessGrant>,
    pub(crate) refresh: HashMap<String, RefreshGrant>,
    pub(crate) faults: Faults,
    pub(crate) counters: Counters,
    pub(crate) minted: u64,
    pub(crate) inactive_users: std::collections::HashSet<usize>,
    /// Refresh tokens rotated away, with their approval: using one again revokes the approval.
    pub(crate) rotated: HashMap<String, u64>,
    pub(crate) config_override: Option<Config>,
    pub(crate) ms: microsoft::State,
}

/// The clock the simulator reads: the system clock for the binary, a virtual one in tests.
pub type SimClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// A simulator instance.
pub struct Sim {
    config: Config,
    base_url: Mutex<String>,
    clock: SimClock,
    state: Mutex<State>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("base_url", &*self.base_url.lock().unwrap())
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// A simulator reachable at `base_url` (its `instance_url`), reading time from `clock`.
    pub fn new(config: Config, base_url: &str, clock: SimClock) -> Self {
        Self {
            config,
            base_url: Mutex::new(base_url.trim_end_matches('/').to_owned()),
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// Milliseconds since the epoch from the system clock.
    pub fn system_clock() -> SimClock {
        Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0)
        })
    }

    /// Where the simulator is reached, e.g. `http://127.0.0.1:17300`.
    pub fn base_url(&self) -> String {
        self.base_url
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets the address once the server knows its port.
    pub fn set_base_url(&self, url: &str) {
        *self.base_url.lock().unwrap_or_else(|e| e.into_inner()) =
            url.trim_end_matches('/').to_owned();
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The configuration in force (the admin API can change parts of it at run time).
    pub(crate) fn current(&self) -> Config {
        let state = self.state();
        state
            .config_override
            .clone()
            .unwrap_or_else(|| self.config.clone())
    }

    fn change(&self, edit: impl FnOnce(&mut Config)) {
        let mut state = self.state();
        let mut c = state
            .config_override
            .clone()
            .unwrap_or_else(|| self.config.clone());
        edit(&mut c);
        state.config_override = Some(c);
    }

    /// Turns refresh token rotation on or off.
    pub fn set_rotation(&self, on: bool) {
        self.change(|c| c.rotation = on);
    }

    /// Sets the refresh token policy.
    pub fn set_refresh_policy(&self, policy: RefreshPolicy) {
        self.change(|c| c.refresh_policy = policy);
    }

    /// Applies (or lifts) Salesforce's requirements for apps used in many orgs.
    pub fn set_partner_rules(&self, on: bool) {
        self.change(|c| c.partner_rules = on);
    }

    /// Sets every Salesforce app's "Selected OAuth Scopes".
    pub fn set_app_scopes(&self, scopes: Vec<String>) {
        self.change(|c| {
            for app in &mut c.apps {
                app.scopes = scopes.clone();
            }
        });
    }

    /// Deactivates (or reactivates) `username`.
    pub fn set_user_active(&self, username: &str, active: bool) -> bool {
        let Some(user) = self.user_index(username) else {
            return false;
        };
        self.ms_set_disabled(user, !active);
        let mut state = self.state();
        if active {
            state.inactive_users.remove(&user)
        } else {
            state.inactive_users.insert(user)
        };
        true
    }

    /// A password change: access tokens die, refresh tokens fail with "authentication failure"
    /// (Salesforce) or AADSTS50173 (Microsoft), and Microsoft sessions end.
    pub fn change_password(&self, username: &str) -> bool {
        let Some(user) = self.user_index(username) else {
            return false;
        };
        self.ms_revoke_user(user);
        let mut state = self.state();
        state.access.retain(|_, g| g.user != user);
        for g in state.refresh.values_mut().filter(|g| g.user == user) {
            g.password_changed = true;
        }
        true
    }

    fn user_index(&self, username: &str) -> Option<usize> {
        self.config
            .users
            .iter()
            .position(|u| u.username == username)
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Switches faults on or off.
    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    /// How often each endpoint was hit.
    pub fn counters(&self) -> Counters {
        self.state().counters.clone()
    }

    /// Expires every access token now (both providers'), as a session timeout would.
    pub fn expire_access_tokens(&self) {
        let now = self.now();
        for grant in self.state().access.values_mut() {
            grant.expires_at = now;
        }
        self.expire_ms_access_tokens();
    }

    /// Ends the access tokens of `username` now (Salesforce and Microsoft); `false` when there
    /// is no such user.
    pub fn expire_access_tokens_of(&self, username: &str) -> bool {
        let Some(user) = self.user_index(username) else {
            return false;
        };
        let now = self.now();
        for grant in self.state().access.values_mut().filter(|g| g.user == user) {
            grant.expires_at = now;
        }
        self.expire_ms_access_tokens_of(user);
        true
    }

    /// Revokes every token of `username`, as an admin or a password change would.
    pub fn revoke_user(&self, username: &str) -> bool {
        let Some(user) = self.user_index(username) else {
            return false;
        };
        self.ms_revoke_user(user);
        let mut state = self.state();
        state.access.retain(|_, g| g.user != user);
        state.refresh.retain(|_, g| g.user != user);
        true
    }

    /// Whether `token` is a live refresh token (for tests that check revocation).
    pub fn refresh_token_is_live(&self, token: &str) -> bool {
        self.state().refresh.contains_key(token)
    }

    /// How many live Salesforce approvals (sign-ins with a refresh token) `username` holds, over
    /// every app: Salesforce keeps five per user and app and drops the oldest for a sixth.
    pub fn approvals(&self, username: &str) -> Option<usize> {
        let user = self.user_index(username)?;
        let state = self.state();
        let mut approvals: Vec<(String, u64)> = state
            .refresh
            .values()
            .filter(|g| g.user == user)
            .map(|g| (g.client_id.clone(), g.approval))
            .collect();
        approvals.sort_unstable();
        approvals.dedup();
        Some(approvals.len())
    }

    /// Every token the simulator ever issued and still knows, for leak searches.
    pub fn issued_tokens(&self) -> Vec<String> {
        let mut all: Vec<String> = {
            let state = self.state();
            state
                .access
                .keys()
                .chain(state.refresh.keys())
                .cloned()
                .collect()
        };
        all.extend(self.ms_issued_tokens());
        all
    }

    /// A fresh opaque value with `prefix`: unique per instance, reproducible per seed.
    pub(crate) fn mint(&self, prefix: &str) -> String {
        let n = {
            let mut state = self.state();
            state.minted += 1;
            state.minted
        };
        let digest = Sha256::digest(format!("{}:{n}", self.config.seed));
        let tail: String = digest.iter().take(18).map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{tail}")
    }

    /// Answers one request, with the providers' CORS rules: Microsoft's endpoints answer any
    /// web origin, Salesforce's only the origins on the org's allowlist (a preflight from any
    /// other is refused, and no response carries `Access-Control-Allow-Origin` for it, so the
    /// browser keeps the answer from the page).
    pub fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.uri().path();
        let salesforce = path.starts_with("/services/oauth2/");
        let microsoft = microsoft::route(path).is_some();
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(str::to_owned);
        let allowed = origin.filter(|o| {
            microsoft || (salesforce && self.config.cors_origins.iter().any(|a| a == o))
        });
        if req.method() == http::Method::OPTIONS && (salesforce || microsoft) {
            let mut preflight = Response::builder().status(match allowed {
                Some(_) => StatusCode::NO_CONTENT,
                None => StatusCode::FORBIDDEN,
            });
            if let Some(o) = &allowed {
                preflight = preflight
                    .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.as_str())
                    .header(header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST")
                    .header(
                        header::ACCESS_CONTROL_ALLOW_HEADERS,
                        "authorization, content-type, accept",
                    )
                    .header(header::VARY, "Origin");
            }
            return preflight
                .body(Vec::new())
                .expect("static response parts are valid");
        }
        let mut response = self.route(req);
        if let Some(o) = allowed.and_then(|o| http::HeaderValue::from_str(&o).ok()) {
            let headers = response.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            headers.insert(header::VARY, http::HeaderValue::from_static("Origin"));
        }
        response
    }

    fn route(&self, req: SimRequest) -> SimResponse {
        let path = req.uri().path().to_owned();
        if let Some(rest) = path.strip_prefix("/services/oauth2/") {
            if self.state().faults.outage {
                return page(StatusCode::SERVICE_UNAVAILABLE, html::outage());
            }
            return salesforce::handle(self, rest, &req);
        }
        if path == salesforce::ERROR_PAGE_PATH {
            return salesforce::error_page(&req);
        }
        if let Some(rest) = path.strip_prefix("/admin/") {
            return admin::handle(self, rest, &req);
        }
        if path == "/stolen-token" {
            self.state().counters.redirects_followed += 1;
            return text(StatusCode::OK, "followed");
        }
        if path.starts_with("/outlook/") {
            // A stand-in for Outlook on the web, where the test build shows its banner.
            return page(StatusCode::OK, html::outlook_standin());
        }
        if path == "/v1.0/me" || path.eq_ignore_ascii_case("/EWS/Exchange.asmx") {
            if self.state().faults.outage {
                return page(StatusCode::SERVICE_UNAVAILABLE, html::outage());
            }
            return microsoft::resource(self, &path, &req);
        }
        if let Some((tenant, endpoint)) = microsoft::route(&path) {
            if self.state().faults.outage {
                return page(StatusCode::SERVICE_UNAVAILABLE, html::outage());
            }
            return microsoft::handle(self, &tenant, &endpoint, &req);
        }
        text(StatusCode::NOT_FOUND, "not found")
    }
}

/// A plain-text response.
pub(crate) fn text(status: StatusCode, body: &str) -> SimResponse {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body.as_bytes().to_vec())
        .expect("static response parts are valid")
}

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> SimResponse {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json;charset=UTF-8")
        .header(
            header::CACHE_CONTROL,
            "no-cache,must-revalidate,max-age=0,no-store,private",
        )
        .body(body.to_string().into_bytes())
        .expect("static response parts are valid")
}

/// An HTML response.
pub(crate) fn page(status: StatusCode, body: String) -> SimResponse {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(body.into_bytes())
        .expect("static response parts are valid")
}

/// A redirect.
pub(crate) fn redirect(location: &str) -> SimResponse {
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .body(Vec::new())
        .expect("a URL is a valid header value")
}
