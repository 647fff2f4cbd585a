//! Finding, and when missing installing, the tools the build and tests need.

use crate::{Result, cargo, root, run};
use std::path::PathBuf;
use std::process::Command;

/// Where Debian's Chromium lives.
pub const CHROMIUM: &str = "/usr/lib/chromium/chromium";
/// Where Debian's ChromeDriver lives.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Where Debian's Firefox ESR lives.
pub const FIREFOX: &str = "/usr/lib/firefox-esr/firefox-esr";
/// The geckodriver that drives it (crates.io; `--allow-system-access` needs 0.37).
const GECKODRIVER_VERSION: &str = "0.37.1";

/// The `wasm-bindgen` version pinned with `=` in the root `Cargo.toml`; the CLI must match it.
pub fn wasm_bindgen_version() -> Result<String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).map_err(|e| e.to_string())?;
    manifest
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("wasm-bindgen = \"=")?
                .strip_suffix('"')
                .map(str::to_owned)
        })
        .ok_or_else(|| "Cargo.toml must pin wasm-bindgen with `wasm-bindgen = \"=X.Y.Z\"`".into())
}

fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// `rustup target add wasm32-unknown-unknown` unless it is installed.
pub fn ensure_wasm_target() -> Result {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(o)
            if String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == "wasm32-unknown-unknown") =>
        {
            Ok(())
        }
        Ok(_) => run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
        Err(_) => {
            Err("rustup is needed to add the wasm32 target: install it from rustup.rs".into())
        }
    }
}

/// The wasm-bindgen CLI at the pinned version, installed under `~/.cache/tokenwatch/tools`.
pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = wasm_bindgen_version()?;
    let prefix = home()
        .join(".cache/tokenwatch/tools")
        .join(format!("wasm-bindgen-{version}"));
    let bin = prefix.join("bin/wasm-bindgen");
    let ok = Command::new(&bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&version));
    if !ok {
        eprintln!("installing wasm-bindgen-cli {version} (a few minutes, once)");
        // Not --locked: the CLI's lockfile does not build with current toolchains.
        run(cargo()
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(&prefix))?;
    }
    Ok(bin)
}

/// `npm ci` when `node_modules` does not match `package-lock.json`.
pub fn ensure_npm() -> Result {
    ensure_npm_in(&root())
}

/// `npm ci` in `dir` when its `node_modules` is missing or older than its lock file.
pub fn ensure_npm_in(dir: &std::path::Path) -> Result {
    ensure_apt("npm", &["nodejs", "npm"])?;
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => i.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if !fresh {
        run(Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir))?;
    }
    Ok(())
}

/// The npm `binaryen` package's wasm-opt (Debian's binaryen miscompiles current Rust wasm).
pub fn wasm_opt() -> Command {
    let mut c = Command::new("node");
    c.arg(root().join("node_modules/binaryen/bin/wasm-opt"));
    c
}

/// Debian's Chromium and ChromeDriver.
pub fn ensure_chromium() -> Result {
    if std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    ensure_apt(
        "/usr/lib/chromium/chromium",
        &["chromium", "chromium-driver"],
    )
}

/// Debian's Firefox ESR.
pub fn ensure_firefox() -> Result {
    ensure_apt(FIREFOX, &["firefox-esr"])
}

/// geckodriver at its pinned version, installed under `~/.cache/tokenwatch/tools` (about three
/// minutes, once; verified here without `--locked`).
pub fn ensure_geckodriver() -> Result<PathBuf> {
    let prefix = home()
        .join(".cache/tokenwatch/tools")
        .join(format!("geckodriver-{GECKODRIVER_VERSION}"));
    let bin = prefix.join("bin/geckodriver");
    let ok = Command::new(&bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(GECKODRIVER_VERSION));
    if !ok {
        eprintln!("installing geckodriver {GECKODRIVER_VERSION} (a few minutes, once)");
        run(cargo()
            .args([
                "install",
                "geckodriver",
                "--version",
                GECKODRIVER_VERSION,
                "--root",
            ])
            .arg(&prefix))?;
    }
    Ok(bin)
}

/// Installs Debian `packages` unless `probe` (a command name or a path) is present.
fn ensure_apt(probe: &str, packages: &[&str]) -> Result {
    let present = if probe.starts_with('/') {
        std::path::Path::new(probe).exists()
    } else {
        Command::new("sh")
            .args(["-c", &format!("command -v {probe}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if present {
        return Ok(());
    }
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let sudo: &[&str] = if root_user { &[] } else { &["sudo"] };
    eprintln!("installing {} from Debian's packages", packages.join(" "));
    let mut update = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if root_user {
        update.arg("update")
    } else {
        update.args(["apt-get", "update"])
    };
    run(update.arg("-qq"))?;
    let mut install = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if !root_user {
        install.arg("apt-get");
    }
    run(install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "-qq"])
        .args(packages))
}
