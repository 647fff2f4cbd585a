//! The Outlook add-in's builds (part of `cargo xtask build`).
//!
//! - `dist/outlook/`: what an organization serves over https: the task pane, the sign-in pages,
//!   the add-in's own wasm (built with the `outlook` feature), `config.json` and both manifests
//!   with their URLs pointing at `TOKENWATCH_ADDIN_ORIGIN` (default `https://localhost:3000`,
//!   where Office's sideloading tools serve).
//! - `dist/dev/outlook/`: the same pages wired to the dev host (`www/dev/`), which stands in
//!   for Outlook and Office.js on this machine, and configured for the provider simulator. It is
//!   never packaged or shipped.

use crate::build::{Surface, copy, copy_tree, write};
use crate::{Result, root};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where Office.js comes from in a real deployment.
const OFFICE_JS: &str = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
/// Its stand-in in the dev build.
const OFFICE_SHIM: &str = "/dev/office-shim.js";
/// The add-in's origin in the demo (the dev host page runs on the port below it).
pub const DEMO_ADDIN_PORT: u16 = 17401;
/// The dev host page's port in the demo.
pub const DEMO_HOST_PORT: u16 = 17400;
/// What the manifests point at when `TOKENWATCH_ADDIN_ORIGIN` is not set.
const DEFAULT_ORIGIN: &str = "https://localhost:3000";

/// The release add-in and the dev add-in, from the pane's wasm.
pub fn assemble(wasm: &Surface, release_config: &Value, dev_config: &Value) -> Result<PathBuf> {
    let root = root();
    let origin = addin_origin(std::env::var("TOKENWATCH_ADDIN_ORIGIN").ok().as_deref())?;
    let release = root.join("dist/outlook");
    pages(&release, wasm, release_config)?;
    for name in ["manifest.xml", "manifest.json"] {
        let template = read(&root.join("www").join(name))?;
        write(
            &release.join(name),
            &template.replace("{{ORIGIN}}", &origin),
        )?;
    }

    write(&release.join("_headers"), &headers(&release_ancestors()))?;

    let dev = root.join("dist/dev/outlook");
    pages(&dev, wasm, dev_config)?;
    // The dev host page (Outlook's stand-in) is another loopback port.
    write(&dev.join("_headers"), &headers("'self' http://127.0.0.1:*"))?;
    copy_tree(&root.join("www/dev"), &dev.join("dev"))?;
    for page in [
        "taskpane.html",
        "auth/salesforce.html",
        "auth/microsoft.html",
    ] {
        let path = dev.join(page);
        let html = read(&path)?;
        if !html.contains(OFFICE_JS) {
            return Err(format!("www/{page} no longer loads {OFFICE_JS}"));
        }
        // The simulator is plain http on loopback.
        let html = html
            .replace(OFFICE_JS, OFFICE_SHIM)
            .replace(
                "connect-src 'self' https:",
                "connect-src 'self' https: http://127.0.0.1:*",
            )
            .replace(
                "frame-src 'self' https:",
                "frame-src 'self' https: http://127.0.0.1:*",
            );
        write(&path, &html)?;
    }
    Ok(dev)
}

/// The https origin the add-in is served from, without a trailing slash. It must be an origin
/// of its own, with no path: the pane's sealed records (`localStorage`), its key (IndexedDB)
/// and the sign-in pages' messages are scoped by origin, so another application on the same
/// origin could reach them.
fn addin_origin(value: Option<&str>) -> Result<String> {
    let origin = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_ORIGIN)
        .trim_end_matches('/');
    let host = origin.strip_prefix("https://").ok_or_else(|| {
        format!("TOKENWATCH_ADDIN_ORIGIN must be an https address (Office loads add-ins over https only), not {origin:?}")
    })?;
    if host.is_empty() || host.contains(['?', '#', ' ', '"', '<', '>', '&', '@', '\\']) {
        return Err(format!(
            "TOKENWATCH_ADDIN_ORIGIN is not a usable address: {origin:?}"
        ));
    }
    if host.contains('/') {
        return Err(format!(
            "TOKENWATCH_ADDIN_ORIGIN must be an origin of its own, with no path ({origin:?}): the add-in's stored records, its key and its sign-in messages are scoped by origin, so serve it from a host (or port) no other application uses, such as https://tokenwatch.contoso.com"
        ));
    }
    Ok(origin.to_owned())
}

/// The pages every add-in build has: `www/` without the dev host, the manifest templates and
/// the README; the popup's styles and the wasm loader shared with the extension; the wasm.
fn pages(dir: &Path, wasm: &Surface, config: &Value) -> Result {
    let root = root();
    let _ = std::fs::remove_dir_all(dir);
    copy_tree(&root.join("www"), dir)?;
    for leftover in ["dev", "manifest.xml", "manifest.json", "README.md"] {
        let path = dir.join(leftover);
        let _ = std::fs::remove_dir_all(&path);
        let _ = std::fs::remove_file(&path);
    }
    for shared in ["popup.css", "loader.js", "i18n.js"] {
        copy(&root.join("extension").join(shared), &dir.join(shared))?;
    }
    // The message catalogues, fetched by the pane for Office's display language.
    for lang in crate::catalogue::languages()? {
        let file = format!("_locales/{lang}/messages.json");
        copy(&root.join("extension").join(&file), &dir.join(&file))?;
    }
    // The panel's markup is the popup's: the same Rust code fills both.
    let pane = read(&dir.join("taskpane.html"))?;
    let popup = read(&root.join("extension/popup.html"))?;
    let main = popup
        .find("  <main>")
        .zip(popup.find("  </main>\n"))
        .map(|(start, end)| &popup[start..end + "  </main>\n".len()])
        .ok_or("extension/popup.html has no <main> for the task pane")?;
    let marker = pane
        .lines()
        .find(|l| l.contains("<!-- The panel:"))
        .ok_or("www/taskpane.html lost its panel marker")?;
    write(
        &dir.join("taskpane.html"),
        &pane.replace(&format!("{marker}\n"), main),
    )?;
    // One redirect page per provider (the mix-up defence), from one template.
    let callback = dir.join("auth/callback.html");
    copy(&callback, &dir.join("auth/salesforce.html"))?;
    copy(&callback, &dir.join("auth/microsoft.html"))?;
    std::fs::remove_file(&callback).map_err(|e| format!("{}: {e}", callback.display()))?;
    for f in wasm.files() {
        copy(&wasm.dir.join(&f), &dir.join(&f))?;
    }
    write(
        &dir.join("config.json"),
        &serde_json::to_string_pretty(config).map_err(|e| e.to_string())?,
    )
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Who may frame the add-in's pages in a real deployment: itself (the silent renewal's hidden
/// frame) and Outlook on the web on each of its hosts, in every cloud.
fn release_ancestors() -> String {
    std::iter::once("'self'".to_owned())
        .chain(tokenwatch_core::microsoft::outlook_web_hosts().map(|h| format!("https://{h}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The response headers the add-in's pages need beyond their own `<meta>` policy:
/// `frame-ancestors` works only as a header. In the `_headers` format that static hosts such as
/// Netlify and Cloudflare Pages read; the README gives the same lines for nginx and IIS, and the
/// test server serves them.
fn headers(ancestors: &str) -> String {
    format!(
        "/*\n  Content-Security-Policy: frame-ancestors {ancestors}\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: no-referrer\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_addin_origin_must_be_https() {
        assert_eq!(addin_origin(None).unwrap(), "https://localhost:3000");
        assert_eq!(
            addin_origin(Some("https://tw.example.com/")).unwrap(),
            "https://tw.example.com"
        );
        assert_eq!(
            addin_origin(Some("https://tw.example.com:8443")).unwrap(),
            "https://tw.example.com:8443"
        );
        assert!(addin_origin(Some("http://tw.example.com")).is_err());
        assert!(addin_origin(Some("https://")).is_err());
        assert!(addin_origin(Some("https://a.example/\"><script>")).is_err());
    }

    #[test]
    fn the_addin_needs_an_origin_of_its_own() {
        let refused = addin_origin(Some("https://apps.contoso.com/tokenwatch")).unwrap_err();
        assert!(refused.contains("origin of its own"), "{refused}");
        assert!(addin_origin(Some("https://user@apps.contoso.com")).is_err());
    }

    #[test]
    fn the_pages_may_be_framed_only_by_themselves_and_outlook_on_the_web() {
        let h = headers(&release_ancestors());
        assert!(h.starts_with("/*\n  Content-Security-Policy: frame-ancestors 'self' https://outlook.cloud.microsoft https://outlook.office.com"));
        for host in tokenwatch_core::microsoft::outlook_web_hosts() {
            assert!(h.contains(&format!(" https://{host}")), "{host}");
        }
        assert!(!h["/*".len()..].contains('*'), "no wildcard ancestor: {h}");
    }
}
