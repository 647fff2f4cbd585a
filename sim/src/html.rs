//! The simulator's pages. Every echoed value is escaped.

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn shell(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width">
<style>
body{{font:15px system-ui,sans-serif;background:#f3f6fa;color:#181818;margin:0}}
main{{max-width:22rem;margin:4rem auto;background:#fff;border-radius:.5rem;padding:1.5rem 2rem;box-shadow:0 2px 8px #0002}}
h1{{font-size:1.2rem;margin:0 0 .2rem}} p.sub{{color:#555;margin:0 0 1.2rem;font-size:.85rem}}
label{{display:block;margin:.8rem 0 .2rem;font-weight:600}} input{{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}}
button{{margin-top:1.2rem;width:100%;padding:.6rem;background:#0b5cab;color:#fff;border:0;border-radius:.3rem;font:inherit;cursor:pointer}}
.error{{background:#fde7e9;color:#8c0f1b;padding:.6rem;border-radius:.3rem}}
</style></head><body><main>{body}</main></body></html>"#
    )
}

/// The authorization request carried through a form POST, escaped.
fn hidden_fields(hidden: &[(String, String)]) -> String {
    hidden
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(k),
                escape(v)
            )
        })
        .collect()
}

/// The login form; `hidden` carries the authorization request through the POST.
pub fn login(
    product: &str,
    hidden: &[(String, String)],
    error: Option<&str>,
    username: &str,
) -> String {
    let fields = hidden_fields(hidden);
    let error = error
        .map(|e| {
            format!(
                r#"<p class="error" id="error" role="alert">{}</p>"#,
                escape(e)
            )
        })
        .unwrap_or_default();
    shell(
        &format!("Login | {}", escape(product)),
        &format!(
            r#"<h1>{product}</h1><p class="sub">Provider simulator &middot; not a real login page</p>{error}
<form method="post" action="authorize">{fields}
<label for="username">Username</label><input id="username" name="username" autocomplete="username" value="{user}" required>
<label for="password">Password</label><input id="password" name="pw" type="password" autocomplete="current-password" required>
<button id="Login" type="submit">Log In</button></form>"#,
            product = escape(product),
            user = escape(username),
        ),
    )
}

/// The consent page: what the app asks for, and Accept.
pub fn consent(product: &str, hidden: &[(String, String)], scope: &str) -> String {
    let fields = hidden_fields(hidden);
    let asks: String = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    shell(
        &format!("Permissions requested | {}", escape(product)),
        &format!(
            r#"<h1>Permissions requested</h1><p class="sub">Provider simulator &middot; not a real consent page</p>
<p>Tokenwatch would like to:</p><ul id="scopes">{asks}</ul>
<form method="post" action="authorize">{fields}<input type="hidden" name="consent" value="accept">
<button id="Accept" type="submit">Accept</button></form>"#
        ),
    )
}

/// An error page for requests that cannot be redirected back (unknown app, bad redirect).
pub fn error_page(product: &str, code: &str, description: &str) -> String {
    shell(
        &format!("Error | {}", escape(product)),
        &format!(
            r#"<h1>{}</h1><p class="error" role="alert">error={}<br>error_description={}</p>"#,
            escape(product),
            escape(code),
            escape(description)
        ),
    )
}

/// Salesforce's `RemoteAccessErrorPage.apexp`: the generic refusal, with the error from its
/// address.
pub fn remote_access_error(product: &str, code: &str, description: &str) -> String {
    shell(
        &format!("Error | {}", escape(product)),
        &format!(
            r#"<h1>{}</h1><p class="error" id="error" role="alert">We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<p>OAUTH_APPROVAL_ERROR_GENERIC : An unexpected error has occurred during authentication. Please try again.</p>
<p><small>error={}<br>error_description={}</small></p>"#,
            escape(product),
            escape(code),
            escape(description)
        ),
    )
}

/// A page standing in for Outlook on the web, for the in-mail banner's tests.
pub fn outlook_standin() -> String {
    shell(
        "Mail - Outlook (simulator)",
        "<h1>Inbox</h1><p class=\"sub\">Provider simulator &middot; a stand-in for Outlook on the web</p><p id=\"mail\">No new mail.</p>",
    )
}

/// An outage page, as a proxy in front of the provider sends.
pub fn outage() -> String {
    shell(
        "503 Service Unavailable",
        "<h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p>",
    )
}
