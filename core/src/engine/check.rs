//! Checking a connection: prove its tokens with the provider, refresh when they are not
//! accepted, renew a day-limited sign-in silently before its end, and record an outage as
//! Unreachable with backoff, never as Needs sign-in.

use super::refresh::After;
use super::{Engine, Ports};
use crate::connection::{Connection, Event};
use crate::error::EngineError;
use crate::ids::ConnectionId;
use crate::messages::{ConnectionView, sentence};
use crate::ports::{Entropy, Interaction};
use crate::provider::{self, shared::Probe};
use crate::schedule::{self, ScheduleState};
use crate::status::Status;
use crate::time::Timestamp;
use crate::vault::{Loaded, Schedule, VaultError};

/// How much of a check to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Depth {
    /// The person asked: prove the connection with the provider now.
    Prove,
    /// A scheduled check: use the network only when something is due.
    Scheduled,
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

impl<P: Ports> Engine<P> {
    /// Proves the connection works now: the provider's probe of the access token (refreshing
    /// it when it is not accepted, then proving the new one), or, where tokens cannot be
    /// probed, a refresh. A refused refresh token turns the connection into Needs sign-in with
    /// its cause; a provider that cannot be reached turns it into Unreachable, retried with
    /// backoff.
    pub async fn check(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        self.check_at(id, Depth::Prove).await
    }

    /// Renews now, silently when possible: proves the connection with the provider (a
    /// day-limited Microsoft sign-in first tries a silent sign-in, which starts a new 24 h),
    /// and when only the person can help — Needs sign-in, or Expiring soon with nothing silent
    /// left to try — opens the sign-in, with the username as `login_hint`.
    pub async fn renew_now(&self, id: &ConnectionId) -> Result<ConnectionView, EngineError> {
        let (conn, _) = self.readable(id).await?;
        if conn.is_day_limited() {
            if let Ok(view) = self.sign_in_again_to(&conn, Interaction::Silent).await {
                return Ok(view);
            }
        }
        let view = self.check(id).await?;
        if view.status.alert.is_some() {
            return self.sign_in_again_to(&conn, Interaction::Interactive).await;
        }
        Ok(view)
    }

    /// [`Engine::check`] at `depth`, with a provider that cannot be reached (or answers
    /// against its protocol) recorded as Unreachable.
    pub(super) async fn check_at(
        &self,
        id: &ConnectionId,
        depth: Depth,
    ) -> Result<ConnectionView, EngineError> {
        match self.prove(id, depth).await {
            Err(e @ (EngineError::Unreachable { .. } | EngineError::BadResponse(..))) => {
                self.record_unreachable(id, &e).await
            }
            other => other,
        }
    }

    async fn prove(&self, id: &ConnectionId, depth: Depth) -> Result<ConnectionView, EngineError> {
        let (mut conn, mut generation) = match self.load(id).await? {
            Loaded::Ok { conn, generation } => (conn, generation),
            unreadable => return Ok(ConnectionView::loaded(id, &unreadable)),
        };
        let now = self.now();
        // The tick decided from the head it read. Another context may have checked since and
        // been told to wait (a `Retry-After`, a backoff): the record decides, or the same
        // request goes out again early.
        if depth == Depth::Scheduled && !Schedule::of(&conn).due(now, &self.timing) {
            return Ok(ConnectionView::of(&conn));
        }
        match self.renew_silently_if_due(&mut conn, now).await? {
            Silent::Renewed(view) => return Ok(*view),
            // Keep the history note before the refresh re-reads the record.
            Silent::Failed => generation = self.vault().save(&conn, generation).await?,
            Silent::NotDue => {}
        }
        // An idle-limited refresh token is used before half its window has passed, whatever
        // the probe would say.
        let probe = provider::probe(self.ports.http(), &conn).await?;
        let needs_refresh = conn.keep_alive_due(now)
            || match probe {
                Probe::Accepted => {
                    // An access token that is due is refreshed anyway (Microsoft's `refresh_in`),
                    // and a day-limited sign-in past its end is learned for certain.
                    conn.tokens.refresh_due.is_some_and(|due| due <= now)
                        || (conn.is_day_limited() && conn.horizon().is_some_and(|h| h <= now))
                }
                Probe::Refused => true,
                Probe::Denied(cause) => {
                    // The resource refuses the account itself: no token helps.
                    return self.park(&mut conn, generation, cause, now).await;
                }
                // Without a probe the refresh token is the proof: redeemed when the person
                // asks, when the access token is due, and once a fixed horizon has passed (to
                // learn for certain that only a sign-in helps).
                Probe::NotProbed => {
                    depth == Depth::Prove
                        || conn.tokens.refresh_due.is_none_or(|due| due <= now)
                        || (conn.horizon_is_fixed() && conn.horizon().is_some_and(|h| h <= now))
                }
            };
        if needs_refresh {
            // From the record the probe used: if another context refreshed since, its refresh
            // is reused rather than repeated. The new token is proven in turn.
            return self.refresh_from(id, generation, After::Probe).await;
        }
        self.settle(&mut conn, now);
        conn.checked_at = now;
        match self.vault().save(&conn, generation).await {
            Ok(_) => Ok(ConnectionView::of(&conn)),
            // A refresh landed meanwhile; its record is the fresher one.
            Err(VaultError::Conflict) => self.view(id).await,
            Err(e) => Err(e.into()),
        }
    }

    /// Needs sign-in for `cause`, which only the person or an administrator can fix: never
    /// retried by itself.
    async fn park(
        &self,
        conn: &mut Connection,
        generation: u64,
        cause: crate::status::Cause,
        now: Timestamp,
    ) -> Result<ConnectionView, EngineError> {
        conn.set_status(Status::NeedsSignIn { cause }, now);
        conn.schedule = ScheduleState::default();
        conn.checked_at = now;
        match self.vault().save(conn, generation).await {
            Ok(_) => Ok(ConnectionView::of(conn)),
            Err(VaultError::Conflict) => self.view(&conn.id).await,
            Err(e) => Err(e.into()),
        }
    }

    /// A day-limited (single-page app) Microsoft sign-in within `silent_renew_lead` of its
    /// end is renewed with `prompt=none`, which Microsoft answers from its session cookie
    /// without a window. When that does not work the history says why and the caller carries
    /// on: the warning comes from [`Engine::settle`], Needs sign-in from the refusal after the
    /// horizon.
    async fn renew_silently_if_due(
        &self,
        conn: &mut Connection,
        now: Timestamp,
    ) -> Result<Silent, EngineError> {
        let Some(horizon) = conn.horizon().filter(|_| conn.is_day_limited()) else {
            return Ok(Silent::NotDue);
        };
        // Its code goes to the token endpoint, which may have asked to wait.
        if horizon <= now
            || horizon.is_later_than(now, self.timing.silent_renew_lead)
            || conn.schedule.asked_to_wait(now)
        {
            return Ok(Silent::NotDue);
        }
        let why = match self.sign_in_again_to(conn, Interaction::Silent).await {
            Ok(view) => return Ok(Silent::Renewed(Box::new(view))),
            Err(e @ EngineError::Unreachable { .. }) => return Err(e),
            Err(EngineError::Diagnosed { cause, provider }) => cause.text(provider),
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
            .take_while(|h| !h.event.is_sign_in())
            .any(|h| h.event == Event::SilentRenewalFailed && h.detail == why);
        if !already {
            conn.record(now, Event::SilentRenewalFailed, why);
        }
        Ok(Silent::Failed)
    }

    /// The provider could not be reached: Unreachable since the first failure, the next try
    /// after a backoff with jitter (never sooner than `Retry-After`).
    async fn record_unreachable(
        &self,
        id: &ConnectionId,
        error: &EngineError,
    ) -> Result<ConnectionView, EngineError> {
        // Under the connection's lock: a refresh another context is making meanwhile stores its
        // answer first, and this sees it.
        let _guard = self.exclusive(id).await;
        self.record_unreachable_locked(id, error).await
    }

    /// [`Engine::record_unreachable`] for a caller that holds the connection's lock already.
    pub(super) async fn record_unreachable_locked(
        &self,
        id: &ConnectionId,
        error: &EngineError,
    ) -> Result<ConnectionView, EngineError> {
        let (mut conn, generation) = match self.load(id).await? {
            Loaded::Ok { conn, generation } => (conn, generation),
            unreadable => return Ok(ConnectionView::loaded(id, &unreadable)),
        };
        // A refusal is newer truth than a failure to reach: another context may have had its
        // answer meanwhile (the refresh this one sent was lost, that one's was refused). Can't
        // reach must not un-park it, or the next retry sends the refused token again.
        if matches!(conn.status, Status::NeedsSignIn { .. }) {
            return Ok(ConnectionView::of(&conn));
        }
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
            &self.timing,
        );
        let next_try = now.plus(wait);
        let asked = retry_after.map(|secs| {
            now.plus(std::time::Duration::from_secs(secs).min(schedule::MAX_RETRY_AFTER))
        });
        conn.schedule = ScheduleState {
            next_check: Some(next_try),
            failures,
            not_before: asked.or(conn.schedule.not_before.filter(|t| *t > now)),
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
            Ok(_) => Ok(ConnectionView::of(&conn)),
            Err(VaultError::Conflict) => self.view(id).await,
            Err(e) => Err(e.into()),
        }
    }
}
