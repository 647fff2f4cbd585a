//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/*`) through the same entry points
//! the fuzz targets call, on the stable toolchain: every input that ever found a crash, and
//! every seed, must pass without panicking. (`cargo xtask fuzz` does the fuzzing itself.)

use std::path::Path;
use tokenwatch_core::testing::fuzzing::TARGETS;

#[test]
fn every_committed_input_is_handled_without_a_panic() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut total = 0;
    for (name, target) in TARGETS {
        let dir = corpus.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{name} has no seed");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let _ = target(&data);
            total += 1;
        }
    }
    assert!(total >= TARGETS.len());
}

#[test]
fn the_seeds_reach_past_the_first_check() {
    // A corpus whose every input fails at once would fuzz only the front door: at least one
    // seed of each kind that can be valid is accepted.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let accepted = |name: &str, file: &str| {
        let f = TARGETS.iter().find(|(n, _)| *n == name).unwrap().1;
        f(&std::fs::read(corpus.join(name).join(file)).unwrap())
    };
    assert!(accepted("salesforce_token", "valid"));
    assert!(!accepted("salesforce_token", "foreign_instance"));
    assert!(accepted("microsoft_token", "valid"));
    assert!(accepted("error_response", "ms_700084"));
    assert!(accepted("callback", "code"));
    assert!(!accepted("callback", "foreign_iss"));
    assert!(accepted("id_token", "valid"));
    assert!(!accepted("id_token", "alg_none"));
    assert!(accepted("stored_head", "gen_1"));
    assert!(accepted("stored_head", "legacy_clear_v1"));
    assert!(accepted("stored_connection", "v1"));
    assert!(accepted("stored_connection", "v2_microsoft"));
    assert!(accepted("message", "save_settings"));
    assert!(!accepted("message", "get_token"));
}
