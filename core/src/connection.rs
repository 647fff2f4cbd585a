//! One watched connection: who it is, where it lives, its tokens and its status.

use crate::ids::{ConnectionId, ObjectId, OrgId, Provider, TenantId, UserId};
use crate::microsoft::{Authority, Cloud, Registration, Resource};
use crate::salesforce::{HostKind, LoginHost};
use crate::status::{Cause, Refusal, Status};
use crate::time::Timestamp;
use crate::words::Said;
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

/// Version of the stored record layout; bumped with a migration when the layout changes.
/// Version 1 (Salesforce only) kept the org and user in `account` and the login host at the
/// top level; [`Connection::from_json`] upgrades it.
pub const RECORD_VERSION: u32 = 2;

/// Where a connection lives at its provider, and whose it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
pub enum Site {
    /// A Salesforce org.
    Salesforce {
        /// Where the org signs in.
        login_host: LoginHost,
        /// The org's own address.
        instance_url: String,
        /// The org.
        org: OrgId,
        /// The user.
        user: UserId,
    },
    /// A Microsoft 365 account.
    Microsoft {
        /// The authority, pinned to the account's tenant.
        authority: Authority,
        /// The tenant (`tid`).
        tenant: TenantId,
        /// The account (`oid`).
        object: ObjectId,
        /// How the app was registered when the account signed in: fixes the horizon.
        registration: Registration,
        /// What the access token is for, and so what its check calls.
        resource: Resource,
        /// The national cloud, when the authority host does not say; `None` in records from
        /// before clouds were told apart (the authority host decides then).
        #[serde(default)]
        cloud: Option<Cloud>,
        /// The on-premises EWS address (only with [`Resource::ExchangeOnPremises`]).
        #[serde(default)]
        ews_url: Option<String>,
    },
}

crate::tag_first!(Site, "provider");

/// The person's account at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The sign-in name, e.g. `ada@acme.example`.
    pub username: String,
    /// The person's display name, when the provider gave one.
    pub display_name: Option<String>,
}

/// The org's refresh token policy for the connected app, as the person or an admin declared it.
/// Salesforce never tells the client ("Manage OAuth Access Policies" is admin-only), so this is
/// what lets Tokenwatch project when a sign-in will be needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "snake_case")]
pub enum DeclaredPolicy {
    /// "Refresh token is valid until revoked" (Salesforce's default).
    #[default]
    UntilRevoked,
    /// "Expire refresh token after N days", counted from the sign-in.
    ExpireAfter {
        /// N.
        days: u32,
    },
    /// "Expire refresh token if not used for N days": Tokenwatch's own refreshes keep it alive.
    ExpireIfUnused {
        /// N.
        days: u32,
    },
    /// "Immediately expire refresh token": every session needs a sign-in.
    Immediately,
}

crate::tag_first!(DeclaredPolicy, "policy");

fn days(n: u32) -> std::time::Duration {
    std::time::Duration::from_secs(u64::from(n) * 86_400)
}

/// The secrets of a connection. `Debug` of both token types prints `[redacted]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tokens {
    /// The current access token.
    pub access: AccessToken,
    /// The refresh token; RFC 6749 §6: kept when a refresh returns none.
    pub refresh: RefreshToken,
    /// When the provider says it issued the access token.
    pub issued_at: Timestamp,
    /// When the access token should be refreshed, from local receive time (Microsoft's
    /// `refresh_in` / `expires_in`); `None` for Salesforce, whose tokens say nothing.
    #[serde(default)]
    pub refresh_due: Option<Timestamp>,
    /// The scopes the provider said it granted (its token response's `scope`), so a refresh
    /// never asks for more (RFC 6749 §6); `None` when it did not say.
    #[serde(default)]
    pub granted: Option<String>,
}

/// A stored connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    /// Layout version, [`RECORD_VERSION`].
    pub v: u32,
    /// Storage and message key.
    pub id: ConnectionId,
    /// The provider, where, and whose.
    pub site: Site,
    /// The account at the provider.
    pub account: Account,
    /// The secrets.
    pub tokens: Tokens,
    /// The current status.
    pub status: Status,
    /// When the connection was first made.
    pub connected_at: Timestamp,
    /// When the tokens were last proven to work or found not to.
    pub checked_at: Timestamp,
    /// When it is due next.
    #[serde(default)]
    pub schedule: crate::schedule::ScheduleState,
    /// What happened to it, newest last, at most [`HISTORY_LIMIT`] entries.
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// The declared refresh token policy (Salesforce).
    #[serde(default)]
    pub policy: DeclaredPolicy,
    /// When the current refresh token's approval was granted (the last sign-in, interactive
    /// or silent).
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    /// When the refresh token was last used successfully.
    #[serde(default)]
    pub refreshed_at: Option<Timestamp>,
    /// Set when a (Salesforce) refresh starts, cleared when its outcome is stored: still set
    /// means the last refresh was cut off before its answer was saved.
    #[serde(default)]
    pub refresh_started: Option<Timestamp>,
    /// Whether the provider's last refresh answer rotated the refresh token (Salesforce
    /// issues a new one with each refresh only when the connected app's rotation is on);
    /// `None` before the first refresh. Known off, a refresh cut off retires nothing, so its
    /// start is not recorded and a refusal after it keeps its own cause.
    #[serde(default)]
    pub rotates: Option<bool>,
    /// Salesforce: an idle limit the org cannot lift, whatever policy is declared. An app used
    /// in more than two customer production orgs must limit idle refresh tokens to 30 days
    /// ("Secure Your Connected Apps and External Client Apps", Salesforce ISVforce Guide;
    /// `xcloud.connected_app_limit_idle_ttl.htm`): set when Tokenwatch is built with one
    /// shared consumer key.
    #[serde(default)]
    pub idle_limit_days: Option<u32>,
}

/// How many history entries a connection keeps.
pub const HISTORY_LIMIT: usize = 50;

/// One thing that happened to a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: Timestamp,
    /// What.
    pub event: Event,
    /// Why, or with whom.
    pub detail: String,
    /// The provider's refusal behind it, with the ids its support needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
}

/// What a history entry records: a sign-in, or the status the connection moved to. Stored as
/// the words the history shows, which is also how earlier versions stored it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Event {
    /// An interactive sign-in.
    SignedIn,
    /// A sign-in without a window (`prompt=none`).
    RenewedSilently,
    /// A silent renewal was tried and refused.
    SilentRenewalFailed,
    /// Now Healthy.
    TokenValid,
    /// Now Needs sign-in.
    TokenExpired,
    /// Now Expiring soon.
    ExpiringSoon,
    /// Now Unreachable.
    Unreachable,
    /// The stored schedule beside the sealed record failed its integrity check (something
    /// other than Tokenwatch wrote it) and was ignored.
    StoredScheduleIgnored,
}

impl Event {
    /// The words, for a connection to `provider`.
    pub fn title(self, provider: Provider) -> String {
        match self {
            Event::Unreachable => format!("Can't reach {}", provider.name()),
            other => String::from(other),
        }
    }

    /// Whether this event began a new sign-in period.
    pub fn is_sign_in(self) -> bool {
        matches!(self, Event::SignedIn | Event::RenewedSilently)
    }
}

impl From<Event> for String {
    fn from(e: Event) -> String {
        match e {
            Event::SignedIn => "Signed in",
            Event::RenewedSilently => "Renewed silently",
            Event::SilentRenewalFailed => "Silent renewal failed",
            Event::TokenValid => "Token valid",
            Event::TokenExpired => "Token expired",
            Event::ExpiringSoon => "Expiring soon",
            Event::Unreachable => "Can't reach",
            Event::StoredScheduleIgnored => "Stored schedule ignored",
        }
        .into()
    }
}

impl TryFrom<String> for Event {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Ok(match s.as_str() {
            "Signed in" => Event::SignedIn,
            "Renewed silently" => Event::RenewedSilently,
            "Silent renewal failed" => Event::SilentRenewalFailed,
            "Token valid" => Event::TokenValid,
            "Token expired" => Event::TokenExpired,
            "Expiring soon" => Event::ExpiringSoon,
            "Stored schedule ignored" => Event::StoredScheduleIgnored,
            // Earlier versions stored the provider's name with it.
            "Can't reach" | "Can't reach Salesforce" | "Can't reach Microsoft" => {
                Event::Unreachable
            }
            _ => return Err("an unknown history event".into()),
        })
    }
}

impl Connection {
    /// Reads a stored record, upgrading the version 1 layout.
    pub fn from_json(bytes: &[u8]) -> serde_json::Result<Self> {
        // The current layout reads straight from the bytes; only a record that does not, and
        // says it is version 1, is read again to be upgraded.
        #[derive(Deserialize)]
        struct Layout {
            v: Option<u64>,
        }
        match serde_json::from_slice::<Self>(bytes) {
            Ok(conn) if conn.v != 1 => return Ok(conn),
            Err(e) if !matches!(serde_json::from_slice(bytes), Ok(Layout { v: Some(1) })) => {
                return Err(e);
            }
            _ => {}
        }
        let mut value: serde_json::Value = serde_json::from_slice(bytes)?;
        upgrade_v1(&mut value);
        // Through the text again rather than `from_value`: one deserializer for every record.
        serde_json::from_slice(&serde_json::to_vec(&value)?)
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        match self.site {
            Site::Salesforce { .. } => Provider::Salesforce,
            Site::Microsoft { .. } => Provider::Microsoft,
        }
    }

    /// Whether this is a single-page-app Microsoft connection, whose sign-in lasts 24 h.
    pub fn is_day_limited(&self) -> bool {
        matches!(
            self.site,
            Site::Microsoft {
                registration: Registration::Spa,
                ..
            }
        )
    }

    /// When the refresh token ends, if it ever does: the moment after which only a sign-in
    /// helps. Salesforce: the declared policy. Microsoft: 24 h after the sign-in for a
    /// single-page app, 90 days after the last use for other public clients.
    pub fn horizon(&self) -> Option<Timestamp> {
        let approved = self.approved_at.unwrap_or(self.connected_at);
        match &self.site {
            Site::Microsoft {
                registration: Registration::Spa,
                ..
            } => return Some(approved.plus(crate::microsoft::SPA_LIFETIME)),
            Site::Microsoft {
                registration: Registration::PublicClient,
                ..
            } => {
                let used = self.refreshed_at.unwrap_or(approved).max(approved);
                return Some(used.plus(crate::microsoft::PUBLIC_CLIENT_IDLE_LIFETIME));
            }
            Site::Salesforce { .. } => {}
        }
        match (self.fixed_end(), self.idle_end()) {
            (Some(fixed), Some((idle, _))) => Some(fixed.min(idle)),
            (fixed, idle) => fixed.or(idle.map(|(at, _)| at)),
        }
    }

    /// Salesforce: the end a fixed policy sets, counted from the sign-in.
    fn fixed_end(&self) -> Option<Timestamp> {
        let approved = self.approved_at.unwrap_or(self.connected_at);
        match self.policy {
            DeclaredPolicy::ExpireAfter { days: n } => Some(approved.plus(days(n))),
            DeclaredPolicy::Immediately => Some(approved),
            DeclaredPolicy::UntilRevoked | DeclaredPolicy::ExpireIfUnused { .. } => None,
        }
    }

    /// Salesforce: the end an idle limit sets (the declared "expire if not used" or the limit
    /// the app is under, whichever is shorter) and that limit; each refresh pushes it back.
    /// "Immediately" is not affected by the app's limit (`xcloud.connected_app_limit_idle_ttl.htm`).
    fn idle_end(&self) -> Option<(Timestamp, std::time::Duration)> {
        if !matches!(self.site, Site::Salesforce { .. }) {
            return None;
        }
        let declared = match self.policy {
            DeclaredPolicy::ExpireIfUnused { days: n } => Some(n),
            DeclaredPolicy::Immediately => return None,
            _ => None,
        };
        let limit = match (declared, self.idle_limit_days) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        let approved = self.approved_at.unwrap_or(self.connected_at);
        let used = self.refreshed_at.unwrap_or(approved).max(approved);
        Some((used.plus(days(limit)), days(limit)))
    }

    /// Whether a refresh is due only to keep an idle-limited Salesforce refresh token alive:
    /// half its window has passed since it was last used. A check proves the access token,
    /// which does not use the refresh token, so without this a connection whose session never
    /// times out would run out.
    pub fn keep_alive_due(&self, now: Timestamp) -> bool {
        self.idle_end()
            .is_some_and(|(end, window)| !end.is_later_than(now, window / 2))
    }

    /// Whether the horizon is fixed, so refreshing cannot push it back (only a new sign-in,
    /// which for a single-page app may be silent).
    pub fn horizon_is_fixed(&self) -> bool {
        match self.site {
            Site::Microsoft { registration, .. } => registration == Registration::Spa,
            Site::Salesforce { .. } => match (self.fixed_end(), self.idle_end()) {
                (Some(fixed), Some((idle, _))) => fixed <= idle,
                (fixed, _) => fixed.is_some(),
            },
        }
    }

    /// Sets the status, recording a history entry when it changes kind (or cause): retries
    /// while unreachable are one entry, not one each.
    pub fn set_status(&mut self, status: Status, at: Timestamp) {
        let same = match (&self.status, &status) {
            (Status::Healthy, Status::Healthy)
            | (Status::Unreachable { .. }, Status::Unreachable { .. }) => true,
            (
                Status::ExpiringSoon {
                    within_a_day: a, ..
                },
                Status::ExpiringSoon {
                    within_a_day: b, ..
                },
            ) => a == b,
            (Status::NeedsSignIn { cause: a }, Status::NeedsSignIn { cause: b }) => a == b,
            _ => false,
        };
        if !same {
            let event = match status {
                Status::Healthy => Event::TokenValid,
                Status::NeedsSignIn { .. } => Event::TokenExpired,
                Status::ExpiringSoon { .. } => Event::ExpiringSoon,
                Status::Unreachable { .. } => Event::Unreachable,
            };
            let detail = status.view(self.provider()).detail;
            self.record(at, event, detail);
        }
        self.status = status;
    }

    /// Adds to the history, dropping the oldest entry beyond [`HISTORY_LIMIT`].
    pub fn record(&mut self, at: Timestamp, event: Event, detail: String) {
        self.history.push(HistoryEntry {
            at,
            event,
            detail,
            refusal: None,
        });
        if self.history.len() > HISTORY_LIMIT {
            self.history.remove(0);
        }
    }

    /// Needs sign-in for `cause`, which `refusal` said: the history keeps what the provider
    /// said with its ids, even when the cause is the same as before.
    pub fn set_refused(&mut self, cause: Cause, refusal: Refusal, at: Timestamp) {
        let status = Status::NeedsSignIn { cause };
        let detail = status.view(self.provider()).detail;
        self.status = status;
        self.history.push(HistoryEntry {
            at,
            event: Event::TokenExpired,
            detail,
            refusal: Some(refusal),
        });
        if self.history.len() > HISTORY_LIMIT {
            self.history.remove(0);
        }
    }

    /// A short name: the org's kind and host, or the Microsoft account's domain.
    pub fn label(&self) -> String {
        crate::words::english(&self.said_label())
    }

    /// [`Connection::label`] as a catalogue message.
    pub fn said_label(&self) -> Said {
        let host = match &self.site {
            Site::Salesforce { login_host, .. } => login_host,
            Site::Microsoft { .. } => {
                return match self.account.username.rsplit_once('@') {
                    Some((_, domain)) if !domain.is_empty() => {
                        Said::new("labelMicrosoft", &[domain])
                    }
                    _ => Said::new("labelMicrosoftAccount", &[]),
                };
            }
        };
        let name = host.host().split('.').next().unwrap_or_default();
        match host.kind() {
            HostKind::Production => Said::new("labelProduction", &[]),
            HostKind::Sandbox => Said::new("labelSandbox", &[]),
            HostKind::MyDomain => Said::new("labelMyDomain", &[name]),
            HostKind::SandboxMyDomain => Said::new("labelSandboxMyDomain", &[name]),
            HostKind::Local => Said::new("labelLocal", &[&host.origin()]),
            HostKind::Custom => Said::new("labelCustom", &[host.host()]),
        }
    }
}

/// Version 1 → 2: `provider`, `login_host`, `instance_url` and `account.{org,user}` move into
/// `site`.
fn upgrade_v1(value: &mut serde_json::Value) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    let mut site = serde_json::Map::new();
    for key in ["provider", "login_host", "instance_url"] {
        if let Some(v) = obj.remove(key) {
            site.insert(key.into(), v);
        }
    }
    if let Some(account) = obj.get_mut("account").and_then(|a| a.as_object_mut()) {
        for key in ["org", "user"] {
            if let Some(v) = account.remove(key) {
                site.insert(key.into(), v);
            }
        }
    }
    obj.insert("site".into(), site.into());
    obj.insert("v".into(), RECORD_VERSION.into());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_record_is_upgraded_without_loss() {
        let v1 = serde_json::json!({
            "v": 1,
            "id": "sf:00D5g000004AcmeEAA:0055g000004AdaXEAA",
            "provider": "salesforce",
            "login_host": "https://login.salesforce.com",
            "instance_url": "https://acme.my.salesforce.com",
            "account": {
                "username": "ada@acme.example",
                "display_name": "Ada Lovelace",
                "org": "00D5g000004AcmeEAA",
                "user": "0055g000004AdaXEAA"
            },
            "tokens": {"access": "a", "refresh": "r", "issued_at": 5},
            "status": {"state": "healthy"},
            "connected_at": 1,
            "checked_at": 2
        });
        let conn = Connection::from_json(v1.to_string().as_bytes()).unwrap();
        assert_eq!(conn.v, RECORD_VERSION);
        assert_eq!(conn.provider(), Provider::Salesforce);
        assert_eq!(conn.account.username, "ada@acme.example");
        match &conn.site {
            Site::Salesforce {
                login_host,
                instance_url,
                org,
                user,
            } => {
                assert_eq!(login_host.origin(), "https://login.salesforce.com");
                assert_eq!(instance_url, "https://acme.my.salesforce.com");
                assert_eq!(org.as_str(), "00D5g000004AcmeEAA");
                assert_eq!(user.as_str(), "0055g000004AdaXEAA");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(conn.tokens.refresh_due, None);
        let again = serde_json::to_vec(&conn).unwrap();
        assert_eq!(Connection::from_json(&again).unwrap().site, conn.site);
    }
}
