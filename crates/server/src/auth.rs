//! Candidate credentials: access codes and session tokens.
//!
//! Access codes are short enough to type from a printed sheet
//! (`XXXX-XXXX` over an alphabet without look-alike characters, ~40 bits)
//! and are stored only as argon2 hashes. A successful login mints a random
//! 256-bit bearer token scoped to one attempt; the database keeps only its
//! SHA-256, so a copy of the database cannot be replayed as a login.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Characters of an access code: no 0/O, 1/I/L, so a code read aloud or
/// copied from paper is typed right.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code, shown as two groups of four.
pub const CODE_LEN: usize = 8;
/// Longest code input considered at all (anything longer is refused before hashing).
pub const MAX_CODE_INPUT: usize = 64;

/// How expensive code hashing is. Production uses argon2id's defaults
/// (19 MiB, 2 passes); tests use [`CodeHashing::fast_for_tests`].
///
/// The request paths verify with [`CodeHashing::check`] and
/// [`CodeHashing::spend`]: each hash runs on tokio's blocking pool behind a
/// semaphore of [`hash_permits`] permits, so a flood of logins waits its
/// turn in a queue instead of occupying the async workers that serve
/// everything else (a hash is ~16 ms of one core). A *suspect* login (its
/// address has failed tries in flight or recent, [`crate::rate::LoginTry`])
/// first waits for the suspects' single permit: floods, from however many
/// addresses, hash one at a time, and a clean login never queues behind
/// more than one of them.
#[derive(Debug, Clone)]
pub struct CodeHashing {
    params: Params,
    permits: Arc<Semaphore>,
    suspects: Arc<Semaphore>,
}

impl Default for CodeHashing {
    fn default() -> Self {
        Self::with_params(Params::default())
    }
}

/// How many hashes run at once: the machine's cores (at most 8), so logins
/// use the CPU fully but never more than it has.
pub fn hash_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

impl CodeHashing {
    fn with_params(params: Params) -> Self {
        Self {
            params,
            permits: Arc::new(Semaphore::new(hash_permits())),
            suspects: Arc::new(Semaphore::new(1)),
        }
    }

    /// Minimal cost: only for tests, where hundreds of codes are hashed.
    pub fn fast_for_tests() -> Self {
        Self::with_params(Params::new(8, 1, 1, None).expect("valid argon2 params"))
    }

    /// [`CodeHashing::verify`] off the async workers, one of
    /// [`hash_permits`] at a time.
    pub async fn check(&self, code: &str, stored: &str, suspect: bool) -> bool {
        let (this, code, stored) = (self.clone(), code.to_owned(), stored.to_owned());
        self.blocking(suspect, move || this.verify(&code, &stored))
            .await
            .unwrap_or(false)
    }

    /// [`CodeHashing::verify_dummy`] off the async workers, one of
    /// [`hash_permits`] at a time.
    pub async fn spend(&self, code: &str, suspect: bool) {
        let (this, code) = (self.clone(), code.to_owned());
        let _ = self
            .blocking(suspect, move || this.verify_dummy(&code))
            .await;
    }

    async fn blocking<T: Send + 'static>(
        &self,
        suspect: bool,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        // The semaphores are never closed: `acquire` only fails if they were.
        let _suspect = match suspect {
            true => Some(self.suspects.acquire().await.ok()?),
            false => None,
        };
        let _permit = self.permits.acquire().await.ok()?;
        tokio::task::spawn_blocking(work).await.ok()
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string stored for `code` (normalised first).
    pub fn hash(&self, code: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2()
            .hash_password(normalize_code(code).as_bytes(), &salt)
            .expect("argon2 hashing with valid params cannot fail")
            .to_string()
    }

    /// Whether `code` matches the stored hash. The parameters stored in the
    /// hash are used, so changing the cost never locks out existing codes.
    pub fn verify(&self, code: &str, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(normalize_code(code).as_bytes(), &parsed)
            .is_ok()
    }

    /// Spend the same time as a real verification, for unknown candidates,
    /// so response times do not tell which candidate ids exist.
    pub fn verify_dummy(&self, code: &str) {
        let _ = self.argon2().hash_password(
            normalize_code(code).as_bytes(),
            &SaltString::generate(&mut OsRng),
        );
    }
}

/// A fresh random access code, formatted `XXXX-XXXX`.
pub fn new_access_code() -> String {
    let mut rng = OsRng;
    let chars: String = (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

pub use vigil_api::normalize_code;

/// A new bearer token (64 hex characters, 256 random bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A random nonce (32 hex characters, 128 bits): the chain genesis of an
/// attempt (see `vigil_exam::attempt_genesis`).
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A random identifier with a readable prefix, e.g. `att-3f9c…`.
pub fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}-{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_and_shape() {
        for _ in 0..100 {
            let code = new_access_code();
            assert_eq!(code.len(), CODE_LEN + 1);
            assert_eq!(&code[4..5], "-");
            assert!(normalize_code(&code)
                .bytes()
                .all(|b| CODE_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn codes_verify_loosely_typed_but_not_wrong() {
        let h = CodeHashing::fast_for_tests();
        let stored = h.hash("ABCD-EFGH");
        assert!(h.verify("ABCD-EFGH", &stored));
        assert!(h.verify(" abcd efgh ", &stored));
        assert!(h.verify("abcdefgh", &stored));
        assert!(!h.verify("ABCD-EFGJ", &stored));
        assert!(!h.verify("", &stored));
        assert!(!h.verify("ABCD-EFGH", "not a phc string"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
