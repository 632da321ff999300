//! Running the exam: the checks before, the browser, the checks during, and
//! the exit.
//!
//! The launcher waits for the browser, polling it four times a second so
//! it can re-check the machine every `recheck_seconds` and stop the browser
//! on Ctrl-C. When the browser is gone the profile is wiped only if what
//! the app said over the link, checked against everything the launcher
//! heard ([`crate::link::Record`]), shows that nothing unsent is left in it
//! ([`exit_decision`]); otherwise it is kept and its path printed with the
//! way to resume, because the app's IndexedDB inside it may hold answers
//! not yet synced. A wipe that fails is an error naming the folder.

use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::browser::{self, Launch, Profile};
use crate::checks::{self, Report};
use crate::config::Config;
use crate::facts::SystemFacts;
use crate::link::{report_body, AppStatus, Link, Record};

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
    let link = Link::start(&origin, report_body(&key, &report))?;
    let link_origin = link.origin();
    let mut profile = match &resume {
        Some(dir) => Profile::reuse(dir, &config, &origin, &[&link_origin])?,
        None => Profile::create(&config, &origin, &[&link_origin])?,
    };
    let no_sandbox = browser::running_as_root();
    if no_sandbox {
        println!(
            "Attention : lancé en tant que root, le navigateur tourne sans son bac à sable \
             (--no-sandbox). Lancez vigil-kiosk avec un compte ordinaire."
        );
    }
    // The exam URL carries the link's secret: it goes into the start page,
    // in the private profile folder, and the command line names only the
    // page (see the `browser` module).
    let target = browser::launch_url(&url, &key, Some(&link.fragment_value()));
    let start = profile.write_start_page(&target)?;
    let args = browser::arguments(&Launch {
        config: &config,
        profile: profile.path(),
        start: start.as_str(),
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
    profile.browser_started();
    let resumed = profile.resumed();
    let watched = watch(
        &mut child,
        &Watched {
            config: &config,
            facts,
            stop: &stop,
            link: &link,
            key: &key,
            profile: &profile,
            resumed,
        },
        report,
    );
    let status = match watched {
        Ok(status) => status,
        Err(e) => {
            let kept = profile.keep();
            return Err(e.context(format!(
                "navigateur perdu de vue ; le profil est conservé dans {} \
                 (--resume-profile {} pour reprendre)",
                kept.display(),
                kept.display()
            )));
        }
    };

    let (app, record) = (link.status(), link.record());
    drop(link);
    match exit_decision(app.as_ref(), &record, resumed) {
        Exit::Done => {
            profile
                .wipe()
                .context("examen terminé et entièrement envoyé au serveur, navigateur fermé")?;
            println!(
                "Examen terminé et entièrement envoyé au serveur ; navigateur fermé, \
                 profil temporaire effacé."
            );
            Ok(0)
        }
        Exit::NothingToKeep => {
            profile
                .wipe()
                .context("navigateur fermé sans donnée d'examen à garder")?;
            println!(
                "Navigateur fermé ; profil temporaire effacé (aucune donnée d'examen à garder)."
            );
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

/// Whether the profile may be wiped, from the app's last status checked
/// against the launcher's [`Record`] of everything it heard. The profile is
/// wiped only when the status says, with acknowledgements the record does
/// not contradict, that the server holds every event the app ever reported
/// logged and every media (`acked_seq` ≥ the highest `logged_seq` ever
/// seen, nothing pending): then `Done` if the exam was submitted, or
/// `NothingToKeep` if it was never started. Everything else keeps it:
/// silence (an app that never reached the launcher), an old app that does
/// not report acknowledgements, statuses that contradict each other (a
/// forged one among them), an exam in progress. For a resumed profile
/// (`resumed`), which was kept because it held exam data, "never started"
/// counts only if the app reported a log: the launcher does not wipe it on
/// the word of a status that says it found nothing. Losing answers is worse
/// than leaving a folder behind.
pub fn exit_decision(app: Option<&AppStatus>, record: &Record, resumed: bool) -> Exit {
    let Some(s) = app else {
        return Exit::Keep("l'application d'examen n'a jamais signalé son état".into());
    };
    if let Some(c) = &record.contradiction {
        return Exit::Keep(format!(
            "le lien avec l'application a reçu des états contradictoires ({c}) : un autre \
             programme a pu lui écrire, rien n'est effacé"
        ));
    }
    // A resumed profile held exam data: a report of an empty log there
    // means the app did not find it, not that there is nothing.
    let reported_empty_resume = resumed && record.max_logged_seq == 0;
    match record.unsent(s) {
        None if s.finished => Exit::Done,
        None if !record.ever_started && !reported_empty_resume => Exit::NothingToKeep,
        None if s.started => Exit::Keep("l'examen n'était pas terminé".into()),
        None => Exit::Keep(
            "profil repris dans lequel l'application n'a signalé aucune donnée : conservé \
             par prudence"
                .into(),
        ),
        Some(why) if s.finished => Exit::Keep(format!("l'examen est rendu mais {why}")),
        Some(_) if s.started => Exit::Keep("l'examen n'était pas terminé".into()),
        Some(_) if s.pending > 0 => Exit::Keep(format!(
            "{} élément(s) de la vérification d'identité ne sont pas encore envoyés",
            s.pending
        )),
        Some(why) => Exit::Keep(why),
    }
}

/// What [`watch`] reads and acts on.
struct Watched<'a> {
    config: &'a Config,
    facts: &'a dyn SystemFacts,
    stop: &'a AtomicBool,
    link: &'a Link,
    key: &'a str,
    profile: &'a Profile,
    resumed: bool,
}

/// Waits for the browser, re-checking the machine and printing changes.
/// Closes the browser [`CLOSE_DELAY`] after [`exit_decision`] says `Done`,
/// if it still says so then (a later status can take it back); hands every
/// re-check's report to the app; deletes the start page once the app has
/// reached the link; warns once if the link hears contradictory statuses.
fn watch(
    child: &mut std::process::Child,
    w: &Watched,
    mut last: Report,
) -> anyhow::Result<ExitStatus> {
    let started = Instant::now();
    let every = Duration::from_secs(w.config.recheck_seconds);
    let mut next_check = started + every;
    let mut done_at: Option<Instant> = None;
    let mut start_page_removed = false;
    let mut warned = false;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if !start_page_removed && w.link.contacted() {
            start_page_removed = true;
            if let Err(e) = w.profile.remove_start_page() {
                eprintln!("Attention : {e:#}");
            }
        }
        let record = w.link.record();
        if let (Some(c), false) = (&record.contradiction, warned) {
            warned = true;
            eprintln!(
                "Attention : le lien avec l'application a reçu des états contradictoires \
                 ({c}) ; le profil ne sera pas effacé."
            );
        }
        let done = exit_decision(w.link.status().as_ref(), &record, w.resumed) == Exit::Done;
        match (done, done_at) {
            (true, None) => {
                println!("Examen rendu et entièrement envoyé : fermeture du navigateur.");
                done_at = Some(Instant::now());
            }
            (false, Some(_)) => {
                println!("Fermeture annulée : l'application signale des données non envoyées.");
                done_at = None;
            }
            _ => {}
        }
        if done_at.is_some_and(|t| t.elapsed() >= CLOSE_DELAY) {
            let _ = child.kill();
            return Ok(child.wait()?);
        }
        if w.stop.load(Ordering::SeqCst) {
            println!("Interruption : fermeture du navigateur.");
            let _ = child.kill();
            return Ok(child.wait()?);
        }
        if w.config.recheck_seconds > 0 && Instant::now() >= next_check {
            next_check += every;
            let report = checks::evaluate(w.config, w.facts);
            let elapsed = started.elapsed().as_secs();
            for line in report.changes_since(&last) {
                eprintln!(
                    "[{:02}:{:02}:{:02}] Changement — {line}",
                    elapsed / 3600,
                    elapsed / 60 % 60,
                    elapsed % 60
                );
            }
            w.link.set_report(report_body(w.key, &report));
            last = report;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(logged: u64, acked: u64, media: u64, started: bool, finished: bool) -> AppStatus {
        AppStatus::complete(logged, acked, media, started, finished)
    }

    /// The decision after the link heard `heard`, in order (the last one is
    /// the latest status).
    fn decide(heard: &[AppStatus], resumed: bool) -> Exit {
        let mut record = Record::default();
        for s in heard {
            record.observe(s);
        }
        exit_decision(heard.last(), &record, resumed)
    }

    fn keep(heard: &[AppStatus]) -> bool {
        matches!(decide(heard, false), Exit::Keep(_))
    }

    #[test]
    fn the_profile_is_wiped_only_when_nothing_of_value_is_left() {
        assert_eq!(decide(&[status(40, 40, 0, true, true)], false), Exit::Done);
        assert_eq!(
            decide(&[status(0, 0, 0, false, false)], false),
            Exit::NothingToKeep
        );
        // Identity photos sent before the exam: nothing left either.
        assert_eq!(
            decide(
                &[status(3, 0, 2, false, false), status(3, 3, 0, false, false)],
                false
            ),
            Exit::NothingToKeep
        );
        assert!(
            keep(&[status(40, 38, 0, true, true)]),
            "submitted, not all sent"
        );
        assert!(keep(&[status(40, 40, 1, true, true)]), "a still unsent");
        assert!(keep(&[status(9, 9, 0, true, false)]), "exam in progress");
        assert!(
            keep(&[status(1, 0, 1, false, false)]),
            "identity photos unsent"
        );
        assert!(keep(&[]), "the app never spoke");
        let Exit::Keep(why) = decide(&[status(40, 38, 0, true, true)], false) else {
            unreachable!()
        };
        assert!(why.contains("2 élément(s)"), "{why}");
    }

    #[test]
    fn a_claim_without_acknowledgements_never_wipes() {
        // What an app that predates the acknowledgements sends.
        let old = |pending, started, finished| AppStatus {
            pending,
            started,
            finished,
            ..AppStatus::default()
        };
        let Exit::Keep(why) = decide(&[old(0, true, true)], false) else {
            panic!("an unverified 'all sent' wiped the profile")
        };
        assert!(why.contains("accusé réception"), "{why}");
        assert!(keep(&[old(0, false, false)]));
        assert!(keep(&[status(5, 5, 0, true, false), old(0, true, true)]));
    }

    #[test]
    fn a_forged_finished_that_contradicts_the_record_keeps_the_profile() {
        let honest = status(120, 100, 0, true, false);
        // Claims fewer events than the app logged: contradicts the record.
        let short = status(100, 100, 0, true, true);
        let Exit::Keep(why) = decide(&[honest, short], false) else {
            panic!("a forged status with a shorter log wiped the profile")
        };
        assert!(why.contains("contradictoires"), "{why}");
        // Claims the whole log acknowledged, then the app speaks again.
        let full = status(120, 120, 0, true, true);
        assert!(keep(&[honest, full, honest]));
        // Sent before the app ever spoke, then contradicted by it.
        assert!(keep(&[full, honest]));
        // An honest app: the same log, now acknowledged and submitted.
        assert_eq!(decide(&[honest, full], false), Exit::Done);
    }

    #[test]
    fn a_resumed_profile_is_not_wiped_on_a_report_of_nothing() {
        let nothing = status(0, 0, 0, false, false);
        assert!(matches!(decide(&[nothing], true), Exit::Keep(_)));
        assert_eq!(decide(&[nothing], false), Exit::NothingToKeep);
        assert_eq!(
            decide(&[status(7, 7, 0, false, false)], true),
            Exit::NothingToKeep
        );
        assert_eq!(decide(&[status(70, 70, 0, true, true)], true), Exit::Done);
    }
}
