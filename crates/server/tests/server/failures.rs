//! The storage failing under the server (#15): a full disk, and the
//! database going away and coming back. Either way a candidate's request
//! gets an answer that says "retry" (507 or 503, with `Retry-After`),
//! nothing is acknowledged that is not stored, and the service recovers by
//! itself once the storage does.
//!
//! The full disk is real: a 16 MiB tmpfs mounted for the test holds the
//! SQLite database and the media folder, filled up by a file. Mounting needs
//! root (CI runs as root); elsewhere the test says it did not run.
//! The restart is real too: a PostgreSQL cluster of its own, which `cargo
//! xtask test` starts (`VIGIL_TEST_PG_RESTART_URL`) and which the test kills
//! (`pg_ctl -m immediate`, as a crash) and starts again
//! (`VIGIL_TEST_PG_CTL`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use vigil_exam::{Answer, Attempt, Event};
use vigil_server::db::Db;
use vigil_server::media::{blob_path, partial_path};

use crate::common::*;
use crate::media::{put, sha};

/// A tmpfs mounted on a fresh folder; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` when not root (mounting is refused).
    fn mount(mib: u32) -> Option<Tmpfs> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if !root {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount -t tmpfs failed as root");
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the filesystem of `dir` with a file until no byte fits.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0x55u8; 64 * 1024];
    loop {
        match file.write(&block) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
            Err(e) => panic!("filling {}: {e}", dir.display()),
        }
    }
    // The last bytes, one at a time.
    while file.write(&[0]).is_ok_and(|n| n == 1) {}
    let _ = file.sync_all();
    path
}

/// Candidate 0's log after `name_media` (start, ID photo named `photo`),
/// with `n` answers more from `t`.
fn with_answers(genesis: &str, log: &[Event], n: usize, t: i64) -> Vec<Event> {
    let exam = demo_exam();
    let mut a = Attempt::resume_with_genesis(genesis, Some(&exam), log.to_vec()).unwrap();
    if a.state().questions_opened_at_ms.is_none() {
        let sha = "a".repeat(64);
        a.capture_identity(vigil_exam::IdentityWhat::Face, &sha, t)
            .unwrap();
        a.head_turn(vigil_exam::Side::Left, &sha, 40, t).unwrap();
        a.head_turn(vigil_exam::Side::Right, &sha, -40, t).unwrap();
        a.room_scan(&sha, 30_000, t).unwrap();
        a.open_questions(&exam, t).unwrap();
    }
    for i in 0..n {
        a.answer(
            &exam,
            "capitale",
            Answer::Single {
                choice: (i % 3) as u32,
            },
            t + 1 + i as i64,
        )
        .unwrap();
    }
    a.events().to_vec()
}

#[tokio::test]
async fn a_full_disk_answers_507_keeps_nothing_half_way_and_recovers() {
    let Some(disk) = Tmpfs::mount(16) else {
        eprintln!("full-disk test NOT RUN: mounting a tmpfs needs root");
        return;
    };
    let db = Db::open_file(&disk.path().join("vigil.db")).await.unwrap();
    let mut f = fixture_on(db, 0).await;
    let media = disk.path().join("media");
    f.state.media_dir = media.clone();
    f.state.blobs = vigil_server::blobs::BlobStore::Folder(media.clone());
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let photo: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let photo_sha = sha(&photo);
    name_media(&f, &token, &photo_sha, false).await;
    let stored = f.state.db.events(&attempt).await.unwrap();
    let genesis = f.genesis_of(&token).await;
    let log = with_answers(&genesis, &stored, 300, NOW + 10_000);
    f.clock.advance(60_000);
    // Every later write needs new space: the WAL back to nothing first.
    sqlx_checkpoint(&disk.path().join("vigil.db")).await;
    let filler = fill(disk.path());

    // The upload: 507 with a retry hint, nothing of it kept.
    let (status, body) = send(f.app(), put(&token, &photo_sha, None, photo.clone())).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_error(&body, "storage_full");
    assert!(!partial_path(&media, &attempt, &photo_sha).exists());
    assert_eq!(
        f.state.db.media_size(&attempt, &photo_sha).await.unwrap(),
        None
    );
    // The events: 507, not acknowledged, the stored ones intact.
    let from = stored.len() as u64 + 1;
    let batch = &log[stored.len()..];
    let (status, body) = send(f.app(), events_request(&token, from, batch)).await;
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{body}");
    assert_error(&body, "storage_full");
    assert_eq!(f.state.db.events(&attempt).await.unwrap(), stored);

    // Space again: the same requests go through, whole, once.
    std::fs::remove_file(filler).unwrap();
    let (status, body) = send(f.app(), events_request(&token, from, batch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], log.len());
    assert_eq!(f.state.db.events(&attempt).await.unwrap(), log);
    let (status, body) = send(f.app(), put(&token, &photo_sha, None, photo.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["complete"], true);
    assert_eq!(std::fs::read(blob_path(&media, &photo_sha)).unwrap(), photo);
    assert_eq!(
        f.state.db.media_size(&attempt, &photo_sha).await.unwrap(),
        Some(photo.len() as u64)
    );
    assert!(flag_kinds(&f, &attempt)
        .await
        .iter()
        .all(|k| k != "chain_conflict" && k != "tampering"));
    f.state.db.close().await;
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` on the database file, from a
/// connection of its own: the write-ahead log back to zero bytes.
async fn sqlx_checkpoint(path: &Path) {
    use sqlx::{Connection, Executor};
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE);")
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Runs the restart cluster's control script (`stop` or `start`).
fn pg_ctl(script: &str, what: &str) {
    let out = Command::new(script).arg(what).output().unwrap();
    assert!(
        out.status.success(),
        "{script} {what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn postgres_restarting_answers_503_then_the_server_reconnects_by_itself() {
    let (Ok(url), Ok(ctl)) = (
        std::env::var("VIGIL_TEST_PG_RESTART_URL"),
        std::env::var("VIGIL_TEST_PG_CTL"),
    ) else {
        eprintln!("restart test NOT RUN: no restartable cluster (cargo xtask test-pg starts one)");
        return;
    };
    let db = Db::open_fresh_postgres(&url).await.unwrap();
    let f = fixture_on(db, 0).await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    name_media(&f, &token, &"b".repeat(64), false).await;
    let stored = f.state.db.events(&attempt).await.unwrap();
    let genesis = f.genesis_of(&token).await;
    let log = with_answers(&genesis, &stored, 40, NOW + 10_000);
    f.clock.advance(60_000);
    // Half the answers acknowledged before the crash.
    let half = stored.len() + 20;
    let from = stored.len() as u64 + 1;
    let (status, body) = send(
        f.app(),
        events_request(&token, from, &log[stored.len()..half]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    pg_ctl(&ctl, "stop");
    let rest = &log[half..];
    let (status, body) = send(f.app(), events_request(&token, half as u64 + 1, rest)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_error(&body, "unavailable");
    let res = {
        use tower::ServiceExt;
        f.app()
            .oneshot(events_request(&token, half as u64 + 1, rest))
            .await
            .unwrap()
    };
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");

    pg_ctl(&ctl, "start");
    // The pool finds its connections broken and opens new ones by itself;
    // a client retrying as the app does gets through.
    let mut answer = None;
    for _ in 0..20 {
        let (status, body) = send(f.app(), events_request(&token, half as u64 + 1, rest)).await;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            answer = Some((status, body));
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    let (status, body) = answer.expect("still 503 ten seconds after the restart");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["acked_seq"], log.len());
    // Every event once: what was acknowledged before the crash survived it.
    assert_eq!(f.state.db.events(&attempt).await.unwrap(), log);
    assert!(flag_kinds(&f, &attempt)
        .await
        .iter()
        .all(|k| k != "chain_conflict" && k != "tampering"));
    f.state.db.close().await;
}
