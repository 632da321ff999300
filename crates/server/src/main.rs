//! `vigil-server`: the command line of the Vigil server.
//!
//! `serve` runs the service; `demo` creates a ready demo session and serves
//! it; `exam import`, `session create`, `session require-kiosk`, `candidates
//! import` and `results export` are the operator's tools. All the
//! work is in the library (`vigil_server::…`); this file parses arguments,
//! binds the socket and waits for Ctrl-C.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use vigil_server::auth::CodeHashing;
use vigil_server::blobs::BlobStore;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::db::Db;
use vigil_server::{app, demo, roster, AppState};

#[derive(Parser)]
#[command(name = "vigil-server", version, about = "Vigil exam server")]
struct Cli {
    /// SQLite database file (created if missing); ignored with --database-url.
    #[arg(long, global = true, env = "VIGIL_DB", default_value = "vigil.sqlite3")]
    db: PathBuf,
    /// Database URL instead of the SQLite file: `postgres://user@host/db`
    /// (a PostgreSQL database, migrated on start) or `sqlite://PATH`.
    #[arg(long, global = true, env = "VIGIL_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the built web app.
    Serve(ServeArgs),
    /// Create a fresh demo session with candidates, print their logins, and serve.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// The exam of the demo session.
        #[arg(long, default_value = "exams/demo-short.toml")]
        exam: PathBuf,
        /// Seconds until the start window opens.
        #[arg(long, env = "VIGIL_DEMO_START_IN", default_value_t = 0)]
        start_in: u32,
        /// Number of candidates to create.
        #[arg(long, default_value_t = demo::DEMO_CANDIDATES)]
        candidates: usize,
        /// Where to write the demo logins as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Create the session and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Exam definitions.
    Exam {
        #[command(subcommand)]
        command: ExamCommand,
    },
    /// Exam sessions (one exam at a scheduled time).
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
    /// Candidates of a session.
    Candidates {
        #[command(subcommand)]
        command: CandidatesCommand,
    },
    /// Proctor accounts.
    Proctor {
        #[command(subcommand)]
        command: ProctorCommand,
    },
    /// Results of a session, scored by the engine from the synced logs.
    Results {
        #[command(subcommand)]
        command: ResultsCommand,
    },
    /// Retention: delete the sessions scheduled more than DAYS ago, with
    /// their candidates, attempts, logs, media and decisions (export the
    /// results first). Exams and proctor accounts stay.
    Purge {
        /// Age in days, counted from a session's scheduled start (at least 1,
        /// so nothing still syncing is touched).
        #[arg(long, value_name = "DAYS")]
        older_than: u32,
        /// Print what would go, delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// The media store (default: `media/` beside the database file).
        #[arg(long, env = "VIGIL_MEDIA_DIR")]
        media_dir: Option<PathBuf>,
        /// The media blobs in an S3-compatible bucket, `s3://BUCKET[/PREFIX]`
        /// (credentials and endpoint from the AWS_* variables).
        #[arg(long, env = "VIGIL_MEDIA_URL", value_name = "s3://BUCKET[/PREFIX]")]
        media_url: Option<String>,
    },
    /// One attempt, for operators and support.
    Attempt {
        #[command(subcommand)]
        command: AttemptCommand,
    },
}

#[derive(Subcommand)]
enum AttemptCommand {
    /// Print the attempt as JSON: state, events held (count, highest seq,
    /// whether every seq from 1 is there exactly once), the hash-chain
    /// verification, and the review flags.
    Show {
        /// The attempt id (`att-…`).
        attempt: String,
    },
    /// Import the encrypted copy a candidate saved when the network never
    /// came back (`vigil-….vigilcopy`): decrypted with its session's key,
    /// its log verified as a sync verifies it and stored with its media,
    /// exactly once, the attempt flagged `manual_import` (and `late` past
    /// the sync deadline). Prints what was imported as JSON. A log that
    /// conflicts with the one stored is refused and flagged `tampering`.
    Import {
        /// The copy file.
        file: PathBuf,
        /// The media store (default: `media/` beside the database file).
        #[arg(long, env = "VIGIL_MEDIA_DIR")]
        media_dir: Option<PathBuf>,
        /// The media blobs in an S3-compatible bucket, `s3://BUCKET[/PREFIX]`.
        #[arg(long, env = "VIGIL_MEDIA_URL", value_name = "s3://BUCKET[/PREFIX]")]
        media_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum ProctorCommand {
    /// Create a proctor (printing a new password) and assign a session; an
    /// existing proctor is only assigned the session.
    Add {
        /// The session the proctor reviews.
        #[arg(long)]
        session: String,
        /// Login name.
        name: String,
    },
}

#[derive(Subcommand)]
enum ResultsCommand {
    /// One CSV row per candidate: state, times, points per section and
    /// total, right/wrong/partial/blank counts, review flags.
    Export {
        /// The session.
        session: String,
        /// Write the CSV to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CandidatesCommand {
    /// Register the candidates of a CSV roster (header `candidate`, then
    /// optionally `code` and `extra_time`; empty codes are generated) and
    /// print their logins.
    Import {
        /// The session to register them in.
        #[arg(long)]
        session: String,
        /// The roster.
        file: PathBuf,
        /// Write the logins (`candidate,code`) to this file instead of printing them.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Change one candidate's accommodations before their attempt starts.
    Set {
        /// The session the candidate is registered in.
        #[arg(long)]
        session: String,
        /// The candidate id.
        candidate: String,
        /// Extra time (tiers-temps): `yes` or `no`.
        #[arg(long, value_name = "yes|no", value_parser = parse_yes_no, action = clap::ArgAction::Set)]
        extra_time: bool,
    },
}

fn parse_yes_no(value: &str) -> Result<bool, String> {
    roster::parse_yes_no(value).ok_or_else(|| format!("{value:?}: expected yes or no"))
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VIGIL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built web app to serve (Trunk's dist/).
    #[arg(long, env = "VIGIL_STATIC_DIR")]
    static_dir: Option<PathBuf>,
    /// The media folder (default: `media/` beside the database file): the
    /// uploads in progress, and the blobs unless --media-url is given.
    #[arg(long, env = "VIGIL_MEDIA_DIR")]
    media_dir: Option<PathBuf>,
    /// Keep the verified media blobs in an S3-compatible bucket instead,
    /// `s3://BUCKET[/PREFIX]`. Credentials, region and endpoint come from
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT
    /// (and AWS_ALLOW_HTTP=true for a server without TLS).
    #[arg(long, env = "VIGIL_MEDIA_URL", value_name = "s3://BUCKET[/PREFIX]")]
    media_url: Option<String>,
}

#[derive(Subcommand)]
enum ExamCommand {
    /// Validate an exam written in TOML and store it.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Schedule a session of an imported exam and create its candidates.
    Create {
        /// Exam id (as imported).
        #[arg(long)]
        exam: String,
        /// Scheduled start, RFC 3339 (e.g. 2026-12-01T09:00:00Z).
        #[arg(long)]
        start: String,
        /// Late-entry grace in minutes (0: a late candidate cannot sit).
        #[arg(long, default_value_t = 0)]
        grace: u32,
        /// Number of candidates to create with fresh access codes.
        #[arg(long, default_value_t = 0)]
        candidates: usize,
        /// Require the vigil-kiosk launcher with this config key
        /// (`vigil-kiosk --url URL --config FILE --print-config-key`).
        #[arg(long)]
        kiosk_key: Option<String>,
    },
    /// Require the vigil-kiosk launcher with a given config key for a
    /// session's candidate API (or, with --clear, any browser again).
    RequireKiosk {
        /// The session.
        session: String,
        /// The config key (64 hex digits).
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        key: Option<String>,
        /// Remove the requirement.
        #[arg(long)]
        clear: bool,
    },
}

/// Errors are printed as one readable chain (`error: importing x: invalid
/// exam: …`), without a backtrace, and exit with status 1.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "vigil_server=info,tower_http=warn".into()),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let db = match &cli.database_url {
        Some(url) => Db::open_url(url)
            .await
            .with_context(|| format!("opening database {}", redact_url(url)))?,
        None => Db::open_file(&cli.db)
            .await
            .with_context(|| format!("opening database {}", cli.db.display()))?,
    };
    // Where the database is, for messages; the media store defaults to
    // `media/` beside the SQLite file (the working directory otherwise).
    let db_label = match &cli.database_url {
        Some(url) => redact_url(url),
        None => cli.db.display().to_string(),
    };
    let db_dir = match &cli.database_url {
        Some(_) => PathBuf::from("."),
        None => cli
            .db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .to_owned(),
    };
    let db_at = DbAt {
        label: db_label,
        dir: db_dir,
    };
    let clock = SystemClock;
    let hashing = CodeHashing::default();
    match cli.command {
        Command::Serve(args) => serve(db, hashing, args, &db_at).await,
        Command::Demo {
            serve: args,
            exam,
            start_in,
            candidates,
            out,
            no_serve,
        } => {
            let text = std::fs::read_to_string(&exam)
                .with_context(|| format!("reading exam {}", exam.display()))?;
            let url = format!("http://{}/", args.addr);
            let info = demo::create_demo(
                &db,
                &hashing,
                &text,
                clock.now_ms(),
                i64::from(start_in) * 1000,
                candidates,
                url,
            )
            .await?;
            print_demo(&info, &db_at.label);
            if let Some(path) = out {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, serde_json::to_string_pretty(&info)?)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("Demo logins written to {}", path.display());
            }
            if no_serve {
                return Ok(());
            }
            serve(db, hashing, args, &db_at).await
        }
        Command::Exam {
            command: ExamCommand::Import { file },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let summary = demo::import_exam(&db, &text, clock.now_ms())
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!(
                "Imported exam {} \"{}\": {} sections, {} questions, {} min",
                summary.id,
                summary.title,
                summary.section_count,
                summary.question_count,
                summary.duration_ms / 60_000
            );
            Ok(())
        }
        Command::Session {
            command:
                SessionCommand::Create {
                    exam,
                    start,
                    grace,
                    candidates,
                    kiosk_key,
                },
        } => {
            // Checked before anything is created.
            let kiosk_key = kiosk_key
                .as_deref()
                .map(vigil_server::kiosk::normalize_key)
                .transpose()?;
            let start = humantime::parse_rfc3339_weak(&start)
                .with_context(|| format!("--start {start:?} is not an RFC 3339 time"))?;
            let starts_at = start
                .duration_since(std::time::UNIX_EPOCH)
                .context("--start is before 1970")?
                .as_millis() as i64;
            let demo::CreatedSession {
                session,
                start_code,
            } = demo::create_session(
                &db,
                &exam,
                starts_at,
                i64::from(grace) * 60_000,
                clock.now_ms(),
            )
            .await?;
            println!("Session {} created", session.id);
            println!("Start code: {start_code}");
            println!("  (print it for the proctors; it unlocks the exam offline, see docs/architecture.md)");
            if let Some(key) = &kiosk_key {
                vigil_server::kiosk::require(&db, &session.id, Some(key)).await?;
                println!("Kiosk required: config key {key}");
            }
            if candidates > 0 {
                let logins =
                    demo::create_candidates(&db, &hashing, &session.id, candidates).await?;
                println!("candidate,code");
                for c in logins {
                    println!("{},{}", c.id, c.code);
                }
            }
            Ok(())
        }
        Command::Session {
            command:
                SessionCommand::RequireKiosk {
                    session,
                    key,
                    clear: _,
                },
        } => {
            vigil_server::kiosk::require(&db, &session, key.as_deref()).await?;
            match key {
                Some(_) => println!(
                    "Session {session}: the candidate API now requires vigil-kiosk with this \
                     config key"
                ),
                None => println!("Session {session}: any browser may sit it"),
            }
            Ok(())
        }
        Command::Candidates {
            command:
                CandidatesCommand::Set {
                    session,
                    candidate,
                    extra_time,
                },
        } => {
            roster::set_extra_time(&db, &session, &candidate, extra_time).await?;
            let word = if extra_time { "granted" } else { "withdrawn" };
            println!("Extra time {word} for candidate {candidate} of session {session}.");
            Ok(())
        }
        Command::Candidates {
            command: CandidatesCommand::Import { session, file, out },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let logins = roster::import(&db, &hashing, &session, &text)
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            let csv = roster::to_csv(&logins);
            match out {
                Some(path) => {
                    std::fs::write(&path, csv)
                        .with_context(|| format!("writing {}", path.display()))?;
                    println!(
                        "{} candidates registered in session {session}; logins written to {}",
                        logins.len(),
                        path.display()
                    );
                }
                None => print!("{csv}"),
            }
            Ok(())
        }
        Command::Proctor {
            command: ProctorCommand::Add { session, name },
        } => {
            let password =
                vigil_server::review::add_proctor(&db, &hashing, &session, &name, clock.now_ms())
                    .await?;
            match password {
                Some(p) => println!("Proctor {name} created for session {session}\nPassword: {p}"),
                None => println!("Proctor {name} exists; session {session} assigned"),
            }
            println!("  (log in at /review/login)");
            Ok(())
        }
        Command::Results {
            command: ResultsCommand::Export { session, out },
        } => export_results(&db, &session, out).await,
        Command::Attempt {
            command: AttemptCommand::Show { attempt },
        } => show_attempt(&db, &attempt).await,
        Command::Attempt {
            command:
                AttemptCommand::Import {
                    file,
                    media_dir,
                    media_url,
                },
        } => {
            let media = Media {
                dir: media_dir,
                url: media_url,
            };
            let state = system_state(db, hashing, None, media, &db_at).await?;
            import_copy(&state, &file).await
        }
        Command::Purge {
            older_than,
            dry_run,
            media_dir,
            media_url,
        } => {
            anyhow::ensure!(
                older_than >= 1,
                "--older-than must be at least 1 day: data may still be syncing for 12 h after an exam"
            );
            let now = vigil_server::clock::SystemClock.now_ms();
            let cutoff = now - i64::from(older_than) * 86_400_000;
            let c = db.purge_sessions_before(cutoff, now, dry_run).await?;
            let verb = if dry_run { "Would delete" } else { "Deleted" };
            println!(
                "{verb} {} session(s), {} attempt(s), {} event(s), {} media record(s) \
                 scheduled before {}.",
                c.sessions,
                c.attempts,
                c.events,
                c.media,
                vigil_server::results::rfc3339(cutoff)
            );
            if !dry_run {
                let dir = media_dir.unwrap_or_else(|| db_at.dir.join("media"));
                let (files, bytes) = vigil_server::results::sweep_stale_partials(&db, &dir, now)
                    .await
                    .with_context(|| {
                        format!("sweeping the partial uploads in {}", dir.display())
                    })?;
                println!(
                    "Removed {files} partial upload file(s), {bytes} bytes, from {}.",
                    dir.join("partial").display()
                );
                let blobs = blob_store(media_url.as_deref(), &dir).await?;
                let keep = db.media_hashes().await?;
                let (files, bytes) = blobs
                    .sweep(&keep)
                    .await
                    .with_context(|| format!("sweeping the media store {}", blobs.describe()))?;
                println!(
                    "Removed {files} media file(s), {bytes} bytes, from {}.",
                    blobs.describe()
                );
            }
            Ok(())
        }
    }
}

/// `attempt import FILE`: reads at most the copy limit, imports, prints JSON.
async fn import_copy(state: &AppState, file: &Path) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("reading {}", file.display()))?
        .len();
    anyhow::ensure!(
        size <= vigil_copy::MAX_COPY_BYTES,
        "{}: {size} bytes, a copy is at most {} bytes",
        file.display(),
        vigil_copy::MAX_COPY_BYTES
    );
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let report = vigil_server::copies::import(state, &bytes)
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

async fn show_attempt(db: &Db, id: &str) -> anyhow::Result<()> {
    let Some(a) = db.attempt(id).await? else {
        anyhow::bail!("no attempt {id}");
    };
    let events = db.events(id).await?;
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let complete = seqs.iter().copied().eq(1..=seqs.len() as u64);
    let chain = match vigil_exam::verify_from(&a.genesis(), &events) {
        Ok(()) => "intact".to_string(),
        Err(e) => format!("broken: {e}"),
    };
    let flags: Vec<_> = db
        .flags(id)
        .await?
        .into_iter()
        .map(|f| serde_json::json!({ "kind": f.kind, "detail": f.detail, "at": f.at }))
        .collect();
    // The incidents as the log tells them, each with its evidence still and
    // whether the server holds that still.
    let dossier = vigil_server::dossier::Dossier::from_events(&events);
    let mut incidents = Vec::new();
    for i in &dossier.incidents {
        let stored = match &i.evidence {
            Some(sha) => db.media_size(id, sha).await?.is_some(),
            None => false,
        };
        incidents.push(serde_json::json!({
            "kind": i.kind,
            "severity": i.severity,
            "opened_at": i.opened_at,
            "closed_at": i.closed_at,
            "evidence_sha256": i.evidence,
            "evidence_stored": stored,
        }));
    }
    let out = serde_json::json!({
        "attempt": a.id,
        "session": a.session_id,
        "candidate": a.candidate_id,
        "state": a.state,
        "started_at": a.started_at,
        "events": events.len(),
        "last_seq": seqs.last().copied().unwrap_or(0),
        "each_seq_once": complete,
        "chain": chain,
        "flags": flags,
        "incidents": incidents,
        "face_match": dossier.face_match,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Where the database is: a printable name (no password) and the folder
/// the media store defaults to.
struct DbAt {
    label: String,
    dir: PathBuf,
}

/// A database URL without its password, for messages and logs.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn export_results(db: &Db, session: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    let now = vigil_server::clock::SystemClock.now_ms();
    let results = vigil_server::results::session_results(db, session, now).await?;
    let csv = results.to_csv();
    match out {
        Some(path) => {
            std::fs::write(&path, csv).with_context(|| format!("writing {}", path.display()))?;
            println!(
                "Results of {} candidates of session {session} written to {}",
                results.rows.len(),
                path.display()
            );
        }
        None => print!("{csv}"),
    }
    Ok(())
}

fn print_demo(info: &demo::DemoInfo, db: &str) {
    println!();
    println!("Vigil demo");
    println!("  URL:       {}", info.url);
    println!("  database:  {db}");
    println!("  exam:      {}", info.exam);
    println!("  session:   {}", info.session);
    println!("  start code (offline unlock): {}", info.start_code);
    println!("  candidates (id / code):");
    for c in &info.candidates {
        println!("    {}  {}", c.id, c.code);
    }
    println!();
}

async fn serve(db: Db, hashing: CodeHashing, args: ServeArgs, db_at: &DbAt) -> anyhow::Result<()> {
    if let Some(dir) = &args.static_dir {
        anyhow::ensure!(
            dir.join("index.html").is_file(),
            "--static-dir {}: no index.html there (build the app first: `cargo xtask build`)",
            dir.display()
        );
    }
    let media = Media {
        dir: args.media_dir,
        url: args.media_url,
    };
    let state = system_state(db, hashing, args.static_dir, media, db_at).await?;
    // Partial uploads that can no longer complete go, with the personal data
    // they may hold, once their attempt's sync deadline has passed.
    {
        let (db, dir) = (state.db.clone(), state.media_dir.clone());
        tokio::spawn(async move {
            let every =
                std::time::Duration::from_millis(vigil_server::results::PARTIAL_SWEEP_EVERY_MS);
            loop {
                tokio::time::sleep(every).await;
                let now = SystemClock.now_ms();
                match vigil_server::results::sweep_stale_partials(&db, &dir, now).await {
                    Ok((0, _)) => {}
                    Ok((files, bytes)) => {
                        tracing::info!(files, bytes, "swept stale partial uploads")
                    }
                    Err(e) => tracing::warn!(error = %e, "sweeping partial uploads"),
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("binding {}", args.addr))?;
    tracing::info!(addr = %args.addr, db = %db_at.label, "serving");
    println!("Listening on http://{}/ (Ctrl-C to stop)", args.addr);
    // With the peer address, for the per-address rate limits.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    println!("Stopped.");
    Ok(())
}

/// Where the media go, as the command line says (`--media-dir`,
/// `--media-url`).
struct Media {
    dir: Option<PathBuf>,
    url: Option<String>,
}

/// The state of a command that serves or stores like the server does
/// (`serve`, `attempt import`): the media folder (made if missing, by
/// default `media/` beside the database) and the blob store, checked.
async fn system_state(
    db: Db,
    hashing: CodeHashing,
    static_dir: Option<PathBuf>,
    media: Media,
    db_at: &DbAt,
) -> anyhow::Result<AppState> {
    let media_dir = media.dir.unwrap_or_else(|| db_at.dir.join("media"));
    std::fs::create_dir_all(&media_dir)
        .with_context(|| format!("creating the media folder {}", media_dir.display()))?;
    let blobs = blob_store(media.url.as_deref(), &media_dir).await?;
    Ok(AppState {
        db,
        clock: Arc::new(SystemClock),
        static_dir,
        hashing,
        media_dir,
        blobs,
        uploads: Default::default(),
        limits: Default::default(),
        quotas: Default::default(),
    })
}

/// The blob store: the S3-compatible bucket of `media_url` if given, else
/// the media folder; checked before use, so a wrong bucket, endpoint or key
/// stops the command with the store's own message.
async fn blob_store(media_url: Option<&str>, media_dir: &Path) -> anyhow::Result<BlobStore> {
    let blobs = match media_url {
        Some(url) => BlobStore::s3(url, &[]).map_err(anyhow::Error::msg)?,
        None => BlobStore::Folder(media_dir.to_owned()),
    };
    blobs
        .check()
        .await
        .with_context(|| format!("opening the media store {}", blobs.describe()))?;
    tracing::info!(store = %blobs.describe(), "media store");
    Ok(blobs)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_urls_are_printed_without_their_password() {
        assert_eq!(
            redact_url("postgres://vigil:s3cret@db:5432/vigil"),
            "postgres://vigil:***@db:5432/vigil"
        );
        assert_eq!(
            redact_url("postgres://vigil@db/vigil"),
            "postgres://vigil@db/vigil"
        );
        assert_eq!(redact_url("sqlite:///a@b/x.db"), "sqlite:///a@b/x.db");
    }
}
