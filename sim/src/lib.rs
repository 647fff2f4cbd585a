//! A provider simulator that speaks Salesforce's identity endpoints in their real wire format.
//!
//! [`Sim::handle`] is a pure request → response function over shared state, so native tests
//! call it in-process on a virtual clock, while [`server::serve`] puts the same function on
//! 127.0.0.1 for the browser tests and the demo. Providers are modules ([`salesforce`]); the
//! admin API ([`admin`]) scripts faults. Microsoft fits beside Salesforce as another module
//! under its own path prefix.

pub mod admin;
pub mod form;
pub mod html;
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
}

/// Faults the admin API can switch on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// How the token endpoint misbehaves.
    pub token: Option<TokenFault>,
    /// Replace `state` in the authorization redirect with another value.
    pub tamper_state: bool,
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
}

impl Config {
    /// One app with the given callbacks and two people in two orgs (`ada@acme.example` /
    /// `grace@globex.example`, password `tokenwatch`).
    pub fn demo(client_id: &str, callbacks: Vec<String>) -> Self {
        Self {
            apps: vec![App {
                client_id: client_id.to_owned(),
                callbacks,
            }],
            users: vec![
                User {
                    username: "ada@acme.example".into(),
                    password: "tokenwatch".into(),
                    name: "Ada Lovelace".into(),
                    org_id: "00D5g000004AcmeEAA".into(),
                    user_id: "0055g000004AdaXEAA".into(),
                },
                User {
                    username: "grace@globex.example".into(),
                    password: "tokenwatch".into(),
                    name: "Grace Hopper".into(),
                    org_id: "00D5g000004GlobEAA".into(),
                    user_id: "0055g000004GrcXEAA".into(),
                },
            ],
            access_ttl_ms: 2 * 60 * 60 * 1000,
            seed: 7,
        }
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
}

#[derive(Debug)]
pub(crate) struct RefreshGrant {
    pub(crate) user: usize,
    pub(crate) client_id: String,
    pub(crate) scope: String,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) codes: HashMap<String, CodeGrant>,
    pub(crate) access: HashMap<String, AccessGrant>,
    pub(crate) refresh: HashMap<String, RefreshGrant>,
    pub(crate) faults: Faults,
    pub(crate) counters: Counters,
    pub(crate) minted: u64,
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

    /// Expires every access token now, as a session timeout would.
    pub fn expire_access_tokens(&self) {
        let now = self.now();
        for grant in self.state().access.values_mut() {
            grant.expires_at = now;
        }
    }

    /// Revokes every token of `username`, as an admin or a password change would.
    pub fn revoke_user(&self, username: &str) -> bool {
        let Some(user) = self
            .config
            .users
            .iter()
            .position(|u| u.username == username)
        else {
            return false;
        };
        let mut state = self.state();
        state.access.retain(|_, g| g.user != user);
        state.refresh.retain(|_, g| g.user != user);
        true
    }

    /// Whether `token` is a live refresh token (for tests that check revocation).
    pub fn refresh_token_is_live(&self, token: &str) -> bool {
        self.state().refresh.contains_key(token)
    }

    /// Every token the simulator ever issued and still knows, for leak searches.
    pub fn issued_tokens(&self) -> Vec<String> {
        let state = self.state();
        state
            .access
            .keys()
            .chain(state.refresh.keys())
            .cloned()
            .collect()
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

    /// Answers one request.
    pub fn handle(&self, req: SimRequest) -> SimResponse {
        let path = req.uri().path().to_owned();
        if let Some(rest) = path.strip_prefix("/services/oauth2/") {
            return salesforce::handle(self, rest, &req);
        }
        if let Some(rest) = path.strip_prefix("/admin/") {
            return admin::handle(self, rest, &req);
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
