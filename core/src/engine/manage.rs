//! What the options page and the row's buttons change besides sign-ins: a connection's
//! details, its declared policy, and disconnecting it.

use super::{Engine, Ports};
use crate::connection::{DeclaredPolicy, Site};
use crate::error::EngineError;
use crate::ids::{ConnectionId, Provider};
use crate::messages::{ConnectionDetails, ConnectionView};
use crate::provider;
use crate::status::Status;
use crate::vault::Loaded;

impl<P: Ports> Engine<P> {
    /// A connection's history, horizon and policy, for the options page.
    pub async fn details(&self, id: &ConnectionId) -> Result<ConnectionDetails, EngineError> {
        let (conn, _) = self.readable(id).await?;
        Ok(ConnectionDetails::of(&conn))
    }

    /// A plain-text report on `id` an administrator can act on: who and where, what it is for,
    /// its status and history with times in UTC, the provider's last refusals with their codes
    /// and Microsoft's trace and correlation ids; `about` names Tokenwatch's version and the
    /// browser. Built from the record's plain fields only: no token, no code can reach it.
    pub async fn report(&self, id: &ConnectionId, about: &str) -> Result<String, EngineError> {
        let (conn, _) = self.readable(id).await?;
        let p = conn.provider();
        let mut out = vec![
            "Tokenwatch diagnostic report".to_owned(),
            format!("Made: {}", self.now().utc()),
        ];
        if !about.is_empty() {
            out.push(about.to_owned());
        }
        out.push(format!("Provider: {}", p.name()));
        out.push(format!(
            "Account: {}{}",
            conn.account.username,
            conn.account
                .display_name
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
        match &conn.site {
            Site::Salesforce {
                login_host,
                instance_url,
                org,
                user,
            } => {
                out.push(format!("Org: {}; user: {}", org.as_str(), user.as_str()));
                out.push(format!(
                    "Login host: {login_host}; instance: {instance_url}"
                ));
                out.push(format!("Declared refresh token policy: {:?}", conn.policy));
            }
            Site::Microsoft {
                authority,
                tenant,
                object,
                registration,
                resource,
                cloud,
                ews_url,
            } => {
                out.push(format!(
                    "Tenant: {}; object: {}",
                    tenant.as_str(),
                    object.as_str()
                ));
                out.push(format!(
                    "Authority: {}/{}{}",
                    authority.host,
                    authority.tenant,
                    cloud
                        .map(|c| format!("; cloud: {}", c.name()))
                        .unwrap_or_default()
                ));
                out.push(format!(
                    "Resource: {}{}",
                    resource.title(),
                    ews_url
                        .as_deref()
                        .map(|u| format!(" at {u}"))
                        .unwrap_or_default()
                ));
                out.push(format!("Registration: {}", registration.name()));
            }
        }
        let view = conn.status.view(p);
        out.push(format!("Status: {} — {}", view.title, view.detail));
        if let Some(action) = view.action {
            out.push(format!("What fixes it: {action}"));
        }
        let at =
            |t: Option<crate::time::Timestamp>| t.map_or_else(|| "never".to_owned(), |t| t.utc());
        out.push(format!(
            "Connected: {}; signed in: {}; refreshed: {}; checked: {}",
            conn.connected_at.utc(),
            at(conn.approved_at),
            at(conn.refreshed_at),
            conn.checked_at.utc()
        ));
        if let Some(h) = conn.horizon() {
            out.push(format!(
                "Sign-in needed by: {}{}",
                h.utc(),
                if conn.horizon_is_fixed() {
                    ""
                } else {
                    " (moves with each renewal)"
                }
            ));
        }
        let refusals: Vec<_> = conn
            .history
            .iter()
            .rev()
            .filter_map(|h| h.refusal.as_ref().map(|r| (h.at, r)))
            .take(5)
            .collect();
        if !refusals.is_empty() {
            out.push("Last refusals:".into());
            for (at, r) in refusals {
                let ids = r.ids();
                out.push(format!(
                    "  {} {}{}{}",
                    at.utc(),
                    r.error,
                    r.description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default(),
                    if ids.is_empty() {
                        String::new()
                    } else {
                        format!(" [{ids}]")
                    }
                ));
            }
        }
        out.push("History, newest first:".into());
        for h in conn.history.iter().rev() {
            out.push(format!(
                "  {} {} — {}",
                h.at.utc(),
                h.event.title(p),
                h.detail
            ));
        }
        Ok(out.join("\n") + "\n")
    }

    /// Records the org's refresh token policy as declared by the person or an admin, and
    /// projects the connection's horizon from it.
    pub async fn declare_policy(
        &self,
        id: &ConnectionId,
        policy: DeclaredPolicy,
    ) -> Result<ConnectionView, EngineError> {
        let _guard = self.exclusive(id).await;
        let (mut conn, generation) = self.readable(id).await?;
        if conn.provider() != Provider::Salesforce {
            return Err(EngineError::PolicyNotApplicable);
        }
        conn.policy = policy;
        if matches!(conn.status, Status::Healthy | Status::ExpiringSoon { .. }) {
            self.settle(&mut conn, self.now());
        }
        self.vault().save(&conn, generation).await?;
        Ok(ConnectionView::of(&conn))
    }

    /// Revokes the connection at the provider, then removes everything stored for it, even
    /// when the revocation fails (the answer says so). It waits for a refresh in flight, so
    /// nothing is saved after the wipe. Microsoft offers public clients no revocation
    /// endpoint: its tokens are dropped here and `revoked` is false.
    pub async fn disconnect(&self, id: &ConnectionId) -> Result<bool, EngineError> {
        let _guard = self.exclusive(id).await;
        let revoked = match self.load(id).await? {
            Loaded::Ok { conn, .. } => provider::revoke(self.ports.http(), &conn).await,
            Loaded::Unreadable { .. } => false,
        };
        self.vault().delete(id).await?;
        Ok(revoked)
    }
}
