//! Exam packages: the session's start code, the package key derived from it,
//! and the AES-256-GCM sealing of the exam.
//!
//! Shaped so that a proctor can unlock a package without the network: the
//! key is not random but derived from a printed *start code* (6 groups of 4
//! characters of the 31-symbol access-code alphabet, 118 bits; 5 groups
//! would give 99 bits, under the 100 wanted), as
//! `key = SHA-256("vigil-start-code-v1" ‖ session_id ‖ normalized code)`.
//! The server releases the same key at `POST /api/attempt/start`; a
//! candidate whose network is down at the start types the code read aloud by
//! the proctor, and the app derives the key itself. A wrong code fails the
//! GCM tag, so the app needs nothing else to check it.
//!
//! The package is sealed once per session, at creation, with a random
//! 12-byte nonce, and stored (a re-imported exam never reuses a nonce under
//! the same key). Each attempt downloads it sealed again under its own key,
//! `vigil_api::attempt_key(session key, attempt id)`, which is what the
//! start releases: a key passed on opens no other candidate's package,
//! while the start code still opens them all (the app derives its
//! attempt's key from it).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::auth::CODE_ALPHABET;

/// Domain separation of the start-code key derivation.
pub use vigil_api::START_CODE_CONTEXT;
/// Groups of four characters in a start code: 24 characters over 31
/// symbols, 31^24 ≈ 2^118.9 (5 groups would be 2^99.1, short of 100 bits).
pub const START_CODE_GROUPS: usize = 6;
/// The one algorithm of packages, as named in `PackageResponse::algorithm`.
pub const ALGORITHM: &str = "AES-256-GCM";

/// A fresh start code, `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
pub fn new_start_code() -> String {
    let mut rng = OsRng;
    let groups: Vec<String> = (0..START_CODE_GROUPS)
        .map(|_| {
            (0..4)
                .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
                .collect()
        })
        .collect();
    groups.join("-")
}

/// The package key of `session_id` unlocked by `start_code` (typed loosely:
/// case, spaces and dashes do not matter); see [`vigil_api::start_code_key`].
pub fn derive_key(session_id: &str, start_code: &str) -> [u8; 32] {
    vigil_api::start_code_key(session_id, start_code)
}

/// A sealed package, as stored with its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: [u8; 12],
    /// Ciphertext with the 16-byte GCM tag appended.
    pub ciphertext: Vec<u8>,
    /// SHA-256 (hex) of the plaintext.
    pub sha256: String,
}

/// Encrypts `plaintext` under `key` with a fresh random nonce.
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> Sealed {
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let ciphertext = cipher
        .encrypt(Nonce::from_slice(&nonce), plaintext)
        .expect("AES-GCM encryption of a bounded plaintext cannot fail");
    Sealed {
        nonce,
        ciphertext,
        sha256: hex::encode(Sha256::digest(plaintext)),
    }
}

/// Decrypts a package; `None` when the key is wrong or the bytes changed.
pub fn open(key: &[u8; 32], nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    if nonce.len() != 12 {
        return None;
    }
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()
}

/// Standard base64, as every binary field of the API.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_codes_have_the_shape_and_over_100_bits() {
        let code = new_start_code();
        assert_eq!(code.len(), 29);
        assert_eq!(code.matches('-').count(), 5);
        let chars = vigil_api::normalize_code(&code);
        assert!(chars.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        let bits = chars.len() as f64 * (CODE_ALPHABET.len() as f64).log2();
        assert!(bits >= 100.0, "{bits}");
        assert_ne!(new_start_code(), code);
    }

    #[test]
    fn the_key_depends_on_session_and_code_not_on_typing() {
        let k = derive_key("s-1", "ABCD-EFGH-JKMN-PQRS-TUVW");
        assert_eq!(k, derive_key("s-1", "abcd efgh jkmn pqrs tuvw"));
        assert_ne!(k, derive_key("s-2", "ABCD-EFGH-JKMN-PQRS-TUVW"));
        assert_ne!(k, derive_key("s-1", "ABCD-EFGH-JKMN-PQRS-TUVX"));
    }

    #[test]
    fn sealed_packages_open_only_with_their_key() {
        let key = derive_key("s", "AAAA-AAAA-AAAA-AAAA-AAAA");
        let sealed = seal(&key, b"{\"exam\":1}");
        assert_eq!(
            open(&key, &sealed.nonce, &sealed.ciphertext).unwrap(),
            b"{\"exam\":1}"
        );
        let other = derive_key("s", "AAAA-AAAA-AAAA-AAAA-AAAB");
        assert!(open(&other, &sealed.nonce, &sealed.ciphertext).is_none());
        let mut changed = sealed.ciphertext.clone();
        changed[0] ^= 1;
        assert!(open(&key, &sealed.nonce, &changed).is_none());
    }
}
