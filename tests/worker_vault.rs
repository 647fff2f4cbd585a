//! The vault in a service worker, where the extension keeps its tokens: there is no window, and
//! WebCrypto and IndexedDB are reached through the worker's global scope.
#![cfg(target_arch = "wasm32")]

use tokenwatch::sealer::WebCryptoSealer;
use tokenwatch::web::idb;
use tokenwatch_core::ports::MemoryStore;
use tokenwatch_core::vault::{Loaded, Vault, conformance};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_service_worker);

#[wasm_bindgen_test]
async fn seals_opens_and_detects_tampering_in_a_service_worker() {
    let db = "tokenwatch-test-worker";
    let sealer = WebCryptoSealer::with_database(db);
    let result = async {
        conformance::round_trip(&MemoryStore::default(), &sealer).await?;
        conformance::flipped_bit(&MemoryStore::default(), &sealer).await?;
        conformance::swapped_record(&MemoryStore::default(), &sealer).await
    }
    .await;
    idb::delete_database(db).await.unwrap();
    result.unwrap();
}

#[wasm_bindgen_test]
async fn the_key_survives_a_new_sealer_and_its_loss_is_a_clean_state() {
    let db = "tokenwatch-test-worker-restart";
    let store = MemoryStore::default();
    conformance::round_trip(&store, &WebCryptoSealer::with_database(db))
        .await
        .unwrap();
    let id = conformance::fixture(1).id;
    let after_restart = WebCryptoSealer::with_database(db);
    assert!(matches!(
        Vault::new(&store, &after_restart).load(&id).await.unwrap(),
        Some(Loaded::Ok { .. })
    ));
    idb::delete_database(db).await.unwrap();
    let after_loss = WebCryptoSealer::with_database(db);
    assert!(matches!(
        Vault::new(&store, &after_loss).load(&id).await.unwrap(),
        Some(Loaded::Unreadable {
            reason: tokenwatch_core::vault::Unreadable::KeyLost,
            ..
        })
    ));
    idb::delete_database(db).await.unwrap();
}
