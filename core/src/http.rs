//! HTTP as the engine needs it: 5xx and 429 are transient whatever their body says, a
//! `Retry-After` in seconds is honoured, and a response body is described, never quoted (it may
//! hold tokens).

use crate::error::EngineError;
use crate::flow::plain_text;
use crate::ids::Provider;
use crate::status::Refusal;
use oauth2::http::{StatusCode, header};
use oauth2::{AsyncHttpClient, RequestTokenError};

/// Whether `status` is a provider that is down or throttling.
pub(crate) fn is_transient(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// `Retry-After` in seconds, when the answer gives one as seconds (RFC 9110 §10.2.3; the date
/// form is rare from these providers and is treated as absent). Microsoft Graph sends
/// fractions ("2.128", "Microsoft Graph throttling guidance"): rounded up.
pub(crate) fn retry_after(response: &oauth2::HttpResponse) -> Option<u64> {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(seconds_up)
}

/// `2`, `2.128` or `2.` as whole seconds, rounded up; `None` for anything else.
fn seconds_up(text: &str) -> Option<u64> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    Some(whole.saturating_add(u64::from(fraction.bytes().any(|b| b != b'0'))))
}

/// A failed request that is not an OAuth answer: unreachable, or transient.
pub(crate) fn unreachable(provider: Provider, response: &oauth2::HttpResponse) -> EngineError {
    EngineError::Unreachable {
        provider,
        reason: format!("HTTP {}", response.status().as_u16()),
        retry_after: retry_after(response),
    }
}

/// An OAuth error body as a [`Refusal`], as plain text.
pub(crate) trait ToRefusal {
    /// What the provider said.
    fn refusal(&self) -> Refusal;
}

impl ToRefusal for crate::oauth::ErrorResponse {
    fn refusal(&self) -> Refusal {
        let id = |s: &Option<String>| s.as_deref().map(plain_text);
        Refusal {
            error: plain_text(&self.error),
            description: self
                .error_description
                .as_deref()
                .map(|d| plain_text(crate::oauth::message_only(d))),
            codes: self.error_codes.clone(),
            trace_id: id(&self.trace_id),
            correlation_id: id(&self.correlation_id),
            timestamp: id(&self.timestamp),
        }
    }
}

/// Maps the oauth2 crate's error without ever keeping the response body, which may hold tokens.
pub(crate) fn token_error<E: oauth2::ErrorResponse + ToRefusal>(
    provider: Provider,
) -> impl Fn(RequestTokenError<TransportError, E>) -> EngineError {
    move |e| match e {
        RequestTokenError::ServerResponse(r) => EngineError::Refused {
            provider,
            refusal: Box::new(r.refusal()),
        },
        RequestTokenError::Request(e) => {
            let retry_after = match &e {
                TransportError::Status { retry_after, .. } => *retry_after,
                TransportError::Network(_) => None,
            };
            EngineError::Unreachable {
                provider,
                reason: e.to_string(),
                retry_after,
            }
        }
        RequestTokenError::Parse(_, body) => {
            EngineError::BadResponse(provider, describe_body(&body).into())
        }
        RequestTokenError::Other(_) => EngineError::BadResponse(
            provider,
            "the token endpoint did not answer with JSON".into(),
        ),
    }
}

/// What the token endpoint's transport produced instead of an OAuth answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TransportError {
    /// 5xx or 429: the provider is down or throttling; whatever the body says, this is
    /// transient and never a reason to ask the person to sign in.
    #[error("HTTP {status}{}", .retry_after.map(|s| format!(", retry after {s} s")).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// `Retry-After` in seconds, when given as seconds.
        retry_after: Option<u64>,
    },
    /// No response at all.
    #[error("{0}")]
    Network(String),
}

/// The ports' HTTP client, with 5xx and 429 answers turned into transport errors before the
/// oauth2 crate reads them as OAuth refusals.
pub(crate) struct Classified<'h, H>(pub(crate) &'h H);

impl<'c, 'h: 'c, H: AsyncHttpClient<'c>> AsyncHttpClient<'c> for Classified<'h, H> {
    type Error = TransportError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, TransportError>> + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        let response = self.0.call(request);
        Box::pin(async move {
            let response = response
                .await
                .map_err(|e| TransportError::Network(plain_text(&e.to_string())))?;
            let status = response.status();
            if is_transient(status) {
                return Err(TransportError::Status {
                    status: status.as_u16(),
                    retry_after: retry_after(&response),
                });
            }
            Ok(response)
        })
    }
}

/// Says what kind of non-JSON body arrived, without quoting it.
pub(crate) fn describe_body(body: &[u8]) -> &'static str {
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype") {
        "an HTML page instead of JSON, as a proxy or an outage page would send"
    } else if serde_json::from_slice::<serde_json::Value>(body).is_ok() {
        "JSON without the expected fields"
    } else {
        "a body that is not JSON"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_read_in_whole_seconds_rounded_up() {
        assert_eq!(seconds_up("120"), Some(120));
        assert_eq!(seconds_up(" 2.128 "), Some(3));
        assert_eq!(seconds_up("2.000"), Some(2));
        assert_eq!(seconds_up("2."), Some(2));
        for bad in [
            "",
            ".5",
            "-1",
            "1e3",
            "Wed, 21 Oct 2026 07:28:00 GMT",
            "2.1x",
        ] {
            assert_eq!(seconds_up(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bodies_are_described_never_quoted() {
        assert_eq!(
            describe_body(b"<!DOCTYPE html><title>502</title>"),
            "an HTML page instead of JSON, as a proxy or an outage page would send"
        );
        assert_eq!(
            describe_body(br#"{"access_token":"secret"}"#),
            "JSON without the expected fields"
        );
        assert_eq!(
            describe_body(b"access_token=secret"),
            "a body that is not JSON"
        );
    }
}
