//! The add-in's sign-in window. Outlook has no `chrome.identity`: an interactive sign-in opens
//! an Office dialog on the add-in's own start page, which goes on to the provider; the provider
//! returns to a callback page on the add-in's origin, which hands its URL back with
//! `messageParent`. A silent renewal (`prompt=none`) loads the same URL in a hidden frame whose
//! callback page posts to the pane.
//!
//! Either way the pane accepts a callback only from its own exact origin; the engine then
//! checks that it came back to the exact redirect URL and carries this sign-in's `state`.

use super::office::{Dialog, DialogOutcome};
use crate::i18n::t;
use tokenwatch_core::ports::{Identity, IdentityError, Interaction};
use url::Url;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// How long a silent renewal may take before it counts as needing the person.
const SILENT_TIMEOUT_MS: u32 = 20_000;

/// The Office dialog (interactive) and a hidden frame (silent).
#[derive(Debug)]
pub struct OfficeIdentity {
    /// The task pane's URL: the start page and the callbacks are beside it.
    pane: Url,
}

impl OfficeIdentity {
    /// The identity port for a pane served at `pane`.
    pub fn new(pane: Url) -> Self {
        Self { pane }
    }

    /// The add-in's origin, e.g. `https://tokenwatch.example.com`.
    pub fn origin(&self) -> String {
        self.pane.origin().ascii_serialization()
    }

    /// The redirect URL of `provider` (`salesforce` or `microsoft`): a page of its own per
    /// provider, the mix-up defence.
    pub fn redirect(&self, provider: &str) -> Url {
        self.pane
            .join(&format!("auth/{provider}.html"))
            .expect("a relative path joins any http(s) URL")
    }

    /// Accepts `message` as a callback URL only when it came from this origin.
    fn accept(&self, message: &str, origin: Option<&str>) -> Result<Url, IdentityError> {
        match origin {
            Some(o) if o != self.origin() => {
                return Err(IdentityError::ForeignOrigin(o.chars().take(100).collect()));
            }
            _ => {}
        }
        let url = Url::parse(message).map_err(|_| {
            IdentityError::Unavailable("the sign-in window sent something that is not a URL".into())
        })?;
        if url.origin().ascii_serialization() != self.origin() {
            return Err(IdentityError::ForeignOrigin(
                url.origin().ascii_serialization(),
            ));
        }
        Ok(url)
    }

    async fn interactive(&self, authorize: &Url) -> Result<Url, IdentityError> {
        let mut start = self
            .pane
            .join("auth/start.html")
            .expect("a relative path joins any http(s) URL");
        // In the fragment: never sent to the add-in's host, so `state`, `nonce` and the PKCE
        // challenge stay out of its logs.
        let fragment: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("to", authorize.as_str())
            .finish();
        start.set_fragment(Some(&fragment));
        let dialog = Dialog::open(start.as_str())
            .await
            .map_err(|e| dialog_refused(e.code))?;
        let outcome = dialog.outcome().await;
        dialog.close();
        match outcome {
            DialogOutcome::Message { message, origin } => self.accept(&message, origin.as_deref()),
            DialogOutcome::Event(code) => Err(dialog_event(code)),
        }
    }

    async fn silent(&self, authorize: &Url) -> Result<Url, IdentityError> {
        let frame = HiddenFrame::open(authorize.as_str(), &self.origin())
            .map_err(|_| IdentityError::InteractionRequired)?;
        let got = frame.wait(SILENT_TIMEOUT_MS).await;
        frame.remove();
        match got {
            Some(message) => self.accept(&message, None),
            None => Err(IdentityError::InteractionRequired),
        }
    }
}

impl Identity for OfficeIdentity {
    async fn authorize(&self, url: &Url, interaction: Interaction) -> Result<Url, IdentityError> {
        match interaction {
            Interaction::Interactive => self.interactive(url).await,
            Interaction::Silent => self.silent(url).await,
        }
    }
}

/// `displayDialogAsync` refused to open (Office's codes).
fn dialog_refused(code: i32) -> IdentityError {
    IdentityError::Blocked(match code {
        12007 => t("dialogAlreadyOpen", &[]),
        12009 | 12011 => t("dialogBlocked", &[]),
        12004 | 12005 => t("dialogBadAddress", &[]),
        _ => t("dialogFailed", &[&code.to_string()]),
    })
}

/// The dialog ended without a message.
fn dialog_event(code: i32) -> IdentityError {
    match code {
        12006 => IdentityError::Cancelled,
        12002 => {
            IdentityError::Unavailable("the page does not exist or its address is wrong".into())
        }
        12003 => IdentityError::Unavailable("the page was served over http, not https".into()),
        _ => IdentityError::Unavailable(format!("Outlook reported error {code}")),
    }
}

/// A hidden `iframe` on the provider's authorize URL, and the callback its page posts.
struct HiddenFrame {
    frame: web_sys::HtmlIFrameElement,
    got: js_sys::Promise,
    listener: JsValue,
}

impl HiddenFrame {
    fn open(url: &str, origin: &str) -> Result<Self, JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let doc = window.document().ok_or("no document")?;
        let frame: web_sys::HtmlIFrameElement = doc.create_element("iframe")?.dyn_into()?;
        frame.set_attribute("hidden", "")?;
        frame.set_attribute("aria-hidden", "true")?;
        frame.set_attribute("tabindex", "-1")?;
        let (got, resolve) = crate::js::deferred();
        let origin = origin.to_owned();
        let source = frame.clone();
        let listener =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let from_frame = match (e.source(), source.content_window()) {
                    (Some(s), Some(w)) => JsValue::from(s) == JsValue::from(w),
                    _ => false,
                };
                if !from_frame || e.origin() != origin {
                    return;
                }
                let data = e.data();
                let kind = js_sys::Reflect::get(&data, &"type".into())
                    .ok()
                    .and_then(|t| t.as_string());
                if kind.as_deref() == Some("tokenwatch:callback") {
                    let url = js_sys::Reflect::get(&data, &"url".into()).unwrap_or(JsValue::NULL);
                    let _ = resolve.call1(&JsValue::NULL, &url);
                }
            })
            .into_js_value();
        window.add_event_listener_with_callback("message", listener.unchecked_ref())?;
        frame.set_src(url);
        doc.body().ok_or("no body")?.append_child(&frame)?;
        Ok(Self {
            frame,
            got,
            listener,
        })
    }

    /// The callback URL, or `None` after `timeout_ms`.
    async fn wait(&self, timeout_ms: u32) -> Option<String> {
        let (timeout, fire) = crate::js::deferred();
        wasm_bindgen_futures::spawn_local(async move {
            crate::js::sleep_ms(timeout_ms).await;
            let _ = fire.call1(&JsValue::NULL, &JsValue::NULL);
        });
        let race = js_sys::Promise::race(&js_sys::Array::of2(&self.got, &timeout));
        JsFuture::from(race).await.ok().and_then(|v| v.as_string())
    }

    fn remove(&self) {
        if let Some(window) = web_sys::window() {
            let _ = window
                .remove_event_listener_with_callback("message", self.listener.unchecked_ref());
        }
        self.frame.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> OfficeIdentity {
        OfficeIdentity::new(Url::parse("https://addin.example/tw/taskpane.html").unwrap())
    }

    #[test]
    fn callbacks_and_redirects_live_beside_the_pane() {
        let i = identity();
        assert_eq!(i.origin(), "https://addin.example");
        assert_eq!(
            i.redirect("salesforce").as_str(),
            "https://addin.example/tw/auth/salesforce.html"
        );
    }

    #[test]
    fn only_a_callback_from_the_panes_own_origin_is_accepted() {
        let i = identity();
        let cb = "https://addin.example/tw/auth/salesforce.html?code=c&state=s";
        assert!(i.accept(cb, Some("https://addin.example")).is_ok());
        assert!(i.accept(cb, None).is_ok());
        assert_eq!(
            i.accept(cb, Some("https://evil.example")),
            Err(IdentityError::ForeignOrigin("https://evil.example".into()))
        );
        assert!(matches!(
            i.accept(
                "https://evil.example/auth?code=c",
                Some("https://addin.example")
            ),
            Err(IdentityError::ForeignOrigin(_))
        ));
        assert!(i.accept("not a url", None).is_err());
    }

    #[test]
    fn office_dialog_codes_read_as_what_to_do() {
        assert_eq!(dialog_event(12006), IdentityError::Cancelled);
        // Natively there is no catalogue, so each refusal reads as its message id.
        let blocked = |key: &str| IdentityError::Blocked(key.into());
        assert_eq!(dialog_refused(12009), blocked("dialogBlocked"));
        assert_eq!(dialog_refused(12011), blocked("dialogBlocked"));
        assert_eq!(dialog_refused(12007), blocked("dialogAlreadyOpen"));
        assert_eq!(dialog_refused(12004), blocked("dialogBadAddress"));
        assert_eq!(dialog_refused(1), blocked("dialogFailed"));
        assert!(matches!(dialog_event(12002), IdentityError::Unavailable(_)));
    }
}
