//! Tokenwatch's core: everything that decides, nothing that touches the world.
//!
//! Like quinn-proto beside quinn, this crate contains no networking code and never reads the
//! clock: it builds OAuth requests, interprets responses and takes `now` as a parameter. Every
//! effect goes through a port in [`ports`] (HTTP enters only as [`oauth2::AsyncHttpClient`]),
//! and every port has an in-memory twin so the whole engine runs natively against the provider
//! simulator on a virtual clock.
#![warn(missing_docs)]

pub mod attention;
pub mod banners;
pub mod concurrent;
pub mod connection;
pub mod engine;
pub mod error;
pub mod flow;
pub mod host;
mod http;
pub mod ids;
pub mod messages;
pub mod mirror;
pub mod oauth;
pub mod ports;
pub mod provider;
pub mod schedule;
pub mod sender;
pub mod session;
pub mod settings;
pub mod status;
pub mod tagged;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod vault;
pub mod words;

pub use provider::microsoft::protocol as microsoft;
pub use provider::salesforce::protocol as salesforce;

pub use connection::Connection;
pub use engine::{Engine, PortSet, Ports};
pub use error::EngineError;
pub use ids::{ConnectionId, OrgId, Provider, UserId};
pub use messages::{ConnectionView, LoginChoice, Request, Response};
pub use salesforce::{LoginHost, SalesforceApp};
pub use status::{Cause, Status};
pub use time::Timestamp;
