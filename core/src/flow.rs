//! The authorization-code flow with PKCE, independent of provider: the pending authorization a
//! sign-in starts with, and the checks its callback must pass before a code is redeemed.

use crate::ports::Entropy;
use crate::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::Duration;
use url::Url;

/// How long a started sign-in may take before its `state` is refused. Long enough for a person
/// to find their password and pass MFA; short enough that a stolen `state` goes stale.
pub const STATE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Longest provider error text carried to the person; the rest is cut.
const MAX_PROVIDER_TEXT: usize = 300;

/// Why a callback URL was refused. Provider text is kept as plain text, never markup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The callback did not come back to the exact redirect URL this sign-in used (RFC 9700
    /// §4.4: a distinct redirect per provider is the mix-up defence).
    #[error("the sign-in answer came back to an unexpected address")]
    WrongRedirect,
    /// `state` missing or not the one this sign-in sent (RFC 6749 §10.12, CSRF).
    #[error("the sign-in answer does not belong to the sign-in that was started")]
    StateMismatch,
    /// The sign-in took longer than [`STATE_LIFETIME`].
    #[error("the sign-in took too long; start it again")]
    Expired,
    /// The provider answered `error=…` (RFC 6749 §4.1.2.1).
    #[error("the provider refused the sign-in ({error}){}", description_suffix(.description))]
    Denied {
        /// The `error` code, e.g. `access_denied`.
        error: String,
        /// The `error_description`, as plain text.
        description: Option<String>,
    },
    /// No `code` parameter, or an empty one.
    #[error("the sign-in answer has no authorization code")]
    MissingCode,
    /// A parameter that must appear once appeared more than once.
    #[error("the sign-in answer carries more than one `{0}`")]
    Repeated(&'static str),
    /// `iss` names another authorization server than the one this sign-in went to (RFC 9207
    /// §2.4, the mix-up defence beside the per-provider redirect path).
    #[error("the sign-in answer comes from another sign-in service than the one that was opened")]
    WrongIssuer,
}

fn description_suffix(d: &Option<String>) -> String {
    d.as_ref().map(|d| format!(": {d}")).unwrap_or_default()
}

/// Provider text for display: control characters dropped, length capped.
pub fn plain_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(MAX_PROVIDER_TEXT)
        .collect()
}

/// `n` random bytes as unpadded base64url.
fn random_b64url(entropy: &impl Entropy, n: usize) -> String {
    let mut buf = vec![0u8; n];
    entropy.fill(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A sign-in that has been started and not yet completed. It is consumed by
/// [`PendingAuthorization::complete`], so a `state` can be redeemed once only.
pub struct PendingAuthorization {
    state: CsrfToken,
    verifier: PkceCodeVerifier,
    nonce: String,
    redirect: Url,
    issuer_origin: Option<String>,
    started: Timestamp,
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("redirect", &self.redirect.as_str())
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

impl PendingAuthorization {
    /// Draws a fresh `state` (256 bits, above the 128 RFC 6749 §10.10 asks), PKCE verifier
    /// (32 bytes → 43 characters, RFC 7636 §4.1) and OpenID Connect `nonce` (256 bits).
    pub fn new(entropy: &impl Entropy, redirect: Url, now: Timestamp) -> Self {
        Self {
            state: CsrfToken::new(random_b64url(entropy, 32)),
            verifier: PkceCodeVerifier::new(random_b64url(entropy, 32)),
            nonce: random_b64url(entropy, 32),
            redirect,
            issuer_origin: None,
            started: now,
        }
    }

    /// Requires an `iss` in the callback, when the provider sends one, to be on `origin` (the
    /// authorization server this sign-in opens). Its exact value may name the account's
    /// tenant, which is not known before the sign-in, so the origin is what is compared.
    pub fn with_issuer_origin(mut self, origin: String) -> Self {
        self.issuer_origin = Some(origin);
        self
    }

    /// The `state` to send.
    pub fn state(&self) -> &CsrfToken {
        &self.state
    }

    /// The `nonce` to send with `openid`; the ID token must carry it back.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The S256 challenge to send; `plain` is never offered (RFC 9700 §2.1.1).
    pub fn challenge(&self) -> PkceCodeChallenge {
        PkceCodeChallenge::from_code_verifier_sha256(&self.verifier)
    }

    /// The redirect URL this sign-in uses.
    pub fn redirect(&self) -> &Url {
        &self.redirect
    }

    /// Checks `callback` and yields the code with the verifier that redeems it.
    pub fn complete(
        self,
        callback: &Url,
        now: Timestamp,
    ) -> Result<(AuthorizationCode, PkceCodeVerifier), CallbackError> {
        if !same_endpoint(callback, &self.redirect) {
            return Err(CallbackError::WrongRedirect);
        }
        let params = Params::of(callback);
        let state = params.once("state")?.ok_or(CallbackError::StateMismatch)?;
        if !constant_time_eq(state.as_bytes(), self.state.secret().as_bytes()) {
            return Err(CallbackError::StateMismatch);
        }
        if now.is_later_than(self.started, STATE_LIFETIME) || now < self.started {
            return Err(CallbackError::Expired);
        }
        if let (Some(iss), Some(origin)) = (params.once("iss")?, &self.issuer_origin) {
            let same = crate::host::parse_ascii_url(&iss)
                .is_some_and(|u| u.origin().ascii_serialization() == *origin);
            if !same {
                return Err(CallbackError::WrongIssuer);
            }
        }
        if let Some(error) = params.once("error")? {
            let description = params.once("error_description")?.map(|d| plain_text(&d));
            return Err(CallbackError::Denied {
                error: plain_text(&error),
                description,
            });
        }
        match params.once("code")? {
            Some(code) if !code.is_empty() => Ok((AuthorizationCode::new(code), self.verifier)),
            _ => Err(CallbackError::MissingCode),
        }
    }
}

/// Scheme, host, port and path equal; the query and fragment carry the answer.
fn same_endpoint(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && a.username().is_empty()
        && a.password().is_none()
}

/// Compares the SHA-256 digests, so the time taken says nothing about where inputs differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    Sha256::digest(a) == Sha256::digest(b)
}

struct Params(Vec<(String, String)>);

impl Params {
    fn of(url: &Url) -> Self {
        Self(
            url.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn once(&self, name: &'static str) -> Result<Option<String>, CallbackError> {
        let mut found = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = found.next().cloned();
        if found.next().is_some() {
            Err(CallbackError::Repeated(name))
        } else {
            Ok(first)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::CountingEntropy;

    const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn redirect() -> Url {
        Url::parse("https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce").unwrap()
    }

    fn pending() -> PendingAuthorization {
        PendingAuthorization::new(&CountingEntropy::default(), redirect(), T0)
    }

    fn callback(p: &PendingAuthorization, query: &str) -> Url {
        let q = query.replace("{state}", p.state().secret());
        Url::parse(&format!("{}?{q}", redirect())).unwrap()
    }

    #[test]
    fn rfc7636_appendix_b_known_answer() {
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method().as_str(), "S256");
    }

    #[test]
    fn state_and_verifier_are_256_bits_of_base64url() {
        let p = pending();
        assert_eq!(p.state().secret().len(), 43);
        assert_eq!(p.verifier.secret().len(), 43);
        assert_ne!(p.state().secret(), p.verifier.secret());
        assert!(
            p.state()
                .secret()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn a_matching_callback_yields_the_code() {
        let p = pending();
        let cb = callback(&p, "code=aPrxYXyxzkuBzbiK&state={state}");
        let (code, verifier) = p.complete(&cb, T0.plus(Duration::from_secs(30))).unwrap();
        assert_eq!(code.secret(), "aPrxYXyxzkuBzbiK");
        assert_eq!(verifier.secret().len(), 43);
    }

    #[test]
    fn wrong_missing_or_repeated_state_is_refused() {
        let p = pending();
        let cb = callback(&p, "code=c&state=forged");
        assert_eq!(
            p.complete(&cb, T0).unwrap_err(),
            CallbackError::StateMismatch
        );
        let p = pending();
        let cb = callback(&p, "code=c");
        assert_eq!(
            p.complete(&cb, T0).unwrap_err(),
            CallbackError::StateMismatch
        );
        let p = pending();
        let cb = callback(&p, "code=c&state={state}&state={state}");
        assert_eq!(
            p.complete(&cb, T0).unwrap_err(),
            CallbackError::Repeated("state")
        );
    }

    #[test]
    fn an_expired_sign_in_is_refused() {
        let p = pending();
        let cb = callback(&p, "code=c&state={state}");
        let late = T0.plus(STATE_LIFETIME + Duration::from_secs(1));
        assert_eq!(p.complete(&cb, late).unwrap_err(), CallbackError::Expired);
    }

    #[test]
    fn a_callback_to_another_path_or_host_is_refused() {
        let p = pending();
        let q = format!("code=c&state={}", p.state().secret());
        for other in [
            "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/microsoft",
            "https://evil.example/salesforce",
            "http://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce",
        ] {
            let cb = Url::parse(&format!("{other}?{q}")).unwrap();
            let p2 = PendingAuthorization {
                state: p.state.clone(),
                ..pending()
            };
            assert_eq!(
                p2.complete(&cb, T0).unwrap_err(),
                CallbackError::WrongRedirect,
                "{other}"
            );
        }
    }

    #[test]
    fn an_iss_from_another_server_is_refused_and_a_matching_one_accepted() {
        let origin = "https://login.microsoftonline.com".to_owned();
        let p = pending().with_issuer_origin(origin.clone());
        let cb = callback(
            &p,
            "code=c&state={state}&iss=https%3A%2F%2Fevil.example%2Ftenant%2Fv2.0",
        );
        assert_eq!(p.complete(&cb, T0).unwrap_err(), CallbackError::WrongIssuer);
        let p = pending().with_issuer_origin(origin.clone());
        let cb = callback(
            &p,
            "code=c&state={state}&iss=https%3A%2F%2Flogin.microsoftonline.com%2Ft%2Fv2.0",
        );
        assert!(p.complete(&cb, T0).is_ok());
        let p = pending().with_issuer_origin(origin);
        let cb = callback(&p, "code=c&state={state}");
        assert!(p.complete(&cb, T0).is_ok(), "iss is checked when present");
        let p = pending().with_issuer_origin("https://login.microsoftonline.com".into());
        let cb = callback(&p, "code=c&state={state}&iss=a&iss=b");
        assert_eq!(
            p.complete(&cb, T0).unwrap_err(),
            CallbackError::Repeated("iss")
        );
    }

    #[test]
    fn the_nonce_is_256_bits_and_distinct_from_state() {
        let p = pending();
        assert_eq!(p.nonce().len(), 43);
        assert_ne!(p.nonce(), p.state().secret());
    }

    #[test]
    fn missing_empty_or_doubled_code_is_refused() {
        let p2 = pending();
        let cb = callback(&p2, "state={state}");
        assert_eq!(
            p2.complete(&cb, T0).unwrap_err(),
            CallbackError::MissingCode
        );
        let p3 = pending();
        let cb = callback(&p3, "code=&state={state}");
        assert_eq!(
            p3.complete(&cb, T0).unwrap_err(),
            CallbackError::MissingCode
        );
        let p4 = pending();
        let cb = callback(&p4, "code=a&code=b&state={state}");
        assert_eq!(
            p4.complete(&cb, T0).unwrap_err(),
            CallbackError::Repeated("code")
        );
    }

    #[test]
    fn provider_errors_are_kept_as_plain_capped_text() {
        let p = pending();
        let cb = callback(
            &p,
            "error=access_denied&error_description=%3Cb%3Eend-user%3C%2Fb%3E%0Adenied&state={state}",
        );
        let err = p.complete(&cb, T0).unwrap_err();
        assert_eq!(
            err,
            CallbackError::Denied {
                error: "access_denied".into(),
                description: Some("<b>end-user</b>denied".into()),
            }
        );
        assert_eq!(
            err.to_string(),
            "the provider refused the sign-in (access_denied): <b>end-user</b>denied"
        );
        assert_eq!(plain_text(&"x".repeat(1000)).len(), MAX_PROVIDER_TEXT);
    }
}
