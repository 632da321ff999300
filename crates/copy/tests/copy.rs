//! The copy format from outside: what one key seals, only that key opens,
//! whole; every cut, edit or foreign key is refused with its own error.

// Tests and benchmarks may unwrap: a panic is their failure report.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use rand_core::OsRng;
use sha2::{Digest, Sha256};
use vigil_copy::{
    open, read_header, seal, AttemptCopy, CopyError, CopyHeader, Medium, PublicKey, SessionSecret,
    CHUNK_BYTES, MAGIC,
};
use vigil_exam::Attempt;

fn log(n: usize) -> Vec<vigil_exam::Event> {
    let mut a = Attempt::new();
    a.record_checks(vec![], 1).unwrap();
    a.consent("v", &"0".repeat(64), 2).unwrap();
    for i in 0..n {
        a.record_focus(i % 2 == 0, 10 + i as i64).unwrap();
    }
    a.events().to_vec()
}

fn medium(len: usize, seed: u8) -> Medium {
    let bytes: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect();
    Medium {
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
    }
}

fn header() -> CopyHeader {
    CopyHeader::new("S1", "att-1", "C1", 1_700_000_000_000)
}

fn sample() -> AttemptCopy {
    AttemptCopy {
        events: log(3),
        // One medium spanning several chunks, one tiny, one empty.
        media: vec![medium(3 * CHUNK_BYTES + 17, 7), medium(5, 3), medium(0, 1)],
    }
}

#[test]
fn what_a_key_seals_its_secret_opens_whole() {
    let secret = SessionSecret::generate(&mut OsRng);
    let file = seal(&secret.public(), &header(), &sample(), &mut OsRng).unwrap();
    assert!(file.starts_with(MAGIC));
    assert_eq!(read_header(&file).unwrap(), header());
    let (h, copy) = open(&secret, &file).unwrap();
    assert_eq!(h, header());
    assert_eq!(copy, sample());
}

#[test]
fn keys_round_trip_through_their_stored_forms() {
    let secret = SessionSecret::generate(&mut OsRng);
    let again = SessionSecret::from_bytes(&secret.to_bytes()).unwrap();
    assert_eq!(again.public(), secret.public());
    let hex = secret.public().to_hex();
    assert_eq!(hex.len(), 64);
    assert_eq!(PublicKey::from_hex(&hex).unwrap(), secret.public());
    assert!(matches!(PublicKey::from_hex("zz"), Err(CopyError::Key(_))));
    assert!(matches!(
        PublicKey::from_hex("abcd"),
        Err(CopyError::Key(_))
    ));
}

#[test]
fn another_sessions_key_does_not_open_it() {
    let ours = SessionSecret::generate(&mut OsRng);
    let theirs = SessionSecret::generate(&mut OsRng);
    let file = seal(&ours.public(), &header(), &sample(), &mut OsRng).unwrap();
    assert_eq!(open(&theirs, &file).unwrap_err(), CopyError::WrongKey);
}

#[test]
fn the_clear_header_cannot_be_edited() {
    let secret = SessionSecret::generate(&mut OsRng);
    let file = seal(&secret.public(), &header(), &sample(), &mut OsRng).unwrap();
    // Another attempt's id, same length: the header still parses.
    let text = String::from_utf8_lossy(&file[..200]).into_owned();
    let at = text.find("att-1").unwrap();
    let mut edited = file.clone();
    edited[at + 4] = b'2';
    assert_eq!(read_header(&edited).unwrap().attempt, "att-2");
    assert_eq!(open(&secret, &edited).unwrap_err(), CopyError::WrongKey);
}

#[test]
fn cut_edited_and_padded_files_are_refused_by_name() {
    let secret = SessionSecret::generate(&mut OsRng);
    let file = seal(&secret.public(), &header(), &sample(), &mut OsRng).unwrap();
    // Cut inside the last chunk.
    let cut = &file[..file.len() - 100];
    assert!(matches!(
        open(&secret, cut),
        Err(CopyError::Truncated { .. })
    ));
    // A flipped byte in the middle.
    let mut flipped = file.clone();
    let mid = file.len() / 2;
    flipped[mid] ^= 1;
    assert!(matches!(
        open(&secret, &flipped),
        Err(CopyError::Damaged { .. })
    ));
    // Bytes after the end.
    let mut padded = file.clone();
    padded.extend_from_slice(b"xyz");
    assert_eq!(
        open(&secret, &padded).unwrap_err(),
        CopyError::Trailing { extra: 3 }
    );
    // Not a copy at all.
    assert_eq!(
        open(&secret, b"PK\x03\x04 a zip").unwrap_err(),
        CopyError::NotACopy
    );
    assert_eq!(read_header(b"").unwrap_err(), CopyError::NotACopy);
    let mut bad_header = MAGIC.to_vec();
    bad_header.extend_from_slice(&4u32.to_be_bytes());
    bad_header.extend_from_slice(b"{no}");
    assert!(matches!(
        read_header(&bad_header),
        Err(CopyError::Header(_))
    ));
    let mut huge_header = MAGIC.to_vec();
    huge_header.extend_from_slice(&u32::MAX.to_be_bytes());
    assert!(matches!(
        read_header(&huge_header),
        Err(CopyError::Header(_))
    ));
}

#[test]
fn dropping_whole_chunks_is_seen() {
    // Every chunk but the last is a middle one; the last is marked. Dropping
    // the last whole chunk ends the file on a middle one: cut short.
    let secret = SessionSecret::generate(&mut OsRng);
    let copy = AttemptCopy {
        events: log(0),
        media: vec![medium(2 * CHUNK_BYTES, 5)],
    };
    let file = seal(&secret.public(), &header(), &copy, &mut OsRng).unwrap();
    let last_len = {
        // Walk the chunks to find where the last one starts.
        let header_len = u32::from_be_bytes(file[MAGIC.len()..MAGIC.len() + 4].try_into().unwrap());
        let mut at = MAGIC.len() + 4 + header_len as usize + 32;
        let mut starts = vec![];
        while at < file.len() {
            starts.push(at);
            let n = u32::from_be_bytes(file[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + n;
        }
        assert_eq!(at, file.len());
        assert!(starts.len() >= 3, "{} chunks", starts.len());
        file.len() - starts[starts.len() - 1]
    };
    let without_last = &file[..file.len() - last_len];
    assert_eq!(
        open(&secret, without_last).unwrap_err(),
        CopyError::Truncated { chunks: 2 }
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_media_round_trip(sizes in proptest::collection::vec(0usize..(2 * CHUNK_BYTES + 3), 0..4)) {
        let secret = SessionSecret::generate(&mut OsRng);
        let copy = AttemptCopy {
            events: log(1),
            media: sizes.iter().enumerate().map(|(i, n)| medium(*n, i as u8 + 2)).collect(),
        };
        let file = seal(&secret.public(), &header(), &copy, &mut OsRng).unwrap();
        let (_, back) = open(&secret, &file).unwrap();
        prop_assert_eq!(back, copy);
    }
}
