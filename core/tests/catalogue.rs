//! Every message the core names reads, with the English catalogue
//! (`extension/_locales/en/messages.json`), exactly as the English the core puts beside it; every
//! status and every cause (each variant, for each provider) is a view whose words are all
//! catalogue messages with as many arguments as their placeholders; and the German catalogue
//! says each of them in German. The catalogue and the core cannot drift apart.

use serde_json::Value;
use std::collections::BTreeSet;
use tokenwatch_core::ids::Provider;
use tokenwatch_core::status::{Said, Status, StatusView};
use tokenwatch_core::testing::every_cause;
use tokenwatch_core::time::Timestamp;

fn catalogue(lang: &str) -> Value {
    let path = format!(
        "{}/../extension/_locales/{lang}/messages.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `said` through `catalogue` as `chrome.i18n` fills it in: `$name$` to its placeholder's
/// content, then `$n` to the n-th value and `$$` to `$`.
fn render(catalogue: &Value, said: &Said) -> String {
    let entry = &catalogue[&said.key];
    let mut text = entry["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{} is not in the catalogue", said.key))
        .to_owned();
    if let Some(placeholders) = entry["placeholders"].as_object() {
        for (name, p) in placeholders {
            let content = p["content"].as_str().unwrap();
            text = text.replace(&format!("${}$", name.to_uppercase()), content);
        }
    }
    tokenwatch_core::words::fill(&text, &said.args)
}

fn placeholders(catalogue: &Value, key: &str) -> usize {
    catalogue[key]["placeholders"]
        .as_object()
        .map_or(0, |p| p.len())
}

/// Every status, every cause as Needs sign-in, for both providers.
fn views() -> Vec<StatusView> {
    let at = Timestamp::from_millis(1_800_000_000_000);
    let mut statuses = vec![
        Status::Healthy,
        Status::ExpiringSoon {
            by: at,
            within_a_day: false,
        },
        Status::Unreachable {
            since: at,
            next_try: at,
            reason: "Salesforce could not be reached (HTTP 503)".into(),
        },
        Status::Unreachable {
            since: at,
            next_try: at,
            reason: "Microsoft could not be reached (HTTP 429)".into(),
        },
        Status::Unreachable {
            since: at,
            next_try: at,
            reason: "Salesforce answered in an unexpected way (an HTML page)".into(),
        },
    ];
    statuses.extend(
        every_cause()
            .into_iter()
            .map(|cause| Status::NeedsSignIn { cause }),
    );
    let mut out = Vec::new();
    for provider in [Provider::Salesforce, Provider::Microsoft] {
        for status in &statuses {
            out.push(status.view(provider));
        }
    }
    out
}

/// Each message of `view` with the English beside it.
fn words(view: &StatusView) -> Vec<(Said, String)> {
    let mut out = vec![
        (view.said.title.clone().unwrap(), view.title.clone()),
        (view.said.detail.clone().unwrap(), view.detail.clone()),
    ];
    assert_eq!(view.said.action.is_some(), view.action.is_some());
    if let (Some(said), Some(english)) = (&view.said.action, &view.action) {
        out.push((said.clone(), english.clone()));
    }
    for time in &view.times {
        let key = time.key.clone().expect("every time label has a message");
        out.push((
            Said {
                key,
                args: Vec::new(),
            },
            time.label.clone(),
        ));
    }
    out
}

#[test]
fn every_message_a_view_names_reads_as_its_english() {
    let english = catalogue("en");
    let mut checked = 0;
    for view in views() {
        for (said, words) in words(&view) {
            assert_eq!(render(&english, &said), words, "{}", said.key);
            assert_eq!(
                said.args.len(),
                placeholders(&english, &said.key),
                "{}: arguments and placeholders differ",
                said.key
            );
            checked += 1;
        }
    }
    assert!(checked >= 200, "only {checked} words were checked");
}

#[test]
fn every_message_of_the_core_is_named_by_something_it_says() {
    let named: BTreeSet<String> = views()
        .iter()
        .flat_map(words)
        .chain(other_words())
        .map(|(said, _)| said.key)
        .chain(
            error_views()
                .into_iter()
                .flat_map(|e| e.said.into_iter().map(|said| said.key)),
        )
        .collect();
    // The connections' labels are checked against the catalogue by the test below only.
    let table: BTreeSet<String> = tokenwatch_core::words::keys()
        .filter(|key| !key.starts_with("label"))
        .map(str::to_owned)
        .collect();
    let unused: Vec<_> = table.difference(&named).collect();
    assert!(
        unused.is_empty(),
        "the core's table holds unused messages: {unused:?}"
    );
}

#[test]
fn every_cause_is_said_in_german() {
    let (english, german) = (catalogue("en"), catalogue("de"));
    for view in views() {
        for (said, _) in words(&view) {
            let de = render(&german, &said);
            let unfilled = de.split('$').skip(1).any(|after| {
                after.starts_with(|c: char| c.is_ascii_digit() || c.is_ascii_uppercase())
            });
            assert!(!unfilled, "{}: {de}", said.key);
            if said.key.starts_with("cause") || said.key.starts_with("fix") {
                assert_ne!(
                    de,
                    render(&english, &said),
                    "{} is not translated",
                    said.key
                );
            }
        }
    }
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

/// The timing refusals, each field's range and both orders, with the English the error says.
fn timing_refusals() -> Vec<(Said, String)> {
    use tokenwatch_core::schedule::{TimingError, TimingField};
    let mut errors: Vec<TimingError> = TimingField::ALL
        .into_iter()
        .map(|field| TimingError::OutOfRange {
            field,
            min: 10,
            max: 43_200,
        })
        .collect();
    errors.push(TimingError::Order(
        TimingField::WarnShort,
        "the second warning must come after the first",
    ));
    errors.push(TimingError::Order(
        TimingField::SilentRenewLead,
        "silent renewal must start before the 24-hour sign-in warning",
    ));
    errors.iter().map(|e| (e.said().1, e.to_string())).collect()
}

/// The refusals of settings fields and the banner's notes, with their English.
fn other_words() -> Vec<(Said, String)> {
    use tokenwatch_core::messages::{ErrorCode, ErrorView};
    use tokenwatch_core::schedule::TimingField;
    use tokenwatch_core::settings::{Field, SettingsValues};
    let mut said = timing_refusals();
    let mut push = |e: tokenwatch_core::settings::FieldError| {
        said.push((e.said.expect("a catalogue message"), e.message))
    };
    let mut layer = SettingsValues::default();
    for (field, typed) in [
        (Field::MicrosoftRegistration, "web"),
        (Field::MicrosoftResource, "sharepoint"),
        (Field::MicrosoftCloud, "mars"),
        (Field::Timing(TimingField::CheckInterval), "-3"),
    ] {
        push(field.enter(&mut layer, typed).unwrap_err());
    }
    let redirect = url::Url::parse("https://example.chromiumapp.org/microsoft").unwrap();
    let bad = SettingsValues {
        salesforce_consumer_key: Some("has spaces".into()),
        microsoft_client_id: Some("has spaces".into()),
        ews_url: Some("ftp://mail.contoso.com/EWS".into()),
        ..SettingsValues::default()
    };
    for e in bad.validate(&redirect).unwrap_err() {
        push(e);
    }
    let on_premises = SettingsValues {
        microsoft_resource: Some(tokenwatch_core::microsoft::Resource::ExchangeOnPremises),
        ..SettingsValues::default()
    };
    for e in on_premises.validate(&redirect).unwrap_err() {
        push(e);
    }
    let mine = SettingsValues {
        microsoft_tenant: Some("contoso.com".into()),
        ..SettingsValues::default()
    };
    for e in mine.refuse_locked(&mine.clone()).unwrap_err() {
        push(e);
    }
    for code in [
        ErrorCode::Cancelled,
        ErrorCode::WrongAccount,
        ErrorCode::Unreachable,
        ErrorCode::Internal,
    ] {
        let e = ErrorView::for_web_page(code);
        said.push((e.said[0].clone(), e.message));
    }
    said
}

#[test]
fn field_refusals_and_the_banners_notes_read_as_their_english_in_both_languages() {
    let (english, german) = (catalogue("en"), catalogue("de"));
    for (said, words) in other_words() {
        assert_eq!(render(&english, &said), words, "{}", said.key);
        assert_ne!(
            render(&german, &said),
            words,
            "{} is not translated",
            said.key
        );
    }
}

#[test]
fn every_message_of_the_core_is_the_english_catalogues() {
    let english = catalogue("en");
    for key in tokenwatch_core::words::keys() {
        // Each argument as its own marker: both sides must put the same one in the same place.
        let args: Vec<String> = (1..=placeholders(&english, key))
            .map(|n| format!("<{n}>"))
            .collect();
        let said = Said {
            key: key.to_owned(),
            args,
        };
        assert_eq!(
            render(&english, &said),
            tokenwatch_core::words::english(&said),
            "{key}"
        );
    }
}

/// The failures whose words are catalogue messages, as the UI is told them.
fn error_views() -> Vec<tokenwatch_core::messages::ErrorView> {
    use tokenwatch_core::error::EngineError;
    use tokenwatch_core::ports::IdentityError;
    use tokenwatch_core::status::Cause;
    let refused = |cause: Cause| EngineError::SignInRefused {
        provider: Provider::Salesforce,
        cause,
    };
    [
        EngineError::NotConfigured(Provider::Salesforce),
        EngineError::NotConfigured(Provider::Microsoft),
        EngineError::NoAnswer {
            shared_login: false,
        },
        EngineError::NoAnswer { shared_login: true },
        EngineError::Identity(IdentityError::Cancelled),
        EngineError::Identity(IdentityError::InteractionRequired),
        EngineError::Unreachable {
            provider: Provider::Microsoft,
            reason: "HTTP 503".into(),
            retry_after: None,
        },
        EngineError::UnknownConnection,
        EngineError::PolicyNotApplicable,
        EngineError::WrongAccount {
            signed_in_as: "bob@acme.example".into(),
            expected: "ada@acme.example".into(),
        },
        refused(Cause::RefreshRejected {
            detail: Some("invalid_grant: authentication failure".into()),
        }),
        refused(Cause::RefreshRejected { detail: None }),
        refused(Cause::Revoked),
        refused(Cause::AppNotInstalled { org: None }),
        EngineError::Diagnosed {
            provider: Provider::Microsoft,
            cause: Cause::ConsentRequired,
        },
    ]
    .iter()
    .map(EngineError::view)
    .collect()
}

#[test]
fn failures_read_as_their_english_and_are_said_in_german() {
    let (english, german) = (catalogue("en"), catalogue("de"));
    for view in error_views() {
        assert!(!view.said.is_empty(), "{}", view.message);
        let say = |catalogue: &Value| {
            view.said
                .iter()
                .map(|said| render(catalogue, said))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(say(&english), view.message);
        assert_ne!(say(&german), view.message);
    }
}
