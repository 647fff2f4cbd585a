//! Serves a [`Sim`] over HTTP on 127.0.0.1 only.

use crate::Sim;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

/// Request bodies above this are refused; no simulated endpoint takes more.
const MAX_BODY: u64 = 1 << 20;

/// A running server; dropping it stops it.
pub struct Running {
    addr: SocketAddr,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
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
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Binds 127.0.0.1:`port` (0 picks a free port), points the simulator's base URL at it and
/// answers requests on a background thread.
pub fn serve(sim: Arc<Sim>, port: u16) -> std::io::Result<Running> {
    let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(std::io::Error::other)?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
    sim.set_base_url(&format!("http://{addr}"));
    let server = Arc::new(server);
    let worker = Arc::clone(&server);
    let thread = std::thread::spawn(move || {
        for rq in worker.incoming_requests() {
            answer(&sim, rq);
        }
    });
    Ok(Running {
        addr,
        server,
        thread: Some(thread),
    })
}

fn answer(sim: &Sim, mut rq: tiny_http::Request) {
    let mut body = Vec::new();
    let too_big = rq.body_length().is_some_and(|n| n as u64 > MAX_BODY)
        || rq
            .as_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
            .is_err()
        || body.len() as u64 > MAX_BODY;
    let response = if too_big {
        crate::text(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        )
    } else {
        let mut builder = http::Request::builder()
            .method(rq.method().as_str())
            .uri(rq.url());
        for h in rq.headers() {
            builder = builder.header(h.field.as_str().as_str(), h.value.as_str());
        }
        // A slow token endpoint (over HTTP only: in-process tests run on a virtual clock).
        let delay = sim
            .state()
            .faults
            .token_delay_ms
            .filter(|_| rq.url().contains("/token"));
        if let Some(ms) = delay {
            std::thread::sleep(std::time::Duration::from_millis(ms.min(30_000)));
        }
        match builder.body(body) {
            Ok(req) => sim.handle(req),
            Err(_) => crate::text(http::StatusCode::BAD_REQUEST, "malformed request"),
        }
    };
    let (parts, body) = response.into_parts();
    let mut out = tiny_http::Response::from_data(body).with_status_code(parts.status.as_u16());
    for (name, value) in &parts.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_str().as_bytes(), value.as_bytes()) {
            out.add_header(h);
        }
    }
    let _ = rq.respond(out);
}
