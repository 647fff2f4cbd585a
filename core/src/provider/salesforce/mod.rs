//! Salesforce: connected apps and External Client Apps, public client with PKCE.

pub mod client;
pub mod protocol;
