//! What the engine and every provider share: why a sign-in happens, what it established, what a
//! refresh and a probe found, what a diagnosis needs, and the completion of a callback.

use crate::connection::{Account, Event, Site, Tokens};
use crate::error::EngineError;
use crate::flow::{CallbackError, PendingAuthorization};
use crate::ids::{ConnectionId, Provider};
use crate::status::{Cause, Refusal};
use crate::time::Timestamp;
use oauth2::{AccessToken, AuthorizationCode, PkceCodeVerifier, RefreshToken};
use url::Url;

/// Why a sign-in is happening.
#[derive(Debug, Clone)]
pub enum Intent {
    /// A new connection.
    Add,
    /// Again to `expected`, which must come back.
    Renew {
        /// The connection.
        expected: ConnectionId,
        /// Its username, sent as `login_hint`.
        username: String,
    },
    /// With another account (`prompt=login` / `prompt=select_account`).
    ChangeAccount,
}

/// What a sign-in established, before it is stored.
#[derive(Debug)]
pub struct SignedIn {
    /// "Signed in" or "Renewed silently".
    pub event: Event,
    /// The connection it belongs to.
    pub id: ConnectionId,
    /// Where, and whose.
    pub site: Site,
    /// The account that signed in.
    pub account: Account,
    /// The new tokens.
    pub tokens: Tokens,
}

/// What a refresh returned.
#[derive(Debug)]
pub struct Refreshed {
    /// The new access token.
    pub access: AccessToken,
    /// A new refresh token, when the provider rotated it (RFC 6749 §6: otherwise the old one
    /// stays valid).
    pub refresh: Option<RefreshToken>,
    /// When the provider issued it (or when it arrived).
    pub issued_at: Timestamp,
    /// When to refresh again, when the provider says.
    pub refresh_due: Option<Timestamp>,
    /// Salesforce: whether the granted scope opens the identity service, when it says.
    pub identity_granted: Option<bool>,
    /// The scopes the provider said this token carries, when it said.
    pub granted: Option<String>,
}

/// What a probe of the access token at the provider found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The token works.
    Accepted,
    /// The token is not accepted (expired, revoked, or lacking a permission).
    Refused,
    /// The token is accepted, but the resource refuses the account for a reason of its own
    /// (EWS retired for the tenant, no mailbox, an access policy): refreshing cannot help.
    Denied(Cause),
    /// This provider's tokens are not probed; the refresh token is the proof.
    NotProbed,
}

/// What a diagnosis needs to know beyond the error itself.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The org, for messages that name it.
    pub org: Option<&'a str>,
    /// The redirect URL the app must list.
    pub redirect: &'a str,
    /// Whether the declared refresh token policy says the token has run out by now. An
    /// "expired" answer is then the policy; otherwise (valid until revoked, Salesforce's
    /// default) it means the token was revoked.
    pub expired_by_policy: bool,
}

/// The callback's code and verifier. A refusal other than the person's own "no" is diagnosed
/// by `diagnose` (the provider's reading of what it said). Microsoft's `access_denied` carries
/// an AADSTS number when it is not the person's "no" (a declined consent, an account the
/// tenant does not know), and is diagnosed then too.
pub fn complete(
    pending: PendingAuthorization,
    callback: &Url,
    now: Timestamp,
    provider: Provider,
    diagnose: impl Fn(&Refusal) -> Cause,
) -> Result<(AuthorizationCode, PkceCodeVerifier), EngineError> {
    match pending.complete(callback, now) {
        Ok(found) => Ok(found),
        Err(CallbackError::Denied { error, description }) => {
            let refusal = Refusal::said(&error, description.as_deref());
            if error == "access_denied" && refusal.code().is_none() {
                // The person said no: that is their answer, not a fault to diagnose.
                return Err(CallbackError::Denied { error, description }.into());
            }
            Err(EngineError::Diagnosed {
                provider,
                cause: diagnose(&refusal),
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// A refusal during a sign-in says why, in the provider's terms.
pub fn refused_is_diagnosed(e: EngineError, diagnose: impl Fn(&Refusal) -> Cause) -> EngineError {
    match e {
        EngineError::Refused { provider, refusal } => EngineError::Diagnosed {
            provider,
            cause: diagnose(&refusal),
        },
        e => e,
    }
}
