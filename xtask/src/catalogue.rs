//! The message catalogues (`extension/_locales/<lang>/messages.json`, the extension's own
//! format, also served beside the Outlook task pane) checked against each other and against
//! the code: every language has every key with the same placeholders, every key is used, every
//! key the pages name exists, and the English the HTML carries as its fallback is the English
//! catalogue's. Run by `cargo test` (the tests at the bottom read the repository's files).

use crate::{Result, root};

/// The languages with a catalogue, English first.
pub fn languages() -> Result<Vec<String>> {
    let dir = root().join("extension/_locales");
    let mut langs: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("messages.json").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    langs.sort_by_key(|l| (l != "en", l.clone()));
    Ok(langs)
}

/// The checker itself: only `cargo test` runs it.
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// One catalogue: each key's message and its placeholders (name → content).
    type Catalogue = BTreeMap<String, (String, BTreeMap<String, String>)>;

    /// Reads a `messages.json`.
    fn parse(text: &str) -> Result<Catalogue> {
        let json: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let entries = json.as_object().ok_or("not an object")?;
        let mut out = Catalogue::new();
        for (key, entry) in entries {
            let message = entry["message"]
                .as_str()
                .ok_or_else(|| format!("{key}: no message"))?;
            let mut placeholders = BTreeMap::new();
            if let Some(map) = entry.get("placeholders").and_then(Value::as_object) {
                for (name, p) in map {
                    let content = p["content"]
                        .as_str()
                        .ok_or_else(|| format!("{key}: placeholder {name} has no content"))?;
                    placeholders.insert(name.to_lowercase(), content.to_owned());
                }
            }
            // Every $NAME$ the message uses is declared, and every declared one is used.
            let used: BTreeSet<String> = message
                .split('$')
                .skip(1)
                .step_by(2)
                .filter(|n| {
                    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                })
                .map(str::to_lowercase)
                .collect();
            let declared: BTreeSet<String> = placeholders.keys().cloned().collect();
            if used != declared {
                return Err(format!(
                    "{key}: the message uses placeholders {used:?} but declares {declared:?}"
                ));
            }
            out.insert(key.clone(), (message.to_owned(), placeholders));
        }
        Ok(out)
    }

    /// Every way `other` differs from `english` in keys or placeholders.
    fn compare(lang: &str, english: &Catalogue, other: &Catalogue) -> Vec<String> {
        let mut problems = Vec::new();
        for key in english.keys().filter(|k| !other.contains_key(*k)) {
            problems.push(format!("{lang}: missing {key}"));
        }
        for key in other.keys().filter(|k| !english.contains_key(*k)) {
            problems.push(format!("{lang}: {key} is not in the English catalogue"));
        }
        for (key, (_, placeholders)) in english {
            if let Some((_, theirs)) = other.get(key) {
                if theirs != placeholders {
                    problems.push(format!(
                        "{lang}: {key} has placeholders {theirs:?}, English has {placeholders:?}"
                    ));
                }
            }
        }
        problems
    }

    /// Keys named by the pages' `data-i18n…` attributes, with the text the element carries.
    fn tagged(html: &str) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for attr in ["data-i18n=\"", "data-i18n-placeholder=\""] {
            let mut rest = html;
            while let Some(at) = rest.find(attr) {
                rest = &rest[at + attr.len()..];
                let Some(end) = rest.find('"') else { break };
                let key = rest[..end].to_owned();
                // The element's own text, for a text tag: from the end of the start tag to the next
                // `<` (the tagged elements hold plain text).
                let text = (attr == "data-i18n=\"")
                    .then(|| {
                        let open = rest.find('>')?;
                        let close = rest[open..].find('<')?;
                        Some(rest[open + 1..open + close].to_owned())
                    })
                    .flatten();
                out.push((key, text));
            }
        }
        out
    }

    /// The files whose text may name a key: the pages, their scripts, the manifest and the Rust
    /// sources of the shell and the core.
    fn sources() -> Result<String> {
        let root = root();
        let mut all = String::new();
        let mut add_dir = |dir: &Path, exts: &[&str]| -> Result {
            for entry in walk(dir)? {
                if exts
                    .iter()
                    .any(|e| entry.extension().is_some_and(|x| x == *e))
                {
                    all.push_str(&std::fs::read_to_string(&entry).map_err(|e| e.to_string())?);
                    all.push('\n');
                }
            }
            Ok(())
        };
        add_dir(&root.join("extension"), &["html", "js", "json"])?;
        add_dir(&root.join("www"), &["html", "js"])?;
        add_dir(&root.join("src"), &["rs"])?;
        add_dir(&root.join("core/src"), &["rs"])?;
        Ok(all)
    }

    fn walk(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.ends_with("_locales") {
                continue;
            }
            if path.is_dir() {
                out.extend(walk(&path)?);
            } else {
                out.push(path);
            }
        }
        Ok(out)
    }

    /// Whether `key` is named in `sources`: a quoted string, a `data-i18n` attribute or the
    /// manifest's `__MSG_key__`.
    fn is_used(key: &str, sources: &str) -> bool {
        key == "locale"
            || sources.contains(&format!("\"{key}\""))
            || sources.contains(&format!("'{key}'"))
            || sources.contains(&format!("__MSG_{key}__"))
    }

    /// Every problem with the repository's catalogues.
    fn check() -> Result<Vec<String>> {
        let root = root();
        let read = |lang: &str| -> Result<Catalogue> {
            let path = root.join(format!("extension/_locales/{lang}/messages.json"));
            parse(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)
                .map_err(|e| format!("{}: {e}", path.display()))
        };
        let english = read("en")?;
        let mut problems = Vec::new();
        for lang in languages()?.iter().filter(|l| *l != "en") {
            problems.extend(compare(lang, &english, &read(lang)?));
        }
        let sources = sources()?;
        for key in english.keys().filter(|k| !is_used(k, &sources)) {
            problems.push(format!("en: {key} is used nowhere"));
        }
        for page in [
            "extension/popup.html",
            "extension/options.html",
            "www/taskpane.html",
        ] {
            let html = std::fs::read_to_string(root.join(page)).map_err(|e| e.to_string())?;
            for (key, text) in tagged(&html) {
                match (english.get(&key), text) {
                    (None, _) => problems.push(format!("{page}: {key} is not in the catalogue")),
                    (Some((message, _)), Some(text)) if text.trim() != message => {
                        problems.push(format!(
                            "{page}: {key} reads \"{}\" but the catalogue says \"{message}\"",
                            text.trim()
                        ))
                    }
                    _ => {}
                }
            }
        }
        Ok(problems)
    }

    #[test]
    fn the_repositorys_catalogues_agree_with_each_other_and_the_code() {
        assert_eq!(check(), Ok(Vec::new()));
        assert!(
            languages()
                .unwrap()
                .starts_with(&["en".to_owned(), "de".to_owned()])
        );
    }

    const EN: &str = r#"{ "a": { "message": "A" },
        "by": { "message": "$WHO$ by $WHEN$", "placeholders": { "who": { "content": "$1" }, "when": { "content": "$2" } } } }"#;

    #[test]
    fn a_missing_key_an_extra_key_and_other_placeholders_are_each_reported() {
        let en = parse(EN).unwrap();
        let de = parse(r#"{ "by": { "message": "$WHO$ bis $WHEN$", "placeholders": { "who": { "content": "$2" }, "when": { "content": "$1" } } }, "x": { "message": "X" } }"#).unwrap();
        let problems = compare("de", &en, &de);
        assert_eq!(
            problems,
            [
                "de: missing a",
                "de: x is not in the English catalogue",
                r#"de: by has placeholders {"when": "$1", "who": "$2"}, English has {"when": "$2", "who": "$1"}"#,
            ]
        );
        assert!(compare("de", &en, &en).is_empty());
    }

    #[test]
    fn a_placeholder_used_but_not_declared_is_refused() {
        assert!(
            parse(r#"{ "a": { "message": "Hi $WHO$" } }"#)
                .unwrap_err()
                .contains("a:")
        );
        assert!(
            parse(
                r#"{ "a": { "message": "Hi", "placeholders": { "who": { "content": "$1" } } } }"#
            )
            .is_err()
        );
    }

    #[test]
    fn tagged_texts_and_their_keys_are_read_from_the_html() {
        let html = r#"<p data-i18n="one">First</p><input data-i18n-placeholder="two" placeholder="x"><option data-i18n="three">Third (3)</option>"#;
        assert_eq!(
            tagged(html),
            [
                ("one".into(), Some("First".into())),
                ("three".into(), Some("Third (3)".into())),
                ("two".into(), None),
            ]
        );
    }

    #[test]
    fn a_key_is_used_when_the_code_names_it() {
        assert!(is_used("bannerRenew", "getMessage('bannerRenew')"));
        assert!(is_used("extName", "\"name\": \"__MSG_extName__\""));
        assert!(!is_used("bannerRenew", "bannerRenewFor"));
    }
}
