//! The command line, run as a process on a SQLite file: import an exam,
//! create a session with candidates, export its results, add a proctor.

use std::process::Command;

/// Runs `vigil-server --db DB ARGS…` on the SQLite file.
fn run(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigil-server"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_DATABASE_URL")
        .output()
        .unwrap()
}

/// The same with environment variables set (and the mail settings of the
/// test machine's environment removed).
fn run_env(db: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil-server"));
    cmd.arg("--db")
        .arg(db)
        .args(args)
        .env_remove("VIGIL_DATABASE_URL");
    for name in [
        "VIGIL_SMTP_URL",
        "VIGIL_SMTP_USER",
        "VIGIL_SMTP_PASSWORD",
        "VIGIL_MAIL_FROM",
        "VIGIL_PUBLIC_URL",
    ] {
        cmd.env_remove(name);
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

/// A command that must be refused: its exit code and stderr.
fn refused(db: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = run(db, args);
    assert!(!out.status.success(), "{args:?} was accepted");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A command that must succeed: its stdout.
fn vigil(db: &std::path::Path, args: &[&str]) -> String {
    let out = run(db, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Imports the demo exam into the SQLite file and creates a session of `n`
/// candidates: the session id and `session create`'s output.
fn demo_session(db: &std::path::Path, n: usize) -> (String, String) {
    let exam = concat!(env!("CARGO_MANIFEST_DIR"), "/../../exams/demo-short.toml");
    vigil(db, &["exam", "import", exam]);
    let created = vigil(
        db,
        &[
            "session",
            "create",
            "--exam",
            "demo-short",
            "--start",
            "2030-01-01T09:00:00Z",
            "--candidates",
            &n.to_string(),
        ],
    );
    let session = created
        .lines()
        .find_map(|l| l.strip_prefix("Session ")?.strip_suffix(" created"))
        .unwrap()
        .to_owned();
    (session, created)
}

#[test]
fn results_export_and_proctor_add() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let (session, _) = demo_session(&db, 2);
    let session = session.as_str();
    let printed = vigil(&db, &["results", "export", session]);
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 3, "{printed}");
    assert!(
        lines[0].starts_with("candidate,state,progress,started_at,submitted_at,points_partie-1,")
    );
    assert!(
        lines[1].ends_with(",registered,not started,,,,,,,,,,,,no,,,,,,,,,"),
        "{}",
        lines[1]
    );

    let file = dir.path().join("results.csv");
    let said = vigil(
        &db,
        &[
            "results",
            "export",
            session,
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(said.contains("Results of 2 candidates"), "{said}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);

    let added = vigil(&db, &["proctor", "add", "--session", session, "marie"]);
    assert!(added.contains("Proctor marie created"), "{added}");
    let password = added
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .unwrap();
    assert_eq!(password.len(), 19);
    let again = vigil(&db, &["proctor", "add", "--session", session, "marie"]);
    assert!(again.contains("exists"), "{again}");

    let (_, err) = refused(&db, &["results", "export", "nope"]);
    assert!(err.contains("no session \"nope\""), "{err}");
}

#[test]
fn sessions_can_require_the_kiosk_launcher() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let exam = concat!(env!("CARGO_MANIFEST_DIR"), "/../../exams/demo-short.toml");
    vigil(&db, &["exam", "import", exam]);
    let key = "ab".repeat(32);
    let created = vigil(
        &db,
        &[
            "session",
            "create",
            "--exam",
            "demo-short",
            "--start",
            "2030-01-01T09:00:00Z",
            "--kiosk-key",
            &key.to_uppercase(),
        ],
    );
    assert!(
        created.contains(&format!("Kiosk required: config key {key}")),
        "{created}"
    );
    let session = created
        .lines()
        .find_map(|l| l.strip_prefix("Session ")?.strip_suffix(" created"))
        .unwrap();
    let said = vigil(
        &db,
        &["session", "require-kiosk", session, &"cd".repeat(32)],
    );
    assert!(said.contains("now requires vigil-kiosk"), "{said}");
    let said = vigil(&db, &["session", "require-kiosk", session, "--clear"]);
    assert!(said.contains("any browser"), "{said}");

    // A malformed key is refused before the session is created.
    let (_, err) = refused(
        &db,
        &[
            "session",
            "create",
            "--exam",
            "demo-short",
            "--start",
            "2030-01-01T09:00:00Z",
            "--kiosk-key",
            "nope",
        ],
    );
    assert!(err.contains("64 hexadecimal digits"), "{err}");
    // Neither a key nor --clear: a usage error naming the argument.
    let (code, err) = refused(&db, &["session", "require-kiosk", session]);
    assert_eq!(code, Some(2));
    assert!(err.contains("<KEY>"), "{err}");
}

#[test]
fn candidates_set_grants_extra_time_before_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let (session, created) = demo_session(&db, 1);
    let candidate = created
        .lines()
        .skip_while(|l| *l != "candidate,code")
        .nth(1)
        .and_then(|l| l.split(',').next())
        .unwrap()
        .to_owned();
    let out = vigil(
        &db,
        &[
            "candidates",
            "set",
            "--session",
            &session,
            &candidate,
            "--extra-time",
            "yes",
        ],
    );
    assert!(out.contains("Extra time granted"), "{out}");
    let csv = vigil(&db, &["results", "export", &session]);
    assert!(
        csv.lines().nth(1).unwrap().ends_with(",yes,,,,,,,,,"),
        "{csv}"
    );
    let (_, err) = refused(
        &db,
        &[
            "candidates",
            "set",
            "--session",
            &session,
            &candidate,
            "--extra-time",
            "maybe",
        ],
    );
    assert!(err.contains("expected yes or no"), "{err}");
}

#[test]
fn attempt_show_names_an_unknown_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let (_, err) = refused(&db, &["attempt", "show", "att-nope"]);
    assert!(err.contains("no attempt att-nope"), "{err}");
}

#[test]
fn purge_needs_a_day_and_reports_what_it_would_delete() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let (_, err) = refused(&db, &["purge", "--older-than", "0"]);
    assert!(err.contains("at least 1 day"), "{err}");
    let exam = concat!(env!("CARGO_MANIFEST_DIR"), "/../../exams/demo-short.toml");
    vigil(&db, &["exam", "import", exam]);
    vigil(
        &db,
        &[
            "session",
            "create",
            "--exam",
            "demo-short",
            "--start",
            "2020-01-01T09:00:00Z",
        ],
    );
    let dry = vigil(&db, &["purge", "--older-than", "30", "--dry-run"]);
    assert!(dry.contains("Would delete 1 session(s)"), "{dry}");
    let done = vigil(&db, &["purge", "--older-than", "30"]);
    assert!(done.contains("Deleted 1 session(s)"), "{done}");
    assert!(done.contains("Removed 0 media file(s)"), "{done}");
    let again = vigil(&db, &["purge", "--older-than", "30"]);
    assert!(again.contains("Deleted 0 session(s)"), "{again}");
}

#[test]
fn attempt_import_names_what_is_wrong_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    demo_session(&db, 1);
    let missing = dir.path().join("nowhere.vigilcopy");
    let (code, err) = refused(&db, &["attempt", "import", missing.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(err.contains("nowhere.vigilcopy"), "{err}");
    let junk = dir.path().join("junk.vigilcopy");
    std::fs::write(&junk, b"PK\x03\x04 not a copy").unwrap();
    let (_, err) = refused(&db, &["attempt", "import", junk.to_str().unwrap()]);
    assert!(err.contains("not a Vigil copy"), "{err}");
    // A copy for a session this database does not hold.
    let secret = vigil_copy::SessionSecret::generate(&mut rand::rngs::OsRng);
    let header = vigil_copy::CopyHeader::new("S-elsewhere", "att-x", "C001", 0);
    let copy = vigil_copy::AttemptCopy {
        events: vec![],
        media: vec![],
    };
    let sealed =
        vigil_copy::seal(&secret.public(), &header, &copy, &mut rand::rngs::OsRng).unwrap();
    let foreign = dir.path().join("foreign.vigilcopy");
    std::fs::write(&foreign, sealed).unwrap();
    let (_, err) = refused(&db, &["attempt", "import", foreign.to_str().unwrap()]);
    assert!(err.contains("\"S-elsewhere\""), "{err}");
}

#[test]
fn an_organiser_imports_persons_mails_them_and_exports_the_referrals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigil.sqlite3");
    let (session, _) = demo_session(&db, 0);
    let roster = dir.path().join("roster.csv");
    std::fs::write(
        &roster,
        "candidate,person,family_name,given_name,email\nK1,ECR-9,Moreau,Jade,jade@example.fr\n",
    )
    .unwrap();
    let printed = vigil(
        &db,
        &[
            "candidates",
            "import",
            "--session",
            &session,
            roster.to_str().unwrap(),
        ],
    );
    assert!(printed.starts_with("candidate,code\nK1,"), "{printed}");
    // Again: an update, no new login.
    let again = vigil(
        &db,
        &[
            "candidates",
            "import",
            "--session",
            &session,
            roster.to_str().unwrap(),
        ],
    );
    assert!(
        again.contains("# 1 already registered: names and emails updated (K1)"),
        "{again}"
    );

    // Mail: the settings come from the environment, and say what is missing.
    let out = run_env(&db, &["candidates", "mail", &session], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VIGIL_SMTP_URL is not set"), "{err}");
    let (url, inbox) = crate::mail::smtp_server();
    let env = [
        ("VIGIL_SMTP_URL", url.as_str()),
        ("VIGIL_MAIL_FROM", "Concours <concours@example.fr>"),
        ("VIGIL_PUBLIC_URL", "https://examen.example.fr"),
    ];
    let out = run_env(&db, &["candidates", "mail", &session, "--lang", "en"], &env);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("1 convocations sent, 0 sent before, 0 failed"),
        "{said}"
    );
    let jade = inbox.to("jade@example.fr");
    assert_eq!(jade.len(), 1);
    assert!(jade[0].contains("Dear Jade Moreau,"), "{}", jade[0]);
    let out = run_env(&db, &["candidates", "mail", &session], &env);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 convocations sent, 1 sent before"));
    assert_eq!(inbox.to("jade@example.fr").len(), 1);
    let out = run_env(&db, &["candidates", "mail", &session, "--lang", "de"], &env);
    assert_eq!(out.status.code(), Some(2), "a usage error");

    // Nothing referred yet: the header alone.
    let listed = vigil(&db, &["sanctions", "export"]);
    assert_eq!(
        listed,
        "person,family_name,given_name,email,session,candidate,attempt,decision,excluded_until,\
         decided_by,decided_at,reason\n"
    );
}
