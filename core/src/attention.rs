//! What deserves the person's attention outside the popup: the toolbar badge and the system
//! notifications. Pure: the shell passes the connection views and the remembered notification
//! state, and applies what comes back.

use crate::ids::ConnectionId;
use crate::messages::ConnectionView;
use crate::status::{Alert, Tone};
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// How long "Snooze" silences a connection's notification.
pub const SNOOZE: Duration = Duration::from_secs(24 * 3600);

/// The toolbar badge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// The count of connections that need the person, or empty.
    pub text: String,
    /// Red when one needs a sign-in, amber when one expires soon.
    pub color: &'static str,
    /// The button's tooltip.
    pub title: String,
}

/// Red, for a connection that needs a sign-in.
pub const RED: &str = "#c23934";
/// Amber, for one that expires soon.
pub const AMBER: &str = "#a96404";

/// The badge for these connections: how many need the person, coloured by the worst.
pub fn badge(views: &[ConnectionView]) -> Badge {
    let needing: Vec<&ConnectionView> = views.iter().filter(|v| v.status.alert.is_some()).collect();
    let worst_is_error = needing.iter().any(|v| v.status.tone == Tone::Error);
    let title = match needing.len() {
        0 => "Tokenwatch: every connection renews silently".to_owned(),
        1 => format!(
            "Tokenwatch: {} — {}",
            needing[0].username, needing[0].status.title
        ),
        n => format!("Tokenwatch: {n} connections need you"),
    };
    Badge {
        text: if needing.is_empty() {
            String::new()
        } else {
            needing.len().to_string()
        },
        color: if worst_is_error { RED } else { AMBER },
        title,
    }
}

/// What was announced per connection, remembered between worker lifetimes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announced {
    /// By connection id.
    #[serde(default)]
    pub entries: BTreeMap<String, Entry>,
}

/// One connection's announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The need announced.
    pub alert: Alert,
    /// Silent until then, when snoozed.
    #[serde(default)]
    pub snoozed_until: Option<Timestamp>,
}

/// A notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The connection (also the notification's id).
    pub id: ConnectionId,
    /// The headline.
    pub title: String,
    /// The cause or horizon.
    pub message: String,
}

impl Announced {
    /// The notices due now: a connection that enters a new need (Expiring soon, its last day,
    /// Needs sign-in with a new cause) is announced once; a snoozed one again when the snooze
    /// ends. Connections that no longer need the person are forgotten, so a later need is new.
    pub fn due(&mut self, views: &[ConnectionView], now: Timestamp) -> Vec<Notice> {
        let mut notices = Vec::new();
        let mut keep = BTreeMap::new();
        for v in views {
            let Some(alert) = v.status.alert.clone() else {
                continue;
            };
            let key = v.id.as_str().to_owned();
            let mut entry = match self.entries.remove(&key) {
                Some(e) if e.alert == alert => e,
                _ => {
                    notices.push(notice(v));
                    Entry {
                        alert,
                        snoozed_until: None,
                    }
                }
            };
            if entry.snoozed_until.is_some_and(|t| t <= now) {
                entry.snoozed_until = None;
                notices.push(notice(v));
            }
            keep.insert(key, entry);
        }
        self.entries = keep;
        notices
    }

    /// Silences `id` for [`SNOOZE`].
    pub fn snooze(&mut self, id: &ConnectionId, now: Timestamp) {
        if let Some(e) = self.entries.get_mut(id.as_str()) {
            e.snoozed_until = Some(now.plus(SNOOZE));
        }
    }

    /// The earliest snooze end, to wake for.
    pub fn next_snooze_end(&self) -> Option<Timestamp> {
        self.entries.values().filter_map(|e| e.snoozed_until).min()
    }
}

fn notice(v: &ConnectionView) -> Notice {
    Notice {
        id: v.id.clone(),
        title: format!("{} ({}): {}", v.username, v.provider.name(), v.status.title),
        message: v.status.detail.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Provider;
    use crate::status::{Cause, Status};

    const T: Timestamp = Timestamp::from_millis(1_767_225_600_000);

    fn view(id: &str, status: Status) -> ConnectionView {
        ConnectionView {
            id: ConnectionId::parse(id).unwrap(),
            provider: Provider::Salesforce,
            label: "Production org".into(),
            label_said: None,
            username: "ada@acme.example".into(),
            display_name: None,
            org_id: "00D5g000004AcmeEAA".into(),
            login_host: Some("https://login.salesforce.com".into()),
            status: status.view(Provider::Salesforce),
            connected_at: None,
            checked_at: None,
        }
    }

    const A: &str = "sf:00D5g000004AcmeEAA:0055g000004AdaXEAA";
    const B: &str = "sf:00D5g000004GlobEAA:0055g000004GrcXEAA";

    fn revoked() -> Status {
        Status::NeedsSignIn {
            cause: Cause::Revoked,
        }
    }

    fn soon(within_a_day: bool) -> Status {
        Status::ExpiringSoon {
            by: T.plus(Duration::from_secs(3600)),
            within_a_day,
        }
    }

    #[test]
    fn the_badge_counts_who_needs_the_person_coloured_by_the_worst() {
        assert_eq!(badge(&[view(A, Status::Healthy)]).text, "");
        let one = badge(&[view(A, soon(false)), view(B, Status::Healthy)]);
        assert_eq!((one.text.as_str(), one.color), ("1", AMBER));
        assert_eq!(one.title, "Tokenwatch: ada@acme.example — Expiring soon");
        let two = badge(&[view(A, soon(false)), view(B, revoked())]);
        assert_eq!((two.text.as_str(), two.color), ("2", RED));
        let unreachable = Status::Unreachable {
            since: T,
            next_try: T,
            reason: "x".into(),
        };
        assert_eq!(
            badge(&[view(A, unreachable)]).text,
            "",
            "an outage needs nothing from the person"
        );
    }

    #[test]
    fn each_transition_is_announced_once_and_snooze_repeats_it_later() {
        let mut a = Announced::default();
        assert!(a.due(&[view(A, Status::Healthy)], T).is_empty());
        let first = a.due(&[view(A, soon(false))], T);
        assert_eq!(first.len(), 1);
        assert_eq!(
            first[0].title,
            "ada@acme.example (Salesforce): Expiring soon"
        );
        assert!(a.due(&[view(A, soon(false))], T).is_empty(), "once");
        assert_eq!(
            a.due(&[view(A, soon(true))], T).len(),
            1,
            "the last day is new"
        );
        a.snooze(&ConnectionId::parse(A).unwrap(), T);
        assert_eq!(a.next_snooze_end(), Some(T.plus(SNOOZE)));
        assert!(a.due(&[view(A, soon(true))], T.plus(SNOOZE / 2)).is_empty());
        assert_eq!(a.due(&[view(A, soon(true))], T.plus(SNOOZE)).len(), 1);
        assert!(a.due(&[view(A, soon(true))], T.plus(SNOOZE * 2)).is_empty());
        assert_eq!(a.due(&[view(A, revoked())], T).len(), 1, "a new need");
        assert!(a.due(&[view(A, Status::Healthy)], T).is_empty());
        assert!(a.entries.is_empty(), "forgotten once healthy");
        assert_eq!(
            a.due(&[view(A, revoked())], T).len(),
            1,
            "so the next need is new"
        );
    }
}
