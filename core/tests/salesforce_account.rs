//! Sign in again, change account and disconnect, against the in-process simulator.

mod common;

use common::{SIM_URL, block_on, world};
use tokenwatch_core::EngineError;
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_sim::Faults;

fn sim_login() -> LoginChoice {
    LoginChoice::Custom {
        host: SIM_URL.into(),
    }
}

fn last_query(w: &common::World, name: &str) -> Option<String> {
    let opened = w.engine.ports().identity.opened.borrow();
    opened
        .last()
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn signing_in_again_sends_the_username_as_login_hint_and_restores_the_connection() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    assert_eq!(last_query(&w, "login_hint"), None);
    w.sim.revoke_user("ada@acme.example");
    assert_eq!(
        block_on(w.engine.refresh_tokens(&id)).unwrap().status.title,
        "Token expired"
    );
    let view = block_on(w.engine.sign_in_again(&id)).unwrap();
    assert_eq!(view.status.title, "Token valid");
    assert_eq!(
        last_query(&w, "login_hint").as_deref(),
        Some("ada@acme.example")
    );
    assert_eq!(last_query(&w, "prompt"), None);
}

#[test]
fn a_renewal_that_comes_back_as_another_account_is_refused_and_its_tokens_revoked() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let before = common::stored(&w, &id);
    *w.engine.ports().identity.username.borrow_mut() = "grace@globex.example".into();
    let revocations = w.sim.counters().revocations;
    let err = block_on(w.engine.sign_in_again(&id)).unwrap_err();
    assert!(matches!(err, EngineError::WrongAccount { .. }));
    assert_eq!(
        err.view().message,
        "You signed in as grace@globex.example, but this connection belongs to ada@acme.example. Nothing was changed; to use another account, choose Change account."
    );
    let after = common::stored(&w, &id);
    assert_eq!(
        after.tokens.refresh.secret(),
        before.tokens.refresh.secret(),
        "nothing changed"
    );
    assert_eq!(
        block_on(w.engine.list()).unwrap().len(),
        1,
        "no row for the stray account"
    );
    assert_eq!(
        w.sim.counters().revocations,
        revocations + 1,
        "the stray tokens were revoked"
    );
}

#[test]
fn change_account_asks_for_a_fresh_login_and_replaces_the_old_account() {
    let w = world();
    let ada = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let ada_refresh = common::stored(&w, &ada).tokens.refresh.secret().to_owned();
    *w.engine.ports().identity.username.borrow_mut() = "grace@globex.example".into();
    let grace = block_on(w.engine.change_account(&ada)).unwrap();
    assert_eq!(last_query(&w, "prompt").as_deref(), Some("login"));
    assert_eq!(grace.username, "grace@globex.example");
    let listed = block_on(w.engine.list()).unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|c| c.username.as_str())
            .collect::<Vec<_>>(),
        ["grace@globex.example"]
    );
    assert!(
        !w.sim.refresh_token_is_live(&ada_refresh),
        "the old account's token is revoked"
    );
}

#[test]
fn change_account_to_the_same_account_just_replaces_its_tokens() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let view = block_on(w.engine.change_account(&id)).unwrap();
    assert_eq!(view.id, id);
    assert_eq!(block_on(w.engine.list()).unwrap().len(), 1);
}

#[test]
fn disconnect_revokes_at_salesforce_and_wipes_everything() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let refresh = common::stored(&w, &id).tokens.refresh.secret().to_owned();
    assert_eq!(block_on(w.engine.disconnect(&id)), Ok(true));
    assert!(!w.sim.refresh_token_is_live(&refresh));
    assert!(
        w.engine.ports().store.dump().is_empty(),
        "{:?}",
        w.engine.ports().store
    );
    assert!(matches!(
        block_on(w.engine.disconnect(&id)),
        Err(EngineError::UnknownConnection)
    ));
}

#[test]
fn disconnect_wipes_even_when_salesforce_cannot_be_reached() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.sim.set_faults(Faults {
        outage: true,
        ..Faults::default()
    });
    assert_eq!(block_on(w.engine.disconnect(&id)), Ok(false));
    assert!(w.engine.ports().store.dump().is_empty());
}

#[test]
fn disconnect_during_a_refresh_waits_for_it_then_revokes_and_nothing_is_saved_after() {
    let w = world();
    w.sim.set_rotation(true);
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    let (refreshed, disconnected) = block_on(futures::future::join(
        w.engine.refresh_tokens(&id),
        w.engine.disconnect(&id),
    ));
    assert_eq!(refreshed.unwrap().status.title, "Token valid");
    assert_eq!(disconnected, Ok(true));
    assert!(
        w.engine.ports().store.dump().is_empty(),
        "nothing was saved after the wipe"
    );
    assert!(
        w.sim
            .issued_tokens()
            .iter()
            .all(|t| !t.starts_with("5Aep861")),
        "the rotated token was revoked too"
    );
}

#[test]
fn a_connection_whose_data_is_unreadable_cannot_be_renewed_but_can_be_disconnected() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    w.engine.ports().sealer.lose_keys();
    let err = block_on(w.engine.sign_in_again(&id)).unwrap_err();
    assert!(err.to_string().contains("could not be decrypted"), "{err}");
    assert_eq!(block_on(w.engine.disconnect(&id)), Ok(false));
    assert!(
        w.engine.ports().store.dump().is_empty(),
        "quarantined copies go too"
    );
}

/// Every sign-in is an approval at Salesforce, five per user and app, the sixth dropping the
/// oldest — perhaps another tool's. Signing in again, re-adding the org or changing to the
/// same account revokes the refresh token it replaces once the new one is saved, so six
/// renewals leave one approval, and the connection keeps working.
#[test]
fn renewing_or_re_adding_revokes_the_replaced_approval_so_approvals_never_pile_up() {
    let w = world();
    let id = block_on(w.engine.connect_salesforce(&sim_login()))
        .unwrap()
        .id;
    assert_eq!(w.sim.approvals("ada@acme.example"), Some(1));
    let replaced = common::stored(&w, &id).tokens.refresh.secret().clone();
    let revocations = w.sim.counters().revocations;
    for round in 0..6 {
        match round % 3 {
            0 => block_on(w.engine.sign_in_again(&id)).unwrap(),
            1 => block_on(w.engine.connect_salesforce(&sim_login())).unwrap(),
            _ => block_on(w.engine.change_account(&id)).unwrap(),
        };
        assert_eq!(
            w.sim.approvals("ada@acme.example"),
            Some(1),
            "round {round}"
        );
    }
    assert_eq!(w.sim.counters().revocations, revocations + 6);
    assert!(
        !w.sim.issued_tokens().contains(&replaced),
        "the first refresh token still works"
    );
    assert_eq!(
        block_on(w.engine.check(&id)).unwrap().status.title,
        "Token valid"
    );
}

/// The in-mail banner asks from inside a web page: when its Renew ends in a sign-in as another
/// account, it learns a fixed sentence and the code, not the two accounts' names or anything
/// the provider said.
#[test]
fn the_banner_learns_a_fixed_sentence_and_a_code_never_another_accounts_name() {
    use tokenwatch_core::messages::{ErrorCode, Request, Response};
    use tokenwatch_core::sender::SenderKind;
    use tokenwatch_core::session::{Session, Setup, Surface};
    use tokenwatch_core::settings::SettingsValues;
    let w = world();
    let ports = common::fresh_ports(w.engine.ports());
    let redirect = url::Url::parse(common::MS_REDIRECT).unwrap();
    let setup = Setup::of(
        &SettingsValues::default(),
        &SettingsValues::default(),
        &redirect,
        Surface::ExtensionWorker,
    );
    let app = tokenwatch_core::salesforce::SalesforceApp::new(
        common::CLIENT_ID.into(),
        url::Url::parse(common::REDIRECT).unwrap(),
    );
    let session = Session::new(ports, setup, Some(app));
    let added = block_on(session.answer(
        Request::AddSalesforce { login: sim_login() },
        SenderKind::ExtensionPage,
    ));
    let Response::Connection { connection, .. } = added.response else {
        panic!("{:?}", added.response);
    };
    *session.engine().ports().identity.username.borrow_mut() = "grace@globex.example".into();
    let answer = block_on(session.answer(
        Request::SignInAgain {
            id: connection.id.clone(),
        },
        SenderKind::ContentScript,
    ));
    let Response::Error { error } = answer.response else {
        panic!("{:?}", answer.response);
    };
    assert_eq!(error.code, ErrorCode::WrongAccount);
    assert!(!error.message.contains("grace"), "{}", error.message);
    assert!(!error.message.contains("ada@"), "{}", error.message);
    // The popup, asking the same, is told the whole story.
    let answer = block_on(session.answer(
        Request::SignInAgain { id: connection.id },
        SenderKind::ExtensionPage,
    ));
    let Response::Error { error } = answer.response else {
        panic!("{:?}", answer.response);
    };
    assert!(error.message.contains("grace@globex.example"));
}
