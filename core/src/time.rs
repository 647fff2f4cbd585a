//! Wall-clock instants as plain values. Only the clock adapter reads the real clock.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Milliseconds since the Unix epoch, as `Date.now()` gives them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

/// The earlier of two optional moments; `None` only when both are.
pub fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Timestamp {
    /// The moment in UTC as `2026-11-29 17:50:00 UTC`, for reports read by people in other time
    /// zones (days from the civil calendar, Howard Hinnant's `civil_from_days`).
    pub fn utc(self) -> String {
        let secs = self.0.div_euclid(1000);
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!(
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }

    /// The instant `ms` milliseconds after the Unix epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// `self + d`, saturating instead of overflowing.
    pub fn plus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// `self - d`, saturating instead of overflowing.
    pub fn minus(self, d: Duration) -> Self {
        Self(
            self.0
                .saturating_sub(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// True when `self` is strictly after `other + d`.
    pub fn is_later_than(self, other: Timestamp, d: Duration) -> bool {
        self > other.plus(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_in_utc() {
        assert_eq!(
            Timestamp::from_millis(1_767_225_600_000).utc(),
            "2026-01-01 00:00:00 UTC"
        );
        assert_eq!(
            Timestamp::from_millis(1_709_164_799_999).utc(),
            "2024-02-28 23:59:59 UTC"
        );
        assert_eq!(
            Timestamp::from_millis(1_709_251_200_000).utc(),
            "2024-03-01 00:00:00 UTC",
            "after a leap day"
        );
        assert_eq!(Timestamp::from_millis(0).utc(), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            Timestamp::from_millis(-1000).utc(),
            "1969-12-31 23:59:59 UTC"
        );
    }
}
