//! Identifiers, each its own type so an org id can never be passed where a user id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Not a 15- or 18-character Salesforce id with the expected key prefix.
    #[error("{0} is not a Salesforce {1} id")]
    NotSalesforceId(String, &'static str),
    /// Not the id of a connection.
    #[error("not a connection id")]
    NotConnectionId,
    /// Not a GUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal).
    #[error("the Microsoft {0} id is not a GUID")]
    NotGuid(&'static str),
}

/// Which identity provider a connection belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// A Salesforce org.
    Salesforce,
    /// A Microsoft 365 (Entra ID) account.
    Microsoft,
}

impl Provider {
    /// The name people know.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Salesforce => "Salesforce",
            Provider::Microsoft => "Microsoft",
        }
    }
}

/// Stable key of one connection in storage and in messages: `sf:<org>:<user>` for Salesforce,
/// `ms:<tenant>:<object>` for Microsoft.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

impl TryFrom<String> for ConnectionId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s).ok_or(IdError::NotConnectionId)
    }
}

impl From<ConnectionId> for String {
    fn from(v: ConnectionId) -> String {
        v.0
    }
}

impl ConnectionId {
    /// The id of the Salesforce connection for this user in this org: connecting the same user
    /// again replaces the connection instead of adding a second one.
    pub fn salesforce(org: &OrgId, user: &UserId) -> Self {
        Self(format!("sf:{}:{}", org.0, user.0))
    }

    /// The id of the Microsoft connection for this account (`oid`) in this tenant (`tid`).
    pub fn microsoft(tenant: &TenantId, object: &ObjectId) -> Self {
        Self(format!("ms:{}:{}", tenant.0, object.0))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whose connection this is, from the id's prefix (which [`ConnectionId::parse`] checked).
    pub fn provider(&self) -> Provider {
        if self.0.starts_with("ms:") {
            Provider::Microsoft
        } else {
            Provider::Salesforce
        }
    }

    /// The org (Salesforce) or tenant (Microsoft) inside the connection id.
    pub fn org(&self) -> &str {
        self.0.split(':').nth(1).unwrap_or_default()
    }

    /// Accepts an id received in a message; only the shapes this crate produces are valid.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let ok = match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("sf"), Some(org), Some(user), None) => {
                OrgId::parse(org).is_ok() && UserId::parse(user).is_ok()
            }
            (Some("ms"), Some(tenant), Some(object), None) => {
                TenantId::parse(tenant).is_ok_and(|t| t.0 == tenant)
                    && ObjectId::parse(object).is_ok_and(|o| o.0 == object)
            }
            _ => false,
        };
        ok.then(|| Self(s.to_owned()))
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Salesforce ids are 15 (case-sensitive) or 18 (case-insensitive) alphanumeric characters whose
/// first three give the object type ("Salesforce ID" in the Salesforce Help, "Object Id Prefixes").
fn check_sf_id(s: &str, prefix: &str, what: &'static str) -> Result<(), IdError> {
    let ok = (s.len() == 15 || s.len() == 18)
        && s.bytes().all(|b| b.is_ascii_alphanumeric())
        && s.starts_with(prefix);
    if ok {
        Ok(())
    } else {
        Err(IdError::NotSalesforceId(s.chars().take(40).collect(), what))
    }
}

/// A Salesforce organization id (`00D…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OrgId(String);

impl OrgId {
    /// Checks the shape of an org id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_sf_id(s, "00D", "organization").map(|()| Self(s.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Salesforce user id (`005…`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    /// Checks the shape of a user id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_sf_id(s, "005", "user").map(|()| Self(s.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a GUID and returns it in lower case, the form Microsoft's tokens use.
fn guid(s: &str, what: &'static str) -> Result<String, IdError> {
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(IdError::NotGuid(what))
    }
}

/// A Microsoft Entra tenant (directory) id, the `tid` claim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    /// Checks a tenant id; upper-case hex is accepted and stored in lower case.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        guid(s, "tenant").map(Self)
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Microsoft account's object id in its tenant, the `oid` claim: stable across renames,
/// unlike the username.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ObjectId(String);

impl ObjectId {
    /// Checks an object id; upper-case hex is accepted and stored in lower case.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        guid(s, "object").map(Self)
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
string_conversions!(OrgId);
string_conversions!(UserId);
string_conversions!(TenantId);
string_conversions!(ObjectId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salesforce_ids_need_length_prefix_and_alphanumerics() {
        assert!(OrgId::parse("00D5g000004ABCDEAZ").is_ok());
        assert!(OrgId::parse("00D5g000004ABCD").is_ok());
        assert!(
            OrgId::parse("0055g000004ABCDEAZ").is_err(),
            "user prefix is not an org"
        );
        assert!(OrgId::parse("00D5g000004ABC").is_err(), "14 characters");
        assert!(OrgId::parse("00D5g000004ABC/E").is_err());
        assert!(UserId::parse("0055g000004ABCDEAZ").is_ok());
        assert!(UserId::parse("").is_err());
    }

    #[test]
    fn connection_ids_round_trip_and_reject_foreign_shapes() {
        let org = OrgId::parse("00D5g000004ABCDEAZ").unwrap();
        let user = UserId::parse("0055g000004ABCDEAZ").unwrap();
        let id = ConnectionId::salesforce(&org, &user);
        assert_eq!(id.as_str(), "sf:00D5g000004ABCDEAZ:0055g000004ABCDEAZ");
        assert_eq!(ConnectionId::parse(id.as_str()), Some(id));
        assert_eq!(ConnectionId::parse("sf:00D5g000004ABCDEAZ"), None);
        assert_eq!(ConnectionId::parse("sf:x:y"), None);
        let tenant = TenantId::parse("72F988BF-86F1-41AF-91AB-2D7CD011DB47").unwrap();
        let object = ObjectId::parse("00000000-0000-0000-66f3-3332eca7ea81").unwrap();
        let ms = ConnectionId::microsoft(&tenant, &object);
        assert_eq!(
            ms.as_str(),
            "ms:72f988bf-86f1-41af-91ab-2d7cd011db47:00000000-0000-0000-66f3-3332eca7ea81"
        );
        assert_eq!(ConnectionId::parse(ms.as_str()), Some(ms.clone()));
        assert_eq!(ms.org(), "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(
            ConnectionId::parse(&ms.as_str().to_ascii_uppercase().replace("MS:", "ms:")),
            None,
            "only the lower-case form this crate writes"
        );
        assert_eq!(ConnectionId::parse("ms:common:x"), None);
        assert!(TenantId::parse("72f988bf-86f1-41af-91ab-2d7cd011db4").is_err());
        assert!(TenantId::parse("72f988bf86f141af91ab2d7cd011db47").is_err());
        assert!(ObjectId::parse("g2f988bf-86f1-41af-91ab-2d7cd011db47").is_err());
        assert_eq!(
            ConnectionId::parse("sf:00D5g000004ABCDEAZ:0055g000004ABCDEAZ:x"),
            None
        );
    }
}
