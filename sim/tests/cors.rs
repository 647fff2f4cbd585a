//! The simulator's CORS rules, which decide whether the Outlook add-in (a web page) may call
//! the providers at all.

use http::{Method, Request, StatusCode, header};
use tokenwatch_sim::{Config, Sim};

const ADDIN: &str = "http://127.0.0.1:17401";

fn sim() -> Sim {
    let callbacks = vec![
        "https://aenijjbppdciepplnmbnkldooemgnadd.chromiumapp.org/salesforce".to_owned(),
        format!("{ADDIN}/auth/salesforce.html"),
    ];
    Sim::new(
        Config::demo("key", callbacks),
        "http://127.0.0.1",
        Sim::system_clock(),
    )
}

fn preflight(sim: &Sim, path: &str, origin: &str) -> http::Response<Vec<u8>> {
    sim.handle(
        Request::builder()
            .method(Method::OPTIONS)
            .uri(path)
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Vec::new())
            .unwrap(),
    )
}

#[test]
fn salesforce_answers_only_the_origins_on_its_allowlist() {
    let sim = sim();
    let ok = preflight(&sim, "/services/oauth2/userinfo", ADDIN);
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(ok.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], ADDIN);
    assert!(
        ok.headers()[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let other = preflight(&sim, "/services/oauth2/userinfo", "http://127.0.0.1:9999");
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(
        other
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    let token = sim.handle(
        Request::builder()
            .method(Method::POST)
            .uri("/services/oauth2/token")
            .header(header::ORIGIN, "http://127.0.0.1:9999")
            .body(b"grant_type=refresh_token&refresh_token=x&client_id=key".to_vec())
            .unwrap(),
    );
    assert!(
        token
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[test]
fn microsoft_answers_every_origin_and_lists_the_addins_redirect() {
    let sim = sim();
    let ok = preflight(
        &sim,
        "/organizations/oauth2/v2.0/token",
        "http://127.0.0.1:9999",
    );
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    let authorize = sim.handle(
        Request::builder()
            .uri(format!(
                "/organizations/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri={ADDIN}/auth/microsoft.html&scope=openid&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
                tokenwatch_sim::MS_SPA_CLIENT_ID
            ))
            .body(Vec::new())
            .unwrap(),
    );
    // The login form, not AADSTS50011 (redirect URI not registered).
    let body = String::from_utf8_lossy(authorize.body());
    assert!(!body.contains("AADSTS50011"), "{body}");
    assert_eq!(authorize.status(), StatusCode::OK);
}
