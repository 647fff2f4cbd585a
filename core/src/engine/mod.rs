//! The engine: connects, checks and lists connections over the ports. It holds no state of its
//! own between calls (the store is the truth), so a service worker that Chrome stops and
//! restarts loses nothing.
//!
//! Split by job: `sign_in` (add, sign in again, change account, store what a sign-in brought),
//! `check` (prove a connection, renew a day-limited one silently, record an outage), `refresh`
//! (one token refresh per connection across every context), `schedule` (the tick, the lists
//! and who needs the person) and `manage` (details, declared policy, disconnect). Everything a
//! provider does differently is behind [`App`].

mod check;
mod manage;
mod refresh;
mod schedule;
mod sign_in;

pub use schedule::Tick;

use crate::concurrent::{Ran, SingleFlight};
use crate::connection::Connection;
use crate::error::EngineError;
use crate::ids::{ConnectionId, Provider};
use crate::messages::{BannerItem, ConnectionView, ErrorCode, ErrorView, Request, Response};
use crate::microsoft::MicrosoftApp;
use crate::ports::{Clock, Entropy, Identity, Lock, Store};
use crate::provider::App;
use crate::salesforce::SalesforceApp;
use crate::schedule::Timing;
use crate::status::Cause;
use crate::time::Timestamp;
use crate::vault::{Loaded, Sealer, Vault};
use oauth2::AsyncHttpClient;

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
    /// Randomness for `state`, `nonce`, PKCE and backoff jitter.
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

/// The ports as one struct, generic over each: every host fills it with its own adapters (the
/// service worker, the Outlook pane, the native tests).
#[derive(Debug, Default)]
pub struct PortSet<H, S, I, C, E, K, L> {
    /// HTTP.
    pub http: H,
    /// Storage.
    pub store: S,
    /// The sign-in window.
    pub identity: I,
    /// The clock.
    pub clock: C,
    /// Randomness.
    pub entropy: E,
    /// Encryption of stored records.
    pub sealer: K,
    /// Mutual exclusion across contexts.
    pub lock: L,
}

impl<H, S, I, C, E, K, L> Ports for PortSet<H, S, I, C, E, K, L>
where
    H: for<'c> AsyncHttpClient<'c>,
    S: Store,
    I: Identity,
    C: Clock,
    E: Entropy,
    K: Sealer,
    L: Lock,
{
    type Http = H;
    type Store = S;
    type Identity = I;
    type Clock = C;
    type Entropy = E;
    type Sealer = K;
    type Lock = L;
    fn http(&self) -> &H {
        &self.http
    }
    fn store(&self) -> &S {
        &self.store
    }
    fn identity(&self) -> &I {
        &self.identity
    }
    fn clock(&self) -> &C {
        &self.clock
    }
    fn entropy(&self) -> &E {
        &self.entropy
    }
    fn sealer(&self) -> &K {
        &self.sealer
    }
    fn lock(&self) -> &L {
        &self.lock
    }
}

/// The engine over a set of ports.
#[derive(Debug)]
pub struct Engine<P> {
    ports: P,
    /// The heads this engine verified, so a tick does not verify an unchanged head again.
    verified_heads: crate::vault::VerifiedHeads,
    salesforce: Option<SalesforceApp>,
    microsoft: Option<MicrosoftApp>,
    timing: Timing,
    /// The checks running in this context, which a check of the same connection joins.
    checks: SingleFlight<ConnectionId, Checked>,
}

/// A check's view of its connection and the list it left, or the error it came to.
#[derive(Debug, Clone)]
struct Checked(Result<(ConnectionView, Vec<ConnectionView>), ErrorView>);

impl Checked {
    fn into_response(self) -> Response {
        match self.0 {
            Ok((connection, connections)) => Response::Connection {
                connection,
                connections,
            },
            Err(error) => Response::Error { error },
        }
    }
}

/// A request's answer, and whether it came from a check another caller ran ([`Engine::serve`]).
#[derive(Debug)]
pub struct Served {
    /// What to send back.
    pub response: Response,
    /// Another caller's check answered this one: that caller brings the surfaces up to date.
    pub joined: bool,
}

/// The lock one connection's token changes run under, in every context: `navigator.locks`
/// names are shared by the worker and every page.
fn lock_name(id: &ConnectionId) -> String {
    format!("tokenwatch:refresh:{id}")
}

impl<P: Ports> Engine<P> {
    /// An engine; `salesforce` is `None` until a consumer key is configured.
    pub fn new(ports: P, salesforce: Option<SalesforceApp>) -> Self {
        Self {
            ports,
            verified_heads: Default::default(),
            salesforce,
            microsoft: None,
            timing: Timing::default(),
            checks: SingleFlight::default(),
        }
    }

    /// The same engine able to connect Microsoft 365 accounts through `app`.
    pub fn with_microsoft(mut self, app: Option<MicrosoftApp>) -> Self {
        self.microsoft = app;
        self
    }

    /// The same engine with other timing.
    pub fn with_timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// The ports, for the shell's own use.
    pub fn ports(&self) -> &P {
        &self.ports
    }

    /// [`Engine::handle`], where a check of a connection that this context is checking already
    /// joins that check and answers with its outcome: the popup, the options page, a banner's
    /// Renew and the person's clicks asking at once cost one probe, at most one refresh and
    /// one list, not one each. (Across contexts the connection's lock and the record's
    /// generation keep it to one refresh; see [`Engine::refresh_tokens`].)
    pub async fn serve(&self, request: Request) -> Served {
        let Request::Check { id } = &request else {
            return Served {
                response: self.handle(request).await,
                joined: false,
            };
        };
        let (checked, ran) = self.checks.run(id, || self.checked(id)).await;
        Served {
            response: checked.into_response(),
            joined: ran == Ran::Joined,
        }
    }

    /// A check's outcome with the list it left, as every caller of a burst receives it.
    async fn checked(&self, id: &ConnectionId) -> Checked {
        Checked(match self.check(id).await {
            Ok(connection) => match self.list().await {
                Ok(connections) => Ok((connection, connections)),
                Err(e) => Err(e.view()),
            },
            Err(e) => Err(e.view()),
        })
    }

    /// Answers one request from a page. The sender has already been checked. An action is
    /// answered with every connection as it left them, so the page redraws at once.
    pub async fn handle(&self, request: Request) -> Response {
        let result = match request {
            Request::ListConnections {} => self
                .list()
                .await
                .map(|connections| Response::Connections { connections }),
            Request::AddSalesforce { login } => {
                self.changed(self.connect_salesforce(&login).await).await
            }
            Request::AddMicrosoft { account } => {
                self.changed(self.connect_microsoft(&account).await).await
            }
            Request::Report { id } => self
                .report(&id, "")
                .await
                .map(|text| Response::Report { text }),
            Request::Check { id } => return self.checked(&id).await.into_response(),
            Request::RenewNow { id } => self.changed(self.renew_now(&id).await).await,
            Request::BannerStatus {} => self.list().await.map(|all| Response::Banner {
                items: all.iter().filter_map(BannerItem::of).collect(),
            }),
            Request::Details { id } => self
                .details(&id)
                .await
                .map(|details| Response::Details { details }),
            // The shell keeps the settings (they decide how this engine is built).
            Request::GetSettings {} | Request::SaveSettings { .. } => Ok(Response::error(
                ErrorCode::Internal,
                "settings are kept by the service worker, not the engine",
            )),
            Request::SignInAgain { id } => self.changed(self.sign_in_again(&id).await).await,
            Request::ChangeAccount { id } => self.changed(self.change_account(&id).await).await,
            Request::DeclarePolicy { id, policy } => {
                self.changed(self.declare_policy(&id, policy).await).await
            }
            Request::Disconnect { id } => match self.disconnect(&id).await {
                Ok(revoked) => self.list().await.map(|connections| Response::Disconnected {
                    id,
                    revoked,
                    connections,
                }),
                Err(e) => Err(e),
            },
        };
        result.unwrap_or_else(|e| Response::Error { error: e.view() })
    }

    /// An action's outcome with the list it left.
    async fn changed(
        &self,
        outcome: Result<ConnectionView, EngineError>,
    ) -> Result<Response, EngineError> {
        let connection = outcome?;
        let connections = self.list().await?;
        Ok(Response::Connection {
            connection,
            connections,
        })
    }

    /// The app that signs in at `provider`.
    fn app(&self, provider: Provider) -> Result<App<'_>, EngineError> {
        match provider {
            Provider::Salesforce => self.salesforce.as_ref().map(App::Salesforce),
            Provider::Microsoft => self.microsoft.as_ref().map(App::Microsoft),
        }
        .ok_or(EngineError::NotConfigured(provider))
    }

    fn vault(&self) -> Vault<'_, P::Store, P::Sealer> {
        Vault::new(self.ports.store(), self.ports.sealer()).with(self.now(), &self.verified_heads)
    }

    fn now(&self) -> Timestamp {
        self.ports.clock().now()
    }

    /// Holds `id`'s lock: one change of its tokens at a time across every context.
    async fn exclusive(&self, id: &ConnectionId) -> <P::Lock as Lock>::Guard<'_> {
        self.ports.lock().acquire(&lock_name(id)).await
    }

    /// The stored connection `id`, readable or not (an unreadable one already quarantined by
    /// the vault); [`EngineError::UnknownConnection`] when there is none. Every read of one
    /// record goes through here.
    async fn load(&self, id: &ConnectionId) -> Result<Loaded, EngineError> {
        self.vault()
            .load(id)
            .await?
            .ok_or(EngineError::UnknownConnection)
    }

    /// [`Engine::load`] for an action that needs the record: one that cannot be read is an
    /// error with its cause.
    async fn readable(&self, id: &ConnectionId) -> Result<(Box<Connection>, u64), EngineError> {
        match self.load(id).await? {
            Loaded::Ok { conn, generation } => Ok((conn, generation)),
            Loaded::Unreadable { reason, .. } => Err(EngineError::Diagnosed {
                provider: id.provider(),
                cause: Cause::StoredDataUnreadable { reason },
            }),
        }
    }

    /// The row of `id` as stored now.
    async fn view(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        Ok(ConnectionView::loaded(id, &self.load(id).await?))
    }
}
