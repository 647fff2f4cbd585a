//! `cargo xtask build`: the wasm, optimized, and the two unpacked extensions.
//!
//! - `dist/chrome/`: the release extension; host access to the providers' hosts only.
//! - `dist/firefox/`: the same for Firefox (event page, `browser_specific_settings`).
//! - `dist/dev/chrome/`: the same code configured for the provider simulator; it adds
//!   `http://127.0.0.1/*` and the simulator's consumer key. `dist/dev/build-info.json` tells
//!   the demo its extension id.
//! - `dist/test/chrome/`: the simulator build plus a test-only content script on loopback pages.
//! - `dist/test-fast/chrome/`: the test build with a 30-second schedule (scheduled-work tests).

use crate::{Result, cargo, root, tools};
use base64::Engine as _;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The port of the simulator the Microsoft E2E test starts (the test build's authority).
const TEST_MS_SIM_PORT: u16 = 17311;
/// The simulator standing in for login.salesforce.com in the test build.
const TEST_SF_PRODUCTION_PORT: u16 = 17312;
/// The simulator standing in for test.salesforce.com in the test build.
const TEST_SF_SANDBOX_PORT: u16 = 17313;

/// A non-empty environment variable.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The simulator build's consumer key, registered in the simulator by the demo and the tests.
pub const DEV_CONSUMER_KEY: &str = "tokenwatch-dev";
/// The port the demo runs the simulator on; the simulator build offers it as its login host.
pub const DEMO_SIM_PORT: u16 = 17300;

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// `dist/dev/chrome`: the simulator build (demo).
    pub dev: PathBuf,
    /// `dist/test/chrome`: the simulator build with a probing content script (tests).
    pub test: PathBuf,
    /// `dist/firefox`: the release build for Firefox.
    pub firefox: PathBuf,
    /// The id the manifest `key` pins.
    pub extension_id: String,
    /// Each surface's wasm and glue as built for release.
    pub surfaces: Vec<Surface>,
}

/// One surface's wasm, as wasm-bindgen and wasm-opt left it: `<dir>/<name>.js` (the glue) and
/// `<dir>/<name>_bg.wasm`.
#[derive(Debug, Clone)]
pub struct Surface {
    /// `worker`, `pages` (the popup and the options page) or `pane` (the Outlook task pane).
    pub surface: &'static str,
    pub dir: PathBuf,
    pub name: &'static str,
    pub wasm_bytes: usize,
    pub wasm_gzip_bytes: usize,
    pub glue_bytes: usize,
    pub glue_gzip_bytes: usize,
}

impl Surface {
    /// The two files every context that runs this surface loads.
    pub fn files(&self) -> [String; 2] {
        [
            format!("{}.js", self.name),
            format!("{}_bg.wasm", self.name),
        ]
    }

    /// wasm + glue, gzip -9.
    pub fn gzip_bytes(&self) -> usize {
        self.wasm_gzip_bytes + self.glue_gzip_bytes
    }
}

/// Rust's wasm32 target features (LLVM's defaults), which wasm-opt must be told about.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub fn run(_args: &[String]) -> Result<Built> {
    let started = Instant::now();
    tools::ensure_wasm_target()?;
    let bindgen = tools::ensure_wasm_bindgen()?;
    tools::ensure_npm()?;
    let root = root();
    // The worker's wasm and the pages' (popup and options page): each exports only its own
    // entry points, so a page holds no engine, vault or oauth2 (checked below by name).
    let worker = build_wasm(&bindgen, "worker", "worker", "tokenwatch_worker")?;
    let pages = build_wasm(&bindgen, "pages", "pages", "tokenwatch")?;
    let out = [&worker, &pages];

    let manifest: Value = read_json(&root.join("extension/manifest.json"))?;
    let extension_id = extension_id(&manifest)?;
    let release_key = std::env::var("TOKENWATCH_SALESFORCE_CONSUMER_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let release = root.join("dist/chrome");
    let release_config = json!({
        "salesforce": {
            "consumer_key": release_key,
            "shared_app": std::env::var("TOKENWATCH_SALESFORCE_SHARED_APP").is_ok_and(|v| v == "1"),
        },
        "microsoft": {
            "client_id": env("TOKENWATCH_MICROSOFT_CLIENT_ID"),
            "tenant": env("TOKENWATCH_MICROSOFT_TENANT"),
            "registration": env("TOKENWATCH_MICROSOFT_REGISTRATION"),
        },
    });
    assemble(&release, &out, &manifest, &release_config)?;
    let firefox = root.join("dist/firefox");
    assemble(
        &firefox,
        &out,
        &firefox_manifest(&manifest)?,
        &release_config,
    )?;

    let mut dev_manifest = manifest.clone();
    dev_manifest["name"] = json!("Tokenwatch (simulator)");
    dev_manifest["host_permissions"]
        .as_array_mut()
        .ok_or("manifest.json: host_permissions must be an array")?
        .push(json!("http://127.0.0.1/*"));
    let dev = root.join("dist/dev/chrome");
    // The simulator's single-page-app registration; the authority is the demo simulator.
    let dev_config = sim_config(DEMO_SIM_PORT);
    assemble(&dev, &out, &dev_manifest, &dev_config)?;

    // The test build: the simulator build plus a content script that probes, from a web page,
    // what a content script can reach. It is never packaged.
    let mut test_manifest = dev_manifest.clone();
    test_manifest["name"] = json!("Tokenwatch (test)");
    // The banner runs on every Outlook on the web host the release build lists, and on the
    // simulator's Outlook stand-in page (`/outlook/`).
    let mut outlook_matches = manifest["content_scripts"][0]["matches"].clone();
    if let Some(list) = outlook_matches.as_array_mut() {
        list.push(json!("http://127.0.0.1/outlook/*"));
    }
    test_manifest["content_scripts"] = json!([
        { "matches": ["http://127.0.0.1/*"], "exclude_matches": ["http://127.0.0.1/outlook/*"], "js": ["probe.js"], "run_at": "document_idle" },
        { "matches": outlook_matches, "js": ["banner.js"], "run_at": "document_idle" },
    ]);
    let test = root.join("dist/test/chrome");
    // Its Microsoft authority is the simulator the Microsoft E2E test starts on a port of its
    // own, so a demo running on 17300 does not meet the tests.
    let mut test_config = dev_config.clone();
    test_config["microsoft"]["authority_host"] =
        json!(format!("http://127.0.0.1:{TEST_MS_SIM_PORT}"));
    // "Production" and "Sandbox" sign in at two more simulators the account tests start.
    test_config["salesforce"]["production_host"] =
        json!(format!("http://127.0.0.1:{TEST_SF_PRODUCTION_PORT}"));
    test_config["salesforce"]["sandbox_host"] =
        json!(format!("http://127.0.0.1:{TEST_SF_SANDBOX_PORT}"));
    assemble(&test, &out, &test_manifest, &test_config)?;
    std::fs::copy(root.join("tests/e2e/probe/probe.js"), test.join("probe.js"))
        .map_err(|e| format!("probe.js: {e}"))?;

    // The schedule test build: the test build checking every 30 s (Chrome's shortest alarm)
    // and renewing a 24-hour Microsoft sign-in silently from its first minute, so the
    // end-to-end tests see scheduled work happen without hours of waiting.
    let mut fast_config = test_config.clone();
    fast_config["schedule"] = json!({ "check_interval_s": 30, "silent_renew_lead_s": 86_390 });
    let fast = root.join("dist/test-fast/chrome");
    assemble(&fast, &out, &test_manifest, &fast_config)?;
    std::fs::copy(root.join("tests/e2e/probe/probe.js"), fast.join("probe.js"))
        .map_err(|e| format!("probe.js: {e}"))?;

    // The same test build for Firefox (an event page, its own id and redirect host), with a
    // probe that reads the banner's closed shadow root for the test (WebDriver cannot).
    let mut firefox_test_manifest = firefox_manifest(&test_manifest)?;
    if let Some(scripts) = firefox_test_manifest["content_scripts"].as_array_mut() {
        scripts.push(json!({
            "matches": ["http://127.0.0.1/outlook/*"],
            "js": ["shadow-probe.js"],
            "run_at": "document_start",
        }));
    }
    let test_firefox = root.join("dist/test/firefox");
    let fast_firefox = root.join("dist/test-fast/firefox");
    for (dir, config) in [(&test_firefox, &test_config), (&fast_firefox, &fast_config)] {
        assemble(dir, &out, &firefox_test_manifest, config)?;
        for probe in ["probe.js", "shadow-probe.js"] {
            std::fs::copy(root.join("tests/e2e/probe").join(probe), dir.join(probe))
                .map_err(|e| format!("{probe}: {e}"))?;
        }
    }

    // The fault test build: every record write waits 2.5 s, so a test can stop the worker
    // between a provider's answer and its storage; a request unanswered for 3 s is given up.
    let mut faults_config = test_config.clone();
    faults_config["test_hooks"] =
        json!({ "record_write_delay_ms": 2500, "request_timeout_ms": 3000 });
    let faults = root.join("dist/test-faults/chrome");
    assemble(&faults, &out, &test_manifest, &faults_config)?;
    std::fs::copy(
        root.join("tests/e2e/probe/probe.js"),
        faults.join("probe.js"),
    )
    .map_err(|e| format!("probe.js: {e}"))?;

    let info = serde_json::to_string_pretty(&json!({
        "extension_id": extension_id,
        "consumer_key": DEV_CONSUMER_KEY,
        "redirect_salesforce": format!("https://{extension_id}.chromiumapp.org/salesforce"),
        "microsoft_client_id": tokenwatch_sim::MS_SPA_CLIENT_ID,
        "microsoft_public_client_id": tokenwatch_sim::MS_PUBLIC_CLIENT_ID,
        "microsoft_sim_port": TEST_MS_SIM_PORT,
        "salesforce_production_port": TEST_SF_PRODUCTION_PORT,
        "salesforce_sandbox_port": TEST_SF_SANDBOX_PORT,
        "firefox_id": FIREFOX_ID,
    }))
    .map_err(|e| e.to_string())?;
    write(&root.join("dist/dev/build-info.json"), &info)?;
    write(&root.join("dist/test/build-info.json"), &info)?;
    write(&root.join("dist/test-fast/build-info.json"), &info)?;
    write(&root.join("dist/test-faults/build-info.json"), &info)?;

    // The Outlook add-in: its own wasm, the task pane with its engine (it has no worker).
    let pane = build_wasm(&bindgen, "outlook", "pane", "tokenwatch")?;
    let outlook_dev = crate::outlook::assemble(&pane, &release_config, &dev_config)?;
    eprintln!(
        "built dist/chrome, dist/firefox, dist/dev/chrome, dist/outlook and {} (extension id {extension_id}) in {:.1} s",
        outlook_dev
            .strip_prefix(&root)
            .unwrap_or(&outlook_dev)
            .display(),
        started.elapsed().as_secs_f64(),
    );
    for s in [&worker, &pages, &pane] {
        eprintln!(
            "  {:<6} wasm {} bytes, {} gzip -9; glue {} bytes, {} gzip -9",
            s.surface, s.wasm_bytes, s.wasm_gzip_bytes, s.glue_bytes, s.glue_gzip_bytes
        );
    }
    Ok(Built {
        dev,
        test,
        firefox,
        extension_id,
        surfaces: vec![worker, pages, pane],
    })
}

/// The shell's wasm with `feature` (one surface's entry points), through wasm-bindgen and
/// wasm-opt into `target/wasm-out/<feature>/<name>.js` and `<name>_bg.wasm`.
fn build_wasm(
    bindgen: &Path,
    feature: &str,
    surface: &'static str,
    name: &'static str,
) -> Result<Surface> {
    let root = root();
    crate::run(
        cargo()
            .args(["build", "--release", "--target", "wasm32-unknown-unknown"])
            .args(["-p", "tokenwatch", "--lib", "--features", feature]),
    )?;
    finish_wasm(
        bindgen,
        &root.join("target/wasm32-unknown-unknown/release/tokenwatch.wasm"),
        &root.join("target/wasm-out").join(feature),
        surface,
        name,
    )
}

/// A cargo-built wasm through wasm-bindgen (glue for `--target web`) and wasm-opt, into
/// `out/<name>.js` and `out/<name>_bg.wasm`, with what `surface` must and must not hold checked
/// on the way.
pub fn finish_wasm(
    bindgen: &Path,
    input: &Path,
    out: &Path,
    surface: &'static str,
    name: &'static str,
) -> Result<Surface> {
    let out = out.to_path_buf();
    let _ = std::fs::remove_dir_all(&out);
    crate::run(
        Command::new(bindgen)
            .args(["--target", "web", "--no-typescript", "--out-name", name])
            .arg("--out-dir")
            .arg(&out)
            .arg(input),
    )?;
    let wasm = out.join(format!("{name}_bg.wasm"));
    // What the surface holds, read from the function names before wasm-opt strips them.
    let functions = crate::wasm_names::functions(&read_bytes(&wasm)?)?;
    crate::wasm_names::check_surface(surface, &functions)?;
    crate::run(
        tools::wasm_opt()
            .arg(&wasm)
            .args(["-Oz", "--strip-debug", "--strip-producers"])
            // wasm-opt's inlining of functions with a single caller makes the code compress
            // worse: off, it is 23.6 KB gzip smaller (measured), with the same behaviour.
            .arg("--one-caller-inline-max-function-size=0")
            .args(WASM_FEATURES)
            .arg("-o")
            .arg(&wasm),
    )?;
    let wasm_bytes = read_bytes(&wasm)?;
    let glue = read_bytes(&out.join(format!("{name}.js")))?;
    Ok(Surface {
        surface,
        dir: out,
        name,
        wasm_bytes: wasm_bytes.len(),
        wasm_gzip_bytes: gzip_len(&wasm_bytes),
        glue_bytes: glue.len(),
        glue_gzip_bytes: gzip_len(&glue),
    })
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The simulator builds' configuration: the simulator's consumer key and single-page-app
/// registration, everything signing in at the simulator on `port`.
pub fn sim_config(port: u16) -> Value {
    json!({
        "salesforce": { "consumer_key": DEV_CONSUMER_KEY },
        "microsoft": {
            "client_id": tokenwatch_sim::MS_SPA_CLIENT_ID,
            "authority_host": format!("http://127.0.0.1:{port}"),
            "tenant": "organizations",
            "registration": "spa",
        },
        "default_login_host": format!("http://127.0.0.1:{port}"),
    })
}

/// Firefox's id for Tokenwatch (its identity redirect host is derived from it).
pub const FIREFOX_ID: &str = "tokenwatch@tokenwatch.dev";

/// The Chrome manifest adapted to Firefox: an event page instead of a service worker (Firefox
/// MV3 runs background scripts), `browser_specific_settings` with the add-on id, and without
/// the Chrome-only `key`, `minimum_chrome_version` and `externally_connectable` (Firefox lets
/// no web page message an extension in the first place).
fn firefox_manifest(chrome: &Value) -> Result<Value> {
    let mut m = chrome.clone();
    let obj = m.as_object_mut().ok_or("manifest.json must be an object")?;
    for key in ["key", "minimum_chrome_version", "externally_connectable"] {
        obj.remove(key);
    }
    obj.insert(
        "background".into(),
        json!({ "scripts": ["worker.js"], "type": "module" }),
    );
    obj.insert(
        "browser_specific_settings".into(),
        // Tokenwatch sends nothing to its makers or anyone else: tokens go only to the
        // providers that issued them.
        // 140 / 142: the first versions that read `data_collection_permissions`.
        json!({
            "gecko": {
                "id": FIREFOX_ID,
                "strict_min_version": "140.0",
                "data_collection_permissions": { "required": ["none"] },
            },
            "gecko_android": { "strict_min_version": "142.0" },
        }),
    );
    Ok(m)
}

/// Chrome's id for an unpacked extension with a `key`: the first 128 bits of the SHA-256 of
/// the public key (DER), written with the letters a–p for 0–f.
pub fn extension_id(manifest: &Value) -> Result<String> {
    let key = manifest["key"].as_str().ok_or("manifest.json has no key")?;
    let der = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|e| format!("manifest key: {e}"))?;
    Ok(Sha256::digest(der)[..16]
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .map(|n| char::from(b'a' + n))
        .collect())
}

fn assemble(dir: &Path, wasm: &[&Surface], manifest: &Value, config: &Value) -> Result {
    let _ = std::fs::remove_dir_all(dir);
    copy_tree(&root().join("extension"), dir)?;
    write(
        &dir.join("manifest.json"),
        &serde_json::to_string_pretty(manifest).map_err(|e| e.to_string())?,
    )?;
    write(
        &dir.join("config.json"),
        &serde_json::to_string_pretty(config).map_err(|e| e.to_string())?,
    )?;
    for surface in wasm {
        for f in surface.files() {
            std::fs::copy(surface.dir.join(&f), dir.join(&f))
                .map_err(|e| format!("copy {f}: {e}"))?;
        }
    }
    Ok(())
}

/// Copies one file, making its folder.
pub(crate) fn copy(from: &Path, to: &Path) -> Result {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("{}: {e}", from.display()))
}

pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else if entry.file_name() != "manifest.json" {
            std::fs::copy(&path, &target).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub(crate) fn write(path: &Path, text: &str) -> Result {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Size after `gzip -9`.
pub fn gzip_len(bytes: &[u8]) -> usize {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).expect("writing to memory");
    enc.finish().expect("writing to memory").len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_ids_follow_chromes_rule() {
        // An empty key: sha256("") starts e3b0c442 98fc1c14 9afbf4c8 996fb924, e → o, 3 → d, …
        let empty = json!({ "key": "" });
        assert_eq!(
            extension_id(&empty).unwrap(),
            "odlameecjipmbmbejkplpemijjgpljce"
        );
    }

    #[test]
    fn the_shipped_key_pins_the_id_the_docs_name() {
        let manifest = read_json(&root().join("extension/manifest.json")).unwrap();
        assert_eq!(
            extension_id(&manifest).unwrap(),
            "aenijjbppdciepplnmbnkldooemgnadd"
        );
    }
}
