//! The floor `cargo xtask bench` measures Tokenwatch's worker against: the smallest
//! wasm-bindgen module, loaded by a service worker through the same glue and started the same
//! way (`noop_wasm_start_ms`), and an alarm into an export that does nothing.

use wasm_bindgen::prelude::*;

/// Does nothing, as the start of a worker that has nothing to set up.
#[wasm_bindgen]
pub fn on_start() -> u32 {
    1
}
