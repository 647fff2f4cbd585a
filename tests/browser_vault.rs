//! The vault's conformance checks in a real browser page: WebCrypto AES-256-GCM with the key in
//! IndexedDB, over in-memory storage and over `localStorage` (the add-in's store), including a
//! real quota failure. Run by `cargo xtask test` with wasm-bindgen-test in Chromium.
#![cfg(target_arch = "wasm32")]

use tokenwatch::adapters::LocalStorageStore;
use tokenwatch::sealer::WebCryptoSealer;
use tokenwatch::web::idb;
use tokenwatch_core::ports::{MemoryStore, Store};
use tokenwatch_core::testing::conformance;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn sealer(test: &str) -> (WebCryptoSealer, String) {
    let db = format!("tokenwatch-test-{test}");
    (WebCryptoSealer::with_database(&db), db)
}

macro_rules! in_memory {
    ($name:ident) => {
        #[wasm_bindgen_test]
        async fn $name() {
            let (sealer, db) = sealer(stringify!($name));
            let result = conformance::$name(&MemoryStore::default(), &sealer).await;
            idb::delete_database(&db).await.unwrap();
            result.unwrap();
        }
    };
}

in_memory!(round_trip);
in_memory!(flipped_bit);
in_memory!(truncated);
in_memory!(swapped_record);
in_memory!(unknown_version);
in_memory!(wrong_key_id);
in_memory!(compare_and_swap);
in_memory!(never_seals_clear_records);
in_memory!(forged_heads_are_ignored);

#[wasm_bindgen_test]
async fn the_key_survives_a_restart_and_is_not_extractable() {
    let (first, db) = sealer("restart");
    let store = MemoryStore::default();
    conformance::round_trip(&store, &first).await.unwrap();
    // A new sealer, as after a worker restart, finds the same key in IndexedDB.
    let second = WebCryptoSealer::with_database(&db);
    let vault = tokenwatch_core::vault::Vault::new(&store, &second);
    let id = conformance::fixture(1).id;
    assert!(matches!(
        vault.load(&id).await.unwrap(),
        Some(tokenwatch_core::vault::Loaded::Ok { .. })
    ));
    // The stored CryptoKey refuses export.
    let database = idb::open(&db).await.unwrap();
    let entry = idb::get(&database, "vault").await.unwrap();
    database.close();
    let key = js_sys::Reflect::get(&entry, &"key".into()).unwrap();
    assert_eq!(
        js_sys::Reflect::get(&key, &"extractable".into()).unwrap(),
        false
    );
    idb::delete_database(&db).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_deleted_key_gives_the_sign_in_again_state() {
    let (sealer, db) = sealer("lost-key");
    let store = MemoryStore::default();
    let result = conformance::lost_key(&store, &sealer, || async {
        idb::delete_database(&db).await.unwrap();
        sealer.forget_cached_key();
    })
    .await;
    idb::delete_database(&db).await.unwrap();
    result.unwrap();
}

#[wasm_bindgen_test]
async fn local_storage_round_trips_and_a_quota_failure_keeps_the_old_record() {
    let store = LocalStorageStore;
    let (sealer, db) = sealer("local-storage");
    let checks = async {
        conformance::round_trip(&store, &sealer).await?;
        gloo_storage_clear();
        // Fill localStorage to its quota with filler, so the next sealed record cannot fit.
        let filled = std::cell::RefCell::new(Vec::new());
        conformance::failed_write_keeps_previous(
            &store,
            &sealer,
            || async {
                let chunk = "f".repeat(256 * 1024);
                for i in 0..200 {
                    let key = format!("filler:{i}");
                    if store.put(&key, chunk.clone()).await.is_err() {
                        break;
                    }
                    filled.borrow_mut().push(key);
                }
                let small = "s".repeat(1024);
                for i in 0..4096 {
                    let key = format!("filler:small:{i}");
                    if store.put(&key, small.clone()).await.is_err() {
                        break;
                    }
                    filled.borrow_mut().push(key);
                }
            },
            || async {
                let keys = filled.borrow().clone();
                for key in keys {
                    store.delete(&key).await.unwrap();
                }
            },
        )
        .await
    }
    .await;
    gloo_storage_clear();
    idb::delete_database(&db).await.unwrap();
    checks.unwrap();
}

fn gloo_storage_clear() {
    web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .clear()
        .unwrap();
}
