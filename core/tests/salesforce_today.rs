//! Salesforce as it answers today, end to end against the in-process simulator: an expired
//! session is a 403 at userinfo, an uninstalled app leaves the sign-in on Salesforce's own error
//! page, admin-approved apps refuse at the authorize redirect, a replayed rotated token takes
//! the approval's access tokens with it, a shared app lives under a 30-day idle limit, and an
//! org can refuse the shared login page.

mod common;

use tokenwatch_core::messages::ErrorCode;

use common::{CLIENT_ID, REDIRECT, SIM_URL, TestLock, block_on, world, world_from};
use tokenwatch_core::connection::{
    Account, Connection, DeclaredPolicy, RECORD_VERSION, Site, Tokens,
};
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::status::{Cause, Status, Tone};
use tokenwatch_core::vault::Vault;
use tokenwatch_core::{ConnectionId, LoginHost, OrgId, Timestamp, UserId};
use tokenwatch_sim::{AppFault, Faults, RefreshPolicy};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn sim_login() -> LoginChoice {
    LoginChoice::Custom {
        host: SIM_URL.into(),
    }
}

fn get(w: &common::World, path: &str, bearer: &str) -> tokenwatch_sim::SimResponse {
    w.sim.handle(
        http::Request::get(format!("{SIM_URL}{path}"))
            .header(http::header::AUTHORIZATION, format!("Bearer {bearer}"))
            .body(Vec::new())
            .unwrap(),
    )
}

#[test]
fn a_timed_out_session_is_a_403_that_one_refresh_and_a_second_probe_turn_back_into_token_valid() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let old = common::stored(&w, &id).tokens.access.secret().clone();
    w.sim.expire_access_tokens();
    // What the check meets: Salesforce's userinfo refuses the timed-out token with 403.
    let refused = get(&w, "/services/oauth2/userinfo", &old);
    assert_eq!(refused.status(), 403);
    assert_eq!(refused.body(), b"Bad_OAuth_Token");
    let before = w.sim.counters();

    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(view.status.title, "Token valid", "{:?}", view.status);
    let after = w.sim.counters();
    assert_eq!(after.refreshes - before.refreshes, 1, "one refresh");
    assert_eq!(
        after.userinfo - before.userinfo,
        2,
        "the refused probe and the probe of the new token"
    );
    assert_ne!(common::stored(&w, &id).tokens.access.secret(), &old);
    let history = &common::stored(&w, &id).history;
    assert!(
        history
            .iter()
            .all(|h| h.event != tokenwatch_core::connection::Event::Unreachable),
        "{history:?}"
    );
}

/// A connection as an earlier build stored it: signed in with `scope`, by hand against the
/// simulator.
fn stored_by_an_earlier_build(w: &common::World, scope: &str) -> ConnectionId {
    // RFC 7636 appendix B's verifier and challenge.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let mut authorize = url::Url::parse(&format!("{SIM_URL}/services/oauth2/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "s");
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(authorize.query_pairs());
    form.append_pair("username", "ada@acme.example")
        .append_pair("pw", "tokenwatch");
    let login = w.sim.handle(
        http::Request::post(format!("{SIM_URL}/services/oauth2/authorize"))
            .body(form.finish().into_bytes())
            .unwrap(),
    );
    let callback = url::Url::parse(
        login
            .headers()
            .get(http::header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap(),
    )
    .unwrap();
    let code = callback
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_verifier", verifier)
        .finish();
    let token = w.sim.handle(
        http::Request::post(format!("{SIM_URL}/services/oauth2/token"))
            .body(body.into_bytes())
            .unwrap(),
    );
    let token: serde_json::Value = serde_json::from_slice(token.body()).unwrap();
    let now = Timestamp::from_millis(common::T0);
    let org = OrgId::parse("00D5g000004AcmeEAA").unwrap();
    let user = UserId::parse("0055g000004AdaXEAA").unwrap();
    let conn = Connection {
        v: RECORD_VERSION,
        id: ConnectionId::salesforce(&org, &user),
        site: Site::Salesforce {
            login_host: LoginHost::parse(SIM_URL).unwrap(),
            instance_url: SIM_URL.into(),
            org: org.clone(),
            user: user.clone(),
        },
        account: Account {
            username: "ada@acme.example".into(),
            display_name: None,
        },
        tokens: Tokens {
            access: oauth2::AccessToken::new(token["access_token"].as_str().unwrap().into()),
            refresh: oauth2::RefreshToken::new(token["refresh_token"].as_str().unwrap().into()),
            issued_at: now,
            refresh_due: None,
            granted: None,
        },
        status: Status::Healthy,
        connected_at: now,
        checked_at: now,
        schedule: Default::default(),
        history: Vec::new(),
        policy: DeclaredPolicy::UntilRevoked,
        approved_at: Some(now),
        refreshed_at: Some(now),
        refresh_started: None,
        rotates: None,
        idle_limit_days: None,
    };
    let ports = w.engine.ports();
    block_on(Vault::new(&ports.store, &ports.sealer).save(&conn, 0)).unwrap();
    conn.id
}

#[test]
fn a_fresh_token_refused_at_userinfo_is_the_missing_identity_scope_not_an_outage_and_not_retried() {
    let w = world();
    let id = stored_by_an_earlier_build(&w, "api refresh_token");
    // The identity scope is what userinfo needs; this token lacks it.
    let access = common::stored(&w, &id).tokens.access.secret().clone();
    assert_eq!(get(&w, "/services/oauth2/userinfo", &access).status(), 403);

    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(view.status.title, "Token expired", "{:?}", view.status);
    assert_eq!(
        view.status.detail,
        "Salesforce issues tokens for this connection but refuses them at its user information endpoint, because the connected app does not grant the identity scope (id) Tokenwatch checks connections with."
    );
    assert_eq!(
        view.status.action.as_deref(),
        Some(
            "An administrator must add \"Access the identity URL service (id, profile, email, address, phone)\" to the connected app's Selected OAuth Scopes (Setup → App Manager → the app → Edit), then choose \"Sign in again\"."
        )
    );
    assert_eq!(
        w.sim.counters().refreshes,
        1,
        "refreshed once, then diagnosed"
    );
    // A scheduled tick does not refresh it again: it waits for the person.
    w.clock.advance_ms(DAY);
    block_on(w.engine.tick()).unwrap();
    assert_eq!(w.sim.counters().refreshes, 1);
    // Signing in again asks for the identity scope, and the connection is proven.
    let renewed = block_on(w.engine.sign_in_again(&id)).unwrap();
    assert_eq!(renewed.status.title, "Token valid");
}

#[test]
fn an_app_without_the_identity_scope_ends_the_sign_in_on_salesforces_error_page() {
    let w = world();
    w.sim
        .set_app_scopes(vec!["api".into(), "refresh_token".into()]);
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(
        err.to_string().contains(
            "the app does not offer the scopes Tokenwatch asks for (api, id, refresh_token"
        ),
        "{err}"
    );
    let shown = w.engine.ports().identity.shown.borrow();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].path(), "/setup/secur/RemoteAccessErrorPage.apexp");
    assert!(shown[0].query().unwrap().contains("error=invalid_scope"));
    assert_eq!(w.sim.counters().code_exchanges, 0);
    assert!(block_on(w.engine.list()).unwrap().is_empty());
}

#[test]
fn an_uninstalled_app_blocks_new_users_on_its_error_page_while_earlier_approvals_keep_working() {
    let w = world();
    let ada = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.set_faults(Faults {
        app: Some(AppFault::NotInstalled),
        ..Faults::default()
    });
    // Ada approved it before September 2025's change: refreshing and signing in again work.
    assert_eq!(
        block_on(w.engine.refresh_tokens(&ada))
            .unwrap()
            .status
            .title,
        "Token valid"
    );
    assert_eq!(
        block_on(w.engine.sign_in_again(&ada)).unwrap().status.title,
        "Token valid"
    );
    // Charles never approved it: Salesforce keeps him on its error page and never calls back.
    *w.engine.ports().identity.username.borrow_mut() = "charles@acme.example".into();
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    let message = err.view().message;
    assert!(
        message.starts_with("The sign-in window was closed before Salesforce sent Tokenwatch an answer. If Salesforce showed an error page instead, the likely causes are: the connected app is not installed in your org (since September 2025 Salesforce blocks uninstalled apps for users who have not approved them before; an admin installs it in Setup → Connected Apps OAuth Usage → Install)"),
        "{message}"
    );
    let shown = w.engine.ports().identity.shown.borrow();
    assert_eq!(shown[0].path(), "/setup/secur/RemoteAccessErrorPage.apexp");
    let q: Vec<(String, String)> = shown[0].query_pairs().into_owned().collect();
    assert!(q.contains(&("error".into(), "invalid_client".into())));
    assert!(q.contains(&(
        "error_description".into(),
        "app must be installed into org".into()
    )));
    assert_eq!(block_on(w.engine.list()).unwrap().len(), 1, "only Ada");
}

#[test]
fn an_admin_approved_only_app_refuses_at_the_authorize_redirect_with_a_diagnosis() {
    let w = world();
    w.sim.set_faults(Faults {
        app: Some(AppFault::NotAdminApproved),
        ..Faults::default()
    });
    let err = block_on(w.engine.connect_salesforce(&sim_login())).unwrap_err();
    assert_eq!(
        err.view().message,
        "Your Salesforce administrator has not approved this app for you: only admin-approved users may use it. Ask your Salesforce admin to approve you for the app (Setup → Manage Connected Apps → the app → Manage Profiles or Manage Permission Sets), then sign in again."
    );
    let callback = w.engine.ports().identity.opened.borrow().len();
    assert_eq!(callback, 1);
    assert_eq!(w.sim.counters().code_exchanges, 0);
    assert!(block_on(w.engine.list()).unwrap().is_empty());
}

#[test]
fn replaying_a_rotated_away_refresh_token_revokes_the_current_one_and_its_access_tokens() {
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let first = common::stored(&w, &id).tokens.refresh.secret().clone();
    block_on(w.engine.refresh_tokens(&id)).unwrap();
    let current = common::stored(&w, &id);
    let (live_refresh, live_access) = (
        current.tokens.refresh.secret().clone(),
        current.tokens.access.secret().clone(),
    );
    assert_ne!(live_refresh, first, "rotated");
    assert_eq!(
        get(&w, "/services/oauth2/userinfo", &live_access).status(),
        200
    );
    // Someone replays the token Salesforce rotated away.
    let replay = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("refresh_token", &first)
        .append_pair("client_id", CLIENT_ID)
        .finish();
    let answer = w.sim.handle(
        http::Request::post(format!("{SIM_URL}/services/oauth2/token"))
            .body(replay.into_bytes())
            .unwrap(),
    );
    assert_eq!(answer.status(), 400);
    assert!(
        String::from_utf8_lossy(answer.body()).contains("expired access/refresh token"),
        "the usual invalid_grant"
    );
    assert!(!w.sim.refresh_token_is_live(&live_refresh));
    let probe = get(&w, "/services/oauth2/userinfo", &live_access);
    assert_eq!(
        (probe.status().as_u16(), probe.body().as_slice()),
        (403, b"Bad_OAuth_Token".as_slice()),
        "the approval's access tokens went with it"
    );
    // Tokenwatch's next check meets a revoked connection and says so.
    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(
        view.status.detail,
        "The password was changed or access was revoked, so Salesforce no longer accepts this connection."
    );
}

#[test]
fn a_lost_refresh_answer_under_rotation_is_still_explained_as_interrupted() {
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.engine.ports().http.lose_next_token_answer.set(true);
    assert!(block_on(w.engine.refresh_tokens(&id)).is_err());
    // The next check finds the session gone and refreshes with the token Salesforce retired.
    w.sim.expire_access_tokens();
    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(
        view.status,
        Status::NeedsSignIn {
            cause: Cause::RefreshInterrupted
        }
        .view(tokenwatch_core::ids::Provider::Salesforce)
    );
}

#[test]
fn with_rotation_off_a_lost_answer_retires_nothing_and_a_revocation_after_it_says_revoked() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let signed_in = common::stored(&w, &id).tokens.refresh.secret().clone();
    block_on(w.engine.refresh_tokens(&id)).unwrap();
    let stored = common::stored(&w, &id);
    assert_eq!(
        (stored.tokens.refresh.secret(), stored.rotates),
        (&signed_in, Some(false)),
        "no refresh_token in the answer: rotation is off, the token stays"
    );
    // Cut off: Salesforce answered, Tokenwatch never heard. Without rotation that retires
    // nothing, so no start mark is kept for it.
    w.engine.ports().http.lose_next_token_answer.set(true);
    assert!(block_on(w.engine.refresh_tokens(&id)).is_err());
    assert_eq!(common::stored(&w, &id).refresh_started, None);
    // Then the person's access is revoked: the row says that, not "a renewal was cut off".
    assert!(w.sim.revoke_user("ada@acme.example"));
    w.sim.expire_access_tokens();
    let view = block_on(w.engine.check(&id)).unwrap();
    assert_eq!(
        view.status,
        Status::NeedsSignIn {
            cause: Cause::Revoked
        }
        .view(tokenwatch_core::ids::Provider::Salesforce)
    );
}

#[test]
fn a_refused_token_sent_again_and_lost_keeps_its_cause() {
    // Found by the simulation (seed 1055): the person's Check now on a Needs sign-in row sends
    // the refused token again; that request is lost, and the next refusal must still say why
    // the connection broke, not that a renewal was cut off.
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    block_on(w.engine.refresh_tokens(&id)).unwrap();
    assert!(w.sim.revoke_user("ada@acme.example"));
    w.sim.expire_access_tokens();
    let revoked = Status::NeedsSignIn {
        cause: Cause::Revoked,
    }
    .view(tokenwatch_core::ids::Provider::Salesforce);
    assert_eq!(block_on(w.engine.check(&id)).unwrap().status, revoked);
    w.engine.ports().http.lose_next_token_answer.set(true);
    let _ = block_on(w.engine.check(&id));
    assert_eq!(common::stored(&w, &id).refresh_started, None);
    assert_eq!(block_on(w.engine.check(&id)).unwrap().status, revoked);
}

fn shared() -> common::World {
    world_from(
        TestLock::default(),
        // Sessions that never time out: only the idle limit can end the refresh token.
        |c| {
            c.access_ttl_ms = 400 * DAY;
            c.partner_rules = true;
        },
        |app| app.shared = true,
    )
}

#[test]
fn a_shared_app_declares_the_30_day_idle_limit_and_tokenwatch_keeps_the_token_alive_for_a_year() {
    let w = shared();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let details = block_on(w.engine.details(&id)).unwrap();
    assert_eq!(
        details.policy,
        Some(DeclaredPolicy::ExpireIfUnused { days: 30 })
    );
    assert_eq!(
        details.horizon,
        Some(Timestamp::from_millis(common::T0 + 30 * DAY))
    );
    assert!(!details.horizon_fixed, "each refresh pushes it back");
    // Declaring "valid until revoked" cannot lift the app's limit.
    block_on(w.engine.declare_policy(&id, DeclaredPolicy::UntilRevoked)).unwrap();
    assert_eq!(
        block_on(w.engine.details(&id)).unwrap().horizon,
        Some(Timestamp::from_millis(common::T0 + 30 * DAY))
    );
    // A year of daily checks: the probe always passes, and a refresh every 15 days keeps the
    // token from idling out.
    for _ in 0..365 {
        w.clock.advance_ms(DAY);
        let view = block_on(w.engine.check(&id)).unwrap();
        assert_eq!(view.status.title, "Token valid", "{:?}", view.status);
    }
    let refreshes = w.sim.counters().refreshes;
    assert!((24..=26).contains(&refreshes), "{refreshes} refreshes");
    let live = common::stored(&w, &id).tokens.refresh.secret().clone();
    assert!(w.sim.refresh_token_is_live(&live));
}

#[test]
fn without_the_keep_alive_the_same_org_loses_its_token_after_30_idle_days() {
    // The control: an app built as one org's own (no idle limit declared) against an org under
    // the partner rules. Checks pass on the access token, the refresh token is never used,
    // and on day 31 it is gone.
    let w = world_from(
        TestLock::default(),
        |c| {
            c.access_ttl_ms = 400 * DAY;
            c.partner_rules = true;
        },
        |_| {},
    );
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    for _ in 0..31 {
        w.clock.advance_ms(DAY);
        block_on(w.engine.check(&id)).unwrap();
    }
    assert_eq!(w.sim.counters().refreshes, 0);
    let view = block_on(w.engine.refresh_tokens(&id)).unwrap();
    assert_eq!(view.status.tone, Tone::Error, "{:?}", view.status);
}

#[test]
fn partner_rules_rotate_every_refresh_token() {
    let w = shared();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let first = common::stored(&w, &id).tokens.refresh.secret().clone();
    block_on(w.engine.refresh_tokens(&id)).unwrap();
    let second = common::stored(&w, &id).tokens.refresh.secret().clone();
    assert_ne!(first, second);
    assert!(!w.sim.refresh_token_is_live(&first));
    assert!(w.sim.refresh_token_is_live(&second));
}

#[test]
fn an_expire_after_policy_under_the_idle_limit_ends_at_whichever_comes_first() {
    let w = shared();
    w.sim
        .set_refresh_policy(RefreshPolicy::ExpireAfter { ms: 90 * DAY });
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    block_on(
        w.engine
            .declare_policy(&id, DeclaredPolicy::ExpireAfter { days: 90 }),
    )
    .unwrap();
    let details = block_on(w.engine.details(&id)).unwrap();
    assert_eq!(
        details.horizon,
        Some(Timestamp::from_millis(common::T0 + 30 * DAY)),
        "the idle limit comes first while the token is not used"
    );
    assert!(!details.horizon_fixed);
    for _ in 0..84 {
        w.clock.advance_ms(DAY);
        block_on(w.engine.check(&id)).unwrap();
    }
    let details = block_on(w.engine.details(&id)).unwrap();
    assert_eq!(
        details.horizon,
        Some(Timestamp::from_millis(common::T0 + 90 * DAY)),
        "kept alive, the fixed end is what is left"
    );
    assert!(details.horizon_fixed);
    assert_eq!(
        details.view.status.title, "Expiring soon",
        "six days before the fixed end"
    );
}

#[test]
fn an_org_that_requires_its_my_domain_refuses_the_shared_login_page_and_the_message_says_so() {
    let w = world_from(
        TestLock::default(),
        |_| {},
        |app| app.production = LoginHost::parse(SIM_URL).unwrap(),
    );
    w.sim.set_faults(Faults {
        my_domain_only: true,
        ..Faults::default()
    });
    let err = block_on(w.engine.connect_salesforce(&LoginChoice::Production)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(
        err.to_string().ends_with("or your org allows sign-in only at its My Domain (choose Custom and enter your My Domain, such as yourcompany.my.salesforce.com)."),
        "{err}"
    );
    assert_eq!(w.sim.counters().code_exchanges, 0);
    assert!(block_on(w.engine.list()).unwrap().is_empty());
}
