//! Running the exam: the checks before, the browser, the checks during, and
//! the exit.
//!
//! The launcher waits for the browser, polling it four times a second so
//! it can re-check the machine every `recheck_seconds` and stop the browser
//! on Ctrl-C. When the browser exits normally its profile is wiped; when it
//! crashes (or is killed) the profile is kept and its path printed, because
//! the app's IndexedDB inside it may hold answers not yet synced.

use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::browser::{self, Launch, Profile};
use crate::checks::{self, Report};
use crate::config::Config;
use crate::facts::SystemFacts;

/// Exit status when the machine checks refuse the launch.
pub const EXIT_REFUSED: i32 = 3;

/// What the launcher needs from its command line.
pub struct Options {
    pub url: url::Url,
    pub config: Config,
    pub browser: Option<std::path::PathBuf>,
    pub headless: bool,
}

/// The checks, then the browser until it exits; returns the exit status of
/// the launcher.
pub fn run(options: Options, facts: &dyn SystemFacts) -> anyhow::Result<i32> {
    let Options {
        url,
        config,
        browser: browser_path,
        headless,
    } = options;
    let origin = browser::origin_of(&url)?;
    let key = config.config_key(&origin);

    let report = checks::evaluate(&config, facts);
    print!("{}", report.render_fr());
    if report.denied() {
        return Ok(EXIT_REFUSED);
    }

    let explicit = browser_path.or_else(|| config.browser.path.clone());
    let exe = browser::find_browser(explicit.as_deref())?;
    let mut profile = Profile::create(&config, &origin)?;
    let no_sandbox = browser::running_as_root();
    if no_sandbox {
        println!(
            "Attention : lancé en tant que root, le navigateur tourne sans son bac à sable \
             (--no-sandbox). Lancez vigil-kiosk avec un compte ordinaire."
        );
    }
    let target = browser::launch_url(&url, &key);
    let args = browser::arguments(&Launch {
        config: &config,
        profile: profile.path(),
        url: &target,
        headless,
        no_sandbox,
    });
    println!("Navigateur : {}", exe.display());
    println!("Clé de configuration : {key}");
    println!("Examen : {url}");

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // A second handler cannot be installed (tests run `run` once per
        // process at most); failing to install one only loses the clean stop.
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }

    let mut child = Command::new(&exe)
        .args(&args)
        .spawn()
        .map_err(|e| anyhow::anyhow!("impossible de lancer {} : {e}", exe.display()))?;
    let status = watch(&mut child, &config, facts, report, &stop)?;

    if status.success() || stop.load(Ordering::SeqCst) {
        drop(profile);
        println!("Navigateur fermé ; profil temporaire effacé.");
        Ok(status.code().unwrap_or(0))
    } else {
        let kept = profile.keep();
        println!(
            "Le navigateur s'est arrêté anormalement ({status}). Son profil, avec les réponses \
             peut-être pas encore envoyées, est conservé dans {} : prévenez un surveillant.",
            kept.display()
        );
        Ok(status.code().unwrap_or(1))
    }
}

/// Waits for the browser, re-checking the machine and printing changes.
fn watch(
    child: &mut std::process::Child,
    config: &Config,
    facts: &dyn SystemFacts,
    mut last: Report,
    stop: &AtomicBool,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let every = Duration::from_secs(config.recheck_seconds);
    let mut next_check = started + every;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if stop.load(Ordering::SeqCst) {
            println!("Interruption : fermeture du navigateur.");
            let _ = child.kill();
            return Ok(child.wait()?);
        }
        if config.recheck_seconds > 0 && Instant::now() >= next_check {
            next_check += every;
            let report = checks::evaluate(config, facts);
            let elapsed = started.elapsed().as_secs();
            for line in report.changes_since(&last) {
                eprintln!(
                    "[{:02}:{:02}:{:02}] Changement — {line}",
                    elapsed / 3600,
                    elapsed / 60 % 60,
                    elapsed % 60
                );
            }
            last = report;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}
