//! A sealer for native tests.

use crate::vault::{SealError, Sealed, Sealer};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// A [`Sealer`] for native tests: encrypt-then-MAC with SHA-256 (a counter-mode keystream and an
/// HMAC tag). It detects every change a real AEAD detects, which is what the tests need, but it
/// is NOT a vetted cipher and nothing outside tests uses it; the browser seals with WebCrypto
/// AES-256-GCM.
#[derive(Debug, Default)]
pub struct TestSealer {
    keys: RefCell<BTreeMap<String, [u8; 32]>>,
    current: RefCell<Option<String>>,
    counter: Cell<u64>,
    opened: Cell<u64>,
}

impl TestSealer {
    /// How many records were opened (decrypted or refused) so far.
    pub fn opened(&self) -> u64 {
        self.opened.get()
    }

    /// Forgets every key, as clearing the browser's key store would.
    pub fn lose_keys(&self) {
        self.keys.borrow_mut().clear();
        *self.current.borrow_mut() = None;
    }

    fn next(&self) -> u64 {
        self.counter.set(self.counter.get() + 1);
        self.counter.get()
    }

    fn keystream(key: &[u8; 32], nonce: &[u8], len: usize) -> Vec<u8> {
        (0u32..)
            .flat_map(|block| {
                Sha256::new()
                    .chain_update(key)
                    .chain_update(nonce)
                    .chain_update(block.to_be_bytes())
                    .finalize()
            })
            .take(len)
            .collect()
    }

    fn tag(key: &[u8; 32], nonce: &[u8], aad: &[u8], ct: &[u8]) -> [u8; 16] {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let inner = Sha256::new()
            .chain_update(ipad)
            .chain_update(nonce)
            .chain_update((aad.len() as u64).to_be_bytes())
            .chain_update(aad)
            .chain_update(ct)
            .finalize();
        let outer = Sha256::new()
            .chain_update(opad)
            .chain_update(inner)
            .finalize();
        outer[..16].try_into().expect("16 of 32 bytes")
    }
}

impl Sealer for TestSealer {
    async fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Sealed, SealError> {
        let existing = self.current.borrow().clone();
        let kid = match existing {
            Some(k) => k,
            None => {
                let kid = format!("k{}", self.next());
                let key: [u8; 32] = Sha256::digest(kid.as_bytes()).into();
                self.keys.borrow_mut().insert(kid.clone(), key);
                *self.current.borrow_mut() = Some(kid.clone());
                kid
            }
        };
        let key = self.keys.borrow()[&kid];
        let nonce = self.next().to_be_bytes()[..].repeat(2)[..12].to_vec();
        let mut ct: Vec<u8> = plaintext
            .iter()
            .zip(Self::keystream(&key, &nonce, plaintext.len()))
            .map(|(p, k)| p ^ k)
            .collect();
        ct.extend_from_slice(&Self::tag(&key, &nonce, aad, &ct));
        Ok(Sealed {
            kid,
            nonce,
            ciphertext: ct,
        })
    }

    async fn open(
        &self,
        kid: &str,
        nonce: &[u8],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        self.opened.set(self.opened.get() + 1);
        let key = *self.keys.borrow().get(kid).ok_or(SealError::KeyMissing)?;
        if ciphertext.len() < 16 {
            return Err(SealError::Rejected);
        }
        let (ct, tag) = ciphertext.split_at(ciphertext.len() - 16);
        if Self::tag(&key, nonce, aad, ct)[..] != *tag {
            return Err(SealError::Rejected);
        }
        Ok(ct
            .iter()
            .zip(Self::keystream(&key, nonce, ct.len()))
            .map(|(c, k)| c ^ k)
            .collect())
    }
}
