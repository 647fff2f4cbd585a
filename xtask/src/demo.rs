//! `cargo xtask demo [--headless]`: the product against the provider simulator.
//!
//! With a display, Chromium opens with the simulator build loaded and the popup in a tab; sign
//! in as `ada@acme.example` / `tokenwatch`. Without one (or with `--headless`) a scripted tour
//! adds a Salesforce org through the simulator's login form, writes `target/demo/popup.png` and
//! prints the connections with their status.

use crate::build::{self, DEMO_SIM_PORT, DEV_CONSUMER_KEY};
use crate::outlook::{DEMO_ADDIN_PORT, DEMO_HOST_PORT};
use crate::{Result, root, tools};
use std::process::Command;
use std::sync::Arc;
use tokenwatch_sim::{Config, Sim, server};

pub fn run(args: &[String]) -> Result {
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let headless = args.iter().any(|a| a == "--headless") || !has_display;
    let built = build::run(&[])?;
    tools::ensure_chromium()?;
    let redirect = format!("https://{}.chromiumapp.org/salesforce", built.extension_id);
    // The Outlook add-in's dev build is served on DEMO_ADDIN_PORT; its Salesforce callback is
    // registered too (and so, derived from it, its Microsoft redirect and CORS origin).
    let addin = format!("http://127.0.0.1:{DEMO_ADDIN_PORT}");
    let sim = Arc::new(Sim::new(
        Config::demo(
            DEV_CONSUMER_KEY,
            vec![redirect, format!("{addin}/auth/salesforce.html")],
        ),
        "http://127.0.0.1",
        Sim::system_clock(),
    ));
    let running = server::serve(Arc::clone(&sim), DEMO_SIM_PORT).map_err(|e| {
        format!("the simulator cannot listen on 127.0.0.1:{DEMO_SIM_PORT} ({e}); is another demo running?")
    })?;
    eprintln!("provider simulator on {}", running.url());
    let root = root();
    let out = root.join("target/demo");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    if headless {
        crate::run(
            Command::new("node")
                .arg("tests/e2e/demo-tour.mjs")
                .current_dir(&root)
                .env("TOKENWATCH_SIM_URL", running.url())
                .env("TOKENWATCH_DEV_EXTENSION", &built.dev)
                .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM)
                .env("TOKENWATCH_OUT", &out)
                .env("TOKENWATCH_ADDIN_PORT", DEMO_ADDIN_PORT.to_string())
                .env("TOKENWATCH_HOST_PORT", DEMO_HOST_PORT.to_string()),
        )?;
        for shot in ["popup.png", "outlook.png"] {
            if !out.join(shot).exists() {
                return Err(format!("the tour did not write target/demo/{shot}"));
            }
        }
        eprintln!("screenshots: target/demo/popup.png, target/demo/outlook.png");
        return Ok(());
    }
    // The add-in's pages and the dev host page, served until this demo ends (the server stops
    // when its stdin closes).
    let mut served = Command::new("node")
        .arg("tests/outlook/serve.mjs")
        .args(["--addin-port", &DEMO_ADDIN_PORT.to_string()])
        .args(["--host-port", &DEMO_HOST_PORT.to_string()])
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot serve the Outlook add-in: {e}"))?;
    let host_page =
        format!("http://127.0.0.1:{DEMO_HOST_PORT}/index.html?pane={addin}/taskpane.html");
    eprintln!(
        "Chromium opens with Tokenwatch (simulator) loaded. In the popup tab choose \"Add Salesforce org\" and sign in as\n  ada@acme.example / tokenwatch   (or grace@globex.example / tokenwatch)\nThe second tab is the Outlook add-in in the dev host page (a stand-in for Outlook on the web).\nClose Chromium to stop the demo."
    );
    let profile = out.join("profile");
    let shown = crate::run(
        Command::new(tools::CHROMIUM)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!(
                "--disable-extensions-except={}",
                built.dev.display()
            ))
            .arg(format!("--load-extension={}", built.dev.display()))
            .args(crate::demo::CHROMIUM_FLAGS)
            .arg(format!(
                "chrome-extension://{}/popup.html",
                built.extension_id
            ))
            .arg(&host_page),
    );
    drop(served.stdin.take());
    let _ = served.wait();
    shown
}

/// Flags every Chromium this project starts runs with: no traffic off this machine.
pub const CHROMIUM_FLAGS: [&str; 5] = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];
