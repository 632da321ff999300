//! `vigil-server`: the command line of the Vigil server.
//!
//! `serve` runs the service; `demo` creates a ready demo session and serves
//! it; `exam import`, `session create`, `session require-kiosk`,
//! `candidates import|mail|move|set`, `proctor add`, `results export`, `sanctions
//! export`, `attempt show|import` and `purge` are the operator's tools.
//! This file only
//! parses the command line: each command is a function of
//! [`vigil_server::ops`] that returns a report, printed here as is; an
//! error is printed as `error: …` with exit status 1 (2 for a usage error,
//! from clap).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use vigil_server::auth::CodeHashing;
use vigil_server::clock::{Clock, SystemClock};
use vigil_server::ops::serve::{shutdown_signal, ServeOptions};
use vigil_server::ops::{self, MediaStore};
use vigil_server::{demo, roster};

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
    /// Sanctions decided after review.
    Sanctions {
        #[command(subcommand)]
        command: SanctionsCommand,
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
enum SanctionsCommand {
    /// The referrals to the Ministry's exams service (every attempt whose
    /// latest decision is `excluded` or `reported`), as CSV: person, names,
    /// email, session, candidate, attempt, decision, end of the exclusion,
    /// who and when, reason.
    Export {
        /// Write the CSV to this file instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
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
    /// Register the candidates of a CSV roster and print their logins. The
    /// header names the columns, in any order: `candidate` (required),
    /// `code` (empty: generated), `extra_time`, and a person's `person`,
    /// `family_name`, `given_name`, `email` (together). All or nothing; a
    /// re-import updates names and emails.
    Import {
        /// The session to register them in.
        #[arg(long)]
        session: String,
        /// The roster.
        file: PathBuf,
        /// Write the logins (`candidate,code`) to this file instead of printing them.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Register persons excluded from the tests anyway, for this reason
        /// (recorded with the session).
        #[arg(long, value_name = "REASON")]
        force: Option<String>,
    },
    /// Mail each candidate with an email their convocation and a fresh
    /// access code (settings from VIGIL_SMTP_URL, VIGIL_SMTP_USER,
    /// VIGIL_SMTP_PASSWORD, VIGIL_MAIL_FROM, VIGIL_PUBLIC_URL). Resumable:
    /// run again, it sends only what was not sent.
    Mail {
        /// The session.
        session: String,
        /// The messages' language: `fr` or `en`.
        #[arg(long, default_value = "fr", value_parser = parse_lang)]
        lang: vigil_server::mail::Lang,
        /// Send this candidate's convocation again (a new code), whatever
        /// an earlier run did. Repeatable.
        #[arg(long, value_name = "CANDIDATE")]
        resend: Vec<String>,
    },
    /// Move a person to another session after a technical failure: their
    /// attempt is closed as `technical_failure` (data kept) and they are
    /// registered in the other session with a fresh code, printed. Needs a
    /// validated pre-check, or `--force REASON`.
    Move {
        /// The session the person is registered in.
        #[arg(long)]
        from: String,
        /// The session to register them in.
        #[arg(long)]
        to: String,
        /// The person (the roster's `person`).
        person: String,
        /// Move without a validated pre-check (or despite an exclusion),
        /// for this reason (recorded).
        #[arg(long, value_name = "REASON")]
        force: Option<String>,
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

fn parse_lang(value: &str) -> Result<vigil_server::mail::Lang, String> {
    vigil_server::mail::Lang::parse(value).ok_or_else(|| format!("{value:?}: expected fr or en"))
}

fn parse_yes_no(value: &str) -> Result<bool, String> {
    roster::parse_yes_no(value).ok_or_else(|| format!("{value:?}: expected yes or no"))
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VIGIL_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built web app to serve (dist/, `cargo xtask build`).
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
    /// A reverse proxy (address or CIDR block, repeatable) whose
    /// X-Forwarded-For names the client for the per-address limits; the
    /// header of any other peer is ignored.
    #[arg(long = "trusted-proxy", env = "VIGIL_TRUSTED_PROXIES", value_name = "CIDR",
          value_delimiter = ',', value_parser = parse_proxy)]
    trusted_proxies: Vec<vigil_server::rate::IpNet>,
}

/// A trusted proxy: a CIDR block, or one address (a /32 or /128).
fn parse_proxy(value: &str) -> Result<vigil_server::rate::IpNet, String> {
    let value = value.trim();
    value
        .parse::<vigil_server::rate::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(Into::into))
        .map_err(|_| format!("{value:?}: expected an address or a CIDR block (10.0.0.0/8)"))
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
        /// The IANA time zone its times are shown in to people (pages,
        /// procès-verbal, convocations, results CSV).
        #[arg(long, value_name = "ZONE", default_value = "Europe/Paris")]
        time_zone: String,
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
    let (db, at) = ops::open_db(&cli.db, cli.database_url.as_deref()).await?;
    let now = SystemClock.now_ms();
    let hashing = CodeHashing::default();
    match cli.command {
        Command::Serve(args) => {
            ops::serve::serve(db, hashing, args.into(), &at, shutdown_signal()).await
        }
        Command::Demo {
            serve: args,
            exam,
            start_in,
            candidates,
            out,
            no_serve,
        } => {
            let options = ops::demo::DemoOptions {
                exam,
                start_in_s: start_in,
                candidates,
                url: format!("http://{}/", args.addr),
            };
            let created = ops::demo::create(&db, &hashing, &options, &at, now).await?;
            print!("{created}");
            if let Some(path) = out {
                print!("{}", ops::demo::write_logins(&created.info, &path)?);
            }
            if no_serve {
                return Ok(());
            }
            ops::serve::serve(db, hashing, args.into(), &at, shutdown_signal()).await
        }
        Command::Exam {
            command: ExamCommand::Import { file },
        } => print(ops::exams::import(&db, &file, now).await),
        Command::Session {
            command:
                SessionCommand::Create {
                    exam,
                    start,
                    grace,
                    candidates,
                    kiosk_key,
                    time_zone,
                },
        } => {
            let new = ops::sessions::NewSession {
                time_zone: Some(time_zone),
                exam,
                start,
                grace_min: grace,
                candidates,
                kiosk_key,
            };
            print(ops::sessions::create(&db, &hashing, &new, now).await)
        }
        Command::Session {
            command:
                SessionCommand::RequireKiosk {
                    session,
                    key,
                    clear: _,
                },
        } => print(ops::sessions::require_kiosk(&db, &session, key.as_deref()).await),
        Command::Candidates {
            command:
                CandidatesCommand::Set {
                    session,
                    candidate,
                    extra_time,
                },
        } => print(ops::candidates::set_extra_time(&db, &session, &candidate, extra_time).await),
        Command::Candidates {
            command:
                CandidatesCommand::Move {
                    from,
                    to,
                    person,
                    force,
                },
        } => print(
            roster::move_person(&db, &hashing, &from, &to, &person, force.as_deref(), now).await,
        ),
        Command::Candidates {
            command:
                CandidatesCommand::Mail {
                    session,
                    lang,
                    resend,
                },
        } => print(
            ops::candidates::mail(
                &db,
                &hashing,
                &session,
                &vigil_server::mail::MailOptions { lang, resend },
                &SystemClock,
            )
            .await,
        ),
        Command::Candidates {
            command:
                CandidatesCommand::Import {
                    session,
                    file,
                    out,
                    force,
                },
        } => print(
            ops::candidates::import(&db, &hashing, &session, &file, out.as_deref(), force, now)
                .await,
        ),
        Command::Proctor {
            command: ProctorCommand::Add { session, name },
        } => print(ops::proctors::add(&db, &hashing, &session, &name, now).await),
        Command::Results {
            command: ResultsCommand::Export { session, out },
        } => print(ops::results::export(&db, &session, out.as_deref(), now).await),
        Command::Sanctions {
            command: SanctionsCommand::Export { out },
        } => print(ops::sanctions::export(&db, out.as_deref()).await),
        Command::Attempt {
            command: AttemptCommand::Show { attempt },
        } => print(ops::attempts::show(&db, &attempt).await),
        Command::Attempt {
            command:
                AttemptCommand::Import {
                    file,
                    media_dir,
                    media_url,
                },
        } => {
            let media = MediaStore {
                dir: media_dir,
                url: media_url,
            };
            let state = ops::system_state(db, hashing, None, media, &at).await?;
            print(ops::attempts::import(&state, &file).await)
        }
        Command::Purge {
            older_than,
            dry_run,
            media_dir,
            media_url,
        } => {
            print!(
                "{}",
                ops::purge::records(&db, older_than, dry_run, now).await?
            );
            if dry_run {
                return Ok(());
            }
            let media = MediaStore {
                dir: media_dir,
                url: media_url,
            };
            print(ops::purge::sweep_files(&db, &media, &at, now).await)
        }
    }
}

/// Prints a command's report, exactly as its `Display` writes it.
fn print(report: anyhow::Result<impl std::fmt::Display>) -> anyhow::Result<()> {
    print!("{}", report?);
    Ok(())
}

impl From<ServeArgs> for ServeOptions {
    fn from(args: ServeArgs) -> Self {
        ServeOptions {
            addr: args.addr,
            static_dir: args.static_dir,
            media: MediaStore {
                dir: args.media_dir,
                url: args.media_url,
            },
            trusted_proxies: args.trusted_proxies,
        }
    }
}
