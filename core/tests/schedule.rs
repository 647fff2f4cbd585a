//! The schedule on a virtual clock against the in-process simulator: outages, sleeps, clock
//! jumps, Retry-After, and a year without the person.

mod common;

use common::{SIM_URL, block_on, world};
use std::time::Duration;
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::schedule::Timing;
use tokenwatch_core::status::Tone;
use tokenwatch_sim::{Faults, RefreshPolicy, TokenFault};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn sim_login() -> LoginChoice {
    LoginChoice::Custom {
        host: SIM_URL.into(),
    }
}

/// Moves the clock to the engine's next wake-up and ticks; returns how many were checked.
fn step(w: &common::World) -> usize {
    let now = w.clock.0.load(std::sync::atomic::Ordering::SeqCst);
    let next = block_on(w.engine.next_wakeup())
        .unwrap()
        .expect("something is scheduled")
        .as_millis();
    w.clock.advance_ms((next - now).max(0));
    block_on(w.engine.tick()).unwrap().checked
}

#[test]
fn a_two_hour_outage_is_unreachable_with_bounded_backoff_then_healthy_on_recovery() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    let start = w.clock.0.load(std::sync::atomic::Ordering::SeqCst);
    let mut attempts = 0;
    let mut first_failure = None;
    while w.clock.0.load(std::sync::atomic::Ordering::SeqCst) < start + 30 * MINUTE + 2 * HOUR {
        attempts += step(&w);
        let view = &block_on(w.engine.list()).unwrap()[0];
        assert_eq!(view.status.title, "Can't reach Salesforce");
        assert_eq!(view.status.tone, Tone::Warn);
        first_failure.get_or_insert(view.status.times[0].at);
        assert_eq!(
            Some(view.status.times[0].at),
            first_failure,
            "'since' stays the first failure"
        );
    }
    // 30 s doubling to a 30 min cap, with jitter: about a dozen attempts in two hours.
    assert!((6..=14).contains(&attempts), "{attempts} attempts");
    let detail = &block_on(w.engine.list()).unwrap()[0].status.detail;
    assert_eq!(
        detail,
        "Salesforce could not be reached (HTTP 503). Tokenwatch keeps trying; nothing is needed from you yet."
    );

    w.sim.set_faults(Faults::default());
    step(&w);
    let view = &block_on(w.engine.list()).unwrap()[0];
    assert_eq!(view.status.title, "Token valid");
    let conn = common::stored(&w, &id);
    let history: Vec<String> = conn
        .history
        .iter()
        .map(|h| h.event.title(conn.provider()))
        .collect();
    assert_eq!(
        history,
        ["Signed in", "Can't reach Salesforce", "Token valid"]
    );
}

#[test]
fn after_ten_days_asleep_each_connection_is_checked_once_not_in_a_burst() {
    let w = world();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    *w.engine.ports().identity.username.borrow_mut() = "grace@globex.example".into();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    let before = w.sim.counters();
    w.clock.advance_ms(10 * DAY);
    assert_eq!(block_on(w.engine.tick()).unwrap().checked, 2);
    let after = w.sim.counters();
    // Each: the timed-out session refused at userinfo, one refresh, the new token proven.
    assert_eq!(
        (
            after.userinfo - before.userinfo,
            after.refreshes - before.refreshes
        ),
        (4, 2)
    );
    assert_eq!(
        block_on(w.engine.tick()).unwrap().checked,
        0,
        "nothing is due right after"
    );
}

#[test]
fn a_clock_moved_back_a_day_does_not_postpone_the_next_check() {
    let w = world();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    w.clock.advance_ms(-DAY);
    assert_eq!(block_on(w.engine.tick()).unwrap().checked, 1);
}

#[test]
fn needs_sign_in_is_never_retried() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.revoke_user("ada@acme.example");
    w.clock.advance_ms(3 * HOUR);
    assert_eq!(block_on(w.engine.tick()).unwrap().checked, 1);
    assert_eq!(
        block_on(w.engine.check(&id)).unwrap().status.title,
        "Token expired"
    );
    let refreshes = w.sim.counters().refreshes;
    for _ in 0..10 {
        w.clock.advance_ms(DAY);
        assert_eq!(block_on(w.engine.tick()).unwrap().checked, 0);
    }
    assert_eq!(w.sim.counters().refreshes, refreshes);
    assert_eq!(block_on(w.engine.next_wakeup()).unwrap(), None);
}

#[test]
fn retry_after_is_honoured() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.expire_access_tokens();
    w.sim.set_faults(Faults {
        token: Some(TokenFault::RateLimited),
        ..Faults::default()
    });
    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(view.status.title, "Can't reach Salesforce");
    let now = w.clock.0.load(std::sync::atomic::Ordering::SeqCst);
    let next_try = view.status.times[1].at.as_millis();
    assert!(
        next_try - now >= 120_000,
        "next try in {} ms, Retry-After said 120 s",
        next_try - now
    );
    assert!(
        view.status.detail.contains("HTTP 429, retry after 120 s"),
        "{}",
        view.status.detail
    );
    // Until then nobody sends: not the person's Check now, not a refresh asked for as such,
    // not a tick (found by the simulation, seed 1003: a second context sent at once).
    let sent = w.sim.counters().refreshes;
    w.clock.advance_ms(119_000);
    for _ in 0..3 {
        let view = block_on(w.engine.check(&id)).unwrap();
        assert_eq!(view.status.title, "Can't reach Salesforce");
        assert_eq!(
            block_on(w.engine.refresh_tokens(&id)).unwrap().status.title,
            "Can't reach Salesforce"
        );
        block_on(w.engine.tick()).unwrap();
    }
    assert_eq!(
        w.sim.counters().refreshes,
        sent,
        "a refresh before Retry-After"
    );
    // Once it has passed, the next check goes out and recovers.
    w.sim.set_faults(Faults::default());
    w.clock.advance_ms(1_000);
    assert_eq!(
        block_on(w.engine.check(&id)).unwrap().status.title,
        "Token valid"
    );
    assert_eq!(w.sim.counters().refreshes, sent + 1);
}

#[test]
fn an_org_whose_policy_expires_unused_tokens_after_30_days_stays_healthy_for_a_year_without_a_sign_in()
 {
    let w = world();
    w.sim
        .set_refresh_policy(RefreshPolicy::ExpireIfUnused { ms: 30 * DAY });
    let engine_settings = Timing {
        check_interval: Duration::from_secs(6 * 3600),
        ..Timing::default()
    };
    let w = common::World {
        engine: w.engine.with_timing(engine_settings),
        ..w
    };
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    let start = w.clock.0.load(std::sync::atomic::Ordering::SeqCst);
    while w.clock.0.load(std::sync::atomic::Ordering::SeqCst) < start + 365 * DAY {
        step(&w);
        let status = &block_on(w.engine.list()).unwrap()[0].status;
        assert_eq!(status.title, "Token valid", "{status:?}");
    }
    assert_eq!(
        w.sim.counters().code_exchanges,
        1,
        "one sign-in for the whole year"
    );
    assert!(
        w.sim.counters().refreshes >= 365,
        "refreshed silently all year"
    );
}

#[test]
fn a_tick_with_nothing_due_opens_no_record_and_the_badge_opens_only_those_needing_the_person() {
    let w = world();
    let first = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let sealer = &w.engine.ports().sealer;
    let opened = sealer.opened();
    let tick = block_on(w.engine.tick()).unwrap();
    assert_eq!(tick.checked, 0);
    assert!(
        tick.next_wakeup.is_some(),
        "the next check is known from the head"
    );
    let (views, next) = block_on(w.engine.attention()).unwrap();
    assert!(views.is_empty());
    assert_eq!(next, tick.next_wakeup);
    assert_eq!(sealer.opened(), opened, "nothing was decrypted");

    // Revoked: the next check parks it and marks it in its head; the badge opens that one.
    w.sim.revoke_user("ada@acme.example");
    assert_eq!(
        block_on(w.engine.check(&first)).unwrap().status.title,
        "Token expired"
    );
    let opened = sealer.opened();
    let (views, _) = block_on(w.engine.attention()).unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].id, first);
    assert_eq!(sealer.opened(), opened + 1);
    // A parked connection is not due, whatever the time.
    w.clock.advance_ms(10 * DAY);
    let opened = sealer.opened();
    assert_eq!(block_on(w.engine.tick()).unwrap().checked, 0);
    assert_eq!(sealer.opened(), opened);
}

#[test]
fn heads_written_before_schedules_in_heads_are_opened_and_still_scheduled() {
    use tokenwatch_core::ports::Store;
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    // Strip the schedule from the head, as an older build wrote it.
    let key = format!("conn:{id}");
    let store = &w.engine.ports().store;
    let head: serde_json::Value =
        serde_json::from_str(&block_on(store.get(&key)).unwrap().unwrap()).unwrap();
    let old = serde_json::json!({ "gen": head["gen"] });
    block_on(store.put(&key, old.to_string())).unwrap();
    let tick = block_on(w.engine.tick()).unwrap();
    assert_eq!(tick.checked, 0);
    assert!(tick.next_wakeup.is_some(), "read from the record");
    w.clock.advance_ms(31 * MINUTE);
    assert_eq!(block_on(w.engine.tick()).unwrap().checked, 1);
}
