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
use crate::link::{AppStatus, Link, ReportBody};

/// Exit status when the machine checks refuse the launch.
pub const EXIT_REFUSED: i32 = 3;

/// What the launcher needs from its command line.
pub struct Options {
    pub url: url::Url,
    pub config: Config,
    pub browser: Option<std::path::PathBuf>,
    pub headless: bool,
    /// A profile kept by an earlier run, to finish an exam or its sending.
    pub resume: Option<std::path::PathBuf>,
}

/// The checks, then the browser until it exits; returns the exit status of
/// the launcher.
pub fn run(options: Options, facts: &dyn SystemFacts) -> anyhow::Result<i32> {
    let Options {
        url,
        config,
        browser: browser_path,
        headless,
        resume,
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
    let link = Link::start(&origin, ReportBody::new(&key, &report))?;
    let mut profile = match &resume {
        Some(dir) => Profile::reuse(dir, &config, &origin, Some(&link.origin()))?,
        None => Profile::create(&config, &origin, Some(&link.origin()))?,
    };
    let no_sandbox = browser::running_as_root();
    if no_sandbox {
        println!(
            "Attention : lancé en tant que root, le navigateur tourne sans son bac à sable \
             (--no-sandbox). Lancez vigil-kiosk avec un compte ordinaire."
        );
    }
    let target = browser::launch_url(&url, &key, Some(&link.fragment_value()));
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
    println!("Profil : {}", profile.path().display());

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
    let status = watch(&mut child, &config, facts, report, &stop, &link, &key)?;

    let app = link.status();
    drop(link);
    match exit_decision(app) {
        Exit::Done => {
            drop(profile);
            println!(
                "Examen terminé et entièrement envoyé au serveur ; navigateur fermé, \
                 profil temporaire effacé."
            );
            Ok(0)
        }
        Exit::NothingToKeep => {
            drop(profile);
            println!("Navigateur fermé ; profil temporaire effacé (aucune donnée d'examen).");
            Ok(status.code().unwrap_or(0))
        }
        Exit::Keep(why) => {
            let kept = profile.keep();
            println!(
                "Navigateur fermé ({status}) : {why}. Le profil, avec les réponses et les \
                 données de l'examen, est conservé dans {} : prévenez un surveillant, ou \
                 relancez avec --resume-profile {} pour reprendre et finir l'envoi.",
                kept.display(),
                kept.display()
            );
            Ok(match status.code() {
                Some(0) | None => EXIT_UNSENT,
                Some(c) => c,
            })
        }
    }
}

/// Exit status when the browser closed with exam data not yet sent (or
/// with an exam in progress): the profile is kept.
pub const EXIT_UNSENT: i32 = 4;

/// Seconds between "everything sent" and the browser closing, so the
/// candidate sees the finished screen at 100 %.
pub const CLOSE_DELAY: Duration = Duration::from_secs(5);

/// What becomes of the profile when the browser is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Submitted and fully acknowledged by the server: wipe.
    Done,
    /// The exam never started and nothing waits to be sent: wipe.
    NothingToKeep,
    /// Anything else: keep the profile, for the reason given (French).
    Keep(String),
}

/// The profile is wiped only when the app said nothing of value is left in
/// it; silence (an app that never reached the launcher) keeps it, because
/// losing answers is worse than leaving a folder behind.
pub fn exit_decision(app: Option<AppStatus>) -> Exit {
    match app {
        Some(s) if s.done() => Exit::Done,
        Some(s) if !s.started && s.pending == 0 => Exit::NothingToKeep,
        Some(s) if s.finished => Exit::Keep(format!(
            "l'examen est rendu mais {} élément(s) ne sont pas encore envoyés",
            s.pending
        )),
        Some(s) if s.started => Exit::Keep("l'examen n'était pas terminé".into()),
        Some(s) => Exit::Keep(format!(
            "{} élément(s) de la vérification d'identité ne sont pas encore envoyés",
            s.pending
        )),
        None => Exit::Keep("l'application d'examen n'a jamais signalé son état".into()),
    }
}

/// Waits for the browser, re-checking the machine and printing changes.
/// Closes the browser [`CLOSE_DELAY`] after the app reports the exam
/// submitted and fully sent; hands every re-check's report to the app.
fn watch(
    child: &mut std::process::Child,
    config: &Config,
    facts: &dyn SystemFacts,
    mut last: Report,
    stop: &AtomicBool,
    link: &Link,
    key: &str,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let every = Duration::from_secs(config.recheck_seconds);
    let mut next_check = started + every;
    let mut done_at: Option<Instant> = None;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if done_at.is_none() && link.status().is_some_and(|s| s.done()) {
            println!("Examen rendu et entièrement envoyé : fermeture du navigateur.");
            done_at = Some(Instant::now());
        }
        if done_at.is_some_and(|t| t.elapsed() >= CLOSE_DELAY) {
            let _ = child.kill();
            return Ok(child.wait()?);
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
            link.set_report(ReportBody::new(key, &report));
            last = report;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(pending: u64, started: bool, finished: bool) -> Option<AppStatus> {
        Some(AppStatus {
            pending,
            started,
            finished,
        })
    }

    #[test]
    fn the_profile_is_wiped_only_when_nothing_of_value_is_left() {
        assert_eq!(exit_decision(status(0, true, true)), Exit::Done);
        assert_eq!(exit_decision(status(0, false, false)), Exit::NothingToKeep);
        let keep = |s| matches!(exit_decision(s), Exit::Keep(_));
        assert!(keep(status(2, true, true)), "submitted, not all sent");
        assert!(keep(status(0, true, false)), "exam in progress");
        assert!(keep(status(1, false, false)), "identity photos unsent");
        assert!(keep(None), "the app never spoke");
        let Exit::Keep(why) = exit_decision(status(2, true, true)) else {
            unreachable!()
        };
        assert!(why.contains("2 élément(s)"), "{why}");
    }
}
