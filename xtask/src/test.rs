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
        "--features",
        "tokenwatch/worker,tokenwatch/pages,tokenwatch/outlook",
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
        "--features",
        "worker,pages,outlook",
        "--",
        "-D",
        "warnings",
    ]))?;
    crate::run(cargo().args([
        "test",
        "--workspace",
        "--features",
        "tokenwatch/worker,tokenwatch/pages,tokenwatch/outlook",
    ]))?;
    // The deterministic simulation's fixed seeds (92 days each) and kept seeds: optimized, or ten
    // times as long (the debug run above skips them).
    crate::run(crate::simulate::simulation().args(["--", "--nocapture"]))?;
    if skip_browser {
        eprintln!("browser tests skipped (--no-browser)");
        return Ok(());
    }
    let built = build::run(&[])?;
    check_size_budget(&built.surfaces)?;
    lint_firefox(&built.firefox)?;
    // The add-in's manifests, as built, against Microsoft's schema and converter (npm).
    crate::run(
        Command::new("node")
            .args(["--test", "tests/outlook/"])
            .current_dir(root())
            .env("TOKENWATCH_OUTLOOK_DIST", root().join("dist/outlook")),
    )?;
    crate::package::zip_all(&built)?;
    crate::run(cargo().args(["build", "-p", "tokenwatch-sim"]))?;
    tools::ensure_chromium()?;
    tools::ensure_firefox()?;
    let geckodriver = tools::ensure_geckodriver()?;
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
    // Each file may take five minutes (burst.test.mjs connects 200 through the login window).
    crate::run(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "--test-timeout=300000"])
            .arg("tests/e2e/")
            .current_dir(&root)
            .env(
                "TOKENWATCH_SIM_BIN",
                root.join("target/debug/tokenwatch-sim"),
            )
            .env("TOKENWATCH_DEV_EXTENSION", &built.test)
            .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM)
            .env("TOKENWATCH_FIREFOX", tools::FIREFOX)
            .env("TOKENWATCH_GECKODRIVER", geckodriver),
    )?;
    // Every step of the benchmark once, so it cannot break unnoticed: a step that fails or
    // hangs, or a renewal with more than one token request, fails the test; its timings are
    // only reported (target/bench-smoke/report.md).
    crate::bench::smoke(&built)?;
    // The demo's own tour, as `cargo xtask demo --headless` runs it: every step printed, both
    // connections at Token valid, both screenshots written.
    crate::demo::run_headless(&built)
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
    // The linter's own rule names and messages; nothing of Tokenwatch's is in them.
    let describe = |finding: &serde_json::Value| {
        format!(
            "{} {} ({})",
            finding["code"], finding["message"], finding["file"]
        )
    };
    for notice in list("notices") {
        eprintln!("  web-ext notice: {}", describe(&notice));
    }
    let findings: Vec<_> = list("errors").into_iter().chain(list("warnings")).collect();
    for finding in &findings {
        eprintln!("  web-ext: {}", describe(finding));
    }
    if findings.is_empty() {
        eprintln!("  web-ext lint: no errors, no warnings");
        Ok(())
    } else {
        Err(format!(
            "web-ext lint found {} errors or warnings in {}",
            findings.len(),
            dir.display()
        ))
    }
}

/// Each surface's release wasm + glue, gzip -9, against `size-budget.json`: deterministic, so
/// it is a test.
fn check_size_budget(surfaces: &[build::Surface]) -> Result {
    let path = root().join("size-budget.json");
    let budget: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?,
    )
    .map_err(|e| format!("size-budget.json: {e}"))?;
    for s in surfaces {
        let max = budget["surfaces"][s.surface]["wasm_and_glue_gzip_bytes"]
            .as_u64()
            .ok_or_else(|| {
                format!(
                    "size-budget.json: surfaces.{}.wasm_and_glue_gzip_bytes must be a number",
                    s.surface
                )
            })?;
        let size = s.gzip_bytes() as u64;
        if size > max {
            return Err(format!(
                "the {} wasm + glue is {size} bytes gzip, over the budget of {max} in size-budget.json",
                s.surface
            ));
        }
        eprintln!(
            "size budget: {} {size} of {max} bytes gzip ({:.1}%)",
            s.surface,
            size as f64 * 100.0 / max as f64
        );
    }
    Ok(())
}
