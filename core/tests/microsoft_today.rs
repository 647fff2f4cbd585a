//! Microsoft 365 as it is today, against the simulator on a virtual clock: Microsoft Graph by
//! default and EWS only where it still lives, a check that calls the resource, every refusal
//! named with the ids Microsoft's support needs, refresh for no more than was granted, a
//! diagnostic report with no secret in it, and accounts of several tenants side by side.

mod common;

use common::*;
use tokenwatch_core::connection::Event;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::messages::{ErrorCode, MicrosoftChoice};
use tokenwatch_core::microsoft::{Registration, Resource};
use tokenwatch_core::status::Tone;
use tokenwatch_core::{Cause, ConnectionId, EngineError, Status};
use tokenwatch_sim::Faults;

const ADA: &str = "ms:4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d:0ada0ada-1111-4222-8333-444455556666";
const GRACE: &str = "ms:7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d:06ace06a-1111-4222-8333-444455556666";

fn ada() -> ConnectionId {
    ConnectionId::parse(ADA).unwrap()
}

fn choice(resource: Resource) -> MicrosoftChoice {
    MicrosoftChoice {
        resource: Some(resource),
        ..Default::default()
    }
}

fn connect(w: &World, choice: &MicrosoftChoice) -> tokenwatch_core::ConnectionView {
    block_on(w.engine.connect_microsoft(choice)).expect("connects")
}

fn faults(w: &World, f: Faults) {
    w.sim.set_faults(f);
}

#[test]
fn check_now_proves_the_token_at_microsoft_graph_and_refreshes_only_when_graph_refuses_it() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    let before = w.sim.counters();
    assert_eq!(
        block_on(w.engine.check(&ada())).unwrap().status.title,
        "Token valid"
    );
    let after = w.sim.counters();
    assert_eq!(
        (
            after.graph_me - before.graph_me,
            after.refreshes - before.refreshes
        ),
        (1, 0),
        "Graph /me was asked; the refresh token was not needed"
    );
    // An expired token: Graph answers 401, one refresh, the new token proven again.
    w.sim.expire_access_tokens();
    assert_eq!(
        block_on(w.engine.check(&ada())).unwrap().status.title,
        "Token valid"
    );
    let later = w.sim.counters();
    assert_eq!(
        (
            later.graph_me - after.graph_me,
            later.refreshes - after.refreshes
        ),
        (2, 1)
    );
}

#[test]
fn an_ews_connection_in_a_tenant_where_exchange_online_retired_ews_says_so_and_what_fixes_it() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &choice(Resource::Exchange));
    assert_eq!(
        block_on(w.engine.check(&ada())).unwrap().status.title,
        "Token valid"
    );
    assert_eq!(w.sim.counters().ews, 1, "the check called EWS");
    faults(
        &w,
        Faults {
            ews_disabled: true,
            ..Faults::default()
        },
    );
    let view = block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(view.status.tone, Tone::Error);
    assert_eq!(
        view.status.detail,
        "Exchange Online no longer accepts EWS for your organization (retired: blocked since 1 October 2026 unless an administrator allows it, switched off on 1 April 2027)."
    );
    assert!(
        view.status
            .action
            .as_deref()
            .unwrap()
            .starts_with("Remove this connection and add the account again with Microsoft Graph"),
        "{:?}",
        view.status.action
    );
    let refreshes = w.sim.counters().refreshes;
    w.clock.advance_ms(86_400_000);
    block_on(w.engine.tick()).unwrap();
    assert_eq!(
        w.sim.counters().refreshes,
        refreshes,
        "no token helps: not retried"
    );
    // The same account with Microsoft Graph works.
    block_on(w.engine.disconnect(&ada())).unwrap();
    assert_eq!(
        connect(&w, &MicrosoftChoice::default()).status.title,
        "Token valid"
    );
}

#[test]
fn exchange_on_premises_asks_for_its_own_hosts_ews_scope_and_is_checked_there() {
    let w = world_ms(Registration::PublicClient);
    let view = connect(
        &w,
        &MicrosoftChoice {
            resource: Some(Resource::ExchangeOnPremises),
            ews_url: Some(format!("{SIM_URL}/EWS/Exchange.asmx")),
            ..Default::default()
        },
    );
    assert_eq!(view.status.title, "Token valid");
    let opened = &w.engine.ports().identity.opened.borrow()[0];
    let scope = opened
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(
        scope,
        format!("openid profile offline_access {SIM_URL}/EWS.AccessAsUser.All")
    );
    block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(w.sim.counters().ews, 1);
    let bad = block_on(w.engine.connect_microsoft(&MicrosoftChoice {
        resource: Some(Resource::ExchangeOnPremises),
        ews_url: Some("ftp://mail.contoso.com/EWS".into()),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(bad.code(), ErrorCode::BadChoice);
    assert_eq!(bad.view().field.as_deref(), Some("ms-ews-url"));
}

#[test]
fn a_mailbox_less_user_graph_refusing_the_account_and_graph_throttling_are_each_named() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &choice(Resource::Exchange));
    faults(
        &w,
        Faults {
            no_mailbox: true,
            ..Faults::default()
        },
    );
    assert_eq!(
        stored_after_check(&w),
        Status::NeedsSignIn {
            cause: Cause::MailboxNotFound {
                code: "ErrorNonExistentMailbox".into()
            }
        }
    );

    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    faults(
        &w,
        Faults {
            graph_denied: true,
            ..Faults::default()
        },
    );
    assert_eq!(
        stored_after_check(&w),
        Status::NeedsSignIn {
            cause: Cause::ResourceDenied {
                resource: Resource::Graph,
                code: "Authorization_RequestDenied".into()
            }
        }
    );

    // Throttling is an outage to wait out, never a sign-in: Retry-After 2.128 s is honoured.
    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    faults(
        &w,
        Faults {
            graph_throttled: true,
            ..Faults::default()
        },
    );
    let view = block_on(w.engine.check(&ada())).unwrap();
    assert_eq!(view.status.title, "Can't reach Microsoft");
    assert!(
        view.status.detail.contains("HTTP 429"),
        "{}",
        view.status.detail
    );
    match stored(&w, &ada()).status {
        Status::Unreachable { next_try, .. } => {
            assert!(next_try.as_millis() - T0 >= 3000, "not before Retry-After")
        }
        other => panic!("{other:?}"),
    }
}

fn stored_after_check(w: &World) -> Status {
    block_on(w.engine.check(&ada())).unwrap();
    stored(w, &ada()).status
}

/// One test per AADSTS refusal: the simulator answers where Microsoft does (the token endpoint,
/// or the authorize redirect for the ones it gives there), and the cause is the one named.
macro_rules! refusal {
    ($name:ident, $code:expr, at_sign_in, $cause:expr) => {
        #[test]
        fn $name() {
            let w = world_ms(Registration::PublicClient);
            faults(
                &w,
                Faults {
                    aadsts: Some($code),
                    ..Faults::default()
                },
            );
            let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
            assert_eq!(
                err,
                EngineError::SignInRefused {
                    provider: Provider::Microsoft,
                    cause: $cause
                }
            );
            assert!(block_on(w.engine.list()).unwrap().is_empty());
        }
    };
    ($name:ident, $code:expr, at_refresh, $cause:expr) => {
        #[test]
        fn $name() {
            let w = world_ms(Registration::PublicClient);
            connect(&w, &MicrosoftChoice::default());
            faults(
                &w,
                Faults {
                    aadsts: Some($code),
                    ..Faults::default()
                },
            );
            let view = block_on(w.engine.refresh_tokens(&ada())).unwrap();
            let conn = stored(&w, &ada());
            assert_eq!(conn.status, Status::NeedsSignIn { cause: $cause });
            assert!(
                !view.status.detail.contains("revoked"),
                "{} is not a revocation: {}",
                $code,
                view.status.detail
            );
            // What Microsoft's support needs is kept.
            let refusal = conn.history.last().unwrap().refusal.clone().unwrap();
            assert_eq!(refusal.codes, [$code]);
            assert!(refusal.trace_id.is_some() && refusal.correlation_id.is_some());
            assert_ne!(refusal.trace_id, refusal.correlation_id);
            assert!(
                !refusal.description.as_deref().unwrap().contains("Trace ID"),
                "the ids are read from their fields, not left in the words"
            );
        }
    };
}

refusal!(
    password_expired_50055,
    50055,
    at_refresh,
    Cause::PasswordExpired
);
refusal!(
    sign_in_frequency_70043,
    70043,
    at_refresh,
    Cause::SignInFrequency
);
refusal!(
    user_not_assigned_50105,
    50105,
    at_sign_in,
    Cause::UserNotAssigned
);
refusal!(
    resource_not_in_tenant_500011,
    500011,
    at_refresh,
    Cause::ResourceNotInTenant
);
refusal!(
    app_disabled_7000112,
    7000112,
    at_refresh,
    Cause::AppDisabled
);
refusal!(
    device_not_managed_530003,
    530003,
    at_refresh,
    Cause::DeviceNotCompliant
);
refusal!(
    consent_declined_65004,
    65004,
    at_sign_in,
    Cause::ConsentDeclined
);
refusal!(
    redirect_registered_as_web_7000218,
    7000218,
    at_refresh,
    Cause::RegisteredAsWeb {
        redirect: MS_REDIRECT.into()
    }
);
refusal!(
    flow_token_expired_50089,
    50089,
    at_refresh,
    Cause::SignInExpired
);
refusal!(
    guest_not_in_tenant_90072,
    90072,
    at_sign_in,
    Cause::NotInTenant
);
refusal!(
    user_not_in_tenant_50020,
    50020,
    at_sign_in,
    Cause::NotInTenant
);
refusal!(
    device_not_compliant_53000,
    53000,
    at_refresh,
    Cause::DeviceNotCompliant
);
refusal!(
    device_authentication_50097,
    50097,
    at_refresh,
    Cause::DeviceAuthRequired
);

#[test]
fn a_session_ended_by_a_password_change_50133_reads_as_a_password_change() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    faults(
        &w,
        Faults {
            aadsts: Some(50133),
            ..Faults::default()
        },
    );
    let view = block_on(w.engine.refresh_tokens(&ada())).unwrap();
    assert_eq!(
        view.status.detail,
        "The password was changed or access was revoked, so Microsoft no longer accepts this connection."
    );
}

#[test]
fn a_redirect_uri_registered_under_web_is_explained_at_the_first_sign_in() {
    let w = world_ms(Registration::PublicClient);
    w.sim.set_ms_registration(
        tokenwatch_sim::MS_PUBLIC_CLIENT_ID,
        tokenwatch_sim::MsRegistration::Web,
    );
    let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "The app registration lists Tokenwatch's redirect URI under \"Web\", which needs a client secret"
        ),
        "{err}"
    );
}

#[test]
fn a_refresh_asks_for_no_more_than_was_granted_and_a_withheld_permission_is_named_at_once() {
    // An administrator withheld `profile`: the resource is granted, so the sign-in works, and
    // a strict server (RFC 6749 §6) refuses any refresh that asks for `profile` again.
    let w = world_ms(Registration::PublicClient);
    faults(
        &w,
        Faults {
            grant_without: Some("profile".into()),
            ..Faults::default()
        },
    );
    connect(&w, &MicrosoftChoice::default());
    assert_eq!(
        stored(&w, &ada()).tokens.granted.as_deref(),
        Some("openid User.Read")
    );
    assert_eq!(
        block_on(w.engine.refresh_tokens(&ada()))
            .unwrap()
            .status
            .title,
        "Token valid"
    );
    let (_, body) = w
        .engine
        .ports()
        .http
        .log
        .borrow()
        .iter()
        .rev()
        .find(|(u, _)| u.ends_with("/token"))
        .cloned()
        .unwrap();
    assert!(
        body.contains("scope=openid+User.Read"),
        "the refresh asked for what was granted: {body}"
    );
    // The resource itself withheld: said at the sign-in, nothing stored.
    let w = world_ms(Registration::PublicClient);
    faults(
        &w,
        Faults {
            grant_without: Some("User.Read".into()),
            ..Faults::default()
        },
    );
    let err = block_on(w.engine.connect_microsoft(&Default::default())).unwrap_err();
    assert_eq!(
        err.view().message,
        "Microsoft signed you in without granting User.Read, which this connection needs: an administrator withheld it. Ask your Microsoft 365 admin to grant User.Read to Tokenwatch (Entra admin center → Enterprise applications → Tokenwatch → Permissions → Grant admin consent), then add the account again."
    );
    assert!(block_on(w.engine.list()).unwrap().is_empty());
    // Salesforce without the identity scope: said at the sign-in too.
    let w = world();
    w.sim.set_faults(Faults {
        grant_without: Some("id".into()),
        ..Faults::default()
    });
    let err = block_on(
        w.engine
            .connect_salesforce(&tokenwatch_core::LoginChoice::Custom {
                host: SIM_URL.into(),
            }),
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "Salesforce issues tokens for this connection but refuses them at its user information endpoint, because the connected app does not grant the identity scope (id)"
        ),
        "{err}"
    );
}

#[test]
fn the_diagnostic_report_names_everything_an_administrator_needs_and_no_secret() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    w.sim.change_password("ada@acme.example");
    block_on(w.engine.refresh_tokens(&ada())).unwrap();
    let report = block_on(
        w.engine
            .report(&ada(), "Tokenwatch 0.1.0 on a test browser"),
    )
    .unwrap();
    for line in [
        "Tokenwatch diagnostic report",
        "Tokenwatch 0.1.0 on a test browser",
        "Provider: Microsoft",
        "Account: ada@acme.example (Ada Lovelace)",
        "Tenant: 4d3c2b1a-5e6f-4a0b-8c9d-0e1f2a3b4c5d",
        "Resource: Microsoft Graph",
        "Registration: public_client",
        "Status: Token expired — The password was changed or access was revoked",
        "Last refusals:",
        "invalid_grant: AADSTS50173",
        "[AADSTS50173, trace ID ",
        "History, newest first:",
        "2026-01-01 00:00:00 UTC Signed in — as ada@acme.example",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
    let conn = stored(&w, &ada());
    let refusal = conn.history.last().unwrap().refusal.clone().unwrap();
    assert!(report.contains(&refusal.correlation_id.unwrap()));
    for token in w.sim.issued_tokens() {
        assert!(!report.contains(&token), "a token is in the report");
    }
    assert!(!report.contains(conn.tokens.refresh.secret()));
    assert!(!report.contains(conn.tokens.access.secret()));
    assert!(!report.contains("code="), "no authorization code");
}

#[test]
fn two_accounts_of_two_tenants_live_side_by_side() {
    let w = world_ms(Registration::PublicClient);
    connect(&w, &MicrosoftChoice::default());
    *w.engine.ports().identity.username.borrow_mut() = "grace@globex.example".into();
    let grace = connect(
        &w,
        &MicrosoftChoice {
            tenant: Some("7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d".into()),
            ..Default::default()
        },
    );
    assert_eq!(grace.id.as_str(), GRACE);
    let opened = w.engine.ports().identity.opened.borrow();
    assert_eq!(
        opened[1].path(),
        "/7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d/oauth2/v2.0/authorize",
        "the tenant chosen at Add"
    );
    drop(opened);
    let ids: Vec<String> = block_on(w.engine.list())
        .unwrap()
        .into_iter()
        .map(|v| v.id.as_str().to_owned())
        .collect();
    assert_eq!(ids, [ADA, GRACE]);
    for id in [ada(), ConnectionId::parse(GRACE).unwrap()] {
        assert_eq!(
            block_on(w.engine.check(&id)).unwrap().status.title,
            "Token valid"
        );
    }
    let bad = block_on(w.engine.connect_microsoft(&MicrosoftChoice {
        tenant: Some("not a tenant".into()),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(bad.view().field.as_deref(), Some("ms-tenant"));
}

#[test]
fn a_connection_stored_before_resources_were_chosen_keeps_working_on_ews() {
    // A record as the previous version stored it: resource "exchange", no cloud, no EWS
    // address, no granted scopes.
    let w = world_ms(Registration::PublicClient);
    connect(&w, &choice(Resource::Exchange));
    let ports = w.engine.ports();
    let vault = tokenwatch_core::vault::Vault::new(&ports.store, &ports.sealer);
    let mut conn = stored(&w, &ada());
    let mut json: serde_json::Value = serde_json::to_value(&conn).unwrap();
    for key in ["cloud", "ews_url"] {
        json["site"].as_object_mut().unwrap().remove(key);
    }
    json["tokens"].as_object_mut().unwrap().remove("granted");
    conn = tokenwatch_core::Connection::from_json(json.to_string().as_bytes()).unwrap();
    assert_eq!(conn.tokens.granted, None);
    let generation = block_on(vault.generation(&ada())).unwrap().unwrap();
    block_on(vault.save(&conn, generation)).unwrap();
    w.sim.expire_access_tokens();
    let ews = w.sim.counters().ews;
    assert_eq!(
        block_on(w.engine.check(&ada())).unwrap().status.title,
        "Token valid"
    );
    assert!(w.sim.counters().ews > ews, "checked on EWS");
    assert_eq!(
        stored(&w, &ada())
            .history
            .iter()
            .filter(|h| h.event == Event::TokenExpired)
            .count(),
        0
    );
}
