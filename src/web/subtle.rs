//! WebCrypto AES-256-GCM.

use super::global;
use crate::js::js_error;
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesGcmParams, AesKeyGenParams, Crypto, CryptoKey, SubtleCrypto};

/// Why a WebCrypto call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CryptoError {
    /// Authentication failed on decrypt (`OperationError`): wrong key, nonce, data or tag.
    Rejected,
    /// Anything else, with the browser's message.
    Failed(String),
}

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    global::<Crypto>("crypto")
        .map(|c| c.subtle())
        .map_err(CryptoError::Failed)
}

fn failed(value: JsValue) -> CryptoError {
    CryptoError::Failed(js_error(value).to_string())
}

/// A new AES-256-GCM key that can never be exported.
pub async fn generate_key() -> Result<CryptoKey, CryptoError> {
    let params = AesKeyGenParams::new("AES-GCM", 256);
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let promise = subtle()?
        .generate_key_with_object(&params, false, &usages)
        .map_err(failed)?;
    Ok(JsFuture::from(promise)
        .await
        .map_err(failed)?
        .unchecked_into())
}

fn params(nonce: &[u8], aad: &[u8]) -> AesGcmParams {
    let params = AesGcmParams::new("AES-GCM", &Uint8Array::from(nonce));
    params.set_additional_data(&Uint8Array::from(aad));
    params.set_tag_length(128);
    params
}

/// AES-GCM encryption; the result carries the 16-byte tag.
pub async fn encrypt(
    key: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let promise = subtle()?
        .encrypt_with_object_and_u8_array(&params(nonce, aad), key, plaintext)
        .map_err(failed)?;
    Ok(Uint8Array::new(&JsFuture::from(promise).await.map_err(failed)?).to_vec())
}

/// AES-GCM decryption and authentication.
pub async fn decrypt(
    key: &CryptoKey,
    nonce: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let promise = subtle()?
        .decrypt_with_object_and_u8_array(&params(nonce, aad), key, ciphertext)
        .map_err(failed)?;
    match JsFuture::from(promise).await {
        Ok(buffer) => Ok(Uint8Array::new(&buffer).to_vec()),
        Err(e) if js_error(e.clone()).name == "OperationError" => Err(CryptoError::Rejected),
        Err(e) => Err(failed(e)),
    }
}
