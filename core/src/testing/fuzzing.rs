//! One entry point per parser of outside input, for the fuzz targets in `fuzz/` and for the
//! stable test that replays their committed corpus (`core/tests/fuzz_corpus.rs`). Each takes
//! arbitrary bytes and must return without panicking; what it returns is only for the replay
//! test to look at.

use crate::connection::Connection;
use crate::flow::PendingAuthorization;
use crate::ids::{ConnectionId, Provider};
use crate::messages::Envelope;
use crate::microsoft::{self, Authority, Tenant};
use crate::ports::{MemoryStore, Store};
use crate::provider::microsoft::client as ms_client;
use crate::provider::salesforce::client as sf_client;
use crate::provider::shared::Context as Diagnosis;
use crate::salesforce::{self, LoginHost};
use crate::testing::{CountingEntropy, TestSealer, conformance};
use crate::time::Timestamp;
use crate::vault::{Loaded, Vault};
use std::future::Future;
use std::task::{Context, Poll, Waker};
use url::Url;

/// A fuzz entry point: arbitrary bytes in, whether the input was accepted out.
pub type Target = fn(&[u8]) -> bool;

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and corpus directory.
pub const TARGETS: [(&str, Target); 9] = [
    ("salesforce_token", salesforce_token),
    ("microsoft_token", microsoft_token),
    ("error_response", error_response),
    ("callback", callback),
    ("id_token", id_token),
    ("sealed_record", sealed_record),
    ("stored_head", stored_head),
    ("stored_connection", stored_connection),
    ("message", message),
];

const NOW: Timestamp = Timestamp::from_millis(1_767_225_600_000);
const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/salesforce";

/// Runs a future of the in-memory ports, which never wait.
fn run<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("in-memory ports never wait"),
    }
}

/// A Salesforce token response: parsed, then checked against the production login host.
/// True when accepted.
pub fn salesforce_token(data: &[u8]) -> bool {
    serde_json::from_slice::<salesforce::TokenResponse>(data)
        .ok()
        .is_some_and(|r| r.validate(&LoginHost::production()).is_ok())
}

/// A Microsoft token response: parsed, and its refresh time computed. True when parsed.
pub fn microsoft_token(data: &[u8]) -> bool {
    serde_json::from_slice::<microsoft::TokenResponse>(data)
        .map(|r| r.refresh_due(NOW) >= NOW)
        .unwrap_or(false)
}

/// An OAuth error body, diagnosed as each provider would be. True when parsed.
pub fn error_response(data: &[u8]) -> bool {
    let Ok(e) = serde_json::from_slice::<crate::oauth::ErrorResponse>(data) else {
        return false;
    };
    let ctx = Diagnosis {
        org: Some("00D5g000004AcmeEAA"),
        redirect: REDIRECT,
        expired_by_policy: false,
    };
    let error = e.error.as_str();
    let description = e.error_description.as_deref();
    let sf = sf_client::diagnose(error, description, &ctx);
    let ms = ms_client::diagnose(error, description, &ctx);
    let p = Provider::Salesforce;
    !sf.text(p).is_empty() && !ms.action(p).is_empty()
}

/// A callback URL's query for a started sign-in; `{state}` in the input is replaced by the
/// sign-in's real `state`, so the fuzzer reaches the checks behind it. True when a code
/// comes out.
pub fn callback(data: &[u8]) -> bool {
    let redirect = Url::parse(REDIRECT).expect("constant URL");
    let pending = PendingAuthorization::new(&CountingEntropy::default(), redirect, NOW)
        .with_issuer_origin("https://login.salesforce.com".into());
    let query = String::from_utf8_lossy(data).replace("{state}", pending.state().secret());
    match Url::parse(&format!("{REDIRECT}?{query}")) {
        Ok(url) => pending.complete(&url, NOW).is_ok(),
        Err(_) => false,
    }
}

/// An ID token, checked for the public cloud's `common` authority. True when accepted.
pub fn id_token(data: &[u8]) -> bool {
    let authority = Authority::public_cloud(Tenant::Common);
    let expect = microsoft::Expect {
        client_id: "11111111-2222-3333-4444-555555555555",
        authority: &authority,
        nonce: "n-0S6_WzA2Mj",
        now: NOW,
    };
    microsoft::check_id_token(&String::from_utf8_lossy(data), &expect).is_ok()
}

fn seeded() -> (MemoryStore, TestSealer, ConnectionId) {
    let store = MemoryStore::default();
    let sealer = TestSealer::default();
    let conn = conformance::fixture(0);
    run(Vault::new(&store, &sealer).save(&conn, 0)).expect("the fixture saves");
    (store, sealer, conn.id)
}

/// A sealed record in place of a stored one (same key, so decryption is attempted). True when
/// it opens.
pub fn sealed_record(data: &[u8]) -> bool {
    let (store, sealer, id) = seeded();
    let key = format!("rec:{id}:1");
    run(store.put(&key, String::from_utf8_lossy(data).into_owned())).expect("memory");
    matches!(
        run(Vault::new(&store, &sealer).load(&id)),
        Ok(Some(Loaded::Ok { .. }))
    )
}

/// A head entry in place of a stored one (covers the head's format and the clear-text
/// migration of the first version). True when the connection opens.
pub fn stored_head(data: &[u8]) -> bool {
    let (store, sealer, id) = seeded();
    let key = format!("conn:{id}");
    run(store.put(&key, String::from_utf8_lossy(data).into_owned())).expect("memory");
    matches!(
        run(Vault::new(&store, &sealer).load(&id)),
        Ok(Some(Loaded::Ok { .. }))
    )
}

/// A decrypted record's JSON, with the upgrade of older layouts. True when it reads.
pub fn stored_connection(data: &[u8]) -> bool {
    Connection::from_json(data).is_ok()
}

/// A message from a page. True when it is a request of this protocol.
pub fn message(data: &[u8]) -> bool {
    std::str::from_utf8(data).is_ok_and(|text| Envelope::decode(text).is_ok())
}
