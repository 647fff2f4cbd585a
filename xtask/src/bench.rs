//! `cargo xtask bench [reps]`: builds the release extension, then runs `tests/bench/bench.mjs`
//! in one headless Chromium against the provider simulator, beside the peers in `bench/`
//! (msal-browser, jsforce, oauth4webapi, pinned in `bench/package-lock.json` and installed only
//! here). Writes `target/bench/report.json` and `target/bench/report.md`. Timings belong in this
//! report, never in the tests: the machines are shared and noisy.

use crate::{Result, build, cargo, root, tools};
use std::process::Command;

pub fn run(args: &[String]) -> Result {
    let reps = match args.first() {
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 20)
            .ok_or("bench: reps must be a number, at least 20")?,
        None => 20,
    };
    let built = build::run(&[])?;
    tools::ensure_chromium()?;
    tools::ensure_npm_in(&root().join("bench"))?;
    crate::run(cargo().args(["build", "-p", "tokenwatch-sim"]))?;
    let root = root();
    crate::run(
        Command::new("node")
            .arg("tests/bench/bench.mjs")
            .current_dir(&root)
            .env("TOKENWATCH_BENCH_REPS", reps.to_string())
            .env(
                "TOKENWATCH_SIM_BIN",
                root.join("target/debug/tokenwatch-sim"),
            )
            .env("TOKENWATCH_DEV_EXTENSION", &built.dev)
            .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM),
    )?;
    eprintln!("report: target/bench/report.md, target/bench/report.json");
    Ok(())
}
