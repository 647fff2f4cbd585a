//! One session per surface: the settings in force made into an engine, and the rules every
//! request passes on its way in. The extension's service worker and the Outlook task pane each
//! run one, so they cannot disagree about a guard; what only one of them does (badge and
//! alarms, in-mail banners) stays in its shell.

use crate::engine::{Engine, Ports};
use crate::messages::{ErrorCode, ErrorView, Request, Response};
use crate::microsoft::Registration;
use crate::salesforce::SalesforceApp;
use crate::sender::SenderKind;
use crate::settings::{Effective, Field, SettingsValues, describe};
use url::Url;

/// Where a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// The extension's service worker: it removes `Origin` from its own token requests, so both
    /// Microsoft registration types work; its settings are changed on the options page.
    ExtensionWorker,
    /// The Outlook add-in's task pane: a page, whose fetch always sends `Origin`, so only a
    /// single-page-application registration works; its settings are its deployment's
    /// `config.json`.
    OfficePane,
}

/// The settings a session runs with, and why Microsoft 365 cannot be added, if it cannot.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// What is in force.
    pub effective: Effective,
    /// Why *Add Microsoft 365 account* is refused, in words.
    pub microsoft_problem: Option<String>,
}

impl Setup {
    /// `merged` (the administrator's layer over the person's over the build's) checked. When
    /// it is refused, `fallback` (the build's own) runs instead, and the refusal is kept to say
    /// when Microsoft 365 is added.
    pub fn of(
        merged: &SettingsValues,
        fallback: &SettingsValues,
        microsoft_redirect: &Url,
        surface: Surface,
    ) -> Self {
        Self::checked(merged, fallback, microsoft_redirect, surface, &[])
    }

    /// [`Setup::of`] for the extension's worker, where `managed` is the administrator's layer
    /// (`chrome.storage.managed`). A refused value that the policy sets is the administrator's
    /// to correct, and what it configures stays off instead of falling back to the build's: the
    /// administrator chose it (a mistyped tenant must not open sign-in to every tenant).
    pub fn of_worker(
        managed: &SettingsValues,
        merged: &SettingsValues,
        fallback: &SettingsValues,
        microsoft_redirect: &Url,
    ) -> Self {
        let locked = managed.set_fields();
        Self::checked(
            merged,
            fallback,
            microsoft_redirect,
            Surface::ExtensionWorker,
            &locked,
        )
    }

    fn checked(
        merged: &SettingsValues,
        fallback: &SettingsValues,
        microsoft_redirect: &Url,
        surface: Surface,
        locked: &[Field],
    ) -> Self {
        match merged.validate(microsoft_redirect) {
            Ok(mut effective) => {
                let public = effective
                    .microsoft
                    .as_ref()
                    .is_some_and(|m| m.registration == Registration::PublicClient);
                if surface == Surface::OfficePane && public {
                    effective.microsoft = None;
                    return Self {
                        effective,
                        microsoft_problem: Some(format!(
                            "The add-in's Microsoft app registration must list {microsoft_redirect} as a single-page application redirect URI: Outlook add-ins cannot use a public-client (mobile and desktop) registration"
                        )),
                    };
                }
                Self {
                    effective,
                    microsoft_problem: None,
                }
            }
            Err(errors) if errors.iter().any(|e| locked.contains(&e.field)) => {
                let mut effective = fallback.validate(microsoft_redirect).unwrap_or_default();
                let refused = |f: fn(&Field) -> bool| {
                    errors
                        .iter()
                        .any(|e| locked.contains(&e.field) && f(&e.field))
                };
                if refused(|f| *f == Field::SalesforceConsumerKey) {
                    effective.salesforce_consumer_key = None;
                }
                if refused(|f| f.is_microsoft()) {
                    effective.microsoft = None;
                }
                Self {
                    effective,
                    microsoft_problem: Some(format!(
                        "Your administrator's policy sets a value Tokenwatch refuses ({}); what it configures stays off until your administrator corrects the policy",
                        describe(&errors)
                    )),
                }
            }
            Err(errors) => {
                let why = describe(&errors);
                let problem = match surface {
                    Surface::ExtensionWorker => format!(
                        "The settings in force are refused ({why}); fix them on the options page"
                    ),
                    Surface::OfficePane => format!(
                        "The add-in's config.json is refused ({why}); ask whoever deployed it to fix it"
                    ),
                };
                Self {
                    effective: fallback.validate(microsoft_redirect).unwrap_or_default(),
                    microsoft_problem: Some(problem),
                }
            }
        }
    }
}

/// What a request came to.
#[derive(Debug)]
pub struct Answer {
    /// What to send back.
    pub response: Response,
    /// Whether connections may have changed, so the surfaces outside the page (badge,
    /// notifications, banners) must be brought up to date.
    pub changed: bool,
    /// The answer is another caller's (a check that joined one running): whatever it holds,
    /// that caller keeps (the worker's last known list) and shows.
    pub joined: bool,
}

/// An engine with the guards of its surface.
#[derive(Debug)]
pub struct Session<P> {
    engine: Engine<P>,
    microsoft_problem: Option<String>,
    about: String,
}

impl<P: Ports> Session<P> {
    /// The session over `ports` with `setup`; `salesforce` is the app the build and settings
    /// name, if any.
    pub fn new(ports: P, setup: Setup, salesforce: Option<SalesforceApp>) -> Self {
        Self {
            engine: Engine::new(ports, salesforce)
                .with_microsoft(setup.effective.microsoft)
                .with_timing(setup.effective.timing),
            microsoft_problem: setup.microsoft_problem,
            about: String::new(),
        }
    }

    /// The same session naming Tokenwatch's version and the browser in its reports.
    pub fn with_about(mut self, about: String) -> Self {
        self.about = about;
        self
    }

    /// The engine, for the surface's own scheduled work.
    pub fn engine(&self) -> &Engine<P> {
        &self.engine
    }

    /// Answers `request` from a sender of `kind`, which the shell has already checked may ask
    /// it. A content script (the in-mail banner) learns only its lines, whatever it asked.
    pub async fn answer(&self, request: Request, kind: SenderKind) -> Answer {
        if let (Request::AddMicrosoft { .. }, Some(why)) = (&request, &self.microsoft_problem) {
            return Answer {
                response: Response::error(ErrorCode::NotConfigured, why),
                changed: false,
                joined: false,
            };
        }
        if let Request::Report { id } = &request {
            let response = match self.engine.report(id, &self.about).await {
                Ok(text) => Response::Report { text },
                Err(e) => Response::Error { error: e.view() },
            };
            return Answer {
                response,
                changed: false,
                joined: false,
            };
        }
        let changed = !matches!(
            request,
            Request::ListConnections {} | Request::BannerStatus {}
        );
        let served = self.engine.serve(request).await;
        // A check that joined another caller's changed nothing of its own: that caller brings
        // the surfaces up to date, once for the burst.
        let changed = changed && !served.joined;
        let joined = served.joined;
        let response = match (kind, served.response) {
            (SenderKind::ContentScript, r @ Response::Banner { .. }) => r,
            // The banner lives in a web page: it gets a fixed sentence and the code, never the
            // provider's own words nor another account's name (a wrong-account renewal names
            // both accounts); the popup shows the whole story.
            (SenderKind::ContentScript, Response::Error { error }) => Response::Error {
                error: ErrorView::for_web_page(error.code),
            },
            (SenderKind::ContentScript, _) => self.engine.handle(Request::BannerStatus {}).await,
            (_, r) => r,
        };
        Answer {
            response,
            changed,
            joined,
        }
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn redirect() -> Url {
        Url::parse("https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/microsoft").unwrap()
    }

    fn build() -> SettingsValues {
        SettingsValues {
            salesforce_consumer_key: Some("3MVG9key".into()),
            microsoft_client_id: Some("11111111-2222-3333-4444-555555555555".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_policy_value_that_is_refused_switches_off_what_it_configures() {
        let managed = SettingsValues {
            microsoft_tenant: Some("not a tenant!".into()),
            ..Default::default()
        };
        let merged = managed.over(&build());
        let setup = Setup::of_worker(&managed, &merged, &build(), &redirect());
        // Not the build's Microsoft app in its place: the administrator chose this one.
        assert!(setup.effective.microsoft.is_none());
        // Salesforce is not what the refused value configures.
        assert_eq!(
            setup.effective.salesforce_consumer_key.as_deref(),
            Some("3MVG9key")
        );
        let problem = setup.microsoft_problem.unwrap();
        assert!(problem.contains("administrator's policy"), "{problem}");
        assert!(problem.contains("microsoft_tenant"), "{problem}");
    }

    #[test]
    fn the_persons_own_refused_value_falls_back_to_the_build() {
        let own = SettingsValues {
            microsoft_tenant: Some("not a tenant!".into()),
            ..Default::default()
        };
        let merged = own.over(&build());
        let setup = Setup::of_worker(&SettingsValues::default(), &merged, &build(), &redirect());
        assert!(setup.effective.microsoft.is_some());
        assert!(setup.microsoft_problem.unwrap().contains("options page"));
    }

    #[test]
    fn a_usable_policy_is_simply_in_force() {
        let managed = SettingsValues {
            microsoft_tenant: Some("contoso.onmicrosoft.com".into()),
            ..Default::default()
        };
        let merged = managed.over(&build());
        let setup = Setup::of_worker(&managed, &merged, &build(), &redirect());
        assert!(setup.microsoft_problem.is_none());
        let app = setup.effective.microsoft.unwrap();
        assert_eq!(app.authority.tenant.as_str(), "contoso.onmicrosoft.com");
    }
}
