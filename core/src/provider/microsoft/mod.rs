//! The Microsoft identity platform v2.0: app registrations, public client with PKCE and an
//! OpenID Connect ID token.

pub mod client;
pub mod protocol;
