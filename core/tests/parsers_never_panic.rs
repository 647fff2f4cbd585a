//! Property tests: every parser of outside input returns a typed result for any input, and never
//! panics. (Bounded work for huge inputs is pinned where the size limits live.)

use proptest::prelude::*;
use tokenwatch_core::flow::PendingAuthorization;
use tokenwatch_core::messages::Envelope;
use tokenwatch_core::microsoft::{self, Authority, Tenant};
use tokenwatch_core::salesforce::{self, LoginHost, TokenResponse};
use tokenwatch_core::testing::CountingEntropy;
use tokenwatch_core::time::Timestamp;
use url::Url;

const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn login_hosts_parse_or_say_why(input in ".{0,80}") {
        if let Ok(host) = LoginHost::parse(&input) {
            // What is accepted round-trips through its stored form.
            prop_assert_eq!(LoginHost::parse(&host.origin()), Ok(host.clone()));
            prop_assert!(host.origin().starts_with("https://") || host.origin().starts_with("http://"));
        }
    }

    #[test]
    fn callbacks_with_arbitrary_queries_never_yield_a_code_without_the_state(query in "[a-z_=&%0-9A-F]{0,120}") {
        let pending = PendingAuthorization::new(&CountingEntropy::default(), Url::parse(REDIRECT).unwrap(), Timestamp::from_millis(0));
        if let Ok(url) = Url::parse(&format!("{REDIRECT}?{query}")) {
            prop_assert!(pending.complete(&url, Timestamp::from_millis(1)).is_err());
        }
    }

    #[test]
    fn token_responses_parse_into_a_type_or_an_error(body in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(r) = serde_json::from_slice::<TokenResponse>(&body) {
            let _ = r.validate(&LoginHost::production());
        }
    }

    #[test]
    fn token_like_json_with_arbitrary_fields_validates_without_panicking(
        issued_at in ".{0,24}", id in ".{0,80}", instance in ".{0,60}", token_type in "[A-Za-z]{0,10}",
    ) {
        let body = serde_json::json!({
            "access_token": "a", "refresh_token": "r", "instance_url": instance, "id": id,
            "issued_at": issued_at, "token_type": token_type, "scope": "api refresh_token",
        });
        if let Ok(r) = serde_json::from_value::<TokenResponse>(body) {
            let _ = r.validate(&LoginHost::production());
        }
    }

    #[test]
    fn identity_urls_split_or_fail(id in ".{0,100}") {
        let _ = salesforce::parse_identity_url(&id);
    }

    #[test]
    fn messages_decode_or_are_refused(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(text) = std::str::from_utf8(&raw) {
            let _ = Envelope::decode(text);
        }
    }

    #[test]
    fn microsoft_tenants_parse_or_say_why(input in ".{0,80}") {
        if let Ok(t) = Tenant::parse(&input) {
            prop_assert_eq!(Tenant::parse(t.as_str()), Ok(t.clone()));
            prop_assert!(!t.as_str().contains('/'));
        }
    }

    #[test]
    fn microsoft_token_responses_parse_into_a_type_or_an_error(body in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(r) = serde_json::from_slice::<microsoft::TokenResponse>(&body) {
            let _ = r.refresh_due(Timestamp::from_millis(0));
        }
    }

    #[test]
    fn id_tokens_are_checked_without_panicking(
        header in "[A-Za-z0-9_-]{0,60}", payload in "[A-Za-z0-9_-]{0,200}", sig in "[A-Za-z0-9_.-]{0,20}",
        claims in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        use base64::Engine as _;
        let authority = Authority::public_cloud(Tenant::Common);
        let expect = microsoft::Expect { client_id: "c", authority: &authority, nonce: "n", now: Timestamp::from_millis(0) };
        let _ = microsoft::check_id_token(&format!("{header}.{payload}.{sig}"), &expect);
        // Well-formed base64 around arbitrary bytes.
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let t = format!("{}.{}.x", b64.encode(br#"{"alg":"RS256"}"#), b64.encode(&claims));
        prop_assert!(microsoft::check_id_token(&t, &expect).is_err());
    }

    #[test]
    fn microsoft_errors_always_get_a_cause(error in "[a-z_]{0,24}", description in ".{0,200}") {
        let ctx = tokenwatch_core::provider::shared::Context { org: None, redirect: "https://x.chromiumapp.org/microsoft", expired_by_policy: false };
        let cause = tokenwatch_core::provider::microsoft::client::diagnose(&error, Some(&description), &ctx);
        prop_assert!(!cause.text(tokenwatch_core::ids::Provider::Microsoft).is_empty());
        let _ = microsoft::aadsts(&description);
    }
}
