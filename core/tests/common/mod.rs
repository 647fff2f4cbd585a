//! Test ports: the engine against the in-process simulator on a virtual clock.
#![allow(dead_code)]

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};
use tokenwatch_core::SalesforceApp;
use tokenwatch_core::engine::{Engine, PortSet};
use tokenwatch_core::microsoft::{Authority, MicrosoftApp, Registration, Resource, Tenant};
use tokenwatch_core::ports::{
    Clock, Identity, IdentityError, Interaction, Lock, MemoryLock, MemoryStore,
};
use tokenwatch_core::testing::{CountingEntropy, TestSealer};
use tokenwatch_core::time::Timestamp;
use tokenwatch_sim::{Config, Sim};
use url::Url;

pub const CLIENT_ID: &str = "tokenwatch-test";
pub const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce";
pub const SIM_URL: &str = "http://127.0.0.1:17300";
pub const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// One clock read by both the engine and the simulator.
#[derive(Clone, Debug)]
pub struct SharedClock(pub Arc<AtomicI64>);

impl SharedClock {
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for SharedClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

/// HTTP straight into the simulator, recording every request. Like a service worker's fetch,
/// it sends `Origin` on POSTs when `origin` is set (the extension's origin); `None` stands for
/// the extension's rule that strips it from token requests (public-client registrations).
#[derive(Debug)]
pub struct SimHttp {
    pub sim: Arc<Sim>,
    pub log: RefCell<Vec<(String, String)>>,
    pub origin: RefCell<Option<String>>,
    /// The next token request reaches the provider, which answers, but the answer is lost
    /// (the browser stopped the worker, the connection dropped).
    pub lose_next_token_answer: std::cell::Cell<bool>,
}

/// Answers on the second poll, so concurrent callers interleave as they would over a network.
#[derive(Debug)]
pub struct YieldOnce<T> {
    value: Option<T>,
    yielded: bool,
}

impl<T: Unpin> Future for YieldOnce<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.yielded {
            Poll::Ready(self.value.take().expect("polled after completion"))
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn ready<T>(value: T) -> YieldOnce<T> {
    YieldOnce {
        value: Some(value),
        yielded: false,
    }
}

impl<'c> AsyncHttpClient<'c> for SimHttp {
    type Error = std::io::Error;
    type Future = YieldOnce<Result<HttpResponse, std::io::Error>>;
    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        self.log.borrow_mut().push((
            request.uri().to_string(),
            String::from_utf8_lossy(request.body()).into_owned(),
        ));
        if let (true, Some(origin)) = (
            request.method() == http::Method::POST,
            self.origin.borrow().as_deref(),
        ) {
            request
                .headers_mut()
                .insert(http::header::ORIGIN, origin.parse().unwrap());
        }
        let token = request.uri().path().ends_with("/token");
        let answer = self.sim.handle(request);
        if token && self.lose_next_token_answer.replace(false) {
            return ready(Err(std::io::Error::other("the connection was reset")));
        }
        ready(Ok(answer))
    }
}

/// The person at the simulator's login form, in a browser that keeps the provider's cookies
/// (the Microsoft session that lets `prompt=none` answer without a window).
#[derive(Debug)]
pub struct SimLogin {
    pub sim: Arc<Sim>,
    pub username: RefCell<String>,
    pub password: RefCell<String>,
    pub opened: RefCell<Vec<Url>>,
    /// Which of `opened` were silent.
    pub silent: RefCell<Vec<bool>>,
    pub cookies: RefCell<Vec<(String, String)>>,
    /// Pages the provider left the window on instead of calling back (its error pages).
    pub shown: RefCell<Vec<Url>>,
}

impl SimLogin {
    fn send(&self, mut request: http::Request<Vec<u8>>) -> tokenwatch_sim::SimResponse {
        let jar: Vec<String> = self
            .cookies
            .borrow()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !jar.is_empty() {
            request
                .headers_mut()
                .insert(http::header::COOKIE, jar.join("; ").parse().unwrap());
        }
        let response = self.sim.handle(request);
        for set in response.headers().get_all(http::header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.borrow_mut();
            jar.retain(|(name, _)| name != k);
            jar.push((k.to_owned(), v.to_owned()));
        }
        response
    }

    fn post_form(&self, url: &Url, extra: &[(&str, &str)]) -> tokenwatch_sim::SimResponse {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url.query_pairs() {
            body.append_pair(&k, &v);
        }
        for (k, v) in extra {
            body.append_pair(k, v);
        }
        let post = http::Request::post(url.as_str().split('?').next().unwrap())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.finish().into_bytes())
            .unwrap();
        self.send(post)
    }
}

fn location(r: &tokenwatch_sim::SimResponse) -> Option<Url> {
    r.headers()
        .get(http::header::LOCATION)
        .map(|l| Url::parse(l.to_str().unwrap()).unwrap())
}

impl Identity for SimLogin {
    async fn authorize(&self, url: &Url, interaction: Interaction) -> Result<Url, IdentityError> {
        self.opened.borrow_mut().push(url.clone());
        self.silent
            .borrow_mut()
            .push(interaction == Interaction::Silent);
        // Like launchWebAuthFlow, the window completes only when the provider sends it to the
        // redirect URI; any other redirect (Salesforce's own error page) is shown and waits for
        // the person, who closes it.
        let redirect_uri = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let done = |r: &tokenwatch_sim::SimResponse| -> Option<Result<Url, IdentityError>> {
            let to = location(r)?;
            Some(if to.as_str().starts_with(&redirect_uri) {
                Ok(to)
            } else if interaction == Interaction::Silent {
                Err(IdentityError::InteractionRequired)
            } else {
                self.shown.borrow_mut().push(to);
                Err(IdentityError::Cancelled)
            })
        };
        let get = http::Request::get(url.as_str()).body(Vec::new()).unwrap();
        let form = self.send(get);
        if let Some(end) = done(&form) {
            return end;
        }
        if form.status() != 200 {
            return Err(IdentityError::Unavailable(format!(
                "HTTP {}",
                form.status()
            )));
        }
        // A page instead of a redirect: a silent flow fails as Chrome's does.
        if interaction == Interaction::Silent {
            return Err(IdentityError::InteractionRequired);
        }
        let is_consent = |r: &tokenwatch_sim::SimResponse| {
            String::from_utf8_lossy(r.body()).contains(r#"name="consent""#)
        };
        let mut answer = form;
        if !is_consent(&answer) {
            let username = self.username.borrow().clone();
            let password = self.password.borrow().clone();
            answer = self.post_form(url, &[("username", &username), ("pw", &password)]);
        }
        if is_consent(&answer) {
            answer = self.post_form(url, &[("consent", "accept")]);
        }
        // The form came back with "check your username and password": the person gives up
        // and closes the window.
        done(&answer).unwrap_or(Err(IdentityError::Cancelled))
    }
}

/// The engine's ports in the native tests: the simulator in-process, memory storage, the
/// person at the simulator's form, one clock for the engine and the simulator.
pub type TestPorts =
    PortSet<SimHttp, MemoryStore, SimLogin, SharedClock, CountingEntropy, TestSealer, TestLock>;

/// The engine's lock, or none at all (to show what the lock prevents).
#[derive(Debug)]
pub enum TestLock {
    Memory(MemoryLock),
    None,
}

impl Default for TestLock {
    fn default() -> Self {
        TestLock::Memory(MemoryLock::default())
    }
}

impl Lock for TestLock {
    type Guard<'a> = Option<tokenwatch_core::ports::MemoryGuard<'a>>;
    async fn acquire<'a>(&'a self, name: &str) -> Self::Guard<'a> {
        match self {
            TestLock::Memory(lock) => Some(lock.acquire(name).await),
            TestLock::None => None,
        }
    }
}

pub struct World {
    pub sim: Arc<Sim>,
    pub clock: SharedClock,
    pub engine: Engine<TestPorts>,
}

pub fn world() -> World {
    world_with(TestLock::default())
}

pub const MS_REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/microsoft";
pub const EXTENSION_ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

/// A world whose engine also connects Microsoft accounts through the simulator's app
/// registered as `registration`, sending `Origin` as the extension would for it.
pub fn world_ms(registration: Registration) -> World {
    let w = world();
    let client_id = match registration {
        Registration::Spa => tokenwatch_sim::MS_SPA_CLIENT_ID,
        Registration::PublicClient => tokenwatch_sim::MS_PUBLIC_CLIENT_ID,
    };
    let app = MicrosoftApp {
        client_id: client_id.into(),
        authority: Authority {
            host: tokenwatch_core::host::HttpsOrigin::parse(SIM_URL).unwrap(),
            tenant: Tenant::Organizations,
        },
        registration,
        resource: Resource::Graph,
        cloud: None,
        ews_url: Url::parse("http://127.0.0.1:17300/EWS/Exchange.asmx").unwrap(),
        redirect: Url::parse(MS_REDIRECT).unwrap(),
    };
    *w.engine.ports().http.origin.borrow_mut() =
        (registration == Registration::Spa).then(|| EXTENSION_ORIGIN.to_owned());
    World {
        sim: w.sim,
        clock: w.clock,
        engine: w.engine.with_microsoft(Some(app)),
    }
}

pub fn world_with(lock: TestLock) -> World {
    world_from(lock, |_| {}, |_| {})
}

/// A world whose simulator configuration and Salesforce app are first edited by the test.
pub fn world_from(
    lock: TestLock,
    config: impl FnOnce(&mut Config),
    salesforce: impl FnOnce(&mut SalesforceApp),
) -> World {
    let clock = SharedClock(Arc::new(AtomicI64::new(T0)));
    let sim_clock = clock.0.clone();
    let mut sim_config = Config::demo(CLIENT_ID, vec![REDIRECT.into()]);
    config(&mut sim_config);
    let sim = Arc::new(Sim::new(
        sim_config,
        SIM_URL,
        Arc::new(move || sim_clock.load(Ordering::SeqCst)),
    ));
    let ports = TestPorts {
        http: SimHttp {
            sim: sim.clone(),
            log: RefCell::default(),
            origin: RefCell::default(),
            lose_next_token_answer: Default::default(),
        },
        store: MemoryStore::default(),
        identity: SimLogin {
            sim: sim.clone(),
            username: RefCell::new("ada@acme.example".into()),
            password: RefCell::new("tokenwatch".into()),
            opened: RefCell::default(),
            silent: RefCell::default(),
            cookies: RefCell::default(),
            shown: RefCell::default(),
        },
        clock: clock.clone(),
        entropy: CountingEntropy::default(),
        sealer: TestSealer::default(),
        lock,
    };
    let mut app = SalesforceApp::new(CLIENT_ID.into(), Url::parse(REDIRECT).unwrap());
    salesforce(&mut app);
    World {
        sim,
        clock,
        engine: Engine::new(ports, Some(app)),
    }
}

/// Fresh ports over the same simulator and clock as `ports`, with an empty store.
pub fn fresh_ports(ports: &TestPorts) -> TestPorts {
    {
        TestPorts {
            http: SimHttp {
                sim: ports.http.sim.clone(),
                log: RefCell::default(),
                origin: ports.http.origin.clone(),
                lose_next_token_answer: Default::default(),
            },
            store: MemoryStore::default(),
            identity: SimLogin {
                sim: ports.identity.sim.clone(),
                username: ports.identity.username.clone(),
                password: ports.identity.password.clone(),
                opened: RefCell::default(),
                silent: RefCell::default(),
                cookies: RefCell::default(),
                shown: RefCell::default(),
            },
            clock: ports.clock.clone(),
            entropy: CountingEntropy::default(),
            sealer: TestSealer::default(),
            lock: TestLock::default(),
        }
    }
}

/// The stored connection, opened through the vault.
pub fn stored(w: &World, id: &tokenwatch_core::ConnectionId) -> tokenwatch_core::Connection {
    let ports = w.engine.ports();
    let vault = tokenwatch_core::vault::Vault::new(&ports.store, &ports.sealer);
    match block_on(vault.load(id)).unwrap() {
        Some(tokenwatch_core::vault::Loaded::Ok { conn, .. }) => *conn,
        other => panic!("not readable: {other:?}"),
    }
}

pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}
