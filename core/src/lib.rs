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
pub mod connection;
pub mod diagnosis;
pub mod engine;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod ids;
pub mod messages;
pub mod microsoft;
pub mod mirror;
pub mod ports;
pub mod salesforce;
pub mod schedule;
pub mod sender;
pub mod settings;
pub mod status;
pub mod tagged;
pub mod time;
pub mod vault;

pub use connection::Connection;
pub use engine::{Engine, EngineError, Ports, SalesforceApp};
pub use ids::{ConnectionId, OrgId, UserId};
pub use messages::{ConnectionView, LoginChoice, Request, Response};
pub use salesforce::LoginHost;
pub use status::{Cause, Status};
pub use time::Timestamp;
