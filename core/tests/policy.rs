//! The declared refresh token policy: the horizon it projects, the warnings before it, and the
//! cause after it.

mod common;

use common::{SIM_URL, block_on, world};
use std::sync::atomic::Ordering;
use tokenwatch_core::connection::DeclaredPolicy;
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::time::Timestamp;
use tokenwatch_sim::RefreshPolicy;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn now(w: &common::World) -> i64 {
    w.clock.0.load(Ordering::SeqCst)
}

/// Runs the schedule until `until`, returning each (time, status title) it passed through.
fn run_until(w: &common::World, until: i64) -> Vec<(i64, String)> {
    let mut seen: Vec<(i64, String)> = Vec::new();
    while now(w) < until {
        let Some(next) = block_on(w.engine.next_wakeup()).unwrap() else {
            break;
        };
        w.clock.advance_ms((next.as_millis() - now(w)).max(0));
        block_on(w.engine.tick()).unwrap();
        let title = block_on(w.engine.list()).unwrap()[0].status.title.clone();
        if seen.last().is_none_or(|(_, t)| *t != title) {
            seen.push((now(w), title));
        }
    }
    seen
}

#[test]
fn a_declared_30_day_policy_warns_a_week_and_a_day_ahead_then_says_the_policy_ended_it() {
    let w = world();
    w.sim
        .set_refresh_policy(RefreshPolicy::ExpireAfter { ms: 30 * DAY });
    let t0 = now(&w);
    let id = block_on(w.engine.connect_salesforce(&LoginChoice::Custom {
        host: SIM_URL.into(),
    }))
    .unwrap()
    .id;
    let view = block_on(
        w.engine
            .declare_policy(&id, DeclaredPolicy::ExpireAfter { days: 30 }),
    )
    .unwrap();
    assert_eq!(view.status.title, "Token valid");
    let seen = run_until(&w, t0 + 31 * DAY);
    let titles: Vec<&str> = seen.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(titles, ["Token valid", "Expiring soon", "Token expired"]);
    assert_eq!(
        seen[1].0,
        t0 + 23 * DAY,
        "the first warning is exactly a week before"
    );
    let history = common::stored(&w, &id).history;
    let warnings: Vec<i64> = history
        .iter()
        .filter(|h| h.event == tokenwatch_core::connection::Event::ExpiringSoon)
        .map(|h| h.at.as_millis())
        .collect();
    assert_eq!(
        warnings,
        [t0 + 23 * DAY, t0 + 29 * DAY],
        "warned a week and a day ahead"
    );
    let last = &block_on(w.engine.list()).unwrap()[0].status;
    assert_eq!(
        last.detail,
        "The refresh token expired under the org's refresh token policy for the connected app."
    );
    assert!(
        last.action
            .as_deref()
            .unwrap()
            .contains("Refresh token is valid until revoked")
    );
}

#[test]
fn while_expiring_soon_the_view_says_by_when() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&LoginChoice::Custom {
        host: SIM_URL.into(),
    }))
    .unwrap()
    .id;
    let t0 = now(&w);
    w.clock.advance_ms(25 * DAY);
    let view = block_on(
        w.engine
            .declare_policy(&id, DeclaredPolicy::ExpireAfter { days: 30 }),
    )
    .unwrap();
    assert_eq!(view.status.title, "Expiring soon");
    assert_eq!(view.status.times[0].label, "sign-in needed by");
    assert_eq!(
        view.status.times[0].at,
        Timestamp::from_millis(t0 + 30 * DAY)
    );
    assert_eq!(
        view.status.action.as_deref(),
        Some("Sign in again before then to start a new period.")
    );
}

#[test]
fn without_a_declaration_the_same_expiry_reads_as_a_revocation() {
    let w = world();
    w.sim
        .set_refresh_policy(RefreshPolicy::ExpireAfter { ms: 30 * DAY });
    let t0 = now(&w);
    block_on(w.engine.connect_salesforce(&LoginChoice::Custom {
        host: SIM_URL.into(),
    }))
    .unwrap();
    let seen = run_until(&w, t0 + 31 * DAY);
    assert_eq!(
        seen.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["Token valid", "Token expired"]
    );
    let last = &block_on(w.engine.list()).unwrap()[0].status;
    assert!(
        last.detail
            .starts_with("The password was changed or access was revoked"),
        "{}",
        last.detail
    );
}

#[test]
fn a_sliding_policy_never_warns_because_silent_renewal_pushes_it_back() {
    let w = world();
    w.sim
        .set_refresh_policy(RefreshPolicy::ExpireIfUnused { ms: 7 * DAY });
    let t0 = now(&w);
    let id = block_on(w.engine.connect_salesforce(&LoginChoice::Custom {
        host: SIM_URL.into(),
    }))
    .unwrap()
    .id;
    block_on(
        w.engine
            .declare_policy(&id, DeclaredPolicy::ExpireIfUnused { days: 7 }),
    )
    .unwrap();
    let seen = run_until(&w, t0 + 60 * DAY);
    assert!(seen.iter().all(|(_, t)| t == "Token valid"), "{seen:?}");
}
