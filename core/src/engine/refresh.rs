//! Refreshing tokens without races: one refresh per connection at a time across every context.

use super::{Engine, Ports};
use crate::connection::Connection;
use crate::error::EngineError;
use crate::ids::ConnectionId;
use crate::messages::ConnectionView;
use crate::provider::{
    self,
    shared::{Context, Probe},
};
use crate::schedule::ScheduleState;
use crate::status::{Cause, Status};
use crate::vault::{Loaded, VaultError};

/// What follows a successful refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum After {
    /// Nothing: the token endpoint's answer is the proof (a refresh asked for as such).
    Nothing,
    /// A check: the new access token is proven at the provider's probe too, so a refusal there
    /// is diagnosed rather than refreshed again at the next check.
    Probe,
}

impl<P: Ports> Engine<P> {
    /// Refreshes the access token now.
    ///
    /// Single-flight per connection across every context: the refresh runs under the
    /// connection's lock, and a caller that had to wait re-reads the record and reuses a
    /// refresh that landed meanwhile instead of sending the refresh token again. With rotation
    /// on, a second use of the old token would be refused and lock the person out. Nothing is
    /// sent before a `Retry-After` the provider gave: the view is Can't reach until then.
    pub async fn refresh_tokens(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let seen = self
            .vault()
            .generation(id)
            .await?
            .ok_or(EngineError::UnknownConnection)?;
        self.refresh_from(id, seen, After::Nothing).await
    }

    /// Saves `conn`, which holds what the provider just answered: when another context wrote
    /// a newer generation meanwhile (without the lock: a check's note or time), `apply` puts
    /// the answer on that record instead, so the answer is never lost. `None` when the record
    /// became unreadable meanwhile.
    async fn save_over(
        &self,
        id: &ConnectionId,
        conn: &mut Box<Connection>,
        mut generation: u64,
        apply: impl Fn(&mut Connection),
    ) -> Result<Option<u64>, EngineError> {
        for _ in 0..8 {
            match self.vault().save(conn, generation).await {
                Ok(saved) => return Ok(Some(saved)),
                Err(VaultError::Conflict) => match self.load(id).await? {
                    Loaded::Ok {
                        conn: newer,
                        generation: newest,
                    } => {
                        *conn = newer;
                        apply(conn);
                        generation = newest;
                    }
                    _ => return Ok(None),
                },
                Err(e) => return Err(e.into()),
            }
        }
        Err(VaultError::Conflict.into())
    }

    /// [`Engine::refresh_tokens`] for a caller that decided to refresh from the record at
    /// generation `seen`.
    pub(super) async fn refresh_from(
        &self,
        id: &ConnectionId,
        seen: u64,
        after: After,
    ) -> Result<ConnectionView, EngineError> {
        let _guard = self.exclusive(id).await;
        let (mut conn, mut generation) = match self.load(id).await? {
            Loaded::Ok { conn, generation } => (conn, generation),
            unreadable => return Ok(ConnectionView::loaded(id, &unreadable)),
        };
        // Reused: another context refreshed meanwhile, or was told to wait (`Retry-After`),
        // which holds for every caller, the person's Check now included. The view says when
        // the next try is.
        if generation != seen || conn.schedule.asked_to_wait(self.now()) {
            return Ok(ConnectionView::of(&conn));
        }
        let app = self.app(conn.provider())?;
        // Salesforce's rotation retires a refresh token the moment it answers; if the browser
        // stops Tokenwatch before the answer is stored, the token is gone. The window cannot be
        // closed, but it can be known: the start of each refresh is written first, so a
        // refusal that follows an unfinished refresh is explained as what it is.
        // A token already refused (Needs sign-in, sent again because the person asked) retires
        // nothing: its refusal keeps the cause it had, whatever happened to an earlier try.
        // Nor does a refresh where the provider's answers show rotation off (no new refresh
        // token): the mark would only turn the next refusal's own cause into a wrong one.
        let parked = matches!(conn.status, Status::NeedsSignIn { .. });
        let retires = app.retires_on_refresh() && conn.rotates != Some(false) && !parked;
        let interrupted = conn.refresh_started.is_some() && retires;
        if retires {
            conn.refresh_started = Some(self.now());
            generation = self.vault().save(&conn, generation).await?;
        }
        let refreshed = app.refresh(self.ports.http(), &conn, self.now()).await;
        let now = self.now();
        match refreshed {
            Ok(r) => {
                let rotated = r
                    .refresh
                    .as_ref()
                    .is_some_and(|new| new.secret() != conn.tokens.refresh.secret());
                let renewed = |conn: &mut Connection| {
                    conn.rotates = Some(rotated);
                    conn.tokens.access = r.access.clone();
                    conn.tokens.issued_at = r.issued_at;
                    conn.tokens.refresh_due = r.refresh_due;
                    if r.granted.is_some() {
                        conn.tokens.granted = r.granted.clone();
                    }
                    // RFC 6749 §6: without a new refresh token, the old one stays valid.
                    if let Some(token) = r.refresh.clone() {
                        conn.tokens.refresh = token;
                    }
                    conn.refreshed_at = Some(now);
                    conn.refresh_started = None;
                    self.settle(conn, now);
                    conn.checked_at = now;
                };
                renewed(&mut conn);
                // The new tokens are stored before anything else can fail: with rotation the
                // old refresh token is already gone. Other contexts write the record without
                // this lock (a check's note, its time), so a save that meets a newer
                // generation puts the tokens on that record instead of losing them.
                generation = match self.save_over(id, &mut conn, generation, renewed).await? {
                    Some(saved) => saved,
                    None => return self.view(id).await,
                };
                if after == After::Probe {
                    let cause = match provider::probe(self.ports.http(), &conn).await? {
                        Probe::Refused => Some(app.refused_fresh(&r, &conn)),
                        Probe::Denied(cause) => Some(cause),
                        Probe::Accepted | Probe::NotProbed => None,
                    };
                    if let Some(cause) = cause {
                        conn.set_status(Status::NeedsSignIn { cause }, now);
                        conn.schedule = ScheduleState::default();
                        self.vault().save(&conn, generation).await?;
                    }
                }
                Ok(ConnectionView::of(&conn))
            }
            Err(EngineError::Refused { refusal, .. }) => {
                let ctx = Context {
                    org: Some(conn.id.org()),
                    redirect: app.redirect().as_str(),
                    expired_by_policy: conn.horizon_is_fixed()
                        && conn.horizon().is_some_and(|h| h <= now),
                };
                let cause = match app.diagnose(&refusal, &ctx) {
                    // The token this refresh sent was retired by the one that was cut off.
                    Cause::Revoked if interrupted => Cause::RefreshInterrupted,
                    cause => cause,
                };
                let refused = |conn: &mut Connection| {
                    conn.refresh_started = None;
                    conn.set_refused(cause.clone(), (*refusal).clone(), now);
                    // Never retried: only the person (or an admin) can fix it.
                    conn.schedule = ScheduleState::default();
                    conn.checked_at = now;
                };
                refused(&mut conn);
                // Like new tokens, a refusal outlives a write made meanwhile without the lock:
                // lost, the next check would send the refused token again.
                self.save_over(id, &mut conn, generation, refused).await?;
                Ok(ConnectionView::of(&conn))
            }
            Err(e @ (EngineError::Unreachable { .. } | EngineError::BadResponse(..))) => {
                // Recorded before the lock is released: a context waiting for it finds a newer
                // generation (and the `Retry-After`) instead of the record it decided from,
                // and does not send the same refresh again at once.
                let view = self.record_unreachable_locked(id, &e).await?;
                match after {
                    After::Probe => Ok(view),
                    After::Nothing => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }
}
