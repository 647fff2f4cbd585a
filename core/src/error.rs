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

/// Why an engine operation failed. Messages are for the person and never contain a token, a
/// code or a response body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The provider's app is not configured.
    #[error("{}", not_configured(*.0))]
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
    #[error("{}", no_answer(*.shared_login))]
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
    #[error(
        "You signed in as {signed_in_as}, but this connection belongs to {expected}. Nothing was changed; to use another account, choose Change account."
    )]
    WrongAccount {
        /// Who signed in.
        signed_in_as: String,
        /// Whose connection it is.
        expected: String,
    },
    /// A new connection's sign-in the provider refused: there is nothing to restore yet, so
    /// the words say the sign-in failed rather than that a connection was lost.
    #[error("{}", sign_in_refused(*.provider, .cause))]
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

fn no_answer(shared_login: bool) -> String {
    let mut s = String::from(
        "The sign-in window was closed before Salesforce sent Tokenwatch an answer. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org (since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install); or the app does not offer the scopes Tokenwatch asks for (api, id, refresh_token: Setup → App Manager → the app → Edit → Selected OAuth Scopes)",
    );
    if shared_login {
        s.push_str("; or your org allows sign-in only at its My Domain (choose Custom and enter your My Domain, such as yourcompany.my.salesforce.com)");
    }
    s.push('.');
    s
}

fn sign_in_refused(p: Provider, cause: &Cause) -> String {
    let name = p.name();
    match cause {
        Cause::RefreshRejected { detail } => format!(
            "Sign-in failed: {name} refused it{}. Try again; if it keeps failing, give your {name} administrator the words in brackets.",
            detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        Cause::Revoked => format!(
            "Sign-in failed: {name} refused the new sign-in's code. Try again; if it keeps failing, your {name} administrator can see why in the sign-in logs."
        ),
        c => format!("{} {}", c.text(p), c.action(p)),
    }
}

fn not_configured(p: Provider) -> &'static str {
    match p {
        Provider::Salesforce => {
            "Salesforce is not set up yet: an administrator must enter the consumer key of the connected app"
        }
        Provider::Microsoft => {
            "Microsoft 365 is not set up yet: an administrator must enter the application (client) id of the app registration"
        }
    }
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
        }
    }
}
