//! Bindings to the `chrome.*` extension APIs, one file per namespace. Each function is `catch`
//! and `async` where the API returns a promise, with a typed wrapper on top.

pub mod action;
pub mod alarms;
pub mod dnr;
pub mod i18n;
pub mod identity;
pub mod notifications;
pub mod permissions;
pub mod runtime;
pub mod storage;
