//! A year of bad days, replayed deterministically (issue 20): fixed seeds, each the first quarter
//! of a year in the life of 20 to 50 connections (see `dst`), with every invariant checked after
//! every step;
//! and `explore`, which `cargo xtask simulate [seeds] [years]` runs for more seeds and which
//! prints a failing seed with the shortest event list that still fails.

mod dst;

use dst::{Outcome, Scenario, Stats, run, shrink};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The seeds the test command runs. A seed that found a bug stays here, with what it found,
/// so the bug cannot come back unseen:
/// - 1 and 3: a clock moved back 12 hours, with a connection whose org expires its refresh
///   tokens at once: the check scheduled before the jump looked hours away. They failed while
///   the harness let alarms follow the laptop's clock (Chrome's wait on a monotonic timer); the
///   engine's part, kept: `is_due` bounds a healthy schedule by one check interval (it allowed
///   six hours, the longest Retry-After, to any schedule).
/// - 2: two contexts at once: a check's note saved while the other context refreshed made the
///   refresh's save conflict and its new tokens were dropped, so the next check refreshed again
///   with the old token (with rotation, a retired one). The refresh now puts its tokens on the
///   newer record.
/// - 3: two contexts at once and lost answers, with rotation: one context's refresh answer was
///   lost and it went on to record *Can't reach* without the lock, while the other had the
///   provider's refusal; the refusal's save conflicted and was dropped, *Can't reach* stayed,
///   and its retries sent the retired token again. *Can't reach* is now recorded under the
///   connection's lock and never replaces *Needs sign-in*, and a refusal, like new tokens, is
///   put on a record written meanwhile.
const SEEDS: &[u64] = &[1, 2, 3, 4];

/// How much of each seed's year the test command lives (every bug above showed by day 74);
/// `cargo xtask simulate` lives whole years.
const SPAN: i64 = 92 * dst::DAY;

fn report(seed: u64, years: f64, outcome: &Outcome) -> String {
    match &outcome.violation {
        None => format!(
            "seed {seed}: {years:.2} year(s), {} connections, {:.1} connection-years, {} checks, {} refreshes, {} sign-ins, {} checks by many callers at once ({} joined another's): no violation",
            outcome.stats.connections,
            outcome.connection_years,
            outcome.stats.checks,
            outcome.stats.refreshes,
            outcome.stats.sign_ins,
            outcome.stats.callers,
            outcome.stats.joined
        ),
        Some(v) => format!(
            "seed {seed}: VIOLATION of \"{}\" at day {:.2}: {}",
            v.invariant,
            v.at as f64 / dst::DAY as f64,
            v.detail
        ),
    }
}

/// Shrinks a failure and says it in full: the seed, the invariant, and the events left.
fn explain(scenario: &Scenario, outcome: &Outcome) -> String {
    let v = outcome.violation.as_ref().expect("a failure");
    let (small, sv) = shrink(scenario, v);
    let mut out = format!(
        "seed {} fails \"{}\": {}\nshortest event list that still fails ({} of {} events, {} connections, {:.1} days):\n",
        scenario.seed,
        sv.invariant,
        sv.detail,
        small.events.len(),
        scenario.events.len(),
        small.accounts.len(),
        small.span as f64 / dst::DAY as f64
    );
    for e in &small.events {
        out.push_str(&format!(
            "  day {:>8.3}  {:?}\n",
            e.at as f64 / dst::DAY as f64,
            e.kind
        ));
    }
    out
}

#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "months per seed want an optimized build: cargo xtask test runs this with --release"
)]
fn fixed_seeds_live_a_quarter_of_their_year_without_breaking_an_invariant() {
    let started = Instant::now();
    // One seed per core at a time: each run is single-threaded and shares nothing.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let outcomes: Vec<(u64, Scenario, Outcome)> = SEEDS
        .chunks(threads)
        .flat_map(|chunk| {
            std::thread::scope(|scope| {
                let runs: Vec<_> = chunk
                    .iter()
                    .map(|&seed| {
                        scope.spawn(move || {
                            let scenario = Scenario::generate(seed, 1.0).truncated(SPAN);
                            let outcome = run(&scenario);
                            (seed, scenario, outcome)
                        })
                    })
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().expect("a simulation thread panicked"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut total = Stats::default();
    let mut years = 0.0;
    for (seed, scenario, outcome) in &outcomes {
        println!("{}", report(*seed, SPAN as f64 / dst::YEAR as f64, outcome));
        if outcome.violation.is_some() {
            panic!("{}", explain(scenario, outcome));
        }
        years += outcome.connection_years;
        total.add(&outcome.stats);
    }
    println!(
        "{} seeds, {years:.0} connection-years, {} checks, {} events in {:.1} s",
        SEEDS.len(),
        total.checks,
        total.events.values().sum::<u64>(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn a_seed_replays_exactly() {
    let scenario = Scenario::generate(42, 1.0).truncated(10 * dst::DAY);
    let (a, b) = (run(&scenario), run(&scenario));
    assert_eq!(format!("{:?}", a.stats), format!("{:?}", b.stats));
    assert_eq!(a.violation, b.violation);
    assert!(a.stats.checks > 0 && a.stats.refreshes > 0);
}

/// `cargo xtask simulate [seeds] [years]`: seeds from `TOKENWATCH_SIMULATE_FROM` (default 1000)
/// on, `TOKENWATCH_SIMULATE_SEEDS` of them (default 20) or for `TOKENWATCH_SIMULATE_MINUTES`,
/// each over `TOKENWATCH_SIMULATE_YEARS` (default 1). Prints each seed and the figures; a
/// failure is shrunk and printed, and the run fails.
#[test]
#[ignore = "run by cargo xtask simulate"]
fn explore() {
    let var = |name: &str| std::env::var(name).ok();
    let from: u64 = var("TOKENWATCH_SIMULATE_FROM").map_or(1000, |v| v.parse().unwrap());
    let seeds: u64 = var("TOKENWATCH_SIMULATE_SEEDS").map_or(20, |v| v.parse().unwrap());
    let years: f64 = var("TOKENWATCH_SIMULATE_YEARS").map_or(1.0, |v| v.parse().unwrap());
    let minutes: Option<f64> = var("TOKENWATCH_SIMULATE_MINUTES").map(|v| v.parse().unwrap());
    // `TOKENWATCH_SIMULATE_UNTIL=75`: each seed's year (as generated) only up to day 75, to
    // replay a failure quickly.
    let until: Option<f64> = var("TOKENWATCH_SIMULATE_UNTIL").map(|v| v.parse().unwrap());
    let started = Instant::now();
    // `TOKENWATCH_SIMULATE_LIST=3,6,7`: exactly these seeds.
    let list: Option<Vec<u64>> = var("TOKENWATCH_SIMULATE_LIST")
        .map(|l| l.split(',').map(|s| s.trim().parse().unwrap()).collect());
    // The n-th seed to run, or `None` when the run is over.
    let nth = |n: u64| -> Option<u64> {
        if minutes.is_some_and(|m| started.elapsed().as_secs_f64() >= m * 60.0) {
            return None;
        }
        match (&list, minutes) {
            (Some(l), _) => l.get(n as usize).copied(),
            (None, Some(_)) => Some(from + n),
            (None, None) => (n < seeds).then_some(from + n),
        }
    };
    // Every core takes the next seed as it finishes one; seeds share nothing.
    let next = AtomicU64::new(0);
    let done: Mutex<Vec<(u64, Outcome, Option<String>)>> = Mutex::default();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(seed) = nth(next.fetch_add(1, Ordering::SeqCst)) {
                    let mut scenario = Scenario::generate(seed, years);
                    if let Some(days) = until {
                        scenario = scenario.truncated((days * dst::DAY as f64) as i64);
                    }
                    let outcome = run(&scenario);
                    println!("{}", report(seed, years, &outcome));
                    let failure = outcome.violation.is_some().then(|| {
                        let text = explain(&scenario, &outcome);
                        println!("{text}");
                        text
                    });
                    done.lock().unwrap().push((seed, outcome, failure));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(seed, ..)| *seed);
    let mut total = Stats::default();
    let mut connection_years = 0.0;
    for (_, outcome, _) in &done {
        connection_years += outcome.connection_years;
        total.add(&outcome.stats);
    }
    let ran = done.len();
    let failures: Vec<String> = done.into_iter().filter_map(|(.., f)| f).collect();
    println!(
        "\n{ran} seeds × {years} year(s) in {:.0} s on {threads} threads: {connection_years:.0} connection-years, {} checks, {} requests, {} refreshes, {} sign-ins by the person, {} Needs sign-in, {} failed writes",
        started.elapsed().as_secs_f64(),
        total.checks,
        total.requests,
        total.refreshes,
        total.sign_ins,
        total.needs_sign_in,
        total.failed_writes
    );
    println!("events injected by kind:");
    for (kind, n) in &total.events {
        println!("  {kind}: {n}");
    }
    println!("{} failing seed(s)", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Found by the long run (1003 of a year, day 57): three contexts at once and a 429 with
/// `Retry-After: 120`. Three ways the same refresh went out again before it: the context that got
/// the 429 released the connection's lock before it recorded *Can't reach*, so a context waiting
/// for the lock found the record it had decided from and sent at once; a tick that had read the
/// head before that record checked anyway; and the person's Check now (the harness presses it on
/// a random connection while contexts race) knew nothing of the wait. Now *Can't reach* is
/// recorded under the refresh's lock, a scheduled check decides again from the record it opens,
/// and the record keeps `Retry-After` (`ScheduleState::not_before`), which every refresh honours.
/// Shortest events: contexts at once (day 56.36), rate limited on simulator 4 (day 57.26). Its
/// own test rather than a fifth seed in `SEEDS`: the first 59 days are enough (about 10 s).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "months per seed want an optimized build: cargo xtask test runs this with --release"
)]
fn seed_1003_a_waiting_context_honours_retry_after() {
    lives_clean(1003, 59);
}

/// A seed kept for the bug it found: the first `days` of its year break no invariant.
fn lives_clean(seed: u64, days: i64) {
    let span = days * dst::DAY;
    let outcome = run(&Scenario::generate(seed, 1.0).truncated(span));
    assert!(
        outcome.violation.is_none(),
        "{}",
        report(seed, span as f64 / dst::YEAR as f64, &outcome)
    );
}

/// Found by the confirmation run after the hour (1074 of a year, day 91.77; 1075 the same way at
/// day 176.29): on an org whose refresh tokens expire after days unused and rotate, the laptop
/// slept ten days; on waking a check's refresh was refused (the token had expired) and its
/// context stopped before it stored the refusal; the next context sent the token again and,
/// finding the start of an unfinished refresh, said *a renewal was cut off and rotation retired
/// the token*. Salesforce answers a retired and an expired token alike, so the engine cannot know
/// which: its words now say both (`causeRefreshInterrupted`), and where the provider's answers
/// show rotation off it keeps no start mark at all (`Connection::rotates`); the harness accepts
/// the cause where a refresh was cut off and the world explains a refusal.
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "months per seed want an optimized build: cargo xtask test runs this with --release"
)]
fn seed_1074_a_cut_off_refusal_is_not_only_rotation() {
    lives_clean(1074, 92);
}
