//! Microsoft 365 connections against the simulator on a virtual clock: the two registration
//! types and their horizons, silent renewal, the `Origin` rule, and the refusals that need the
//! person.

mod common;

use common::*;
use std::time::Duration;
use tokenwatch_core::connection::Event;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::microsoft::{IdTokenError, Registration};
use tokenwatch_core::status::Tone;
use tokenwatch_core::{Cause, ConnectionId, EngineError, Status};
use tokenwatch_sim::{Faults, IdTokenFault, MsRegistration};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const ADA: &str = "ms:4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d:0ada0ada-1111-4222-8333-444455556666";

fn ada() -> ConnectionId {
    ConnectionId::parse(ADA).unwrap()
}

fn connect(w: &World) -> tokenwatch_core::ConnectionView {
    block_on(w.engine.connect_microsoft(&Default::default())).expect("connects")
}

/// Ticks every 30 minutes for `ms`, returning the status seen after each tick.
fn run(w: &World, ms: i64) -> Vec<(i64, Status)> {
    let mut seen = Vec::new();
    let end = w.clock.0.load(std::sync::atomic::Ordering::SeqCst) + ms;
    while w.clock.0.load(std::sync::atomic::Ordering::SeqCst) < end {
        w.clock.advance_ms(30 * MINUTE);
        block_on(w.engine.tick()).unwrap();
        let now = w.clock.0.load(std::sync::atomic::Ordering::SeqCst);
        seen.push((now, stored(w, &ada()).status));
    }
    seen
}

#[test]
fn a_microsoft_sign_in_checks_the_id_token_and_stores_the_account() {
    let w = world_ms(Registration::PublicClient);
    let view = connect(&w);
    assert_eq!(view.id, ada());
    assert_eq!(view.provider, Provider::Microsoft);
    assert_eq!(view.username, "ada@acme.example");
    assert_eq!(view.label, "Microsoft 365 acme.example");
    assert_eq!(view.org_id, "4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d");
    assert_eq!(view.status.title, "Token valid");
    let opened = &w.engine.ports().identity.opened.borrow()[0];
    let q: Vec<(String, String)> = opened.query_pairs().into_owned().collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(opened.path(), "/organizations/oauth2/v2.0/authorize");
    assert_eq!(
        get("scope"),
        Some("openid profile offline_access User.Read"),
        "Microsoft Graph is the default resource"
    );
    assert_eq!(
        get("prompt"),
        Some("select_account"),
        "a person with two accounts chooses which"
    );
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("nonce").map(str::len), Some(43));
    assert_eq!(get("redirect_uri"), Some(MS_REDIRECT));
    let conn = stored(&w, &ada());
    assert!(conn.tokens.refresh_due.is_some(), "expires_in was used");
    // The check proves the token at Microsoft Graph; once it expires, the refresh goes to the
    // account's own tenant, not back through `organizations`.
    let graph = w.sim.counters().graph_me;
    block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(w.sim.counters().graph_me, graph + 1);
    w.sim.expire_access_tokens();
    block_on(w.engine.check(&ada())).unwrap();
    let token_calls: Vec<String> = w
        .engine
        .ports()
        .http
        .log
        .borrow()
        .iter()
        .map(|(u, _)| u.clone())
        .filter(|u| u.contains("/token"))
        .collect();
    assert_eq!(
        token_calls.last().unwrap(),
        "http://127.0.0.1:17300/4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d/oauth2/v2.0/token"
    );
}

#[test]
fn a_public_client_connection_stays_alive_for_a_simulated_year_without_a_sign_in() {
    let w = world_ms(Registration::PublicClient);
    connect(&w);
    let start = w.sim.counters().refreshes;
    let mut days = 0;
    while days < 365 {
        // Some days the computer is off: the longest gap is 60 days, under the 90-day limit.
        let gap = if days == 100 { 60 } else { 1 };
        w.clock.advance_ms(gap * DAY);
        days += gap;
        let tick = block_on(w.engine.tick()).unwrap();
        assert_eq!(tick.checked, 1);
        let conn = stored(&w, &ada());
        assert_eq!(conn.status, Status::Healthy, "day {days}");
        let horizon = conn.horizon().unwrap();
        assert_eq!(
            horizon,
            conn.refreshed_at
                .unwrap()
                .plus(Duration::from_secs(90 * 86_400)),
            "the 90-day horizon slides with every refresh"
        );
    }
    assert_eq!(
        w.engine.ports().identity.opened.borrow().len(),
        1,
        "one sign-in, a year ago"
    );
    assert!(w.sim.counters().refreshes - start >= 300);
}

#[test]
fn a_public_client_unused_for_90_days_needs_sign_in_with_the_inactivity_cause() {
    let w = world_ms(Registration::PublicClient);
    connect(&w);
    w.clock.advance_ms(91 * DAY);
    block_on(w.engine.tick()).unwrap();
    let conn = stored(&w, &ada());
    assert_eq!(
        conn.status,
        Status::NeedsSignIn {
            cause: Cause::UnusedTooLong
        }
    );
    assert!(
        tokenwatch_core::ConnectionView::of(&conn)
            .status
            .detail
            .contains("90 days without use")
    );
    assert_eq!(
        conn.schedule.next_check, None,
        "invalid_grant is never retried"
    );
}

#[test]
fn a_single_page_app_sign_in_is_renewed_silently_every_day_while_the_session_lives() {
    let w = world_ms(Registration::Spa);
    connect(&w);
    let seen = run(&w, 10 * DAY);
    assert!(
        seen.iter().all(|(_, s)| *s == Status::Healthy),
        "no warning while silent renewal works"
    );
    let silent = w.engine.ports().identity.silent.borrow().clone();
    assert_eq!(
        silent.iter().filter(|s| !**s).count(),
        1,
        "one interactive sign-in"
    );
    assert!(
        (10..=13).contains(&silent.iter().filter(|s| **s).count()),
        "one silent renewal a day (each 4 h before the 24 h end): {silent:?}"
    );
    let conn = stored(&w, &ada());
    assert!(
        conn.history
            .iter()
            .filter(|h| h.event == Event::RenewedSilently)
            .count()
            >= 10
    );
    let opened = w.engine.ports().identity.opened.borrow();
    let last = opened.last().unwrap();
    assert!(
        last.query_pairs()
            .any(|(k, v)| k == "prompt" && v == "none")
    );
    assert!(
        last.query_pairs()
            .any(|(k, v)| k == "login_hint" && v == "ada@acme.example")
    );
    let horizon = conn.horizon().unwrap();
    assert_eq!(
        horizon,
        conn.approved_at.unwrap().plus(Duration::from_secs(86_400))
    );
}

#[test]
fn without_a_session_a_single_page_app_is_warned_2_hours_ahead_then_needs_sign_in() {
    let w = world_ms(Registration::Spa);
    connect(&w);
    let horizon = stored(&w, &ada()).horizon().unwrap().as_millis();
    w.sim.sign_out_microsoft(None);
    let seen = run(&w, 25 * HOUR);
    let first_warning = seen
        .iter()
        .find(|(_, s)| matches!(s, Status::ExpiringSoon { .. }))
        .expect("warned");
    assert!(
        first_warning.0 >= horizon - 2 * HOUR && first_warning.0 < horizon - 2 * HOUR + 30 * MINUTE,
        "warned 2 h ahead, at {} h before",
        (horizon - first_warning.0) as f64 / HOUR as f64
    );
    assert!(
        seen.iter()
            .filter(|(t, _)| *t < horizon - 2 * HOUR)
            .all(|(_, s)| *s == Status::Healthy),
        "not warned earlier"
    );
    let Status::ExpiringSoon { by, .. } = &first_warning.1 else {
        unreachable!()
    };
    assert_eq!(by.as_millis(), horizon);
    let after = seen.iter().find(|(t, _)| *t >= horizon).unwrap();
    assert_eq!(
        after.1,
        Status::NeedsSignIn {
            cause: Cause::DayLimitReached
        },
        "Needs sign-in at the first check after the 24 h"
    );
    let conn = stored(&w, &ada());
    let view = tokenwatch_core::ConnectionView::of(&conn).status;
    assert_eq!(view.tone, Tone::Error);
    assert!(view.detail.contains("24 hours"), "{}", view.detail);
    let failed: Vec<_> = conn
        .history
        .iter()
        .filter(|h| h.event == Event::SilentRenewalFailed)
        .collect();
    assert_eq!(failed.len(), 1, "one history entry for repeated failures");
    assert_eq!(
        failed[0].detail,
        "You are signed out of Microsoft in this browser, so the sign-in cannot be renewed without you."
    );
    // Signing in again (login_hint prefilled) starts a new 24 h.
    let renewed = block_on(w.engine.sign_in_again(&ada())).unwrap();
    assert_eq!(renewed.status.title, "Token valid");
}

#[test]
fn mfa_demanded_by_conditional_access_is_explained_and_a_sign_in_with_mfa_restores() {
    let w = world_ms(Registration::Spa);
    connect(&w);
    let horizon = stored(&w, &ada()).horizon().unwrap().as_millis();
    // The admin turns on a policy requiring MFA: the session and the refresh token from
    // before it do not satisfy it.
    w.sim.set_faults(Faults {
        mfa_required: true,
        ..Faults::default()
    });
    w.clock.advance_ms(horizon - T0 - 3 * HOUR);
    block_on(w.engine.tick()).unwrap();
    let conn = stored(&w, &ada());
    let failed = conn
        .history
        .iter()
        .find(|h| h.event == Event::SilentRenewalFailed)
        .unwrap();
    assert!(failed.detail.contains("multi-factor"), "{}", failed.detail);
    assert_eq!(
        conn.status,
        Status::NeedsSignIn {
            cause: Cause::MfaRequired
        },
        "the refresh token from before the policy is refused too (AADSTS50076)"
    );
    assert!(
        tokenwatch_core::ConnectionView::of(&conn)
            .status
            .action
            .unwrap()
            .contains("complete the verification")
    );
    let renewed = block_on(w.engine.sign_in_again(&ada())).unwrap();
    assert_eq!(renewed.status.title, "Token valid");
}

#[test]
fn a_password_change_needs_sign_in_with_password_changed_or_access_revoked() {
    let w = world_ms(Registration::PublicClient);
    connect(&w);
    w.sim.change_password("ada@acme.example");
    let view = block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(view.status.title, "Token expired");
    assert_eq!(
        view.status.detail,
        "The password was changed or access was revoked, so Microsoft no longer accepts this connection."
    );
}

#[test]
fn withdrawn_consent_and_disabled_accounts_are_diagnosed() {
    let w = world_ms(Registration::PublicClient);
    connect(&w);
    w.sim.revoke_ms_consent("ada@acme.example");
    // The access token still works until it expires; then the refresh meets the withdrawal.
    assert_eq!(
        block_on(w.engine.check(&ada())).unwrap().status.title,
        "Token valid"
    );
    w.sim.expire_access_tokens();
    let view = block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(
        stored(&w, &ada()).status,
        Status::NeedsSignIn {
            cause: Cause::ConsentRequired
        }
    );
    assert!(view.status.action.unwrap().contains("admin consent"));
    // Signing in again shows the consent page, and accepting it restores the connection.
    let renewed = block_on(w.engine.sign_in_again(&ada())).unwrap();
    assert_eq!(renewed.status.title, "Token valid");

    w.sim.set_user_active("ada@acme.example", false);
    w.sim.expire_access_tokens();
    block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(
        stored(&w, &ada()).status,
        Status::NeedsSignIn {
            cause: Cause::InactiveUser
        }
    );
}

#[test]
fn a_registration_type_that_does_not_match_the_origin_header_is_explained() {
    // Tokenwatch set up as a single-page app (sends Origin), app registered as public client.
    let w = world_ms(Registration::Spa);
    w.sim.set_ms_registration(
        tokenwatch_sim::MS_SPA_CLIENT_ID,
        MsRegistration::PublicClient,
    );
    let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
    assert_eq!(
        err,
        EngineError::SignInRefused {
            provider: Provider::Microsoft,
            cause: Cause::RegistrationMismatch {
                registered_as: Registration::PublicClient,
                redirect: MS_REDIRECT.into()
            }
        }
    );
    assert!(
        block_on(w.engine.list()).unwrap().is_empty(),
        "nothing stored"
    );

    // Set up as public client (Origin stripped), app registered as single-page app.
    let w = world_ms(Registration::PublicClient);
    w.sim
        .set_ms_registration(tokenwatch_sim::MS_PUBLIC_CLIENT_ID, MsRegistration::Spa);
    let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
    assert!(
        err.to_string()
            .contains("lists Tokenwatch's redirect URI as a single-page application"),
        "{err}"
    );
}

#[test]
fn id_token_faults_are_refused_and_nothing_is_stored() {
    for (fault, want) in [
        (IdTokenFault::AlgNone, IdTokenError::Unsigned),
        (IdTokenFault::WrongNonce, IdTokenError::Nonce),
        (IdTokenFault::WrongAudience, IdTokenError::Audience),
        (IdTokenFault::WrongIssuer, IdTokenError::Issuer),
    ] {
        let w = world_ms(Registration::PublicClient);
        w.sim.set_faults(Faults {
            id_token: Some(fault),
            ..Faults::default()
        });
        let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
        assert_eq!(err, EngineError::IdToken(want), "{fault:?}");
        assert!(block_on(w.engine.list()).unwrap().is_empty());
    }
}

#[test]
fn a_renewal_as_another_account_is_refused_and_disconnect_wipes_without_revocation() {
    let w = world_ms(Registration::PublicClient);
    connect(&w);
    w.sim.sign_out_microsoft(None);
    *w.engine.ports().identity.username.borrow_mut() = "charles@acme.example".into();
    let err = block_on(w.engine.sign_in_again(&ada())).unwrap_err();
    assert!(matches!(err, EngineError::WrongAccount { .. }), "{err:?}");
    assert_eq!(
        stored(&w, &ada()).status,
        Status::Healthy,
        "nothing changed"
    );
    // Microsoft offers public clients no revocation endpoint: wiped, reported not revoked.
    assert_eq!(block_on(w.engine.disconnect(&ada())), Ok(false));
    assert!(block_on(w.engine.list()).unwrap().is_empty());
}

#[test]
fn silent_sign_in_without_a_session_is_login_required_and_stores_nothing_new() {
    let w = world_ms(Registration::Spa);
    connect(&w);
    w.sim.sign_out_microsoft(None);
    let horizon = stored(&w, &ada()).horizon().unwrap().as_millis();
    let before = w.sim.counters().silent_authorizations;
    // Move into the silent renewal window (4 h before) and check once.
    w.clock.advance_ms(horizon - T0 - 3 * HOUR);
    block_on(w.engine.tick()).unwrap();
    assert_eq!(w.sim.counters().silent_authorizations, before + 1);
    let conn = stored(&w, &ada());
    assert_eq!(conn.status, Status::Healthy, "3 h ahead: not yet warned");
    assert_eq!(
        conn.history.last().unwrap().event,
        Event::SilentRenewalFailed
    );
}
