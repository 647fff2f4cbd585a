//! `cargo xtask test`: every test, in the order that fails fastest.

use crate::{Result, build, cargo, root, tools};
use std::process::Command;

const WASM: &str = "wasm32-unknown-unknown";

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
        WASM,
        "-p",
        "tokenwatch-core",
        "--lib",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::run(cargo().args([
        "clippy",
        "--target",
        WASM,
        "-p",
        "tokenwatch",
        "--all-targets",
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
    lint_firefox(&built.firefox)?;
    crate::package::zip_all(&built)?;
    crate::run(cargo().args(["build", "-p", "tokenwatch-sim"]))?;
    tools::ensure_chromium()?;
    let root = root();
    // Adapter tests where they run: wasm-bindgen-test in Chromium, in a page and in a service
    // worker; webdriver.json gives Chromium its flags.
    let runner = tools::ensure_wasm_bindgen()?.with_file_name("wasm-bindgen-test-runner");
    crate::run(
        cargo()
            .args([
                "test",
                "--target",
                WASM,
                "-p",
                "tokenwatch",
                "--test",
                "browser_vault",
                "--test",
                "worker_vault",
            ])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", runner)
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;
    // The product end to end: the test build in Chromium against the simulator over HTTP.
    crate::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-timeout=120000"])
            .arg("tests/e2e/")
            .current_dir(&root)
            .env(
                "TOKENWATCH_SIM_BIN",
                root.join("target/debug/tokenwatch-sim"),
            )
            .env("TOKENWATCH_DEV_EXTENSION", &built.test)
            .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM),
    )
}

/// `web-ext lint` on the Firefox build: fails on any error or warning.
fn lint_firefox(dir: &std::path::Path) -> Result {
    tools::ensure_npm()?;
    let root = root();
    eprintln!("$ web-ext lint --source-dir {}", dir.display());
    let out = Command::new("node")
        .arg(root.join("node_modules/web-ext/bin/web-ext.js"))
        .args(["lint", "--output", "json", "--no-input", "--source-dir"])
        .arg(dir)
        .current_dir(&root)
        .output()
        .map_err(|e| format!("cannot run web-ext: {e}"))?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("web-ext lint did not answer with JSON ({e})"))?;
    let list = |k: &str| report[k].as_array().cloned().unwrap_or_default();
    for w in list("notices").iter() {
        eprintln!("  web-ext: {} {}", w["code"], w["message"]);
    }
    let errors: Vec<_> = list("errors").into_iter().chain(list("warnings")).collect();
    for e in &errors {
        eprintln!(
            "  web-ext error: {} {} ({})",
            e["code"], e["message"], e["file"]
        );
    }
    if errors.is_empty() {
        eprintln!(
            "  web-ext lint: no errors, {} warnings",
            list("warnings").len()
        );
        Ok(())
    } else {
        Err(format!(
            "web-ext lint found {} errors in {}",
            errors.len(),
            dir.display()
        ))
    }
}
