//! Deterministic simulation testing of the whole engine (issue 20), after FoundationDB's and
//! TigerBeetle's: one `u64` seed generates a stretch of life — 20 to 50 connections of both
//! providers over Salesforce orgs with every refresh policy, rotation on and off, one Microsoft
//! registration (single-page app or public client) — and a schedule of bad days: outages, 429s,
//! 5xx, HTML error pages, slow and lost answers, revocations, password changes, frozen users,
//! blocked apps, withdrawn consent, Conditional Access asking for MFA, ended Microsoft sessions,
//! the worker stopped at an await point, two or three contexts at once, many callers in one
//! context at once (issue 27), the laptop's clock jumping and the laptop asleep, failed
//! storage writes and the key lost. The person reacts as a
//! person would (signs in again hours after a Needs sign-in). Everything runs in-process on a
//! virtual clock, so a seed replays exactly, and after every step the invariants are checked
//! (see [`run`]). A failing run is shrunk to the shortest event list that still fails.
//!
//! To look at a failure: `TOKENWATCH_SIMULATE_TRACE=<username>` prints every change of that
//! account's status beside the world's truth, `TOKENWATCH_SIMULATE_TRACE_SIM=<n>` every refresh
//! simulator `n` answers (the token's last six characters only).

pub mod ports;

use ports::*;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::task::{Context, Poll, Waker};
use tokenwatch_core::engine::Engine;
use tokenwatch_core::ids::{ConnectionId, Provider};
use tokenwatch_core::messages::{ConnectionView, LoginChoice, Request};
use tokenwatch_core::microsoft::{Authority, MicrosoftApp, Registration, Resource, Tenant};
use tokenwatch_core::status::{Alert, Tone};
use tokenwatch_core::{SalesforceApp, schedule::Timing};
use tokenwatch_sim::{
    AppFault, Config, Faults, MS_PUBLIC_CLIENT_ID, MS_SPA_CLIENT_ID, RefreshPolicy, Sim,
    TokenFault, User,
};
use url::Url;

pub const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;
pub const YEAR: i64 = 365 * DAY;
/// How often the oracle reads the whole list after ticks (it always does after a sign-in).
const VIEW_EVERY: i64 = 15 * MINUTE;

const CLIENT_ID: &str = "tokenwatch-sim-client";
const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce";
const MS_REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/microsoft";
const PASSWORD: &str = "tokenwatch";

/// SplitMix64: small, fast, and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    /// In `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// A Salesforce org: one simulator with its refresh token policy and rotation.
#[derive(Debug, Clone)]
pub struct Org {
    pub policy: RefreshPolicy,
    pub rotation: bool,
}

/// One account the person connects.
#[derive(Debug, Clone)]
pub struct Account {
    pub provider: Provider,
    /// Its simulator (the Microsoft one is last).
    pub sim: usize,
    pub username: String,
}

/// What happens, and for how long where it lasts.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Outage {
        sim: usize,
        ms: i64,
    },
    RateLimited {
        sim: usize,
        ms: i64,
    },
    ServerError {
        sim: usize,
        ms: i64,
    },
    HtmlPage {
        sim: usize,
        ms: i64,
    },
    LostAnswers {
        p: f64,
        ms: i64,
    },
    LostRequests {
        p: f64,
        ms: i64,
    },
    Slow {
        ms: i64,
    },
    Revoke {
        account: usize,
    },
    PasswordChange {
        account: usize,
    },
    Freeze {
        account: usize,
        ms: i64,
    },
    AppBlocked {
        sim: usize,
        ms: i64,
    },
    ConsentWithdrawn {
        ms: i64,
    },
    MfaRequired {
        ms: i64,
    },
    MicrosoftSessionEnded,
    WorkerStopped,
    Concurrent {
        contexts: usize,
        ms: i64,
    },
    /// While it lasts, each tick `callers` checks of one connection are asked of one context
    /// at once, as the popup, the options page, a banner and the person's clicks ask the worker.
    Callers {
        callers: usize,
        ms: i64,
    },
    ClockJump {
        ms: i64,
    },
    WriteFails {
        writes: u32,
    },
    KeyLost,
    Asleep {
        ms: i64,
    },
}

impl Kind {
    /// The kind's name, for the figures.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Outage { .. } => "outage",
            Kind::RateLimited { .. } => "429 with Retry-After",
            Kind::ServerError { .. } => "5xx",
            Kind::HtmlPage { .. } => "HTML error page",
            Kind::LostAnswers { .. } => "lost answers",
            Kind::LostRequests { .. } => "lost requests",
            Kind::Slow { .. } => "slow answers",
            Kind::Revoke { .. } => "revocation",
            Kind::PasswordChange { .. } => "password change",
            Kind::Freeze { .. } => "user frozen",
            Kind::AppBlocked { .. } => "app blocked",
            Kind::ConsentWithdrawn { .. } => "consent withdrawn",
            Kind::MfaRequired { .. } => "MFA required",
            Kind::MicrosoftSessionEnded => "Microsoft session ended",
            Kind::WorkerStopped => "worker stopped at an await",
            Kind::Concurrent { .. } => "contexts at once",
            Kind::Callers { .. } => "many callers in one context",
            Kind::ClockJump { .. } => "clock jump",
            Kind::WriteFails { .. } => "storage write failing",
            Kind::KeyLost => "key lost",
            Kind::Asleep { .. } => "laptop asleep",
        }
    }
}

/// One event, at `at` ms after the start.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub at: i64,
    pub kind: Kind,
}

/// Everything a seed decides.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub seed: u64,
    /// How long, in ms.
    pub span: i64,
    pub orgs: Vec<Org>,
    pub registration: Registration,
    pub accounts: Vec<Account>,
    pub events: Vec<Event>,
}

impl Scenario {
    /// The life `seed` generates, over `years`.
    pub fn generate(seed: u64, years: f64) -> Self {
        let mut rng = Rng::new(seed);
        let span = (years * YEAR as f64) as i64;
        let policies = [
            RefreshPolicy::UntilRevoked,
            RefreshPolicy::ExpireAfter {
                ms: rng.range(7, 120) * DAY,
            },
            RefreshPolicy::ExpireIfUnused {
                ms: rng.range(2, 30) * DAY,
            },
            RefreshPolicy::Immediately,
        ];
        // Every policy, each with rotation on or off; more orgs valid until revoked, as in life.
        let mut orgs: Vec<Org> = policies
            .iter()
            .map(|&policy| Org {
                policy,
                rotation: rng.chance(0.5),
            })
            .collect();
        for _ in 0..rng.range(1, 3) {
            orgs.push(Org {
                policy: RefreshPolicy::UntilRevoked,
                rotation: rng.chance(0.5),
            });
        }
        let registration = if rng.chance(0.5) {
            Registration::Spa
        } else {
            Registration::PublicClient
        };
        let total = rng.range(20, 50) as usize;
        let microsoft = rng.range(2, 6) as usize;
        let ms_sim = orgs.len();
        let mut accounts = Vec::new();
        for i in 0..total {
            if i < microsoft {
                accounts.push(Account {
                    provider: Provider::Microsoft,
                    sim: ms_sim,
                    username: format!("m{i}@contoso.example"),
                });
            } else {
                // The Immediately org keeps one account: it needs a sign-in at every check.
                let sim = if i == microsoft {
                    3
                } else {
                    let mut s = rng.below(orgs.len() as u64) as usize;
                    if s == 3 {
                        s = 0;
                    }
                    s
                };
                accounts.push(Account {
                    provider: Provider::Salesforce,
                    sim,
                    username: format!("u{i}@org{sim}.example"),
                });
            }
        }
        let mut events = Vec::new();
        let per_year = |rng: &mut Rng, mean: f64| -> usize {
            let n = mean * years;
            n.floor() as usize + usize::from(rng.chance(n.fract()))
        };
        let salesforce_sims = orgs.len() as u64;
        let mut add = |rng: &mut Rng, mean: f64, make: &mut dyn FnMut(&mut Rng) -> Kind| {
            for _ in 0..per_year(rng, mean) {
                // Nothing in the first day: the person connects everything then.
                let at = rng.range(DAY, span - 1);
                events.push(Event {
                    at,
                    kind: make(rng),
                });
            }
        };
        let any_sim = |rng: &mut Rng| rng.below(salesforce_sims + 1) as usize;
        let n = accounts.len() as u64;
        add(&mut rng, 8.0, &mut |r| Kind::Outage {
            sim: any_sim(r),
            ms: r.range(10 * MINUTE, 3 * DAY),
        });
        add(&mut rng, 6.0, &mut |r| Kind::RateLimited {
            sim: any_sim(r),
            ms: r.range(5 * MINUTE, 6 * HOUR),
        });
        add(&mut rng, 6.0, &mut |r| Kind::ServerError {
            sim: any_sim(r),
            ms: r.range(5 * MINUTE, 12 * HOUR),
        });
        add(&mut rng, 4.0, &mut |r| Kind::HtmlPage {
            sim: any_sim(r),
            ms: r.range(5 * MINUTE, 6 * HOUR),
        });
        add(&mut rng, 8.0, &mut |r| Kind::LostAnswers {
            p: r.range(10, 100) as f64 / 100.0,
            ms: r.range(10 * MINUTE, 12 * HOUR),
        });
        add(&mut rng, 6.0, &mut |r| Kind::LostRequests {
            p: r.range(10, 100) as f64 / 100.0,
            ms: r.range(10 * MINUTE, 12 * HOUR),
        });
        add(&mut rng, 8.0, &mut |r| Kind::Slow {
            ms: r.range(10 * MINUTE, 2 * DAY),
        });
        add(&mut rng, 4.0, &mut |r| Kind::Revoke {
            account: r.below(n) as usize,
        });
        add(&mut rng, 4.0, &mut |r| Kind::PasswordChange {
            account: r.below(n) as usize,
        });
        add(&mut rng, 3.0, &mut |r| Kind::Freeze {
            account: r.below(n) as usize,
            ms: r.range(HOUR, 10 * DAY),
        });
        add(&mut rng, 1.5, &mut |r| Kind::AppBlocked {
            sim: r.below(salesforce_sims) as usize,
            ms: r.range(HOUR, 5 * DAY),
        });
        add(&mut rng, 1.5, &mut |r| Kind::ConsentWithdrawn {
            ms: r.range(HOUR, 5 * DAY),
        });
        add(&mut rng, 1.5, &mut |r| Kind::MfaRequired {
            ms: r.range(HOUR, 30 * DAY),
        });
        add(&mut rng, 6.0, &mut |_| Kind::MicrosoftSessionEnded);
        add(&mut rng, 40.0, &mut |_| Kind::WorkerStopped);
        add(&mut rng, 12.0, &mut |r| Kind::Concurrent {
            contexts: r.range(2, 3) as usize,
            ms: r.range(HOUR, 2 * DAY),
        });
        add(&mut rng, 8.0, &mut |r| Kind::ClockJump {
            ms: r.range(-2 * DAY, 2 * DAY),
        });
        add(&mut rng, 12.0, &mut |r| Kind::WriteFails {
            writes: r.range(1, 6) as u32,
        });
        add(&mut rng, 0.3, &mut |_| Kind::KeyLost);
        add(&mut rng, 24.0, &mut |r| Kind::Asleep {
            ms: r.range(HOUR, 14 * DAY),
        });
        // Drawn apart, so the bad days above stay those each seed always had.
        let mut apart = Rng::new(seed ^ 0xCA11_E125);
        add(&mut apart, 12.0, &mut |r| Kind::Callers {
            callers: r.range(5, 50) as usize,
            ms: r.range(HOUR, 2 * DAY),
        });
        events.sort_by_key(|e| e.at);
        Self {
            seed,
            span,
            orgs,
            registration,
            accounts,
            events,
        }
    }
}

impl Scenario {
    /// The first `span` ms of this life (its events after that dropped): a seed's bad days
    /// keep their dates, so a shorter run replays the same start.
    pub fn truncated(mut self, span: i64) -> Self {
        self.span = self.span.min(span);
        self.events.retain(|e| e.at < self.span);
        self
    }
}

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Which invariant.
    pub invariant: &'static str,
    /// What was seen.
    pub detail: String,
    /// When, ms after the start.
    pub at: i64,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub span: i64,
    pub connections: usize,
    pub events: BTreeMap<&'static str, u64>,
    pub steps: u64,
    pub checks: u64,
    pub requests: u64,
    pub refreshes: u64,
    pub sign_ins: u64,
    pub failed_writes: u64,
    pub needs_sign_in: u64,
    /// Checks asked by many callers in one context at once, and how many of them joined a
    /// check another caller was running.
    pub callers: u64,
    pub joined: u64,
}

impl Stats {
    pub fn add(&mut self, other: &Stats) {
        self.span += other.span;
        self.connections = self.connections.max(other.connections);
        for (k, v) in &other.events {
            *self.events.entry(k).or_default() += v;
        }
        self.steps += other.steps;
        self.checks += other.checks;
        self.requests += other.requests;
        self.refreshes += other.refreshes;
        self.sign_ins += other.sign_ins;
        self.failed_writes += other.failed_writes;
        self.needs_sign_in += other.needs_sign_in;
        self.callers += other.callers;
        self.joined += other.joined;
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Outcome {
    pub stats: Stats,
    /// Connection-years: each connection's time from its first sign-in to the end.
    pub connection_years: f64,
    pub violation: Option<Violation>,
}

type Ctx = Engine<SimPorts>;

/// What the harness knows of an account, the world's truth beside the engine's view.
#[derive(Debug, Default, Clone)]
struct Truth {
    id: Option<ConnectionId>,
    connected_at: Option<i64>,
    /// Since when the provider refuses its refresh token, by the world's events.
    revoked: bool,
    frozen: bool,
    /// The last successful sign-in (for a fixed refresh token policy).
    signed_in_at: i64,
    /// Whether the world refused it at any time since its last sign-in.
    refused_since_sign_in: bool,
    /// Its last sign-in passed multi-factor authentication (one was required then): the
    /// grant satisfies a later requirement too.
    mfa_passed: bool,
    /// The longest time since its last sign-in that Tokenwatch could not use its refresh
    /// token (the laptop asleep, its provider down): what an idle limit counts.
    longest_gap: i64,
    broken_since: Option<i64>,
    /// When the person will sign in again.
    person_at: Option<i64>,
    last_tone: Option<Tone>,
    last_title: String,
    needs_since: Option<i64>,
}

/// A fault that lasts until `until` (true time).
#[derive(Debug, Clone)]
struct Window {
    until: i64,
    kind: Kind,
}

struct World<'s> {
    s: &'s Scenario,
    time: Time,
    net: Rc<NetState>,
    browser: Rc<BrowserState>,
    store: SharedStore,
    sealer: SharedSealer,
    contexts: Rc<Vec<Ctx>>,
    rng: Rng,
    truth: Vec<Truth>,
    windows: Vec<Window>,
    asleep_until: Option<i64>,
    asleep_from: i64,
    /// When each simulator last started answering normally (a fault window ended), true time.
    calm_since: Vec<i64>,
    awake_since: i64,
    skew_changed_at: i64,
    stop_next: bool,
    key_lost: bool,
    stats: Stats,
    reuse_seen: Vec<u32>,
    /// Refreshes the provider answered in a round whose context was then stopped or whose
    /// write failed: each may have left a retired token behind, per simulator.
    interrupted: Vec<u64>,
    /// Refreshes whose outcome the engine may never have stored, whatever the provider made of
    /// them: lost on the way there or back, or in a round whose context was stopped. The
    /// evidence behind the engine's "the renewal before was cut off", per simulator.
    unfinished: Vec<u64>,
    last_tick_at: Option<i64>,
    timing: Timing,
    /// `TOKENWATCH_SIMULATE_TRACE`: an account whose every change is printed.
    trace: Option<String>,
    /// What the engine said after its last action: the list and the next wake-up (laptop
    /// time). Events change neither, so they are read again only after the engine acts.
    views: Vec<ConnectionView>,
    views_at: i64,
    /// The alarm, in true time (set from the laptop's clock when it was set).
    wakeup: Option<i64>,
}

fn sim_config(seed: u64, users: Vec<User>) -> Config {
    let mut c = Config::demo(CLIENT_ID, vec![REDIRECT.into()]);
    c.users = users;
    c.seed = seed;
    c
}

impl<'s> World<'s> {
    fn new(s: &'s Scenario) -> Self {
        let time = Time {
            truth: Arc::new(AtomicI64::new(T0)),
            skew: Rc::new(Cell::new(0)),
        };
        let mut sims = Vec::new();
        for (i, org) in s.orgs.iter().enumerate() {
            let users = s
                .accounts
                .iter()
                .enumerate()
                .filter(|(_, a)| a.sim == i)
                .map(|(n, a)| User {
                    username: a.username.clone(),
                    password: PASSWORD.into(),
                    name: format!("User {n}"),
                    org_id: format!("00D5g{:010}EAA", i + 1),
                    user_id: format!("0055g{:010}EAA", (i + 1) * 1000 + n),
                    tenant_id: String::new(),
                    object_id: String::new(),
                })
                .collect();
            let mut config = sim_config(s.seed.wrapping_mul(31).wrapping_add(i as u64), users);
            config.rotation = org.rotation;
            config.refresh_policy = org.policy;
            sims.push(config);
        }
        let ms_users = s
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| a.provider == Provider::Microsoft)
            .map(|(n, a)| User {
                username: a.username.clone(),
                password: PASSWORD.into(),
                name: format!("Person {n}"),
                org_id: "00D5g9999999999EAA".into(),
                user_id: format!("0055g{:010}EAA", 900_000 + n),
                tenant_id: "4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d".into(),
                object_id: format!("0ada0ada-1111-4222-8333-{n:012}"),
            })
            .collect();
        sims.push(sim_config(
            s.seed.wrapping_mul(31).wrapping_add(99),
            ms_users,
        ));
        let clock = time.truth.clone();
        let sims: Vec<(String, Arc<Sim>)> = sims
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                let base = format!("http://127.0.0.1:{}", 18_000 + i);
                let clock = clock.clone();
                let sim = Sim::new(
                    config,
                    &base,
                    Arc::new(move || clock.load(std::sync::atomic::Ordering::SeqCst)),
                );
                (base, Arc::new(sim))
            })
            .collect();
        let n_sims = sims.len();
        let net = Rc::new(NetState {
            sims,
            time: time.clone(),
            faults: RefCell::default(),
            rng: RefCell::new(Rng::new(s.seed ^ 0xA5A5)),
            round: RefCell::default(),
            retry_after: RefCell::default(),
            violations: RefCell::default(),
            requests: Cell::new(0),
            refreshes: Cell::new(0),
            lost_after_processing: RefCell::new(vec![0; n_sims]),
            trace_sim: std::env::var("TOKENWATCH_SIMULATE_TRACE_SIM")
                .ok()
                .and_then(|s| s.parse().ok()),
        });
        let browser = Rc::new(BrowserState {
            net: net.clone(),
            cookies: RefCell::default(),
            person: RefCell::default(),
            interactive: Cell::new(0),
            silent: Cell::new(0),
        });
        let store = SharedStore::default();
        let sealer = SharedSealer::default();
        let lock = SharedLock::default();
        let timing = Timing::default();
        let ms_base = net.sims[n_sims - 1].0.clone();
        let contexts = (0..3)
            .map(|c| {
                let ports = SimPorts {
                    http: Net(net.clone()),
                    store: store.clone(),
                    identity: Browser(browser.clone()),
                    clock: LaptopClock(time.clone()),
                    entropy: SeededEntropy(RefCell::new(Rng::new(s.seed ^ (c as u64 + 7)))),
                    sealer: sealer.clone(),
                    lock: lock.clone(),
                };
                let microsoft = MicrosoftApp {
                    client_id: match s.registration {
                        Registration::Spa => MS_SPA_CLIENT_ID,
                        Registration::PublicClient => MS_PUBLIC_CLIENT_ID,
                    }
                    .into(),
                    authority: Authority {
                        host: tokenwatch_core::host::HttpsOrigin::parse(&ms_base).unwrap(),
                        tenant: Tenant::Organizations,
                    },
                    registration: s.registration,
                    resource: Resource::Graph,
                    cloud: None,
                    ews_url: Url::parse(&format!("{ms_base}/EWS/Exchange.asmx")).unwrap(),
                    redirect: Url::parse(MS_REDIRECT).unwrap(),
                };
                Engine::new(
                    ports,
                    Some(SalesforceApp::new(
                        CLIENT_ID.into(),
                        Url::parse(REDIRECT).unwrap(),
                    )),
                )
                .with_microsoft(Some(microsoft))
                .with_timing(timing)
            })
            .collect::<Vec<Ctx>>();
        let contexts = Rc::new(contexts);
        let mut stats = Stats {
            span: s.span,
            connections: s.accounts.len(),
            ..Stats::default()
        };
        for e in &s.events {
            *stats.events.entry(e.kind.name()).or_default() += 1;
        }
        Self {
            s,
            time,
            net,
            browser,
            store,
            sealer,
            contexts,
            rng: Rng::new(s.seed ^ 0x1234_5678),
            truth: vec![Truth::default(); s.accounts.len()],
            windows: Vec::new(),
            asleep_until: None,
            asleep_from: T0,
            calm_since: vec![T0; n_sims],
            awake_since: T0,
            skew_changed_at: T0,
            stop_next: false,
            key_lost: false,
            stats,
            reuse_seen: vec![0; n_sims],
            interrupted: vec![0; n_sims],
            unfinished: vec![0; n_sims],
            last_tick_at: None,
            timing,
            trace: std::env::var("TOKENWATCH_SIMULATE_TRACE").ok(),
            views: Vec::new(),
            views_at: T0,
            wakeup: None,
        }
    }

    fn now(&self) -> i64 {
        self.time.now()
    }

    fn awake(&self) -> bool {
        self.asleep_until.is_none()
    }

    /// Puts the faults of the windows open now on the simulators and the network.
    fn apply_faults(&mut self) {
        let now = self.now();
        let mut closed = Vec::new();
        self.windows.retain(|w| {
            let open = w.until > now;
            if !open {
                closed.push(w.kind.clone());
            }
            open
        });
        for kind in closed {
            match kind {
                Kind::Outage { sim, ms }
                | Kind::RateLimited { sim, ms }
                | Kind::ServerError { sim, ms }
                | Kind::HtmlPage { sim, ms } => {
                    self.calm_since[sim] = now;
                    for (a, t) in self.truth.iter_mut().enumerate() {
                        if self.s.accounts[a].sim == sim {
                            t.longest_gap = t.longest_gap.max(ms);
                        }
                    }
                }
                Kind::LostAnswers { .. } | Kind::LostRequests { .. } => {
                    self.calm_since.iter_mut().for_each(|c| *c = now)
                }
                Kind::Freeze { account, .. } => {
                    let a = &self.s.accounts[account];
                    self.net.sims[a.sim].1.set_user_active(&a.username, true);
                    self.truth[account].frozen = false;
                }
                _ => {}
            }
        }
        let n = self.net.sims.len();
        let ms = n - 1;
        let mut faults = vec![Faults::default(); n];
        let mut net = NetFaults::default();
        for w in &self.windows {
            match w.kind {
                Kind::Outage { sim, .. } => faults[sim].outage = true,
                Kind::RateLimited { sim, .. } => {
                    faults[sim].token.get_or_insert(TokenFault::RateLimited);
                }
                Kind::ServerError { sim, .. } => {
                    faults[sim].token = Some(TokenFault::ServerError);
                }
                Kind::HtmlPage { sim, .. } => {
                    faults[sim].token.get_or_insert(TokenFault::HtmlPage);
                }
                Kind::LostAnswers { p, .. } => net.lose_answers = net.lose_answers.max(p),
                Kind::LostRequests { p, .. } => net.lose_requests = net.lose_requests.max(p),
                Kind::Slow { .. } => net.slow = true,
                Kind::AppBlocked { sim, .. } => faults[sim].app = Some(AppFault::Blocked),
                Kind::ConsentWithdrawn { .. } => faults[ms].aadsts = Some(65001),
                Kind::MfaRequired { .. } => faults[ms].mfa_required = true,
                _ => {}
            }
        }
        for (i, f) in faults.into_iter().enumerate() {
            self.net.sims[i].1.set_faults(f);
        }
        *self.net.faults.borrow_mut() = net;
    }

    /// Whether the world refuses account `a`'s renewal right now, and why.
    fn refused(&self, a: usize) -> Option<&'static str> {
        let t = &self.truth[a];
        let account = &self.s.accounts[a];
        let now = self.now();
        if t.revoked {
            return Some("revoked or password changed");
        }
        if t.frozen {
            return Some("user frozen");
        }
        for w in &self.windows {
            match w.kind {
                Kind::AppBlocked { sim, .. } if sim == account.sim => {
                    return Some("app blocked");
                }
                Kind::ConsentWithdrawn { .. } if account.provider == Provider::Microsoft => {
                    return Some("consent withdrawn");
                }
                Kind::MfaRequired { .. }
                    if account.provider == Provider::Microsoft && !t.mfa_passed =>
                {
                    return Some("MFA required");
                }
                _ => {}
            }
        }
        if account.provider == Provider::Salesforce {
            match self.s.orgs[account.sim].policy {
                RefreshPolicy::Immediately => return Some("policy: expire immediately"),
                RefreshPolicy::ExpireAfter { ms } if now - t.signed_in_at >= ms => {
                    return Some("policy: expired after its lifetime");
                }
                _ => {}
            }
        }
        None
    }

    /// The causes the world explains without a refusal of its own making: what a lost answer
    /// or a reuse leaves (rotation), what the key's loss leaves, what Microsoft's sessions and
    /// the 24-hour limit of a single-page app leave, an idle limit after the laptop slept.
    fn explained(&self, a: usize, alert: &str) -> bool {
        let account = &self.s.accounts[a];
        let cause = alert.strip_prefix("needs_sign_in:").unwrap_or(alert);
        let salesforce = account.provider == Provider::Salesforce;
        let policy = self.s.orgs.get(account.sim).map(|o| o.policy);
        // A retired token sent again after a lost answer or a cut-off renewal.
        let interrupted = self.net.lost_after_processing.borrow()[account.sim] > 0
            || self.interrupted[account.sim] > 0;
        // Salesforce answers an idle-limited token that expired as it answers a revoked one.
        let idle_expired = salesforce
            && matches!(policy, Some(RefreshPolicy::ExpireIfUnused { ms })
                if self.truth[a].longest_gap >= ms - 3 * HOUR);
        // The engine's "refused, and the renewal before was cut off": with that evidence it
        // cannot tell rotation's retirement from an idle expiry (Salesforce answers both alike).
        let cut_off = self.unfinished[account.sim] > 0;
        match cause {
            "stored_data_unreadable" => self.key_lost,
            "refresh_interrupted" => interrupted || (cut_off && idle_expired),
            "revoked" => interrupted || idle_expired,
            "day_limit_reached" | "signed_out" | "unused_too_long" => !salesforce,
            "policy_expired" => salesforce && !matches!(policy, Some(RefreshPolicy::UntilRevoked)),
            _ => false,
        }
    }

    /// Runs `work` on the contexts together, interleaved by the seed; a pending stop drops one
    /// of them at a random await point. Returns what each said when it failed.
    fn drive<'a>(
        &mut self,
        mut work: Vec<Pin<Box<dyn Future<Output = Option<String>> + 'a>>>,
    ) -> Result<(Vec<String>, bool), Violation> {
        let mut dropped = false;
        let stop = self.stop_next.then(|| {
            self.stop_next = false;
            (
                self.rng.below(work.len() as u64) as usize,
                self.rng.range(0, 60) as u32,
            )
        });
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut done: Vec<bool> = vec![false; work.len()];
        let mut said = Vec::new();
        let mut polls = vec![0u32; work.len()];
        let mut turns = 0u64;
        while done.iter().any(|d| !d) {
            turns += 1;
            if turns > 200_000 {
                return Err(self.violation(
                    "progress",
                    "the contexts stopped making progress (a deadlock)".into(),
                ));
            }
            let i = self.rng.below(work.len() as u64) as usize;
            if done[i] {
                continue;
            }
            if let Some((who, at)) = stop
                && who == i
                && polls[i] >= at
            {
                // The browser stops this context: its future is dropped where it stands.
                work[i] = Box::pin(async { None });
                done[i] = true;
                dropped = true;
                continue;
            }
            polls[i] += 1;
            if let Poll::Ready(out) = work[i].as_mut().poll(&mut cx) {
                done[i] = true;
                said.extend(out);
            }
        }
        Ok((said, dropped))
    }

    fn violation(&self, invariant: &'static str, detail: String) -> Violation {
        Violation {
            invariant,
            detail,
            at: self.now() - T0,
        }
    }

    /// The alarm: each context whose turn it is checks what is due.
    fn tick(&mut self) -> Result<(), Violation> {
        let concurrent = self
            .windows
            .iter()
            .find_map(|w| match w.kind {
                Kind::Concurrent { contexts, .. } => Some(contexts),
                _ => None,
            })
            .unwrap_or(1);
        self.net.round.borrow_mut().clear();
        let ids: Vec<ConnectionId> = self.truth.iter().filter_map(|t| t.id.clone()).collect();
        let extra = (!ids.is_empty() && concurrent > 1)
            .then(|| ids[self.rng.below(ids.len() as u64) as usize].clone());
        let checked = Rc::new(Cell::new(0u64));
        // The next wake-up as the last tick to finish computed it (`None`: none finished).
        let next: Rc<Cell<Option<Option<i64>>>> = Rc::new(Cell::new(None));
        let mut work: Vec<Pin<Box<dyn Future<Output = Option<String>>>>> = Vec::new();
        for c in 0..concurrent {
            let (contexts, checked, next) = (self.contexts.clone(), checked.clone(), next.clone());
            work.push(Box::pin(async move {
                match contexts[c].tick().await {
                    Ok(t) => {
                        checked.set(checked.get() + t.checked as u64);
                        next.set(Some(t.next_wakeup.map(|at| at.as_millis())));
                        None
                    }
                    Err(e) => Some(e.to_string()),
                }
            }));
        }
        if let Some(id) = extra {
            let contexts = self.contexts.clone();
            work.push(Box::pin(async move {
                contexts[concurrent - 1]
                    .check(&id)
                    .await
                    .err()
                    .map(|e| e.to_string())
            }));
        }
        let callers = self.windows.iter().find_map(|w| match w.kind {
            Kind::Callers { callers, .. } => Some(callers),
            _ => None,
        });
        let joined = Rc::new(Cell::new(0u64));
        if let Some(callers) = callers.filter(|_| !ids.is_empty()) {
            let id = ids[self.rng.below(ids.len() as u64) as usize].clone();
            let c = self.rng.below(concurrent as u64) as usize;
            self.stats.callers += callers as u64;
            for _ in 0..callers {
                let (contexts, id, joined) = (self.contexts.clone(), id.clone(), joined.clone());
                work.push(Box::pin(async move {
                    let served = contexts[c].serve(Request::Check { id }).await;
                    joined.set(joined.get() + u64::from(served.joined));
                    // The whole answer, views or error, is scanned for tokens with the errors.
                    serde_json::to_string(&served.response).ok()
                }));
            }
        }
        let failed_before = self.store.0.failed_writes.get();
        let (said, dropped) = self.drive(work)?;
        self.stats.joined += joined.get();
        // Renewals whose answer never reached storage: a worker stopped after the answer, or
        // a write that failed. Their tokens are lost, so the next context must renew again.
        let unstored = dropped || self.store.0.failed_writes.get() > failed_before;
        for sent in self.net.round.borrow().iter() {
            if unstored && sent.renewed {
                self.interrupted[sent.sim] += 1;
            }
            if dropped || sent.status.is_none() {
                self.unfinished[sent.sim] += 1;
            }
        }
        self.stats.checks += checked.get();
        match next.get() {
            Some(at) if !dropped => self.wakeup = at.map(|at| at - self.time.skew.get()),
            _ => self.reread_wakeup(),
        }
        self.scan("an error", &said.join("\n"))?;
        self.round_invariants(unstored)
    }

    /// Within one round, a refresh token the provider answered 200 is never sent again (unless
    /// that answer was never stored: `unstored`), and no refresh goes out before a
    /// `Retry-After` the provider gave. A resend after an unstored answer is still judged by
    /// the simulator's reuse count (see [`World::check`]).
    fn round_invariants(&mut self, unstored: bool) -> Result<(), Violation> {
        let round = self.net.round.borrow().clone();
        let mut answered: HashMap<&str, usize> = HashMap::new();
        for sent in &round {
            if !unstored && answered.contains_key(sent.refresh_token.as_str()) {
                let same: Vec<String> = round
                    .iter()
                    .filter(|r| r.refresh_token == sent.refresh_token)
                    .map(|r| match (r.status, r.renewed) {
                        (Some(200), false) => "200 without tokens".to_owned(),
                        (status, _) => format!("{status:?}"),
                    })
                    .collect();
                return Err(self.violation(
                    "one token request per renewal",
                    format!(
                        "a refresh token the provider had just renewed was sent again in the same round (simulator {}; its answers in order: {})",
                        sent.sim,
                        same.join(", ")
                    ),
                ));
            }
            if sent.renewed {
                answered.insert(sent.refresh_token.as_str(), sent.sim);
            }
        }
        if let Some(v) = self.net.violations.borrow_mut().drain(..).next() {
            return Err(self.violation("no request before Retry-After", v));
        }
        Ok(())
    }

    /// No token in `text`: the simulators' tokens end in 36 hex digits, and nothing else the
    /// product says has such a run.
    fn scan(&self, what: &str, text: &str) -> Result<(), Violation> {
        let mut run = 0;
        for c in text.chars() {
            if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
                run += 1;
                if run >= 36 {
                    return Err(self.violation(
                        "no token in any error, history or view",
                        format!(
                            "{what} holds a 36-hex-digit run, a token's: {}",
                            redact(text)
                        ),
                    ));
                }
            } else {
                run = 0;
            }
        }
        Ok(())
    }

    /// The person, at the keyboard: signs in again, or adds a connection anew when its stored
    /// data could not be read.
    fn person(&mut self, a: usize) -> Result<(), Violation> {
        let account = self.s.accounts[a].clone();
        *self.browser.person.borrow_mut() = Some((account.username.clone(), PASSWORD.into()));
        let contexts = self.contexts.clone();
        let c = &contexts[0];
        let id = self.truth[a].id.clone();
        let readable = match &id {
            Some(id) => {
                let views = block(c.list()).unwrap_or_default();
                views
                    .iter()
                    .find(|v| &v.id == id)
                    .is_some_and(|v| v.login_host.is_some())
            }
            None => false,
        };
        let base = self.net.sims[account.sim].0.clone();
        let mfa_now = self
            .windows
            .iter()
            .any(|w| matches!(w.kind, Kind::MfaRequired { .. }));
        let result = match (readable, id) {
            (true, Some(id)) => block(c.sign_in_again(&id)),
            _ => match account.provider {
                Provider::Salesforce => {
                    block(c.connect_salesforce(&LoginChoice::Custom { host: base }))
                }
                Provider::Microsoft => block(c.connect_microsoft(&Default::default())),
            },
        };
        *self.browser.person.borrow_mut() = None;
        self.stats.sign_ins += 1;
        let now = self.now();
        match result {
            Ok(view) => {
                if view.status.tone == Tone::Error {
                    // Signed in, and the provider refused at once (an Immediately policy).
                    self.truth[a].person_at = None;
                }
                let t = &mut self.truth[a];
                if t.id.is_none() {
                    t.connected_at = Some(now);
                }
                t.id = Some(view.id.clone());
                t.revoked = false;
                t.signed_in_at = now;
                t.mfa_passed = mfa_now;
                t.longest_gap = 0;
                t.refused_since_sign_in = false;
                t.broken_since = None;
                t.person_at = None;
                t.needs_since = None;
                self.scan("a view", &format!("{view:?}"))?;
            }
            Err(e) => {
                self.scan("an error", &e.to_string())?;
                // Not yet (still frozen, blocked, down): the person tries again tomorrow.
                self.truth[a].person_at = Some(now + DAY);
            }
        }
        Ok(())
    }

    fn apply(&mut self, kind: &Kind) -> Result<(), Violation> {
        let now = self.now();
        let window = |ms: i64| now + ms;
        match kind {
            Kind::Outage { ms, .. }
            | Kind::RateLimited { ms, .. }
            | Kind::ServerError { ms, .. }
            | Kind::HtmlPage { ms, .. }
            | Kind::LostAnswers { ms, .. }
            | Kind::LostRequests { ms, .. }
            | Kind::Slow { ms }
            | Kind::AppBlocked { ms, .. }
            | Kind::ConsentWithdrawn { ms }
            | Kind::MfaRequired { ms }
            | Kind::Concurrent { ms, .. }
            | Kind::Callers { ms, .. } => self.windows.push(Window {
                until: window(*ms),
                kind: kind.clone(),
            }),
            Kind::Freeze { account, ms } => {
                let a = &self.s.accounts[*account];
                self.net.sims[a.sim].1.set_user_active(&a.username, false);
                self.truth[*account].frozen = true;
                self.windows.push(Window {
                    until: window(*ms),
                    kind: kind.clone(),
                });
            }
            Kind::Revoke { account } => {
                let a = &self.s.accounts[*account];
                self.net.sims[a.sim].1.revoke_user(&a.username);
                self.truth[*account].revoked = true;
            }
            Kind::PasswordChange { account } => {
                let a = &self.s.accounts[*account];
                self.net.sims[a.sim].1.change_password(&a.username);
                self.truth[*account].revoked = true;
            }
            Kind::MicrosoftSessionEnded => {
                let ms = self.net.sims.len() - 1;
                self.browser.cookies.borrow_mut().remove(&ms);
            }
            Kind::WorkerStopped => self.stop_next = true,
            Kind::ClockJump { ms } => {
                self.time.skew.set(self.time.skew.get() + ms);
                self.skew_changed_at = now;
            }
            Kind::WriteFails { writes } => self.store.0.fail_writes.set(*writes),
            Kind::KeyLost => {
                self.sealer.0.lose_keys();
                self.key_lost = true;
            }
            Kind::Asleep { ms } => {
                if self.asleep_until.is_none() {
                    self.asleep_from = now;
                }
                let until = now + ms;
                self.asleep_until = Some(self.asleep_until.map_or(until, |u| u.max(until)));
            }
        }
        Ok(())
    }

    /// The invariants after a step, against the engine's list as the popup would show it.
    fn check(&mut self) -> Result<(), Violation> {
        for (i, (_, sim)) in self.net.sims.iter().enumerate() {
            let reused = sim.counters().rotated_reused;
            if reused > self.reuse_seen[i] {
                let lost = u64::from(self.net.lost_after_processing.borrow()[i]);
                let interrupted = self.interrupted[i];
                if u64::from(reused) > lost + interrupted {
                    return Err(self.violation(
                        "no refresh token sent after rotation retired it",
                        format!(
                            "simulator {i} saw {reused} retired refresh tokens sent again while their approval was live (each revoked it), more than the {lost} answers lost after processing and {interrupted} renewals cut off before their write that could explain them"
                        ),
                    ));
                }
                self.reuse_seen[i] = reused;
            }
        }
        let views = std::mem::take(&mut self.views);
        let judged = self.judge(&views);
        self.views = views;
        judged
    }

    /// Reads the engine's list and next wake-up again, after it acted.
    fn reread(&mut self) -> Result<(), Violation> {
        match block(self.contexts[0].list()) {
            Ok(v) => self.views = v,
            Err(e) => self.scan("an error", &e.to_string())?,
        }
        self.views_at = self.now();
        Ok(())
    }

    fn reread_wakeup(&mut self) {
        self.wakeup = block(self.contexts[0].next_wakeup())
            .ok()
            .flatten()
            .map(|at| at.as_millis() - self.time.skew.get());
    }

    fn judge(&mut self, views: &[ConnectionView]) -> Result<(), Violation> {
        let now = self.now();
        let by_id: HashMap<&ConnectionId, &ConnectionView> =
            views.iter().map(|v| (&v.id, v)).collect();
        // One check interval, the longest access token (Salesforce's 2 h session: a check
        // proves the access token and redeems the refresh token only when that is due), the
        // backoff's 30-minute cap after an outage, and the oracle's own reading interval.
        let slack = self.timing.check_interval.as_millis() as i64
            + 2 * HOUR
            + 30 * MINUTE
            + VIEW_EVERY
            + 5 * MINUTE;
        for a in 0..self.truth.len() {
            let Some(id) = self.truth[a].id.clone() else {
                continue;
            };
            let Some(view) = by_id.get(&id) else {
                return Err(self.violation(
                    "no connection lost",
                    format!("{id} is no longer listed, and nobody disconnected it"),
                ));
            };
            let refused = self.refused(a);
            if refused.is_some() {
                self.truth[a].refused_since_sign_in = true;
                self.truth[a].broken_since.get_or_insert(now);
            } else {
                self.truth[a].broken_since = None;
            }
            let alert = view
                .status
                .alert
                .clone()
                .map(String::from)
                .unwrap_or_default();
            let tone = view.status.tone;
            let was = self.truth[a].last_tone;
            let was_title = self.truth[a].last_title.clone();
            if view.login_host.is_none() && !self.key_lost {
                return Err(self.violation(
                    "no connection corrupted without a cause shown",
                    format!(
                        "{id} became unreadable without the key being lost: {}",
                        view.status.detail
                    ),
                ));
            }
            if tone == Tone::Error {
                if self.truth[a].needs_since.is_none() {
                    self.stats.needs_sign_in += 1;
                }
                self.truth[a].needs_since.get_or_insert(now);
                let explained = self.truth[a].refused_since_sign_in
                    || refused.is_some()
                    || self.explained(a, &alert);
                if !explained {
                    let invariant =
                        if was == Some(Tone::Warn) && was_title.starts_with("Can't reach") {
                            "Can't reach never becomes Needs sign-in by itself"
                        } else {
                            "no Needs sign-in without a cause in the world"
                        };
                    return Err(self.violation(
                        invariant,
                        format!(
                            "{id} ({}, simulator {}) shows {} ({alert}) though the provider accepts it",
                            self.s.accounts[a].username,
                            self.s.accounts[a].sim,
                            view.status.title
                        ),
                    ));
                }
                if self.truth[a].person_at.is_none() {
                    let wait = self.rng.range(HOUR, 48 * HOUR);
                    self.truth[a].person_at = Some(now + wait);
                }
            } else {
                self.truth[a].needs_since = None;
                if matches!(view.status.alert, Some(Alert::ExpiringWithinADay))
                    && self.truth[a].person_at.is_none()
                {
                    let wait = self.rng.range(HOUR, 12 * HOUR);
                    self.truth[a].person_at = Some(now + wait);
                }
            }
            // Asleep, the laptop checks nothing: the clock starts again when it wakes.
            if tone == Tone::Ok
                && self.awake()
                && let (Some(why), Some(since)) = (refused, self.truth[a].broken_since)
            {
                let sim = self.s.accounts[a].sim;
                let from = since
                    .max(self.calm_since[sim])
                    .max(self.awake_since)
                    .max(self.skew_changed_at);
                if now - from > slack {
                    return Err(self.violation(
                        "the status agrees with the provider within a check interval",
                        format!(
                            "{id} shows {} {} min after the provider began refusing it ({why}), with the provider answering and the laptop awake",
                            view.status.title,
                            (now - from) / MINUTE
                        ),
                    ));
                }
            }
            if self.trace.as_deref() == Some(self.s.accounts[a].username.as_str())
                && (was != Some(tone) || was_title != view.status.title || refused.is_some())
            {
                let c = self.net.sims[self.s.accounts[a].sim].1.counters();
                eprintln!(
                    "day {:9.4}  {}  {} — {}  (world: {}; provider: {} refreshes, {} silent sign-ins, checked {})",
                    (now - T0) as f64 / DAY as f64,
                    self.s.accounts[a].username,
                    view.status.title,
                    view.status.detail,
                    refused.unwrap_or("accepts"),
                    c.refreshes,
                    c.silent_authorizations,
                    view.checked_at
                        .map_or(-1.0, |t| (t.as_millis() - T0) as f64 / DAY as f64)
                );
            }
            self.truth[a].last_tone = Some(tone);
            self.truth[a].last_title = view.status.title.clone();
        }
        Ok(())
    }

    /// Every view, history and report says no token (once a simulated day: it reads them all).
    fn leak_check(&mut self) -> Result<(), Violation> {
        let contexts = self.contexts.clone();
        let c = &contexts[0];
        let ids: Vec<ConnectionId> = self.truth.iter().filter_map(|t| t.id.clone()).collect();
        for id in ids {
            if let Ok(details) = block(c.details(&id)) {
                self.scan(
                    "a connection's details and history",
                    &format!("{details:?}"),
                )?;
            }
            if let Ok(report) = block(c.report(&id, "simulation")) {
                self.scan("a diagnostic report", &report)?;
            }
        }
        Ok(())
    }
}

fn redact(text: &str) -> String {
    text.chars().take(300).collect()
}

/// Polls `f` to completion (the ports never wait on anything outside the process).
fn block<F: Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// Runs `s`: the person connects every account on the first day, then the year goes by,
/// step by step — the next event, the end of a fault, the person's next sign-in, or the
/// engine's next alarm, whichever comes first — with the invariants checked after each.
pub fn run(s: &Scenario) -> Outcome {
    let mut w = World::new(s);
    let violation = run_in(&mut w).err();
    let mut stats = w.stats.clone();
    stats.requests = w.net.requests.get();
    stats.refreshes = w.net.refreshes.get();
    stats.failed_writes = w.store.0.failed_writes.get();
    let end = w.now();
    let connection_years = w
        .truth
        .iter()
        .filter_map(|t| t.connected_at)
        .map(|at| (end - at).max(0) as f64 / YEAR as f64)
        .sum();
    Outcome {
        stats,
        connection_years,
        violation,
    }
}

fn run_in(w: &mut World<'_>) -> Result<(), Violation> {
    let end = T0 + w.s.span;
    // The first day: every account connected, spread over the morning.
    for a in 0..w.truth.len() {
        w.truth[a].person_at = Some(T0 + (a as i64) * 10 * MINUTE);
    }
    let mut next_event = 0;
    let mut next_leak_check = T0 + DAY;
    loop {
        w.stats.steps += 1;
        let now = w.now();
        let event_at = w.s.events.get(next_event).map(|e| T0 + e.at);
        let window_end = w.windows.iter().map(|x| x.until).min();
        let person_at = if w.awake() {
            w.truth.iter().filter_map(|t| t.person_at).min()
        } else {
            None
        };
        // Chrome's alarms wait their delay on a monotonic timer: a clock moved after the alarm
        // was set does not move it.
        let alarm = if w.awake() { w.wakeup } else { None };
        let candidates = [
            event_at,
            window_end,
            person_at,
            alarm,
            w.asleep_until,
            Some(next_leak_check),
            Some(end),
        ];
        let at = candidates.into_iter().flatten().min().unwrap().max(now);
        if at >= end {
            w.time.set(end);
            break;
        }
        w.time.set(at);
        w.apply_faults();
        if w.asleep_until.is_some_and(|u| u <= at) {
            w.asleep_until = None;
            let slept = at - w.asleep_from;
            for t in &mut w.truth {
                t.longest_gap = t.longest_gap.max(slept);
            }
            w.awake_since = at;
        }
        // Whatever is due now; a sign-in the person meant to do while the laptop slept is done
        // when it wakes.
        if event_at.is_some_and(|e| e <= at) {
            let kind = w.s.events[next_event].kind.clone();
            next_event += 1;
            w.apply(&kind)?;
            w.apply_faults();
        } else if let Some(due) = person_at.filter(|p| *p <= at) {
            let a = w
                .truth
                .iter()
                .position(|t| t.person_at == Some(due))
                .expect("someone is due");
            w.person(a)?;
            w.reread()?;
            w.reread_wakeup();
        } else if alarm.is_some_and(|t| t <= at) {
            if w.last_tick_at == Some(at) {
                // The engine asked to be woken again at once: Chrome's alarms wait at least
                // 30 seconds.
                w.time.set(at + 30_000);
            }
            w.last_tick_at = Some(w.now());
            w.tick()?;
            // The list is read again at most every `VIEW_EVERY` after ticks: reading it decrypts
            // every record, ten times what the ticks themselves cost.
            if w.now() - w.views_at >= VIEW_EVERY {
                w.reread()?;
            }
        } else if next_leak_check <= at {
            next_leak_check += DAY;
            w.leak_check()?;
        }
        w.check()?;
    }
    w.leak_check()?;
    w.check()
}

/// Runs `s`; when it fails, the shortest event list (by removing events while it still fails
/// the same invariant) and its outcome.
pub fn shrink(s: &Scenario, failed: &Violation) -> (Scenario, Violation) {
    let mut best = s.clone();
    // Nothing after the failure matters.
    best.events.retain(|e| e.at <= failed.at);
    best.span = (failed.at + DAY).min(s.span);
    let mut best_violation = failed.clone();
    let fails = |candidate: &Scenario| -> Option<Violation> {
        run(candidate)
            .violation
            .filter(|v| v.invariant == failed.invariant)
    };
    if let Some(v) = fails(&best) {
        best_violation = v;
    } else {
        best = s.clone();
    }
    let mut chunk = best.events.len().div_ceil(2).max(1);
    while chunk >= 1 && !best.events.is_empty() {
        let mut i = 0;
        let mut removed_any = false;
        while i < best.events.len() {
            let mut candidate = best.clone();
            let to = (i + chunk).min(candidate.events.len());
            candidate.events.drain(i..to);
            if let Some(v) = fails(&candidate) {
                best = candidate;
                best_violation = v;
                removed_any = true;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 && !removed_any {
            break;
        }
        chunk = if chunk == 1 { 1 } else { chunk / 2 };
        if chunk == 1 && !removed_any && best.events.len() > 400 {
            break;
        }
    }
    (best, best_violation)
}
