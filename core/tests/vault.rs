//! The vault's conformance checks against the in-memory twins, plus the engine's answer to an
//! unreadable record.

mod common;

use common::{SIM_URL, block_on, world};
use std::cell::Cell;
use tokenwatch_core::messages::LoginChoice;
use tokenwatch_core::ports::{MemoryStore, Store, StoreError};
use tokenwatch_core::status::Tone;
use tokenwatch_core::testing::{TestSealer, conformance};

macro_rules! conformance_test {
    ($name:ident) => {
        #[test]
        fn $name() {
            let (store, sealer) = (MemoryStore::default(), TestSealer::default());
            block_on(conformance::$name(&store, &sealer)).unwrap();
        }
    };
}

conformance_test!(round_trip);
conformance_test!(flipped_bit);
conformance_test!(truncated);
conformance_test!(swapped_record);
conformance_test!(unknown_version);
conformance_test!(wrong_key_id);
conformance_test!(compare_and_swap);
conformance_test!(never_seals_clear_records);
conformance_test!(forged_heads_are_ignored);

#[test]
fn lost_key() {
    let (store, sealer) = (MemoryStore::default(), TestSealer::default());
    block_on(conformance::lost_key(&store, &sealer, || async {
        sealer.lose_keys()
    }))
    .unwrap();
}

/// A store whose writes of large values fail while `full` is set, like a quota.
#[derive(Debug, Default)]
struct QuotaStore {
    inner: MemoryStore,
    full: Cell<bool>,
}

impl Store for QuotaStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: String) -> Result<(), StoreError> {
        if self.full.get() && value.len() > 2000 {
            return Err(StoreError::Backend("QUOTA_BYTES quota exceeded".into()));
        }
        self.inner.put(key, value).await
    }
    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.list(prefix).await
    }
}

#[test]
fn failed_write_keeps_previous() {
    let (store, sealer) = (QuotaStore::default(), TestSealer::default());
    block_on(conformance::failed_write_keeps_previous(
        &store,
        &sealer,
        || async { store.full.set(true) },
        || async { store.full.set(false) },
    ))
    .unwrap();
}

#[test]
fn a_lost_key_shows_needs_sign_in_with_its_cause_and_a_new_sign_in_restores_it() {
    let w = world();
    let login = LoginChoice::Custom {
        host: SIM_URL.into(),
    };
    let view = block_on(w.engine.connect_salesforce(&login)).unwrap();
    w.engine.ports().sealer.lose_keys();

    let listed = block_on(w.engine.list()).unwrap();
    assert_eq!(listed.len(), 1, "the connection is not dropped");
    let row = &listed[0];
    assert_eq!(row.id, view.id);
    assert_eq!(row.org_id, "00D5g000004AcmeEAA");
    assert_eq!(row.status.tone, Tone::Error);
    assert_eq!(row.status.title, "Token expired");
    assert_eq!(
        row.status.detail,
        "The stored data could not be decrypted (the browser's encryption key for Tokenwatch was removed). It was set aside, not deleted."
    );
    assert_eq!(
        row.status.action.as_deref(),
        Some("Add the connection again below to restore it.")
    );
    assert_eq!(row.checked_at, None);

    // A check of an unreadable connection reports it without touching the network.
    let before = w.sim.counters();
    assert_eq!(
        block_on(w.engine.check(&view.id)).unwrap().status,
        row.status
    );
    assert_eq!(w.sim.counters(), before);

    // Signing in again replaces it under a new key.
    let again = block_on(w.engine.connect_salesforce(&login)).unwrap();
    assert_eq!(again.status.title, "Token valid");
    assert_eq!(block_on(w.engine.list()).unwrap(), vec![again]);
    let quarantined = w
        .engine
        .ports()
        .store
        .dump()
        .into_iter()
        .filter(|(k, _)| k.starts_with("quarantine:"))
        .count();
    assert_eq!(quarantined, 1, "the unreadable record is kept aside");
}

#[test]
fn a_clear_text_record_under_another_connections_key_is_quarantined_not_migrated() {
    use tokenwatch_core::status::Unreadable;
    use tokenwatch_core::vault::{Loaded, Vault};
    let (store, sealer) = (MemoryStore::default(), TestSealer::default());
    let (a, b) = (conformance::fixture(1), conformance::fixture(2));
    block_on(store.put(
        &format!("conn:{}", b.id),
        serde_json::to_string(&a).unwrap(),
    ))
    .unwrap();
    let loaded = block_on(Vault::new(&store, &sealer).load(&b.id)).unwrap();
    assert!(
        matches!(
            loaded,
            Some(Loaded::Unreadable {
                reason: Unreadable::UnknownFormat,
                ..
            })
        ),
        "{loaded:?}"
    );
    assert!(
        block_on(store.get(&format!("quarantine:{}:0", b.id)))
            .unwrap()
            .is_some()
    );
}

/// What a content script (Firefox lets it write `storage.local`) or another program writes
/// beside the sealed record cannot stop, delay or fake a check: a head that says `parked` and
/// dates the next check years ahead is ignored, the due check runs, and the connection's
/// history says what was ignored.
#[test]
fn a_forged_parked_head_cannot_stop_the_scheduled_check() {
    let w = world();
    let login = LoginChoice::Custom {
        host: SIM_URL.into(),
    };
    let view = block_on(w.engine.connect_salesforce(&login)).unwrap();
    let key = format!("conn:{}", view.id);
    let forged = serde_json::json!({
        "gen": 1,
        "glance": { "parked": true, "next": 4_102_444_800_000u64 }
    })
    .to_string();
    block_on(w.engine.ports().store.put(&key, forged.clone())).unwrap();

    // Past the first due check: the forged head would have parked it for good.
    w.clock.advance_ms(2 * 3_600_000);
    let before = w.sim.counters();
    let tick = block_on(w.engine.tick()).unwrap();
    assert_eq!(tick.checked, 1, "the forged head was obeyed");
    assert!(
        w.sim.counters().userinfo > before.userinfo,
        "no check reached the org"
    );
    let next = tick.next_wakeup.unwrap();
    assert!(
        next.as_millis() < 4_102_444_800_000,
        "the forged date was obeyed"
    );

    // The head is the vault's own again, and the history says what was ignored.
    assert_ne!(
        block_on(w.engine.ports().store.get(&key)).unwrap().unwrap(),
        forged
    );
    let listed = block_on(w.engine.list()).unwrap();
    assert_eq!(listed[0].status.title, "Token valid");
    let history = block_on(w.engine.details(&view.id)).unwrap().history;
    assert!(
        history.iter().any(|h| h.title == "Stored schedule ignored"),
        "{history:?}"
    );
}
