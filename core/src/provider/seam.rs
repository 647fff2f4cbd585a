//! One enum over the providers' clients: the engine asks it, each arm answers for its
//! provider.

use super::microsoft::client as ms;
use super::microsoft::protocol::{MicrosoftApp, Target as MsTarget};
use super::salesforce::client as sf;
use super::salesforce::protocol::{LoginHost, SalesforceApp};
use super::shared::{Context, Intent, Probe, Refreshed, SignedIn};
use crate::connection::{Connection, Site};
use crate::error::EngineError;
use crate::ids::Provider;
use crate::ports::{Entropy, IdentityError, Interaction};
use crate::status::{Cause, Refusal};
use crate::time::Timestamp;
use oauth2::AsyncHttpClient;
use url::Url;

/// Where a sign-in goes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A Salesforce login host.
    Salesforce(LoginHost),
    /// A Microsoft authority and resource; unset parts take the app's settings.
    Microsoft(MsTarget),
}

impl Target {
    /// Where a connection at `site` signs in again, for the same resource. Changing account
    /// may land in another tenant, so it goes through the configured Microsoft authority, not
    /// the old account's.
    pub fn of(site: &Site, intent: &Intent) -> Self {
        match site {
            Site::Salesforce { login_host, .. } => Target::Salesforce(login_host.clone()),
            Site::Microsoft {
                authority,
                resource,
                cloud,
                ews_url,
                ..
            } => Target::Microsoft(MsTarget {
                authority: match intent {
                    Intent::ChangeAccount => None,
                    _ => Some(authority.clone()),
                },
                tenant: None,
                resource: Some(*resource),
                ews_url: ews_url.as_deref().and_then(|u| Url::parse(u).ok()),
                cloud: *cloud,
            }),
        }
    }

    /// Whose sign-in it is.
    pub fn provider(&self) -> Provider {
        match self {
            Target::Salesforce(_) => Provider::Salesforce,
            Target::Microsoft(_) => Provider::Microsoft,
        }
    }
}

/// A sign-in under way.
#[derive(Debug)]
pub enum Started {
    /// At Salesforce.
    Salesforce(sf::Started),
    /// At Microsoft.
    Microsoft(ms::Started),
}

impl Started {
    /// Where the sign-in window goes.
    pub fn url(&self) -> &Url {
        match self {
            Started::Salesforce(s) => &s.url,
            Started::Microsoft(s) => &s.url,
        }
    }
}

/// The app Tokenwatch signs in with at one provider.
#[derive(Debug, Clone, Copy)]
pub enum App<'a> {
    /// A Salesforce connected app or External Client App.
    Salesforce(&'a SalesforceApp),
    /// A Microsoft app registration.
    Microsoft(&'a MicrosoftApp),
}

/// A connection handed to another provider's app: the engine picks the app by the
/// connection's provider, so this is a mistake in Tokenwatch, reported rather than panicked.
fn mismatch(app: &App<'_>) -> EngineError {
    EngineError::NotConfigured(app.provider())
}

impl<'a> App<'a> {
    /// Whose app.
    pub fn provider(&self) -> Provider {
        match self {
            App::Salesforce(_) => Provider::Salesforce,
            App::Microsoft(_) => Provider::Microsoft,
        }
    }

    /// Where the provider sends the person back.
    pub fn redirect(&self) -> &'a Url {
        match self {
            App::Salesforce(a) => &a.redirect,
            App::Microsoft(a) => &a.redirect,
        }
    }

    /// The authorization request for `target`.
    pub fn start(
        &self,
        target: Target,
        intent: &Intent,
        interaction: Interaction,
        entropy: &impl Entropy,
        now: Timestamp,
    ) -> Result<Started, EngineError> {
        match (self, target) {
            (App::Salesforce(a), Target::Salesforce(host)) => Ok(Started::Salesforce(sf::start(
                a, host, intent, entropy, now,
            ))),
            (App::Microsoft(a), Target::Microsoft(target)) => Ok(Started::Microsoft(ms::start(
                a,
                target,
                intent,
                interaction,
                entropy,
                now,
            ))),
            _ => Err(mismatch(self)),
        }
    }

    /// What a sign-in window that ended without an answer means.
    pub fn unanswered(&self, started: &Started, e: IdentityError) -> EngineError {
        match (self, started) {
            (App::Salesforce(a), Started::Salesforce(s)) => sf::unanswered(a, s, e),
            _ => e.into(),
        }
    }

    /// Completes a sign-in from the provider's callback.
    pub async fn finish<H: for<'c> AsyncHttpClient<'c>>(
        &self,
        http: &H,
        started: Started,
        callback: &Url,
        now: Timestamp,
    ) -> Result<SignedIn, EngineError> {
        match (self, started) {
            (App::Salesforce(a), Started::Salesforce(s)) => {
                sf::finish(a, http, s, callback, now).await
            }
            (App::Microsoft(a), Started::Microsoft(s)) => {
                ms::finish(a, http, s, callback, now).await
            }
            _ => Err(mismatch(self)),
        }
    }

    /// Gives back the tokens of a sign-in that is not kept, where the provider allows it
    /// (Microsoft offers public clients no revocation: its tokens are simply never stored).
    pub async fn discard<H: for<'c> AsyncHttpClient<'c>>(&self, http: &H, signed: &SignedIn) {
        if let Site::Salesforce { login_host, .. } = &signed.site {
            let _ = sf::revoke(http, login_host, &signed.tokens.refresh).await;
        }
    }

    /// Whether a refresh retires the refresh token it used before the answer is stored
    /// (Salesforce's rotation), so the start of each refresh must be recorded first.
    pub fn retires_on_refresh(&self) -> bool {
        matches!(self, App::Salesforce(_))
    }

    /// Redeems `conn`'s refresh token.
    pub async fn refresh<H: for<'c> AsyncHttpClient<'c>>(
        &self,
        http: &H,
        conn: &Connection,
        now: Timestamp,
    ) -> Result<Refreshed, EngineError> {
        match (self, &conn.site) {
            (
                App::Salesforce(a),
                Site::Salesforce {
                    login_host,
                    org,
                    user,
                    ..
                },
            ) => sf::refresh(a, http, login_host, (org, user), &conn.tokens.refresh).await,
            (App::Microsoft(a), site @ Site::Microsoft { .. }) => {
                ms::refresh(
                    a,
                    http,
                    site,
                    &conn.tokens.refresh,
                    conn.tokens.granted.as_deref(),
                    now,
                )
                .await
            }
            _ => Err(mismatch(self)),
        }
    }

    /// Why a token the provider has just issued is refused at its probe.
    pub fn refused_fresh(&self, refreshed: &Refreshed, conn: &Connection) -> Cause {
        match &conn.site {
            Site::Salesforce { .. } => Cause::UserInfoRefused {
                missing_scope: refreshed.identity_granted == Some(false),
            },
            Site::Microsoft { resource, .. } => Cause::ResourceRefused {
                resource: *resource,
            },
        }
    }

    /// The cause behind the provider's refusal.
    pub fn diagnose(&self, refusal: &Refusal, ctx: &Context<'_>) -> Cause {
        match self {
            App::Salesforce(_) => sf::diagnose(&refusal.error, refusal.description.as_deref(), ctx),
            App::Microsoft(_) => ms::diagnose_refusal(refusal, ctx),
        }
    }
}

/// Revokes `conn` at its provider (no app needed: the login host and the token are enough);
/// `false` where the provider offers no revocation (Microsoft, for public clients) or did not
/// confirm it.
pub async fn revoke<H: for<'c> AsyncHttpClient<'c>>(http: &H, conn: &Connection) -> bool {
    match &conn.site {
        Site::Salesforce { login_host, .. } => sf::revoke(http, login_host, &conn.tokens.refresh)
            .await
            .is_ok(),
        Site::Microsoft { .. } => false,
    }
}

/// Proves `conn`'s access token where it is used (no app needed: the stored site says where).
pub async fn probe<H: for<'c> AsyncHttpClient<'c>>(
    http: &H,
    conn: &Connection,
) -> Result<Probe, EngineError> {
    match &conn.site {
        Site::Salesforce { instance_url, .. } => {
            sf::probe(http, instance_url, &conn.tokens.access).await
        }
        site @ Site::Microsoft { .. } => ms::probe(http, site, &conn.tokens.access).await,
    }
}
