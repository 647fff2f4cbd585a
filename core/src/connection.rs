//! One watched connection: who it is, where it lives, its tokens and its status.

use crate::ids::{ConnectionId, OrgId, UserId};
use crate::messages::ConnectionView;
use crate::salesforce::{HostKind, LoginHost};
use crate::status::Status;
use crate::time::Timestamp;
use oauth2::{AccessToken, RefreshToken};
use serde::{Deserialize, Serialize};

/// Version of the stored record layout; bumped with a migration when the layout changes.
pub const RECORD_VERSION: u32 = 1;

/// Which identity provider a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// A Salesforce org.
    Salesforce,
}

/// The person's account at the provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The sign-in name, e.g. `ada@acme.example`.
    pub username: String,
    /// The person's display name, when the provider gave one.
    pub display_name: Option<String>,
    /// The org.
    pub org: OrgId,
    /// The user.
    pub user: UserId,
}

/// The org's refresh token policy for the connected app, as the person or an admin declared it.
/// Salesforce never tells the client ("Manage OAuth Access Policies" is admin-only), so this is
/// what lets Tokenwatch project when a sign-in will be needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
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
}

/// A stored connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Connection {
    /// Layout version, [`RECORD_VERSION`].
    pub v: u32,
    /// Storage and message key.
    pub id: ConnectionId,
    /// The provider.
    pub provider: Provider,
    /// Where the org signs in.
    pub login_host: LoginHost,
    /// The org's own address.
    pub instance_url: String,
    /// Who.
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
    /// The declared refresh token policy.
    #[serde(default)]
    pub policy: DeclaredPolicy,
    /// When the current refresh token's approval was granted (the last sign-in).
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    /// When the refresh token was last used successfully.
    #[serde(default)]
    pub refreshed_at: Option<Timestamp>,
}

/// How many history entries a connection keeps.
pub const HISTORY_LIMIT: usize = 50;

/// One change of a connection's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: Timestamp,
    /// The new status' headline, e.g. "Token valid".
    pub event: String,
    /// Why, when the status says.
    pub detail: String,
}

impl Connection {
    /// When the declared policy ends the refresh token, if it ever does: the moment after
    /// which only a sign-in helps.
    pub fn horizon(&self) -> Option<Timestamp> {
        let approved = self.approved_at.unwrap_or(self.connected_at);
        match self.policy {
            DeclaredPolicy::UntilRevoked => None,
            DeclaredPolicy::ExpireAfter { days: n } => Some(approved.plus(days(n))),
            DeclaredPolicy::ExpireIfUnused { days: n } => Some(
                self.refreshed_at
                    .unwrap_or(approved)
                    .max(approved)
                    .plus(days(n)),
            ),
            DeclaredPolicy::Immediately => Some(approved),
        }
    }

    /// Whether the horizon is fixed, so renewing silently cannot push it back.
    pub fn horizon_is_fixed(&self) -> bool {
        matches!(
            self.policy,
            DeclaredPolicy::ExpireAfter { .. } | DeclaredPolicy::Immediately
        )
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
            let view = status.view();
            self.history.push(HistoryEntry {
                at,
                event: view.title,
                detail: view.detail,
            });
            if self.history.len() > HISTORY_LIMIT {
                self.history.remove(0);
            }
        }
        self.status = status;
    }

    /// A short name for the org: its kind and host.
    pub fn label(&self) -> String {
        let host = &self.login_host;
        match host.kind() {
            HostKind::Production => "Production org".into(),
            HostKind::Sandbox => "Sandbox".into(),
            HostKind::MyDomain | HostKind::SandboxMyDomain => {
                let name = host.host().split('.').next().unwrap_or_default();
                let kind = if host.kind() == HostKind::MyDomain {
                    "My Domain"
                } else {
                    "Sandbox"
                };
                format!("{kind} {name}")
            }
            HostKind::Local => format!("Local org at {}", host.origin()),
            HostKind::Custom => host.host().to_owned(),
        }
    }

    /// What the UI may see: everything but the tokens.
    pub fn view(&self) -> ConnectionView {
        ConnectionView {
            id: self.id.clone(),
            provider: self.provider,
            label: self.label(),
            username: self.account.username.clone(),
            display_name: self.account.display_name.clone(),
            org_id: self.account.org.as_str().to_owned(),
            login_host: self.login_host.origin(),
            status: self.status.view(),
            connected_at: Some(self.connected_at),
            checked_at: Some(self.checked_at),
        }
    }
}
