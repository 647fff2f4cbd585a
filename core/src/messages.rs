//! The one message protocol between extension contexts: what pages and content scripts may ask
//! the service worker, and the views it answers with. Views carry no secret.

use crate::connection::{Connection, DeclaredPolicy, HistoryEntry, Site};
use crate::host::HostError;
use crate::ids::{ConnectionId, Provider};
use crate::microsoft::{Registration, Resource, Tenant, parse_ews_url};
use crate::salesforce::LoginHost;
use crate::settings::{Field, FieldError, SettingsValues};
use crate::status::{Cause, Status, StatusView, Unreadable};
use crate::time::Timestamp;
use crate::vault::Loaded;
use serde::{Deserialize, Serialize};

/// Protocol version; a page built for another version is refused rather than misread.
/// Version 2 named the two renewals for what they do (`renew_now`, `sign_in_again`) and
/// answers every action with the whole list.
pub const PROTOCOL_VERSION: u32 = 2;

/// A request with its protocol version, as it travels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// [`PROTOCOL_VERSION`].
    pub v: u32,
    /// The request.
    pub request: Request,
}

/// What a page may ask the worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Every connection's view.
    ListConnections {},
    /// Connect a Salesforce org through an interactive sign-in.
    AddSalesforce {
        /// Which login host.
        login: LoginChoice,
    },
    /// Connect a Microsoft 365 account through an interactive sign-in with the configured app
    /// registration, from the chosen tenant and for the chosen resource.
    AddMicrosoft {
        /// The person's choices; empty takes the settings'.
        account: MicrosoftChoice,
    },
    /// Prove the connection's tokens work now, refreshing them if the access token expired.
    Check {
        /// Which connection.
        id: ConnectionId,
    },
    /// Renew now: prove the connection with the provider (for a Microsoft single-page app,
    /// renew its sign-in silently), and when only a sign-in helps, open it.
    RenewNow {
        /// Which connection.
        id: ConnectionId,
    },
    /// What the in-mail banner shows: the connections that need the person, without detail.
    /// The one request a content script may make besides renewing such a connection.
    BannerStatus {},
    /// Sign in again to this connection (same account).
    SignInAgain {
        /// Which connection.
        id: ConnectionId,
    },
    /// Sign in with another account, replacing this connection's credentials.
    ChangeAccount {
        /// Which connection.
        id: ConnectionId,
    },
    /// Record the org's refresh token policy for this connection.
    DeclarePolicy {
        /// Which connection.
        id: ConnectionId,
        /// The policy, as the org's admin set it.
        policy: DeclaredPolicy,
    },
    /// Revoke at the provider and remove everything stored.
    Disconnect {
        /// Which connection.
        id: ConnectionId,
    },
    /// A connection's history, horizon and declared policy (the options page).
    Details {
        /// Which connection.
        id: ConnectionId,
    },
    /// A plain-text report on the connection for an administrator: no token, no code.
    Report {
        /// Which connection.
        id: ConnectionId,
    },
    /// The settings: the person's own, the effective ones, and which an administrator locked.
    GetSettings {},
    /// Saves the person's settings after checking every field; nothing is saved when one is
    /// refused.
    SaveSettings {
        /// The person's layer (unset fields fall back to the build's defaults).
        values: SettingsValues,
    },
}

crate::tag_first!(Request, "type", wire, deny_unknown_fields);

/// The login host the person picked for a new org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
pub enum LoginChoice {
    /// `login.salesforce.com`.
    Production,
    /// `test.salesforce.com`.
    Sandbox,
    /// A My Domain or any other host the person typed.
    Custom {
        /// As typed.
        host: String,
    },
}

crate::tag_first!(LoginChoice, "kind", wire, deny_unknown_fields);

impl LoginChoice {
    /// The login host, or why the typed host is refused.
    pub fn host(&self) -> Result<LoginHost, HostError> {
        match self {
            LoginChoice::Production => Ok(LoginHost::production()),
            LoginChoice::Sandbox => Ok(LoginHost::sandbox()),
            LoginChoice::Custom { host } => LoginHost::parse(host),
        }
    }
}

/// What a person chose when adding a Microsoft 365 account; every part is optional and
/// defaults to the settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MicrosoftChoice {
    /// `organizations`, `consumers` (personal accounts), `common`, a tenant id or a domain.
    pub tenant: Option<String>,
    /// What the connection's access token is for.
    pub resource: Option<Resource>,
    /// The EWS address, for Exchange on premises.
    pub ews_url: Option<String>,
}

impl MicrosoftChoice {
    /// Where the sign-in goes, or the field the person must correct.
    pub fn target(&self) -> Result<crate::microsoft::Target, ChoiceError> {
        let blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let tenant = match blank(&self.tenant) {
            Some(t) => Some(Tenant::parse(&t).map_err(|e| ChoiceError {
                field: "ms-tenant",
                message: e.to_string(),
            })?),
            None => None,
        };
        let ews_url = match blank(&self.ews_url) {
            Some(u) => Some(parse_ews_url(&u).map_err(|_| ChoiceError {
                field: "ms-ews-url",
                message: "the EWS address must be an https URL such as https://mail.contoso.com/EWS/Exchange.asmx".into(),
            })?),
            None => None,
        };
        Ok(crate::microsoft::Target {
            tenant,
            resource: self.resource,
            ews_url,
            ..Default::default()
        })
    }
}

/// A choice the person made that cannot be used, for the field it belongs next to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ChoiceError {
    /// The page's field.
    pub field: &'static str,
    /// Why.
    pub message: String,
}

/// The worker's answer.
// One response is built per message and serialized at once: boxing the large variant would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
pub enum Response {
    /// Every connection.
    Connections {
        /// In a stable order.
        connections: Vec<ConnectionView>,
    },
    /// One connection after an action, and every connection as the action left them (so a
    /// page redraws without asking again).
    Connection {
        /// Its view.
        connection: ConnectionView,
        /// Every connection, in a stable order.
        connections: Vec<ConnectionView>,
    },
    /// The banner's lines.
    Banner {
        /// One per connection that needs the person.
        items: Vec<BannerItem>,
    },
    /// A connection's history, horizon and policy.
    Details {
        /// What the options page shows.
        details: ConnectionDetails,
    },
    /// The settings.
    Settings {
        /// Every layer, and what is in force.
        settings: SettingsView,
    },
    /// Settings refused, each error with its field; nothing was saved.
    Invalid {
        /// The refusals.
        errors: Vec<FieldError>,
    },
    /// A connection's report, as plain text.
    Report {
        /// The report.
        text: String,
    },
    /// A connection was removed.
    Disconnected {
        /// The connection removed.
        id: ConnectionId,
        /// Whether the provider confirmed the revocation (it is removed locally either way).
        revoked: bool,
        /// The connections that remain.
        connections: Vec<ConnectionView>,
    },
    /// The request failed; nothing was half-done.
    Error {
        /// What went wrong, in words for the person.
        error: ErrorView,
    },
}

crate::tag_first!(Response, "type", wire);

impl Response {
    /// Every connection, where this answer carries them all (a list, or an action's answer).
    pub fn connections(&self) -> Option<&[ConnectionView]> {
        match self {
            Self::Connections { connections }
            | Self::Connection { connections, .. }
            | Self::Disconnected { connections, .. } => Some(connections),
            _ => None,
        }
    }
}

/// `text` as a sentence for the person: a capital first letter and a closing full stop. ASCII
/// only: the messages are Tokenwatch's own English, and full Unicode case tables would cost the
/// wasm about 7 KB gzip.
pub fn sentence(text: &str) -> String {
    let mut out = text.trim().to_owned();
    if out.is_empty() {
        return out;
    }
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

impl Response {
    /// An error answer; `message` is made a sentence.
    pub fn error(code: ErrorCode, message: impl AsRef<str>) -> Self {
        Response::Error {
            error: ErrorView {
                code,
                message: sentence(message.as_ref()),
                field: None,
                said: Vec::new(),
            },
        }
    }

    /// The answer to a sender that may not ask this.
    pub fn forbidden() -> Self {
        Self::error(
            ErrorCode::Forbidden,
            "Only Tokenwatch's own pages may ask for this.",
        )
    }
}

/// What kind of failure an [`ErrorView`] reports, for code that reacts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The provider's app is not set up.
    NotConfigured,
    /// The typed login host is refused.
    BadHost,
    /// The sign-in window was closed without an answer.
    Cancelled,
    /// A silent sign-in needed the person.
    InteractionRequired,
    /// The host would not open a sign-in window.
    DialogBlocked,
    /// The sign-in window answered from a foreign site.
    ForeignOrigin,
    /// The sign-in window could not load.
    IdentityUnavailable,
    /// The callback's `state` was not this sign-in's.
    StateMismatch,
    /// The person (or the provider) declined at the authorize step.
    Denied,
    /// The callback failed another check.
    BadCallback,
    /// The token endpoint refused.
    Refused,
    /// The provider could not be reached.
    Unreachable,
    /// The provider answered against its own protocol.
    BadResponse,
    /// Storage failed.
    Storage,
    /// Another context saved at the same time.
    Conflict,
    /// No such connection.
    UnknownConnection,
    /// The request does not apply to this connection.
    NotApplicable,
    /// An administrator or a sign-in must fix it; the message says which.
    NeedsAdminOrSignIn,
    /// A renewal came back as another account.
    WrongAccount,
    /// The message was not a request of this protocol.
    Malformed,
    /// The sender may not ask this.
    Forbidden,
    /// The service worker could not be reached.
    UnreachableWorker,
    /// A choice made when adding a connection is refused; `field` names it.
    BadChoice,
    /// Tokenwatch itself failed.
    Internal,
}

/// What the options page shows about one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionDetails {
    /// The row.
    pub view: ConnectionView,
    /// What happened to it, newest last.
    pub history: Vec<HistoryLine>,
    /// When only a sign-in helps, if that is known.
    pub horizon: Option<Timestamp>,
    /// Whether renewing cannot push the horizon back.
    pub horizon_fixed: bool,
    /// The declared refresh token policy (Salesforce only).
    pub policy: Option<DeclaredPolicy>,
    /// The Microsoft registration type the connection was made with.
    pub registration: Option<Registration>,
}

/// One history entry in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLine {
    /// When.
    pub at: Timestamp,
    /// What, e.g. "Signed in", "Can't reach Salesforce".
    pub title: String,
    /// Why, or with whom.
    pub detail: String,
}

impl HistoryLine {
    /// `entry` of a connection to `provider`.
    pub fn of(entry: &HistoryEntry, provider: Provider) -> Self {
        Self {
            at: entry.at,
            title: entry.event.title(provider),
            detail: entry.detail.clone(),
        }
    }
}

impl ConnectionDetails {
    /// What the options page shows of `conn`.
    pub fn of(conn: &Connection) -> Self {
        Self {
            view: ConnectionView::of(conn),
            history: conn
                .history
                .iter()
                .map(|h| HistoryLine::of(h, conn.provider()))
                .collect(),
            horizon: conn.horizon(),
            horizon_fixed: conn.horizon_is_fixed(),
            policy: (conn.provider() == Provider::Salesforce).then_some(conn.policy),
            registration: match &conn.site {
                Site::Microsoft { registration, .. } => Some(*registration),
                Site::Salesforce { .. } => None,
            },
        }
    }
}

/// The settings as the options page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    /// The person's own layer.
    pub own: SettingsValues,
    /// What is in force (managed, then own, then the build's).
    pub effective: SettingsValues,
    /// Fields an administrator set: shown, not editable.
    pub locked: Vec<Field>,
    /// Why the settings in force are not usable, if they are not.
    pub problems: Vec<FieldError>,
    /// Set when the person's saved settings failed their integrity check (something other
    /// than Tokenwatch wrote them) and are not in force: what to do about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

/// One line of the in-mail banner: enough to say who needs a sign-in, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BannerItem {
    /// Key for Renew.
    pub id: ConnectionId,
    /// Whose.
    pub provider: Provider,
    /// The account.
    pub username: String,
    /// "Token expired" or "Expiring soon".
    pub title: String,
    /// The title as a catalogue message, for the person's language.
    #[serde(default)]
    pub said: Option<crate::status::Said>,
    /// The sign-in deadline, when there is one.
    pub by: Option<Timestamp>,
}

impl BannerItem {
    /// The banner line of `view`, when it needs the person.
    pub fn of(view: &ConnectionView) -> Option<Self> {
        view.status.alert.as_ref()?;
        Some(Self {
            id: view.id.clone(),
            provider: view.provider,
            username: view.username.clone(),
            title: view.status.title.clone(),
            said: view.status.said.title.clone(),
            by: view.status.times.first().map(|t| t.at),
        })
    }
}

/// A failure as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    /// What kind of failure.
    pub code: ErrorCode,
    /// One or two sentences for the person.
    pub message: String,
    /// The form field the message belongs next to, if any.
    pub field: Option<String>,
    /// The message as catalogue messages (each a sentence or two, joined by a space), for the
    /// person's language; empty where it has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub said: Vec<crate::words::Said>,
}

impl ErrorView {
    /// What a surface inside a web page (the in-mail banner) is told of a failure: a fixed
    /// sentence for the code, with nothing from the provider or another account in it.
    pub fn for_web_page(code: ErrorCode) -> Self {
        let key = match code {
            ErrorCode::Cancelled => "bannerCancelled",
            ErrorCode::WrongAccount => "bannerWrongAccount",
            ErrorCode::Unreachable => "bannerUnreachable",
            _ => "bannerFailed",
        };
        let said = crate::words::Said::new(key, &[]);
        Self {
            code,
            message: crate::words::english(&said),
            field: None,
            said: vec![said],
        }
    }
}

/// A connection as every surface shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    /// Key for actions.
    pub id: ConnectionId,
    /// The provider.
    pub provider: Provider,
    /// Short name ("Production org", "My Domain acme", "Microsoft 365 contoso.com").
    pub label: String,
    /// The label as a catalogue message, for the person's language.
    #[serde(default)]
    pub label_said: Option<crate::words::Said>,
    /// The sign-in name.
    pub username: String,
    /// The display name, if known.
    pub display_name: Option<String>,
    /// The org id (Salesforce) or tenant id (Microsoft).
    pub org_id: String,
    /// The login host's or authority's origin; `None` when the stored data cannot be read.
    pub login_host: Option<String>,
    /// The status in words.
    pub status: StatusView,
    /// When it was connected, if known.
    pub connected_at: Option<Timestamp>,
    /// When it was last checked, if known.
    pub checked_at: Option<Timestamp>,
}

impl ConnectionView {
    /// What the UI may see of `conn`: everything but the tokens.
    pub fn of(conn: &Connection) -> Self {
        let (org_id, login_host) = match &conn.site {
            Site::Salesforce {
                login_host, org, ..
            } => (org.as_str().to_owned(), login_host.origin()),
            Site::Microsoft {
                authority, tenant, ..
            } => (tenant.as_str().to_owned(), authority.host.origin()),
        };
        Self {
            id: conn.id.clone(),
            provider: conn.provider(),
            label: conn.label(),
            label_said: Some(conn.said_label()),
            username: conn.account.username.clone(),
            display_name: conn.account.display_name.clone(),
            org_id,
            login_host: Some(login_host),
            status: conn.status.view(conn.provider()),
            connected_at: Some(conn.connected_at),
            checked_at: Some(conn.checked_at),
        }
    }

    /// The row of a connection whose stored data cannot be read: what its id tells, and why.
    pub fn unreadable(id: &ConnectionId, reason: Unreadable) -> Self {
        let provider = id.provider();
        let label = crate::words::Said::new(
            match provider {
                Provider::Salesforce => "labelSalesforceOrg",
                Provider::Microsoft => "labelMicrosoftAccount",
            },
            &[],
        );
        Self {
            id: id.clone(),
            provider,
            label: crate::words::english(&label),
            label_said: Some(label),
            username: "unknown user".into(),
            display_name: None,
            org_id: id.org().to_owned(),
            login_host: None,
            status: Status::NeedsSignIn {
                cause: Cause::StoredDataUnreadable { reason },
            }
            .view(provider),
            connected_at: None,
            checked_at: None,
        }
    }

    /// The row of what the vault loaded for `id`.
    pub fn loaded(id: &ConnectionId, loaded: &Loaded) -> Self {
        match loaded {
            Loaded::Ok { conn, .. } => Self::of(conn),
            Loaded::Unreadable { reason, .. } => Self::unreadable(id, reason.clone()),
        }
    }
}

/// Why a message could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// Another protocol version.
    #[error("this page is from another version of Tokenwatch (protocol {0}); reload it")]
    Version(u32),
    /// Not a request of this protocol.
    #[error("malformed request")]
    Malformed,
}

impl Envelope {
    /// Wraps a request in the current version.
    pub fn new(request: Request) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            request,
        }
    }

    /// Reads a request from untrusted JSON text. Another version is refused as such, whether
    /// or not its request would read here; only what does not read is looked at twice.
    pub fn decode(text: &str) -> Result<Request, MessageError> {
        Self::decode_with(
            serde_json::from_slice::<Envelope>(text.as_bytes()).ok(),
            || serde_json::from_slice::<VersionOnly>(text.as_bytes()).ok(),
        )
    }

    /// [`Envelope::decode`] for any format: `envelope` is the message read as an envelope
    /// (`None` if it did not read), `version` reads only its version, and is called only when
    /// the envelope did not read.
    pub fn decode_with(
        envelope: Option<Envelope>,
        version: impl FnOnce() -> Option<VersionOnly>,
    ) -> Result<Request, MessageError> {
        let other = |v: u64| MessageError::Version(u32::try_from(v).unwrap_or(u32::MAX));
        match envelope {
            Some(e) if e.v == PROTOCOL_VERSION => Ok(e.request),
            Some(e) => Err(other(e.v.into())),
            None => match version() {
                Some(VersionOnly { v }) if v != u64::from(PROTOCOL_VERSION) => Err(other(v)),
                _ => Err(MessageError::Malformed),
            },
        }
    }
}

/// A message's version alone, to refuse another version as such when its request does not read.
#[derive(Debug, Deserialize)]
pub struct VersionOnly {
    /// The protocol version.
    pub v: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_have_a_stable_wire_shape() {
        let e = Envelope::new(Request::AddSalesforce {
            login: LoginChoice::Custom {
                host: "acme.my.salesforce.com".into(),
            },
        });
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"v":2,"request":{"type":"add_salesforce","login":{"kind":"custom","host":"acme.my.salesforce.com"}}})
        );
        assert_eq!(
            Envelope::decode(r#"{"v":2,"request":{"type":"list_connections"}}"#),
            Ok(Request::ListConnections {})
        );
    }

    #[test]
    fn messages_become_sentences() {
        assert_eq!(sentence("the window was closed"), "The window was closed.");
        assert_eq!(sentence("Sign-in failed: x."), "Sign-in failed: x.");
        assert_eq!(sentence("über?"), "über?");
        assert_eq!(sentence("  "), "");
    }

    #[test]
    fn other_versions_and_malformed_requests_are_refused() {
        assert_eq!(
            Envelope::decode(r#"{"v":1,"request":{"type":"list_connections"}}"#),
            Err(MessageError::Version(1))
        );
        for bad in [
            json!(null),
            json!("list_connections"),
            json!({"request":{"type":"list_connections"}}),
            json!({"v":2,"request":{"type":"get_token"}}),
            json!({"v":2,"request":{"type":"list_connections","extra":1}}),
            json!({"v":2,"request":{"type":"check","id":"../../etc"}}),
            json!({"v":2,"request":{"type":"add_salesforce","login":{"kind":"custom"}}}),
        ] {
            assert_eq!(
                Envelope::decode(&bad.to_string()),
                Err(MessageError::Malformed),
                "{bad}"
            );
        }
    }
}
