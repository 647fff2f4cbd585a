//! Connecting and checking a Salesforce org, end to end against the in-process simulator.

mod common;

use tokenwatch_core::messages::ErrorCode;

use common::{CLIENT_ID, REDIRECT, SIM_URL, block_on, world};
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::ports::Store;
use tokenwatch_core::status::Tone;
use tokenwatch_core::{Engine, EngineError};
use tokenwatch_sim::{Faults, TokenFault};

fn sim_login() -> LoginChoice {
    LoginChoice::Custom {
        host: SIM_URL.into(),
    }
}

#[test]
fn connecting_stores_one_healthy_connection_with_username_and_org() {
    let w = world();
    let view = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    assert_eq!(view.id.as_str(), "sf:00D5g000004AcmeEAA:0055g000004AdaXEAA");
    assert_eq!(view.username, "ada@acme.example");
    assert_eq!(view.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(view.org_id, "00D5g000004AcmeEAA");
    assert_eq!(view.label, "Local org at http://127.0.0.1:17300");
    assert_eq!(view.status.title, "Token valid");
    assert_eq!(view.status.tone, Tone::Ok);
    assert_eq!(block_on(w.engine.list()).unwrap(), vec![view]);
    let c = w.sim.counters();
    assert_eq!((c.code_exchanges, c.userinfo, c.refreshes), (1, 1, 0));
}

#[test]
fn the_authorization_request_uses_pkce_s256_state_and_the_salesforce_path() {
    let w = world();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    let opened = w.engine.ports().identity.opened.borrow();
    let url = &opened[0];
    assert_eq!(url.origin().ascii_serialization(), SIM_URL);
    assert_eq!(url.path(), "/services/oauth2/authorize");
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], REDIRECT);
    assert_eq!(q["scope"], "api id refresh_token");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert_eq!(q["state"].len(), 43);
}

#[test]
fn the_code_exchange_is_exactly_the_pkce_form() {
    let w = world();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    let log = w.engine.ports().http.log.borrow();
    let (uri, body) = &log[0];
    assert_eq!(uri, "http://127.0.0.1:17300/services/oauth2/token");
    // CountingEntropy draws bytes 1..=32 for `state` and 33..=64 for the verifier.
    assert_eq!(
        body,
        "grant_type=authorization_code&code=aPrxd7a0cee7b61eb0e3e4776e245cfafbfba1cb\
         &code_verifier=ISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0-P0A\
         &client_id=tokenwatch-test\
         &redirect_uri=https%3A%2F%2Fabcdefghijklmnopabcdefghijklmnop.chromiumapp.org%2Fsalesforce"
    );
    assert_eq!(log[1].0, "http://127.0.0.1:17300/services/oauth2/userinfo");
}

fn assert_nothing_stored(w: &common::World) {
    assert!(block_on(w.engine.list()).unwrap().is_empty());
    assert!(w.engine.ports().store.dump().is_empty());
}

#[test]
fn a_rejected_login_is_a_cancelled_sign_in_and_stores_nothing() {
    let w = world();
    *w.engine.ports().identity.password.borrow_mut() = "wrong".into();
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(
        err.to_string().starts_with(
            "The sign-in window was closed before Salesforce sent Tokenwatch an answer."
        ),
        "{err}"
    );
    assert!(
        !err.to_string().contains("My Domain"),
        "a custom login host is not a shared login page: {err}"
    );
    assert_nothing_stored(&w);
}

#[test]
fn a_tampered_state_is_refused_and_the_code_never_redeemed() {
    let w = world();
    w.sim.set_faults(Faults {
        tamper_state: true,
        ..Faults::default()
    });
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::StateMismatch);
    assert_eq!(w.sim.counters().code_exchanges, 0);
    assert_nothing_stored(&w);
}

#[test]
fn token_responses_that_are_not_json_are_refused_without_quoting_them() {
    for (fault, code, words) in [
        (TokenFault::NotJson, ErrorCode::BadResponse, "not JSON"),
        (
            TokenFault::HtmlPage,
            ErrorCode::BadResponse,
            "did not answer with JSON",
        ),
        (TokenFault::Outage, ErrorCode::Unreachable, "HTTP 503"),
    ] {
        let w = world();
        w.sim.set_faults(Faults {
            token: Some(fault),
            ..Faults::default()
        });
        let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
        assert_eq!(err.code(), code, "{fault:?}");
        let msg = err.to_string();
        assert!(msg.contains(words), "{fault:?}: {msg}");
        assert!(
            !msg.contains("access_token=") && !msg.contains("<h1>"),
            "{msg}"
        );
        assert_nothing_stored(&w);
    }
}

#[test]
fn an_instance_url_off_the_login_host_is_refused() {
    let w = world();
    w.sim.set_base_url("https://evil.example");
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the org address https://evil.example is not on a Salesforce host; the tokens were not used"
    );
    assert_eq!(
        w.sim.counters().userinfo,
        0,
        "the access token must not be sent there"
    );
    assert_nothing_stored(&w);
}

#[test]
fn a_bad_custom_host_is_refused_before_any_window_opens() {
    let w = world();
    let err = block_on(w.engine.connect_salesforce(&LoginChoice::Custom {
        host: "http://acme.example".into(),
    }))
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::BadHost);
    assert_eq!(err.view().field.as_deref(), Some("login_host"));
    assert!(w.engine.ports().identity.opened.borrow().is_empty());
}

#[test]
fn without_a_consumer_key_nothing_starts() {
    let w = world();
    let engine = Engine::new(common::fresh_ports(w.engine.ports()), None);
    let err = block_on(engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(
        err,
        EngineError::NotConfigured(tokenwatch_core::ids::Provider::Salesforce)
    );
}

#[test]
fn connecting_the_same_user_again_replaces_the_connection() {
    let w = world();
    let first = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    w.clock.advance_ms(60_000);
    let second = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    assert_eq!(first.id, second.id);
    assert_eq!(second.connected_at, first.connected_at);
    assert!(second.checked_at > first.checked_at);
    assert_eq!(block_on(w.engine.list()).unwrap().len(), 1);
    *w.engine.ports().identity.username.borrow_mut() = "grace@globex.example".into();
    block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    assert_eq!(block_on(w.engine.list()).unwrap().len(), 2);
}

#[test]
fn check_refreshes_an_expired_access_token_and_keeps_the_refresh_token() {
    let w = world();
    let view = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    let before = w.engine.ports().store.dump();
    w.clock.advance_ms(3 * 60 * 60 * 1000);
    let after = block_on(w.engine.check(&view.id)).unwrap();
    assert_eq!(after.status.title, "Token valid");
    assert_eq!(w.sim.counters().refreshes, 1);
    let stored = w.engine.ports().store.dump();
    assert_ne!(before, stored, "a new access token was stored");
    let conn = common::stored(&w, &view.id);
    let refresh = conn.tokens.refresh.secret();
    assert!(
        w.sim.refresh_token_is_live(refresh),
        "Salesforce sent no new refresh token: the old one stays"
    );
    // A second check within the session needs no refresh.
    block_on(w.engine.check(&view.id)).unwrap();
    assert_eq!(w.sim.counters().refreshes, 1);
}

#[test]
fn a_revoked_refresh_token_makes_the_connection_need_sign_in_with_its_cause() {
    let w = world();
    let view = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    assert!(w.sim.revoke_user("ada@acme.example"));
    let after = block_on(w.engine.check(&view.id)).unwrap();
    assert_eq!(after.status.tone, Tone::Error);
    assert_eq!(after.status.title, "Token expired");
    assert_eq!(
        after.status.detail,
        "The password was changed or access was revoked, so Salesforce no longer accepts this connection."
    );
    assert_eq!(
        block_on(w.engine.list()).unwrap()[0].status.title,
        "Token expired",
        "the status is persisted"
    );
}

#[test]
fn no_view_error_debug_output_or_stored_value_contains_an_issued_token() {
    let w = world();
    let view = block_on(w.engine.connect_salesforce(&sim_login())).unwrap();
    w.sim.set_faults(Faults {
        token: Some(TokenFault::NotJson),
        ..Faults::default()
    });
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    let shown = format!(
        "{}{:?}{}{:?}{:?}",
        serde_json::to_string(&view).unwrap(),
        view,
        err,
        err,
        w.engine
    );
    let tokens = w.sim.issued_tokens();
    assert_eq!(tokens.len(), 2);
    let at_rest: String = w
        .engine
        .ports()
        .store
        .dump()
        .into_iter()
        .map(|(k, v)| k + &v)
        .collect();
    for t in tokens {
        assert!(
            !shown.contains(&t),
            "token leaked to a view, an error or Debug"
        );
        assert!(!at_rest.contains(&t), "token stored in clear");
    }
    assert!(
        block_on(
            w.engine
                .ports()
                .store
                .get("conn:sf:00D5g000004AcmeEAA:0055g000004AdaXEAA")
        )
        .unwrap()
        .is_some()
    );
}

#[test]
fn requests_are_answered_with_views_or_error_views() {
    use tokenwatch_core::messages::{Request, Response};
    let w = world();
    let r = block_on(
        w.engine
            .handle(Request::AddSalesforce { login: sim_login() }),
    );
    let Response::Connection {
        connection,
        connections,
    } = r
    else {
        panic!("{r:?}")
    };
    assert_eq!(
        connections,
        vec![connection.clone()],
        "an action is answered with the list it left"
    );
    let r = block_on(w.engine.handle(Request::ListConnections {}));
    assert_eq!(
        r,
        Response::Connections {
            connections: vec![connection]
        }
    );
    let r = block_on(w.engine.handle(Request::AddSalesforce {
        login: LoginChoice::Custom {
            host: String::new(),
        },
    }));
    let Response::Error { error } = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (error.code, error.field.as_deref()),
        (ErrorCode::BadHost, Some("login_host"))
    );
    assert_eq!(
        error.message,
        "Enter a login host, e.g. mycompany.my.salesforce.com."
    );
}
