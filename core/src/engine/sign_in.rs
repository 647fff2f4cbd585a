//! Signing in: a new connection, the same account again, another account; and storing what a
//! sign-in brought.

use super::{Engine, Ports};
use crate::connection::{Connection, DeclaredPolicy, RECORD_VERSION, Site};
use crate::error::EngineError;
use crate::ids::{ConnectionId, Provider};
use crate::messages::{ConnectionView, LoginChoice, MicrosoftChoice};
use crate::ports::{Identity, Interaction};
use crate::provider::shared::{Intent, SignedIn};
use crate::provider::{self, App, Target};
use crate::salesforce::SHARED_APP_IDLE_DAYS;
use crate::schedule::ScheduleState;
use crate::status::Status;
use crate::vault::Loaded;

impl<P: Ports> Engine<P> {
    /// Connects a Salesforce org through an interactive sign-in. Nothing is stored unless every
    /// step succeeds, so a failed or cancelled sign-in leaves no half connection.
    pub async fn connect_salesforce(
        &self,
        login: &LoginChoice,
    ) -> Result<ConnectionView, EngineError> {
        let App::Salesforce(app) = self.app(Provider::Salesforce)? else {
            return Err(EngineError::NotConfigured(Provider::Salesforce));
        };
        let host = match login {
            LoginChoice::Production => app.production.clone(),
            LoginChoice::Sandbox => app.sandbox.clone(),
            LoginChoice::Custom { .. } => login.host()?,
        };
        let signed = self
            .sign_in(
                Target::Salesforce(host),
                Intent::Add,
                Interaction::Interactive,
            )
            .await?;
        self.store_signed_in(signed).await
    }

    /// Connects a Microsoft 365 account through an interactive sign-in with the configured
    /// registration, from `choice`'s tenant and for its resource (the settings' where it
    /// chose none). Nothing is stored unless every step (ID token and granted permissions
    /// included) succeeds.
    pub async fn connect_microsoft(
        &self,
        choice: &MicrosoftChoice,
    ) -> Result<ConnectionView, EngineError> {
        let target = choice.target()?;
        let signed = self
            .sign_in(
                Target::Microsoft(target),
                Intent::Add,
                Interaction::Interactive,
            )
            .await?;
        self.store_signed_in(signed).await
    }

    /// Signs in again to a connection that needs it. The known username is passed as
    /// `login_hint`, so the person confirms rather than retypes it, and the sign-in must come
    /// back as the same account: another account is refused and nothing changes.
    pub async fn sign_in_again(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        self.sign_in_again_to(&conn, Interaction::Interactive).await
    }

    /// [`Engine::sign_in_again`] with the record already in hand, interactive or silent.
    pub(super) async fn sign_in_again_to(
        &self,
        conn: &Connection,
        interaction: Interaction,
    ) -> Result<ConnectionView, EngineError> {
        let intent = Intent::Renew {
            expected: conn.id.clone(),
            username: conn.account.username.clone(),
        };
        let signed = self
            .sign_in(Target::of(&conn.site, &intent), intent, interaction)
            .await?;
        self.store_signed_in(signed).await
    }

    /// Signs in with another account (the provider shows its account choice even when a
    /// session exists). The new credentials replace this connection's: when the account
    /// differs, the old one is revoked (where the provider allows) and removed.
    pub async fn change_account(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        let intent = Intent::ChangeAccount;
        let signed = self
            .sign_in(
                Target::of(&conn.site, &intent),
                intent,
                Interaction::Interactive,
            )
            .await?;
        let view = self.store_signed_in(signed).await?;
        if view.id != *id {
            self.disconnect(id).await?;
        }
        Ok(view)
    }

    /// The one sign-in: the provider's authorization request, the window, and the provider's
    /// completion of its callback. A renewal must come back as the connection's own account.
    async fn sign_in(
        &self,
        target: Target,
        intent: Intent,
        interaction: Interaction,
    ) -> Result<SignedIn, EngineError> {
        let app = self.app(target.provider())?;
        let started = app.start(
            target,
            &intent,
            interaction,
            self.ports.entropy(),
            self.now(),
        )?;
        let callback = match self
            .ports
            .identity()
            .authorize(started.url(), interaction)
            .await
        {
            Ok(callback) => callback,
            Err(e) => return Err(app.unanswered(&started, e)),
        };
        let signed = match app
            .finish(self.ports.http(), started, &callback, self.now())
            .await
        {
            Ok(signed) => signed,
            Err(EngineError::Diagnosed { provider, cause }) if matches!(intent, Intent::Add) => {
                return Err(EngineError::SignInRefused { provider, cause });
            }
            Err(e) => return Err(e),
        };
        if let Intent::Renew { expected, username } = &intent {
            if signed.id != *expected {
                // Not the account this connection belongs to: its tokens are not kept.
                app.discard(self.ports.http(), &signed).await;
                return Err(EngineError::WrongAccount {
                    signed_in_as: signed.account.username,
                    expected: username.clone(),
                });
            }
        }
        Ok(signed)
    }

    /// Stores a completed sign-in: a new connection, or the same one with new tokens, keeping
    /// when it was first connected, its history and its declared policy.
    pub(super) async fn store_signed_in(
        &self,
        signed: SignedIn,
    ) -> Result<ConnectionView, EngineError> {
        let now = self.now();
        let _guard = self.exclusive(&signed.id).await;
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
        let (connected_at, history, policy, rotates, generation, replaced) =
            match self.vault().load(&signed.id).await? {
                Some(Loaded::Ok { conn, generation }) => (
                    conn.connected_at,
                    conn.history.clone(),
                    conn.policy,
                    conn.rotates,
                    generation,
                    Some(conn),
                ),
                Some(Loaded::Unreadable { generation, .. }) => {
                    (now, Vec::new(), first_policy, None, generation, None)
                }
                None => (now, Vec::new(), first_policy, None, 0, None),
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
            // The connected app's setting, not the sign-in's: what the last refresh showed.
            rotates,
            idle_limit_days,
        };
        let with = format!("as {}", conn.account.username);
        conn.record(now, signed.event, with);
        self.settle(&mut conn, now);
        self.vault().save(&conn, generation).await?;
        // Each Salesforce sign-in is an approval of its own, and Salesforce keeps five per
        // user and app (the sixth drops the oldest, which may be another tool's): once the new
        // tokens are saved, the refresh token they replace is revoked (RFC 7009), with the
        // access tokens issued from it. Microsoft has no revocation a public client may call.
        if let Some(old) = replaced {
            if old.tokens.refresh.secret() != conn.tokens.refresh.secret() {
                let _ = provider::revoke(self.ports.http(), &old).await;
            }
        }
        Ok(ConnectionView::of(&conn))
    }
}
