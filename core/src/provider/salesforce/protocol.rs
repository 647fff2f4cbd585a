//! Salesforce's OAuth 2.0 rules: login hosts, its token response shape, identity URLs and
//! userinfo.
//!
//! Salesforce's token response differs from RFC 6749 §5.1 in ways the core must respect ("OAuth
//! 2.0 Web Server Flow for Web App Integration", Salesforce Help): there is no `expires_in` (the
//! access token lives for the org's session timeout, 2 h by default, and validity is learned by
//! using it), `issued_at` is epoch milliseconds *as a string*, and `instance_url` and `id` say
//! which org and user the tokens belong to.

use crate::host::{HostError, HttpsOrigin, parse_ascii_url};
use crate::ids::{IdError, OrgId, UserId};
use crate::time::Timestamp;
use oauth2::basic::{
    BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, ClientId, EndpointNotSet, EndpointSet, RedirectUrl,
    RefreshToken, RevocationUrl, Scope, StandardRevocableToken, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;
use url::{Host, Url};

/// Production orgs sign in here.
pub const PRODUCTION_HOST: &str = "login.salesforce.com";
/// Sandboxes sign in here.
pub const SANDBOX_HOST: &str = "test.salesforce.com";
/// Scopes Tokenwatch asks for ("OAuth Tokens and Scopes", `xcloud.remoteaccess_oauth_tokens_scopes.htm`):
/// API access, the identity service its check calls (`id`: "a connected app with the id scope
/// … can send a GET request with the access token to the identity URL",
/// `xcloud.remoteaccess_using_openid.htm`; userinfo is the same service in OpenID Connect's
/// shape), and a refresh token. The connected app's Selected OAuth Scopes must include all
/// three, or Salesforce ends the sign-in on its error page.
pub const SCOPES: [&str; 3] = ["api", "id", "refresh_token"];

/// Scopes that open the identity service: `id`, its synonyms `profile`, `email`, `address`
/// and `phone`, OpenID Connect's `openid`, and `full`, which covers every scope.
const IDENTITY_SCOPES: [&str; 7] = [
    "id", "profile", "email", "address", "phone", "openid", "full",
];

/// Domains Salesforce serves orgs from; an `instance_url` elsewhere is refused unless it is on
/// the configured login host itself.
const SALESFORCE_DOMAINS: [&str; 4] = [
    "salesforce.com",
    "force.com",
    "cloudforce.com",
    "salesforce.mil",
];

/// Where a Salesforce org signs in: production, sandbox, a My Domain, or a custom host. Stored
/// as its origin (`https://host[:port]`).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LoginHost(HttpsOrigin);

/// What kind of login host this is, for labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKind {
    /// `login.salesforce.com`.
    Production,
    /// `test.salesforce.com`.
    Sandbox,
    /// `*.sandbox.my.salesforce.com`.
    SandboxMyDomain,
    /// `*.my.salesforce.com`.
    MyDomain,
    /// A loopback host (the simulator, a local test).
    Local,
    /// Anything else.
    Custom,
}

impl LoginHost {
    /// `https://login.salesforce.com`.
    pub fn production() -> Self {
        Self::parse(PRODUCTION_HOST).expect("constant host parses")
    }

    /// `https://test.salesforce.com`.
    pub fn sandbox() -> Self {
        Self::parse(SANDBOX_HOST).expect("constant host parses")
    }

    /// Accepts `mycompany.my.salesforce.com`, `https://mycompany.my.salesforce.com/` or, for
    /// this computer only, `http://127.0.0.1:8080`.
    pub fn parse(input: &str) -> Result<Self, HostError> {
        HttpsOrigin::parse(input).map(Self)
    }

    /// `https://host[:port]`, without a trailing slash.
    pub fn origin(&self) -> String {
        self.0.origin()
    }

    /// The host name alone.
    pub fn host(&self) -> &str {
        self.0.host()
    }

    /// Which kind of login host this is.
    pub fn kind(&self) -> HostKind {
        let host = self.host();
        match () {
            _ if self.0.is_loopback() => HostKind::Local,
            _ if host == PRODUCTION_HOST => HostKind::Production,
            _ if host == SANDBOX_HOST => HostKind::Sandbox,
            _ if host.ends_with(".sandbox.my.salesforce.com") => HostKind::SandboxMyDomain,
            _ if host.ends_with(".my.salesforce.com") => HostKind::MyDomain,
            _ => HostKind::Custom,
        }
    }

    /// `/services/oauth2/authorize`.
    pub fn authorize_url(&self) -> Url {
        self.0.endpoint("/services/oauth2/authorize")
    }
    /// `/services/oauth2/token`.
    pub fn token_url(&self) -> Url {
        self.0.endpoint("/services/oauth2/token")
    }
    /// `/services/oauth2/revoke`.
    pub fn revoke_url(&self) -> Url {
        self.0.endpoint("/services/oauth2/revoke")
    }

    /// Whether tokens issued through this login host may name `instance_url` as their org's
    /// address. An attacker-controlled `instance_url` would receive the access token on every
    /// probe, so only Salesforce's own domains or the login host's own origin are accepted.
    pub fn accepts_instance(&self, instance: &Url) -> bool {
        if self.0.is_origin_of(instance) {
            return true;
        }
        instance.scheme() == "https"
            && instance.username().is_empty()
            && instance.port().is_none()
            && matches!(instance.host(), Some(Host::Domain(d))
                if SALESFORCE_DOMAINS.iter().any(|s| d.strip_suffix(s).is_some_and(|p| p.ends_with('.'))))
    }
}

impl fmt::Debug for LoginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginHost({})", self.origin())
    }
}

impl fmt::Display for LoginHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

/// The Salesforce app (connected app or external client app) Tokenwatch signs in with.
#[derive(Debug, Clone)]
pub struct SalesforceApp {
    /// The consumer key (a public client: no secret).
    pub consumer_key: String,
    /// `https://<extension-id>.chromiumapp.org/salesforce`.
    pub redirect: Url,
    /// What "Production" means: `login.salesforce.com` (a build may point it elsewhere).
    pub production: LoginHost,
    /// What "Sandbox" means: `test.salesforce.com`.
    pub sandbox: LoginHost,
    /// One consumer key shared by every org Tokenwatch signs in to (an app installed in more
    /// than two customer production orgs), so Salesforce's partner requirements bind it:
    /// refresh token rotation and a 30-day idle limit on refresh tokens ("Secure Your
    /// Connected Apps and External Client Apps", ISVforce Guide). New connections then
    /// declare "expire if not used for 30 days", and no declaration lifts that limit.
    pub shared: bool,
}

/// The idle limit Salesforce's partner requirements put on a shared app's refresh tokens
/// (`xcloud.connected_app_limit_idle_ttl.htm`).
pub const SHARED_APP_IDLE_DAYS: u32 = 30;

impl SalesforceApp {
    /// The app with Salesforce's own production and sandbox login hosts.
    pub fn new(consumer_key: String, redirect: Url) -> Self {
        Self {
            consumer_key,
            redirect,
            production: LoginHost::production(),
            sandbox: LoginHost::sandbox(),
            shared: false,
        }
    }

    /// Whether `host` is a login page many orgs share (production or sandbox) rather than one
    /// org's My Domain: an org may refuse sign-ins there.
    pub fn is_shared_login(&self, host: &LoginHost) -> bool {
        *host == self.production
            || *host == self.sandbox
            || matches!(host.kind(), HostKind::Production | HostKind::Sandbox)
    }
}

/// The token endpoint's answer, in Salesforce's shape.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct TokenResponse {
    access_token: AccessToken,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    /// The org's own address: API calls and userinfo go here.
    pub instance_url: String,
    /// `https://<login host>/id/<orgId>/<userId>`.
    pub id: String,
    /// Epoch milliseconds, as a string.
    pub issued_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(deserialize_with = "token_type")]
    token_type: BasicTokenType,
    #[serde(
        default,
        deserialize_with = "oauth2::helpers::deserialize_space_delimited_vec",
        serialize_with = "oauth2::helpers::serialize_space_delimited_vec",
        skip_serializing_if = "Option::is_none"
    )]
    scope: Option<Vec<Scope>>,
}

/// `token_type`, case-insensitively (RFC 6749 §5.1), as oauth2's own helper reads it but
/// without going through a `serde_json::Value` and the full Unicode case tables: the types that
/// matter (`bearer`, `mac`) are ASCII.
pub(crate) fn token_type<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BasicTokenType, D::Error> {
    let mut name = String::deserialize(d)?;
    name.make_ascii_lowercase();
    Ok(match name.as_str() {
        "bearer" => BasicTokenType::Bearer,
        "mac" => BasicTokenType::Mac,
        _ => BasicTokenType::Extension(name),
    })
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;
    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    /// Salesforce never says; see the module docs.
    fn expires_in(&self) -> Option<Duration> {
        None
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scope.as_ref()
    }
}

/// Why a Salesforce answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// `issued_at` is not epoch milliseconds.
    #[error("the token response's issue time is not a number of milliseconds")]
    IssuedAt,
    /// `id` is not `https://host/id/<orgId>/<userId>`.
    #[error("the token response's identity URL is malformed")]
    IdentityUrl,
    /// The ids inside `id` are not Salesforce ids.
    #[error(transparent)]
    Id(#[from] IdError),
    /// `instance_url` is not a URL or not on a Salesforce host or the login host.
    #[error("the org address {0} is not on a Salesforce host; the tokens were not used")]
    ForeignInstance(String),
    /// The token response has no refresh token: the connected app lacks the `refresh_token`
    /// scope, so the connection could never be renewed without the person.
    #[error(
        "Salesforce issued no refresh token: the connected app must allow the \"Perform requests at any time (refresh_token, offline_access)\" scope"
    )]
    NoRefreshToken,
    /// Userinfo named another org or user than the token response.
    #[error("Salesforce's user information names a different user or org than the sign-in")]
    IdentityMismatch,
}

/// What a successful sign-in established about the org and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The organization.
    pub org: OrgId,
    /// The user.
    pub user: UserId,
    /// The org's address, checked against the login host.
    pub instance_url: Url,
    /// When Salesforce says it issued the tokens.
    pub issued_at: Timestamp,
}

impl TokenResponse {
    /// Checks the parts of the answer the core relies on. The tokens are not looked at.
    pub fn validate(&self, host: &LoginHost) -> Result<Grant, ResponseError> {
        let issued_at = self
            .issued_at
            .parse::<i64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Timestamp::from_millis)
            .ok_or(ResponseError::IssuedAt)?;
        let (org, user) = parse_identity_url(&self.id)?;
        let instance_url = parse_ascii_url(&self.instance_url)
            .filter(|u| host.accepts_instance(u))
            .ok_or_else(|| {
                ResponseError::ForeignInstance(crate::flow::plain_text(&self.instance_url))
            })?;
        Ok(Grant {
            org,
            user,
            instance_url,
            issued_at,
        })
    }

    /// The access token.
    pub fn access(&self) -> &AccessToken {
        &self.access_token
    }

    /// The refresh token, when the `refresh_token` scope was granted.
    pub fn refresh(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// Whether the granted `scope` includes the identity service; `None` when Salesforce did
    /// not say which scopes it granted.
    pub fn grants_identity(&self) -> Option<bool> {
        self.scope
            .as_ref()
            .map(|all| all.iter().any(|s| IDENTITY_SCOPES.contains(&s.as_str())))
    }
}

/// Splits `https://host/id/<orgId>/<userId>` into its ids.
pub fn parse_identity_url(id: &str) -> Result<(OrgId, UserId), ResponseError> {
    let url = parse_ascii_url(id).ok_or(ResponseError::IdentityUrl)?;
    let segments: Vec<&str> = url
        .path_segments()
        .ok_or(ResponseError::IdentityUrl)?
        .collect();
    match segments.as_slice() {
        ["id", org, user] => Ok((OrgId::parse(org)?, UserId::parse(user)?)),
        _ => Err(ResponseError::IdentityUrl),
    }
}

/// `GET {instance_url}/services/oauth2/userinfo` ("UserInfo Endpoint", Salesforce Help): who
/// the token belongs to. A 200 here is also the proof that the access token works.
#[derive(Debug, Clone, Deserialize)]
pub struct UserInfo {
    /// The username, e.g. `ada@acme.example`.
    pub preferred_username: String,
    /// The org id.
    pub organization_id: String,
    /// The user id.
    pub user_id: String,
    /// The person's display name.
    #[serde(default)]
    pub name: Option<String>,
}

impl UserInfo {
    /// Userinfo must name the same org and user as the token response.
    pub fn check(&self, grant: &Grant) -> Result<(), ResponseError> {
        if self.organization_id == grant.org.as_str() && self.user_id == grant.user.as_str() {
            Ok(())
        } else {
            Err(ResponseError::IdentityMismatch)
        }
    }
}

/// The userinfo URL of an org.
pub fn userinfo_url(instance: &Url) -> Url {
    let mut url = instance.clone();
    url.set_path("/services/oauth2/userinfo");
    url.set_query(None);
    url
}

/// The oauth2 client for one Salesforce login host.
pub type Client = oauth2::Client<
    crate::oauth::ErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointSet,
>;

/// A public client (no secret) with PKCE: the consumer key goes in the request body.
pub fn client(consumer_key: &str, redirect: &Url, host: &LoginHost) -> Client {
    oauth2::Client::new(ClientId::new(consumer_key.to_owned()))
        .set_auth_type(AuthType::RequestBody)
        .set_auth_uri(AuthUrl::from_url(host.authorize_url()))
        .set_token_uri(TokenUrl::from_url(host.token_url()))
        .set_revocation_url(RevocationUrl::from_url(host.revoke_url()))
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_hosts_accept_the_salesforce_shapes() {
        let cases = [
            (
                "login.salesforce.com",
                "https://login.salesforce.com",
                HostKind::Production,
            ),
            (
                "https://test.salesforce.com/",
                "https://test.salesforce.com",
                HostKind::Sandbox,
            ),
            (
                " acme.my.salesforce.com ",
                "https://acme.my.salesforce.com",
                HostKind::MyDomain,
            ),
            (
                "acme--uat.sandbox.my.salesforce.com",
                "https://acme--uat.sandbox.my.salesforce.com",
                HostKind::SandboxMyDomain,
            ),
            (
                "sso.acme.example",
                "https://sso.acme.example",
                HostKind::Custom,
            ),
            (
                "http://127.0.0.1:17300",
                "http://127.0.0.1:17300",
                HostKind::Local,
            ),
            (
                "http://localhost:8080/",
                "http://localhost:8080",
                HostKind::Local,
            ),
        ];
        for (input, origin, kind) in cases {
            let h = LoginHost::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(h.origin(), origin);
            assert_eq!(h.kind(), kind, "{input}");
        }
    }

    #[test]
    fn login_hosts_refuse_everything_else_with_a_reason() {
        let cases = [
            ("", HostError::Empty),
            ("   ", HostError::Empty),
            ("http://acme.my.salesforce.com", HostError::NotHttps),
            ("http://10.0.0.1", HostError::NotHttps),
            (
                "https://acme.my.salesforce.com/services",
                HostError::NotOrigin,
            ),
            ("https://acme.my.salesforce.com/?x=1", HostError::NotOrigin),
            (
                "https://user:pw@acme.my.salesforce.com",
                HostError::NotOrigin,
            ),
            ("acme.my.salesforce.com#frag", HostError::NotOrigin),
            ("ftp://acme.my.salesforce.com", HostError::Invalid),
            ("localhostish", HostError::Invalid),
            ("https://10.0.0.1", HostError::Invalid),
            ("exa mple.com", HostError::Invalid),
            ("A¡", HostError::NotAscii),
            ("bücher.my.salesforce.com", HostError::NotAscii),
        ];
        for (input, err) in cases {
            assert_eq!(LoginHost::parse(input), Err(err), "{input:?}");
        }
    }

    #[test]
    fn instance_urls_must_be_salesforce_or_the_login_host() {
        let prod = LoginHost::production();
        let ok = [
            "https://acme.my.salesforce.com",
            "https://na1.salesforce.com",
            "https://acme.lightning.force.com",
        ];
        for u in ok {
            assert!(prod.accepts_instance(&Url::parse(u).unwrap()), "{u}");
        }
        let bad = [
            "https://evil.example",
            "https://salesforce.com.evil.example",
            "https://evilsalesforce.com",
            "http://acme.my.salesforce.com",
            "https://acme.my.salesforce.com:8443",
            "http://127.0.0.1:9999",
        ];
        for u in bad {
            assert!(!prod.accepts_instance(&Url::parse(u).unwrap()), "{u}");
        }
        let local = LoginHost::parse("http://127.0.0.1:17300").unwrap();
        assert!(local.accepts_instance(&Url::parse("http://127.0.0.1:17300").unwrap()));
        assert!(!local.accepts_instance(&Url::parse("http://127.0.0.1:17301").unwrap()));
    }

    const RESPONSE: &str = r#"{
        "access_token":"00D5g000004ABCD!AQ0AQ.access",
        "refresh_token":"5Aep861refresh",
        "signature":"d2Vp1lqJ0v0Nf7+o8z5qQ8u9aMmF/3WwX0sE7zL0P3k=",
        "scope":"refresh_token api",
        "instance_url":"https://acme.my.salesforce.com",
        "id":"https://login.salesforce.com/id/00D5g000004ABCDEAZ/0055g000004ABCDEAZ",
        "token_type":"Bearer",
        "issued_at":"1700000000123"
    }"#;

    #[test]
    fn the_real_response_shape_parses_and_validates() {
        let r: TokenResponse = serde_json::from_str(RESPONSE).unwrap();
        use oauth2::TokenResponse as _;
        assert_eq!(r.expires_in(), None);
        assert_eq!(r.token_type(), &BasicTokenType::Bearer);
        assert_eq!(r.scopes().unwrap().len(), 2);
        let g = r.validate(&LoginHost::production()).unwrap();
        assert_eq!(g.org.as_str(), "00D5g000004ABCDEAZ");
        assert_eq!(g.user.as_str(), "0055g000004ABCDEAZ");
        assert_eq!(g.issued_at, Timestamp::from_millis(1_700_000_000_123));
        assert_eq!(g.instance_url.as_str(), "https://acme.my.salesforce.com/");
        let debug = format!("{r:?}");
        assert!(
            !debug.contains("AQ0AQ.access") && !debug.contains("5Aep861refresh"),
            "{debug}"
        );
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        let with = |k: &str, v: &str| -> TokenResponse {
            let mut j: serde_json::Value = serde_json::from_str(RESPONSE).unwrap();
            j[k] = serde_json::Value::String(v.into());
            serde_json::from_value(j).unwrap()
        };
        let host = LoginHost::production();
        assert_eq!(
            with("issued_at", "yesterday").validate(&host),
            Err(ResponseError::IssuedAt)
        );
        assert_eq!(
            with("issued_at", "-5").validate(&host),
            Err(ResponseError::IssuedAt)
        );
        assert_eq!(
            with("id", "https://x/id/00D5g000004ABCDEAZ").validate(&host),
            Err(ResponseError::IdentityUrl)
        );
        assert!(matches!(
            with("id", "https://x/id/005/00D").validate(&host),
            Err(ResponseError::Id(_))
        ));
        assert!(matches!(
            with("instance_url", "https://evil.example").validate(&host),
            Err(ResponseError::ForeignInstance(u)) if u == "https://evil.example"
        ));
    }

    #[test]
    fn userinfo_url_replaces_path_and_query() {
        let u = userinfo_url(&Url::parse("https://acme.my.salesforce.com/x?y=1").unwrap());
        assert_eq!(
            u.as_str(),
            "https://acme.my.salesforce.com/services/oauth2/userinfo"
        );
    }
}
