//! Refresh without races, and every Salesforce fault the simulator scripts, diagnosed end to
//! end: the engine against the in-process simulator.

mod common;

use tokenwatch_core::messages::{ErrorCode, Request, Response};

use common::{SIM_URL, TestLock, block_on, world, world_with};
use futures::future::join_all;
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::status::Tone;
use tokenwatch_sim::{AppFault, Faults, TokenFault};

fn sim_login() -> LoginChoice {
    LoginChoice::Custom {
        host: SIM_URL.into(),
    }
}

#[test]
fn with_rotation_on_20_concurrent_callers_refresh_1000_times_with_one_request_each_and_never_invalid_grant()
 {
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    for round in 0..1000 {
        let results = block_on(join_all((0..20).map(|_| w.engine.refresh_tokens(&id))));
        for r in results {
            let view = r.unwrap_or_else(|e| panic!("round {round}: {e}"));
            assert_eq!(
                view.status.title, "Token valid",
                "round {round}: {:?}",
                view.status
            );
        }
    }
    assert_eq!(
        w.sim.counters().refreshes,
        1000,
        "exactly one token request per round"
    );
    let refresh = common::stored(&w, &id).tokens.refresh;
    assert!(
        w.sim.refresh_token_is_live(refresh.secret()),
        "the stored refresh token is the live one"
    );
}

#[test]
fn without_the_lock_concurrent_refreshes_with_rotation_lock_the_person_out() {
    // The control for the test above: the same callers with no lock all send the same refresh
    // token; Salesforce rotates it for the first and treats the others as reuse of a stolen
    // token, revoking the approval. The connection is lost.
    let w = world_with(TestLock::None);
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let _ = block_on(join_all((0..20).map(|_| w.engine.refresh_tokens(&id))));
    assert_eq!(
        w.sim.counters().refreshes,
        20,
        "every caller sent the token"
    );
    let stored = common::stored(&w, &id).tokens.refresh;
    assert!(
        !w.sim.refresh_token_is_live(stored.secret()),
        "the stored refresh token is dead"
    );
    let after = block_on(w.engine.refresh_tokens(&id)).unwrap();
    assert_eq!(after.status.title, "Token expired");
}

#[test]
fn fifty_checks_at_once_in_one_context_send_one_probe_one_refresh_and_answer_alike() {
    // The popup, the options page, a banner's Renew and the person's clicks, all at once, each
    // asking the worker to check the same connection after its access token expired.
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    for round in 0..20 {
        w.sim.expire_access_tokens();
        let before = w.sim.counters();
        let served = block_on(join_all(
            (0..50).map(|_| w.engine.serve(Request::Check { id: id.clone() })),
        ));
        let after = w.sim.counters();
        assert_eq!(after.refreshes - before.refreshes, 1, "round {round}");
        // The expired token refused, then the new one proven.
        assert_eq!(after.userinfo - before.userinfo, 2, "round {round}");
        assert_eq!(
            served.iter().filter(|s| !s.joined).count(),
            1,
            "round {round}"
        );
        let Response::Connection { connection, .. } = &served[0].response else {
            panic!("round {round}: {:?}", served[0].response);
        };
        assert_eq!(connection.status.title, "Token valid", "round {round}");
        assert!(served.iter().all(|s| s.response == served[0].response));
    }
    assert_eq!(w.sim.counters().rotated_reused, 0);
}

#[test]
fn the_same_checks_each_on_their_own_still_refresh_once_but_probe_fifty_times() {
    // The control: without joining, the connection's lock keeps it to one refresh, and every
    // caller probes the provider and reads every connection for its answer.
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.expire_access_tokens();
    let before = w.sim.counters();
    let answers = block_on(join_all(
        (0..50).map(|_| w.engine.handle(Request::Check { id: id.clone() })),
    ));
    let after = w.sim.counters();
    assert_eq!(after.refreshes - before.refreshes, 1);
    assert_eq!(after.userinfo - before.userinfo, 51);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Response::Connection { .. }))
    );
}

fn connected() -> (common::World, tokenwatch_core::ConnectionId) {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    (w, id)
}

fn needs_sign_in_after_refresh(
    w: &common::World,
    id: &tokenwatch_core::ConnectionId,
) -> (String, String) {
    let view = block_on(w.engine.refresh_tokens(id)).unwrap();
    assert_eq!(view.status.tone, Tone::Error, "{:?}", view.status);
    assert_eq!(
        block_on(w.engine.list()).unwrap()[0].status,
        view.status,
        "the status is stored"
    );
    (view.status.detail, view.status.action.unwrap())
}

#[test]
fn revoked_access_reads_as_password_changed_or_access_revoked() {
    let (w, id) = connected();
    assert!(w.sim.revoke_user("ada@acme.example"));
    let (text, action) = needs_sign_in_after_refresh(&w, &id);
    assert_eq!(
        text,
        "The password was changed or access was revoked, so Salesforce no longer accepts this connection."
    );
    assert_eq!(action, "Choose \"Sign in again\" to restore it.");
}

#[test]
fn a_password_change_reads_the_same() {
    let (w, id) = connected();
    assert!(w.sim.change_password("ada@acme.example"));
    let (text, _) = needs_sign_in_after_refresh(&w, &id);
    assert!(
        text.starts_with("The password was changed or access was revoked"),
        "{text}"
    );
}

#[test]
fn a_deactivated_user() {
    let (w, id) = connected();
    assert!(w.sim.set_user_active("ada@acme.example", false));
    assert_eq!(
        needs_sign_in_after_refresh(&w, &id),
        (
            "The Salesforce user is frozen or deactivated.".into(),
            "Ask your Salesforce admin to reactivate the user, then sign in again.".into()
        )
    );
}

#[test]
fn a_blocked_app_at_refresh_names_the_org_and_the_fix() {
    let (w, id) = connected();
    w.sim.set_faults(Faults {
        app: Some(AppFault::Blocked),
        ..Faults::default()
    });
    assert_eq!(
        needs_sign_in_after_refresh(&w, &id),
        (
            "The connected app is blocked in org 00D5g000004AcmeEAA.".into(),
            "Ask your Salesforce admin to unblock it (Setup → Connected Apps OAuth Usage → Unblock), then sign in again.".into()
        )
    );
}

#[test]
fn a_blocked_app_at_sign_in() {
    let w = world();
    w.sim.set_faults(Faults {
        app: Some(AppFault::Blocked),
        ..Faults::default()
    });
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("The connected app is blocked in this org."),
        "{err}"
    );
}

#[test]
fn a_user_the_admin_has_not_approved() {
    let (w, id) = connected();
    w.sim.set_faults(Faults {
        app: Some(AppFault::NotAdminApproved),
        ..Faults::default()
    });
    let (text, _) = needs_sign_in_after_refresh(&w, &id);
    assert_eq!(
        text,
        "Your Salesforce administrator has not approved this app for you: only admin-approved users may use it."
    );
}

#[test]
fn an_ip_restriction() {
    let (w, id) = connected();
    w.sim.set_faults(Faults {
        ip_restricted: true,
        ..Faults::default()
    });
    let (text, _) = needs_sign_in_after_refresh(&w, &id);
    assert_eq!(
        text,
        "Salesforce refused the request from this network: the org or the connected app restricts IP addresses."
    );
}

#[test]
fn transient_failures_are_cant_reach_never_a_sign_in_and_say_so() {
    for (fault, words) in [
        (
            TokenFault::Outage,
            "Salesforce could not be reached (HTTP 503); try again later",
        ),
        (
            TokenFault::RateLimited,
            "Salesforce could not be reached (HTTP 429, retry after 120 s); try again later",
        ),
        (
            TokenFault::ServerError,
            "Salesforce could not be reached (HTTP 500); try again later",
        ),
    ] {
        let (w, id) = connected();
        w.sim.set_faults(Faults {
            token: Some(fault),
            ..Faults::default()
        });
        let err = block_on(w.engine.refresh_tokens(&id)).unwrap_err();
        assert!(err.to_string().contains(words), "{fault:?}: {err}");
        assert_eq!(
            block_on(w.engine.list()).unwrap()[0].status.title,
            "Can't reach Salesforce",
            "{fault:?}"
        );
        w.sim.set_faults(Faults::default());
        // Past any backoff and the 429's Retry-After.
        w.clock.advance_ms(121_000);
        assert_eq!(
            block_on(w.engine.refresh_tokens(&id)).unwrap().status.title,
            "Token valid",
            "recovers after {fault:?}"
        );
    }
}

#[test]
fn a_sixth_approval_revokes_the_oldest() {
    // Six places sign the same person in (six profiles, or other tools on the same app), none
    // revoking another's: Salesforce keeps five approvals and drops the oldest, here the first
    // connection, which then needs a sign-in. (Within one profile Tokenwatch revokes what a new
    // sign-in replaces: salesforce_account.rs.)
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let first = common::stored(&w, &id).tokens.refresh.secret().to_owned();
    let elsewhere = || {
        let app = tokenwatch_core::salesforce::SalesforceApp::new(
            common::CLIENT_ID.into(),
            url::Url::parse(common::REDIRECT).unwrap(),
        );
        tokenwatch_core::Engine::new(common::fresh_ports(w.engine.ports()), Some(app))
    };
    for _ in 0..4 {
        block_on(elsewhere().connect_salesforce(&sim_login())).unwrap();
    }
    assert!(
        w.sim.refresh_token_is_live(&first),
        "five approvals are allowed"
    );
    block_on(elsewhere().connect_salesforce(&sim_login())).unwrap();
    assert!(
        !w.sim.refresh_token_is_live(&first),
        "the sixth revokes the oldest"
    );
    assert_eq!(w.sim.approvals("ada@acme.example"), Some(5));
    assert_eq!(
        block_on(w.engine.refresh_tokens(&id)).unwrap().status.title,
        "Token expired"
    );
}

#[test]
fn a_refresh_whose_answer_is_lost_under_rotation_is_explained_not_mistaken_for_a_revocation() {
    let (w, id) = connected();
    w.sim.set_rotation(true);
    // The refresh reaches Salesforce, which rotates the token, and its answer never arrives
    // (the browser stopped the worker). That window cannot be closed from the client.
    w.engine.ports().http.lose_next_token_answer.set(true);
    let err = block_on(w.engine.refresh_tokens(&id)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unreachable, "{err}");
    assert!(
        common::stored(&w, &id).refresh_started.is_some(),
        "the unfinished refresh is on record"
    );
    // The next refresh sends the token Salesforce retired: refused, and said why.
    let view = block_on(w.engine.refresh_tokens(&id)).unwrap();
    assert_eq!(view.status.title, "Token expired");
    assert_eq!(
        view.status.detail,
        "Salesforce no longer accepts this connection, and the renewal before was cut off (the browser stopped Tokenwatch, or the connection dropped, before the answer was saved). With refresh token rotation that alone retires the token; a changed password, revoked access or an expiry policy gets the same answer from Salesforce."
    );
    assert_eq!(common::stored(&w, &id).refresh_started, None);
    // Without an interruption the same refusal still reads as a revocation.
    let (w2, id2) = connected();
    w2.sim.revoke_user("ada@acme.example");
    let view = block_on(w2.engine.refresh_tokens(&id2)).unwrap();
    assert!(
        view.status
            .detail
            .starts_with("The password was changed or access was revoked")
    );
}

#[test]
fn a_redirect_or_a_10_mb_answer_from_the_token_endpoint_changes_nothing() {
    for (fault, words) in [
        (
            TokenFault::Redirect,
            "Salesforce answered in an unexpected way",
        ),
        (TokenFault::Huge, "Salesforce answered in an unexpected way"),
    ] {
        let (w, id) = connected();
        w.sim.set_faults(Faults {
            token: Some(fault),
            ..Faults::default()
        });
        let before = common::stored(&w, &id).tokens.refresh.secret().clone();
        let err = block_on(w.engine.refresh_tokens(&id)).unwrap_err();
        assert!(err.to_string().starts_with(words), "{fault:?}: {err}");
        assert_eq!(w.sim.counters().redirects_followed, 0, "never followed");
        let after = common::stored(&w, &id);
        assert_eq!(after.tokens.refresh.secret(), &before, "{fault:?}");
        // An answer against the protocol is an outage to retry, never a sign-in.
        assert_eq!(
            after.status.view(after.provider()).title,
            "Can't reach Salesforce"
        );
    }
}
