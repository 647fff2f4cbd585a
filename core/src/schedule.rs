//! When to look at a connection again: a steady check interval while healthy, exponential
//! backoff with jitter while the provider is unreachable (honouring `Retry-After`), nothing at
//! all once only the person can help (an `invalid_grant` is never retried).

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Timing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How often a healthy connection is checked.
    pub check_interval: Duration,
    /// The first retry after a failure.
    pub backoff_base: Duration,
    /// The longest wait between retries (unless `Retry-After` asks for more).
    pub backoff_cap: Duration,
    /// The first warning before a fixed horizon.
    pub warn_long: Duration,
    /// The second warning before a fixed horizon.
    pub warn_short: Duration,
    /// The only warning before a horizon a day or less after its sign-in (a Microsoft
    /// single-page-app sign-in): a week's or a day's notice would be all of its life.
    pub warn_day_limited: Duration,
    /// How long before a day-limited horizon silent renewal (`prompt=none`) starts; it is
    /// tried at every check from then on until it works or the horizon passes.
    pub silent_renew_lead: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            check_interval: Duration::from_secs(30 * 60),
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(30 * 60),
            warn_long: Duration::from_secs(7 * 86_400),
            warn_short: Duration::from_secs(86_400),
            warn_day_limited: Duration::from_secs(2 * 3600),
            silent_renew_lead: Duration::from_secs(4 * 3600),
        }
    }
}

/// One timing setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimingField {
    /// [`Timing::check_interval`].
    CheckInterval,
    /// [`Timing::warn_long`].
    WarnLong,
    /// [`Timing::warn_short`].
    WarnShort,
    /// [`Timing::warn_day_limited`].
    WarnDayLimited,
    /// [`Timing::silent_renew_lead`].
    SilentRenewLead,
}

impl TimingField {
    /// Every timing setting.
    pub const ALL: [TimingField; 5] = [
        TimingField::CheckInterval,
        TimingField::WarnLong,
        TimingField::WarnShort,
        TimingField::WarnDayLimited,
        TimingField::SilentRenewLead,
    ];

    /// Its name in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            TimingField::CheckInterval => "check interval",
            TimingField::WarnLong => "first warning",
            TimingField::WarnShort => "second warning",
            TimingField::WarnDayLimited => "24-hour sign-in warning",
            TimingField::SilentRenewLead => "silent renewal lead",
        }
    }

    /// The accepted range in seconds. The check interval may be as short as 10 s (the test
    /// build's), as long as 12 h; the 24-hour horizon's warning and silent renewal lead stay
    /// inside the 24 hours.
    fn range(self) -> (u64, u64) {
        match self {
            TimingField::CheckInterval => (10, 12 * 3600),
            TimingField::WarnLong => (3600, 60 * 86_400),
            TimingField::WarnShort => (600, 30 * 86_400),
            TimingField::WarnDayLimited => (300, 12 * 3600),
            TimingField::SilentRenewLead => (600, 86_399),
        }
    }
}

/// Why a timing setting was refused; shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimingError {
    /// A value outside its range.
    #[error("{} must be between {min} and {max} seconds", .field.label())]
    OutOfRange {
        /// The setting.
        field: TimingField,
        /// Smallest accepted.
        min: u64,
        /// Largest accepted.
        max: u64,
    },
    /// Two values in the wrong order; the field named is the one that must move.
    #[error("{1}")]
    Order(TimingField, &'static str),
}

impl TimingError {
    /// The field to correct and why, as a catalogue message (its English is this error's).
    pub fn said(&self) -> (TimingField, crate::words::Said) {
        use crate::words::Said;
        match self {
            TimingError::OutOfRange { field, min, max } => {
                let key = match field {
                    TimingField::CheckInterval => "fieldRangeCheckInterval",
                    TimingField::WarnLong => "fieldRangeWarnLong",
                    TimingField::WarnShort => "fieldRangeWarnShort",
                    TimingField::WarnDayLimited => "fieldRangeWarnDayLimited",
                    TimingField::SilentRenewLead => "fieldRangeSilentRenewLead",
                };
                (
                    *field,
                    Said::new(key, &[&min.to_string(), &max.to_string()]),
                )
            }
            TimingError::Order(field, _) => {
                let key = match field {
                    TimingField::SilentRenewLead => "fieldOrderRenewal",
                    _ => "fieldOrderWarnings",
                };
                (*field, Said::new(key, &[]))
            }
        }
    }
}

/// Timing settings as seconds, the form the options page and `config.json` use; every field
/// is optional and falls back to the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimingInput {
    /// [`Timing::check_interval`].
    pub check_interval_s: Option<u64>,
    /// [`Timing::warn_long`].
    pub warn_long_s: Option<u64>,
    /// [`Timing::warn_short`].
    pub warn_short_s: Option<u64>,
    /// [`Timing::warn_day_limited`].
    pub warn_day_limited_s: Option<u64>,
    /// [`Timing::silent_renew_lead`].
    pub silent_renew_lead_s: Option<u64>,
}

impl TimingInput {
    fn slot(&mut self, field: TimingField) -> &mut Option<u64> {
        match field {
            TimingField::CheckInterval => &mut self.check_interval_s,
            TimingField::WarnLong => &mut self.warn_long_s,
            TimingField::WarnShort => &mut self.warn_short_s,
            TimingField::WarnDayLimited => &mut self.warn_day_limited_s,
            TimingField::SilentRenewLead => &mut self.silent_renew_lead_s,
        }
    }

    /// `field` in seconds, when set.
    pub fn get(&self, field: TimingField) -> Option<u64> {
        *self.clone().slot(field)
    }

    /// Sets `field` to `seconds`.
    pub fn set(&mut self, field: TimingField, seconds: u64) {
        *self.slot(field) = Some(seconds);
    }

    /// The timing, or the first value out of range or out of order.
    pub fn timing(&self) -> Result<Timing, TimingError> {
        let d = Timing::default();
        let pick = |field: TimingField, default: Duration| {
            let (min, max) = field.range();
            match self.get(field) {
                None => Ok(default),
                Some(s) if (min..=max).contains(&s) => Ok(Duration::from_secs(s)),
                Some(_) => Err(TimingError::OutOfRange { field, min, max }),
            }
        };
        let s = Timing {
            check_interval: pick(TimingField::CheckInterval, d.check_interval)?,
            warn_long: pick(TimingField::WarnLong, d.warn_long)?,
            warn_short: pick(TimingField::WarnShort, d.warn_short)?,
            warn_day_limited: pick(TimingField::WarnDayLimited, d.warn_day_limited)?,
            silent_renew_lead: pick(TimingField::SilentRenewLead, d.silent_renew_lead)?,
            ..d
        };
        if s.warn_short >= s.warn_long {
            return Err(TimingError::Order(
                TimingField::WarnShort,
                "the second warning must come after the first",
            ));
        }
        if s.silent_renew_lead < s.warn_day_limited {
            return Err(TimingError::Order(
                TimingField::SilentRenewLead,
                "silent renewal must start before the 24-hour sign-in warning",
            ));
        }
        Ok(s)
    }
}

/// The longest `Retry-After` honoured; a provider asking for more is retried after this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

/// Where a connection stands in the schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// When it is due next; `None` when nothing will be tried without the person.
    pub next_check: Option<Timestamp>,
    /// Consecutive transient failures.
    pub failures: u32,
    /// The provider's `Retry-After` (RFC 9110 §10.2.3): no refresh and no silent renewal
    /// before this, whoever asks. A sign-in the person starts is never held back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
}

impl ScheduleState {
    /// Whether the provider asked for no token request before a time still to come. A time
    /// further ahead than any `Retry-After` honoured means the clock was moved back, and no
    /// longer holds.
    pub fn asked_to_wait(&self, now: Timestamp) -> bool {
        self.not_before
            .is_some_and(|t| t > now && !t.is_later_than(now, MAX_RETRY_AFTER))
    }
}

/// The wait before retry number `failures` (1 = the first retry): `base · 2^(failures-1)`,
/// capped, with "equal jitter" (a uniform draw over the upper half, `jitter` in 0..=1) so that
/// connections that failed together do not retry together; never less than `Retry-After`.
pub fn backoff(failures: u32, retry_after: Option<Duration>, jitter: f64, s: &Timing) -> Duration {
    let doubling = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
    let exp = s.backoff_base.saturating_mul(doubling).min(s.backoff_cap);
    let wait = exp / 2 + exp.mul_f64(jitter.clamp(0.0, 1.0) / 2.0);
    wait.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
}

/// Whether a connection scheduled for `next_check` is due at `now`. A `next_check` further ahead
/// than its schedule could put it means the clock was moved back: it is due now rather than
/// hours late. A check that succeeded schedules the next within a check interval; only a retry
/// (`retrying`: backoff, `Retry-After`) may wait longer. A machine that slept past several checks
/// gets one check, not a burst.
pub fn is_due(next_check: Option<Timestamp>, retrying: bool, now: Timestamp, s: &Timing) -> bool {
    match next_check {
        None => false,
        Some(at) if at <= now => true,
        Some(at) => at.is_later_than(now, furthest(retrying, s)),
    }
}

/// How far ahead a schedule can put the next check: a check interval, or for a retry the
/// longest backoff or `Retry-After` honoured.
pub fn furthest(retrying: bool, s: &Timing) -> Duration {
    if retrying {
        s.check_interval.max(s.backoff_cap).max(MAX_RETRY_AFTER)
    } else {
        s.check_interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Timing = Timing {
        check_interval: Duration::from_secs(1800),
        backoff_base: Duration::from_secs(30),
        backoff_cap: Duration::from_secs(1800),
        warn_long: Duration::from_secs(7 * 86_400),
        warn_short: Duration::from_secs(86_400),
        warn_day_limited: Duration::from_secs(2 * 3600),
        silent_renew_lead: Duration::from_secs(4 * 3600),
    };

    #[test]
    fn settings_from_seconds_are_checked_for_range_and_order() {
        assert_eq!(TimingInput::default().timing(), Ok(Timing::default()));
        let fast = TimingInput {
            check_interval_s: Some(30),
            silent_renew_lead_s: Some(86_390),
            ..Default::default()
        };
        assert_eq!(
            fast.timing().unwrap().check_interval,
            Duration::from_secs(30)
        );
        let zero = TimingInput {
            check_interval_s: Some(0),
            ..Default::default()
        };
        assert_eq!(
            zero.timing().unwrap_err().to_string(),
            "check interval must be between 10 and 43200 seconds"
        );
        let reversed = TimingInput {
            warn_long_s: Some(86_400),
            warn_short_s: Some(7 * 86_400),
            ..Default::default()
        };
        assert_eq!(
            reversed.timing(),
            Err(TimingError::Order(
                TimingField::WarnShort,
                "the second warning must come after the first"
            ))
        );
        let late_renewal = TimingInput {
            silent_renew_lead_s: Some(3600),
            ..Default::default()
        };
        assert!(late_renewal.timing().is_err());
    }

    #[test]
    fn backoff_doubles_from_the_base_and_stops_at_the_cap() {
        let secs = |n| backoff(n, None, 1.0, &S).as_secs();
        assert_eq!(
            [
                secs(1),
                secs(2),
                secs(3),
                secs(4),
                secs(7),
                secs(8),
                secs(50)
            ],
            [30, 60, 120, 240, 1800, 1800, 1800]
        );
    }

    #[test]
    fn jitter_spreads_over_the_upper_half() {
        assert_eq!(backoff(3, None, 0.0, &S), Duration::from_secs(60));
        assert_eq!(backoff(3, None, 0.5, &S), Duration::from_secs(90));
        assert_eq!(backoff(3, None, 1.0, &S), Duration::from_secs(120));
    }

    #[test]
    fn retry_after_is_a_floor_up_to_six_hours() {
        assert_eq!(
            backoff(1, Some(Duration::from_secs(120)), 0.0, &S),
            Duration::from_secs(120)
        );
        assert_eq!(
            backoff(8, Some(Duration::from_secs(60)), 1.0, &S),
            Duration::from_secs(1800)
        );
        assert_eq!(
            backoff(1, Some(Duration::from_secs(86_400)), 0.0, &S),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn due_now_after_a_sleep_or_a_clock_moved_back_never_when_unscheduled() {
        let now = Timestamp::from_millis(10_000_000_000);
        assert!(is_due(Some(now), false, now, &S));
        assert!(
            is_due(Some(Timestamp::from_millis(1)), false, now, &S),
            "slept for months: due once"
        );
        assert!(!is_due(
            Some(now.plus(Duration::from_secs(600))),
            false,
            now,
            &S
        ));
        assert!(
            is_due(Some(now.plus(Duration::from_secs(7 * 3600))), true, now, &S),
            "clock moved back past the longest retry"
        );
        assert!(
            !is_due(Some(now.plus(Duration::from_secs(3 * 3600))), true, now, &S),
            "a retry may wait for Retry-After"
        );
        assert!(
            is_due(
                Some(now.plus(Duration::from_secs(3 * 3600))),
                false,
                now,
                &S
            ),
            "clock moved back three hours: a healthy check is never three hours away"
        );
        assert!(!is_due(None, false, now, &S));
    }
}
