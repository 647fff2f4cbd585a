//! `cargo xtask package`: the store uploads. Builds the release extensions, then zips
//! `dist/chrome/` and `dist/firefox/` into `dist/tokenwatch-{chrome,firefox}-<version>.zip`
//! (the Chrome Web Store takes the zip; addons.mozilla.org takes it as an `.xpi` or zip).

use crate::{Result, build, root};
use std::io::Write;
use std::path::Path;
use zip::write::SimpleFileOptions;

pub fn run(args: &[String]) -> Result {
    let built = build::run(args)?;
    zip_all(&built)
}

/// Zips the release builds `built` produced (also run by `cargo xtask test`, so packaging
/// cannot silently break).
pub fn zip_all(built: &build::Built) -> Result {
    let root = root();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("dist/chrome/manifest.json"))
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let version = manifest["version"].as_str().unwrap_or("0.0.0");
    for (name, dir) in [
        ("chrome", root.join("dist/chrome")),
        ("firefox", built.firefox.clone()),
    ] {
        let out = root.join(format!("dist/tokenwatch-{name}-{version}.zip"));
        let files = zip_dir(&dir, &out)?;
        eprintln!(
            "packaged {} ({files} files, {} bytes)",
            out.strip_prefix(&root).unwrap_or(&out).display(),
            std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0)
        );
    }
    Ok(())
}

/// Zips every file under `dir` (paths relative to it, sorted, so the archive is reproducible
/// apart from timestamps); the file count.
fn zip_dir(dir: &Path, out: &Path) -> Result<usize> {
    let mut paths = Vec::new();
    collect(dir, dir, &mut paths)?;
    paths.sort();
    let file = std::fs::File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for rel in &paths {
        let bytes = std::fs::read(dir.join(rel)).map_err(|e| format!("{rel}: {e}"))?;
        zip.start_file(rel.as_str(), options)
            .map_err(|e| format!("{rel}: {e}"))?;
        zip.write_all(&bytes).map_err(|e| format!("{rel}: {e}"))?;
    }
    zip.finish().map_err(|e| e.to_string())?;
    Ok(paths.len())
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(base)
                .map_err(|e| e.to_string())?
                .to_string_lossy()
                .replace('\\', "/");
            out.push(rel);
        }
    }
    Ok(())
}
