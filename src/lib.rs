//! Tokenwatch's browser shell: the bindings, port adapters, UI and entry points that put
//! [`tokenwatch_core`] into an MV3 extension.
//!
//! - [`chrome`]: thin `#[wasm_bindgen]` bindings, one file per extension namespace.
//! - [`fetch`]: the one HTTP client, `oauth2::AsyncHttpClient` over `fetch`.
//! - [`web`]: bindings to IndexedDB and WebCrypto.
//! - [`adapters`] and [`sealer`]: the core's ports on top of the bindings.
//! - [`background`]: the service worker's entry points.
//! - [`popup`]: the popup page (and the task pane's panel).
//! - [`options`]: the options page.
//!
//! Each surface is built into its own wasm with one feature (`worker`, `pages`, `outlook`) that
//! exports only its entry points; see `Cargo.toml`.
//!
//! `JsValue` stays inside the bindings and entry points; [`js::js_error`] is the one place a
//! JavaScript error becomes a Rust one. Nothing here calls `web_sys::window()` on a path the
//! service worker reaches: the worker has no window, so globals come from `js_sys::global()`.

pub mod adapters;
#[cfg(feature = "worker")]
pub mod background;
pub mod chrome;
pub mod config;
pub mod fetch;
pub mod i18n;
pub mod js;
pub mod known;
#[cfg(feature = "pages")]
pub mod options;
#[cfg(feature = "outlook")]
pub mod outlook;
pub mod popup;
pub mod sealer;
pub mod settings;
pub mod surfaces;
pub mod ui;
pub mod web;
