//! The vault in a service worker, where the extension keeps its tokens: there is no window, and
//! WebCrypto and IndexedDB are reached through the worker's global scope.
#![cfg(target_arch = "wasm32")]

use tokenwatch::sealer::WebCryptoSealer;
use tokenwatch::web::idb;
use tokenwatch_core::ports::MemoryStore;
use tokenwatch_core::testing::conformance;
use tokenwatch_core::vault::{Loaded, Vault};
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
async fn the_key_survives_a_worker_restart_and_its_loss_is_a_clean_state() {
    let db = "tokenwatch-test-worker-restart";
    let store = MemoryStore::default();
    conformance::round_trip(&store, &WebCryptoSealer::with_database(db))
        .await
        .unwrap();
    let id = conformance::fixture(1).id;
    // A worker restart: the context's in-memory key is gone, IndexedDB still holds it.
    let after_restart = WebCryptoSealer::with_database(db);
    after_restart.forget_cached_key();
    assert!(matches!(
        Vault::new(&store, &after_restart).load(&id).await.unwrap(),
        Some(Loaded::Ok { .. })
    ));
    idb::delete_database(db).await.unwrap();
    let after_loss = WebCryptoSealer::with_database(db);
    after_loss.forget_cached_key();
    assert!(matches!(
        Vault::new(&store, &after_loss).load(&id).await.unwrap(),
        Some(Loaded::Unreadable {
            reason: tokenwatch_core::status::Unreadable::KeyLost,
            ..
        })
    ));
    idb::delete_database(db).await.unwrap();
}

/// Resolves after `ms` milliseconds (the worker's own `setTimeout`).
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let set_timeout: js_sys::Function =
            js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
                .unwrap()
                .into();
        set_timeout
            .call2(&wasm_bindgen::JsValue::UNDEFINED, &resolve, &ms.into())
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn navigator_locks_hold_a_second_caller_until_the_first_releases() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use tokenwatch::web::locks;
    let order = Rc::new(RefCell::new(Vec::new()));
    let first = locks::acquire("tokenwatch:refresh:test").await.unwrap();
    let seen = Rc::clone(&order);
    wasm_bindgen_futures::spawn_local(async move {
        let _second = locks::acquire("tokenwatch:refresh:test").await.unwrap();
        seen.borrow_mut().push("second acquired");
    });
    sleep(50).await;
    order.borrow_mut().push("first releases");
    drop(first);
    sleep(50).await;
    assert_eq!(*order.borrow(), vec!["first releases", "second acquired"]);
}
