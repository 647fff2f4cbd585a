//! `cargo xtask demo [--headless]`: the product against the provider simulator.
//!
//! With a display, Chromium opens with the simulator build loaded and the popup in a tab; sign
//! in as `ada@acme.example` / `tokenwatch`. Without one (or with `--headless`) a scripted tour
//! adds a Salesforce org through the simulator's login form, writes `target/demo/popup.png` and
//! prints the connections with their status. `cargo xtask test` runs the same headless tour and
//! fails when a step, a status or a screenshot is missing ([`check_tour`]).

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
    if headless {
        return run_headless(&built);
    }
    tools::ensure_chromium()?;
    // Kept until Chromium closes: the simulator stops when these are dropped.
    let (_sim, _running) = start_sim(&built)?;
    let addin = format!("http://127.0.0.1:{DEMO_ADDIN_PORT}");
    let root = root();
    let out = root.join("target/demo");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
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

/// The provider simulator on the demo's port, with the extension's and the add-in's Salesforce
/// callbacks registered (and so, derived from them, the Microsoft redirects and CORS origins).
fn start_sim(built: &build::Built) -> Result<(Arc<Sim>, server::Running)> {
    let redirect = format!("https://{}.chromiumapp.org/salesforce", built.extension_id);
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
    Ok((sim, running))
}

/// The scripted tour (`tests/e2e/demo-tour.mjs`) on `built`, headless: its steps and the status
/// table are printed as they come, then checked with [`check_tour`], and both screenshots must
/// be written afresh.
pub fn run_headless(built: &build::Built) -> Result {
    tools::ensure_chromium()?;
    let (_sim, running) = start_sim(built)?;
    let root = root();
    let out = root.join("target/demo");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    for shot in SCREENSHOTS {
        let _ = std::fs::remove_file(out.join(shot));
    }
    eprintln!("$ node tests/e2e/demo-tour.mjs");
    let tour = Command::new("node")
        .arg("tests/e2e/demo-tour.mjs")
        .current_dir(&root)
        .env("TOKENWATCH_SIM_URL", running.url())
        .env("TOKENWATCH_DEV_EXTENSION", &built.dev)
        .env("TOKENWATCH_CHROMIUM", tools::CHROMIUM)
        .env("TOKENWATCH_OUT", &out)
        .env("TOKENWATCH_ADDIN_PORT", DEMO_ADDIN_PORT.to_string())
        .env("TOKENWATCH_HOST_PORT", DEMO_HOST_PORT.to_string())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the demo tour: {e}"))?;
    let printed = String::from_utf8_lossy(&tour.stdout);
    print!("{printed}");
    if !tour.status.success() {
        return Err(format!("the demo tour failed ({})", tour.status));
    }
    check_tour(&printed)?;
    for shot in SCREENSHOTS {
        let png = std::fs::read(out.join(shot)).unwrap_or_default();
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(format!("the tour did not write target/demo/{shot}"));
        }
    }
    eprintln!("screenshots: target/demo/popup.png, target/demo/outlook.png");
    Ok(())
}

/// What the tour saves.
const SCREENSHOTS: [&str; 2] = ["popup.png", "outlook.png"];

/// The tour's printed steps, each with what it must say.
const STEPS: [(&str, &str); 11] = [
    ("1. ", "Popup open"),
    ("2. ", "launchWebAuthFlow"),
    ("3. ", "ada@acme.example"),
    ("4. ", "Connected"),
    ("5. ", "Microsoft sign-in"),
    ("6. ", "accepted the permissions"),
    ("7. ", "Connected"),
    ("8. ", "task pane"),
    ("9. ", "Connected"),
    ("10. ", "banner on the mail: \"T"),
    ("11. ", "Token valid, and the banner is gone"),
];

/// Fails unless the tour printed every step with what it must say, and a status table with
/// both connections (one Salesforce, one Microsoft) at *Token valid*.
pub fn check_tour(printed: &str) -> Result {
    for (number, says) in STEPS {
        let Some(line) = printed.lines().find(|l| l.starts_with(number)) else {
            return Err(format!("the demo tour printed no step {}", number.trim()));
        };
        if !line.contains(says) {
            return Err(format!(
                "the demo tour's step {} does not say \"{says}\": {line}",
                number.trim()
            ));
        }
    }
    let mut lines = printed.lines().skip_while(|l| !l.starts_with("PROVIDER"));
    if lines.next().is_none() {
        return Err("the demo tour printed no status table".into());
    }
    let rows: Vec<&str> = lines.take_while(|l| !l.trim().is_empty()).collect();
    let providers = ["Salesforce", "Microsoft"];
    for provider in providers {
        if !rows
            .iter()
            .any(|r| r.starts_with(provider) && r.trim_end().ends_with("Token valid"))
        {
            return Err(format!(
                "the demo tour's status table has no {provider} connection at Token valid"
            ));
        }
    }
    if rows.len() != providers.len() {
        return Err(format!(
            "the demo tour's status table has {} rows, not 2",
            rows.len()
        ));
    }
    Ok(())
}

/// Flags every Chromium this project starts runs with: no traffic off this machine.
pub const CHROMIUM_FLAGS: [&str; 5] = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

#[cfg(test)]
mod tests {
    use super::check_tour;

    const PRINTED: &str = "1. Popup open; login host prefilled with the simulator (http://127.0.0.1:17300).
2. \"Add Salesforce org\" opened the simulator's login page through chrome.identity.launchWebAuthFlow.
3. Typed ada@acme.example and the demo password into the login form and submitted it.
4. Connected ada@acme.example.
5. \"Add Microsoft 365 account\" opened the simulator's Microsoft sign-in (single-page-app registration).
6. Signed in and accepted the permissions (openid profile offline_access User.Read: Microsoft Graph).
7. Connected ada@acme.example (Microsoft 365).

PROVIDER   ORG                                  ACCOUNT                                              STATUS
Salesforce Acme                                 ada@acme.example                                     Token valid
Microsoft  Acme (Microsoft 365)                 ada@acme.example                                     Token valid

8. Outlook add-in: the dev host page (a stand-in for Outlook on the web) shows the task pane from http://127.0.0.1:17401.
9. Office dialog sign-in as grace@globex.example: Connected grace@globex.example.
10. The simulator revoked grace's access; Check now → banner on the mail: \"Tokenwatch: Globex needs you to sign in again\"
11. Sign in again in the dialog → Token valid, and the banner is gone.
";

    #[test]
    fn a_complete_tour_passes() {
        assert_eq!(check_tour(PRINTED), Ok(()));
    }

    #[test]
    fn a_missing_step_fails_by_number() {
        let without = PRINTED.replace("8. Outlook", "Outlook");
        assert_eq!(
            check_tour(&without),
            Err("the demo tour printed no step 8.".into())
        );
    }

    #[test]
    fn a_step_that_says_something_else_fails() {
        let failed = PRINTED.replace("4. Connected", "4. Sign-in failed");
        assert!(check_tour(&failed).unwrap_err().contains("step 4."));
    }

    #[test]
    fn a_status_other_than_token_valid_fails() {
        let broken = PRINTED.replace(
            "ada@acme.example                                     Token valid\nMicrosoft",
            "ada@acme.example                                     Needs sign-in\nMicrosoft",
        );
        assert!(check_tour(&broken).unwrap_err().contains("Salesforce"));
    }

    #[test]
    fn a_missing_table_or_an_extra_row_fails() {
        assert!(check_tour(&PRINTED.replace("PROVIDER", "WHO")).is_err());
        let extra = PRINTED.replace(
            "Token valid\n\n8.",
            "Token valid\nSalesforce Other  x  Token valid\n\n8.",
        );
        assert!(check_tour(&extra).unwrap_err().contains("3 rows"));
    }
}
