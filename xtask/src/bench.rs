//! `cargo xtask bench [reps]`: builds the release extension and the benchmark's floor (a
//! minimal wasm-bindgen module in an extension of its own), then runs `tests/bench/bench.mjs`
//! in one headless Chromium against the provider simulator, beside the peers in `bench/`
//! (msal-browser, jsforce, oauth4webapi, pinned in `bench/package-lock.json` and installed only
//! here). Writes `target/bench/report.json` and `target/bench/report.md`. Timings belong in this
//! report, never in the tests: the machines are shared and noisy. `cargo xtask test` runs every
//! step once in a smoke mode ([`smoke`]), which judges only that each step finishes and that a
//! renewal takes one token request.

use crate::{Result, build, cargo, root, tools};
use serde_json::json;
use std::path::PathBuf;
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
    measure(&built, Mode::Full { reps })?;
    eprintln!("report: target/bench/report.md, target/bench/report.json");
    Ok(())
}

/// Every step of the benchmark once or twice over 20 connections, for `cargo xtask test`: fails
/// when a step fails or hangs or a correctness figure is wrong; its timings are only reported
/// (target/bench-smoke/report.md).
pub fn smoke(built: &build::Built) -> Result {
    measure(built, Mode::Smoke)?;
    eprintln!("bench smoke: every step ran; report target/bench-smoke/report.md");
    Ok(())
}

enum Mode {
    Full { reps: u32 },
    Smoke,
}

fn measure(built: &build::Built, mode: Mode) -> Result {
    let floor = floor_extension()?;
    tools::ensure_chromium()?;
    tools::ensure_npm_in(&root().join("bench"))?;
    crate::run(cargo().args(["build", "-p", "tokenwatch-sim"]))?;
    let root = root();
    let mut node = Command::new("node");
    node.arg("tests/bench/bench.mjs")
        .current_dir(&root)
        .env(
            "TOKENWATCH_SIM_BIN",
            root.join("target/debug/tokenwatch-sim"),
        )
        .env("TOKENWATCH_DEV_EXTENSION", &built.dev)
        .env("TOKENWATCH_BENCH_FLOOR_EXTENSION", &floor)
        .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM);
    match mode {
        Mode::Full { reps } => node.env("TOKENWATCH_BENCH_REPS", reps.to_string()),
        Mode::Smoke => node.env("TOKENWATCH_BENCH_SMOKE", "1"),
    };
    crate::run(&mut node)
}

/// `target/bench/floor-extension`: an MV3 extension whose service worker starts the smallest
/// wasm-bindgen module (bench/noop) the way Tokenwatch's worker starts its own.
fn floor_extension() -> Result<PathBuf> {
    let root = root();
    crate::run(
        cargo()
            .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
            .args(["-p", "tokenwatch-bench-noop", "--lib"]),
    )?;
    let wasm = build::finish_wasm(
        &tools::ensure_wasm_bindgen()?,
        &root.join("target/wasm32-unknown-unknown/release/tokenwatch_bench_noop.wasm"),
        &root.join("target/wasm-out/noop"),
        "noop",
        "noop",
    )?;
    let dir = root.join("target/bench/floor-extension");
    let _ = std::fs::remove_dir_all(&dir);
    for f in wasm.files() {
        build::copy(&wasm.dir.join(&f), &dir.join(&f))?;
    }
    build::copy(
        &root.join("tests/bench/noop-worker.js"),
        &dir.join("noop-worker.js"),
    )?;
    let manifest = json!({
        "manifest_version": 3,
        "name": "Tokenwatch benchmark floor",
        "version": "1.0",
        "background": { "service_worker": "noop-worker.js", "type": "module" },
        "content_security_policy": {
            "extension_pages": "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'"
        },
    });
    build::write(
        &dir.join("manifest.json"),
        &serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?,
    )?;
    eprintln!(
        "built the floor: noop wasm + glue {} bytes gzip",
        wasm.gzip_bytes()
    );
    Ok(dir)
}
