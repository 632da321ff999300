//! Convocations by mail: `vigil-server candidates mail SESSION`.
//!
//! Each candidate of the session whose roster line names a person with an
//! email gets one message, in French (English with `--lang en`): the
//! session's date and time in its time zone (Paris by default), the access link, the candidate id and
//! a fresh access code, the rules of the exam, the pre-check deadline
//! (`timing.precheck_deadline_h` before the start), the steps of the day
//! and what to do if the equipment fails ([`Convocation`]).
//!
//! **Codes.** The server keeps only hashes of access codes, so the code a
//! mail carries is issued when it is sent: it replaces the code printed at
//! import (or by an earlier mail). A candidate who has started is not
//! mailed (their code is in use).
//!
//! **Exactly once.** Before each SMTP exchange the candidate's mail is
//! marked `sending`, in the same transaction as the new code; after it,
//! `sent` with the server's reply, or `failed` with why. Run again, the
//! command skips what was sent and retries what failed. A `sending` left
//! by a crash is reported and not sent again by itself, since the SMTP
//! server may have taken it: `--resend CANDIDATE` sends it (with a new
//! code) once the operator has checked.
//!
//! **Settings** come from the environment, never the command line (a
//! password there would be in the shell's history and `ps`):
//! `VIGIL_SMTP_URL` (`smtps://smtp.example.fr`, `smtp://host:587?tls=required`
//! for STARTTLS, `smtp://127.0.0.1:2525` for a local relay, lettre's
//! syntax), `VIGIL_SMTP_USER` and `VIGIL_SMTP_PASSWORD` (both or neither),
//! `VIGIL_MAIL_FROM` (`Concours <concours@example.fr>`) and
//! `VIGIL_PUBLIC_URL` (the address candidates open). SMTP is lettre's, over
//! rustls with the Mozilla roots (webpki-roots).

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use vigil_exam::Exam;

use crate::auth::{self, CodeHashing};
use crate::clock::Clock;
use crate::db::{Db, PersonRow};

/// The kind of mail this module sends (the `mails` table's `kind`).
pub const CONVOCATION: &str = "convocation";
/// Longest wait for one SMTP exchange.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The language of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// Where and how to send, from the environment.
#[derive(Clone)]
pub struct MailSettings {
    pub smtp_url: String,
    /// `(user, password)`.
    pub credentials: Option<(String, String)>,
    pub from: Mailbox,
    /// The address candidates open (the app).
    pub link: String,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from.to_string())
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// Reads `VIGIL_SMTP_URL`, `VIGIL_SMTP_USER`, `VIGIL_SMTP_PASSWORD`,
    /// `VIGIL_MAIL_FROM` and `VIGIL_PUBLIC_URL`.
    pub fn from_env() -> anyhow::Result<MailSettings> {
        MailSettings::from_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// The same from any source of variables (tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<MailSettings> {
        let need = |name: &str, what: &str| {
            var(name).with_context(|| format!("{name} is not set: {what}"))
        };
        let smtp_url = need(
            "VIGIL_SMTP_URL",
            "the SMTP server, e.g. smtps://smtp.example.fr",
        )?;
        // A password in the URL would show in logs and `ps` of a wrapper.
        let authority = smtp_url
            .split_once("://")
            .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
        if authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
        {
            anyhow::bail!(
                "VIGIL_SMTP_URL carries a password: put it in VIGIL_SMTP_PASSWORD (and the user \
                 in VIGIL_SMTP_USER)"
            );
        }
        // The URL is checked now, not at the first message.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp_url)
            .with_context(|| format!("VIGIL_SMTP_URL {smtp_url:?}"))?;
        let credentials = match (var("VIGIL_SMTP_USER"), var("VIGIL_SMTP_PASSWORD")) {
            (Some(user), Some(password)) => Some((user, password)),
            (None, None) => None,
            _ => anyhow::bail!("VIGIL_SMTP_USER and VIGIL_SMTP_PASSWORD go together"),
        };
        let from = need(
            "VIGIL_MAIL_FROM",
            "the sender, e.g. \"Concours <concours@example.fr>\"",
        )?;
        let from = from
            .parse::<Mailbox>()
            .with_context(|| format!("VIGIL_MAIL_FROM {from:?} is not an address"))?;
        let link = need(
            "VIGIL_PUBLIC_URL",
            "the address candidates open, e.g. https://examen.example.fr",
        )?;
        anyhow::ensure!(
            link.starts_with("https://") || link.starts_with("http://"),
            "VIGIL_PUBLIC_URL {link:?}: expected an http(s) address"
        );
        Ok(MailSettings {
            smtp_url,
            credentials,
            from,
            link,
        })
    }
}

/// One candidate's convocation: what the message says.
#[derive(Debug, Clone)]
pub struct Convocation<'a> {
    pub lang: Lang,
    /// The exam, in the message's language ([`Exam::localized`]).
    pub exam: &'a Exam,
    pub session_id: &'a str,
    pub starts_at: i64,
    pub candidate: &'a str,
    pub code: &'a str,
    pub person: &'a PersonRow,
    pub extra_time: bool,
    pub link: &'a str,
    /// The session's time zone, for the date, the time and the deadline.
    pub zone: &'a crate::time::Zone,
}

/// `1 h 20 min`, `45 min`, `2 h`.
fn duration_text(seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

/// `15/01/2027 à 09:00` or `15/01/2027 at 09:00`, in the session's zone.
fn when(ms: i64, lang: Lang, zone: &crate::time::Zone) -> String {
    let at = match lang {
        Lang::Fr => "à",
        Lang::En => "at",
    };
    match zone.datetime(ms) {
        Some(d) => format!(
            "{:02}/{:02}/{:04} {at} {:02}:{:02}",
            d.day(),
            d.month(),
            d.year(),
            d.hour(),
            d.minute()
        ),
        None => zone.show(ms),
    }
}

impl Convocation<'_> {
    pub fn subject(&self) -> String {
        let date = when(self.starts_at, self.lang, self.zone);
        match self.lang {
            Lang::Fr => format!("Convocation : {} — {date}", self.exam.title),
            Lang::En => format!("Notice to attend: {} — {date}", self.exam.title),
        }
    }

    /// The plain-text message.
    pub fn body(&self) -> String {
        let t = &self.exam.timing;
        let duration = duration_text(t.duration_s);
        // The engine's rule, the one the timer follows.
        let extra = u64::try_from(self.exam.duration_ms(true) / 1000).unwrap_or(0);
        let deadline = self
            .starts_at
            .saturating_sub(i64::try_from(t.precheck_deadline_h).unwrap_or(0) * 3_600_000);
        let start = when(self.starts_at, self.lang, self.zone);
        let deadline_text = when(deadline, self.lang, self.zone);
        let (label, place) = (self.zone.label(), self.zone.place());
        let sections = self.exam.sections.len();
        let p = self.person;
        let r = &self.exam.rules;
        let list = |items: &[String]| {
            if items.is_empty() {
                "—".to_owned()
            } else {
                items.join(" ; ")
            }
        };
        match self.lang {
            Lang::Fr => {
                let mut s = format!(
                    "Bonjour {} {},\n\n\
                     Vous êtes convoqué(e) à l'épreuve « {} », passée à distance sous \
                     surveillance.\n\n\
                     Date et heure : le {start} ({label})\n\
                     Durée : {duration}, en {sections} partie(s), sans pause, en une seule \
                     tentative.\n",
                    p.given_name, p.family_name, self.exam.title
                );
                if self.extra_time {
                    s += &format!(
                        "Tiers-temps : accordé, la durée est portée à {}.\n",
                        duration_text(extra)
                    );
                }
                s += &format!(
                    "\nVos identifiants (gardez-les pour vous) :\n\
                     Adresse de l'épreuve : {}\n\
                     Numéro de session : {}\n\
                     Identifiant de candidat : {}\n\
                     Code d'accès : {}\n\n\
                     TEST DU MATÉRIEL — OBLIGATOIRE\n\
                     Ouvrez dès maintenant l'adresse ci-dessus sur l'ordinateur de l'épreuve, \
                     connectez-vous avec vos identifiants et faites le test du matériel au plus \
                     tard le {deadline_text} ({label}), soit {} heures avant l'épreuve. Il \
                     vérifie le navigateur, la caméra, le micro, l'écran et la connexion ; son \
                     résultat est enregistré.\n\n\
                     LE JOUR DE L'ÉPREUVE\n\
                     1. Connectez-vous 30 minutes avant l'heure, depuis l'ordinateur testé, \
                     seul(e) dans une pièce calme et éclairée.\n\
                     2. Ayez votre pièce d'identité avec vous.\n\
                     3. Test du matériel, règlement, puis salle d'attente jusqu'à l'heure.\n\
                     4. Au démarrage : photo de la pièce d'identité et de votre visage, rotation \
                     de la tête, tour de la pièce avec la caméra.\n\
                     5. Les questions s'ouvrent ensuite et le minuteur démarre.\n\n\
                     RÈGLES\n{}\n\
                     Autorisé : {}\n\
                     Interdit : {}\n\
                     Conduite : {}\n\n\
                     EN CAS DE PANNE\n\
                     Si votre matériel ne fonctionne pas le jour de l'épreuve, écrivez \
                     immédiatement à l'organisateur en répondant à ce message, avec votre \
                     identifiant de candidat. Si votre test du matériel avait été validé, une \
                     autre session pourra vous être proposée.\n\
                     Si la connexion se coupe pendant l'épreuve, continuez sans fermer la page : \
                     vos réponses sont enregistrées sur votre ordinateur et envoyées dès le \
                     retour du réseau.\n\n\
                     Cordialement,\nL'organisateur\n",
                    self.link,
                    self.session_id,
                    self.candidate,
                    self.code,
                    t.precheck_deadline_h,
                    self.exam.instructions,
                    list(&r.allowed),
                    list(&r.forbidden),
                    list(&r.conduct),
                );
                s
            }
            Lang::En => {
                let mut s = format!(
                    "Dear {} {},\n\n\
                     You are invited to sit \"{}\", taken remotely under supervision.\n\n\
                     Date and time: {start} ({place} time)\n\
                     Duration: {duration}, in {sections} part(s), without breaks, in a single \
                     attempt.\n",
                    p.given_name, p.family_name, self.exam.title
                );
                if self.extra_time {
                    s += &format!(
                        "Extra time: granted, the duration becomes {}.\n",
                        duration_text(extra)
                    );
                }
                s += &format!(
                    "\nYour credentials (keep them to yourself):\n\
                     Exam address: {}\n\
                     Session number: {}\n\
                     Candidate ID: {}\n\
                     Access code: {}\n\n\
                     HARDWARE CHECK — REQUIRED\n\
                     Open the address above now on the computer you will use, sign in with your \
                     credentials and run the hardware check by {deadline_text} ({place} time) at \
                     the latest, {} hours before the exam. It checks the browser, camera, \
                     microphone, screen and connection; its result is recorded.\n\n\
                     ON THE DAY\n\
                     1. Sign in 30 minutes before the time, on the computer you checked, alone \
                     in a quiet, well-lit room.\n\
                     2. Have your identity document with you.\n\
                     3. Hardware check, rules, then the waiting room until the time.\n\
                     4. At the start: a photo of your identity document and of your face, a head \
                     turn, a scan of the room with the camera.\n\
                     5. The questions then open and the timer starts.\n\n\
                     RULES\n{}\n\
                     Allowed: {}\n\
                     Forbidden: {}\n\
                     Conduct: {}\n\n\
                     IF YOUR EQUIPMENT FAILS\n\
                     If your equipment does not work on the day, write to the organiser at once \
                     by replying to this message, with your candidate ID. If your hardware check \
                     had been validated, another session may be offered to you.\n\
                     If the connection drops during the exam, carry on without closing the page: \
                     your answers are kept on your computer and sent as soon as the network is \
                     back.\n\n\
                     Kind regards,\nThe organiser\n",
                    self.link,
                    self.session_id,
                    self.candidate,
                    self.code,
                    t.precheck_deadline_h,
                    self.exam.instructions,
                    list(&r.allowed),
                    list(&r.forbidden),
                    list(&r.conduct),
                );
                s
            }
        }
    }
}

/// How to send a session's mail.
#[derive(Debug, Clone, Default)]
pub struct MailOptions {
    pub lang: Lang,
    /// Candidates to mail again whatever their mail's state (a new code).
    pub resend: Vec<String>,
}

/// What a run did, by candidate id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailReport {
    pub sent: Vec<String>,
    /// Refused by the SMTP server or unreachable: `(candidate, why)`.
    pub failed: Vec<(String, String)>,
    /// Sent by an earlier run.
    pub already_sent: Vec<String>,
    /// Left `sending` by an interrupted run: maybe delivered.
    pub unknown: Vec<String>,
    /// No person or no email on the roster.
    pub no_address: Vec<String>,
    /// Started: their code is in use, no mail.
    pub started: Vec<String>,
}

/// Mails every candidate of `session_id` their convocation (see the
/// module's docs); one candidate's failure does not stop the others.
pub async fn send_convocations(
    db: &Db,
    hashing: &CodeHashing,
    settings: &MailSettings,
    session_id: &str,
    options: &MailOptions,
    clock: &dyn Clock,
) -> anyhow::Result<MailReport> {
    let (session, exam) = crate::results::session_exam(db, session_id).await?;
    let exam = exam.localized(options.lang.code());
    let zone = session.zone();
    let attempts: std::collections::HashMap<String, crate::db::AttemptRow> = db
        .session_attempts(session_id)
        .await?
        .into_iter()
        .map(|a| (a.candidate_id.clone(), a))
        .collect();
    for wanted in &options.resend {
        anyhow::ensure!(
            attempts.contains_key(wanted),
            "--resend {wanted:?}: no such candidate in session {session_id}"
        );
    }
    let earlier: std::collections::HashMap<String, String> = db
        .mails(session_id, CONVOCATION)
        .await?
        .into_iter()
        .map(|m| (m.candidate_id, m.state))
        .collect();
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.smtp_url)
        .context("VIGIL_SMTP_URL")?
        .timeout(Some(SMTP_TIMEOUT));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    let transport = builder.build();

    let mut report = MailReport::default();
    for c in db.candidate_persons(session_id).await? {
        let id = c.candidate_id.clone();
        let Some(attempt) = attempts.get(&id) else {
            continue;
        };
        let (Some(person_id), Some(email)) = (c.person_id.clone(), c.email.clone()) else {
            report.no_address.push(id);
            continue;
        };
        if attempt.started_at.is_some() {
            report.started.push(id);
            continue;
        }
        let forced = options.resend.contains(&id);
        match earlier.get(&id).map(String::as_str) {
            Some("sent") if !forced => {
                report.already_sent.push(id);
                continue;
            }
            Some("sending") if !forced => {
                report.unknown.push(id);
                continue;
            }
            _ => {}
        }
        let person = PersonRow {
            id: person_id,
            family_name: c.family_name.unwrap_or_default(),
            given_name: c.given_name.unwrap_or_default(),
            email: email.clone(),
        };
        let to = match email.parse::<lettre::Address>() {
            Ok(address) => Mailbox::new(
                Some(format!("{} {}", person.given_name, person.family_name)),
                address,
            ),
            Err(e) => {
                report.failed.push((id, format!("address {email:?}: {e}")));
                continue;
            }
        };
        let code = auth::new_access_code();
        let convocation = Convocation {
            lang: options.lang,
            exam: &exam,
            session_id,
            starts_at: session.starts_at,
            candidate: &id,
            code: &code,
            person: &person,
            extra_time: attempt.extra_time,
            link: &settings.link,
            zone: &zone,
        };
        let message = Message::builder()
            .from(settings.from.clone())
            .to(to)
            .subject(convocation.subject())
            .header(ContentType::TEXT_PLAIN)
            .body(convocation.body())
            .context("building the message")?;
        db.mail_sending(
            session_id,
            &id,
            CONVOCATION,
            &email,
            &hashing.hash(&code),
            clock.now_ms(),
        )
        .await?;
        let outcome = transport.send(message).await;
        let (sent, detail) = match &outcome {
            Ok(reply) => (
                true,
                format!(
                    "{} {}",
                    reply.code(),
                    reply.message().collect::<Vec<_>>().join(" ")
                ),
            ),
            Err(e) => (false, e.to_string()),
        };
        db.mail_done(session_id, &id, CONVOCATION, sent, &detail, clock.now_ms())
            .await?;
        tracing::info!(session = session_id, candidate = %id, sent, detail = %detail, "convocation");
        if sent {
            report.sent.push(id);
        } else {
            report.failed.push((id, detail));
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration_text(4_800), "1 h 20 min");
        assert_eq!(duration_text(300), "5 min");
        assert_eq!(duration_text(7_200), "2 h");
        assert_eq!(duration_text(6_400), "1 h 47 min");
        assert_eq!(duration_text(61), "2 min");
    }

    #[test]
    fn settings_name_what_is_missing_and_keep_passwords_out_of_debug() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let err = MailSettings::from_vars(vars(&[])).unwrap_err().to_string();
        assert!(err.contains("VIGIL_SMTP_URL is not set"), "{err}");
        let err = MailSettings::from_vars(vars(&[
            ("VIGIL_SMTP_URL", "smtp://127.0.0.1:2525"),
            ("VIGIL_SMTP_PASSWORD", "hunter2"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("go together"), "{err}");
        let err = MailSettings::from_vars(vars(&[
            ("VIGIL_SMTP_URL", "smtp://127.0.0.1:2525"),
            ("VIGIL_MAIL_FROM", "not an address"),
        ]))
        .unwrap_err();
        assert!(format!("{err:#}").contains("VIGIL_MAIL_FROM"), "{err:#}");
        let err = MailSettings::from_vars(vars(&[(
            "VIGIL_SMTP_URL",
            "smtps://concours:hunter2@smtp.example.fr",
        )]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("carries a password"), "{err}");
        let err = MailSettings::from_vars(vars(&[("VIGIL_SMTP_URL", "ftp://x")])).unwrap_err();
        assert!(format!("{err:#}").contains("VIGIL_SMTP_URL"), "{err:#}");
        let ok = MailSettings::from_vars(vars(&[
            ("VIGIL_SMTP_URL", "smtp://127.0.0.1:2525"),
            ("VIGIL_SMTP_USER", "concours"),
            ("VIGIL_SMTP_PASSWORD", "hunter2"),
            ("VIGIL_MAIL_FROM", "Concours <concours@example.fr>"),
            ("VIGIL_PUBLIC_URL", "https://examen.example.fr"),
        ]))
        .unwrap();
        let shown = format!("{ok:?}");
        assert!(
            shown.contains("concours") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
