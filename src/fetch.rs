//! The one HTTP client: [`oauth2::AsyncHttpClient`] over the global `fetch`, usable from the
//! service worker (no window) and from pages alike.

use crate::js::js_error;
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestCache, RequestCredentials, RequestInit, RequestRedirect, ResponseType};

/// Responses above this are refused before parsing; no provider answer comes close.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// A request not answered in full within this long is given up, and the provider counts as
/// unreachable. `fetch` itself waits for ever on a server that accepts the connection and never
/// answers (a proxy that black-holes it, a stuck load balancer): the check would hang, and a
/// refresh would hold the connection's lock, so every other check of it, in every context,
/// would hang behind it. Thirty seconds is ten times what the providers' token endpoints take
/// on a bad day, and what a person waits for *Check now* at most.
pub const REQUEST_TIMEOUT_MS: u32 = 30_000;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_request_call(request: &web_sys::Request) -> Result<JsValue, JsValue>;
}

async fn fetch_request(request: &web_sys::Request) -> Result<JsValue, JsValue> {
    crate::js::settle(fetch_request_call(request)).await
}

thread_local! {
    /// What every request waits for before it is sent: the worker's network rule for its token
    /// requests (see `background.rs`), set while the rest of the start goes on.
    static SEND_AFTER: std::cell::RefCell<Option<js_sys::Promise>> =
        const { std::cell::RefCell::new(None) };
    /// [`REQUEST_TIMEOUT_MS`], or a test build's shorter one.
    static TIMEOUT_MS: std::cell::Cell<u32> = const { std::cell::Cell::new(REQUEST_TIMEOUT_MS) };
}

/// Test builds only (`config.json` → `test_hooks.request_timeout_ms`): a shorter timeout, so
/// the fault tests need not wait thirty seconds.
#[cfg(feature = "worker")]
pub fn set_timeout_ms(ms: u32) {
    TIMEOUT_MS.with(|t| t.set(ms));
}

/// Requests from now on are sent once `ready` has settled (however it settles).
#[cfg(feature = "worker")]
pub fn send_after(ready: js_sys::Promise) {
    SEND_AFTER.with(|s| *s.borrow_mut() = Some(ready));
}

/// Why a request produced no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The network failed (offline, DNS, refused, CORS).
    #[error("network error: {0}")]
    Network(String),
    /// The server answered with a redirect, which is never followed from a token endpoint.
    #[error("the server answered with a redirect, which is not followed")]
    Redirect,
    /// The response was larger than [`MAX_RESPONSE_BYTES`].
    #[error("the response was too large")]
    TooLarge,
    /// No full answer within the timeout, in seconds ([`REQUEST_TIMEOUT_MS`]).
    #[error("no answer within {0} s")]
    TimedOut(u32),
    /// The request could not be built.
    #[error("invalid request: {0}")]
    Invalid(String),
}

/// `fetch` with `redirect: "manual"`, no cookies and no cache.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchClient;

impl<'c> AsyncHttpClient<'c> for FetchClient {
    type Error = FetchError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, FetchError>> + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(request))
    }
}

async fn send(request: HttpRequest) -> Result<HttpResponse, FetchError> {
    if let Some(ready) = SEND_AFTER.with(|s| s.borrow().clone()) {
        let _ = JsFuture::from(ready).await;
    }
    let init = RequestInit::new();
    init.set_method(request.method().as_str());
    init.set_redirect(RequestRedirect::Manual);
    init.set_credentials(RequestCredentials::Omit);
    init.set_cache(RequestCache::NoStore);
    // The signal covers the body as well as the headers.
    let timeout_ms = TIMEOUT_MS.with(std::cell::Cell::get);
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(timeout_ms)));
    let failed = |e: JsValue| {
        let e = js_error(e);
        if e.name == "TimeoutError" {
            FetchError::TimedOut(timeout_ms.div_ceil(1000))
        } else {
            FetchError::Network(e.to_string())
        }
    };
    let headers =
        web_sys::Headers::new().map_err(|e| FetchError::Invalid(js_error(e).to_string()))?;
    for (name, value) in request.headers() {
        let value = value
            .to_str()
            .map_err(|_| FetchError::Invalid("header value".into()))?;
        headers
            .append(name.as_str(), value)
            .map_err(|e| FetchError::Invalid(js_error(e).to_string()))?;
    }
    init.set_headers(&headers);
    if !request.body().is_empty() {
        let body = js_sys::Uint8Array::from(request.body().as_slice());
        init.set_body(&body);
    }
    let js_request = web_sys::Request::new_with_str_and_init(&request.uri().to_string(), &init)
        .map_err(|e| FetchError::Invalid(js_error(e).to_string()))?;
    let response: web_sys::Response = fetch_request(&js_request)
        .await
        .map_err(failed)?
        .unchecked_into();
    if response.type_() == ResponseType::Opaqueredirect || (300..400).contains(&response.status()) {
        return Err(FetchError::Redirect);
    }
    // Only the headers anything reads: oauth2 checks `Content-Type`, the engine honours
    // `Retry-After`. (Copying them all would link the http crate's whole header-name parser.)
    let mut builder = http::Response::builder().status(response.status());
    for name in [http::header::CONTENT_TYPE, http::header::RETRY_AFTER] {
        if let Some(value) = response.headers().get(name.as_str()).ok().flatten() {
            builder = builder.header(name, value);
        }
    }
    let declared = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|n| n.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_RESPONSE_BYTES) {
        return Err(FetchError::TooLarge);
    }
    let buffer = response
        .array_buffer()
        .map_err(|e| FetchError::Network(js_error(e).to_string()))?;
    let buffer = JsFuture::from(buffer).await.map_err(failed)?;
    let bytes = js_sys::Uint8Array::new(&buffer);
    if bytes.length() as usize > MAX_RESPONSE_BYTES {
        return Err(FetchError::TooLarge);
    }
    builder
        .body(bytes.to_vec())
        .map_err(|e| FetchError::Invalid(e.to_string()))
}
