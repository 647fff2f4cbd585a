//! What the options page and the row's buttons change besides sign-ins: a connection's
//! details, its declared policy, and disconnecting it.

use super::{Engine, Ports};
use crate::connection::DeclaredPolicy;
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
