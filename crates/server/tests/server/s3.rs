//! The media blobs in an S3-compatible object store, against a real S3
//! server: `s3s-fs` (crates.io; `cargo xtask setup` installs it into
//! `target/tools/bin`, or `VIGIL_TEST_S3_SERVER` names another copy), which
//! speaks the S3 protocol over HTTP, checks SigV4 signatures and keeps each
//! bucket as a folder, so a test can see exactly what reached the bucket.
//!
//! Uploads through the API land in the bucket (whole, in pieces, and a
//! room-scan video large enough for a multipart upload), a reviewer reads
//! them back, a purge sweeps the bucket, a wrong key is refused at start-up,
//! and the command line finds the store from the AWS_* variables.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use vigil_server::blobs::BlobStore;
use vigil_server::media::partial_path;

use crate::common::*;
use crate::media::{put, sha};

const BUCKET: &str = "vigil-media";
const ACCESS_KEY: &str = "vigil-test";
const SECRET_KEY: &str = "vigil-test-secret-key";

/// A throwaway S3 server on a free loopback port, stopped on drop.
struct S3Server {
    child: Child,
    root: tempfile::TempDir,
    endpoint: String,
}

fn server_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("VIGIL_TEST_S3_SERVER") {
        return p.into();
    }
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/bin/s3s-fs");
    assert!(
        bin.is_file(),
        "no S3 server for the object-store tests at {}: run `cargo xtask setup` \
         (it installs s3s-fs), or set VIGIL_TEST_S3_SERVER",
        bin.display()
    );
    bin
}

impl S3Server {
    fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(BUCKET)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(server_binary())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting the S3 server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the S3 server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        S3Server {
            child,
            root,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    fn settings<'a>(&'a self, secret: &'a str) -> [(&'a str, &'a str); 5] {
        [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_access_key_id", ACCESS_KEY),
            ("aws_secret_access_key", secret),
            ("aws_region", "us-east-1"),
            ("aws_allow_http", "true"),
        ]
    }

    fn store(&self, prefix: &str) -> BlobStore {
        BlobStore::s3(
            &format!("s3://{BUCKET}/{prefix}"),
            &self.settings(SECRET_KEY),
        )
        .unwrap()
    }

    /// What the bucket holds under `key`, read from the server's own folder.
    fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.path().join(BUCKET).join(key)).ok()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bytes a logged-in reviewer gets for an attempt's media.
async fn review_media(
    f: &Fixture,
    cookie: &str,
    attempt: &str,
    sha: &str,
) -> (StatusCode, Vec<u8>) {
    let req = Request::get(format!("/review/attempts/{attempt}/media/{sha}"))
        .header(header::COOKIE, format!("vigil_review={cookie}"))
        .body(Body::empty())
        .unwrap();
    let res = f.app().oneshot(req).await.unwrap();
    let status = res.status();
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test]
async fn uploads_land_in_the_bucket_and_reviewers_read_them_back() {
    let s3 = S3Server::start();
    let mut f = fixture().await;
    f.state.blobs = s3.store("exams/2027");
    f.state.blobs.check().await.unwrap();
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;

    // A photo in two pieces: the first stays on local disk, the bucket only
    // ever sees the verified whole.
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let h = sha(&photo);
    name_media(&f, &token, &h, false).await;
    let key = format!("exams/2027/{}/{h}", &h[..2]);
    let first = format!("bytes 0-99999/{}", photo.len());
    let (status, body) = send(
        f.app(),
        put(&token, &h, Some(&first), photo[..100_000].to_vec()),
    )
    .await;
    assert_eq!(
        (status, body["complete"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{body}"
    );
    assert!(partial_path(&f.state.media_dir, &attempt, &h).exists());
    assert_eq!(s3.object(&key), None, "a partial upload reached the bucket");
    let rest = format!("bytes 100000-{}/{}", photo.len() - 1, photo.len());
    let (status, body) = send(
        f.app(),
        put(&token, &h, Some(&rest), photo[100_000..].to_vec()),
    )
    .await;
    assert_eq!(
        (status, body["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    assert_eq!(s3.object(&key).as_deref(), Some(&photo[..]));
    assert!(!partial_path(&f.state.media_dir, &attempt, &h).exists());
    assert!(f.state.blobs.contains(&h).await.unwrap());
    assert_eq!(
        f.state.db.media_size(&attempt, &h).await.unwrap(),
        Some(photo.len() as u64)
    );

    // A room-scan video of 20 MiB goes up as a multipart upload.
    let other = f.login(1).await;
    let other_attempt = f.attempt_id(&other).await;
    let video: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let v = sha(&video);
    name_media(&f, &other, &v, true).await;
    let (status, body) = send(f.app(), put(&other, &v, None, video.clone())).await;
    assert_eq!(
        (status, body["complete"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let stored = s3.object(&format!("exams/2027/{}/{v}", &v[..2])).unwrap();
    assert!(
        stored == video,
        "the video in the bucket differs ({} bytes)",
        stored.len()
    );

    // A reviewer sees both, read back from the bucket.
    let cookie = proctor_login(&f, &f.demo.session, "marie").await;
    assert_eq!(
        review_media(&f, &cookie, &attempt, &h).await,
        (StatusCode::OK, photo.clone())
    );
    let (status, bytes) = review_media(&f, &cookie, &other_attempt, &v).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, video.len()));
    // Gone from the bucket behind the server's back: "not here", not a crash.
    std::fs::remove_file(s3.root.path().join(BUCKET).join(&key)).unwrap();
    assert_eq!(
        review_media(&f, &cookie, &attempt, &h).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_purge_sweeps_the_bucket_and_leaves_what_is_not_a_blob() {
    let s3 = S3Server::start();
    let store = s3.store("media");
    let dir = tempfile::tempdir().unwrap();
    let mut hashes = Vec::new();
    for content in [&b"kept"[..], b"gone one", b"gone two"] {
        let h = sha(content);
        let file = dir.path().join(&h);
        std::fs::write(&file, content).unwrap();
        store.store_file(&h, &file).await.unwrap();
        assert!(!file.exists(), "the staged file stays after the upload");
        hashes.push(h);
    }
    // Stored twice: one object, the staged copy removed all the same.
    let again = dir.path().join("again");
    std::fs::write(&again, b"kept").unwrap();
    store.store_file(&hashes[0], &again).await.unwrap();
    assert!(!again.exists());
    // Not blobs: a note under the prefix, and a blob-like name elsewhere.
    let bucket = s3.root.path().join(BUCKET);
    std::fs::write(bucket.join("media/README"), "not a blob").unwrap();
    std::fs::create_dir_all(bucket.join("other")).unwrap();
    std::fs::write(bucket.join("other").join(&hashes[1]), "outside the prefix").unwrap();

    let keep = [hashes[0].clone()].into_iter().collect();
    let (files, bytes) = store.sweep(&keep).await.unwrap();
    assert_eq!((files, bytes), (2, 16));
    assert!(store.contains(&hashes[0]).await.unwrap());
    assert!(!store.contains(&hashes[1]).await.unwrap());
    assert!(!store.contains(&hashes[2]).await.unwrap());
    assert!(bucket.join("media/README").exists());
    assert!(bucket.join("other").join(&hashes[1]).exists());
    assert_eq!(
        store.read(&hashes[0]).await.unwrap().as_deref(),
        Some(&b"kept"[..])
    );
    assert_eq!(store.read(&hashes[1]).await.unwrap(), None);
}

#[tokio::test]
async fn a_wrong_key_or_bucket_is_refused_at_start_up_with_the_reason() {
    let s3 = S3Server::start();
    let wrong = BlobStore::s3(&format!("s3://{BUCKET}/m"), &s3.settings("not-the-secret")).unwrap();
    let e = wrong.check().await.unwrap_err().to_string();
    assert!(e.contains(&format!("s3://{BUCKET}/m")), "{e}");
    assert!(e.to_lowercase().contains("signature"), "{e}");
    let missing = BlobStore::s3("s3://no-such-bucket/m", &s3.settings(SECRET_KEY)).unwrap();
    let e = missing.check().await.unwrap_err().to_string();
    assert!(e.contains("s3://no-such-bucket/m"), "{e}");
    assert!(e.contains("NoSuchBucket"), "{e}");
}

#[test]
fn the_command_line_finds_the_bucket_from_the_aws_variables() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    // A blob no record names, put there by hand: the purge sweeps it.
    let stray = sha(b"stray");
    let shard = s3.root.path().join(BUCKET).join("m").join(&stray[..2]);
    std::fs::create_dir_all(&shard).unwrap();
    std::fs::write(shard.join(&stray), b"stray").unwrap();
    let run = |secret: &str| {
        Command::new(env!("CARGO_BIN_EXE_vigil-server"))
            .arg("--db")
            .arg(&db)
            .args([
                "purge",
                "--older-than",
                "30",
                "--media-url",
                &format!("s3://{BUCKET}/m"),
            ])
            .env_remove("VIGIL_DATABASE_URL")
            .env("AWS_ENDPOINT", &s3.endpoint)
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .output()
            .unwrap()
    };
    let out = run(SECRET_KEY);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "Removed 1 media file(s), 5 bytes, from s3://{BUCKET}/m"
        )),
        "{stdout}"
    );
    assert!(!shard.join(&stray).exists());
    let out = run("wrong");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("opening the media store s3://{BUCKET}/m")),
        "{stderr}"
    );
}
