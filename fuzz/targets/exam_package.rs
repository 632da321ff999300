//! Opening an exam package, as the candidate's app does after the start.
//!
//! Two kinds of input, by the first byte: a package as the server's JSON
//! (`PackageResponse`) opened with a fixed key, which must fail cleanly
//! unless it is authentic; or a plaintext sealed here with that key, so
//! that the fuzzer reaches past the AES-GCM tag into the exam's own
//! validation (an exam the opener accepts must survive a round trip
//! through its JSON).
#![no_main]

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use vigil_api::package::open;
use vigil_api::PackageResponse;

const KEY: [u8; 32] = [7; 32];

fn sealed(plain: &[u8]) -> PackageResponse {
    let nonce = [9u8; 12];
    let ciphertext = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&KEY))
        .encrypt(Nonce::from_slice(&nonce), plain)
        .expect("AES-GCM seals any plaintext");
    PackageResponse {
        exam_id: "fuzz".into(),
        algorithm: "AES-256-GCM".into(),
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(ciphertext),
        sha256: hex::encode(Sha256::digest(plain)),
        questions: None,
    }
}

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("exam_package", || {
        let mut seeds = Vec::new();
        for (i, toml) in vigil_fuzz::EXAMS.iter().enumerate() {
            let exam = vigil_exam::Exam::from_toml(toml).expect("a demo exam");
            let names = [["short", "short-redacted"], ["tage", "tage-redacted"]][i];
            for (name, exam) in names.into_iter().zip([exam.clone(), exam.redact()]) {
                seeds.push((name, [&[1u8][..], exam.to_json().as_bytes()].concat()));
            }
            if i == 0 {
                let package = serde_json::to_vec(&sealed(exam.to_json().as_bytes()))
                    .expect("a package serializes");
                seeds.push(("package", [&[0u8][..], &package].concat()));
            }
        }
        seeds
    });
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = STANDARD.encode(KEY);
    if mode & 1 == 0 {
        if let Ok(package) = serde_json::from_slice::<PackageResponse>(rest) {
            let _ = open(&package, &key);
            let _ = vigil_api::package::open_questions(&package, &key);
        }
        return;
    }
    if let Ok(exam) = open(&sealed(rest), &key) {
        let again = vigil_exam::Exam::from_json(&exam.to_json())
            .unwrap_or_else(|e| panic!("an opened exam does not read back: {e}"));
        assert_eq!(again.id, exam.id);
    }
});
