//! The operator's commands called as library functions
//! (`vigil_server::ops`), on the test database: the typed reports, and the
//! text each prints, which the `vigil-server` process prints unchanged
//! (`cli.rs` runs the process itself).

use axum::http::StatusCode;
use serde_json::{json, Value};
use vigil_server::db::AttemptState;
use vigil_server::ops::{self, DbLocation, MediaStore};

use crate::common::*;

fn location(dir: &std::path::Path) -> DbLocation {
    DbLocation {
        label: "test".into(),
        dir: dir.to_owned(),
    }
}

/// What the database holds, as a dry-run purge of everything counts it.
async fn everything_held(db: &vigil_server::db::Db) -> vigil_server::db::PurgeCounts {
    ops::purge::records(db, 1, true, i64::MAX / 2)
        .await
        .unwrap()
        .counts
}

#[tokio::test]
async fn attempt_show_of_an_unknown_attempt_names_it() {
    let db = test_db().await;
    let err = ops::attempts::show(&db, "att-nope").await.unwrap_err();
    assert_eq!(err.to_string(), "no attempt att-nope");
}

#[tokio::test]
async fn attempt_show_reports_a_synced_attempt() {
    let f = fixture().await;
    let token = f.login(0).await;
    let attempt = f.attempt_id(&token).await;
    let shown = ops::attempts::show(&f.state.db, &attempt).await.unwrap();
    assert_eq!(shown.state, AttemptState::Registered);
    assert_eq!((shown.events, shown.last_seq), (0, 0));

    let (status, _) = send(
        f.app(),
        post_json_with_token("/api/attempt/start", &token, json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let log = full_log(&f, 0, NOW, 1);
    let (status, body) = send(f.app(), events_request(&token, 1, &log)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let shown = ops::attempts::show(&f.state.db, &attempt).await.unwrap();
    assert_eq!(shown.attempt, attempt);
    assert_eq!(shown.session, f.demo.session);
    assert_eq!(shown.candidate, f.demo.candidates[0].id);
    assert_eq!(shown.state, AttemptState::Submitted);
    assert_eq!(shown.started_at, Some(NOW));
    assert_eq!(shown.events, log.len());
    assert_eq!(shown.last_seq, log.len() as u64);
    assert!(shown.each_seq_once);
    assert_eq!(shown.chain, "intact");
    assert!(shown.flags.is_empty(), "{:?}", shown.flags);
    // What the command prints: pretty JSON, one line more, the state as the
    // API words it.
    let printed = shown.to_string();
    assert!(printed.ends_with("}\n"), "{printed}");
    let value: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(value["state"], "submitted");
    assert_eq!(value["chain"], "intact");
    assert_eq!(value["each_seq_once"], true);
    assert_eq!(value["events"], log.len());
    assert!(value["incidents"].is_array() && value["flags"].is_array());
}

#[tokio::test]
async fn purge_on_an_empty_database_deletes_and_sweeps_nothing() {
    let db = test_db().await;
    let dir = tempfile::tempdir().unwrap();
    let at = location(dir.path());
    let err = ops::purge::records(&db, 0, true, NOW).await.unwrap_err();
    assert!(err.to_string().contains("at least 1 day"), "{err}");

    for dry_run in [true, false] {
        let report = ops::purge::records(&db, 30, dry_run, NOW).await.unwrap();
        assert_eq!(report.counts, Default::default());
        assert_eq!(report.cutoff, NOW - 30 * ops::purge::DAY_MS);
        let verb = if dry_run { "Would delete" } else { "Deleted" };
        assert_eq!(
            report.to_string(),
            format!(
                "{verb} 0 session(s), 0 attempt(s), 0 event(s), 0 media record(s) scheduled \
                 before 2026-12-16T08:00:00.000Z.\n"
            )
        );
    }

    let swept = ops::purge::sweep_files(&db, &MediaStore::default(), &at, NOW)
        .await
        .unwrap();
    assert_eq!((swept.partial_files, swept.media_files), (0, 0));
    let media = dir.path().join("media");
    assert_eq!(
        swept.to_string(),
        format!(
            "Removed 0 partial upload file(s), 0 bytes, from {}.\n\
             Removed 0 media file(s), 0 bytes, from {}.\n",
            media.join("partial").display(),
            vigil_server::blobs::BlobStore::Folder(media.clone()).describe()
        )
    );
}

#[tokio::test]
async fn session_create_checks_its_arguments_before_creating_anything() {
    let db = test_db().await;
    let hashing = vigil_server::auth::CodeHashing::fast_for_tests();
    let exam = concat!(env!("CARGO_MANIFEST_DIR"), "/../../exams/demo-short.toml");
    let imported = ops::exams::import(&db, std::path::Path::new(exam), NOW)
        .await
        .unwrap();
    assert!(
        imported
            .to_string()
            .starts_with("Imported exam demo-short \""),
        "{imported}"
    );
    let new = |kiosk_key: Option<&str>, start: &str| ops::sessions::NewSession {
        exam: "demo-short".into(),
        start: start.into(),
        grace_min: 5,
        candidates: 2,
        kiosk_key: kiosk_key.map(str::to_owned),
        time_zone: None,
    };

    let err = ops::sessions::create(
        &db,
        &hashing,
        &new(Some("nope"), "2030-01-01T09:00:00Z"),
        NOW,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("64 hexadecimal digits"), "{err}");
    let err = ops::sessions::create(&db, &hashing, &new(None, "tomorrow"), NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an RFC 3339 time"), "{err}");
    assert_eq!(everything_held(&db).await.sessions, 0);

    let key = "AB".repeat(32);
    let created =
        ops::sessions::create(&db, &hashing, &new(Some(&key), "2030-01-01T09:00:00Z"), NOW)
            .await
            .unwrap();
    assert_eq!(created.session.grace_ms, 5 * 60_000);
    assert_eq!(created.kiosk_key, Some("ab".repeat(32)));
    assert_eq!(created.logins.len(), 2);
    let printed = created.to_string();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines[0], format!("Session {} created", created.session.id));
    assert_eq!(
        lines[1],
        "Starts 01/01/2030 10:00:00 (heure de Paris) (time zone Europe/Paris)"
    );
    assert_eq!(lines[2], format!("Start code: {}", created.start_code));
    assert_eq!(
        lines[4],
        format!("Kiosk required: config key {}", "ab".repeat(32))
    );
    assert_eq!(lines[5], "candidate,code");
    assert_eq!(lines.len(), 8, "{printed}");
    let counts = everything_held(&db).await;
    assert_eq!((counts.sessions, counts.attempts), (1, 2));

    // A session in another zone; an unknown zone is refused first.
    let mut overseas = new(None, "2030-01-01T13:00:00Z");
    overseas.time_zone = Some("Mars/Olympus_Mons".into());
    let err = ops::sessions::create(&db, &hashing, &overseas, NOW)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown time zone \"Mars/Olympus_Mons\""),
        "{err}"
    );
    assert_eq!(everything_held(&db).await.sessions, 1);
    overseas.time_zone = Some("America/Martinique".into());
    let created = ops::sessions::create(&db, &hashing, &overseas, NOW)
        .await
        .unwrap();
    assert!(
        created.to_string().contains(
            "Starts 01/01/2030 09:00:00 (heure de Martinique) (time zone America/Martinique)"
        ),
        "{created}"
    );
    let stored = db.session(&created.session.id).await.unwrap().unwrap();
    assert_eq!(stored.time_zone, "America/Martinique");
}

#[tokio::test]
async fn proctor_add_and_results_export_report_what_they_did() {
    let f = fixture().await;
    let (db, h, session) = (&f.state.db, &f.state.hashing, &f.demo.session);
    let added = ops::proctors::add(db, h, session, "marie", NOW)
        .await
        .unwrap();
    let password = added.password.clone().unwrap();
    assert_eq!(
        added.to_string(),
        format!(
            "Proctor marie created for session {session}\nPassword: {password}\n  (log in at \
             /review/login)\n"
        )
    );
    let again = ops::proctors::add(db, h, session, "marie", NOW)
        .await
        .unwrap();
    assert_eq!(again.password, None);
    assert_eq!(
        again.to_string(),
        format!("Proctor marie exists; session {session} assigned\n  (log in at /review/login)\n")
    );

    let printed = ops::results::export(db, session, None, NOW).await.unwrap();
    assert_eq!(printed.candidates, 3);
    assert_eq!(printed.to_string(), printed.csv);
    assert_eq!(printed.csv.lines().count(), 4);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("results.csv");
    let written = ops::results::export(db, session, Some(&file), NOW)
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed.csv);
    assert_eq!(
        written.to_string(),
        format!(
            "Results of 3 candidates of session {session} written to {}\n",
            file.display()
        )
    );
    let err = ops::results::export(db, "nope", None, NOW)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no session \"nope\""), "{err}");
}
