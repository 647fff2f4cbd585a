//! The words a status view carries as catalogue messages (`StatusView::said`, `TimeNote::key`)
//! read, with the English catalogue (`extension/_locales/en/messages.json`), exactly as the
//! English beside them: the catalogue and the core cannot drift apart.

use serde_json::Value;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::status::{Cause, Said, Status, StatusView};
use tokenwatch_core::time::Timestamp;

fn english() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../extension/_locales/en/messages.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `said` through the catalogue, as `chrome.i18n` fills it in: `$name$` to its placeholder's
/// content, then `$n` to the n-th value.
fn render(catalogue: &Value, said: &Said) -> String {
    let entry = &catalogue[&said.key];
    let mut text = entry["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{} is not in the English catalogue", said.key))
        .to_owned();
    if let Some(placeholders) = entry["placeholders"].as_object() {
        for (name, p) in placeholders {
            let content = p["content"].as_str().unwrap();
            text = text.replace(&format!("${}$", name.to_uppercase()), content);
            text = text.replace(&format!("${name}$"), content);
        }
    }
    for (i, arg) in said.args.iter().enumerate() {
        text = text.replace(&format!("${}", i + 1), arg);
    }
    text
}

fn views() -> Vec<StatusView> {
    let at = Timestamp::from_millis(1_800_000_000_000);
    let mut out = Vec::new();
    for provider in [Provider::Salesforce, Provider::Microsoft] {
        for status in [
            Status::Healthy,
            Status::NeedsSignIn {
                cause: Cause::Revoked,
            },
            Status::ExpiringSoon {
                by: at,
                within_a_day: false,
            },
            Status::Unreachable {
                since: at,
                next_try: at,
                reason: "The server answered HTTP 503".into(),
            },
        ] {
            out.push(status.view(provider));
        }
    }
    out
}

#[test]
fn every_message_a_view_names_reads_as_its_english() {
    let catalogue = english();
    let mut checked = 0;
    for view in views() {
        let pairs = [
            (view.said.title.as_ref(), Some(view.title.as_str())),
            (view.said.detail.as_ref(), Some(view.detail.as_str())),
            (view.said.action.as_ref(), view.action.as_deref()),
        ];
        for (said, english) in pairs {
            if let Some(said) = said {
                assert_eq!(
                    Some(render(&catalogue, said).as_str()),
                    english,
                    "{}",
                    said.key
                );
                checked += 1;
            }
        }
        for time in &view.times {
            let key = time.key.as_ref().expect("every time label has a message");
            let said = Said {
                key: key.clone(),
                args: Vec::new(),
            };
            assert_eq!(render(&catalogue, &said), time.label, "{key}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} words were checked");
}

#[test]
fn a_message_that_differs_from_the_english_is_caught() {
    let catalogue = serde_json::json!({ "statusHealthy": { "message": "Token fine" } });
    let view = Status::Healthy.view(Provider::Salesforce);
    assert_ne!(
        render(&catalogue, view.said.title.as_ref().unwrap()),
        view.title
    );
}
