//! `application/x-www-form-urlencoded` bodies and query strings.

/// Every pair, in order, percent-decoded.
pub fn pairs(s: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The single value of `name`; `None` when absent or repeated.
pub fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut it = pairs.iter().filter(|(k, _)| k == name);
    match (it.next(), it.next()) {
        (Some((_, v)), None) => Some(v),
        _ => None,
    }
}
