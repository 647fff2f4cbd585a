//! Values kept readable in storage but authenticated: the heads' schedules, the person's
//! settings, the notifications already shown. Where something other than Tokenwatch can write
//! the store (a content script in Firefox, which has no `storage.local.setAccessLevel`;
//! another program with the profile), nothing it writes may steer the worker, so each such
//! value carries a tag and one that fails it is ignored.
//!
//! The tag is the [`Sealer`]'s AEAD over an empty plaintext with the value as associated data
//! (AES-GCM with no plaintext is GMAC): the same non-extractable key as the records, a fresh
//! nonce each time, and the associated data names the format version and the storage key, so a
//! value copied to another key fails. The exact JSON text that was tagged is stored, so no
//! re-serialization has to match it.

use super::{SealError, Sealer};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Version of the signed format.
pub const SIGNED_VERSION: u32 = 1;

/// A value as stored: the JSON text that was tagged, and the tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Signed {
    /// [`SIGNED_VERSION`].
    signed: u32,
    /// The value's JSON text, exactly as tagged.
    body: String,
    /// Which key tagged it.
    kid: String,
    /// The nonce, base64url.
    nonce: String,
    /// The 16-byte tag, base64url.
    tag: String,
}

/// Why a stored value was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    /// It is not a signed value at all (planted, or written by an earlier build).
    #[error("the stored value carries no integrity tag")]
    NotSigned,
    /// Its tag does not match: changed, or moved from another key.
    #[error("the stored value failed its integrity check")]
    Rejected,
    /// The key that tagged it is gone (the browser's key store was cleared).
    #[error("the key that tagged the stored value is gone")]
    KeyMissing,
    /// The crypto backend failed: the value may verify later.
    #[error("the encryption backend failed: {0}")]
    Backend(String),
}

fn associated_data(place: &str, body: &str) -> Vec<u8> {
    format!("tokenwatch/signed/v{SIGNED_VERSION}/{place}\n{body}").into_bytes()
}

/// The stored text for `body` (a JSON text) kept under storage key `place`.
pub async fn sign<C: Sealer>(sealer: &C, place: &str, body: String) -> Result<String, SealError> {
    let sealed = sealer.seal(&associated_data(place, &body), b"").await?;
    let signed = Signed {
        signed: SIGNED_VERSION,
        body,
        kid: sealed.kid,
        nonce: URL_SAFE_NO_PAD.encode(&sealed.nonce),
        tag: URL_SAFE_NO_PAD.encode(&sealed.ciphertext),
    };
    Ok(serde_json::to_string(&signed).expect("a signed value serializes"))
}

/// The JSON text stored under `place`, when its tag verifies.
pub async fn verify<C: Sealer>(
    sealer: &C,
    place: &str,
    stored: &str,
) -> Result<String, Unverified> {
    let signed: Signed =
        serde_json::from_slice(stored.as_bytes()).map_err(|_| Unverified::NotSigned)?;
    if signed.signed != SIGNED_VERSION {
        return Err(Unverified::NotSigned);
    }
    let (Ok(nonce), Ok(tag)) = (
        URL_SAFE_NO_PAD.decode(&signed.nonce),
        URL_SAFE_NO_PAD.decode(&signed.tag),
    ) else {
        return Err(Unverified::Rejected);
    };
    match sealer
        .open(
            &signed.kid,
            &nonce,
            &associated_data(place, &signed.body),
            &tag,
        )
        .await
    {
        Ok(plain) if plain.is_empty() => Ok(signed.body),
        Ok(_) => Err(Unverified::Rejected),
        Err(SealError::Rejected) => Err(Unverified::Rejected),
        Err(SealError::KeyMissing) => Err(Unverified::KeyMissing),
        Err(SealError::Backend(e)) => Err(Unverified::Backend(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestSealer;
    use futures::executor::block_on;

    #[test]
    fn a_signed_value_verifies_only_unchanged_and_in_its_place() {
        block_on(async {
            let sealer = TestSealer::default();
            let stored = sign(&sealer, "conn:x", r#"{"gen":3}"#.into())
                .await
                .unwrap();
            assert_eq!(
                verify(&sealer, "conn:x", &stored).await.unwrap(),
                r#"{"gen":3}"#
            );
            // Moved to another key.
            assert_eq!(
                verify(&sealer, "conn:y", &stored).await,
                Err(Unverified::Rejected)
            );
            // Its body changed: a parked schedule, a later date, another generation.
            let forged = stored.replace(r#"{\"gen\":3}"#, r#"{\"gen\":4}"#);
            assert_ne!(forged, stored);
            assert_eq!(
                verify(&sealer, "conn:x", &forged).await,
                Err(Unverified::Rejected)
            );
            // A bare value, as a content script or an earlier build would write it.
            assert_eq!(
                verify(&sealer, "conn:x", r#"{"gen":3}"#).await,
                Err(Unverified::NotSigned)
            );
            // Garbage in every field.
            for field in ["kid", "nonce", "tag"] {
                let mut v: serde_json::Value = serde_json::from_str(&stored).unwrap();
                v[field] = "AAAA".into();
                let result = verify(&sealer, "conn:x", &v.to_string()).await;
                assert!(
                    matches!(result, Err(Unverified::Rejected | Unverified::KeyMissing)),
                    "{field}: {result:?}"
                );
            }
            sealer.lose_keys();
            assert_eq!(
                verify(&sealer, "conn:x", &stored).await,
                Err(Unverified::KeyMissing)
            );
        });
    }
}
