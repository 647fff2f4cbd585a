//! The Microsoft identity platform (v2.0 endpoints) as Tokenwatch uses it: the authority and
//! tenant, the two registration types and their refresh-token horizons, the token response and
//! the ID token checks.
//!
//! Facts this module pins ("Microsoft identity platform and OAuth 2.0 authorization code flow",
//! "Refresh tokens in the Microsoft identity platform", "Configurable token lifetimes"): a
//! refresh token issued to a redirect URI registered as a single-page application lives **24 h
//! from the sign-in**, and rotation carries that limit over; other public clients get **90
//! days, sliding** with use. The token endpoint tells the two apart by the request's `Origin`
//! header. The response carries `expires_in` (seconds), `ext_expires_in`, and an `id_token`
//! when `openid` was asked for.

use crate::host::{HostError, HttpsOrigin, parse_ascii_url};
use crate::ids::{IdError, ObjectId, TenantId};
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, ClientId, EndpointNotSet, EndpointSet, RedirectUrl,
    RefreshToken, Scope, StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::time::Duration;
use url::Url;

/// The public cloud's authority host.
pub const DEFAULT_AUTHORITY_HOST: &str = "login.microsoftonline.com";
/// Exchange Online's EWS endpoint.
pub const DEFAULT_EWS_URL: &str = "https://outlook.office365.com/EWS/Exchange.asmx";
/// The OpenID Connect scopes every sign-in asks for: an ID token, the person's name and a
/// refresh token.
pub const BASE_SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];
/// How long a single-page-application refresh token lives, from the sign-in (not extendable).
pub const SPA_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How long other public clients' refresh tokens live without use.
pub const PUBLIC_CLIENT_IDLE_LIFETIME: Duration = Duration::from_secs(90 * 86_400);
/// Clock skew tolerated on an ID token's `exp`.
const SKEW: Duration = Duration::from_secs(5 * 60);

/// Which directory people sign in from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tenant {
    /// Work, school and personal accounts.
    Common,
    /// Work and school accounts of any tenant.
    Organizations,
    /// Personal Microsoft accounts.
    Consumers,
    /// One tenant, by id.
    Id(TenantId),
    /// One tenant, by one of its verified domains, e.g. `contoso.onmicrosoft.com`.
    Domain(String),
}

impl Tenant {
    /// Accepts `common`, `organizations`, a tenant GUID or a domain name.
    pub fn parse(input: &str) -> Result<Self, SetupError> {
        let s = input.trim();
        match s.to_ascii_lowercase().as_str() {
            "" => Err(SetupError::Tenant),
            "common" => Ok(Tenant::Common),
            "organizations" => Ok(Tenant::Organizations),
            "consumers" => Ok(Tenant::Consumers),
            lower => {
                if let Ok(id) = TenantId::parse(lower) {
                    return Ok(Tenant::Id(id));
                }
                let labels_ok = lower.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
                if labels_ok && lower.contains('.') && lower.len() <= 253 {
                    Ok(Tenant::Domain(lower.to_owned()))
                } else {
                    Err(SetupError::Tenant)
                }
            }
        }
    }

    /// The path segment.
    pub fn as_str(&self) -> &str {
        match self {
            Tenant::Common => "common",
            Tenant::Organizations => "organizations",
            Tenant::Consumers => "consumers",
            Tenant::Id(id) => id.as_str(),
            Tenant::Domain(d) => d,
        }
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Tenant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Tenant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Why a Microsoft setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// Not `common`, `organizations`, a GUID or a domain.
    #[error(
        "the tenant must be organizations, consumers (personal accounts), common, a tenant id (GUID) or a domain such as contoso.onmicrosoft.com"
    )]
    Tenant,
    /// The authority host is not an https origin.
    #[error("authority host: {0}")]
    Authority(#[from] HostError),
    /// The EWS address is not an https URL.
    #[error("the EWS address must be an https URL")]
    Ews,
}

/// Where people sign in: the authority host (national clouds have their own) and the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authority {
    /// e.g. `https://login.microsoftonline.com`.
    pub host: HttpsOrigin,
    /// The tenant in the path.
    pub tenant: Tenant,
}

impl Authority {
    /// The public cloud with `tenant`.
    pub fn public_cloud(tenant: Tenant) -> Self {
        Self {
            host: HttpsOrigin::parse(DEFAULT_AUTHORITY_HOST).expect("constant host parses"),
            tenant,
        }
    }

    fn endpoint(&self, tenant: &str, rest: &str) -> Url {
        self.host.endpoint(&format!("/{tenant}/{rest}"))
    }

    /// `/{tenant}/oauth2/v2.0/authorize`.
    pub fn authorize_url(&self) -> Url {
        self.endpoint(self.tenant.as_str(), "oauth2/v2.0/authorize")
    }

    /// `/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> Url {
        self.endpoint(self.tenant.as_str(), "oauth2/v2.0/token")
    }

    /// The same authority pinned to the tenant a sign-in landed in: renewals go to the
    /// account's own tenant, never back through `common`.
    pub fn for_tenant(&self, tenant: &TenantId) -> Self {
        Self {
            host: self.host.clone(),
            tenant: Tenant::Id(tenant.clone()),
        }
    }

    /// The `iss` of ID tokens for accounts of `tenant`: `https://{issuer host}/{tid}/v2.0`,
    /// where the issuer host is the cloud's, not necessarily the host signed in at (China's
    /// tokens are issued by `login.partner.microsoftonline.cn` also to sign-ins at
    /// `login.chinacloudapi.cn`; MSAL.js `AuthorityMetadata.ts`). A host Tokenwatch does not
    /// know, and this computer, issue under their own origin.
    pub fn issuer(&self, tenant: &TenantId) -> String {
        let origin = match Cloud::of_authority(self.host.host()) {
            Some(cloud) if !self.host.is_loopback() => format!("https://{}", cloud.issuer_host()),
            _ => self.host.origin(),
        };
        format!("{origin}/{}/v2.0", tenant.as_str())
    }

    /// Where Microsoft Graph and Exchange are for accounts of this authority: the cloud's
    /// (`cloud`, else the one the authority host belongs to, else the global one), or this
    /// computer when it signs in here (the simulator serves them).
    pub fn endpoints(&self, cloud: Option<Cloud>) -> Endpoints {
        if self.host.is_loopback() {
            return Endpoints {
                graph: self.host.origin(),
                exchange: self.host.origin(),
                cloud: None,
            };
        }
        let cloud = cloud
            .or_else(|| Cloud::of_authority(self.host.host()))
            .unwrap_or(Cloud::Global);
        Endpoints {
            graph: format!("https://{}", cloud.graph_host()),
            exchange: format!("https://{}", cloud.exchange_host()),
            cloud: Some(cloud),
        }
    }
}

/// A Microsoft cloud: where its people sign in, who issues their ID tokens, where Microsoft
/// Graph, Exchange Online and Outlook on the web are. Sources: "National clouds" (Microsoft
/// identity platform), "Microsoft Graph national cloud deployments", the Microsoft 365 URL and
/// IP lists of each cloud, and MSAL.js's authority metadata for the issuer hosts. What no
/// Microsoft page states is marked where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// The global service (GCC moderate included).
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// Its name, as stored and offered on the options page.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "us_gov",
            Cloud::UsGovDod => "us_gov_dod",
            Cloud::China => "china",
        }
    }

    /// The cloud called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Cloud::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Its sign-in hosts, the preferred first (aliases from MSAL.js's metadata). US Government
    /// L4 and L5 share theirs.
    pub fn authority_hosts(self) -> &'static [&'static str] {
        match self {
            Cloud::Global => &[
                "login.microsoftonline.com",
                "login.windows.net",
                "login.microsoft.com",
                "sts.windows.net",
            ],
            Cloud::UsGov | Cloud::UsGovDod => {
                &["login.microsoftonline.us", "login.usgovcloudapi.net"]
            }
            Cloud::China => &["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
        }
    }

    /// The host in its ID tokens' `iss` (the DoD's is taken to be US Government's: it signs in
    /// there, and no Microsoft page says otherwise).
    pub fn issuer_host(self) -> &'static str {
        match self {
            Cloud::Global => "login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "login.microsoftonline.us",
            Cloud::China => "login.partner.microsoftonline.cn",
        }
    }

    /// Its Microsoft Graph host.
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "graph.microsoft.com",
            Cloud::UsGov => "graph.microsoft.us",
            Cloud::UsGovDod => "dod-graph.microsoft.us",
            Cloud::China => "microsoftgraph.chinacloudapi.cn",
        }
    }

    /// Its Exchange Online host (EWS at `/EWS/Exchange.asmx`). The DoD's is its Outlook on the
    /// web host; Microsoft documents no DoD EWS address, so a DoD tenant sets it explicitly if
    /// it differs.
    pub fn exchange_host(self) -> &'static str {
        match self {
            Cloud::Global => "outlook.office365.com",
            Cloud::UsGov => "outlook.office365.us",
            Cloud::UsGovDod => "webmail.apps.mil",
            Cloud::China => "partner.outlook.cn",
        }
    }

    /// Where its Outlook on the web is: the global one also at `outlook.cloud.microsoft`
    /// (Microsoft 365's move to `*.cloud.microsoft`) and, for personal accounts,
    /// `outlook.live.com`.
    pub fn outlook_web_hosts(self) -> &'static [&'static str] {
        match self {
            Cloud::Global => &[
                "outlook.cloud.microsoft",
                "outlook.office.com",
                "outlook.office365.com",
                "outlook.live.com",
            ],
            Cloud::UsGov => &["outlook.office365.us"],
            Cloud::UsGovDod => &["webmail.apps.mil", "outlook-dod.office365.us"],
            Cloud::China => &["partner.outlook.cn"],
        }
    }

    /// The cloud `host` signs people in for (US Government L4 for the hosts L4 and L5 share).
    pub fn of_authority(host: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| {
            c.authority_hosts()
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host))
        })
    }
}

/// Every Outlook on the web host of every cloud: where the in-mail banner runs and the add-in
/// is loaded.
pub fn outlook_web_hosts() -> impl Iterator<Item = &'static str> {
    Cloud::ALL
        .into_iter()
        .flat_map(|c| c.outlook_web_hosts().iter().copied())
}

/// Where a connection's resources are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Microsoft Graph's origin.
    pub graph: String,
    /// Exchange Online's origin.
    pub exchange: String,
    /// The cloud, when not this computer.
    pub cloud: Option<Cloud>,
}

/// How the app is registered in Microsoft Entra, which fixes the refresh token's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Redirect URI under "Single-page application": tokens redeemed cross-origin (with an
    /// `Origin` header); refresh tokens live 24 h from the sign-in. Tokenwatch renews them
    /// silently (`prompt=none`) while the person's Microsoft session lives.
    Spa,
    /// Redirect URI under "Mobile and desktop applications": redeemed without `Origin`
    /// (the extension strips it from its own token requests); 90 days sliding.
    PublicClient,
}

impl Registration {
    /// Its name, as stored and offered on the options page.
    pub fn name(self) -> &'static str {
        match self {
            Registration::Spa => "spa",
            Registration::PublicClient => "public_client",
        }
    }

    /// The registration called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Registration::Spa, Registration::PublicClient]
            .into_iter()
            .find(|r| r.name() == name)
    }

    /// What the person is told about this choice.
    pub fn horizon_words(self) -> &'static str {
        match self {
            Registration::Spa => {
                "sign-ins last 24 hours; Tokenwatch renews them silently while you stay signed in to Microsoft in this browser"
            }
            Registration::PublicClient => {
                "renews silently for as long as it is used at least every 90 days"
            }
        }
    }
}

/// What a connection's access token is for, and so what its check calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Microsoft Graph: the signed-in user's profile (`User.Read`). The default: Exchange
    /// Online blocks EWS for most tenants since 1 October 2026 and switches it off on 1 April
    /// 2027 (Message Center MC1227454).
    Graph,
    /// Exchange Web Services in Exchange Online (`EWS.AccessAsUser.All`), for tenants that set
    /// `EWSEnabled` and allow-listed the app, until 1 April 2027.
    Exchange,
    /// Exchange Server on premises through hybrid modern authentication, at the configured EWS
    /// address (its scope is that host's `/EWS.AccessAsUser.All`; on-premises EWS is not being
    /// retired).
    ExchangeOnPremises,
}

impl Resource {
    /// Every resource, in the options page's order.
    pub const ALL: [Resource; 3] = [
        Resource::Graph,
        Resource::Exchange,
        Resource::ExchangeOnPremises,
    ];

    /// Its name, as stored and offered on the options page.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Graph => "graph",
            Resource::Exchange => "exchange",
            Resource::ExchangeOnPremises => "exchange_on_premises",
        }
    }

    /// The resource called `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Resource::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Its name for people.
    pub fn title(self) -> &'static str {
        match self {
            Resource::Graph => "Microsoft Graph",
            Resource::Exchange => "Exchange Online (EWS)",
            Resource::ExchangeOnPremises => "Exchange on premises (EWS)",
        }
    }

    /// The scope a sign-in asks for. A national cloud's Graph scope names its Graph host
    /// ("Microsoft Graph national cloud deployments"); the global one is the short form.
    pub fn scope(self, endpoints: &Endpoints, ews_url: &Url) -> String {
        match self {
            Resource::Graph => match endpoints.cloud {
                Some(c) if c != Cloud::Global => format!("https://{}/User.Read", c.graph_host()),
                _ => "User.Read".into(),
            },
            Resource::Exchange => match endpoints.cloud {
                Some(c) if c != Cloud::Global => {
                    format!("https://{}/EWS.AccessAsUser.All", c.exchange_host())
                }
                _ => "https://outlook.office365.com/EWS.AccessAsUser.All".into(),
            },
            Resource::ExchangeOnPremises => format!(
                "{}/EWS.AccessAsUser.All",
                ews_url.origin().ascii_serialization()
            ),
        }
    }

    /// Where its check goes: Graph's `/v1.0/me`, or the EWS endpoint.
    pub fn probe_url(self, endpoints: &Endpoints, ews_url: &Url) -> String {
        match self {
            Resource::Graph => format!("{}/v1.0/me?$select=id,userPrincipalName", endpoints.graph),
            Resource::Exchange => format!("{}/EWS/Exchange.asmx", endpoints.exchange),
            Resource::ExchangeOnPremises => ews_url.to_string(),
        }
    }
}

/// The Microsoft app registration Tokenwatch signs in with.
#[derive(Debug, Clone)]
pub struct MicrosoftApp {
    /// The application (client) id.
    pub client_id: String,
    /// Where people sign in.
    pub authority: Authority,
    /// How the redirect URI is registered.
    pub registration: Registration,
    /// What new connections' access tokens are for, unless chosen when adding one.
    pub resource: Resource,
    /// The national cloud, when the authority host does not say (US Government L5 shares L4's).
    pub cloud: Option<Cloud>,
    /// The EWS address of an on-premises Exchange Server.
    pub ews_url: Url,
    /// `https://<extension-id>.chromiumapp.org/microsoft`.
    pub redirect: Url,
}

impl MicrosoftApp {
    /// Every scope a sign-in for `resource` asks for (at `ews_url` on premises).
    pub fn scopes(&self, resource: Resource, ews_url: &Url) -> Vec<Scope> {
        let endpoints = self.authority.endpoints(self.cloud);
        BASE_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .chain([resource.scope(&endpoints, ews_url)])
            .map(Scope::new)
            .collect()
    }
}

/// Where a Microsoft sign-in goes and what it is for. `None` fields take the app's settings.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The authority; a renewal pins the account's own tenant.
    pub authority: Option<Authority>,
    /// The tenant a new account is added from, when not the configured one.
    pub tenant: Option<Tenant>,
    /// What the access token is for.
    pub resource: Option<Resource>,
    /// The on-premises EWS address.
    pub ews_url: Option<Url>,
    /// The national cloud.
    pub cloud: Option<Cloud>,
}

pub use crate::oauth::{ErrorResponse, message_only};

/// Parses an EWS address: https only (http only on this computer, for the simulator).
pub fn parse_ews_url(s: &str) -> Result<Url, SetupError> {
    let url = parse_ascii_url(s.trim()).ok_or(SetupError::Ews)?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(SetupError::Ews),
    }
}

/// A number of seconds, as a JSON number or a string of digits (Microsoft has sent both).
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct Seconds;
    impl<'de> serde::de::Visitor<'de> for Seconds {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number of seconds")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
            Ok(Some(n))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
            u64::try_from(n)
                .map(Some)
                .map_err(|_| E::custom("not a number of seconds"))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            s.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::custom("not a number of seconds"))
        }
    }
    d.deserialize_option(Seconds)
}

/// The token endpoint's answer, in Microsoft's shape.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct TokenResponse {
    access_token: AccessToken,
    #[serde(deserialize_with = "crate::salesforce::token_type")]
    token_type: BasicTokenType,
    /// Seconds the access token lives (60–90 minutes).
    #[serde(default, deserialize_with = "seconds")]
    pub expires_in: Option<u64>,
    /// Seconds the access token stays usable during an outage of the token service.
    #[serde(default, deserialize_with = "seconds")]
    pub ext_expires_in: Option<u64>,
    /// Seconds after which a refresh is advised.
    #[serde(default, deserialize_with = "seconds")]
    pub refresh_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(
        default,
        deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec",
        serialize_with = "oauth2::helpers::serialize_space_delimited_vec",
        skip_serializing_if = "Option::is_none"
    )]
    scope: Option<Vec<Scope>>,
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

impl TokenResponse {
    /// The access token.
    pub fn access(&self) -> &AccessToken {
        &self.access_token
    }
    /// The refresh token, when `offline_access` was granted.
    pub fn refresh(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    /// The ID token, when `openid` was granted.
    pub fn id_token(&self) -> Option<&str> {
        self.id_token.as_deref()
    }

    /// When the access token should be refreshed, measured from `received` (local receive
    /// time, never the provider's clock): at `refresh_in` when given, else five minutes before
    /// `expires_in` runs out, else in an hour.
    pub fn refresh_due(&self, received: Timestamp) -> Timestamp {
        let secs = match (self.refresh_in, self.expires_in) {
            (Some(r), _) => r,
            (None, Some(e)) => e.saturating_sub(300).max(60),
            (None, None) => 3600,
        };
        received.plus(Duration::from_secs(secs))
    }
}

/// Why an ID token was refused. None of these show the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// No `id_token` although `openid` was asked for.
    #[error("Microsoft returned no ID token")]
    Missing,
    /// Not three base64url parts with JSON inside.
    #[error("the ID token is malformed")]
    Malformed,
    /// `alg: none` (or no `alg`): an unsigned token is never accepted.
    #[error("the ID token is unsigned")]
    Unsigned,
    /// `aud` is not this app's client id.
    #[error("the ID token was issued to another application")]
    Audience,
    /// `iss` is not the authority's issuer for the token's tenant.
    #[error("the ID token comes from an unexpected issuer")]
    Issuer,
    /// `nonce` is not the one this sign-in sent (a replayed or injected token).
    #[error("the ID token does not belong to this sign-in")]
    Nonce,
    /// `exp` has passed.
    #[error("the ID token has expired")]
    Expired,
    /// The tenant is not the configured one.
    #[error("the account belongs to another Microsoft tenant than the configured one")]
    Tenant,
    /// A claim Tokenwatch needs is missing or malformed.
    #[error("the ID token lacks its {0} claim")]
    Claim(&'static str),
    /// An id inside it is malformed.
    #[error(transparent)]
    Id(#[from] IdError),
}

/// What an ID token must match.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// This app's client id (`aud`).
    pub client_id: &'a str,
    /// The authority the sign-in went to.
    pub authority: &'a Authority,
    /// The nonce this sign-in sent.
    pub nonce: &'a str,
    /// Now, for `exp`.
    pub now: Timestamp,
}

/// Who signed in, from a checked ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `tid`.
    pub tenant: TenantId,
    /// `oid`.
    pub object: ObjectId,
    /// `preferred_username`, e.g. `ada@contoso.example`.
    pub username: String,
    /// `name`.
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    alg: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    aud: Option<serde_json::Value>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    tid: Option<String>,
    #[serde(default)]
    oid: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

fn part<T: for<'de> Deserialize<'de>>(b64: &str) -> Result<T, IdTokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| IdTokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| IdTokenError::Malformed)
}

/// Checks an ID token received straight from the token endpoint over TLS. OpenID Connect Core
/// §3.1.3.7 lets such a client rely on TLS for the issuer instead of the signature, so the
/// signature is not verified (that would need Microsoft's signing keys); everything else is:
/// `alg` is not `none`, `aud`, `iss` for the token's own tenant, `nonce`, `exp`, and the tenant
/// against a single-tenant authority.
pub fn check_id_token(token: &str, expect: &Expect<'_>) -> Result<Identity, IdTokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed);
    };
    let header: Header = part(header)?;
    match header.alg.as_deref() {
        None => return Err(IdTokenError::Unsigned),
        Some(alg) if alg.eq_ignore_ascii_case("none") => return Err(IdTokenError::Unsigned),
        Some(_) => {}
    }
    let claims: Claims = part(payload)?;
    let audience_ok = match &claims.aud {
        Some(serde_json::Value::String(a)) => a == expect.client_id,
        Some(serde_json::Value::Array(all)) => {
            all.len() == 1 && all[0].as_str() == Some(expect.client_id)
        }
        _ => false,
    };
    if !audience_ok {
        return Err(IdTokenError::Audience);
    }
    let tenant = TenantId::parse(claims.tid.as_deref().ok_or(IdTokenError::Claim("tid"))?)?;
    if claims.iss.as_deref() != Some(expect.authority.issuer(&tenant).as_str()) {
        return Err(IdTokenError::Issuer);
    }
    if let Tenant::Id(configured) = &expect.authority.tenant {
        if *configured != tenant {
            return Err(IdTokenError::Tenant);
        }
    }
    match claims.nonce.as_deref() {
        Some(n) if crate::flow::constant_time_eq(n.as_bytes(), expect.nonce.as_bytes()) => {}
        _ => return Err(IdTokenError::Nonce),
    }
    let exp = claims.exp.ok_or(IdTokenError::Claim("exp"))?;
    let exp = Timestamp::from_millis(exp.saturating_mul(1000));
    if expect.now.is_later_than(exp, SKEW) {
        return Err(IdTokenError::Expired);
    }
    let object = ObjectId::parse(claims.oid.as_deref().ok_or(IdTokenError::Claim("oid"))?)?;
    let username = claims
        .preferred_username
        .filter(|u| !u.trim().is_empty())
        .ok_or(IdTokenError::Claim("preferred_username"))?;
    Ok(Identity {
        tenant,
        object,
        username: crate::flow::plain_text(&username),
        name: claims.name.as_deref().map(crate::flow::plain_text),
    })
}

/// The oauth2 client for one Microsoft authority. Microsoft has no revocation endpoint a
/// public client may call, so none is set.
pub type Client = oauth2::Client<
    ErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A public client (no secret) with PKCE: the client id goes in the request body.
pub fn client(app: &MicrosoftApp, authority: &Authority) -> Client {
    oauth2::Client::new(ClientId::new(app.client_id.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::from_url(authority.authorize_url()))
        .set_token_uri(TokenUrl::from_url(authority.token_url()))
        .set_redirect_uri(RedirectUrl::from_url(app.redirect.clone()))
}

/// The AADSTS number in an `error_description` ("AADSTS700084: The refresh token was …"), if
/// any. Used to explain, never to branch the protocol.
pub fn aadsts(description: &str) -> Option<u32> {
    let at = description.find("AADSTS")?;
    let digits: String = description[at + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
    const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const OID: &str = "00000000-0000-0000-66f3-3332eca7ea81";
    const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);

    fn b64(v: serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn token(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!("{}.{}.c2ln", b64(header), b64(claims))
    }

    fn good_claims() -> serde_json::Value {
        serde_json::json!({
            "aud": CLIENT,
            "iss": format!("https://login.microsoftonline.com/{TID}/v2.0"),
            "nonce": "n-0S6_WzA2Mj",
            "exp": NOW.as_millis() / 1000 + 3600,
            "iat": NOW.as_millis() / 1000,
            "tid": TID,
            "oid": OID,
            "preferred_username": "ada@contoso.example",
            "name": "Ada Lovelace",
        })
    }

    fn with(key: &str, value: serde_json::Value) -> serde_json::Value {
        let mut c = good_claims();
        c[key] = value;
        c
    }

    fn check(t: &str, authority: &Authority) -> Result<Identity, IdTokenError> {
        check_id_token(
            t,
            &Expect {
                client_id: CLIENT,
                authority,
                nonce: "n-0S6_WzA2Mj",
                now: NOW,
            },
        )
    }

    fn rs256() -> serde_json::Value {
        serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "k1"})
    }

    #[test]
    fn a_good_id_token_names_tenant_object_and_username() {
        let common = Authority::public_cloud(Tenant::Common);
        let id = check(&token(rs256(), good_claims()), &common).unwrap();
        assert_eq!(id.tenant.as_str(), TID);
        assert_eq!(id.object.as_str(), OID);
        assert_eq!(id.username, "ada@contoso.example");
        assert_eq!(id.name.as_deref(), Some("Ada Lovelace"));
    }

    #[test]
    fn every_id_token_rule_refuses_its_violation() {
        let common = Authority::public_cloud(Tenant::Common);
        let cases = [
            (
                token(serde_json::json!({"alg": "none"}), good_claims()),
                IdTokenError::Unsigned,
            ),
            (
                token(serde_json::json!({"typ": "JWT"}), good_claims()),
                IdTokenError::Unsigned,
            ),
            (
                token(rs256(), with("aud", "someone-else".into())),
                IdTokenError::Audience,
            ),
            (
                token(
                    rs256(),
                    with("iss", "https://evil.example/{TID}/v2.0".into()),
                ),
                IdTokenError::Issuer,
            ),
            (
                token(rs256(), with("nonce", "replayed".into())),
                IdTokenError::Nonce,
            ),
            (
                token(rs256(), with("nonce", serde_json::Value::Null)),
                IdTokenError::Nonce,
            ),
            (
                token(rs256(), with("exp", (NOW.as_millis() / 1000 - 3600).into())),
                IdTokenError::Expired,
            ),
            (
                token(rs256(), with("oid", serde_json::Value::Null)),
                IdTokenError::Claim("oid"),
            ),
            ("a.b".into(), IdTokenError::Malformed),
            ("a.b.c.d".into(), IdTokenError::Malformed),
            ("!!.??.x".into(), IdTokenError::Malformed),
        ];
        for (t, want) in cases {
            assert_eq!(check(&t, &common), Err(want));
        }
        let other = Authority::public_cloud(Tenant::Id(
            TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap(),
        ));
        assert_eq!(
            check(&token(rs256(), good_claims()), &other),
            Err(IdTokenError::Tenant),
            "a pinned tenant must match the token's"
        );
        let national = Authority {
            host: HttpsOrigin::parse("login.microsoftonline.us").unwrap(),
            tenant: Tenant::Common,
        };
        assert_eq!(
            check(&token(rs256(), good_claims()), &national),
            Err(IdTokenError::Issuer),
            "the issuer is the configured host with the token's tenant"
        );
    }

    #[test]
    fn tenants_parse_the_four_shapes_and_nothing_else() {
        assert_eq!(Tenant::parse("common"), Ok(Tenant::Common));
        assert_eq!(Tenant::parse(" Organizations "), Ok(Tenant::Organizations));
        assert_eq!(
            Tenant::parse(&TID.to_ascii_uppercase()).unwrap().as_str(),
            TID
        );
        assert_eq!(
            Tenant::parse("Contoso.onmicrosoft.com"),
            Ok(Tenant::Domain("contoso.onmicrosoft.com".into()))
        );
        for bad in [
            "",
            "contoso",
            "a/b",
            "x..y",
            "-a.com",
            "ünï.com",
            "a.com/../x",
        ] {
            assert_eq!(Tenant::parse(bad), Err(SetupError::Tenant), "{bad}");
        }
    }

    #[test]
    fn endpoints_follow_the_authority_and_tenant() {
        let a = Authority {
            host: HttpsOrigin::parse("login.microsoftonline.us").unwrap(),
            tenant: Tenant::Organizations,
        };
        assert_eq!(
            a.authorize_url().as_str(),
            "https://login.microsoftonline.us/organizations/oauth2/v2.0/authorize"
        );
        assert_eq!(
            a.token_url().as_str(),
            "https://login.microsoftonline.us/organizations/oauth2/v2.0/token"
        );
        let pinned = a.for_tenant(&TenantId::parse(TID).unwrap());
        assert_eq!(
            pinned.token_url().as_str(),
            format!("https://login.microsoftonline.us/{TID}/oauth2/v2.0/token")
        );
        assert_eq!(
            a.issuer(&TenantId::parse(TID).unwrap()),
            format!("https://login.microsoftonline.us/{TID}/v2.0")
        );
    }

    #[test]
    fn token_responses_accept_numbers_or_strings_for_lifetimes() {
        let r: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","scope":"User.Read","expires_in":"4398","ext_expires_in":4398,"access_token":"a","refresh_token":"r","id_token":"i"}"#,
        )
        .unwrap();
        assert_eq!(r.expires_in, Some(4398));
        assert_eq!(r.ext_expires_in, Some(4398));
        assert_eq!(r.refresh_due(NOW), NOW.plus(Duration::from_secs(4098)));
        let with_refresh_in: TokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":3600,"refresh_in":1800,"access_token":"a"}"#,
        )
        .unwrap();
        assert_eq!(
            with_refresh_in.refresh_due(NOW),
            NOW.plus(Duration::from_secs(1800))
        );
        assert!(
            serde_json::from_str::<TokenResponse>(
                r#"{"token_type":"Bearer","expires_in":"soon","access_token":"a"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn hostile_token_responses_are_typed_errors_or_safe_values() {
        let parse = |s: &str| serde_json::from_str::<TokenResponse>(s);
        let base = r#""token_type":"Bearer","access_token":"a""#;
        assert!(
            parse(&format!("{{{base},\"expires_in\":-1}}")).is_err(),
            "negative"
        );
        assert!(
            parse(&format!("{{{base},\"expires_in\":1e300}}")).is_err(),
            "huge float"
        );
        assert!(parse(&format!("{{{base},\"expires_in\":\"-5\"}}")).is_err());
        let max = parse(&format!("{{{base},\"expires_in\":18446744073709551615}}")).unwrap();
        assert_eq!(
            max.refresh_due(NOW),
            Timestamp::from_millis(i64::MAX),
            "saturates instead of overflowing"
        );
        assert!(
            parse(r#"{"token_type":"Bearer","access_token":"a","access_token":"b"}"#).is_err(),
            "duplicate keys are refused, not last-wins"
        );
        assert!(parse(r#"{"access_token":"a"}"#).is_err(), "no token_type");
        assert!(
            parse(r#"{"token_type":"Bearer","access_token":7}"#).is_err(),
            "wrong type"
        );
    }

    #[test]
    fn a_huge_id_token_is_checked_without_trouble() {
        let common = Authority::public_cloud(Tenant::Common);
        let mut claims = good_claims();
        claims["padding"] = "x".repeat(2 * 1024 * 1024).into();
        let t = token(rs256(), claims);
        assert!(t.len() > 2_000_000);
        // Parsed and checked like any other (the nonce matches, so it passes the checks): the
        // size alone is no crash; the transport caps bodies at 1 MiB before this point.
        assert!(check(&t, &common).is_ok());
        assert_eq!(
            check(&format!("{}.%%%.x", b64(rs256())), &common),
            Err(IdTokenError::Malformed),
            "a payload that is not base64url"
        );
    }

    #[test]
    fn national_clouds_have_their_own_graph_exchange_outlook_and_issuer_hosts() {
        let tid = TenantId::parse(TID).unwrap();
        let at = |host: &str| Authority {
            host: HttpsOrigin::parse(host).unwrap(),
            tenant: Tenant::Organizations,
        };
        let global = at("login.microsoftonline.com");
        assert_eq!(
            global.issuer(&tid),
            format!("https://login.microsoftonline.com/{TID}/v2.0")
        );
        let e = global.endpoints(None);
        assert_eq!(
            (e.graph.as_str(), e.exchange.as_str()),
            (
                "https://graph.microsoft.com",
                "https://outlook.office365.com"
            )
        );
        let gov = at("login.microsoftonline.us");
        assert_eq!(
            gov.issuer(&tid),
            format!("https://login.microsoftonline.us/{TID}/v2.0")
        );
        assert_eq!(gov.endpoints(None).graph, "https://graph.microsoft.us");
        assert_eq!(
            gov.endpoints(Some(Cloud::UsGovDod)).graph,
            "https://dod-graph.microsoft.us",
            "L5 shares L4's sign-in host but not its Graph"
        );
        assert_eq!(
            Resource::Graph.scope(&gov.endpoints(None), &Url::parse(DEFAULT_EWS_URL).unwrap()),
            "https://graph.microsoft.us/User.Read"
        );
        // China: tokens issued by the partner host whichever alias signed in.
        for host in ["login.chinacloudapi.cn", "login.partner.microsoftonline.cn"] {
            assert_eq!(
                at(host).issuer(&tid),
                format!("https://login.partner.microsoftonline.cn/{TID}/v2.0"),
                "{host}"
            );
            let e = at(host).endpoints(None);
            assert_eq!(
                (e.graph.as_str(), e.exchange.as_str()),
                (
                    "https://microsoftgraph.chinacloudapi.cn",
                    "https://partner.outlook.cn"
                )
            );
        }
        // This computer (the simulator) serves everything and issues under its own origin.
        let local = at("http://127.0.0.1:17300");
        assert_eq!(
            local.issuer(&tid),
            format!("http://127.0.0.1:17300/{TID}/v2.0")
        );
        assert_eq!(local.endpoints(None).graph, "http://127.0.0.1:17300");
        let hosts: Vec<&str> = outlook_web_hosts().collect();
        for h in [
            "outlook.cloud.microsoft",
            "outlook.office.com",
            "outlook.office365.com",
            "outlook.live.com",
            "outlook.office365.us",
            "webmail.apps.mil",
            "outlook-dod.office365.us",
            "partner.outlook.cn",
        ] {
            assert!(hosts.contains(&h), "{h}");
        }
    }

    #[test]
    fn error_bodies_are_read_as_microsoft_writes_them() {
        let body = r#"{"error":"invalid_grant","error_description":"AADSTS50173: The provided grant has expired due to it being revoked.\r\nTrace ID: 0000aaaa-11bb-cccc-dd33-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-11-29 02:02:12Z","error_codes":[50173],"timestamp":"2026-11-29 02:02:12Z","trace_id":"0000aaaa-11bb-cccc-dd33-eeeeee333333","correlation_id":"aaaa0000-bb11-2222-33cc-444444dddddd","error_uri":"https://login.microsoftonline.com/error?code=50173"}"#;
        let e: ErrorResponse = serde_json::from_str(body).unwrap();
        assert_eq!(e.error_codes, [50173]);
        assert_eq!(
            e.correlation_id.as_deref(),
            Some("aaaa0000-bb11-2222-33cc-444444dddddd")
        );
        assert_eq!(
            message_only(e.error_description.as_deref().unwrap()),
            "AADSTS50173: The provided grant has expired due to it being revoked."
        );
        assert_eq!(
            message_only(
                "AADSTS7000218: The request body must contain 'client_secret'. Trace ID: 6ee9 Correlation ID: 521b"
            ),
            "AADSTS7000218: The request body must contain 'client_secret'.",
            "some bodies use spaces"
        );
    }

    #[test]
    fn aadsts_numbers_are_read_for_explanation_only() {
        assert_eq!(
            aadsts("AADSTS700084: The refresh token was issued to a single page app (SPA)..."),
            Some(700084)
        );
        assert_eq!(aadsts("no number here"), None);
        assert_eq!(aadsts("AADSTS"), None);
    }

    #[test]
    fn scopes_are_openid_profile_offline_access_and_the_resource() {
        let app = MicrosoftApp {
            client_id: CLIENT.into(),
            authority: Authority::public_cloud(Tenant::Organizations),
            registration: Registration::Spa,
            resource: Resource::Graph,
            cloud: None,
            ews_url: parse_ews_url(DEFAULT_EWS_URL).unwrap(),
            redirect: Url::parse("https://x.chromiumapp.org/microsoft").unwrap(),
        };
        let scopes = |r: Resource, ews: &str| -> Vec<String> {
            app.scopes(r, &Url::parse(ews).unwrap())
                .iter()
                .map(|s| s.to_string())
                .collect()
        };
        assert_eq!(
            scopes(Resource::Graph, DEFAULT_EWS_URL),
            ["openid", "profile", "offline_access", "User.Read"]
        );
        assert_eq!(
            scopes(Resource::Exchange, DEFAULT_EWS_URL)[3],
            "https://outlook.office365.com/EWS.AccessAsUser.All"
        );
        assert_eq!(
            scopes(
                Resource::ExchangeOnPremises,
                "https://mail.contoso.com/EWS/Exchange.asmx"
            )[3],
            "https://mail.contoso.com/EWS.AccessAsUser.All",
            "hybrid modern authentication: the on-premises host's EWS scope"
        );
        assert_eq!(
            parse_ews_url("http://outlook.example/EWS"),
            Err(SetupError::Ews)
        );
        assert!(parse_ews_url("http://127.0.0.1:17300/EWS/Exchange.asmx").is_ok());
    }
}
