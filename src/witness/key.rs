//! A witness's Ed25519 key: made fresh as PKCS#8 v1 PEM (the form of the demo's other
//! Ed25519 keys, which every PKCS#8 reader takes), and read back from such a file.
//!
//! This module never prints or logs key material, and never reuses a key for anything but
//! cosignatures (c2sp.org/tlog-cosignature: one key per cosigner).

use ring::signature::Ed25519KeyPair;
use std::path::{Path, PathBuf};

/// The DER of a PKCS#8 v1 Ed25519 private key up to its 32-byte seed (RFC 8410).
const PKCS8_V1_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("{}: {why}", path.display())]
    Unreadable { path: PathBuf, why: String },
    #[error("{}: not an Ed25519 PKCS#8 private key", path.display())]
    NotEd25519 { path: PathBuf },
    #[error("no randomness for a new key")]
    Random,
}

impl KeyError {
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Unreadable { .. } => "key.unreadable",
            KeyError::NotEd25519 { .. } => "key.unknown_type",
            KeyError::Random => "sig.signing_failed",
        }
    }
}

/// A new Ed25519 key as PKCS#8 v1 PEM, and the key itself.
pub fn generate() -> Result<(String, Ed25519KeyPair), KeyError> {
    let v2 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).map_err(|_| KeyError::Random)?;
    // ring writes v2 (with the public key); the seed sits at bytes 16..48 of it.
    let seed = v2.as_ref().get(16..48).ok_or(KeyError::Random)?;
    let mut v1 = PKCS8_V1_PREFIX.to_vec();
    v1.extend_from_slice(seed);
    let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&v1).map_err(|_| KeyError::Random)?;
    Ok((crate::crypto::pem_block("PRIVATE KEY", &v1), key))
}

/// Reads an Ed25519 PKCS#8 private key (PEM or DER) from `path`.
pub fn read(path: &Path) -> Result<Ed25519KeyPair, KeyError> {
    let bytes = crate::files::configured(path).map_err(|why| KeyError::Unreadable { path: path.into(), why })?;
    from_pkcs8(&bytes).map_err(|e| match e {
        KeyError::Unreadable { why, .. } => KeyError::Unreadable { path: path.into(), why },
        _ => KeyError::NotEd25519 { path: path.into() },
    })
}

/// Reads an Ed25519 PKCS#8 private key from PEM or DER bytes.
pub fn from_pkcs8(bytes: &[u8]) -> Result<Ed25519KeyPair, KeyError> {
    use rustls_pki_types::pem::PemObject;
    let unreadable = |why: String| KeyError::Unreadable { path: PathBuf::new(), why };
    let der = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(bytes)
            .map_err(|e| unreadable(format!("not a PKCS#8 PEM private key (BEGIN PRIVATE KEY): {e}")))?
            .secret_pkcs8_der()
            .to_vec()
    } else {
        bytes.to_vec()
    };
    Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|_| KeyError::NotEd25519 { path: PathBuf::new() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn a_generated_key_is_v1_pkcs8_and_reads_back_as_itself() {
        let (pem, key) = generate().expect("key");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"), "{pem}");
        let back = from_pkcs8(pem.as_bytes()).expect("reads");
        assert_eq!(back.public_key().as_ref(), key.public_key().as_ref());
        let (other, _) = generate().expect("key");
        assert_ne!(pem, other);
    }

    #[test]
    fn what_is_not_an_ed25519_key_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("tmp");
        let p256 = dir.path().join("p256.key");
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/certs/demo/server.key");
        std::fs::copy(demo, &p256).expect("copy");
        let err = read(&p256).expect_err("p256");
        assert_eq!((err.code(), err.to_string().contains("p256.key")), ("key.unknown_type", true), "{err}");
        let missing = read(&dir.path().join("none.key")).expect_err("missing");
        assert_eq!((missing.code(), missing.to_string().contains("none.key")), ("key.unreadable", true));
        let junk = dir.path().join("junk.key");
        std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").expect("write");
        assert_eq!(read(&junk).expect_err("junk").code(), "key.unreadable");
    }
}
