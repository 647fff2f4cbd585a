//! Who sent a message, and what they may ask. Only this extension's own pages may act; every
//! other sender (content scripts, web pages, other extensions) is refused before any work.

use crate::messages::Request;
use serde::Deserialize;

/// The parts of `chrome.runtime.MessageSender` the decision needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSender {
    /// The sending extension's id.
    pub id: Option<String>,
    /// The URL of the sending page or frame.
    pub url: Option<String>,
    /// The origin of the sending page (Chrome 80+).
    pub origin: Option<String>,
}

/// What kind of context sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderKind {
    /// A page of this extension (popup, options), in a tab or not.
    ExtensionPage,
    /// This extension's content script in a web page.
    ContentScript,
    /// Anything else.
    Foreign,
}

/// Who this extension is: its id, and the origin of its pages as the browser reports it
/// (`runtime.getURL("")`): `chrome-extension://<id>` in Chromium, `moz-extension://<uuid>` in
/// Firefox, where the origin is a per-profile UUID and not the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    id: String,
    origin: String,
}

impl Own {
    /// From `runtime.id` and `runtime.getURL("")`. Anything but a bare origin with one
    /// trailing slash leaves the extension with no pages of its own, so every sender is
    /// refused rather than one trusted by mistake.
    pub fn new(id: &str, base_url: &str) -> Self {
        let origin = base_url
            .strip_suffix('/')
            .filter(|o| {
                o.split_once("://").is_some_and(|(scheme, host)| {
                    scheme.ends_with("-extension")
                        && !host.is_empty()
                        && !host.contains(['/', '?', '#', '@', ':'])
                })
            })
            .unwrap_or_default();
        Own {
            id: id.to_owned(),
            origin: origin.to_owned(),
        }
    }

    /// The origin of this extension's pages (`moz-extension://<uuid>`); empty when unknown.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The host of that origin: the id in Chromium, the UUID in Firefox (what a
    /// declarativeNetRequest rule's `initiatorDomains` must name).
    pub fn host(&self) -> &str {
        self.origin.split_once("://").map_or("", |(_, host)| host)
    }
}

/// Classifies `sender` for the extension `own`.
pub fn classify(sender: &MessageSender, own: &Own) -> SenderKind {
    if own.id.is_empty() || own.origin.is_empty() || sender.id.as_deref() != Some(&own.id) {
        return SenderKind::Foreign;
    }
    let own_origin = own.origin.as_str();
    let url_is_own = sender.url.as_deref().is_some_and(|u| {
        u.strip_prefix(own_origin)
            .is_some_and(|rest| rest.starts_with('/'))
    });
    let origin_is_own = sender.origin.as_deref().is_none_or(|o| o == own_origin);
    match (url_is_own, origin_is_own) {
        (true, true) => SenderKind::ExtensionPage,
        (false, _) if sender.url.is_some() => SenderKind::ContentScript,
        _ => SenderKind::Foreign,
    }
}

/// Whether `kind` may send `request`. Extension pages may ask anything; this extension's
/// content script (the in-mail banner) may read the banner status and renew a connection —
/// which opens the provider's sign-in window and answers with banner lines, never a token;
/// everyone else gets nothing.
pub fn permits(kind: SenderKind, request: &Request) -> bool {
    match kind {
        SenderKind::ExtensionPage => true,
        SenderKind::ContentScript => {
            matches!(
                request,
                Request::BannerStatus {} | Request::SignInAgain { .. }
            )
        }
        SenderKind::Foreign => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "abcdefghijklmnopabcdefghijklmnop";

    fn sender(id: Option<&str>, url: Option<&str>, origin: Option<&str>) -> MessageSender {
        MessageSender {
            id: id.map(Into::into),
            url: url.map(Into::into),
            origin: origin.map(Into::into),
        }
    }

    fn chromium() -> Own {
        Own::new(ID, &format!("chrome-extension://{ID}/"))
    }

    #[test]
    fn only_own_pages_are_extension_pages() {
        let own = chromium();
        let page = format!("chrome-extension://{ID}/popup.html");
        let origin = format!("chrome-extension://{ID}");
        assert_eq!(
            classify(&sender(Some(ID), Some(&page), Some(&origin)), &own),
            SenderKind::ExtensionPage
        );
        assert_eq!(
            classify(&sender(Some(ID), Some(&page), None), &own),
            SenderKind::ExtensionPage
        );
        assert_eq!(
            classify(
                &sender(
                    Some(ID),
                    Some("https://outlook.office.com/mail/"),
                    Some("https://outlook.office.com")
                ),
                &own
            ),
            SenderKind::ContentScript
        );
        let other = "ponmlkjihgfedcbaponmlkjihgfedcba";
        let other_page = format!("chrome-extension://{other}/x.html");
        assert_eq!(
            classify(&sender(Some(other), Some(&other_page), None), &own),
            SenderKind::Foreign
        );
        assert_eq!(
            classify(&sender(None, Some("https://evil.example/"), None), &own),
            SenderKind::Foreign
        );
        let lookalike = format!("chrome-extension://{ID}.evil.example/x");
        assert_eq!(
            classify(&sender(Some(ID), Some(&lookalike), None), &own),
            SenderKind::ContentScript
        );
        assert_eq!(
            classify(
                &sender(Some(ID), Some(&page), Some("https://evil.example")),
                &own
            ),
            SenderKind::Foreign
        );
        assert_eq!(
            classify(&sender(Some(""), Some(&page), None), &Own::new("", "")),
            SenderKind::Foreign
        );
    }

    #[test]
    fn firefox_pages_are_known_by_their_uuid_origin_not_the_id() {
        let id = "tokenwatch@tokenwatch.dev";
        let uuid = "3f1e1a9c-6b2d-4c1e-9a7b-2d5e8f0a1b2c";
        let own = Own::new(id, &format!("moz-extension://{uuid}/"));
        assert_eq!(own.host(), uuid);
        let page = format!("moz-extension://{uuid}/popup.html");
        assert_eq!(
            classify(&sender(Some(id), Some(&page), None), &own),
            SenderKind::ExtensionPage
        );
        // The id is not the origin in Firefox: a URL built from it is not one of our pages.
        let by_id = format!("moz-extension://{id}/popup.html");
        assert_eq!(
            classify(&sender(Some(id), Some(&by_id), None), &own),
            SenderKind::ContentScript
        );
        // Another profile's (or extension's) UUID is not ours either.
        let other = "moz-extension://00000000-0000-4000-8000-000000000000/popup.html";
        assert_eq!(
            classify(&sender(Some(id), Some(other), None), &own),
            SenderKind::ContentScript
        );
    }

    #[test]
    fn a_base_url_that_is_not_a_bare_extension_origin_trusts_no_page() {
        for base in [
            "",
            "chrome-extension://",
            "chrome-extension:///",
            &format!("chrome-extension://{ID}"),
            &format!("chrome-extension://{ID}/popup/"),
            &format!("https://{ID}/"),
            &format!("chrome-extension://user@{ID}/"),
        ] {
            let own = Own::new(ID, base);
            assert_eq!(own.origin(), "", "{base}");
            let page = format!("chrome-extension://{ID}/popup.html");
            assert_eq!(
                classify(&sender(Some(ID), Some(&page), None), &own),
                SenderKind::Foreign,
                "{base}"
            );
        }
    }

    #[test]
    fn only_extension_pages_may_act() {
        assert!(permits(
            SenderKind::ExtensionPage,
            &Request::ListConnections {}
        ));
        assert!(!permits(
            SenderKind::ContentScript,
            &Request::ListConnections {}
        ));
        assert!(!permits(SenderKind::Foreign, &Request::ListConnections {}));
    }
}
