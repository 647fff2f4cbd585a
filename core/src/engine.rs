//! The engine: connects, checks and lists connections over the ports. It holds no state of its
//! own between calls (the store is the truth), so a service worker that Chrome stops and
//! restarts loses nothing.

use crate::connection::{Account, Connection, DeclaredPolicy, Provider, RECORD_VERSION, Tokens};
use crate::diagnosis;
use crate::flow::{CallbackError, PendingAuthorization, plain_text};
use crate::ids::ConnectionId;
use crate::messages::{ConnectionView, ErrorView, LoginChoice, Request, Response, sentence};
use crate::ports::{Clock, Entropy, Identity, IdentityError, Interaction, Lock, Store, StoreError};
use crate::salesforce::{self, HostError, ResponseError, UserInfo};
use crate::schedule::{self, ScheduleState};
use crate::status::{Cause, Status};
use crate::time::Timestamp;
use crate::vault::{Loaded, Sealer, Vault, VaultError};
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
    /// No consumer key is configured.
    #[error(
        "Salesforce is not set up yet: an administrator must enter the consumer key of the connected app"
    )]
    NotConfigured,
    /// The typed login host is not acceptable.
    #[error("{0}")]
    BadHost(#[from] HostError),
    /// The sign-in window was closed or could not load.
    #[error("{0}")]
    Identity(#[from] IdentityError),
    /// The callback failed a check.
    #[error("Sign-in failed: {0}.")]
    Callback(#[from] CallbackError),
    /// The token endpoint refused the request with an OAuth error.
    #[error("Salesforce refused the request ({error}){}", .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// The `error` code.
        error: String,
        /// The `error_description`, as plain text.
        description: Option<String>,
    },
    /// The provider could not be reached, or answered 5xx or 429.
    #[error("Salesforce could not be reached ({reason}); try again later")]
    Unreachable {
        /// What failed.
        reason: String,
        /// `Retry-After`, in seconds, when the provider sent one.
        retry_after: Option<u64>,
    },
    /// The provider answered something that is not what its protocol says.
    #[error("Salesforce answered in an unexpected way ({0}); nothing was saved")]
    BadResponse(String),
    /// The provider's answer failed a rule of its own protocol.
    #[error("{0}")]
    Response(#[from] ResponseError),
    /// Storage failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Sealed storage failed (a conflict, or the crypto backend).
    #[error("{0}")]
    Vault(#[from] VaultError),
    /// No such connection.
    #[error("that connection no longer exists")]
    UnknownConnection,
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
    #[error("{} {}", .0.text(), .0.action())]
    Diagnosed(Cause),
}

impl EngineError {
    /// A stable code for the UI and tests.
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::NotConfigured => "not_configured",
            EngineError::BadHost(_) => "bad_host",
            EngineError::Identity(IdentityError::Cancelled) => "cancelled",
            EngineError::Identity(_) => "identity_unavailable",
            EngineError::Callback(CallbackError::StateMismatch) => "state_mismatch",
            EngineError::Callback(CallbackError::Denied { .. }) => "denied",
            EngineError::Callback(_) => "bad_callback",
            EngineError::Refused { .. } => "refused",
            EngineError::Unreachable { .. } => "unreachable",
            EngineError::BadResponse(_) => "bad_response",
            EngineError::Response(_) => "bad_response",
            EngineError::Store(_) => "storage",
            EngineError::Vault(VaultError::Conflict) => "conflict",
            EngineError::Vault(_) => "storage",
            EngineError::UnknownConnection => "unknown_connection",
            EngineError::Diagnosed(_) => "needs_admin_or_sign_in",
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
    e: RequestTokenError<TransportError, StandardErrorResponse<BasicErrorResponseType>>,
) -> EngineError {
    match e {
        RequestTokenError::ServerResponse(r) => EngineError::Refused {
            error: plain_text(r.error().as_ref()),
            description: r.error_description().map(|d| plain_text(d)),
        },
        RequestTokenError::Request(e) => {
            let retry_after = match &e {
                TransportError::Status { retry_after, .. } => *retry_after,
                TransportError::Network(_) => None,
            };
            EngineError::Unreachable {
                reason: e.to_string(),
                retry_after,
            }
        }
        RequestTokenError::Parse(_, body) => EngineError::BadResponse(describe_body(&body).into()),
        RequestTokenError::Other(_) => {
            EngineError::BadResponse("the token endpoint did not answer with JSON".into())
        }
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
    /// 401: the access token expired or was revoked.
    Expired,
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
    /// With another account (`prompt=login`).
    ChangeAccount,
}

/// A stored connection as the engine found it.
enum Opened {
    /// Readable, with its generation.
    Record(Box<Connection>, u64),
    /// Unreadable: the row to show instead.
    Unreadable(Box<ConnectionView>),
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
    settings: schedule::Settings,
}

impl<P: Ports> Engine<P> {
    /// An engine; `salesforce` is `None` until a consumer key is configured.
    pub fn new(ports: P, salesforce: Option<SalesforceApp>) -> Self {
        Self {
            ports,
            salesforce,
            settings: schedule::Settings::default(),
        }
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
            Request::Check { id } => one(self.check(&id).await),
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
        let vault = self.vault();
        let mut views = Vec::new();
        for id in vault.ids().await? {
            match vault.load(&id).await? {
                Some(Loaded::Ok { conn, .. }) => views.push(conn.view()),
                Some(Loaded::Unreadable { reason, .. }) => {
                    views.push(ConnectionView::unreadable(&id, reason))
                }
                None => {}
            }
        }
        Ok(views)
    }

    fn vault(&self) -> Vault<'_, P::Store, P::Sealer> {
        Vault::new(self.ports.store(), self.ports.sealer())
    }

    /// Connects a Salesforce org through an interactive sign-in. Nothing is stored unless every
    /// step succeeds, so a failed or cancelled sign-in leaves no half connection.
    pub async fn connect_salesforce(
        &self,
        login: &LoginChoice,
    ) -> Result<ConnectionView, EngineError> {
        self.sign_in(login.host()?, SignIn::Add).await
    }

    /// Signs in again to a connection that needs it. The known username is passed as
    /// `login_hint`, so the person confirms rather than retypes it, and the sign-in must come
    /// back as the same user in the same org: another account is refused and nothing changes.
    pub async fn renew(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        self.sign_in(
            conn.login_host.clone(),
            SignIn::Renew {
                expected: conn.id.clone(),
                username: conn.account.username.clone(),
            },
        )
        .await
    }

    /// Signs in with another account (Salesforce shows its login page even when a session
    /// exists, `prompt=login`). The new credentials replace this connection's: when the account
    /// differs, the old one is revoked and removed.
    pub async fn change_account(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        let view = self
            .sign_in(conn.login_host.clone(), SignIn::ChangeAccount)
            .await?;
        if view.id != *id {
            self.disconnect(id).await?;
        }
        Ok(view)
    }

    /// Revokes the connection at Salesforce, then removes everything stored for it, even when
    /// the revocation fails (the answer says so). It waits for a refresh in flight, so nothing
    /// is saved after the wipe.
    pub async fn disconnect(&self, id: &ConnectionId) -> Result<bool, EngineError> {
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{id}"))
            .await;
        let revoked = match self.vault().load(id).await? {
            Some(Loaded::Ok { conn, .. }) => self
                .revoke(&conn.login_host, &conn.tokens.refresh)
                .await
                .is_ok(),
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
        host: &salesforce::LoginHost,
        refresh: &oauth2::RefreshToken,
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
            .map_err(|_| EngineError::BadResponse("the login host is not a valid URL".into()))?;
        let response = Classified(self.ports.http())
            .call(request)
            .await
            .map_err(|e| EngineError::Unreachable {
                reason: e.to_string(),
                retry_after: None,
            })?;
        if response.status() == StatusCode::OK {
            Ok(())
        } else {
            Err(EngineError::BadResponse(format!(
                "HTTP {} from the revoke endpoint",
                response.status().as_u16()
            )))
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
                Err(EngineError::Diagnosed(Cause::StoredDataUnreadable {
                    reason,
                }))
            }
            None => Err(EngineError::UnknownConnection),
        }
    }

    async fn sign_in(
        &self,
        host: salesforce::LoginHost,
        intent: SignIn,
    ) -> Result<ConnectionView, EngineError> {
        let app = self.salesforce.as_ref().ok_or(EngineError::NotConfigured)?;
        let client = salesforce::client(&app.consumer_key, &app.redirect, &host);
        let pending = PendingAuthorization::new(
            self.ports.entropy(),
            app.redirect.clone(),
            self.ports.clock().now(),
        );
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
        let callback = self
            .ports
            .identity()
            .authorize(&url, Interaction::Interactive)
            .await?;
        let ctx = diagnosis::Context {
            org: None,
            redirect: app.redirect.as_str(),
            expired_by_policy: false,
        };
        let (code, verifier) = match pending.complete(&callback, self.ports.clock().now()) {
            Ok(found) => found,
            // The person said no: that is their answer, not a fault to diagnose.
            Err(CallbackError::Denied { error, description }) if error != "access_denied" => {
                return Err(EngineError::Diagnosed(diagnosis::salesforce(
                    &error,
                    description.as_deref(),
                    &ctx,
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let token = client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request_async(&Classified(self.ports.http()))
            .await
            .map_err(token_error)
            .map_err(|e| match e {
                EngineError::Refused { error, description } => EngineError::Diagnosed(
                    diagnosis::salesforce(&error, description.as_deref(), &ctx),
                ),
                e => e,
            })?;
        let grant = token.validate(&host)?;
        let refresh = token
            .refresh()
            .ok_or(ResponseError::NoRefreshToken)?
            .clone();
        let info = match self.probe(&grant.instance_url, token.access()).await? {
            Probe::Valid(info) => info,
            Probe::Expired => {
                return Err(EngineError::BadResponse(
                    "the new access token was refused at once".into(),
                ));
            }
        };
        info.check(&grant)?;
        let now = self.ports.clock().now();
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
        let (connected_at, history, policy, generation) = match self.vault().load(&id).await? {
            Some(Loaded::Ok { conn, generation }) => {
                (conn.connected_at, conn.history, conn.policy, generation)
            }
            Some(Loaded::Unreadable { generation, .. }) => {
                (now, Vec::new(), DeclaredPolicy::default(), generation)
            }
            None => (now, Vec::new(), DeclaredPolicy::default(), 0),
        };
        let mut conn = Connection {
            v: RECORD_VERSION,
            id,
            provider: Provider::Salesforce,
            login_host: host,
            instance_url: grant.instance_url.as_str().trim_end_matches('/').to_owned(),
            account: Account {
                username: plain_text(&info.preferred_username),
                display_name: info.name.as_deref().map(plain_text),
                org: grant.org,
                user: grant.user,
            },
            tokens: Tokens {
                access: token.access().clone(),
                refresh,
                issued_at: grant.issued_at,
            },
            status: Status::Healthy,
            connected_at,
            checked_at: now,
            schedule: ScheduleState::default(),
            history,
            policy,
            approved_at: Some(now),
            refreshed_at: Some(now),
        };
        conn.history.push(crate::connection::HistoryEntry {
            at: now,
            event: "Signed in".into(),
            detail: format!("as {}", conn.account.username),
        });
        self.settle(&mut conn, now);
        self.vault().save(&conn, generation).await?;
        Ok(conn.view())
    }

    /// Proves the connection works now: probes the access token and, if it expired, refreshes
    /// it. A refused refresh token turns the connection into Needs sign-in with its cause; a
    /// provider that cannot be reached turns it into Unreachable, retried with backoff.
    pub async fn check(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        match self.check_now(id).await {
            Err(e @ (EngineError::Unreachable { .. } | EngineError::BadResponse(_))) => {
                self.record_unreachable(id, &e).await
            }
            other => other,
        }
    }

    /// Checks every connection that is due, once each, and says when to wake next.
    pub async fn tick(&self) -> Result<Tick, EngineError> {
        let now = self.ports.clock().now();
        let mut checked = 0;
        let mut next_wakeup: Option<Timestamp> = None;
        for id in self.vault().ids().await? {
            let Some(Loaded::Ok { conn, .. }) = self.vault().load(&id).await? else {
                continue;
            };
            let due = match conn.status {
                Status::NeedsSignIn { .. } => false,
                // Records from before scheduling have no date: check them now.
                _ => conn
                    .schedule
                    .next_check
                    .is_none_or(|t| schedule::is_due(Some(t), now, &self.settings)),
            };
            let mut next = conn.schedule.next_check;
            if due {
                let _ = self.check(&id).await;
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
        Ok(Tick {
            checked,
            next_wakeup,
        })
    }

    /// The earliest moment any connection is due.
    pub async fn next_wakeup(&self) -> Result<Option<Timestamp>, EngineError> {
        let mut next: Option<Timestamp> = None;
        for id in self.vault().ids().await? {
            if let Some(Loaded::Ok { conn, .. }) = self.vault().load(&id).await? {
                if let Some(at) = conn.schedule.next_check {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
        }
        Ok(next)
    }

    /// The status and schedule of a connection that renews silently now: Healthy, or Expiring
    /// soon within a week of a fixed policy horizon (a second warning within a day). It wakes
    /// for the next check or the next warning, whichever is first.
    fn settle(&self, conn: &mut Connection, now: Timestamp) {
        let s = &self.settings;
        let mut next = now.plus(s.check_interval);
        let status = match conn.horizon().filter(|_| conn.horizon_is_fixed()) {
            Some(by) if !by.is_later_than(now, s.warn_long) => {
                let within_a_day = !by.is_later_than(now, s.warn_short);
                if !within_a_day {
                    next = next.min(by.minus(s.warn_short));
                }
                Status::ExpiringSoon { by, within_a_day }
            }
            Some(by) => {
                next = next.min(by.minus(s.warn_long));
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
        conn.policy = policy;
        if matches!(conn.status, Status::Healthy | Status::ExpiringSoon { .. }) {
            self.settle(&mut conn, self.ports.clock().now());
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
        let now = self.ports.clock().now();
        let (reason, retry_after) = match error {
            EngineError::Unreachable {
                reason,
                retry_after,
            } => (
                format!("Salesforce could not be reached ({reason})"),
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

    async fn check_now(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (mut conn, generation) = match self.open(id).await? {
            Opened::Record(conn, generation) => (conn, generation),
            Opened::Unreadable(view) => return Ok(*view),
        };
        let instance = salesforce::parse_ascii_url(&conn.instance_url)
            .ok_or_else(|| StoreError::Corrupt("instance URL".into()))?;
        match self.probe(&instance, &conn.tokens.access).await? {
            Probe::Expired => self.refresh(id).await,
            Probe::Valid(_) => {
                let now = self.ports.clock().now();
                self.settle(&mut conn, now);
                conn.checked_at = now;
                match self.vault().save(&conn, generation).await {
                    Ok(_) => Ok(conn.view()),
                    // A refresh landed meanwhile; its record is the fresher one.
                    Err(VaultError::Conflict) => self.view(id).await,
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// Refreshes the access token now.
    ///
    /// Single-flight per connection across every context: the refresh runs under the lock
    /// `tokenwatch:refresh:<id>`, and a caller that had to wait re-reads the record and reuses
    /// a refresh that landed meanwhile instead of sending the refresh token again. With rotation
    /// on, a second use of the old token would be refused and lock the person out.
    pub async fn refresh(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let app = self.salesforce.as_ref().ok_or(EngineError::NotConfigured)?;
        let seen = self.generation(id).await?;
        let _guard = self
            .ports
            .lock()
            .acquire(&format!("tokenwatch:refresh:{id}"))
            .await;
        let (mut conn, generation) = match self.open(id).await? {
            Opened::Record(conn, generation) => (conn, generation),
            Opened::Unreadable(view) => return Ok(*view),
        };
        if generation != seen {
            return Ok(conn.view());
        }
        let client = salesforce::client(&app.consumer_key, &app.redirect, &conn.login_host);
        let refreshed = client
            .exchange_refresh_token(&conn.tokens.refresh)
            .request_async(&Classified(self.ports.http()))
            .await
            .map_err(token_error);
        match refreshed {
            Ok(token) => {
                let grant = token.validate(&conn.login_host)?;
                if grant.org != conn.account.org || grant.user != conn.account.user {
                    return Err(ResponseError::IdentityMismatch.into());
                }
                conn.tokens.access = token.access().clone();
                conn.tokens.issued_at = grant.issued_at;
                // RFC 6749 §6: without a new refresh token, the old one stays valid.
                if let Some(r) = token.refresh() {
                    conn.tokens.refresh = r.clone();
                }
                let now = self.ports.clock().now();
                conn.refreshed_at = Some(now);
                self.settle(&mut conn, now);
            }
            Err(EngineError::Refused { error, description }) => {
                let ctx = diagnosis::Context {
                    org: Some(conn.account.org.as_str()),
                    redirect: app.redirect.as_str(),
                    expired_by_policy: conn
                        .horizon()
                        .is_some_and(|h| h <= self.ports.clock().now()),
                };
                let cause = diagnosis::salesforce(&error, description.as_deref(), &ctx);
                conn.set_status(Status::NeedsSignIn { cause }, self.ports.clock().now());
                // Never retried: only the person (or an admin) can fix it.
                conn.schedule = ScheduleState::default();
            }
            Err(e) => return Err(e),
        }
        conn.checked_at = self.ports.clock().now();
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
        let request = http::Request::builder()
            .method(http::Method::GET)
            .uri(salesforce::userinfo_url(instance).as_str())
            .header(header::AUTHORIZATION, format!("Bearer {}", access.secret()))
            .header(header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|_| EngineError::BadResponse("the org address is not a valid URL".into()))?;
        let response =
            self.ports
                .http()
                .call(request)
                .await
                .map_err(|e| EngineError::Unreachable {
                    reason: plain_text(&e.to_string()),
                    retry_after: None,
                })?;
        match response.status() {
            StatusCode::OK => serde_json::from_slice(response.body())
                .map(Probe::Valid)
                .map_err(|_| EngineError::BadResponse(describe_body(response.body()).into())),
            StatusCode::UNAUTHORIZED => Ok(Probe::Expired),
            s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => {
                let retry_after = response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse().ok());
                Err(EngineError::Unreachable {
                    reason: format!("HTTP {}", s.as_u16()),
                    retry_after,
                })
            }
            s => Err(EngineError::BadResponse(format!(
                "HTTP {} from the user information endpoint",
                s.as_u16()
            ))),
        }
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
