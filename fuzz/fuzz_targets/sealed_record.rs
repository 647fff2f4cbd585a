#![no_main]
//! Fuzz target: `tokenwatch_core::testing::fuzzing::sealed_record` must not panic on any input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tokenwatch_core::testing::fuzzing::sealed_record(data);
});
