//! `vigil-kiosk`: the command line of the launcher. Parses arguments, loads
//! the configuration and hands over to [`vigil_kiosk::run`].
//!
//! Exit status: 0 when the exam was submitted and fully sent, else the
//! browser's own; 4 when the browser closed with exam data kept unsent; 3
//! when the machine checks refused the launch; 2 for a usage error; 1 for
//! any other error, among them a profile that could not be wiped and a
//! `--resume-profile` folder that is not one of the launcher's (the message,
//! on stderr, names the folder).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vigil_kiosk::config::Config;
use vigil_kiosk::facts::RealFacts;
use vigil_kiosk::{browser, checks, run};

#[derive(Parser)]
#[command(
    name = "vigil-kiosk",
    version,
    about = "Lance un navigateur verrouillé sur un examen Vigil, après avoir vérifié la machine."
)]
struct Cli {
    /// The exam URL (http or https).
    #[arg(long, value_parser = parse_url)]
    url: url::Url,
    /// The browser executable (default: the configuration's, else Chromium,
    /// Chrome or Edge in their usual places or in PATH).
    #[arg(long)]
    browser: Option<PathBuf>,
    /// Configuration file (TOML); defaults apply without one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Headless browser (tests and CI).
    #[arg(long)]
    headless: bool,
    /// Reuse a profile an earlier run kept (its path was printed), to
    /// finish the exam or send what is left. Only a folder the launcher
    /// created (it holds vigil-kiosk-profile.json) is accepted.
    #[arg(long, value_name = "DIR")]
    resume_profile: Option<PathBuf>,
    /// Print the config key for this URL and configuration, and exit.
    #[arg(long, conflicts_with_all = ["print_policy", "check_only"])]
    print_config_key: bool,
    /// Print the equivalent Chromium managed policy (JSON) and exit.
    #[arg(long, conflicts_with = "check_only")]
    print_policy: bool,
    /// Run the machine checks, print the report and exit (3 if refused).
    #[arg(long)]
    check_only: bool,
}

fn parse_url(s: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(s).map_err(|e| format!("adresse invalide ({e})"))?;
    browser::origin_of(&url).map_err(|e| e.to_string())?;
    Ok(url)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match main_inner(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn main_inner(cli: Cli) -> anyhow::Result<i32> {
    let config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let origin = browser::origin_of(&cli.url)?;
    if cli.print_config_key {
        println!("{}", config.config_key(&origin));
        return Ok(0);
    }
    if cli.print_policy {
        let policy = browser::managed_policy(&config, &origin);
        println!("{}", serde_json::to_string_pretty(&policy)?);
        return Ok(0);
    }
    let facts = RealFacts::default();
    if cli.check_only {
        let report = checks::evaluate(&config, &facts);
        print!("{}", report.render_fr());
        return Ok(if report.denied() {
            run::EXIT_REFUSED
        } else {
            0
        });
    }
    run::run(
        run::Options {
            url: cli.url,
            config,
            browser: cli.browser,
            headless: cli.headless,
            resume: cli.resume_profile,
        },
        &facts,
    )
}
