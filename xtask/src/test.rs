//! `cargo xtask test`: every test, in the order that fails fastest.

use crate::{Result, build, cargo, root, tools};
use std::process::Command;

pub fn run(args: &[String]) -> Result {
    let skip_browser = args.iter().any(|a| a == "--no-browser");
    crate::run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    crate::run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    tools::ensure_wasm_target()?;
    crate::run(cargo().args([
        "clippy",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "tokenwatch",
        "-p",
        "tokenwatch-core",
        "--lib",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::run(cargo().args(["test", "--workspace"]))?;
    if skip_browser {
        eprintln!("browser tests skipped (--no-browser)");
        return Ok(());
    }
    let built = build::run(&[])?;
    crate::run(cargo().args(["build", "-p", "tokenwatch-sim"]))?;
    tools::ensure_chromium()?;
    let root = root();
    crate::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-timeout=120000"])
            .arg("tests/e2e/")
            .current_dir(&root)
            .env(
                "TOKENWATCH_SIM_BIN",
                root.join("target/debug/tokenwatch-sim"),
            )
            .env("TOKENWATCH_DEV_EXTENSION", &built.dev)
            .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM),
    )
}
