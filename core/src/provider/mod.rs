//! The identity providers, behind one seam. What differs between Salesforce and Microsoft —
//! where a sign-in goes and what it asks for, how a code is redeemed and the account proven,
//! how tokens are refreshed, probed and revoked, how a refusal is diagnosed — lives in one
//! folder each; [`App`] dispatches to them, so the engine has one sign-in, one check and one
//! refresh. A third provider is a third folder, an arm of [`App`] and the simulator's.
//!
//! Each provider folder has two layers: `protocol` (what the provider says: hosts, response
//! shapes, identity checks; the model may use it) and `client` (what Tokenwatch does with it:
//! it uses the model, errors and HTTP).

pub mod microsoft;
pub mod salesforce;
mod seam;
pub mod shared;

pub use seam::{App, Started, Target, probe, revoke};
