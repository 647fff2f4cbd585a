//! The conversions between JavaScript and Rust values: errors, and serde types through
//! serde-wasm-bindgen, the one conversion between Rust values and JavaScript values.

use wasm_bindgen::{JsCast, JsValue};

/// A plain JavaScript value from a serde type, as JSON would have it (objects, not `Map`s, as
/// `chrome.*` APIs and messaging need; `None` as `null`). `null` if it cannot be written
/// (nothing here has non-string map keys).
pub fn to_js<T: serde::Serialize + ?Sized>(value: &T) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// A serde type from a JavaScript value; `None` for what does not fit `T`.
pub fn from_js<T: serde::de::DeserializeOwned>(value: &JsValue) -> Option<T> {
    serde_wasm_bindgen::from_value(value.clone()).ok()
}

/// JSON text of a serde type, written by the JavaScript engine's own `JSON.stringify` (for
/// what is stored as text, such as a signed body).
#[cfg(target_arch = "wasm32")]
pub fn to_json_text<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
    js_sys::JSON::stringify(&to_js(value)).ok()?.as_string()
}

/// A serde type from JSON text, read by the JavaScript engine's own `JSON.parse`.
#[cfg(target_arch = "wasm32")]
pub fn from_json_text<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    from_js(&js_sys::JSON::parse(text).ok()?)
}

/// Outside a JavaScript engine (the shell's native tests), the same through serde_json.
#[cfg(not(target_arch = "wasm32"))]
pub fn to_json_text<T: serde::Serialize + ?Sized>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// Outside a JavaScript engine (the shell's native tests), the same through serde_json.
#[cfg(not(target_arch = "wasm32"))]
pub fn from_json_text<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// A failure of a browser API, as the one conversion from a thrown JavaScript value reads it:
/// the `Error`'s name (`QuotaExceededError`, `TypeError`) and message. It never carries a
/// token: no binding passes one into an error (URLs with secrets are never part of a thrown
/// message here). Callers map it to their own error enum.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsError {
    /// The error's name, or the thrown value's type.
    pub name: String,
    /// The error's message, or the thrown string.
    pub message: String,
}

/// The [`JsError`] of a thrown value: its `name` and `message` (an `Error` or a
/// `DOMException`, read as properties so either works), a thrown string, or its type.
pub fn js_error(value: JsValue) -> JsError {
    if let Some(s) = value.as_string() {
        return JsError {
            name: "string".into(),
            message: s,
        };
    }
    let kind = value
        .js_typeof()
        .as_string()
        .unwrap_or_else(|| "unknown".into());
    let property = |key: &str| {
        js_sys::Reflect::get(&value, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    JsError {
        name: property("name").unwrap_or_else(|| kind.clone()),
        message: property("message").unwrap_or(kind),
    }
}

/// What a report names as the browser: `navigator.userAgent` of this page or worker.
pub fn user_agent() -> String {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("navigator"))
        .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("userAgent")))
        .ok()
        .and_then(|ua| ua.as_string())
        .unwrap_or_else(|| "an unknown browser".into())
}

/// "Tokenwatch 0.1.0 on <user agent>", for diagnostic reports.
pub fn about() -> String {
    format!(
        "Tokenwatch {} on {}",
        env!("CARGO_PKG_VERSION"),
        user_agent()
    )
}

/// Both futures, polled together: the browser calls they wait on overlap instead of queueing
/// one after the other.
pub async fn join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut left, mut right) = (None, None);
    std::future::poll_fn(move |cx| {
        if left.is_none() {
            if let Poll::Ready(value) = a.as_mut().poll(cx) {
                left = Some(value);
            }
        }
        if right.is_none() {
            if let Poll::Ready(value) = b.as_mut().poll(cx) {
                right = Some(value);
            }
        }
        match (left.take(), right.take()) {
            (Some(l), Some(r)) => Poll::Ready((l, r)),
            (l, r) => {
                (left, right) = (l, r);
                Poll::Pending
            }
        }
    })
    .await
}

/// Resolves after `ms` milliseconds (`setTimeout` on the global object: a page or a worker).
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(ms));
            }
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A promise and the function that resolves it.
pub fn deferred() -> (js_sys::Promise, js_sys::Function) {
    let mut resolve = None;
    let promise = js_sys::Promise::new(&mut |res, _| resolve = Some(res));
    (promise, resolve.expect("the executor runs synchronously"))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// The global `fetch` with a URL alone (a window's or a worker's).
    #[wasm_bindgen(catch, js_name = fetch)]
    fn fetch_url(url: &str) -> Result<JsValue, JsValue>;
}

/// The text of one of Tokenwatch's own files (`config.json`, packaged beside the wasm) through
/// the global `fetch`: provider requests go through [`crate::fetch`], which this does not
/// need, so a page that reads only its own files holds none of it.
pub async fn fetch_text(url: &str) -> Result<String, JsError> {
    let response: web_sys::Response = settle(fetch_url(url))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    if !response.ok() {
        return Err(JsError {
            name: "HttpError".into(),
            message: format!("HTTP {}", response.status()),
        });
    }
    settle(response.text().map(JsValue::from))
        .await
        .map_err(js_error)?
        .as_string()
        .ok_or_else(|| JsError {
            name: "TypeError".into(),
            message: "not text".into(),
        })
}

/// Awaits what a browser API call gave: a thrown error is `Err` at once (the call is imported
/// with `catch`), a promise is awaited, and a plain value (an API that answers synchronously,
/// or one a browser does not have) is taken as it is. Awaiting the call directly as an `async`
/// import would hand a missing API's `undefined` to `then` and abort the worker's wasm
/// mid-task (seen in Firefox, which has no `storage.local.setAccessLevel`).
pub async fn settle(called: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    let promise = called?
        .dyn_into::<js_sys::Promise>()
        .unwrap_or_else(|value| js_sys::Promise::resolve(&value));
    wasm_bindgen_futures::JsFuture::from(promise).await
}

#[cfg(test)]
mod tests {
    use super::join;
    use std::cell::Cell;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Pending until its cell is set, then ready with `value`.
    struct Gate<'a>(&'a Cell<bool>, u32);

    impl Future for Gate<'_> {
        type Output = u32;
        fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
            if self.0.get() {
                Poll::Ready(self.1)
            } else {
                Poll::Pending
            }
        }
    }

    #[test]
    fn join_waits_for_both_and_keeps_their_order() {
        let (a, b) = (Cell::new(false), Cell::new(false));
        let mut both = pin!(join(Gate(&a, 1), Gate(&b, 2)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(both.as_mut().poll(&mut cx).is_pending());
        b.set(true);
        assert!(
            both.as_mut().poll(&mut cx).is_pending(),
            "the first is still pending"
        );
        b.set(false); // Already taken: the second is not polled again.
        a.set(true);
        assert_eq!(both.as_mut().poll(&mut cx), Poll::Ready((1, 2)));
    }
}
