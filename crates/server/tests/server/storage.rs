//! Storage backends: the SQLite file and URL forms, the URL errors, and
//! which engine the rest of the suite runs on (`VIGIL_TEST_DATABASE_URL`).

use vigil_server::db::{Backend, Db};

#[tokio::test]
async fn the_suite_runs_on_the_database_of_the_environment() {
    let db = crate::common::test_db().await;
    let want = match std::env::var("VIGIL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    assert_eq!(db.backend(), want);
    db.ping().await.unwrap();
}

#[tokio::test]
async fn a_sqlite_file_is_created_in_wal_mode_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested dir?#").join("vigil.sqlite3");
    {
        let db = Db::open_file(&path).await.unwrap();
        assert_eq!(db.backend(), Backend::Sqlite);
        db.upsert_exam("e1", "Exam", "{}", 1).await.unwrap();
        db.close().await;
    }
    assert!(path.is_file());
    assert!(path.with_file_name("vigil.sqlite3-wal").exists() || wal_mode(&path));
    // Reopening runs the migrations again (none left) and finds the data.
    let url = format!("sqlite://{}", path.display());
    let db = Db::open_url(&url).await.unwrap();
    assert_eq!(db.exam_json("e1").await.unwrap().as_deref(), Some("{}"));
}

fn wal_mode(path: &std::path::Path) -> bool {
    // The WAL file may be gone after a clean close; the header says WAL
    // (file format versions 2 at offsets 18 and 19).
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 19 && bytes[18] == 2 && bytes[19] == 2
}

#[tokio::test]
async fn memory_urls_open_and_unknown_urls_are_refused() {
    let db = Db::open_url("sqlite::memory:").await.unwrap();
    assert_eq!(db.backend(), Backend::Sqlite);
    let err = Db::open_url("mysql://localhost/x").await.unwrap_err();
    assert!(
        err.to_string().contains("unsupported database URL"),
        "{err}"
    );
}
