//! The engine: connects, checks and lists connections over the ports. It holds no state of its
//! own between calls (the store is the truth), so a service worker that Chrome stops and
//! restarts loses nothing.

use crate::connection::{
    Account, Connection, DeclaredPolicy, HistoryEntry, Provider, RECORD_VERSION, Site, Tokens,
};
use crate::diagnosis;
use crate::flow::{CallbackError, PendingAuthorization, plain_text};
use crate::ids::ConnectionId;
use crate::messages::{
    BannerItem, ConnectionDetails, ConnectionView, ErrorView, LoginChoice, Request, Response,
    sentence,
};
use crate::microsoft::{self, Authority, IdTokenError, MicrosoftApp};
use crate::ports::{Clock, Entropy, Identity, IdentityError, Interaction, Lock, Store, StoreError};
use crate::salesforce::{self, HostError, LoginHost, ResponseError, UserInfo};
use crate::schedule::{self, ScheduleState};
use crate::status::{Cause, Status};
use crate::time::Timestamp;
use crate::vault::{Glance, Loaded, Schedule as HeadSchedule, Sealer, Vault, VaultError};
use oauth2::basic::BasicErrorResponseType;
use oauth2::http::{self, StatusCode, header};
use oauth2::{AccessToken, AsyncHttpClient, RequestTokenError, Scope, StandardErrorResponse};
use url::Url;

/// The Salesforce app (connected app or external client app) Tokenwatch signs in with.
#[derive(Debug, Clone)]
pub struct SalesforceApp {
    /// The consumer key (a public client: no secret).
    pub consumer_key: String,
    /// `https://<extension-id>.chromiumapp.org/salesforce`.
    pub redirect: Url,
    /// What "Production" means: `login.salesforce.com` (a build may point it elsewhere).
    pub production: LoginHost,
    /// What "Sandbox" means: `test.salesforce.com`.
    pub sandbox: LoginHost,
    /// One consumer key shared by every org Tokenwatch signs in to (an app installed in more
    /// than two customer production orgs), so Salesforce's partner requirements bind it:
    /// refresh token rotation and a 30-day idle limit on refresh tokens ("Secure Your
    /// Connected Apps and External Client Apps", ISVforce Guide). New connections then
    /// declare "expire if not used for 30 days", and no declaration lifts that limit.
    pub shared: bool,
}

/// The idle limit Salesforce's partner requirements put on a shared app's refresh tokens
/// (`xcloud.connected_app_limit_idle_ttl.htm`).
pub const SHARED_APP_IDLE_DAYS: u32 = 30;

impl SalesforceApp {
    /// The app with Salesforce's own production and sandbox login hosts.
    pub fn new(consumer_key: String, redirect: Url) -> Self {
        Self {
            consumer_key,
            redirect,
            production: LoginHost::production(),
            sandbox: LoginHost::sandbox(),
            shared: false,
        }
    }

    /// Whether `host` is a login page many orgs share (production or sandbox) rather than one
    /// org's My Domain: an org may refuse sign-ins there.
    fn is_shared_login(&self, host: &LoginHost) -> bool {
        *host == self.production
            || *host == self.sandbox
            || matches!(
                host.kind(),
                salesforce::HostKind::Production | salesforce::HostKind::Sandbox
            )
    }
}

/// Everything the engine reaches the world through.
pub trait Ports {
    /// HTTP, as the oauth2 crate's seam.
    type Http: for<'c> AsyncHttpClient<'c>;
    /// Persistent key-value storage.
    type Store: Store;
    /// The sign-in window.
    type Identity: Identity;
    /// The wall clock.
    type Clock: Clock;
    /// Randomness for `state` and PKCE.
    type Entropy: Entropy;
    /// Encryption of stored records.
    type Sealer: Sealer;
    /// Mutual exclusion across contexts.
    type Lock: Lock;
    /// HTTP.
    fn http(&self) -> &Self::Http;
    /// Storage.
    fn store(&self) -> &Self::Store;
    /// The sign-in window.
    fn identity(&self) -> &Self::Identity;
    /// The clock.
    fn clock(&self) -> &Self::Clock;
    /// Randomness.
    fn entropy(&self) -> &Self::Entropy;
    /// Encryption of stored records.
    fn sealer(&self) -> &Self::Sealer;
    /// Mutual exclusion across contexts.
    fn lock(&self) -> &Self::Lock;
}

/// Why an engine operation failed. Messages are for the person and never contain a token, a
/// code or a response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The provider's app is not configured.
    #[error("{}", not_configured(*.0))]
    NotConfigured(Provider),
    /// The typed login host is not acceptable.
    #[error("{0}")]
    BadHost(#[from] HostError),
    /// The sign-in window was closed or could not load.
    #[error("{0}")]
    Identity(#[from] IdentityError),
    /// An interactive Salesforce sign-in ended without Salesforce sending Tokenwatch back: the
    /// person closed the window, or Salesforce ended on an error page of its own, which it
    /// does for an uninstalled connected app, a scope the app does not offer and a login page
    /// the org refuses. Which one cannot be seen from here, so the likely causes are named.
    #[error("{}", no_answer(*.shared_login))]
    NoAnswer {
        /// The sign-in went through a login page many orgs share, which an org may refuse.
        shared_login: bool,
    },
    /// The callback failed a check.
    #[error("Sign-in failed: {0}.")]
    Callback(#[from] CallbackError),
    /// The token endpoint refused the request with an OAuth error.
    #[error("{} refused the request ({error}){}", .provider.name(), .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// Who refused.
        provider: Provider,
        /// The `error` code.
        error: String,
        /// The `error_description`, as plain text.
        description: Option<String>,
    },
    /// The provider could not be reached, or answered 5xx or 429.
    #[error("{} could not be reached ({reason}); try again later", .provider.name())]
    Unreachable {
        /// Who.
        provider: Provider,
        /// What failed.
        reason: String,
        /// `Retry-After`, in seconds, when the provider sent one.
        retry_after: Option<u64>,
    },
    /// The provider answered something that is not what its protocol says.
    #[error("{} answered in an unexpected way ({}); nothing was saved", .0.name(), .1)]
    BadResponse(Provider, String),
    /// Salesforce's answer failed a rule of its own protocol.
    #[error("{0}")]
    Response(#[from] ResponseError),
    /// Microsoft's ID token failed a check.
    #[error("Microsoft's sign-in answer failed a check ({0}); nothing was saved")]
    IdToken(#[from] IdTokenError),
    /// Storage failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Sealed storage failed (a conflict, or the crypto backend).
    #[error("{0}")]
    Vault(#[from] VaultError),
    /// No such connection.
    #[error("that connection no longer exists")]
    UnknownConnection,
    /// A refresh token policy was declared for a connection it does not apply to.
    #[error(
        "a refresh token policy applies to Salesforce orgs only; Microsoft's horizon follows from the app registration"
    )]
    PolicyNotApplicable,
    /// A renewal came back as another account than the connection's.
    #[error(
        "You signed in as {signed_in_as}, but this connection belongs to {expected}. Nothing was changed; to use another account, choose Change account."
    )]
    WrongAccount {
        /// Who signed in.
        signed_in_as: String,
        /// Whose connection it is.
        expected: String,
    },
    /// The provider refused for a reason the person or an admin must fix; the cause says
    /// which.
    #[error("{} {}", .cause.text(*.provider), .cause.action(*.provider))]
    Diagnosed {
        /// Whose refusal.
        provider: Provider,
        /// Why.
        cause: Cause,
    },
}

fn no_answer(shared_login: bool) -> String {
    let mut s = String::from(
        "The sign-in window was closed before Salesforce sent Tokenwatch an answer. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org (since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install); or the app does not offer the scopes Tokenwatch asks for (api, id, refresh_token: Setup → App Manager → the app → Edit → Selected OAuth Scopes)",
    );
    if shared_login {
        s.push_str("; or your org allows sign-in only at its My Domain (choose Custom and enter your My Domain, such as yourcompany.my.salesforce.com)");
    }
    s.push('.');
    s
}

fn not_configured(p: Provider) -> &'static str {
    match p {
        Provider::Salesforce => {
            "Salesforce is not set up yet: an administrator must enter the consumer key of the connected app"
        }
        Provider::Microsoft => {
            "Microsoft 365 is not set up yet: an administrator must enter the application (client) id of the app registration"
        }
    }
}

impl EngineError {
    /// A stable code for the UI and tests.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::NotConfigured(_) => "not_configured",
            EngineError::BadHost(_) => "bad_host",
            EngineError::Identity(IdentityError::Cancelled) | EngineError::NoAnswer { .. } => {
                "cancelled"
            }
            EngineError::Identity(IdentityError::InteractionRequired) => "interaction_required",
            EngineError::Identity(IdentityError::Blocked(_)) => "dialog_blocked",
            EngineError::Identity(IdentityError::ForeignOrigin(_)) => "foreign_origin",
            EngineError::Identity(_) => "identity_unavailable",
            EngineError::Callback(CallbackError::StateMismatch) => "state_mismatch",
            EngineError::Callback(CallbackError::Denied { .. }) => "denied",
            EngineError::Callback(_) => "bad_callback",
            EngineError::Refused { .. } => "refused",
            EngineError::Unreachable { .. } => "unreachable",
            EngineError::BadResponse(..) | EngineError::Response(_) | EngineError::IdToken(_) => {
                "bad_response"
            }
            EngineError::Store(_) => "storage",
            EngineError::Vault(VaultError::Conflict) => "conflict",
            EngineError::Vault(_) => "storage",
            EngineError::UnknownConnection => "unknown_connection",
            EngineError::PolicyNotApplicable => "not_applicable",
            EngineError::Diagnosed { .. } => "needs_admin_or_sign_in",
            EngineError::WrongAccount { .. } => "wrong_account",
        }
    }

    /// The error as the UI shows it.
    pub fn view(&self) -> ErrorView {
        ErrorView {
            code: self.code().into(),
            message: sentence(&self.to_string()),
            field: matches!(self, EngineError::BadHost(_)).then(|| "login_host".into()),
        }
    }
}

/// Maps the oauth2 crate's error without ever keeping the response body, which may hold tokens.
fn token_error(
    provider: Provider,
) -> impl Fn(
    RequestTokenError<TransportError, StandardErrorResponse<BasicErrorResponseType>>,
) -> EngineError {
    move |e| match e {
        RequestTokenError::ServerResponse(r) => EngineError::Refused {
            provider,
            error: plain_text(r.error().as_ref()),
            description: r.error_description().map(|d| plain_text(d)),
        },
        RequestTokenError::Request(e) => {
            let retry_after = match &e {
                TransportError::Status { retry_after, .. } => *retry_after,
                TransportError::Network(_) => None,
            };
            EngineError::Unreachable {
                provider,
                reason: e.to_string(),
                retry_after,
            }
        }
        RequestTokenError::Parse(_, body) => {
            EngineError::BadResponse(provider, describe_body(&body).into())
        }
        RequestTokenError::Other(_) => EngineError::BadResponse(
            provider,
            "the token endpoint did not answer with JSON".into(),
        ),
    }
}

/// The cause of a provider's refusal.
fn diagnose(
    provider: Provider,
    error: &str,
    description: Option<&str>,
    ctx: &diagnosis::Context<'_>,
) -> Cause {
    match provider {
        Provider::Salesforce => diagnosis::salesforce(error, description, ctx),
        Provider::Microsoft => diagnosis::microsoft(error, description, ctx),
    }
}

/// What the token endpoint's transport produced instead of an OAuth answer.
#[derive(Debug, thiserror::Error)]
enum TransportError {
    /// 5xx or 429: the provider is down or throttling; whatever the body says, this is
    /// transient and never a reason to ask the person to sign in.
    #[error("HTTP {status}{}", .retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After` in seconds, when given as seconds.
        retry_after: Option<u64>,
    },
    /// No response at all.
    #[error("{0}")]
    Network(String),
}

/// The ports' HTTP client, with 5xx and 429 answers turned into transport errors before the
/// oauth2 crate reads them as OAuth refusals.
struct Classified<'h, H>(&'h H);

impl<'c, 'h: 'c, H: AsyncHttpClient<'c>> AsyncHttpClient<'c> for Classified<'h, H> {
    type Error = TransportError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, TransportError>> + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        let response = self.0.call(request);
        Box::pin(async move {
            let response = response
                .await
                .map_err(|e| TransportError::Network(plain_text(&e.to_string())))?;
            let status = response.status();
            if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                return Err(TransportError::Status {
                    status: status.as_u16(),
                    retry_after,
                });
            }
            Ok(response)
        })
    }
}

/// Says what kind of non-JSON body arrived, without quoting it.
fn describe_body(body: &[u8]) -> &'static str {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype") {
        "an HTML page instead of JSON, as a proxy or an outage page would send"
    } else if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
        "JSON without the expected fields"
    } else {
        "a body that is not JSON"
    }
}

/// What a probe of the access token found.
enum Probe {
    /// 200: the token works; here is whose it is.
    Valid(UserInfo),
    /// 401 or 403: the access token is not accepted. Salesforce's userinfo answers an expired
    /// or revoked token with 403 `Bad_OAuth_Token` (not the REST API's 401); a fresh token
    /// refused the same way lacks a permission instead.
    Refused,
}

/// Why a sign-in is happening.
#[derive(Debug, Clone)]
enum SignIn {
    /// A new connection.
    Add,
    /// Again to `expected`, which must come back.
    Renew {
        /// The connection.
        expected: ConnectionId,
        /// Its username, sent as `login_hint`.
        username: String,
    },
    /// With another account (`prompt=login` / `prompt=select_account`).
    ChangeAccount,
}

/// A stored connection as the engine found it.
enum Opened {
    /// Readable, with its generation.
    Record(Box<Connection>, u64),
    /// Unreadable: the row to show instead.
    Unreadable(Box<ConnectionView>),
}

/// What a sign-in established, before it is stored.
struct SignedIn {
    /// The history event: "Signed in" or "Renewed silently".
    event: &'static str,
    id: ConnectionId,
    site: Site,
    account: Account,
    tokens: Tokens,
}

/// What a refresh returned.
struct Refreshed {
    access: AccessToken,
    refresh: Option<oauth2::RefreshToken>,
    issued_at: Timestamp,
    refresh_due: Option<Timestamp>,
    /// Salesforce: whether the granted scope opens the identity service, when it says.
    identity_granted: Option<bool>,
}

/// What proves a refresh worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proof {
    /// The token endpoint's answer is enough (a refresh the caller asked for as such).
    TokenResponse,
    /// A check: the new Salesforce access token is also proven at userinfo, so a refusal
    /// there is diagnosed rather than refreshed again at the next check.
    ProbeAfter,
}

/// What a silent renewal attempt came to.
enum Silent {
    /// Not within the renewal window.
    NotDue,
    /// Renewed: the new view.
    Renewed(Box<ConnectionView>),
    /// Tried and refused; the history says why.
    Failed,
}

/// How much of a check to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    /// The person asked: prove the connection with the provider now.
    Prove,
    /// A scheduled check: use the network only when something is due.
    Scheduled,
}

/// What a tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// How many connections were checked.
    pub checked: usize,
    /// When the next one is due, if any.
    pub next_wakeup: Option<Timestamp>,
}

/// The engine over a set of ports.
#[derive(Debug)]
pub struct Engine<P> {
    ports: P,
    salesforce: Option<SalesforceApp>,
    microsoft: Option<MicrosoftApp>,
    settings: schedule::Settings,
}

impl<P: Ports> Engine<P> {
    /// An engine; `salesforce` is `None` until a consumer key is configured.
    pub fn new(ports: P, salesforce: Option<SalesforceApp>) -> Self {
        Self {
            ports,
            salesforce,
            microsoft: None,
            settings: schedule::Settings::default(),
        }
    }

    /// The same engine able to connect Microsoft 365 accounts through `app`.
    pub fn with_microsoft(mut self, app: Option<MicrosoftApp>) -> Self {
        self.microsoft = app;
        self
    }

    /// The same engine with other timing settings.
    pub fn with_settings(mut self, settings: schedule::Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The ports, for the shell's own use.
    pub fn ports(&self) -> &P {
        &self.ports
    }

    /// Answers one request from a page. The sender has already been checked.
    pub async fn handle(&self, request: Request) -> Response {
        let one = |r: Result<ConnectionView, EngineError>| {
            r.map(|connection| Response::Connection { connection })
        };
        let result = match request {
            Request::ListConnections {} => self
                .list()
                .await
                .map(|connections| Response::Connections { connections }),
            Request::AddSalesforce { login } => one(self.connect_salesforce(&login).await),
            Request::AddMicrosoft {} => one(self.connect_microsoft().await),
            Request::Check { id } => one(self.check(&id).await),
            Request::Refresh { id } => one(self.refresh_or_sign_in(&id).await),
            Request::BannerStatus {} => self.list().await.map(|all| Response::Banner {
                items: all.iter().filter_map(BannerItem::of).collect(),
            }),
            Request::Details { id } => self
                .details(&id)
                .await
                .map(|details| Response::Details { details }),
            // The shell keeps the settings (they decide how this engine is built).
            Request::GetSettings {} | Request::SaveSettings { .. } => Ok(Response::error(
                "internal",
                "settings are kept by the service worker, not the engine",
            )),
            Request::Renew { id } => one(self.renew(&id).await),
            Request::ChangeAccount { id } => one(self.change_account(&id).await),
            Request::DeclarePolicy { id, policy } => one(self.declare_policy(&id, policy).await),
            Request::Disconnect { id } => self
                .disconnect(&id)
                .await
                .map(|revoked| Response::Disconnected { id, revoked }),
        };
        result.unwrap_or_else(|e| Response::Error { error: e.view() })
    }

    /// Every stored connection, in id order.
    pub async fn list(&self) -> Result<Vec<ConnectionView>, EngineError> {
        Ok(self.overview().await?.0)
    }

    /// The connections that need the person (the badge, the notifications, the in-mail
    /// banners) and the earliest moment any connection is due, from the heads: only the
    /// records of connections that need the person are opened.
    pub async fn attention(&self) -> Result<(Vec<ConnectionView>, Option<Timestamp>), EngineError> {
        let mut views = Vec::new();
        let mut next: Option<Timestamp> = None;
        for (id, glance) in self.vault().glance().await? {
            if let Glance::Unreadable(reason) = glance {
                views.push(ConnectionView::unreadable(&id, reason));
                continue;
            }
            let Some(schedule) = self.schedule_of(&id, glance).await? else {
                continue;
            };
            if let Some(at) = schedule.next {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
            if schedule.alert.is_some() {
                views.extend(self.view_of(&id).await?);
            }
        }
        Ok((views, next))
    }

    /// The view of `id` from its record, if it still has one.
    async fn view_of(&self, id: &ConnectionId) -> Result<Option<ConnectionView>, EngineError> {
        Ok(match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, .. }) => Some(conn.view()),
            Some(Loaded::Unreadable { reason, .. }) => Some(ConnectionView::unreadable(id, reason)),
            None => None,
        })
    }

    /// Every connection's view and the earliest moment one is due, in one pass over the
    /// records (each is decrypted once): what the worker needs after every change.
    pub async fn overview(&self) -> Result<(Vec<ConnectionView>, Option<Timestamp>), EngineError> {
        let mut views = Vec::new();
        let mut next: Option<Timestamp> = None;
        for (id, loaded) in self.vault().load_all().await? {
            match loaded {
                Loaded::Ok { conn, .. } => {
                    if let Some(at) = conn.schedule.next_check {
                        next = Some(next.map_or(at, |n| n.min(at)));
                    }
                    views.push(conn.view());
                }
                Loaded::Unreadable { reason, .. } => {
                    views.push(ConnectionView::unreadable(&id, reason))
                }
            }
        }
        Ok((views, next))
    }

    fn vault(&self) -> Vault<'_, P::Store, P::Sealer> {
        Vault::new(self.ports.store(), self.ports.sealer())
    }

    fn now(&self) -> Timestamp {
        self.ports.clock().now()
    }

    /// Connects a Salesforce org through an interactive sign-in. Nothing is stored unless every
    /// step succeeds, so a failed or cancelled sign-in leaves no half connection.
    pub async fn connect_salesforce(
        &self,
        login: &LoginChoice,
    ) -> Result<ConnectionView, EngineError> {
        let app = self
            .salesforce
            .as_ref()
            .ok_or(EngineError::NotConfigured(Provider::Salesforce))?;
        let host = match login {
            LoginChoice::Production => app.production.clone(),
            LoginChoice::Sandbox => app.sandbox.clone(),
            LoginChoice::Custom { .. } => login.host()?,
        };
        let signed = self.salesforce_sign_in(host, SignIn::Add).await?;
        self.store_signed_in(signed).await
    }

    /// Connects a Microsoft 365 account through an interactive sign-in with the configured
    /// registration. Nothing is stored unless every step (ID token checks included) succeeds.
    pub async fn connect_microsoft(&self) -> Result<ConnectionView, EngineError> {
        let signed = self
            .microsoft_sign_in(None, SignIn::Add, Interaction::Interactive)
            .await?;
        self.store_signed_in(signed).await
    }

    /// Signs in again to a connection that needs it. The known username is passed as
    /// `login_hint`, so the person confirms rather than retypes it, and the sign-in must come
    /// back as the same account: another account is refused and nothing changes.
    pub async fn renew(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        let intent = SignIn::Renew {
            expected: conn.id.clone(),
            username: conn.account.username.clone(),
        };
        let signed = self
            .sign_in_again(&conn, intent, Interaction::Interactive)
            .await?;
        self.store_signed_in(signed).await
    }

    /// Signs in with another account (the provider shows its account choice even when a
    /// session exists). The new credentials replace this connection's: when the account
    /// differs, the old one is revoked (where the provider allows) and removed.
    pub async fn change_account(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        let signed = self
            .sign_in_again(&conn, SignIn::ChangeAccount, Interaction::Interactive)
            .await?;
        let view = self.store_signed_in(signed).await?;
        if view.id != *id {
            self.disconnect(id).await?;
        }
        Ok(view)
    }

    /// A connection's history, horizon and policy, for the options page.
    pub async fn details(&self, id: &ConnectionId) -> Result<ConnectionDetails, EngineError> {
        let (conn, _) = self.readable(id).await?;
        Ok(ConnectionDetails {
            view: conn.view(),
            history: conn.history.clone(),
            horizon: conn.horizon(),
            horizon_fixed: conn.horizon_is_fixed(),
            policy: (conn.provider() == Provider::Salesforce).then_some(conn.policy),
            registration: match &conn.site {
                Site::Microsoft { registration, .. } => Some(*registration),
                Site::Salesforce { .. } => None,
            },
        })
    }

    /// Renews now, silently when possible: proves the connection with the provider (a
    /// Microsoft single-page app first tries a silent sign-in, which starts a new 24 h), and
    /// when only the person can help — Needs sign-in, or Expiring soon with nothing silent
    /// left to try — opens the sign-in, with the username as `login_hint`.
    pub async fn refresh_or_sign_in(
        &self,
        id: &ConnectionId,
    ) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        if conn.is_day_limited() {
            let intent = SignIn::Renew {
                expected: conn.id.clone(),
                username: conn.account.username.clone(),
            };
            if let Ok(signed) = self.sign_in_again(&conn, intent, Interaction::Silent).await {
                return self.store_signed_in(signed).await;
            }
        }
        let view = self.check(id).await?;
        if view.status.alert.is_some() {
            return self.renew(id).await;
        }
        Ok(view)
    }

    async fn sign_in_again(
        &self,
        conn: &Connection,
        intent: SignIn,
        interaction: Interaction,
    ) -> Result<SignedIn, EngineError> {
        match &conn.site {
            Site::Salesforce { login_host, .. } => {
                self.salesforce_sign_in(login_host.clone(), intent).await
            }
            Site::Microsoft { authority, .. } => {
                // Changing account may land in another tenant: go through the configured
                // authority then, not the old account's own.
                let pinned = match intent {
                    SignIn::ChangeAccount => None,
                    _ => Some(authority.clone()),
                };
                self.microsoft_sign_in(pinned, intent, interaction).await
            }
        }
    }

    /// Revokes the connection at the provider, then removes everything stored for it, even
    /// when the revocation fails (the answer says so). It waits for a refresh in flight, so
    /// nothing is saved after the wipe. Microsoft offers public clients no revocation
    /// endpoint: its tokens are dropped here and `revoked` is false.
    pub async fn disconnect(&self, id: &ConnectionId) -> Result<bool, EngineError> {
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{id}"))
            .await;
        let revoked = match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, .. }) => match &conn.site {
                Site::Salesforce { login_host, .. } => {
                    self.revoke(login_host, &conn.tokens.refresh).await.is_ok()
                }
                Site::Microsoft { .. } => false,
            },
            Some(Loaded::Unreadable { .. }) => false,
            None => return Err(EngineError::UnknownConnection),
        };
        self.vault().delete(id).await?;
        Ok(revoked)
    }

    /// Revokes `refresh`, and with it its access tokens, with a POST to `host`'s
    /// `/services/oauth2/revoke` ("Revoke OAuth Tokens", Salesforce Help). Built by hand because
    /// the oauth2 crate refuses a non-https revocation URL, which the loopback simulator is.
    async fn revoke(
        &self,
        host: &LoginHost,
        refresh: &oauth2::RefreshToken,
    ) -> Result<(), EngineError> {
        const SF: Provider = Provider::Salesforce;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", refresh.secret())
            .append_pair("token_type_hint", "refresh_token")
            .finish();
        let request = http::Request::builder()
            .method(http::Method::POST)
            .uri(host.revoke_url().as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into_bytes())
            .map_err(|_| {
                EngineError::BadResponse(SF, "the login host is not a valid URL".into())
            })?;
        let response = Classified(self.ports.http())
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

    /// The record of `id` with its generation, or the view to answer with when it cannot be
    /// read (its quarantine already done by the vault).
    async fn open(&self, id: &ConnectionId) -> Result<Opened, EngineError> {
        match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, generation }) => Ok(Opened::Record(conn, generation)),
            Some(Loaded::Unreadable { reason, .. }) => Ok(Opened::Unreadable(Box::new(
                ConnectionView::unreadable(id, reason),
            ))),
            None => Err(EngineError::UnknownConnection),
        }
    }

    /// The record of `id` and its generation; an unreadable one is an error with its cause.
    async fn readable(&self, id: &ConnectionId) -> Result<(Box<Connection>, u64), EngineError> {
        match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, generation }) => Ok((conn, generation)),
            Some(Loaded::Unreadable { reason, .. }) => {
                let view = ConnectionView::unreadable(id, reason.clone());
                Err(EngineError::Diagnosed {
                    provider: view.provider,
                    cause: Cause::StoredDataUnreadable { reason },
                })
            }
            None => Err(EngineError::UnknownConnection),
        }
    }

    /// The callback's code and verifier; a refusal other than the person's own "no" is
    /// diagnosed.
    fn complete(
        &self,
        pending: PendingAuthorization,
        callback: &Url,
        provider: Provider,
        ctx: &diagnosis::Context<'_>,
    ) -> Result<(oauth2::AuthorizationCode, oauth2::PkceCodeVerifier), EngineError> {
        match pending.complete(callback, self.now()) {
            Ok(found) => Ok(found),
            // The person said no: that is their answer, not a fault to diagnose.
            Err(CallbackError::Denied { error, description }) if error != "access_denied" => {
                Err(EngineError::Diagnosed {
                    provider,
                    cause: diagnose(provider, &error, description.as_deref(), ctx),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn salesforce_sign_in(
        &self,
        host: LoginHost,
        intent: SignIn,
    ) -> Result<SignedIn, EngineError> {
        const SF: Provider = Provider::Salesforce;
        let app = self
            .salesforce
            .as_ref()
            .ok_or(EngineError::NotConfigured(SF))?;
        let client = salesforce::client(&app.consumer_key, &app.redirect, &host);
        let pending =
            PendingAuthorization::new(self.ports.entropy(), app.redirect.clone(), self.now())
                .with_issuer_origin(host.origin());
        let mut request = client
            .authorize_url(|| pending.state().clone())
            .add_scopes(salesforce::SCOPES.map(|s| Scope::new(s.into())))
            .set_pkce_challenge(pending.challenge());
        match &intent {
            SignIn::Add => {}
            SignIn::Renew { username, .. } => {
                request = request.add_extra_param("login_hint", username.clone())
            }
            SignIn::ChangeAccount => request = request.add_extra_param("prompt", "login"),
        }
        let (url, _) = request.url();
        let callback = match self
            .ports
            .identity()
            .authorize(&url, Interaction::Interactive)
            .await
        {
            Ok(callback) => callback,
            Err(IdentityError::Cancelled) => {
                return Err(EngineError::NoAnswer {
                    shared_login: app.is_shared_login(&host),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let ctx = diagnosis::Context {
            org: None,
            redirect: app.redirect.as_str(),
            expired_by_policy: false,
        };
        let (code, verifier) = self.complete(pending, &callback, SF, &ctx)?;
        let token = client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request_async(&Classified(self.ports.http()))
            .await
            .map_err(token_error(SF))
            .map_err(|e| refused_is_diagnosed(e, &ctx))?;
        let grant = token.validate(&host)?;
        let refresh = token
            .refresh()
            .ok_or(ResponseError::NoRefreshToken)?
            .clone();
        let info = match self.probe(&grant.instance_url, token.access()).await? {
            Probe::Valid(info) => info,
            Probe::Refused => {
                // Not stored, so nothing keeps the approval: give it back.
                let _ = self.revoke(&host, &refresh).await;
                return Err(EngineError::Diagnosed {
                    provider: SF,
                    cause: Cause::UserInfoRefused {
                        missing_scope: token.grants_identity() == Some(false),
                    },
                });
            }
        };
        info.check(&grant)?;
        let id = ConnectionId::salesforce(&grant.org, &grant.user);
        if let SignIn::Renew { expected, username } = &intent {
            if id != *expected {
                // Not the account this connection belongs to: its tokens are not kept.
                let _ = self.revoke(&host, &refresh).await;
                return Err(EngineError::WrongAccount {
                    signed_in_as: plain_text(&info.preferred_username),
                    expected: username.clone(),
                });
            }
        }
        Ok(SignedIn {
            event: "Signed in",
            id,
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
            },
        })
    }

    /// A Microsoft sign-in: authorization code with PKCE, `nonce`, and the ID token checked
    /// before anything is kept. `authority` pins a renewal to the account's own tenant;
    /// `Silent` sends `prompt=none`, answered from the Microsoft session or refused.
    async fn microsoft_sign_in(
        &self,
        authority: Option<Authority>,
        intent: SignIn,
        interaction: Interaction,
    ) -> Result<SignedIn, EngineError> {
        const MS: Provider = Provider::Microsoft;
        let app = self
            .microsoft
            .as_ref()
            .ok_or(EngineError::NotConfigured(MS))?;
        let authority = authority.unwrap_or_else(|| app.authority.clone());
        let client = microsoft::client(app, &authority);
        let pending =
            PendingAuthorization::new(self.ports.entropy(), app.redirect.clone(), self.now())
                .with_issuer_origin(authority.host.origin());
        let mut request = client
            .authorize_url(|| pending.state().clone())
            .add_scopes(app.scopes())
            .set_pkce_challenge(pending.challenge())
            .add_extra_param("nonce", pending.nonce().to_owned());
        match &intent {
            SignIn::Add => {}
            SignIn::Renew { username, .. } => {
                request = request.add_extra_param("login_hint", username.clone())
            }
            SignIn::ChangeAccount => request = request.add_extra_param("prompt", "select_account"),
        }
        if interaction == Interaction::Silent {
            request = request.add_extra_param("prompt", "none");
        }
        let (url, _) = request.url();
        let callback = self.ports.identity().authorize(&url, interaction).await?;
        let ctx = diagnosis::Context {
            org: None,
            redirect: app.redirect.as_str(),
            expired_by_policy: false,
        };
        let nonce = pending.nonce().to_owned();
        let (code, verifier) = self.complete(pending, &callback, MS, &ctx)?;
        let token = client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request_async(&Classified(self.ports.http()))
            .await
            .map_err(token_error(MS))
            .map_err(|e| refused_is_diagnosed(e, &ctx))?;
        let now = self.now();
        let who = microsoft::check_id_token(
            token.id_token().ok_or(IdTokenError::Missing)?,
            &microsoft::Expect {
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
        let id = ConnectionId::microsoft(&who.tenant, &who.object);
        if let SignIn::Renew { expected, username } = &intent {
            if id != *expected {
                // Microsoft has no revocation endpoint for public clients: the stray tokens
                // are simply never stored.
                return Err(EngineError::WrongAccount {
                    signed_in_as: who.username,
                    expected: username.clone(),
                });
            }
        }
        Ok(SignedIn {
            event: match interaction {
                Interaction::Interactive => "Signed in",
                Interaction::Silent => "Renewed silently",
            },
            id,
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

    /// Stores a completed sign-in: a new connection, or the same one with new tokens, keeping
    /// when it was first connected, its history and its declared policy.
    async fn store_signed_in(&self, signed: SignedIn) -> Result<ConnectionView, EngineError> {
        let now = self.now();
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{}", signed.id))
            .await;
        // A shared Salesforce app is under the partner requirements' idle limit: new
        // connections declare it, and no declaration lifts it.
        let shared = matches!(signed.site, Site::Salesforce { .. })
            && self.salesforce.as_ref().is_some_and(|a| a.shared);
        let idle_limit_days = shared.then_some(SHARED_APP_IDLE_DAYS);
        let first_policy = if shared {
            DeclaredPolicy::ExpireIfUnused {
                days: SHARED_APP_IDLE_DAYS,
            }
        } else {
            DeclaredPolicy::default()
        };
        let (connected_at, history, policy, generation) =
            match self.vault().load(&signed.id).await? {
                Some(Loaded::Ok { conn, generation }) => {
                    (conn.connected_at, conn.history, conn.policy, generation)
                }
                Some(Loaded::Unreadable { generation, .. }) => {
                    (now, Vec::new(), first_policy, generation)
                }
                None => (now, Vec::new(), first_policy, 0),
            };
        let mut conn = Connection {
            v: RECORD_VERSION,
            id: signed.id,
            site: signed.site,
            account: signed.account,
            tokens: signed.tokens,
            status: Status::Healthy,
            connected_at,
            checked_at: now,
            schedule: ScheduleState::default(),
            history,
            policy,
            approved_at: Some(now),
            refreshed_at: Some(now),
            refresh_started: None,
            idle_limit_days,
        };
        conn.history.push(HistoryEntry {
            at: now,
            event: signed.event.into(),
            detail: format!("as {}", conn.account.username),
        });
        self.settle(&mut conn, now);
        self.vault().save(&conn, generation).await?;
        Ok(conn.view())
    }

    /// Proves the connection works now: Salesforce probes the access token and refreshes it
    /// if it expired; Microsoft redeems the refresh token. A refused refresh token turns the
    /// connection into Needs sign-in with its cause; a provider that cannot be reached turns
    /// it into Unreachable, retried with backoff.
    pub async fn check(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        self.check_to(id, Depth::Prove).await
    }

    async fn check_to(
        &self,
        id: &ConnectionId,
        depth: Depth,
    ) -> Result<ConnectionView, EngineError> {
        match self.check_now(id, depth).await {
            Err(e @ (EngineError::Unreachable { .. } | EngineError::BadResponse(..))) => {
                self.record_unreachable(id, &e).await
            }
            other => other,
        }
    }

    /// The schedule of `id` from its head, or from its record when the head predates
    /// schedules in heads; `None` when it cannot be read.
    async fn schedule_of(
        &self,
        id: &ConnectionId,
        glance: Glance,
    ) -> Result<Option<HeadSchedule>, EngineError> {
        Ok(match glance {
            Glance::Known(s) => Some(s),
            Glance::Unreadable(_) => None,
            Glance::Unknown => match self.vault().load(id).await? {
                Some(Loaded::Ok { conn, .. }) => Some(HeadSchedule::of(&conn)),
                _ => None,
            },
        })
    }

    /// Checks every connection that is due, once each, and says when to wake next. The
    /// schedule is read from the heads in one pass: only what is due is opened.
    pub async fn tick(&self) -> Result<Tick, EngineError> {
        Ok(self.tick_seen().await?.0)
    }

    /// [`Engine::tick`], then [`Engine::attention`]'s views. When nothing was due, the heads
    /// the tick read already say who needs the person, so only those records are opened.
    pub async fn tick_attention(&self) -> Result<(Tick, Vec<ConnectionView>), EngineError> {
        let (tick, needing) = self.tick_seen().await?;
        if tick.checked > 0 {
            let (views, next_wakeup) = self.attention().await?;
            return Ok((
                Tick {
                    checked: tick.checked,
                    next_wakeup,
                },
                views,
            ));
        }
        let mut views = Vec::new();
        for (id, unreadable) in needing {
            match unreadable {
                Some(reason) => views.push(ConnectionView::unreadable(&id, reason)),
                None => views.extend(self.view_of(&id).await?),
            }
        }
        Ok((tick, views))
    }

    /// The tick, and who needed the person by the heads it read (unreadable ones with why).
    #[allow(clippy::type_complexity)]
    async fn tick_seen(
        &self,
    ) -> Result<(Tick, Vec<(ConnectionId, Option<crate::vault::Unreadable>)>), EngineError> {
        let now = self.now();
        let mut checked = 0;
        let mut next_wakeup: Option<Timestamp> = None;
        let mut needing = Vec::new();
        for (id, glance) in self.vault().glance().await? {
            if let Glance::Unreadable(reason) = &glance {
                needing.push((id, Some(reason.clone())));
                continue;
            }
            let Some(schedule) = self.schedule_of(&id, glance).await? else {
                continue;
            };
            if schedule.alert.is_some() {
                needing.push((id.clone(), None));
            }
            // A connection that needs a sign-in waits for the person; one from before
            // scheduling has no date and is checked now.
            let due = !schedule.parked
                && schedule
                    .next
                    .is_none_or(|t| schedule::is_due(Some(t), now, &self.settings));
            let mut next = schedule.next;
            if due {
                let _ = self.check_to(&id, Depth::Scheduled).await;
                checked += 1;
                // Only what was just checked is read again; the rest keep the date read above.
                next = match self.vault().load(&id).await? {
                    Some(Loaded::Ok { conn, .. }) => conn.schedule.next_check,
                    _ => None,
                };
            }
            if let Some(at) = next {
                next_wakeup = Some(next_wakeup.map_or(at, |n| n.min(at)));
            }
        }
        Ok((
            Tick {
                checked,
                next_wakeup,
            },
            needing,
        ))
    }

    /// The earliest moment any connection is due.
    pub async fn next_wakeup(&self) -> Result<Option<Timestamp>, EngineError> {
        Ok(self.overview().await?.1)
    }

    /// The status and schedule of a connection that renews silently now: Healthy, or Expiring
    /// soon near a fixed horizon — within a week (a second warning within a day) of a declared
    /// Salesforce policy's end, within 2 hours of a day-limited Microsoft sign-in's end. It
    /// wakes for the next check, the next warning, the start of silent renewal or the horizon,
    /// whichever is first.
    fn settle(&self, conn: &mut Connection, now: Timestamp) {
        let s = &self.settings;
        let mut next = now.plus(s.check_interval);
        let mut wake = |at: Timestamp| {
            if at > now {
                next = next.min(at);
            }
        };
        let status = match conn.horizon().filter(|_| conn.horizon_is_fixed()) {
            Some(by) if conn.is_day_limited() => {
                wake(by.minus(s.silent_renew_lead));
                wake(by.minus(s.warn_day_limited));
                wake(by);
                if by.is_later_than(now, s.warn_day_limited) {
                    Status::Healthy
                } else {
                    Status::ExpiringSoon {
                        by,
                        within_a_day: true,
                    }
                }
            }
            Some(by) if !by.is_later_than(now, s.warn_long) => {
                let within_a_day = !by.is_later_than(now, s.warn_short);
                if !within_a_day {
                    wake(by.minus(s.warn_short));
                }
                Status::ExpiringSoon { by, within_a_day }
            }
            Some(by) => {
                wake(by.minus(s.warn_long));
                Status::Healthy
            }
            None => Status::Healthy,
        };
        conn.set_status(status, now);
        conn.schedule = ScheduleState {
            next_check: Some(next),
            failures: 0,
        };
    }

    /// Records the org's refresh token policy as declared by the person or an admin, and
    /// projects the connection's horizon from it.
    pub async fn declare_policy(
        &self,
        id: &ConnectionId,
        policy: DeclaredPolicy,
    ) -> Result<ConnectionView, EngineError> {
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{id}"))
            .await;
        let (mut conn, generation) = self.readable(id).await?;
        if conn.provider() != Provider::Salesforce {
            return Err(EngineError::PolicyNotApplicable);
        }
        conn.policy = policy;
        if matches!(conn.status, Status::Healthy | Status::ExpiringSoon { .. }) {
            self.settle(&mut conn, self.now());
        }
        self.vault().save(&conn, generation).await?;
        Ok(conn.view())
    }

    async fn record_unreachable(
        &self,
        id: &ConnectionId,
        error: &EngineError,
    ) -> Result<ConnectionView, EngineError> {
        let (mut conn, generation) = match self.open(id).await? {
            Opened::Record(conn, generation) => (conn, generation),
            Opened::Unreadable(view) => return Ok(*view),
        };
        let now = self.now();
        let (reason, retry_after) = match error {
            EngineError::Unreachable {
                provider,
                reason,
                retry_after,
            } => (
                format!("{} could not be reached ({reason})", provider.name()),
                *retry_after,
            ),
            other => (
                sentence(&other.to_string())
                    .trim_end_matches('.')
                    .to_owned(),
                None,
            ),
        };
        let since = match conn.status {
            Status::Unreachable { since, .. } => since,
            _ => now,
        };
        let failures = conn.schedule.failures.saturating_add(1);
        let mut draw = [0u8; 1];
        self.ports.entropy().fill(&mut draw);
        let wait = schedule::backoff(
            failures,
            retry_after.map(std::time::Duration::from_secs),
            f64::from(draw[0]) / 255.0,
            &self.settings,
        );
        let next_try = now.plus(wait);
        conn.schedule = ScheduleState {
            next_check: Some(next_try),
            failures,
        };
        conn.checked_at = now;
        conn.set_status(
            Status::Unreachable {
                since,
                next_try,
                reason,
            },
            now,
        );
        match self.vault().save(&conn, generation).await {
            Ok(_) => Ok(conn.view()),
            Err(VaultError::Conflict) => self.view(id).await,
            Err(e) => Err(e.into()),
        }
    }

    async fn check_now(
        &self,
        id: &ConnectionId,
        depth: Depth,
    ) -> Result<ConnectionView, EngineError> {
        let (mut conn, mut generation) = match self.open(id).await? {
            Opened::Record(conn, generation) => (conn, generation),
            Opened::Unreadable(view) => return Ok(*view),
        };
        let now = self.now();
        let needs_refresh = match &conn.site {
            // An idle-limited refresh token is used before half its window has passed; the
            // refresh is then proven like any other.
            Site::Salesforce { .. } if conn.keep_alive_due(now) => true,
            Site::Salesforce { instance_url, .. } => {
                let instance = salesforce::parse_ascii_url(instance_url)
                    .ok_or_else(|| StoreError::Corrupt("instance URL".into()))?;
                matches!(
                    self.probe(&instance, &conn.tokens.access).await?,
                    Probe::Refused
                )
            }
            Site::Microsoft { .. } => {
                match self.renew_silently_if_due(&mut conn, now).await? {
                    Silent::Renewed(view) => return Ok(*view),
                    // Keep the history note before the refresh re-reads the record.
                    Silent::Failed => generation = self.vault().save(&conn, generation).await?,
                    Silent::NotDue => {}
                }
                // Microsoft's access tokens cannot be probed without calling the resource, so
                // the refresh token itself is the proof: redeemed when the person asks, when
                // the access token is due, and once the fixed horizon has passed (to learn
                // for certain that only a sign-in helps).
                depth == Depth::Prove
                    || conn.tokens.refresh_due.is_none_or(|due| due <= now)
                    || (conn.horizon_is_fixed() && conn.horizon().is_some_and(|h| h <= now))
            }
        };
        if needs_refresh {
            // From the record the probe used: if another context refreshed since, its refresh
            // is reused rather than repeated. A Salesforce token is proven again after it.
            return self.refresh_from(id, generation, Proof::ProbeAfter).await;
        }
        self.settle(&mut conn, now);
        conn.checked_at = now;
        match self.vault().save(&conn, generation).await {
            Ok(_) => Ok(conn.view()),
            // A refresh landed meanwhile; its record is the fresher one.
            Err(VaultError::Conflict) => self.view(id).await,
            Err(e) => Err(e.into()),
        }
    }

    /// A day-limited (single-page app) Microsoft sign-in within `silent_renew_lead` of its
    /// end is renewed with `prompt=none`, which Microsoft answers from its session cookie
    /// without a window. When that does not work the history says why and the caller carries
    /// on: the warning comes from [`Self::settle`], Needs sign-in from the refusal after the
    /// horizon.
    async fn renew_silently_if_due(
        &self,
        conn: &mut Connection,
        now: Timestamp,
    ) -> Result<Silent, EngineError> {
        let Some(horizon) = conn.horizon().filter(|_| conn.is_day_limited()) else {
            return Ok(Silent::NotDue);
        };
        if horizon <= now || horizon.is_later_than(now, self.settings.silent_renew_lead) {
            return Ok(Silent::NotDue);
        }
        let intent = SignIn::Renew {
            expected: conn.id.clone(),
            username: conn.account.username.clone(),
        };
        let why = match self.sign_in_again(conn, intent, Interaction::Silent).await {
            Ok(signed) => {
                return self
                    .store_signed_in(signed)
                    .await
                    .map(|v| Silent::Renewed(Box::new(v)));
            }
            Err(e @ EngineError::Unreachable { .. }) => return Err(e),
            Err(EngineError::Diagnosed { cause, .. }) => cause.text(Provider::Microsoft),
            Err(EngineError::Identity(_)) => "Microsoft asked for the person".into(),
            Err(other) => sentence(&other.to_string())
                .trim_end_matches('.')
                .to_owned(),
        };
        // One entry per reason since the last sign-in, not one per check.
        let already = conn
            .history
            .iter()
            .rev()
            .take_while(|h| h.event != "Signed in" && h.event != "Renewed silently")
            .any(|h| h.event == SILENT_RENEWAL_FAILED && h.detail == why);
        if !already {
            conn.history.push(HistoryEntry {
                at: now,
                event: SILENT_RENEWAL_FAILED.into(),
                detail: why,
            });
            if conn.history.len() > crate::connection::HISTORY_LIMIT {
                conn.history.remove(0);
            }
        }
        Ok(Silent::Failed)
    }

    /// Refreshes the access token now.
    ///
    /// Single-flight per connection across every context: the refresh runs under the lock
    /// `tokenwatch:refresh:<id>`, and a caller that had to wait re-reads the record and reuses
    /// a refresh that landed meanwhile instead of sending the refresh token again. With rotation
    /// on, a second use of the old token would be refused and lock the person out.
    pub async fn refresh(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        self.refresh_from(id, self.generation(id).await?, Proof::TokenResponse)
            .await
    }

    /// [`Engine::refresh`] for a caller that decided to refresh from the record at `seen`.
    async fn refresh_from(
        &self,
        id: &ConnectionId,
        seen: u64,
        proof: Proof,
    ) -> Result<ConnectionView, EngineError> {
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{id}"))
            .await;
        let (mut conn, mut generation) = match self.open(id).await? {
            Opened::Record(conn, generation) => (conn, generation),
            Opened::Unreadable(view) => return Ok(*view),
        };
        if generation != seen {
            return Ok(conn.view());
        }
        let provider = conn.provider();
        // Salesforce's rotation retires a refresh token the moment it answers; if the browser
        // stops Tokenwatch before the answer is stored, the token is gone. The window cannot be
        // closed, but it can be known: the start of each refresh is written first, so a refusal
        // that follows an unfinished refresh is explained as what it is.
        let interrupted = conn.refresh_started.is_some();
        if provider == Provider::Salesforce {
            conn.refresh_started = Some(self.now());
            generation = self.vault().save(&conn, generation).await?;
        }
        let (refreshed, redirect) = match &conn.site {
            Site::Salesforce {
                login_host,
                org,
                user,
                ..
            } => {
                let app = self
                    .salesforce
                    .as_ref()
                    .ok_or(EngineError::NotConfigured(provider))?;
                let client = salesforce::client(&app.consumer_key, &app.redirect, login_host);
                let result = client
                    .exchange_refresh_token(&conn.tokens.refresh)
                    .request_async(&Classified(self.ports.http()))
                    .await
                    .map_err(token_error(provider));
                let refreshed = match result {
                    Ok(token) => {
                        let grant = token.validate(login_host)?;
                        if grant.org != *org || grant.user != *user {
                            return Err(ResponseError::IdentityMismatch.into());
                        }
                        Ok(Refreshed {
                            access: token.access().clone(),
                            refresh: token.refresh().cloned(),
                            issued_at: grant.issued_at,
                            refresh_due: None,
                            identity_granted: token.grants_identity(),
                        })
                    }
                    Err(e) => Err(e),
                };
                (refreshed, app.redirect.as_str().to_owned())
            }
            Site::Microsoft { authority, .. } => {
                let app = self
                    .microsoft
                    .as_ref()
                    .ok_or(EngineError::NotConfigured(provider))?;
                let result = microsoft::client(app, authority)
                    .exchange_refresh_token(&conn.tokens.refresh)
                    .add_scopes(app.scopes())
                    .request_async(&Classified(self.ports.http()))
                    .await
                    .map_err(token_error(provider));
                let now = self.now();
                let refreshed = result.map(|token| Refreshed {
                    access: token.access().clone(),
                    refresh: token.refresh().cloned(),
                    issued_at: now,
                    refresh_due: Some(token.refresh_due(now)),
                    identity_granted: None,
                });
                (refreshed, app.redirect.as_str().to_owned())
            }
        };
        let now = self.now();
        match refreshed {
            Ok(r) => {
                conn.tokens.access = r.access;
                conn.tokens.issued_at = r.issued_at;
                conn.tokens.refresh_due = r.refresh_due;
                // RFC 6749 §6: without a new refresh token, the old one stays valid.
                if let Some(token) = r.refresh {
                    conn.tokens.refresh = token;
                }
                conn.refreshed_at = Some(now);
                conn.refresh_started = None;
                self.settle(&mut conn, now);
                conn.checked_at = now;
                // The new tokens are stored before anything else can fail: with rotation the
                // old refresh token is already gone.
                generation = self.vault().save(&conn, generation).await?;
                if let (Proof::ProbeAfter, Site::Salesforce { instance_url, .. }) =
                    (proof, &conn.site)
                {
                    let instance = salesforce::parse_ascii_url(instance_url)
                        .ok_or_else(|| StoreError::Corrupt("instance URL".into()))?;
                    if let Probe::Refused = self.probe(&instance, &conn.tokens.access).await? {
                        let cause = Cause::UserInfoRefused {
                            missing_scope: r.identity_granted == Some(false),
                        };
                        conn.set_status(Status::NeedsSignIn { cause }, now);
                        conn.schedule = ScheduleState::default();
                        self.vault().save(&conn, generation).await?;
                    }
                }
                return Ok(conn.view());
            }
            Err(EngineError::Refused {
                error, description, ..
            }) => {
                let ctx = diagnosis::Context {
                    org: Some(conn.id.org()),
                    redirect: &redirect,
                    expired_by_policy: conn.horizon_is_fixed()
                        && conn.horizon().is_some_and(|h| h <= now),
                };
                let cause = match diagnose(provider, &error, description.as_deref(), &ctx) {
                    // The token this refresh sent was retired by the one that was cut off.
                    Cause::Revoked if interrupted => Cause::RefreshInterrupted,
                    cause => cause,
                };
                conn.refresh_started = None;
                conn.set_status(Status::NeedsSignIn { cause }, now);
                // Never retried: only the person (or an admin) can fix it.
                conn.schedule = ScheduleState::default();
            }
            Err(e) => return Err(e),
        }
        conn.checked_at = now;
        self.vault().save(&conn, generation).await?;
        Ok(conn.view())
    }

    async fn generation(&self, id: &ConnectionId) -> Result<u64, EngineError> {
        self.vault()
            .generation(id)
            .await?
            .ok_or(EngineError::UnknownConnection)
    }

    async fn view(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, .. }) => Ok(conn.view()),
            Some(Loaded::Unreadable { reason, .. }) => Ok(ConnectionView::unreadable(id, reason)),
            None => Err(EngineError::UnknownConnection),
        }
    }

    async fn probe(&self, instance: &Url, access: &AccessToken) -> Result<Probe, EngineError> {
        const SF: Provider = Provider::Salesforce;
        let request = http::Request::builder()
            .method(http::Method::GET)
            .uri(salesforce::userinfo_url(instance).as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", access.secret()))
            .header(header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|_| {
                EngineError::BadResponse(SF, "the org address is not a valid URL".into())
            })?;
        let response =
            self.ports
                .http()
                .call(request)
                .await
                .map_err(|e| EngineError::Unreachable {
                    provider: SF,
                    reason: plain_text(&e.to_string()),
                    retry_after: None,
                })?;
        match response.status() {
            StatusCode::OK => serde_json::from_slice(response.body())
                .map(Probe::Valid)
                .map_err(|_| EngineError::BadResponse(SF, describe_body(response.body()).into())),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(Probe::Refused),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok());
                Err(EngineError::Unreachable {
                    provider: SF,
                    reason: format!("HTTP {}", s.as_u16()),
                    retry_after,
                })
            }
            s => Err(EngineError::BadResponse(
                SF,
                format!("HTTP {} from the user information endpoint", s.as_u16()),
            )),
        }
    }
}

/// The history event of a silent renewal that did not work.
pub const SILENT_RENEWAL_FAILED: &str = "Silent renewal failed";

/// A refusal during a sign-in says why, in the provider's terms.
fn refused_is_diagnosed(e: EngineError, ctx: &diagnosis::Context<'_>) -> EngineError {
    match e {
        EngineError::Refused {
            provider,
            error,
            description,
        } => EngineError::Diagnosed {
            provider,
            cause: diagnose(provider, &error, description.as_deref(), ctx),
        },
        e => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_described_never_quoted() {
        assert_eq!(
            describe_body(b"<!DOCTYPE html><title>502</title>"),
            "an HTML page instead of JSON, as a proxy or an outage page would send"
        );
        assert_eq!(
            describe_body(br#"{"access_token":"secret"}"#),
            "JSON without the expected fields"
        );
        assert_eq!(
            describe_body(b"access_token=secret"),
            "a body that is not JSON"
        );
    }
}
