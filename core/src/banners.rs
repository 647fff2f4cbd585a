//! The Outlook add-in's in-mail banners: one informational message on the mail item for each
//! connection that needs the person, kept within Outlook's rules for `notificationMessages`
//! (at most 5 per item, at most 150 characters each, keys at most 32 characters). Pure: the
//! add-in reads the item's current messages, asks [`plan`] what to change, and applies it.

use crate::messages::ConnectionView;
use crate::status::Tone;

/// Outlook keeps at most this many notification messages on one item.
pub const MAX_MESSAGES: usize = 5;
/// Outlook refuses a notification message longer than this (characters).
pub const MAX_CHARS: usize = 150;
/// Every key Tokenwatch writes starts with this, so it never touches another message.
pub const KEY_PREFIX: &str = "tokenwatch-";

/// One banner: the key it is stored under on the item, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    /// `tokenwatch-1` … `tokenwatch-5`.
    pub key: String,
    /// At most [`MAX_CHARS`] characters; names the account and the button to press.
    pub text: String,
}

/// A change to the item's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BannerOp {
    /// `notificationMessages.removeAsync(key)`.
    Remove(String),
    /// `notificationMessages.replaceAsync(key, …)` (adds it when missing).
    Replace(Banner),
}

/// The banners for these connections: those needing a sign-in first, then those expiring
/// soon, each in list order. With more than five, the fifth says how many more there are.
pub fn banners(views: &[ConnectionView]) -> Vec<Banner> {
    let mut needing: Vec<&ConnectionView> =
        views.iter().filter(|v| v.status.alert.is_some()).collect();
    needing.sort_by_key(|v| v.status.tone != Tone::Error);
    let shown = if needing.len() > MAX_MESSAGES {
        MAX_MESSAGES - 1
    } else {
        needing.len()
    };
    let mut out: Vec<Banner> = needing[..shown]
        .iter()
        .enumerate()
        .map(|(i, v)| Banner {
            key: key(i),
            text: line(v),
        })
        .collect();
    if needing.len() > shown {
        out.push(Banner {
            key: key(shown),
            text: format!(
                "Tokenwatch: {} more connections need you. Open Tokenwatch to see them.",
                needing.len() - shown
            ),
        });
    }
    out
}

fn key(index: usize) -> String {
    format!("{KEY_PREFIX}{}", index + 1)
}

/// "Tokenwatch: Salesforce ada@acme.example — Token expired. Open Tokenwatch and choose Sign
/// in again." The account is shortened with "…" when the whole would be too long.
fn line(v: &ConnectionView) -> String {
    let button = if v.status.tone == Tone::Error {
        "Sign in again"
    } else {
        "Renew now"
    };
    let compose = |who: &str| {
        format!(
            "Tokenwatch: {} {who} — {}. Open Tokenwatch and choose {button}.",
            v.provider.name(),
            v.status.title
        )
    };
    let whole = compose(&v.username);
    let over = whole.chars().count().saturating_sub(MAX_CHARS);
    if over == 0 {
        return whole;
    }
    let keep = v.username.chars().count().saturating_sub(over + 1);
    let short: String = v.username.chars().take(keep).collect();
    let text = compose(&format!("{short}…"));
    // A title long enough to overflow on its own is cut too (never the case with today's texts).
    text.chars().take(MAX_CHARS).collect()
}

/// What to change so the item shows exactly `desired`: removals first (so the item never
/// holds more than five), then the messages that are missing or differ. `current` lists the
/// item's messages as (key, text); keys that are not Tokenwatch's are left alone.
pub fn plan(current: &[(String, String)], desired: &[Banner]) -> Vec<BannerOp> {
    let ours = current.iter().filter(|(k, _)| k.starts_with(KEY_PREFIX));
    let mut ops: Vec<BannerOp> = ours
        .clone()
        .filter(|(k, _)| !desired.iter().any(|b| &b.key == k))
        .map(|(k, _)| BannerOp::Remove(k.clone()))
        .collect();
    for banner in desired {
        let same = current
            .iter()
            .any(|(k, t)| *k == banner.key && *t == banner.text);
        if !same {
            ops.push(BannerOp::Replace(banner.clone()));
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ConnectionId;
    use crate::ids::Provider;
    use crate::status::{Cause, Status};
    use crate::time::Timestamp;

    fn view(n: u32, username: &str, status: Status) -> ConnectionView {
        ConnectionView {
            id: ConnectionId::parse(&format!("sf:00D5g000004Org{n:04}:0055g000004Usr{n:04}"))
                .unwrap(),
            provider: Provider::Salesforce,
            label: "Production org".into(),
            label_said: None,
            username: username.into(),
            display_name: None,
            org_id: "00D5g000004AcmeEAA".into(),
            login_host: Some("https://login.salesforce.com".into()),
            status: status.view(Provider::Salesforce),
            connected_at: None,
            checked_at: None,
        }
    }

    fn revoked() -> Status {
        Status::NeedsSignIn {
            cause: Cause::Revoked,
        }
    }

    fn soon() -> Status {
        Status::ExpiringSoon {
            by: Timestamp::from_millis(1_767_225_600_000),
            within_a_day: false,
        }
    }

    #[test]
    fn healthy_connections_have_no_banner_and_lose_theirs() {
        let views = [view(1, "ada@acme.example", Status::Healthy)];
        assert!(banners(&views).is_empty());
        let current = [("tokenwatch-1".to_owned(), "old".to_owned())];
        assert_eq!(
            plan(&current, &banners(&views)),
            [BannerOp::Remove("tokenwatch-1".into())]
        );
    }

    #[test]
    fn a_revoked_connection_gets_one_line_naming_it_and_the_button() {
        let b = banners(&[
            view(1, "ok@acme.example", Status::Healthy),
            view(2, "ada@acme.example", revoked()),
        ]);
        assert_eq!(
            b,
            [Banner {
                key: "tokenwatch-1".into(),
                text: "Tokenwatch: Salesforce ada@acme.example — Token expired. Open Tokenwatch and choose Sign in again.".into()
            }]
        );
    }

    #[test]
    fn sign_ins_come_before_expiries_and_the_fifth_counts_the_rest() {
        let mut views = vec![view(0, "soon@acme.example", soon())];
        views.extend((1..=6).map(|n| view(n, &format!("u{n}@acme.example"), revoked())));
        let b = banners(&views);
        assert_eq!(b.len(), MAX_MESSAGES);
        assert!(b[0].text.contains("u1@acme.example"), "{b:?}");
        assert!(b[3].text.contains("u4@acme.example"));
        assert_eq!(
            b[4].text,
            "Tokenwatch: 3 more connections need you. Open Tokenwatch to see them."
        );
        let keys: Vec<&str> = b.iter().map(|b| b.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "tokenwatch-1",
                "tokenwatch-2",
                "tokenwatch-3",
                "tokenwatch-4",
                "tokenwatch-5"
            ]
        );
        assert!(keys.iter().all(|k| k.len() <= 32));
        let five = banners(&views[..5]);
        assert_eq!(five.len(), 5);
        assert!(five[4].text.contains("soon@acme.example") && five[4].text.contains("Renew now"));
    }

    #[test]
    fn a_long_account_is_shortened_to_fit_150_characters() {
        let long = format!("{}@example.com", "x".repeat(300));
        let b = banners(&[view(1, &long, revoked())]);
        assert_eq!(b[0].text.chars().count(), MAX_CHARS);
        assert!(b[0].text.contains("…"));
        assert!(b[0].text.ends_with("choose Sign in again."));
        let wide = format!("{}@example.com", "é".repeat(200));
        let b = banners(&[view(1, &wide, soon())]);
        assert_eq!(b[0].text.chars().count(), MAX_CHARS);
    }

    #[test]
    fn the_plan_removes_before_it_adds_and_skips_what_is_already_right() {
        let views = [
            view(1, "a@acme.example", revoked()),
            view(2, "b@acme.example", revoked()),
        ];
        let desired = banners(&views);
        let current = vec![
            ("tokenwatch-1".to_owned(), desired[0].text.clone()),
            ("tokenwatch-3".to_owned(), "stale".to_owned()),
            ("other-addin".to_owned(), "not ours".to_owned()),
        ];
        assert_eq!(
            plan(&current, &desired),
            [
                BannerOp::Remove("tokenwatch-3".into()),
                BannerOp::Replace(desired[1].clone())
            ]
        );
        let after = vec![
            ("tokenwatch-1".to_owned(), desired[0].text.clone()),
            ("tokenwatch-2".to_owned(), desired[1].text.clone()),
        ];
        assert!(plan(&after, &desired).is_empty());
    }
}
