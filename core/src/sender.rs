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

/// Classifies `sender` for the extension whose id is `own_id`.
pub fn classify(sender: &MessageSender, own_id: &str) -> SenderKind {
    if own_id.is_empty() || sender.id.as_deref() != Some(own_id) {
        return SenderKind::Foreign;
    }
    let own_origin = format!("chrome-extension://{own_id}");
    let url_is_own = sender.url.as_deref().is_some_and(|u| {
        u.strip_prefix(own_origin.as_str())
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

    #[test]
    fn only_own_pages_are_extension_pages() {
        let page = format!("chrome-extension://{ID}/popup.html");
        let origin = format!("chrome-extension://{ID}");
        assert_eq!(
            classify(&sender(Some(ID), Some(&page), Some(&origin)), ID),
            SenderKind::ExtensionPage
        );
        assert_eq!(
            classify(&sender(Some(ID), Some(&page), None), ID),
            SenderKind::ExtensionPage
        );
        assert_eq!(
            classify(
                &sender(
                    Some(ID),
                    Some("https://outlook.office.com/mail/"),
                    Some("https://outlook.office.com")
                ),
                ID
            ),
            SenderKind::ContentScript
        );
        let other = "ponmlkjihgfedcbaponmlkjihgfedcba";
        let other_page = format!("chrome-extension://{other}/x.html");
        assert_eq!(
            classify(&sender(Some(other), Some(&other_page), None), ID),
            SenderKind::Foreign
        );
        assert_eq!(
            classify(&sender(None, Some("https://evil.example/"), None), ID),
            SenderKind::Foreign
        );
        let lookalike = format!("chrome-extension://{ID}.evil.example/x");
        assert_eq!(
            classify(&sender(Some(ID), Some(&lookalike), None), ID),
            SenderKind::ContentScript
        );
        assert_eq!(
            classify(
                &sender(Some(ID), Some(&page), Some("https://evil.example")),
                ID
            ),
            SenderKind::Foreign
        );
        assert_eq!(
            classify(&sender(Some(""), Some(&page), None), ""),
            SenderKind::Foreign
        );
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
