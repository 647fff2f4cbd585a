#![no_main]
//! Fuzz target: `tokenwatch_core::testing::fuzzing::stored_connection` must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tokenwatch_core::testing::fuzzing::stored_connection(data);
});
