//! Addresses people type or administrators configure: an https origin (http only on this
//! computer, for the simulator), ASCII only. Salesforce login hosts and Microsoft authority
//! hosts are both one.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// Why a host was refused. Shown next to the field the person typed it in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// Nothing was typed.
    #[error("enter a login host, e.g. mycompany.my.salesforce.com")]
    Empty,
    /// Not parseable as a host name or URL.
    #[error("this is not a valid host name or https address")]
    Invalid,
    /// `http://` to anything but this computer.
    #[error("only https addresses are allowed (http only for 127.0.0.1 / localhost)")]
    NotHttps,
    /// A path, query, fragment or credentials were included.
    #[error("enter only the host, without a path, query or user name")]
    NotOrigin,
    /// Characters outside ASCII: international names must be given in their `xn--` form.
    #[error("enter the host in plain ASCII (an international name in its xn-- form)")]
    NotAscii,
}

/// Parses untrusted text as a URL. Only ASCII is accepted: Salesforce and Microsoft hosts are
/// ASCII, and the build leaves out Unicode host-name mapping (see `idna_adapter` in Cargo.toml).
pub fn parse_ascii_url(s: &str) -> Option<Url> {
    if s.is_ascii() {
        Url::parse(s).ok()
    } else {
        None
    }
}

/// An https origin (`https://host[:port]`), or an http one on this computer. Stored as its
/// origin.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HttpsOrigin(Url);

impl HttpsOrigin {
    /// Accepts `mycompany.my.salesforce.com`, `https://mycompany.my.salesforce.com/` or, for
    /// this computer only, `http://127.0.0.1:8080`.
    pub fn parse(input: &str) -> Result<Self, HostError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(HostError::Empty);
        }
        let with_scheme = if input.contains("://") {
            input.to_owned()
        } else {
            format!("https://{input}")
        };
        if !input.is_ascii() {
            return Err(HostError::NotAscii);
        }
        let url = Url::parse(&with_scheme).map_err(|_| HostError::Invalid)?;
        if !url.username().is_empty()
            || url.password().is_some()
            || !(url.path() == "/" || url.path().is_empty())
            || url.query().is_some()
            || url.fragment().is_some()
            || with_scheme.ends_with('?')
            || with_scheme.ends_with('#')
        {
            return Err(HostError::NotOrigin);
        }
        match (url.scheme(), url.host()) {
            (_, None) => Err(HostError::Invalid),
            ("https", Some(Host::Domain(d))) if d.contains('.') && !d.ends_with('.') => {
                Ok(Self(url))
            }
            ("https", Some(Host::Domain(_))) => Err(HostError::Invalid),
            ("https" | "http", Some(h)) if is_loopback(&h) => Ok(Self(url)),
            ("https", Some(_)) => Err(HostError::Invalid),
            ("http", Some(_)) => Err(HostError::NotHttps),
            _ => Err(HostError::Invalid),
        }
    }

    /// `https://host[:port]`, without a trailing slash.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// The host name alone.
    pub fn host(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// Whether this is this computer (the simulator, a local test).
    pub fn is_loopback(&self) -> bool {
        self.0.host().is_some_and(|h| is_loopback(&h))
    }

    /// Whether `url` is on this origin.
    pub fn is_origin_of(&self, url: &Url) -> bool {
        url.origin() == self.0.origin()
    }

    /// `path` on this origin.
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.0.clone();
        url.set_path(path);
        url
    }
}

fn is_loopback(h: &Host<&str>) -> bool {
    match h {
        Host::Domain(d) => *d == "localhost",
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

impl fmt::Debug for HttpsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpsOrigin({})", self.origin())
    }
}

impl fmt::Display for HttpsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin())
    }
}

impl Serialize for HttpsOrigin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.origin())
    }
}

impl<'de> Deserialize<'de> for HttpsOrigin {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
