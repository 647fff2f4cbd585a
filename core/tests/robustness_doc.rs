//! `docs/robustness.md` may only name tests that exist: every `file#test` in its tables is
//! looked up here (a Rust `fn test(`, or the start of a JavaScript `test('…` title), and the
//! test command runs them, so the table stays in step with what passes.

use std::path::Path;

#[test]
fn every_test_the_robustness_table_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/robustness.md")).unwrap();
    let mut checked = 0;
    let mut last_file = String::new();
    for reference in doc
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|r| r.contains('#'))
    {
        let (file, name) = reference.split_once('#').unwrap();
        let file = if file.is_empty() {
            last_file.clone()
        } else {
            file.to_owned()
        };
        last_file = file.clone();
        let text =
            std::fs::read_to_string(root.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let found = if file.ends_with(".rs") {
            text.contains(&format!("fn {name}(")) || text.contains(&format!("fn {name}<"))
        } else {
            text.contains(&format!("test('{name}")) || text.contains(&format!("test(\"{name}"))
        };
        assert!(
            found,
            "docs/robustness.md names {file}#{name}, which does not exist"
        );
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} references found");
}
