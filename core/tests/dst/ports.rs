//! The simulated browser's parts: a network that routes each request to the simulator it is
//! addressed to (and loses, slows or refuses answers when told to), the person's browser window
//! with its cookies, storage shared by every context (whose writes can be made to fail), one key
//! store, one lock manager, and the two clocks: the providers' true time and the laptop's.

use super::Rng;
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::task::{Context, Poll};
use tokenwatch_core::engine::PortSet;
use tokenwatch_core::ports::{
    Clock, Entropy, Identity, IdentityError, Interaction, Lock, MemoryGuard, MemoryLock,
    MemoryStore, Store, StoreError,
};
use tokenwatch_core::time::Timestamp;
use tokenwatch_core::vault::{SealError, Sealed, Sealer};
use tokenwatch_sim::{MS_SPA_CLIENT_ID, Sim, SimResponse};
use url::Url;

/// The engine's ports in the simulation.
pub type SimPorts =
    PortSet<Net, SharedStore, Browser, LaptopClock, SeededEntropy, SharedSealer, SharedLock>;

/// True time (the providers') and the laptop's offset from it, which jumps.
#[derive(Clone, Debug)]
pub struct Time {
    pub truth: Arc<AtomicI64>,
    pub skew: Rc<Cell<i64>>,
}

impl Time {
    pub fn now(&self) -> i64 {
        self.truth.load(Ordering::SeqCst)
    }
    pub fn set(&self, at: i64) {
        self.truth.store(at, Ordering::SeqCst);
    }
}

/// The laptop's clock: true time plus the skew.
#[derive(Clone, Debug)]
pub struct LaptopClock(pub Time);

impl Clock for LaptopClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.now() + self.0.skew.get())
    }
}

/// Randomness from the seed.
#[derive(Debug)]
pub struct SeededEntropy(pub RefCell<Rng>);

impl Entropy for SeededEntropy {
    fn fill(&self, buf: &mut [u8]) {
        let mut rng = self.0.borrow_mut();
        for b in buf {
            *b = rng.next() as u8;
        }
    }
}

/// A refresh request as the network saw it.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The simulator it went to.
    pub sim: usize,
    /// The refresh token it carried.
    pub refresh_token: String,
    /// The answer's status, `None` when no answer came back.
    pub status: Option<u16>,
    /// The engine got a renewal: a 200 with tokens that reached it (not an HTML page or junk
    /// sent as 200, not an answer lost on the way).
    pub renewed: bool,
}

/// What the network does wrong right now.
#[derive(Debug, Default, Clone)]
pub struct NetFaults {
    /// Chance that a token request is processed but its answer never arrives.
    pub lose_answers: f64,
    /// Chance that a request never arrives.
    pub lose_requests: f64,
    /// Answers take many turns of the event loop (other contexts run meanwhile).
    pub slow: bool,
}

/// Shared state of the network.
pub struct NetState {
    pub sims: Vec<(String, Arc<Sim>)>,
    pub time: Time,
    pub faults: RefCell<NetFaults>,
    pub rng: RefCell<Rng>,
    /// Refresh requests of the current round, in order.
    pub round: RefCell<Vec<Sent>>,
    /// Refresh token → (true time before which no request may carry it, the sim).
    pub retry_after: RefCell<HashMap<String, i64>>,
    /// Invariant violations the network saw.
    pub violations: RefCell<Vec<String>>,
    /// Requests sent, by kind.
    pub requests: Cell<u64>,
    pub refreshes: Cell<u64>,
    /// Token answers processed by a simulator and lost on the way back, per simulator.
    pub lost_after_processing: RefCell<Vec<u32>>,
    /// `TOKENWATCH_SIMULATE_TRACE_SIM`: a simulator whose every refresh is printed.
    pub trace_sim: Option<usize>,
}

/// The engine's HTTP client over [`NetState`].
#[derive(Clone)]
pub struct Net(pub Rc<NetState>);

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Net")
    }
}

impl NetState {
    /// The simulator serving `url`'s origin.
    pub fn route(&self, url: &str) -> Option<usize> {
        let parsed = Url::parse(url).ok()?;
        let origin = parsed.origin().ascii_serialization();
        self.sims.iter().position(|(base, _)| *base == origin)
    }
}

/// Answers after `turns` polls, so concurrent callers interleave as over a network.
pub struct Later<T> {
    value: Option<T>,
    turns: u32,
}

impl<T: Unpin> Future for Later<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if self.turns == 0 {
            Poll::Ready(self.value.take().expect("polled after completion"))
        } else {
            self.turns -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// One line of `TOKENWATCH_SIMULATE_TRACE_SIM`: when, which token (its tail), what became of it.
fn trace_refresh(now: i64, token: &str, what: &str) {
    eprintln!(
        "t {:.4} refresh …{} -> {what}",
        (now - super::T0) as f64 / super::DAY as f64,
        &token[token.len().saturating_sub(6)..],
    );
}

fn form_value(body: &[u8], key: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

impl<'c> AsyncHttpClient<'c> for Net {
    type Error = std::io::Error;
    type Future = Later<Result<HttpResponse, std::io::Error>>;
    fn call(&'c self, mut request: HttpRequest) -> Self::Future {
        let net = &self.0;
        net.requests.set(net.requests.get() + 1);
        let faults = net.faults.borrow().clone();
        let turns = if faults.slow {
            1 + net.rng.borrow_mut().below(40) as u32
        } else {
            1
        };
        let later = |value| Later {
            value: Some(value),
            turns,
        };
        let Some(sim) = net.route(&request.uri().to_string()) else {
            return later(Err(std::io::Error::other("no such host")));
        };
        // The extension sends `Origin` on token requests of a single-page-app registration
        // and strips it for a public client (its declarativeNetRequest rule).
        if request.method() == http::Method::POST
            && form_value(request.body(), "client_id").as_deref() == Some(MS_SPA_CLIENT_ID)
        {
            request.headers_mut().insert(
                http::header::ORIGIN,
                "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
                    .parse()
                    .unwrap(),
            );
        }
        let token_request = request.uri().path().ends_with("/token");
        let refresh_token = (token_request
            && form_value(request.body(), "grant_type").as_deref() == Some("refresh_token"))
        .then(|| form_value(request.body(), "refresh_token"))
        .flatten();
        let now = net.time.now();
        if let Some(token) = &refresh_token {
            net.refreshes.set(net.refreshes.get() + 1);
            if let Some(not_before) = net.retry_after.borrow().get(token)
                && now < *not_before
            {
                net.violations.borrow_mut().push(format!(
                    "a refresh was sent {} s before the Retry-After the provider gave",
                    (*not_before - now) / 1000
                ));
            }
        }
        if net.rng.borrow_mut().chance(faults.lose_requests) {
            if let Some(token) = refresh_token {
                if net.trace_sim == Some(sim) {
                    trace_refresh(now, &token, "LOST before it reached the provider");
                }
                net.round.borrow_mut().push(Sent {
                    sim,
                    refresh_token: token,
                    status: None,
                    renewed: false,
                });
            }
            return later(Err(std::io::Error::other("the connection was reset")));
        }
        let traced = (net.trace_sim == Some(sim)).then(|| request.body().clone());
        let answer: SimResponse = net.sims[sim].1.handle(request);
        let lost = token_request && net.rng.borrow_mut().chance(faults.lose_answers);
        if let Some(token) = refresh_token {
            // A lost answer's `Retry-After` never reached the engine.
            if answer.status() == 429
                && !lost
                && let Some(secs) = answer
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<f64>().ok())
            {
                net.retry_after
                    .borrow_mut()
                    .insert(token.clone(), now + (secs * 1000.0).ceil() as i64);
            }
            net.round.borrow_mut().push(Sent {
                sim,
                refresh_token: token,
                status: (!lost).then(|| answer.status().as_u16()),
                renewed: !lost
                    && answer.status() == 200
                    && serde_json::from_slice::<serde_json::Value>(answer.body())
                        .is_ok_and(|v| v.get("access_token").is_some()),
            });
        }
        if let Some(token) = traced.and_then(|body| form_value(&body, "refresh_token")) {
            let what = format!("{} {}", answer.status(), if lost { "LOST" } else { "" });
            trace_refresh(now, &token, &what);
        }
        if lost {
            net.lost_after_processing.borrow_mut()[sim] += 1;
            return later(Err(std::io::Error::other("the connection was reset")));
        }
        later(Ok(answer))
    }
}

/// Storage every context shares (`chrome.storage.local`); writes fail while `fail_writes` > 0.
#[derive(Default)]
pub struct StoreState {
    pub inner: MemoryStore,
    pub fail_writes: Cell<u32>,
    pub failed_writes: Cell<u64>,
}

#[derive(Clone, Default)]
pub struct SharedStore(pub Rc<StoreState>);

impl std::fmt::Debug for SharedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedStore")
    }
}

impl SharedStore {
    fn refuse(&self) -> Result<(), StoreError> {
        let left = self.0.fail_writes.get();
        if left > 0 {
            self.0.fail_writes.set(left - 1);
            self.0.failed_writes.set(self.0.failed_writes.get() + 1);
            return Err(StoreError::Backend("QuotaExceededError (simulated)".into()));
        }
        Ok(())
    }
}

impl Store for SharedStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.inner.get(key).await
    }
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        self.refuse()?;
        self.0.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.refuse()?;
        self.0.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.0.inner.list(prefix).await
    }
}

/// A sealer for the simulation, as fast as the simulation needs: a keystream from SplitMix64
/// and a 128-bit tag from two SipHash runs. Like [`tokenwatch_core::testing::TestSealer`] it
/// refuses every altered, moved or foreign record and forgets its keys on demand, but it is
/// NOT a cipher: the SHA-256 test sealer took half of a simulated year's time.
#[derive(Debug, Default)]
pub struct QuickSealer {
    keys: RefCell<HashMap<String, u64>>,
    current: RefCell<Option<String>>,
    counter: Cell<u64>,
}

impl QuickSealer {
    /// Forgets every key, as clearing the browser's key store would.
    pub fn lose_keys(&self) {
        self.keys.borrow_mut().clear();
        *self.current.borrow_mut() = None;
    }

    fn xor(key: u64, nonce: &[u8], data: &[u8]) -> Vec<u8> {
        let mut seed = key;
        for b in nonce {
            seed = seed.rotate_left(8) ^ u64::from(*b);
        }
        let mut stream = Rng::new(seed);
        let mut out = Vec::with_capacity(data.len());
        for chunk in data.chunks(8) {
            let k = stream.next().to_le_bytes();
            out.extend(chunk.iter().zip(k).map(|(d, k)| d ^ k));
        }
        out
    }

    fn tag(key: u64, nonce: &[u8], aad: &[u8], ct: &[u8]) -> [u8; 16] {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (salt, key, nonce, aad, ct).hash(&mut h);
            h.finish().to_le_bytes()
        };
        let mut tag = [0u8; 16];
        tag[..8].copy_from_slice(&half(1));
        tag[8..].copy_from_slice(&half(2));
        tag
    }
}

impl Sealer for QuickSealer {
    async fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
        self.counter.set(self.counter.get() + 1);
        let n = self.counter.get();
        let existing = self.current.borrow().clone();
        let kid = existing.unwrap_or_else(|| {
            let kid = format!("q{n}");
            self.keys
                .borrow_mut()
                .insert(kid.clone(), n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            *self.current.borrow_mut() = Some(kid.clone());
            kid
        });
        let key = self.keys.borrow()[&kid];
        let nonce = n.to_be_bytes()[..].repeat(2)[..12].to_vec();
        let mut ciphertext = Self::xor(key, &nonce, plaintext);
        let tag = Self::tag(key, &nonce, aad, &ciphertext);
        ciphertext.extend_from_slice(&tag);
        Ok(Sealed {
            kid,
            nonce,
            ciphertext,
        })
    }

    async fn open(
        &self,
        kid: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let key = *self.keys.borrow().get(kid).ok_or(SealError::KeyMissing)?;
        if ciphertext.len() < 16 {
            return Err(SealError::Rejected);
        }
        let (ct, tag) = ciphertext.split_at(ciphertext.len() - 16);
        if Self::tag(key, nonce, aad, ct)[..] != *tag {
            return Err(SealError::Rejected);
        }
        Ok(Self::xor(key, nonce, ct))
    }
}

/// One key store for every context.
#[derive(Clone, Debug, Default)]
pub struct SharedSealer(pub Rc<QuickSealer>);

impl Sealer for SharedSealer {
    async fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
        self.0.seal(aad, plaintext).await
    }
    async fn open(
        &self,
        kid: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        self.0.open(kid, nonce, aad, ciphertext).await
    }
}

/// One lock manager (`navigator.locks`) for every context.
#[derive(Clone, Debug, Default)]
pub struct SharedLock(pub Rc<MemoryLock>);

impl Lock for SharedLock {
    type Guard<'a> = MemoryGuard<'a>;
    async fn acquire<'a>(&'a self, name: &str) -> MemoryGuard<'a> {
        self.0.acquire(name).await
    }
}

/// The person's browser: the sign-in window, its cookies per provider, and who the person
/// signs in as.
pub struct BrowserState {
    pub net: Rc<NetState>,
    pub cookies: RefCell<HashMap<usize, Vec<(String, String)>>>,
    /// Username and password the person types, when they are at the keyboard.
    pub person: RefCell<Option<(String, String)>>,
    pub interactive: Cell<u64>,
    pub silent: Cell<u64>,
}

#[derive(Clone)]
pub struct Browser(pub Rc<BrowserState>);

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Browser")
    }
}

impl BrowserState {
    fn send(&self, sim: usize, mut request: http::Request<Vec<u8>>) -> SimResponse {
        let jar: Vec<String> = self
            .cookies
            .borrow()
            .get(&sim)
            .map(|c| c.iter().map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default();
        if !jar.is_empty() {
            request
                .headers_mut()
                .insert(http::header::COOKIE, jar.join("; ").parse().unwrap());
        }
        let response = self.net.sims[sim].1.handle(request);
        for set in response.headers().get_all(http::header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            let mut all = self.cookies.borrow_mut();
            let jar = all.entry(sim).or_default();
            jar.retain(|(name, _)| name != k);
            jar.push((k.to_owned(), v.to_owned()));
        }
        response
    }

    fn post_form(&self, sim: usize, url: &Url, extra: &[(&str, &str)]) -> SimResponse {
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
        self.send(sim, post)
    }
}

fn location(r: &SimResponse) -> Option<Url> {
    r.headers()
        .get(http::header::LOCATION)
        .and_then(|l| Url::parse(l.to_str().ok()?).ok())
}

impl Identity for Browser {
    async fn authorize(&self, url: &Url, interaction: Interaction) -> Result<Url, IdentityError> {
        let b = &self.0;
        let silent = interaction == Interaction::Silent;
        if silent {
            b.silent.set(b.silent.get() + 1);
        } else {
            b.interactive.set(b.interactive.get() + 1);
        }
        let person = b.person.borrow().clone();
        // Nobody at the keyboard: an interactive window stays open until it is closed.
        if !silent && person.is_none() {
            return Err(IdentityError::Cancelled);
        }
        let Some(sim) = b.net.route(url.as_str()) else {
            return Err(IdentityError::Unavailable("no such host".into()));
        };
        if b.net.faults.borrow().lose_requests > 0.0 && b.net.rng.borrow_mut().chance(0.5) {
            return Err(IdentityError::Unavailable(
                "net::ERR_CONNECTION_RESET".into(),
            ));
        }
        let redirect_uri = url
            .query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let done = |r: &SimResponse| -> Option<Result<Url, IdentityError>> {
            let to = location(r)?;
            Some(if to.as_str().starts_with(&redirect_uri) {
                Ok(to)
            } else if silent {
                Err(IdentityError::InteractionRequired)
            } else {
                Err(IdentityError::Cancelled)
            })
        };
        let form = b.send(
            sim,
            http::Request::get(url.as_str()).body(Vec::new()).unwrap(),
        );
        if let Some(end) = done(&form) {
            return end;
        }
        if form.status() != 200 {
            return Err(IdentityError::Unavailable(format!(
                "HTTP {}",
                form.status()
            )));
        }
        if silent {
            return Err(IdentityError::InteractionRequired);
        }
        let (username, password) = person.expect("checked above");
        let is_consent =
            |r: &SimResponse| String::from_utf8_lossy(r.body()).contains(r#"name="consent""#);
        let mut answer = form;
        if !is_consent(&answer) {
            answer = b.post_form(sim, url, &[("username", &username), ("pw", &password)]);
        }
        if is_consent(&answer) {
            answer = b.post_form(sim, url, &[("consent", "accept")]);
        }
        done(&answer).unwrap_or(Err(IdentityError::Cancelled))
    }
}
