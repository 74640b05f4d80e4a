//! Tokens at rest in Redis: AES-256-GCM (aws-lc-rs) with a caller-supplied key, a random
//! 96-bit nonce per write, and the Redis key as associated data, so a value copied under
//! another key does not decrypt. Layout: `b"sk1"`, an 8-byte key id (a digest of the key,
//! so a replica with another key treats the value as absent instead of failing), the
//! nonce, then ciphertext and tag.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

const VERSION: &[u8; 3] = b"sk1";
const KEY_ID_LEN: usize = 8;

/// The 256-bit key tokens are encrypted with in Redis. Every replica needs the same key;
/// anyone with read access to Redis but not this key gets no usable token. Never shown by
/// `Debug`.
///
/// ```
/// use scimkit::store::redis::EncryptionKey;
///
/// let key = EncryptionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")?;
/// assert_eq!(format!("{key:?}"), "EncryptionKey([redacted])");
/// assert!(EncryptionKey::from_base64("too short").is_err());
/// # Ok::<(), scimkit::Error>(())
/// ```
pub struct EncryptionKey {
    key: LessSafeKey,
    id: [u8; KEY_ID_LEN],
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

impl EncryptionKey {
    /// A key from 32 secret bytes.
    pub fn new(bytes: SecretBox<[u8; 32]>) -> Result<EncryptionKey> {
        let raw = bytes.expose_secret();
        let key = UnboundKey::new(&AES_256_GCM, raw)
            .map_err(|_| Error::config("the AES-256-GCM key was refused"))?;
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(b"scimkit token key id");
        ctx.update(raw);
        let digest = ctx.finish();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest.as_ref()[..KEY_ID_LEN]);
        Ok(EncryptionKey {
            key: LessSafeKey::new(key),
            id,
        })
    }

    /// A key from its standard base64 form (44 characters; e.g. `openssl rand -base64 32`).
    /// The error never quotes the text.
    pub fn from_base64(text: &str) -> Result<EncryptionKey> {
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| Error::config("the token encryption key is not base64"))?,
        );
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| Error::config("the token encryption key must be 32 bytes"))?;
        EncryptionKey::new(SecretBox::new(Box::new(array)))
    }

    /// Encrypts `plaintext` for the Redis key `aad`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::config("no randomness for a nonce"))?;
        let mut out = Vec::with_capacity(
            VERSION.len() + KEY_ID_LEN + NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len(),
        );
        out.extend_from_slice(VERSION);
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| Error::config("token encryption failed"))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Decrypts a value written by [`seal`](Self::seal) under the same Redis key; `None`
    /// for another key, another layout, or tampering.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let rest = sealed.strip_prefix(VERSION.as_slice())?;
        let (id, rest) = rest.split_at_checked(KEY_ID_LEN)?;
        if id != self.id {
            return None;
        }
        let (nonce, body) = rest.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut body = Zeroizing::new(body.to_vec());
        let plain_len = self
            .key
            .open_in_place(nonce, Aad::from(aad), body.as_mut_slice())
            .ok()?
            .len();
        body.truncate(plain_len);
        Some(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::new(SecretBox::new(Box::new([byte; 32]))).unwrap()
    }

    #[test]
    fn round_trips_and_refuses_other_keys_places_and_tampering() {
        let k = key(7);
        let sealed = k.seal(b"scimkit:token:{a}", b"the token").unwrap();
        assert!(!sealed.windows(9).any(|w| w == b"the token"));
        assert_eq!(
            k.open(b"scimkit:token:{a}", &sealed).unwrap().as_slice(),
            b"the token"
        );
        // (what, sealed value, associated data, key)
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let cases: Vec<(&str, Vec<u8>, &[u8], EncryptionKey)> = vec![
            (
                "another Redis key",
                sealed.clone(),
                b"scimkit:token:{b}",
                key(7),
            ),
            (
                "another encryption key",
                sealed.clone(),
                b"scimkit:token:{a}",
                key(8),
            ),
            ("a flipped bit", flipped, b"scimkit:token:{a}", key(7)),
            (
                "cut short",
                sealed[..10].to_vec(),
                b"scimkit:token:{a}",
                key(7),
            ),
            ("empty", Vec::new(), b"scimkit:token:{a}", key(7)),
        ];
        for (what, value, aad, k) in cases {
            assert!(k.open(aad, &value).is_none(), "{what}");
        }
        // Two writes of the same token differ (fresh nonces).
        assert_ne!(sealed, k.seal(b"scimkit:token:{a}", b"the token").unwrap());
    }
}
