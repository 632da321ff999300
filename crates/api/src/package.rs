//! Opening the exam package: its skeleton with the key released at the
//! start, its questions with the key released at the opening.
//!
//! The package (AES-256-GCM, see docs/architecture.md) is downloaded at
//! login and kept in the app's IndexedDB; the key comes from
//! `POST /api/attempt/start`. Opening checks the tag (any changed byte
//! fails), then the SHA-256 of the plaintext announced by the server, then
//! the exam's own validation. It lives in this shared crate, beside
//! [`crate::PackageResponse`] and [`crate::start_code_key`], so that the
//! app that opens a package and the fuzz target that attacks the opener
//! run the same code (`fuzz/targets/exam_package.rs`).

use crate::PackageResponse;
use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use vigil_exam::Exam;

/// Why a package could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("unsupported package algorithm {0:?}")]
    Algorithm(String),
    #[error("malformed {0} (not base64 of the right length)")]
    Malformed(&'static str),
    #[error("the key does not open this package (or the package was altered)")]
    WrongKey,
    #[error("the opened package does not match its announced SHA-256")]
    HashMismatch,
    #[error("the exam in the package is invalid: {0}")]
    Invalid(String),
}

/// The key (base64) of one attempt's package that a printed start code
/// unlocks, for a start without network: the same derivations the server
/// seals with ([`crate::start_code_key`], then [`crate::attempt_key`]).
pub fn key_from_start_code(session_id: &str, start_code: &str, attempt_id: &str) -> String {
    let session = crate::start_code_key(session_id, start_code);
    STANDARD.encode(crate::attempt_key(&session, attempt_id))
}

/// The key (base64) of one attempt's questions that a printed start code
/// unlocks ([`crate::questions_key`]).
pub fn questions_key_from_start_code(
    session_id: &str,
    start_code: &str,
    attempt_id: &str,
) -> String {
    let session = crate::start_code_key(session_id, start_code);
    STANDARD.encode(crate::questions_key(&session, attempt_id))
}

/// Decrypts and validates the exam of a package's first part: its
/// skeleton, with the key the start releases (a package made before #31
/// holds the whole exam there).
pub fn open(package: &PackageResponse, key_b64: &str) -> Result<Exam, OpenError> {
    if package.algorithm != "AES-256-GCM" {
        return Err(OpenError::Algorithm(package.algorithm.clone()));
    }
    open_part(
        &package.nonce,
        &package.ciphertext,
        &package.sha256,
        key_b64,
    )
}

/// Decrypts and validates a package's questions (the whole exam), with the
/// key the opening releases ([`crate::QuestionsResponse::key`]).
pub fn open_questions(package: &PackageResponse, key_b64: &str) -> Result<Exam, OpenError> {
    if package.algorithm != "AES-256-GCM" {
        return Err(OpenError::Algorithm(package.algorithm.clone()));
    }
    let part = package
        .questions
        .as_ref()
        .ok_or(OpenError::Malformed("questions"))?;
    open_part(&part.nonce, &part.ciphertext, &part.sha256, key_b64)
}

fn open_part(
    nonce_b64: &str,
    ciphertext_b64: &str,
    sha256: &str,
    key_b64: &str,
) -> Result<Exam, OpenError> {
    let key = STANDARD
        .decode(key_b64)
        .map_err(|_| OpenError::Malformed("key"))?;
    let nonce = STANDARD
        .decode(nonce_b64)
        .map_err(|_| OpenError::Malformed("nonce"))?;
    let ciphertext = STANDARD
        .decode(ciphertext_b64)
        .map_err(|_| OpenError::Malformed("ciphertext"))?;
    if key.len() != 32 {
        return Err(OpenError::Malformed("key"));
    }
    if nonce.len() != 12 {
        return Err(OpenError::Malformed("nonce"));
    }
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
    let plain = cipher
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map_err(|_| OpenError::WrongKey)?;
    if hex::encode(Sha256::digest(&plain)) != sha256 {
        return Err(OpenError::HashMismatch);
    }
    let json = String::from_utf8(plain).map_err(|e| OpenError::Invalid(e.to_string()))?;
    Exam::from_json(&json).map_err(|e| OpenError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAM: &str = include_str!("../../../exams/demo-short.toml");

    fn seal(key: &[u8; 32], plain: &[u8]) -> PackageResponse {
        let nonce = [7u8; 12];
        let ct = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
            .encrypt(Nonce::from_slice(&nonce), plain)
            .unwrap();
        PackageResponse {
            exam_id: "demo-short".into(),
            algorithm: "AES-256-GCM".into(),
            nonce: STANDARD.encode(nonce),
            ciphertext: STANDARD.encode(ct),
            sha256: hex::encode(Sha256::digest(plain)),
            questions: None,
        }
    }

    #[test]
    fn opens_with_the_right_key_only() {
        let exam = Exam::from_toml(EXAM).unwrap().redact();
        let key = [3u8; 32];
        let package = seal(&key, exam.to_json().as_bytes());
        let opened = open(&package, &STANDARD.encode(key)).unwrap();
        assert_eq!(opened.id, "demo-short");
        assert_eq!(
            open(&package, &STANDARD.encode([4u8; 32])),
            Err(OpenError::WrongKey)
        );
        assert_eq!(
            open(&package, "not base64!"),
            Err(OpenError::Malformed("key"))
        );
    }

    #[test]
    fn a_start_code_opens_its_sessions_attempts_packages_only() {
        let exam = Exam::from_toml(EXAM).unwrap().redact();
        let session = crate::start_code_key("s-1", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2");
        let key = crate::attempt_key(&session, "a-1");
        let package = seal(&key, exam.to_json().as_bytes());
        // Typed loosely: case, spaces and dashes do not matter.
        let typed = key_from_start_code("s-1", "abcd efgh jkmn pqrs tuvw xyz2", "a-1");
        assert_eq!(open(&package, &typed).unwrap().id, "demo-short");
        let wrong = key_from_start_code("s-1", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ3", "a-1");
        assert_eq!(open(&package, &wrong), Err(OpenError::WrongKey));
        let other_session = key_from_start_code("s-2", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2", "a-1");
        assert_eq!(open(&package, &other_session), Err(OpenError::WrongKey));
        // Another attempt's key, or the session's own, opens nothing.
        let other_attempt = key_from_start_code("s-1", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2", "a-2");
        assert_eq!(open(&package, &other_attempt), Err(OpenError::WrongKey));
        assert_eq!(
            open(&package, &STANDARD.encode(session)),
            Err(OpenError::WrongKey)
        );
    }

    #[test]
    fn altered_packages_are_refused() {
        let exam = Exam::from_toml(EXAM).unwrap();
        let key = [3u8; 32];
        let mut package = seal(&key, exam.to_json().as_bytes());
        package.sha256 = "0".repeat(64);
        assert_eq!(
            open(&package, &STANDARD.encode(key)),
            Err(OpenError::HashMismatch)
        );
        let mut package = seal(&key, exam.to_json().as_bytes());
        let mut ct = STANDARD.decode(&package.ciphertext).unwrap();
        ct[10] ^= 1;
        package.ciphertext = STANDARD.encode(ct);
        assert_eq!(
            open(&package, &STANDARD.encode(key)),
            Err(OpenError::WrongKey)
        );
        let mut package = seal(&key, b"{}");
        package.algorithm = "ROT13".into();
        assert!(matches!(
            open(&package, &STANDARD.encode(key)),
            Err(OpenError::Algorithm(_))
        ));
        let package = seal(&key, b"{\"not\": \"an exam\"}");
        assert!(matches!(
            open(&package, &STANDARD.encode(key)),
            Err(OpenError::Invalid(_))
        ));
    }

    #[test]
    fn the_questions_open_with_their_own_key_only() {
        let exam = Exam::from_toml(EXAM).unwrap().redact();
        let session = crate::start_code_key("s-1", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2");
        let start_key = crate::attempt_key(&session, "a-1");
        let questions_key = crate::questions_key(&session, "a-1");
        let mut package = seal(&start_key, exam.skeleton().to_json().as_bytes());
        assert_eq!(
            open_questions(&package, &STANDARD.encode(questions_key)),
            Err(OpenError::Malformed("questions"))
        );
        let full = seal(&questions_key, exam.to_json().as_bytes());
        package.questions = Some(crate::SealedPart {
            nonce: full.nonce,
            ciphertext: full.ciphertext,
            sha256: full.sha256,
        });
        // The start's key opens the skeleton, not the questions.
        let skeleton = open(&package, &STANDARD.encode(start_key)).unwrap();
        assert_eq!(skeleton, exam.skeleton());
        assert_eq!(
            open_questions(&package, &STANDARD.encode(start_key)),
            Err(OpenError::WrongKey)
        );
        assert_eq!(
            open_questions(&package, &STANDARD.encode(questions_key)).unwrap(),
            exam
        );
        // The start code gives both keys of its attempt.
        let code = "abcd efgh jkmn pqrs tuvw xyz2";
        assert!(open(&package, &key_from_start_code("s-1", code, "a-1")).is_ok());
        assert!(
            open_questions(&package, &questions_key_from_start_code("s-1", code, "a-1")).is_ok()
        );
        assert!(
            open_questions(&package, &questions_key_from_start_code("s-1", code, "a-2")).is_err()
        );
    }
}
