//! `cargo xtask fuzz [seconds]`: runs every fuzz target in `fuzz/` for `seconds` (default 60)
//! with libFuzzer on nightly, starting from the committed corpus in `fuzz/corpus/<target>/`.
//! New interesting inputs go to `target/fuzz-corpus/<target>/` (not committed); a crash stops
//! the run with the input's path, to be fixed and then committed under `fuzz/corpus/` where the
//! stable test (`core/tests/fuzz_corpus.rs`) replays it forever. Not part of `cargo xtask test`:
//! fuzzing takes the time it is given.

use crate::{Result, root, run};
use std::process::Command;

pub fn run_all(args: &[String]) -> Result {
    let seconds: u64 = match args.first() {
        Some(s) => s
            .parse()
            .map_err(|_| format!("fuzz: `{s}` is not a number of seconds"))?,
        None => 60,
    };
    ensure_cargo_fuzz()?;
    let root = root();
    let mut targets: Vec<String> = std::fs::read_dir(root.join("fuzz/fuzz_targets"))
        .map_err(|e| format!("fuzz/fuzz_targets: {e}"))?
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    targets.sort();
    for target in &targets {
        let work = root.join("target/fuzz-corpus").join(target);
        std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
        eprintln!("fuzz: {target} for {seconds} s");
        run(Command::new("cargo")
            .args(["+nightly", "fuzz", "run", target])
            .arg(&work)
            .arg(root.join("fuzz/corpus").join(target))
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-max_len=65536",
                "-rss_limit_mb=2048",
                "-print_final_stats=1",
            ])
            .current_dir(&root))
        .map_err(|e| {
            format!("{e}\nfuzz: {target} crashed; the input is under fuzz/artifacts/{target}/ — fix it, then commit the input to fuzz/corpus/{target}/")
        })?;
    }
    eprintln!(
        "fuzz: {} targets ran {seconds} s each without a crash",
        targets.len()
    );
    Ok(())
}

/// Nightly and cargo-fuzz, installed when missing.
fn ensure_cargo_fuzz() -> Result {
    let has_nightly = Command::new("cargo")
        .args(["+nightly", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_nightly {
        run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let has_fuzz = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}
