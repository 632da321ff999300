//! An attempt's dossier: what a reviewer needs, read from its event log.
//!
//! A pure function of the events ([`Dossier::from_events`]), so the review
//! page and the printable incident report show the same facts and the
//! reading is tested without a database: the identity photos and the room
//! scan (by hash), the system-check and kiosk results, the proctoring
//! incidents with their evidence, every period away from the exam (window
//! left, fullscreen left, a second screen attached) with its duration, the
//! blocked actions, and how the attempt ended.

use vigil_exam::{
    CheckResult, Event, EventKind, FaceMatchBody, IdentityWhat, IncidentKind, KioskReportBody,
    Reason, Severity, Side, FACE_MATCH_THRESHOLD,
};

/// A span during which the exam did not have the candidate's full
/// attention. `until` is `None` when the log ends before it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    pub what: AwayKind,
    pub from: i64,
    pub until: Option<i64>,
}

impl Away {
    /// Duration in ms (to `end` if it never closed).
    pub fn duration_ms(&self, end: i64) -> i64 {
        self.until.unwrap_or(end).saturating_sub(self.from).max(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwayKind {
    /// The window lost focus or the page was hidden.
    Window,
    /// Fullscreen was left.
    Fullscreen,
    /// The desktop spanned a second screen.
    ExtraScreen,
}

impl AwayKind {
    pub fn label_fr(self) -> &'static str {
        match self {
            AwayKind::Window => "Fenêtre de l'épreuve quittée",
            AwayKind::Fullscreen => "Plein écran quitté",
            AwayKind::ExtraScreen => "Écran supplémentaire branché",
        }
    }
}

/// An incident as the engine recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    pub kind: IncidentKind,
    pub severity: Severity,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub evidence: Option<String>,
}

/// French names of the incident kinds, for the report.
pub fn incident_label_fr(kind: IncidentKind) -> &'static str {
    use IncidentKind::*;
    match kind {
        FaceAbsent => "Visage absent",
        SeveralFaces => "Plusieurs visages",
        LookingAway => "Regard détourné",
        CameraCovered => "Caméra masquée",
        CameraLost => "Caméra perdue",
        Voice => "Voix détectée",
        LeftWindow => "Fenêtre quittée",
        FullscreenExit => "Sortie du plein écran",
        ExtraScreen => "Écran supplémentaire",
        ClockTampering => "Horloge modifiée",
        IdentityChanged => "Visage différent de l'identification",
    }
}

pub fn severity_fr(s: Severity) -> &'static str {
    match s {
        Severity::Low => "faible",
        Severity::Medium => "moyenne",
        Severity::High => "élevée",
    }
}

/// The server's own record of an attempt's start and opening: what counts,
/// read beside the log's claims (the candidate's clock) but never replaced
/// by them (#31).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerTimes {
    /// The start: the server's own (`/api/attempt/start`), or for an
    /// offline start the one the log declared (then `offline`).
    pub started_at: Option<i64>,
    /// Started with the printed start code, without the server.
    pub offline: bool,
    /// The opening the server recorded: at the app's call, or the bound.
    pub questions_opened_at: Option<i64>,
    /// Started online with no opening recorded yet: the identification
    /// bound, by which the server counts the questions open.
    pub opening_bound: Option<i64>,
}

/// Whether a log's claim differs from the server's record enough to be
/// shown beside it (a second: the record and the log are written a few
/// milliseconds apart).
fn differs(log: i64, server: i64) -> bool {
    log.abs_diff(server) >= 1_000
}

/// The words the start and the opening are told with, in one language.
struct Words {
    server_clock: &'static str,
    log_says: &'static str,
    candidate_clock: &'static str,
    manual: &'static str,
    timeout: &'static str,
    offline_start: &'static str,
    offline_opening: &'static str,
    no_start_record: &'static str,
    not_started: &'static str,
    opened_at: &'static str,
    started_at: &'static str,
    by_the_bound: &'static str,
    no_opening_record: &'static str,
    never: &'static str,
    end: &'static str,
}

const FR: Words = Words {
    server_clock: "(horloge du serveur)",
    log_says: " ; le journal du candidat indique ",
    candidate_clock: " (horloge du candidat)",
    manual: " ; identification terminée",
    timeout: " ; durée d'identification dépassée, étapes manquantes",
    offline_start: " selon le journal du candidat (horloge du candidat) : démarrage hors ligne \
                    avec le code de démarrage, à vérifier",
    offline_opening: " selon le journal du candidat (horloge du candidat, démarrage hors ligne)",
    no_start_record: "non enregistré par le serveur",
    not_started: "non commencée",
    opened_at: "",
    started_at: "",
    by_the_bound: "au plus tard {} (limite d'identification : le serveur n'a pas reçu \
                   l'ouverture)",
    no_opening_record: "non enregistrée par le serveur",
    never: "jamais",
    end: "",
};

const EN: Words = Words {
    server_clock: "(the server's clock)",
    log_says: "; the candidate's log says ",
    candidate_clock: " (the candidate's clock)",
    manual: "; identification complete",
    timeout: "; identification bound reached: steps missing",
    offline_start: " by the candidate's log (the candidate's clock): an offline start with the \
                    start code, to be checked",
    offline_opening: " by the candidate's log (the candidate's clock, offline start)",
    no_start_record: "No start recorded by the server",
    not_started: "Not started.",
    opened_at: "Questions opened at ",
    started_at: "Started at ",
    by_the_bound: "Questions open by {} at the latest (the identification bound: the server \
                   did not receive the opening)",
    no_opening_record: "No opening recorded by the server",
    never: "The questions never opened.",
    end: ".",
};

impl ServerTimes {
    /// The start, with the log's claim `log` beside it when it differs.
    fn start_in(&self, w: &Words, log: Option<i64>, show: impl Fn(i64) -> String) -> String {
        let claim = |l: i64| format!("{}{}{}", w.log_says, show(l), w.candidate_clock);
        match (self.started_at, log) {
            (Some(s), _) if self.offline => {
                format!("{}{}{}{}", w.started_at, show(s), w.offline_start, w.end)
            }
            (Some(s), _) => {
                let beside = log
                    .filter(|l| differs(*l, s))
                    .map(claim)
                    .unwrap_or_default();
                format!(
                    "{}{} {}{}{}",
                    w.started_at,
                    show(s),
                    w.server_clock,
                    beside,
                    w.end
                )
            }
            (None, Some(l)) => format!("{}{}{}", w.no_start_record, claim(l), w.end),
            (None, None) => w.not_started.to_owned(),
        }
    }

    /// The opening, with the log's claim beside it (and why it opened).
    fn opening_in(
        &self,
        w: &Words,
        log: Option<(i64, Reason)>,
        show: impl Fn(i64) -> String,
    ) -> String {
        let why = |r: Reason| match r {
            Reason::Manual => w.manual,
            Reason::Timeout => w.timeout,
        };
        let claim =
            |l: i64, r: Reason| format!("{}{}{}{}", w.log_says, show(l), w.candidate_clock, why(r));
        let beside = |server: i64| match log {
            Some((l, r)) if differs(l, server) => claim(l, r),
            Some((_, r)) => why(r).to_owned(),
            None => String::new(),
        };
        match (self.questions_opened_at, self.opening_bound, log) {
            (Some(o), _, _) if self.offline => {
                format!("{}{}{}{}", w.opened_at, show(o), w.offline_opening, w.end)
            }
            (Some(o), _, _) => {
                format!(
                    "{}{} {}{}{}",
                    w.opened_at,
                    show(o),
                    w.server_clock,
                    beside(o),
                    w.end
                )
            }
            (None, Some(b), _) => {
                format!(
                    "{}{}{}",
                    w.by_the_bound.replace("{}", &show(b)),
                    beside(b),
                    w.end
                )
            }
            (None, None, Some((l, r))) => {
                format!("{}{}{}", w.no_opening_record, claim(l, r), w.end)
            }
            (None, None, None) => w.never.to_owned(),
        }
    }

    /// The start as the procès-verbal prints it (French).
    pub fn start_fr(&self, log: Option<i64>, show: impl Fn(i64) -> String) -> String {
        self.start_in(&FR, log, show)
    }

    /// The opening as the procès-verbal prints it (French).
    pub fn opening_fr(&self, log: Option<(i64, Reason)>, show: impl Fn(i64) -> String) -> String {
        self.opening_in(&FR, log, show)
    }

    /// The start as the review page shows it (English).
    pub fn start_en(&self, log: Option<i64>, show: impl Fn(i64) -> String) -> String {
        self.start_in(&EN, log, show)
    }

    /// The opening as the review page shows it (English).
    pub fn opening_en(&self, log: Option<(i64, Reason)>, show: impl Fn(i64) -> String) -> String {
        self.opening_in(&EN, log, show)
    }
}

/// What the reviewer reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dossier {
    pub id_photo: Option<String>,
    pub face_photo: Option<String>,
    pub room_scan: Option<(String, u64)>,
    pub checks: Vec<CheckResult>,
    pub kiosk: Option<KioskReportBody>,
    /// The last comparison of the identity photos, if the app made one.
    pub face_match: Option<FaceMatchBody>,
    pub started_at: Option<i64>,
    /// The ear stills of the guided head turn: `(side, still, yaw°)`.
    pub ears: Vec<(Side, String, i32)>,
    /// When the questions opened, and why: identification done (`Manual`)
    /// or its bound passed (`Timeout`).
    pub questions_opened: Option<(i64, Reason)>,
    pub submitted: Option<(i64, Reason)>,
    pub incidents: Vec<IncidentRow>,
    pub away: Vec<Away>,
    /// `(at, action)` of each blocked action.
    pub blocked: Vec<(i64, String)>,
    /// Trusted-clock measurements: `(at, offset ms, round trip ms)`.
    pub clock_syncs: Vec<(i64, i64, i64)>,
    /// Time of the last event.
    pub last_at: Option<i64>,
}

impl Dossier {
    pub fn from_events(events: &[Event]) -> Dossier {
        let mut d = Dossier::default();
        let mut open: [Option<i64>; 3] = [None; 3];
        let mut toggle = |d: &mut Dossier, what: AwayKind, away: bool, at: i64| {
            let slot = &mut open[what as usize];
            match (away, *slot) {
                (true, None) => {
                    *slot = Some(at);
                    d.away.push(Away {
                        what,
                        from: at,
                        until: None,
                    });
                }
                (false, Some(_)) => {
                    *slot = None;
                    if let Some(a) = d
                        .away
                        .iter_mut()
                        .rev()
                        .find(|a| a.what == what && a.until.is_none())
                    {
                        a.until = Some(at);
                    }
                }
                _ => {}
            }
        };
        for e in events {
            d.last_at = Some(e.at);
            match &e.kind {
                EventKind::Checks(b) => d.checks = b.results.clone(),
                EventKind::IdentityCapture(b) => match b.what {
                    IdentityWhat::IdDocument => d.id_photo = Some(b.media_sha256.clone()),
                    IdentityWhat::Face => d.face_photo = Some(b.media_sha256.clone()),
                },
                EventKind::RoomScan(b) => {
                    d.room_scan = Some((b.media_sha256.clone(), b.duration_ms));
                }
                EventKind::KioskReport(b) => d.kiosk = Some(b.clone()),
                EventKind::FaceMatch(b) => d.face_match = Some(b.clone()),
                EventKind::Start(_) => d.started_at = Some(e.at),
                EventKind::HeadTurn(b) => {
                    d.ears.retain(|(side, ..)| *side != b.side);
                    d.ears.push((b.side, b.media_sha256.clone(), b.yaw_deg));
                }
                EventKind::QuestionsOpened(b) => d.questions_opened = Some((e.at, b.reason)),
                EventKind::Submit(b) => d.submitted = Some((e.at, b.reason)),
                EventKind::IncidentOpen(b) => d.incidents.push(IncidentRow {
                    kind: b.incident,
                    severity: b.severity,
                    opened_at: b.opened_at,
                    closed_at: None,
                    evidence: b.evidence_sha256.clone(),
                }),
                EventKind::IncidentClose(b) => {
                    if let Some(i) = d
                        .incidents
                        .iter_mut()
                        .rev()
                        .find(|i| i.kind == b.incident && i.closed_at.is_none())
                    {
                        i.closed_at = Some(b.closed_at);
                    }
                }
                EventKind::Focus(b) => toggle(&mut d, AwayKind::Window, !b.focused, e.at),
                // Before the start the page is not meant to be fullscreen.
                EventKind::Fullscreen(b) if d.started_at.is_some() => {
                    toggle(&mut d, AwayKind::Fullscreen, !b.active, e.at);
                }
                EventKind::Screens(b) => toggle(&mut d, AwayKind::ExtraScreen, b.extended, e.at),
                EventKind::Blocked(b) => d.blocked.push((e.at, b.action.clone())),
                EventKind::ClockSync(b) => d.clock_syncs.push((e.at, b.offset_ms, b.rtt_ms)),
                _ => {}
            }
        }
        d
    }

    /// Every media hash the dossier shows (photos, scan, evidence).
    pub fn media(&self) -> Vec<String> {
        let mut out: Vec<String> = [&self.id_photo, &self.face_photo]
            .into_iter()
            .flatten()
            .cloned()
            .chain(self.ears.iter().map(|(_, s, _)| s.clone()))
            .chain(self.room_scan.iter().map(|(s, _)| s.clone()))
            .chain(self.incidents.iter().filter_map(|i| i.evidence.clone()))
            .collect();
        out.dedup();
        out
    }

    /// Total time away of one kind, in ms (open spans counted to the end).
    pub fn away_total_ms(&self, what: AwayKind) -> i64 {
        let end = self.end();
        self.away
            .iter()
            .filter(|a| a.what == what)
            .map(|a| a.duration_ms(end))
            .fold(0, i64::saturating_add)
    }

    /// The end of the exam for open spans: submission, else the last event.
    pub fn end(&self) -> i64 {
        self.submitted.map(|(t, _)| t).or(self.last_at).unwrap_or(0)
    }

    /// Anything a reviewer must look at: incidents, time away during the
    /// exam, blocked actions, a kiosk check that did not pass.
    pub fn has_findings(&self) -> bool {
        !self.incidents.is_empty()
            || !self.away.is_empty()
            || !self.blocked.is_empty()
            || self.kiosk.as_ref().is_some_and(|k| {
                k.results
                    .iter()
                    .any(|r| r.status != vigil_exam::CheckStatus::Pass)
            })
    }
}

/// The face match line of the dossier and the report: what was measured,
/// in words, with the threshold it is read against (never a verdict).
pub fn face_match_text(m: Option<&FaceMatchBody>) -> String {
    let Some(m) = m else {
        return "Face match: not measured (the app recorded no comparison).".into();
    };
    match m.similarity_milli {
        Some(s) => format!(
            "Face match: similarity {:.2} between the ID photo and the face photo \
             (the same person usually scores above {FACE_MATCH_THRESHOLD:.2}; \
             measured on the candidate's computer).",
            f64::from(s) / 1000.0,
        ),
        None => format!(
            "Face match: not measured ({} face(s) found on the ID photo, {} on the face photo).",
            m.faces_on_id, m.faces_on_face
        ),
    }
}

/// The face match for the French report: the same facts as
/// [`face_match_text`], worded for the procès-verbal (decimal comma), and
/// never a verdict.
pub fn face_match_text_fr(m: Option<&FaceMatchBody>) -> String {
    let Some(m) = m else {
        return "Comparaison des visages : non mesurée (l'application n'a enregistré aucune comparaison).".into();
    };
    let threshold = format!("{FACE_MATCH_THRESHOLD:.2}").replace('.', ",");
    match m.similarity_milli {
        Some(s) => format!(
            "Comparaison des visages : similarité de {} entre la pièce d'identité et la photo du \
             visage (une même personne dépasse le plus souvent {threshold}). Mesure faite sur \
             l'ordinateur du candidat, à titre d'aide : elle ne vaut pas constat.",
            format!("{:.2}", f64::from(s) / 1000.0).replace('.', ",")
        ),
        None => format!(
            "Comparaison des visages : non mesurée ({} visage(s) trouvé(s) sur la pièce d'identité, \
             {} sur la photo du visage).",
            m.faces_on_id, m.faces_on_face
        ),
    }
}

/// `1 min 05 s`, `12 s`, `1 h 02 min`.
pub fn duration_fr(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, s) => format!("{s} s"),
        (0, m, s) => format!("{m} min {s:02} s"),
        (h, m, _) => format!("{h} h {m:02} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_exam::{Attempt, IncidentChange, IncidentKind};

    fn sha(c: char) -> String {
        c.to_string().repeat(64)
    }

    #[test]
    fn the_face_match_line_says_what_was_measured() {
        let m = |faces_on_id, sim| FaceMatchBody {
            face_sha256: sha('b'),
            faces_on_face: 1,
            faces_on_id,
            id_sha256: sha('a'),
            similarity_milli: sim,
        };
        let t = face_match_text(Some(&m(1, Some(793))));
        assert!(
            t.contains("similarity 0.79") && t.contains("above 0.50"),
            "{t}"
        );
        let t = face_match_text(Some(&m(0, None)));
        assert!(
            t.contains("not measured (0 face(s) found on the ID photo"),
            "{t}"
        );
        assert!(face_match_text(None).contains("not measured"));
        let fr = face_match_text_fr(Some(&m(1, Some(793))));
        assert!(
            fr.contains("similarité de 0,79") && fr.contains("0,50"),
            "{fr}"
        );
        assert!(fr.contains("ne vaut pas constat"), "{fr}");
        let fr = face_match_text_fr(Some(&m(0, None)));
        assert!(fr.contains("non mesurée (0 visage(s)"), "{fr}");
        assert!(face_match_text_fr(None).contains("non mesurée"));
    }

    #[test]
    fn periods_away_incidents_and_media_are_read_from_the_log() {
        let exam =
            vigil_exam::Exam::from_toml(include_str!("../../../exams/demo-short.toml")).unwrap();
        let window = vigil_exam::StartWindow {
            opens_at_ms: 0,
            closes_at_ms: 1_000,
        };
        let mut a = Attempt::new();
        a.record_checks(vec![], 0).unwrap();
        a.consent("v1", &sha('e'), 0).unwrap();
        // Before the start fullscreen does not count.
        a.record_fullscreen(false, 0).unwrap();
        let d = Dossier::from_events(a.events());
        assert!(d.away.is_empty());
        a.enter_waiting_room(0).unwrap();
        a.start(&exam, &window, false, 1).unwrap();
        a.capture_identity(IdentityWhat::IdDocument, &sha('a'), 1)
            .unwrap();
        a.capture_identity(IdentityWhat::Face, &sha('b'), 2)
            .unwrap();
        a.room_scan(&sha('c'), 21_000, 3).unwrap();
        a.record_fullscreen(true, 4).unwrap();
        a.record_focus(false, 10_000).unwrap();
        let incident = vigil_exam::Incident {
            kind: IncidentKind::LeftWindow,
            severity: Severity::High,
            opened_at: 10_000,
            closed_at: None,
            evidence: Some(sha('d')),
        };
        a.record_incident(&IncidentChange::Opened(incident.clone()), 11_000)
            .unwrap();
        let closed = vigil_exam::Incident {
            closed_at: Some(14_500),
            ..incident
        };
        a.record_focus(true, 14_500).unwrap();
        a.record_incident(&IncidentChange::Closed(closed), 15_500)
            .unwrap();
        a.record_screens(true, 20_000).unwrap();
        a.record_blocked("paste", 21_000).unwrap();
        a.record_focus(false, 30_000).unwrap();

        let d = Dossier::from_events(a.events());
        assert_eq!(d.id_photo, Some(sha('a')));
        assert_eq!(d.face_photo, Some(sha('b')));
        assert_eq!(d.room_scan, Some((sha('c'), 21_000)));
        assert_eq!(d.media(), vec![sha('a'), sha('b'), sha('c'), sha('d')]);
        assert_eq!(d.away.len(), 3);
        assert_eq!(d.away[0].duration_ms(0), 4_500);
        assert_eq!(d.away[1].what, AwayKind::ExtraScreen);
        assert_eq!(d.away[1].until, None);
        // Open spans run to the last event.
        assert_eq!(d.away_total_ms(AwayKind::Window), 4_500);
        assert_eq!(d.away_total_ms(AwayKind::ExtraScreen), 10_000);
        assert_eq!(d.blocked, vec![(21_000, "paste".to_string())]);
        assert_eq!(d.incidents.len(), 1);
        assert_eq!(d.incidents[0].closed_at, Some(14_500));
        assert!(d.has_findings());
        assert!(!Dossier::default().has_findings());
    }

    #[test]
    fn durations_read_in_french() {
        assert_eq!(duration_fr(4_500), "4 s");
        assert_eq!(duration_fr(65_000), "1 min 05 s");
        assert_eq!(duration_fr(3_720_000), "1 h 02 min");
        assert_eq!(duration_fr(-5), "0 s");
    }

    #[test]
    fn the_servers_times_are_printed_and_the_logs_claims_beside_them() {
        let show = |ms: i64| format!("t{}", ms / 1000);
        let online = ServerTimes {
            started_at: Some(100_000),
            offline: false,
            questions_opened_at: Some(160_000),
            opening_bound: None,
        };
        assert_eq!(
            online.start_fr(Some(100_020), show),
            "t100 (horloge du serveur)",
            "a few ms apart: the same"
        );
        assert_eq!(
            online.start_fr(Some(130_000), show),
            "t100 (horloge du serveur) ; le journal du candidat indique t130 (horloge du candidat)"
        );
        assert_eq!(
            online.opening_fr(Some((130_000, Reason::Manual)), show),
            "t160 (horloge du serveur) ; le journal du candidat indique t130 (horloge du \
             candidat) ; identification terminée"
        );
        let unrecorded = ServerTimes {
            questions_opened_at: None,
            opening_bound: Some(700_000),
            ..online
        };
        assert!(unrecorded
            .opening_en(Some((130_000, Reason::Manual)), show)
            .starts_with("Questions open by t700 at the latest"));
        let offline = ServerTimes {
            offline: true,
            ..online
        };
        assert!(offline.start_fr(Some(100_000), show).contains("hors ligne"));
        assert!(offline
            .opening_en(Some((160_000, Reason::Manual)), show)
            .contains("candidate's log"));
        let none = ServerTimes::default();
        assert_eq!(none.start_fr(None, show), "non commencée");
        assert_eq!(none.opening_en(None, show), "The questions never opened.");
        assert!(none
            .start_en(Some(5_000), show)
            .starts_with("No start recorded by the server"));
    }
}
