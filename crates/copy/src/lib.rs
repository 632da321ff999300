//! vigil-copy: the encrypted copy of an attempt, for the day the network
//! never comes back.
//!
//! A candidate whose data is still unsent at the end saves the whole
//! attempt — its hash-chained log and the media the log names — to one file,
//! encrypted to the session's public key, and hands it to the organiser
//! (USB stick, mail, anything: the file is opaque to whoever carries it).
//! The organiser imports it with `vigil-server attempt import FILE`, which
//! verifies the chain exactly as a sync does.
//!
//! Why HPKE (RFC 9180) and not a format of our own: the key encapsulation,
//! key schedule and nonce sequence are the standard's, from a maintained
//! crate; only the framing below is ours. Suite: DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, AES-256-GCM (the AEAD the app already ships for packages,
//! so the copy adds little to the download). Why not `age`: its crate pulls
//! a localisation stack that weighed ~180 kB gzip in the app.
//!
//! The file, all integers big-endian:
//!
//! ```text
//! "VIGIL-COPY-1\n"                     magic (13 bytes)
//! u32 header length, header JSON       CopyHeader, in clear: which session
//!                                      and attempt; bound to the key
//!                                      schedule as HPKE `info`, so it
//!                                      cannot be edited
//! 32 bytes                             the HPKE encapsulated key
//! chunk*                               u32 length, AES-256-GCM ciphertext
//!                                      of at most CHUNK_BYTES plaintext;
//!                                      AAD says whether it is the last, so
//!                                      a cut file is told from a whole one
//! ```
//!
//! The plaintext is `u32 manifest length, manifest JSON` (the events and the
//! list of media, each by SHA-256 and size) followed by each medium's bytes
//! in the manifest's order: no base64, so a 60 MB room scan costs 60 MB.
//!
//! Pure: no clock (the caller dates the header), no randomness of its own
//! (the caller passes a cryptographic RNG), no I/O.

use hpke::aead::{AeadCtxR, AeadCtxS, AesGcm256};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use vigil_exam::Event;

type Kem = X25519HkdfSha256;

/// The first bytes of every copy.
pub const MAGIC: &[u8] = b"VIGIL-COPY-1\n";
/// The header's `format`.
pub const FORMAT: &str = "vigil-copy-1";
/// Plaintext bytes per encrypted chunk.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Largest header accepted, in bytes.
pub const MAX_HEADER_BYTES: usize = 4 * 1024;
/// Largest manifest (the events as JSON and the media list), in bytes: the
/// server's per-attempt event quota (32 MiB) with room for the list.
pub const MAX_MANIFEST_BYTES: usize = 40 * 1024 * 1024;
/// Largest copy accepted, in bytes: the manifest and the per-attempt media
/// quota (256 MiB) with the framing.
pub const MAX_COPY_BYTES: u64 = 300 * 1024 * 1024;
/// Most media in one copy.
pub const MAX_MEDIA: usize = 10_000;

/// AES-GCM tag bytes per chunk.
const TAG: usize = 16;
/// Encapsulated key bytes (an X25519 public key).
const ENCAPPED: usize = 32;
const AAD_MORE: &[u8] = b"vigil-copy-chunk:more";
const AAD_LAST: &[u8] = b"vigil-copy-chunk:last";

/// What can go wrong reading (or, for sizes, writing) a copy. Each message
/// names what is wrong, for the organiser at the command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CopyError {
    #[error("not a Vigil copy: the file does not start with \"VIGIL-COPY-1\"")]
    NotACopy,
    #[error("the copy's header is unreadable: {0}")]
    Header(String),
    #[error("the copy is {size} bytes; the limit is {MAX_COPY_BYTES} bytes")]
    TooLarge { size: u64 },
    #[error(
        "cannot decrypt the copy: it was encrypted for another session's key, or its \
         header or first part was altered"
    )]
    WrongKey,
    #[error("the copy is damaged: part {chunk} does not decrypt (altered or corrupted bytes)")]
    Damaged { chunk: u64 },
    #[error("the copy is cut short: it ends after part {chunks}, before its last part")]
    Truncated { chunks: u64 },
    #[error("the copy has {extra} byte(s) after its last part")]
    Trailing { extra: u64 },
    #[error("the copy's content is unreadable: {0}")]
    Payload(String),
    #[error("not a session copy key: {0}")]
    Key(String),
}

/// In clear at the top of the file: which session's key opens it, and
/// whose attempt it holds. Bound to the encryption (HPKE `info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyHeader {
    /// Always [`FORMAT`].
    pub format: String,
    pub session: String,
    pub attempt: String,
    pub candidate: String,
    /// When the candidate's machine made the copy (its trusted clock, ms):
    /// for the organiser's message only, never for scoring.
    pub made_at_ms: i64,
}

impl CopyHeader {
    pub fn new(session: &str, attempt: &str, candidate: &str, made_at_ms: i64) -> CopyHeader {
        CopyHeader {
            format: FORMAT.to_owned(),
            session: session.to_owned(),
            attempt: attempt.to_owned(),
            candidate: candidate.to_owned(),
            made_at_ms,
        }
    }
}

/// One medium of the attempt: its bytes, named by their SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Medium {
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// What a copy holds.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptCopy {
    /// The whole log, from seq 1, in order.
    pub events: Vec<Event>,
    /// The media the log names that the machine still had.
    pub media: Vec<Medium>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    events: Vec<Event>,
    media: Vec<MediumEntry>,
}

#[derive(Serialize, Deserialize)]
struct MediumEntry {
    sha256: String,
    size: u64,
}

/// A session's copy key: the X25519 secret the server keeps.
#[derive(Clone)]
pub struct SessionSecret(<Kem as hpke::Kem>::PrivateKey);

/// The public half, given to candidates at login as 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey(<Kem as hpke::Kem>::PublicKey);

impl SessionSecret {
    /// A fresh key pair.
    pub fn generate(rng: &mut (impl CryptoRng + RngCore)) -> SessionSecret {
        let (secret, _) = Kem::gen_keypair(rng);
        SessionSecret(secret)
    }

    /// The 32 secret bytes, for storage.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&self.0.to_bytes());
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SessionSecret, CopyError> {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map(SessionSecret)
            .map_err(|e| CopyError::Key(format!("{} secret bytes: {e}", bytes.len())))
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(<Kem as hpke::Kem>::sk_to_pk(&self.0))
    }
}

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(…)")
    }
}

impl PublicKey {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    pub fn from_hex(text: &str) -> Result<PublicKey, CopyError> {
        let bytes = hex::decode(text.trim())
            .map_err(|e| CopyError::Key(format!("{:?} is not hex: {e}", trunc(text))))?;
        if bytes.len() != 32 {
            return Err(CopyError::Key(format!(
                "{} bytes, an X25519 public key has 32",
                bytes.len()
            )));
        }
        <Kem as hpke::Kem>::PublicKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|e| CopyError::Key(e.to_string()))
    }
}

fn trunc(s: &str) -> String {
    s.chars().take(80).collect()
}

/// Encrypts `copy` for the holder of `key`'s secret.
pub fn seal(
    key: &PublicKey,
    header: &CopyHeader,
    copy: &AttemptCopy,
    rng: &mut (impl CryptoRng + RngCore),
) -> Result<Vec<u8>, CopyError> {
    let header_json = serde_json::to_vec(header).map_err(|e| CopyError::Header(e.to_string()))?;
    if header_json.len() > MAX_HEADER_BYTES {
        return Err(CopyError::Header(format!(
            "{} bytes, the limit is {MAX_HEADER_BYTES}",
            header_json.len()
        )));
    }
    if copy.media.len() > MAX_MEDIA {
        return Err(CopyError::Payload(format!(
            "{} media, the limit is {MAX_MEDIA}",
            copy.media.len()
        )));
    }
    let manifest = Manifest {
        events: copy.events.clone(),
        media: copy
            .media
            .iter()
            .map(|m| MediumEntry {
                sha256: m.sha256.clone(),
                size: m.bytes.len() as u64,
            })
            .collect(),
    };
    let manifest = serde_json::to_vec(&manifest).map_err(|e| CopyError::Payload(e.to_string()))?;
    if manifest.len() > MAX_MANIFEST_BYTES {
        return Err(CopyError::Payload(format!(
            "the log is {} bytes as JSON, the limit is {MAX_MANIFEST_BYTES}",
            manifest.len()
        )));
    }
    let plain_len = 4 + manifest.len() + copy.media.iter().map(|m| m.bytes.len()).sum::<usize>();
    let chunks = plain_len.div_ceil(CHUNK_BYTES);
    let size =
        (MAGIC.len() + 4 + header_json.len() + ENCAPPED + plain_len + chunks * (4 + TAG)) as u64;
    if size > MAX_COPY_BYTES {
        return Err(CopyError::TooLarge { size });
    }

    let (encapped, ctx) = hpke::setup_sender::<AesGcm256, HkdfSha256, Kem, _>(
        &OpModeS::Base,
        &key.0,
        &header_json,
        rng,
    )
    .map_err(|e| CopyError::Key(e.to_string()))?;
    let mut out = Vec::with_capacity(size as usize);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(header_json.len() as u32).to_be_bytes());
    out.extend_from_slice(&header_json);
    out.extend_from_slice(&encapped.to_bytes());
    let mut writer = ChunkWriter {
        ctx,
        buf: Vec::with_capacity(CHUNK_BYTES),
        out,
    };
    writer.write(&(manifest.len() as u32).to_be_bytes())?;
    writer.write(&manifest)?;
    for m in &copy.media {
        writer.write(&m.bytes)?;
    }
    writer.finish()
}

/// Seals the plaintext as it comes, a chunk at a time, so the whole
/// plaintext is never copied.
struct ChunkWriter {
    ctx: AeadCtxS<AesGcm256, HkdfSha256, Kem>,
    buf: Vec<u8>,
    out: Vec<u8>,
}

impl ChunkWriter {
    fn write(&mut self, mut bytes: &[u8]) -> Result<(), CopyError> {
        while !bytes.is_empty() {
            // A full buffer is sealed only once more bytes come, so the
            // last chunk is always sealed by `finish`, as the last.
            if self.buf.len() == CHUNK_BYTES {
                self.seal(AAD_MORE)?;
            }
            let room = CHUNK_BYTES - self.buf.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.buf.extend_from_slice(now);
            bytes = later;
        }
        Ok(())
    }

    fn seal(&mut self, aad: &[u8]) -> Result<(), CopyError> {
        let sealed = self
            .ctx
            .seal(&self.buf, aad)
            .map_err(|e| CopyError::Payload(format!("encryption failed: {e}")))?;
        self.out
            .extend_from_slice(&(sealed.len() as u32).to_be_bytes());
        self.out.extend_from_slice(&sealed);
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, CopyError> {
        self.seal(AAD_LAST)?;
        Ok(self.out)
    }
}

/// The header, read without a key: which session's key opens the file.
pub fn read_header(file: &[u8]) -> Result<CopyHeader, CopyError> {
    Ok(split_header(file)?.0)
}

/// The header, its bytes, and the rest of the file.
fn split_header(file: &[u8]) -> Result<(CopyHeader, &[u8], &[u8]), CopyError> {
    if file.len() as u64 > MAX_COPY_BYTES {
        return Err(CopyError::TooLarge {
            size: file.len() as u64,
        });
    }
    let rest = file.strip_prefix(MAGIC).ok_or(CopyError::NotACopy)?;
    let (len, rest) =
        take_u32(rest).ok_or(CopyError::Header("the file ends in its header".into()))?;
    let len = len as usize;
    if len > MAX_HEADER_BYTES {
        return Err(CopyError::Header(format!(
            "{len} bytes, the limit is {MAX_HEADER_BYTES}"
        )));
    }
    if rest.len() < len {
        return Err(CopyError::Header("the file ends in its header".into()));
    }
    let (header_json, rest) = rest.split_at(len);
    let header: CopyHeader =
        serde_json::from_slice(header_json).map_err(|e| CopyError::Header(e.to_string()))?;
    if header.format != FORMAT {
        return Err(CopyError::Header(format!(
            "format {:?}, this version reads {FORMAT:?}",
            trunc(&header.format)
        )));
    }
    Ok((header, header_json, rest))
}

fn take_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    if bytes.len() < 4 {
        return None;
    }
    let (n, rest) = bytes.split_at(4);
    Some((u32::from_be_bytes([n[0], n[1], n[2], n[3]]), rest))
}

/// Decrypts and reads a copy with the session's secret.
pub fn open(secret: &SessionSecret, file: &[u8]) -> Result<(CopyHeader, AttemptCopy), CopyError> {
    let (header, header_json, rest) = split_header(file)?;
    if rest.len() < ENCAPPED {
        return Err(CopyError::Truncated { chunks: 0 });
    }
    let (encapped, mut rest) = rest.split_at(ENCAPPED);
    let encapped =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped).map_err(|_| CopyError::WrongKey)?;
    let mut ctx: AeadCtxR<AesGcm256, HkdfSha256, Kem> =
        hpke::setup_receiver(&OpModeR::Base, &secret.0, &encapped, header_json)
            .map_err(|_| CopyError::WrongKey)?;
    let mut plain = Vec::with_capacity(rest.len());
    let mut chunk: u64 = 0;
    loop {
        let Some((len, after)) = take_u32(rest) else {
            return Err(CopyError::Truncated { chunks: chunk });
        };
        let len = len as usize;
        if !(TAG..=CHUNK_BYTES + TAG).contains(&len) {
            return Err(CopyError::Damaged { chunk: chunk + 1 });
        }
        if after.len() < len {
            return Err(CopyError::Truncated { chunks: chunk });
        }
        let (sealed, after) = after.split_at(len);
        // Each chunk is tried as a middle one, then as the last: the AAD
        // tells them apart. A failed open leaves the context's sequence
        // where it was, so the second try is sound.
        let last = match ctx.open(sealed, AAD_MORE) {
            Ok(p) => {
                plain.extend_from_slice(&p);
                false
            }
            Err(_) => match ctx.open(sealed, AAD_LAST) {
                Ok(p) => {
                    plain.extend_from_slice(&p);
                    true
                }
                Err(_) if chunk == 0 => return Err(CopyError::WrongKey),
                Err(_) => return Err(CopyError::Damaged { chunk: chunk + 1 }),
            },
        };
        chunk += 1;
        rest = after;
        if last {
            break;
        }
    }
    if !rest.is_empty() {
        return Err(CopyError::Trailing {
            extra: rest.len() as u64,
        });
    }
    Ok((header, parse_plaintext(&plain)?))
}

fn parse_plaintext(plain: &[u8]) -> Result<AttemptCopy, CopyError> {
    let bad = |why: String| CopyError::Payload(why);
    let (len, rest) = take_u32(plain).ok_or_else(|| bad("no manifest".into()))?;
    let len = len as usize;
    if len > MAX_MANIFEST_BYTES || rest.len() < len {
        return Err(bad(format!("a manifest of {len} bytes does not fit")));
    }
    let (manifest, mut media_bytes) = rest.split_at(len);
    let manifest: Manifest =
        serde_json::from_slice(manifest).map_err(|e| bad(format!("manifest: {e}")))?;
    if manifest.media.len() > MAX_MEDIA {
        return Err(bad(format!(
            "{} media, the limit is {MAX_MEDIA}",
            manifest.media.len()
        )));
    }
    let mut media = Vec::with_capacity(manifest.media.len());
    for entry in manifest.media {
        let size = usize::try_from(entry.size).unwrap_or(usize::MAX);
        if media_bytes.len() < size {
            return Err(bad(format!(
                "media {} is listed with {} bytes, {} remain",
                trunc(&entry.sha256),
                entry.size,
                media_bytes.len()
            )));
        }
        let (bytes, after) = media_bytes.split_at(size);
        let actual = hex::encode(Sha256::digest(bytes));
        if actual != entry.sha256 {
            return Err(bad(format!(
                "media {} does not match its SHA-256 ({actual})",
                trunc(&entry.sha256)
            )));
        }
        media.push(Medium {
            sha256: entry.sha256,
            bytes: bytes.to_vec(),
        });
        media_bytes = after;
    }
    if !media_bytes.is_empty() {
        return Err(bad(format!(
            "{} byte(s) after the listed media",
            media_bytes.len()
        )));
    }
    Ok(AttemptCopy {
        events: manifest.events,
        media,
    })
}
