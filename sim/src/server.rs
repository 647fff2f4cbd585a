//! Serves a [`Sim`] over HTTP/1.1 on 127.0.0.1 only.
//!
//! One thread per connection, started as the connection is accepted. The simulator used to sit
//! behind `tiny_http` 0.12, whose thread pool hands a new connection to a thread it counts as
//! idle; when two connections arrive before that thread wakes, the second waits in a queue
//! until some thread is free, and every thread was blocked reading a keep-alive connection that
//! Chromium keeps open for minutes. That was the benchmark's hang of fifty checks at once
//! (issue 27: 48 of 50 answered, the two others' requests unread in their sockets, Recv-Q 49).
//! A loopback test server needs no pool: a thread per connection cannot leave one unserved.
//!
//! Persistent connections per RFC 9112 §9.3 (HTTP/1.1 keeps the connection unless `close`;
//! HTTP/1.0 closes unless `keep-alive`); a body by `Content-Length` or chunked (§6, §7.1),
//! both at once refused (§6.1); `Expect: 100-continue` answered (RFC 9110 §10.1.1). Anything
//! malformed is answered 400 and the connection closed: where the next request starts is
//! unknown then.

use crate::Sim;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Request bodies above this are refused; no simulated endpoint takes more.
const MAX_BODY: usize = 1 << 20;
/// A request line and its headers above this are refused.
const MAX_HEAD: usize = 64 << 10;
/// A connection with no new request for this long is closed (Chromium keeps idle sockets for
/// up to five minutes; a thread need not wait with it).
const IDLE: Duration = Duration::from_secs(60);

/// A running server; dropping it stops it and closes every connection it holds.
pub struct Running {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// What the accepting thread and the connection threads share with [`Running`].
struct Shared {
    stopping: AtomicBool,
    /// Every open connection (a clone of its stream), so a stop can close them.
    open: Mutex<Vec<(u64, TcpStream)>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Running {
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The accepting thread wakes for one more connection, sees the flag and ends.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        for (_, stream) in lock(&self.shared.open).drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let threads: Vec<_> = lock(&self.shared.threads).drain(..).collect();
        for t in threads {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Binds 127.0.0.1:`port` (0 picks a free port), points the simulator's base URL at it and
/// answers each connection on a thread of its own.
pub fn serve(sim: Arc<Sim>, port: u16) -> std::io::Result<Running> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    let addr = listener.local_addr()?;
    sim.set_base_url(&format!("http://{addr}"));
    let shared = Arc::new(Shared {
        stopping: AtomicBool::new(false),
        open: Mutex::default(),
        threads: Mutex::default(),
    });
    let accepting = Arc::clone(&shared);
    let accept = std::thread::Builder::new()
        .name("sim-accept".into())
        .spawn(move || accept_loop(&listener, &sim, &accepting))?;
    Ok(Running {
        addr,
        shared,
        accept: Some(accept),
    })
}

fn accept_loop(listener: &TcpListener, sim: &Arc<Sim>, shared: &Arc<Shared>) {
    for (n, stream) in (0u64..).zip(listener.incoming()) {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(kept) = stream.try_clone() else {
            continue;
        };
        lock(&shared.open).push((n, kept));
        let (sim, done) = (Arc::clone(sim), Arc::clone(shared));
        let spawned = std::thread::Builder::new()
            .name("sim-connection".into())
            .spawn(move || {
                connection(&sim, stream);
                lock(&done.open).retain(|(id, _)| *id != n);
            });
        let mut threads = lock(&shared.threads);
        // Finished threads are let go, so a long demo does not collect handles.
        threads.retain(|t| !t.is_finished());
        match spawned {
            Ok(t) => threads.push(t),
            Err(_) => lock(&shared.open).retain(|(id, _)| *id != n),
        }
    }
}

/// Answers the requests of one connection in order until it closes, idles out or sends
/// something malformed.
fn connection(sim: &Sim, stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let Ok(mut out) = stream.try_clone() else {
        return;
    };
    let mut input = BufReader::new(stream);
    loop {
        let (response, keep) = match read_request(&mut input, &mut out) {
            Ok(Some(request)) => (
                answer(sim, request.request),
                Framing {
                    keep_alive: request.keep_alive,
                    head: request.head,
                },
            ),
            Ok(None) => return,
            Err(refusal) => (refusal.response(), Framing::CLOSE),
        };
        if write_response(&mut out, &response, keep).is_err() || !keep.keep_alive {
            let _ = out.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// How an answer is sent: whether the connection stays open after it, and whether it is the
/// answer to HEAD (RFC 9110 §9.3.2: the GET answer's headers, no body).
#[derive(Clone, Copy)]
struct Framing {
    keep_alive: bool,
    head: bool,
}

impl Framing {
    const CLOSE: Framing = Framing {
        keep_alive: false,
        head: false,
    };
}

/// A request as read off the wire.
struct Incoming {
    request: crate::SimRequest,
    keep_alive: bool,
    head: bool,
}

/// Why a request was refused before the simulator saw it.
#[derive(Debug)]
enum Refusal {
    Malformed(&'static str),
    TooLarge,
    HeadTooLarge,
    Unsupported(&'static str),
}

impl Refusal {
    fn response(&self) -> crate::SimResponse {
        use http::StatusCode;
        match self {
            Refusal::Malformed(why) => crate::text(StatusCode::BAD_REQUEST, why),
            Refusal::TooLarge => {
                crate::text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
            }
            Refusal::HeadTooLarge => crate::text(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "request head too large",
            ),
            Refusal::Unsupported(why) => crate::text(StatusCode::NOT_IMPLEMENTED, why),
        }
    }
}

/// Reads one request; `Ok(None)` when the client closed (or idled out) between requests.
fn read_request(
    input: &mut BufReader<TcpStream>,
    out: &mut TcpStream,
) -> Result<Option<Incoming>, Refusal> {
    let mut head = Vec::new();
    loop {
        let before = head.len();
        let read = input
            .by_ref()
            .take((MAX_HEAD + 1 - head.len()) as u64)
            .read_until(b'\n', &mut head);
        match read {
            Ok(0) if head.is_empty() => return Ok(None),
            Ok(0) => return Err(Refusal::Malformed("the request ended inside its head")),
            Ok(_) => {}
            Err(_) if head.is_empty() => return Ok(None),
            Err(_) => return Err(Refusal::Malformed("the request ended inside its head")),
        }
        if head.len() > MAX_HEAD {
            return Err(Refusal::HeadTooLarge);
        }
        let line = &head[before..];
        // RFC 9112 §2.2: empty lines before the request line are ignored.
        if before == 0 && (line == b"\r\n" || line == b"\n") {
            head.clear();
            continue;
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    let head = std::str::from_utf8(&head)
        .map_err(|_| Refusal::Malformed("the request head is not text"))?;
    let mut lines = head.lines();
    let start = lines.next().unwrap_or_default();
    let mut parts = start.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed("malformed request line"));
    };
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => {
            return Err(Refusal::Unsupported(
                "only HTTP/1.0 and HTTP/1.1 are served",
            ));
        }
    };
    let mut builder = http::Request::builder().method(method).uri(target);
    let (mut length, mut chunked, mut connection, mut expect) = (None, false, None, false);
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            // RFC 9112 §5.1, §5.2: no space before the colon, no obsolete line folding.
            .filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
            .ok_or(Refusal::Malformed("malformed header line"))?;
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value
                    .parse()
                    .map_err(|_| Refusal::Malformed("malformed Content-Length"))?;
                if length.is_some_and(|m| m != n) {
                    return Err(Refusal::Malformed("two different Content-Length values"));
                }
                length = Some(n);
            }
            "transfer-encoding" => {
                if !value.eq_ignore_ascii_case("chunked") {
                    return Err(Refusal::Unsupported(
                        "only chunked transfer coding is served",
                    ));
                }
                chunked = true;
            }
            "connection" => connection = Some(value.to_ascii_lowercase()),
            "expect" if value.eq_ignore_ascii_case("100-continue") => expect = true,
            _ => {}
        }
        builder = builder.header(name, value);
    }
    if chunked && length.is_some() {
        return Err(Refusal::Malformed(
            "both Content-Length and Transfer-Encoding",
        ));
    }
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(Refusal::TooLarge);
    }
    if expect && (chunked || length.is_some_and(|n| n > 0)) {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .map_err(|_| Refusal::Malformed("the connection closed"))?;
    }
    let body = if chunked {
        read_chunked(input)?
    } else {
        let mut body = vec![0; length.unwrap_or(0)];
        input
            .read_exact(&mut body)
            .map_err(|_| Refusal::Malformed("the body is shorter than its Content-Length"))?;
        body
    };
    let keep_alive = match connection.as_deref() {
        Some(c) if c.split(',').any(|t| t.trim() == "close") => false,
        Some(c) if http10 => c.split(',').any(|t| t.trim() == "keep-alive"),
        _ => !http10,
    };
    let request = builder
        .body(body)
        .map_err(|_| Refusal::Malformed("malformed request"))?;
    Ok(Some(Incoming {
        head: request.method() == http::Method::HEAD,
        request,
        keep_alive,
    }))
}

/// A chunked body (RFC 9112 §7.1), its extensions and trailers read and dropped.
fn read_chunked(input: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Refusal> {
    let mut body = Vec::new();
    let mut line = String::new();
    let read_line = |input: &mut BufReader<TcpStream>, line: &mut String| {
        line.clear();
        match input.by_ref().take(4096).read_line(line) {
            Ok(n) if n > 0 && line.ends_with('\n') => Ok(()),
            _ => Err(Refusal::Malformed("malformed chunked body")),
        }
    };
    loop {
        read_line(input, &mut line)?;
        let size = line.trim_end().split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| Refusal::Malformed("malformed chunk size"))?;
        if size == 0 {
            break;
        }
        if body.len() + size > MAX_BODY {
            return Err(Refusal::TooLarge);
        }
        let start = body.len();
        body.resize(start + size, 0);
        input
            .read_exact(&mut body[start..])
            .map_err(|_| Refusal::Malformed("a chunk is shorter than its size"))?;
        read_line(input, &mut line)?;
        if line.trim_end() != "" {
            return Err(Refusal::Malformed(
                "a chunk does not end where its size says",
            ));
        }
    }
    // Trailer fields, up to the empty line.
    loop {
        read_line(input, &mut line)?;
        if line.trim_end().is_empty() {
            return Ok(body);
        }
    }
}

/// The simulator's answer to `request`, after the fault of a slow token endpoint where one is
/// set (over HTTP only: in-process tests run on a virtual clock). Only this connection waits.
fn answer(sim: &Sim, request: crate::SimRequest) -> crate::SimResponse {
    let delay = sim
        .state()
        .faults
        .token_delay_ms
        .filter(|_| request.uri().path().contains("/token"));
    if let Some(ms) = delay {
        std::thread::sleep(Duration::from_millis(ms.min(30_000)));
    }
    sim.handle(request)
}

fn write_response(
    out: &mut TcpStream,
    response: &crate::SimResponse,
    framing: Framing,
) -> std::io::Result<()> {
    let status = response.status();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Status")
    );
    for (name, value) in response.headers() {
        // Framing is this server's to say.
        if matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            continue;
        }
        if let Ok(value) = value.to_str() {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("content-length: {}\r\n", response.body().len()));
    if !framing.keep_alive {
        head.push_str("connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    if !framing.head {
        bytes.extend_from_slice(response.body());
    }
    out.write_all(&bytes)?;
    out.flush()
}
