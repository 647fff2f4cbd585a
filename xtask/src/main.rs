//! `cargo xtask build | test | demo | package`: everything from a fresh machine to a running
//! product and its store uploads.
//!
//! Missing tools are installed where no manual step is needed: the wasm32 target through
//! rustup, wasm-bindgen-cli (pinned to the `wasm-bindgen` crate's `=` version) under
//! `~/.cache/tokenwatch/tools`, the npm packages into `node_modules/` from `package-lock.json`,
//! and Debian's Chromium with apt when it is absent.

mod bench;
mod build;
mod catalogue;
mod demo;
mod fuzz;
mod outlook;
mod package;
mod simulate;
mod test;
mod tools;
mod wasm_names;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// An error that ends the command with a message.
pub type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::run(&args[1..]).map(|_| ()),
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("package") => package::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("fuzz") => fuzz::run_all(&args[1..]),
        Some("simulate") => simulate::run_all(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  build            build dist/chrome, dist/firefox (release) and dist/dev/chrome (simulator)\n  package          build, then zip dist/chrome and dist/firefox for the stores\n  fuzz [seconds]   run every fuzz target (nightly, cargo-fuzz) for seconds each (60)\n  simulate [seeds] [years] [--from N] [--minutes M]\n                   replay seeds of the deterministic simulation (20 seeds × 1 year from 1000); a failure prints its shortest event list\n  bench [reps]     measure size, start-up, popup, tick and single-flight beside msal-browser, jsforce, oauth4webapi (target/bench/report.md)\n  test             every test: fmt, clippy (native + wasm32), native tests, browser tests\n  demo [--headless] run the product against the provider simulator"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs `cmd`, echoing it, and fails if it fails.
pub fn run(cmd: &mut Command) -> Result {
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    std::iter::once(cmd.get_program().to_string_lossy().into_owned())
        .chain(cmd.get_args().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `cargo` as invoked us.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}
