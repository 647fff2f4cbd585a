//! The schedule: what is due, who needs the person, and the status a connection that renews
//! silently settles into.

use super::check::Depth;
use super::{Engine, Ports};
use crate::connection::Connection;
use crate::error::EngineError;
use crate::ids::ConnectionId;
use crate::messages::ConnectionView;
use crate::schedule::ScheduleState;
use crate::status::{Status, Unreadable};
use crate::time::{Timestamp, earliest};
use crate::vault::{Glance, Loaded, Schedule as HeadSchedule};

/// What a tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tick {
    /// How many connections were checked.
    pub checked: usize,
    /// When the next one is due, if any.
    pub next_wakeup: Option<Timestamp>,
}

impl<P: Ports> Engine<P> {
    /// Every stored connection, in id order.
    pub async fn list(&self) -> Result<Vec<ConnectionView>, EngineError> {
        Ok(self.overview().await?.0)
    }

    /// Every connection's view and the earliest moment one is due, in one pass over the
    /// records (each is decrypted once).
    pub async fn overview(&self) -> Result<(Vec<ConnectionView>, Option<Timestamp>), EngineError> {
        let mut views = Vec::new();
        let mut next = None;
        for (id, loaded) in self.vault().load_all().await? {
            if let Loaded::Ok { conn, .. } = &loaded {
                next = earliest(next, conn.schedule.next_check);
            }
            views.push(ConnectionView::loaded(&id, &loaded));
        }
        Ok((views, next))
    }

    /// The earliest moment any connection is due.
    pub async fn next_wakeup(&self) -> Result<Option<Timestamp>, EngineError> {
        Ok(self.overview().await?.1)
    }

    /// The connections that need the person (the badge, the notifications, the in-mail
    /// banners) and the earliest moment any connection is due, from the heads: only the
    /// records of connections that need the person are opened.
    pub async fn attention(&self) -> Result<(Vec<ConnectionView>, Option<Timestamp>), EngineError> {
        let mut views = Vec::new();
        let mut next = None;
        for (id, glance) in self.vault().glance().await? {
            if let Glance::Unreadable(reason) = glance {
                views.push(ConnectionView::unreadable(&id, reason));
                continue;
            }
            let Some(schedule) = self.schedule_of(&id, glance).await? else {
                continue;
            };
            next = earliest(next, schedule.next);
            if schedule.alert.is_some() {
                views.extend(self.row(&id).await?);
            }
        }
        Ok((views, next))
    }

    /// The row of `id`, if it still has a record.
    async fn row(&self, id: &ConnectionId) -> Result<Option<ConnectionView>, EngineError> {
        Ok(self
            .vault()
            .load(id)
            .await?
            .map(|loaded| ConnectionView::loaded(id, &loaded)))
    }

    /// The schedule of `id` from its head, or from its record when the head predates
    /// schedules in heads; `None` when it cannot be read.
    async fn schedule_of(
        &self,
        id: &ConnectionId,
        glance: Glance,
    ) -> Result<Option<HeadSchedule>, EngineError> {
        Ok(match glance {
            Glance::Known(s) => Some(s),
            Glance::Unreadable(_) => None,
            Glance::Unknown => match self.vault().load(id).await? {
                Some(Loaded::Ok { conn, .. }) => Some(HeadSchedule::of(&conn)),
                _ => None,
            },
        })
    }

    /// Checks every connection that is due, once each, and says when to wake next. The
    /// schedule is read from the heads in one pass: only what is due is opened.
    pub async fn tick(&self) -> Result<Tick, EngineError> {
        Ok(self.tick_seen().await?.0)
    }

    /// [`Engine::tick`], then [`Engine::attention`]'s views. When nothing was due, the heads
    /// the tick read already say who needs the person, so only those records are opened.
    pub async fn tick_attention(&self) -> Result<(Tick, Vec<ConnectionView>), EngineError> {
        let (tick, needing) = self.tick_seen().await?;
        if tick.checked > 0 {
            let (views, next_wakeup) = self.attention().await?;
            return Ok((
                Tick {
                    checked: tick.checked,
                    next_wakeup,
                },
                views,
            ));
        }
        let mut views = Vec::new();
        for (id, unreadable) in needing {
            match unreadable {
                Some(reason) => views.push(ConnectionView::unreadable(&id, reason)),
                None => views.extend(self.row(&id).await?),
            }
        }
        Ok((tick, views))
    }

    /// The tick, and who needed the person by the heads it read (unreadable ones with why).
    async fn tick_seen(
        &self,
    ) -> Result<(Tick, Vec<(ConnectionId, Option<Unreadable>)>), EngineError> {
        let now = self.now();
        let mut checked = 0;
        let mut next_wakeup = None;
        let mut needing = Vec::new();
        for (id, glance) in self.vault().glance().await? {
            if let Glance::Unreadable(reason) = &glance {
                needing.push((id, Some(reason.clone())));
                continue;
            }
            let Some(schedule) = self.schedule_of(&id, glance).await? else {
                continue;
            };
            if schedule.alert.is_some() {
                needing.push((id.clone(), None));
            }
            let due = schedule.due(now, &self.timing);
            let mut next = schedule.next;
            if due {
                let _ = self.check_at(&id, Depth::Scheduled).await;
                checked += 1;
                // Only what was just checked is read again; the rest keep the date read above.
                next = match self.vault().load(&id).await? {
                    Some(Loaded::Ok { conn, .. }) => conn.schedule.next_check,
                    _ => None,
                };
            }
            next_wakeup = earliest(next_wakeup, next);
        }
        Ok((
            Tick {
                checked,
                next_wakeup,
            },
            needing,
        ))
    }

    /// The status and schedule of a connection that renews silently now: Healthy, or Expiring
    /// soon near a fixed horizon — within a week (a second warning within a day) of a declared
    /// Salesforce policy's end, within 2 hours of a day-limited Microsoft sign-in's end. It
    /// wakes for the next check, the next warning, the start of silent renewal or the horizon,
    /// whichever is first.
    pub(super) fn settle(&self, conn: &mut Connection, now: Timestamp) {
        let t = &self.timing;
        let mut next = now.plus(t.check_interval);
        let mut wake = |at: Timestamp| {
            if at > now {
                next = next.min(at);
            }
        };
        let status = match conn.horizon().filter(|_| conn.horizon_is_fixed()) {
            Some(by) if conn.is_day_limited() => {
                wake(by.minus(t.silent_renew_lead));
                wake(by.minus(t.warn_day_limited));
                wake(by);
                if by.is_later_than(now, t.warn_day_limited) {
                    Status::Healthy
                } else {
                    Status::ExpiringSoon {
                        by,
                        within_a_day: true,
                    }
                }
            }
            Some(by) if !by.is_later_than(now, t.warn_long) => {
                let within_a_day = !by.is_later_than(now, t.warn_short);
                if !within_a_day {
                    wake(by.minus(t.warn_short));
                }
                Status::ExpiringSoon { by, within_a_day }
            }
            Some(by) => {
                wake(by.minus(t.warn_long));
                Status::Healthy
            }
            None => Status::Healthy,
        };
        conn.set_status(status, now);
        conn.schedule = ScheduleState {
            next_check: Some(next),
            failures: 0,
            // A probe that worked says nothing about the token endpoint's `Retry-After`.
            not_before: conn.schedule.not_before.filter(|t| *t > now),
        };
    }
}
