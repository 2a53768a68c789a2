//! Protection of personal data at rest (SM4-GCM, GB/T 39786), blind indexes and
//! token hashes (HMAC-SM3 / SM3), CSRF tokens. Every key derives from one master key.

use std::path::Path;

use aes_gcm::AesGcm;
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sm3::{Digest, Sm3};

type Sm4Gcm = AesGcm<sm4::Sm4, U12>;
type HmacSm3 = Hmac<Sm3>;

/// Version tag of stored ciphertexts, so keys can be rotated later.
const CIPHER_TAG: &str = "s1:";

/// The keys of one deployment.
pub struct Keys {
    cipher: Sm4Gcm,
    index_key: [u8; 32],
    csrf_key: [u8; 32],
    audit_key: [u8; 32],
}

/// Why stored ciphertext could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("stored ciphertext is malformed")]
    Malformed,
    #[error("stored ciphertext does not open with this key")]
    WrongKey,
    #[error("the master key must be 64 hex characters")]
    BadMasterKey,
    #[error("cannot read or write the key file: {0}")]
    KeyFile(#[from] std::io::Error),
}

fn derive(master: &[u8; 32], label: &str) -> [u8; 32] {
    let mut mac = <HmacSm3 as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    mac.finalize().into_bytes().into()
}

impl Keys {
    /// Derives every key from the 32-byte master key.
    pub fn from_master(master: &[u8; 32]) -> Self {
        let enc = derive(master, "zikao/sm4-gcm/v1");
        Self {
            cipher: Sm4Gcm::new_from_slice(&enc[..16]).expect("SM4 key is 16 bytes"),
            index_key: derive(master, "zikao/blind-index/v1"),
            csrf_key: derive(master, "zikao/csrf/v1"),
            audit_key: derive(master, "zikao/audit-chain/v1"),
        }
    }

    /// Reads the master key from hex, or from (creating if absent) `data_dir/secret.key`.
    pub fn load(hex_key: Option<&str>, data_dir: &Path) -> Result<Self, CryptoError> {
        let text = match hex_key {
            Some(k) => k.trim().to_owned(),
            None => {
                let path = data_dir.join("secret.key");
                if path.exists() {
                    std::fs::read_to_string(&path)?.trim().to_owned()
                } else {
                    let mut key = [0u8; 32];
                    OsRng.fill_bytes(&mut key);
                    let text = hex::encode(key);
                    write_private(&path, &text)?;
                    text
                }
            }
        };
        let bytes = hex::decode(&text).map_err(|_| CryptoError::BadMasterKey)?;
        let master: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadMasterKey)?;
        Ok(Self::from_master(&master))
    }

    /// Encrypts one field; `column` is bound as associated data so a ciphertext
    /// cannot be moved to another column.
    pub fn encrypt(&self, column: &str, plaintext: &str) -> String {
        let nonce = Sm4Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .expect("SM4-GCM encryption of a bounded field cannot fail");
        let mut raw = nonce.to_vec();
        raw.extend_from_slice(&sealed);
        format!("{CIPHER_TAG}{}", STANDARD.encode(raw))
    }

    /// Opens a field sealed by [`Keys::encrypt`] for the same column.
    pub fn decrypt(&self, column: &str, stored: &str) -> Result<String, CryptoError> {
        let body = stored
            .strip_prefix(CIPHER_TAG)
            .ok_or(CryptoError::Malformed)?;
        let raw = STANDARD.decode(body).map_err(|_| CryptoError::Malformed)?;
        if raw.len() < 12 + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, sealed) = raw.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                nonce.into(),
                Payload {
                    msg: sealed,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| CryptoError::Malformed)
    }

    /// A deterministic keyed index of a value, for equality lookups without
    /// storing the value in the clear.
    pub fn blind_index(&self, column: &str, value: &str) -> String {
        let mut mac = <HmacSm3 as Mac>::new_from_slice(&self.index_key).expect("any key length");
        mac.update(column.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The CSRF token of a form shown within `binding` (a session or visitor).
    pub fn csrf_token(&self, binding: &str) -> String {
        let mut mac = <HmacSm3 as Mac>::new_from_slice(&self.csrf_key).expect("any key length");
        mac.update(binding.as_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..20])
    }
}

impl Keys {
    /// The keyed link of the audit chain over an entry's canonical bytes
    /// (HMAC-SM3): without the master key no one can forge or recompute it.
    pub fn audit_link(&self, canonical: &[u8]) -> String {
        let mut mac = <HmacSm3 as Mac>::new_from_slice(&self.audit_key).expect("any key length");
        mac.update(canonical);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// A fresh 256-bit random token, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SM3 hash of a bearer or cookie token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sm3::digest(token.as_bytes()))
}

/// Constant-time equality of two short strings.
pub fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        Keys::from_master(&[7u8; 32])
    }

    #[test]
    fn round_trip_and_column_binding() {
        let k = keys();
        let sealed = k.encrypt("id_number", "11010519491231002X");
        assert!(!sealed.contains("1101"));
        assert_ne!(
            sealed,
            k.encrypt("id_number", "11010519491231002X"),
            "nonce is random"
        );
        assert_eq!(
            k.decrypt("id_number", &sealed).unwrap(),
            "11010519491231002X"
        );
        assert!(matches!(
            k.decrypt("phone", &sealed),
            Err(CryptoError::WrongKey)
        ));
        let other = Keys::from_master(&[8u8; 32]);
        assert!(other.decrypt("id_number", &sealed).is_err());
    }

    #[test]
    fn blind_index_is_deterministic_and_keyed() {
        let k = keys();
        assert_eq!(k.blind_index("id", "x"), k.blind_index("id", "x"));
        assert_ne!(k.blind_index("id", "x"), k.blind_index("phone", "x"));
        assert_ne!(
            k.blind_index("id", "x"),
            Keys::from_master(&[8u8; 32]).blind_index("id", "x")
        );
    }

    #[test]
    fn key_file_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let a = Keys::load(None, dir.path()).unwrap();
        let b = Keys::load(None, dir.path()).unwrap();
        assert_eq!(a.blind_index("c", "v"), b.blind_index("c", "v"));
        assert!(Keys::load(Some("abcd"), dir.path()).is_err());
    }
}
