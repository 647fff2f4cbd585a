//! Why an engine operation failed, in the person's words. Messages never contain a token, a
//! code or a response body.

use crate::flow::CallbackError;
use crate::host::HostError;
use crate::ids::Provider;
use crate::messages::{ChoiceError, ErrorCode, ErrorView, sentence};
use crate::microsoft::IdTokenError;
use crate::ports::{IdentityError, StoreError};
use crate::salesforce::ResponseError;
use crate::status::{Cause, Refusal};
use crate::vault::VaultError;
use crate::words::Said;

/// Why an engine operation failed. Messages are for the person and never contain a token, a
/// code or a response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The provider's app is not configured.
    #[error("{}", english(&not_configured(*.0)))]
    NotConfigured(Provider),
    /// The typed login host is not acceptable.
    #[error("{0}")]
    BadHost(#[from] HostError),
    /// A choice made when adding an account is not acceptable.
    #[error("{0}")]
    BadChoice(#[from] ChoiceError),
    /// The sign-in window was closed or could not load.
    #[error("{0}")]
    Identity(#[from] IdentityError),
    /// An interactive Salesforce sign-in ended without Salesforce sending Tokenwatch back: the
    /// person closed the window, or Salesforce ended on an error page of its own, which it
    /// does for an uninstalled connected app, a scope the app does not offer and a login page
    /// the org refuses. Which one cannot be seen from here, so the likely causes are named.
    #[error("{}", english(&no_answer(*.shared_login)))]
    NoAnswer {
        /// The sign-in went through a login page many orgs share, which an org may refuse.
        shared_login: bool,
    },
    /// The callback failed a check.
    #[error("Sign-in failed: {0}.")]
    Callback(#[from] CallbackError),
    /// The token endpoint refused the request with an OAuth error.
    #[error("{} refused the request ({}){}", .provider.name(), .refusal.error, .refusal.description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        /// Who refused.
        provider: Provider,
        /// What it said.
        refusal: Box<Refusal>,
    },
    /// The provider could not be reached, or answered 5xx or 429.
    #[error("{} could not be reached ({reason}); try again later", .provider.name())]
    Unreachable {
        /// The provider that could not be reached.
        provider: Provider,
        /// What failed.
        reason: String,
        /// `Retry-After`, in seconds, when the provider sent one.
        retry_after: Option<u64>,
    },
    /// The provider answered something that is not what its protocol says.
    #[error("{} answered in an unexpected way ({}); nothing was saved", .0.name(), .1)]
    BadResponse(Provider, String),
    /// Salesforce's answer failed a rule of its own protocol.
    #[error("{0}")]
    Response(#[from] ResponseError),
    /// Microsoft's ID token failed a check.
    #[error("Microsoft's sign-in answer failed a check ({0}); nothing was saved")]
    IdToken(#[from] IdTokenError),
    /// Storage failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Sealed storage failed (a conflict, or the crypto backend).
    #[error("{0}")]
    Vault(#[from] VaultError),
    /// No such connection.
    #[error("that connection no longer exists")]
    UnknownConnection,
    /// A refresh token policy was declared for a connection it does not apply to.
    #[error(
        "a refresh token policy applies to Salesforce orgs only; Microsoft's horizon follows from the app registration"
    )]
    PolicyNotApplicable,
    /// A renewal came back as another account than the connection's.
    #[error("{}", english(&[Said::new("errorWrongAccount", &[.signed_in_as, .expected])]))]
    WrongAccount {
        /// Who signed in.
        signed_in_as: String,
        /// Whose connection it is.
        expected: String,
    },
    /// A new connection's sign-in the provider refused: there is nothing to restore yet, so
    /// the words say the sign-in failed rather than that a connection was lost.
    #[error("{}", english(&sign_in_refused(*.provider, .cause)))]
    SignInRefused {
        /// Whose refusal.
        provider: Provider,
        /// Why.
        cause: Cause,
    },
    /// The provider refused for a reason the person or an admin must fix; the cause says
    /// which.
    #[error("{} {}", .cause.text(*.provider), .cause.action(*.provider))]
    Diagnosed {
        /// Whose refusal.
        provider: Provider,
        /// Why.
        cause: Cause,
    },
}

/// Sentences as catalogue messages, in English, joined.
fn english(said: &[Said]) -> String {
    said.iter()
        .map(crate::words::english)
        .collect::<Vec<_>>()
        .join(" ")
}

fn no_answer(shared_login: bool) -> Vec<Said> {
    let key = if shared_login {
        "errorNoAnswerShared"
    } else {
        "errorNoAnswer"
    };
    vec![Said::new(key, &[])]
}

fn sign_in_refused(provider: Provider, cause: &Cause) -> Vec<Said> {
    let p = provider.name();
    match cause {
        Cause::RefreshRejected { detail: Some(d) } => {
            vec![Said::new("errorSignInRejectedSaying", &[p, d])]
        }
        Cause::RefreshRejected { detail: None } => vec![Said::new("errorSignInRejected", &[p])],
        Cause::Revoked => vec![Said::new("errorSignInCode", &[p])],
        c => vec![c.said_text(provider), c.said_action(provider)],
    }
}

fn not_configured(provider: Provider) -> Vec<Said> {
    vec![Said::new(
        match provider {
            Provider::Salesforce => "errorNotConfiguredSalesforce",
            Provider::Microsoft => "errorNotConfiguredMicrosoft",
        },
        &[],
    )]
}

impl EngineError {
    /// A stable code for the UI and tests.
    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::NotConfigured(_) => ErrorCode::NotConfigured,
            EngineError::BadHost(_) => ErrorCode::BadHost,
            EngineError::BadChoice(_) => ErrorCode::BadChoice,
            EngineError::Identity(IdentityError::Cancelled) | EngineError::NoAnswer { .. } => {
                ErrorCode::Cancelled
            }
            EngineError::Identity(IdentityError::InteractionRequired) => {
                ErrorCode::InteractionRequired
            }
            EngineError::Identity(IdentityError::Blocked(_)) => ErrorCode::DialogBlocked,
            EngineError::Identity(IdentityError::ForeignOrigin(_)) => ErrorCode::ForeignOrigin,
            EngineError::Identity(_) => ErrorCode::IdentityUnavailable,
            EngineError::Callback(CallbackError::StateMismatch) => ErrorCode::StateMismatch,
            EngineError::Callback(CallbackError::Denied { .. }) => ErrorCode::Denied,
            EngineError::Callback(_) => ErrorCode::BadCallback,
            EngineError::Refused { .. } => ErrorCode::Refused,
            EngineError::Unreachable { .. } => ErrorCode::Unreachable,
            EngineError::BadResponse(..) | EngineError::Response(_) | EngineError::IdToken(_) => {
                ErrorCode::BadResponse
            }
            EngineError::Store(_) => ErrorCode::Storage,
            EngineError::Vault(VaultError::Conflict) => ErrorCode::Conflict,
            EngineError::Vault(_) => ErrorCode::Storage,
            EngineError::UnknownConnection => ErrorCode::UnknownConnection,
            EngineError::PolicyNotApplicable => ErrorCode::NotApplicable,
            EngineError::Diagnosed { .. } | EngineError::SignInRefused { .. } => {
                ErrorCode::NeedsAdminOrSignIn
            }
            EngineError::WrongAccount { .. } => ErrorCode::WrongAccount,
        }
    }

    /// The error's words as catalogue messages, one sentence or two, where it has them; empty
    /// for the technical failures (an answer against the protocol, storage, a callback that
    /// failed a check), which stay in English with their details.
    pub fn said(&self) -> Vec<Said> {
        let one = |key: &str, args: &[&str]| vec![Said::new(key, args)];
        match self {
            EngineError::NotConfigured(provider) => not_configured(*provider),
            EngineError::NoAnswer { shared_login } => no_answer(*shared_login),
            EngineError::Identity(IdentityError::Cancelled) => one("errorCancelled", &[]),
            EngineError::Identity(IdentityError::InteractionRequired) => {
                one("errorInteractionRequired", &[])
            }
            EngineError::Unreachable {
                provider, reason, ..
            } => one("errorUnreachable", &[provider.name(), reason]),
            EngineError::UnknownConnection => one("errorUnknownConnection", &[]),
            EngineError::PolicyNotApplicable => one("errorPolicyNotApplicable", &[]),
            EngineError::WrongAccount {
                signed_in_as,
                expected,
            } => one("errorWrongAccount", &[signed_in_as, expected]),
            EngineError::SignInRefused { provider, cause } => sign_in_refused(*provider, cause),
            EngineError::Diagnosed { provider, cause } => {
                vec![cause.said_text(*provider), cause.said_action(*provider)]
            }
            _ => Vec::new(),
        }
    }

    /// The error as the UI shows it.
    pub fn view(&self) -> ErrorView {
        ErrorView {
            code: self.code(),
            message: sentence(&self.to_string()),
            field: match self {
                EngineError::BadHost(_) => Some("login_host".into()),
                EngineError::BadChoice(c) => Some(c.field.into()),
                _ => None,
            },
            said: self.said(),
        }
    }
}
