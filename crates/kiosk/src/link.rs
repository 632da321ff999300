//! The link between the launcher and the exam app: a tiny HTTP server on
//! the loopback interface, for the one browser the launcher started.
//!
//! Why a loopback server: the launcher must hand its machine report to the
//! app (which records it in the attempt's log, so the proctors see it) and
//! must know when the exam is over and fully sent (to close the browser, and
//! to wipe the profile only when nothing unsent is left in it). The page can
//! reach `http://127.0.0.1` from any origin, the launcher needs no browser
//! automation channel, and nothing leaves the machine.
//!
//! The address is `http://127.0.0.1:PORT/SECRET/…`, given to the app in the
//! URL fragment as `vigil-kiosk-link=PORT.SECRET` (see
//! [`crate::browser::launch_url`]); the secret (128 random bits) keeps other
//! local programs and pages from posting a fake "all sent". The secret is
//! never on a command line (any local account can read those): the launcher
//! writes the URL into a start page inside the profile folder, which only
//! its own account can read (see [`crate::browser::Profile::write_start_page`]).
//!
//! Routes (the bodies are the shared types of `vigil_contracts::kiosk`,
//! which the app uses too, re-exported here):
//!
//! - `GET  /SECRET/report` → the latest machine report as JSON, a
//!   [`ReportBody`] (`{config_key, launcher, results: [{item, status,
//!   detail}]}`), which the app records as its `kiosk_report` event.
//! - `POST /SECRET/status` with an [`AppStatus`] (at most [`MAX_BODY`]
//!   bytes) → 204:
//!   `{"pending": N, "started": bool, "finished": bool, "logged_seq": L,
//!   "acked_seq": A, "pending_media": M}`. The last three are optional
//!   (older apps do not send them), but without them nothing the app says
//!   is taken as "all sent".
//! - `OPTIONS` on either → CORS preflight for the exam origin, with
//!   `Access-Control-Allow-Private-Network` (Chromium asks it before a
//!   public page may call a loopback address).
//!
//! Anything else is 404 (wrong secret, unknown path) or 400 (bad body),
//! with a [`LinkError`] body.
//!
//! **Claims and the record.** A status is what the app (or whoever holds
//! the secret) *says*. Beside the latest status the link keeps a
//! [`Record`] of every status received: the highest event seq ever said to
//! be logged, the highest ever said to be acknowledged, whether the exam was
//! ever said started or submitted, and the first contradiction between two
//! statuses (a seq or a flag going back, acknowledgements beyond the log).
//! The launcher wipes a profile only when the latest status *and* the record
//! agree that everything was sent (see [`crate::run::exit_decision`]): a
//! forged `{"finished": true}` that contradicts what the real app said
//! earlier (or later) keeps the profile.

use std::io::Read;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Response, Server};
use vigil_contracts::kiosk::{item, status, REPORT_ROUTE, STATUS_ROUTE};

use crate::checks::Report;
use crate::config::Verdict;

pub use vigil_contracts::kiosk::{AppStatus, LinkError, ReportBody, ReportItem};

/// Largest status body accepted, in bytes.
pub const MAX_BODY: usize = 1024;

/// Everything the launcher heard over the link during this run, against
/// which the latest status is checked. Only ever grows (the maxima) or
/// keeps its first contradiction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// Statuses accepted.
    pub statuses: u64,
    /// Highest `logged_seq` ever reported.
    pub max_logged_seq: u64,
    /// Highest `acked_seq` ever reported.
    pub max_acked_seq: u64,
    /// Some status said the exam was started.
    pub ever_started: bool,
    /// Some status said the exam was submitted.
    pub ever_finished: bool,
    /// The first contradiction seen (French): the real app only moves
    /// forward, so two statuses that disagree mean someone else posted.
    pub contradiction: Option<String>,
}

impl Record {
    /// Takes one more status into account.
    pub fn observe(&mut self, s: &AppStatus) {
        let mut problems = Vec::new();
        if let Some(logged) = s.logged_seq {
            if logged < self.max_logged_seq {
                problems.push(format!(
                    "dernier événement journalisé revenu de {} à {logged}",
                    self.max_logged_seq
                ));
            }
            self.max_logged_seq = self.max_logged_seq.max(logged);
        }
        if let Some(acked) = s.acked_seq {
            if acked < self.max_acked_seq {
                problems.push(format!(
                    "accusé de réception revenu de {} à {acked}",
                    self.max_acked_seq
                ));
            }
            self.max_acked_seq = self.max_acked_seq.max(acked);
        }
        if let (Some(logged), Some(acked)) = (s.logged_seq, s.acked_seq) {
            if acked > logged {
                problems.push(format!(
                    "{acked} événements reçus par le serveur pour {logged} journalisés"
                ));
            } else if s.pending < logged - acked + s.pending_media.unwrap_or(0) {
                problems.push(format!(
                    "{} élément(s) en attente annoncés pour {} événement(s) et {} média(s) non reçus",
                    s.pending,
                    logged - acked,
                    s.pending_media.unwrap_or(0)
                ));
            }
        }
        if self.ever_started && !s.started {
            problems.push("examen commencé, puis dit non commencé".into());
        }
        if self.ever_finished && !s.finished {
            problems.push("examen rendu, puis dit non rendu".into());
        }
        self.ever_started |= s.started;
        self.ever_finished |= s.finished;
        self.statuses += 1;
        if self.contradiction.is_none() && !problems.is_empty() {
            self.contradiction = Some(problems.join(" ; "));
        }
    }

    /// `None` when the `latest` status, checked against everything
    /// recorded, shows every logged event acknowledged by the server and
    /// no media left; else why not (French, for the launcher's message).
    /// What the app *claims* ([`AppStatus::done`]) is not enough.
    pub fn unsent(&self, latest: &AppStatus) -> Option<String> {
        let (Some(logged), Some(acked), Some(media)) =
            (latest.logged_seq, latest.acked_seq, latest.pending_media)
        else {
            return Some(
                "l'application n'a pas indiqué jusqu'où le serveur a accusé réception \
                 (version ancienne de l'application ?)"
                    .into(),
            );
        };
        if latest.pending > 0 || media > 0 {
            return Some(format!(
                "{} élément(s) ne sont pas encore envoyés",
                latest.pending.max(media)
            ));
        }
        let highest = logged.max(self.max_logged_seq);
        if acked < highest {
            return Some(format!(
                "le serveur a accusé réception jusqu'à l'événement {acked}, mais l'application \
                 en a journalisé au moins {highest}"
            ));
        }
        None
    }
}

/// The launcher's findings as the report the app records: allow → pass
/// (noted in the detail if something was found), warn → warn, deny → fail.
pub fn report_body(config_key: &str, report: &Report) -> ReportBody<'static> {
    use crate::checks::CheckId;
    let results = report
        .findings
        .iter()
        .map(|f| ReportItem {
            item: match f.check {
                CheckId::Displays => item::DISPLAYS,
                CheckId::VirtualMachine => item::VIRTUAL_MACHINE,
                CheckId::RemoteControl => item::REMOTE_CONTROL,
            },
            status: match f.verdict {
                Verdict::Allow => status::PASS,
                Verdict::Warn => status::WARN,
                Verdict::Deny => status::FAIL,
            },
            detail: f.detail.clone(),
        })
        .collect();
    ReportBody {
        config_key: config_key.to_string(),
        launcher: crate::config::launcher_version(),
        results,
    }
}

/// State shared between the link's thread and the launcher.
#[derive(Debug, Default)]
struct Shared {
    report: Option<ReportBody<'static>>,
    status: Option<AppStatus>,
    record: Record,
    /// A request carried the right secret: the app found the link.
    contacted: bool,
}

/// The running link; dropping it stops the server.
pub struct Link {
    port: u16,
    secret: String,
    endpoint: Arc<Endpoint>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

/// The state, also after a panic elsewhere held the lock (it stays
/// consistent: every update is a plain assignment).
fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Link {
    /// Starts the server on a free loopback port; `origin` is the exam
    /// origin allowed to call it.
    pub fn start(origin: &str, report: ReportBody<'static>) -> anyhow::Result<Link> {
        let server = Server::http("127.0.0.1:0")
            .map_err(|e| anyhow::anyhow!("lien avec l'examen impossible à ouvrir : {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| anyhow::anyhow!("lien avec l'examen sans port"))?;
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| anyhow::anyhow!("pas d'aléa pour le secret du lien : {e}"))?;
        let secret = hex::encode(bytes);
        let endpoint = Arc::new(Endpoint::new(&secret, report));
        let server = Arc::new(server);
        let thread = {
            let (server, endpoint) = (server.clone(), endpoint.clone());
            let origin = origin.to_string();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    handle(request, &origin, &endpoint);
                }
            })
        };
        Ok(Link {
            port,
            secret,
            endpoint,
            server,
            thread: Some(thread),
        })
    }

    /// The fragment parameter value the app reads: `PORT.SECRET`.
    pub fn fragment_value(&self) -> String {
        format!("{}.{}", self.port, self.secret)
    }

    /// `http://127.0.0.1:PORT`, for the browser's URL allow-list.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the report the app reads (after a re-check).
    pub fn set_report(&self, report: ReportBody<'static>) {
        lock(&self.endpoint.shared).report = Some(report);
    }

    /// What the app last said, if it said anything.
    pub fn status(&self) -> Option<AppStatus> {
        self.endpoint.status()
    }

    /// Everything heard so far, to check the last status against.
    pub fn record(&self) -> Record {
        lock(&self.endpoint.shared).record.clone()
    }

    /// Whether a request with the right secret arrived (the app read the
    /// start page and found the link).
    pub fn contacted(&self) -> bool {
        lock(&self.endpoint.shared).contacted
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A response header; `None` if a value is not a valid header (an origin
/// given by a caller is ASCII, as [`crate::browser::origin_of`] serializes it).
fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn handle(mut request: tiny_http::Request, origin: &str, endpoint: &Endpoint) {
    let cors: Vec<Header> = [
        header("Access-Control-Allow-Origin", origin),
        header("Access-Control-Allow-Methods", "GET, POST"),
        header("Access-Control-Allow-Headers", "content-type"),
        header("Access-Control-Allow-Private-Network", "true"),
        header("Cache-Control", "no-store"),
        header("Vary", "Origin"),
        header("Content-Type", "application/json"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let method = request.method().clone();
    let url = request.url().to_string();
    let (code, body) = endpoint.answer(&method, &url, request.as_reader());
    let mut response = Response::from_string(body).with_status_code(code);
    for h in cors {
        response.add_header(h);
    }
    let _ = request.respond(response);
}

/// The link's routes over its state, apart from the socket: the answer to a
/// request is a function of its method, its path and its body only, so it
/// is tested and fuzzed without a server (`fuzz/targets/kiosk_link.rs`).
pub struct Endpoint {
    secret: String,
    shared: Mutex<Shared>,
}

impl Endpoint {
    /// The routes under `/SECRET/`, serving `report`.
    pub fn new(secret: &str, report: ReportBody<'static>) -> Endpoint {
        Endpoint {
            secret: secret.to_owned(),
            shared: Mutex::new(Shared {
                report: Some(report),
                ..Shared::default()
            }),
        }
    }

    /// The status code and JSON body (empty for 204) answering `method` on
    /// `url` (the request line's path) with `body`, of which at most
    /// [`MAX_BODY`] + 1 bytes are read.
    pub fn answer(&self, method: &Method, url: &str, body: &mut dyn Read) -> (u16, String) {
        let route = url
            .strip_prefix('/')
            .and_then(|p| p.split_once('/'))
            .filter(|(s, _)| constant_time_eq(s.as_bytes(), self.secret.as_bytes()))
            .map(|(_, r)| r);
        if route.is_some() {
            lock(&self.shared).contacted = true;
        }
        match (method, route) {
            (Method::Options, Some(REPORT_ROUTE | STATUS_ROUTE)) => (204, String::new()),
            (Method::Get, Some(REPORT_ROUTE)) => {
                let report = lock(&self.shared).report.clone();
                match serde_json::to_string(&report) {
                    Ok(json) => (200, json),
                    Err(e) => (500, error_body(e.to_string())),
                }
            }
            (Method::Post, Some(STATUS_ROUTE)) => match read_status(body) {
                Ok(status) => {
                    let mut state = lock(&self.shared);
                    state.record.observe(&status);
                    state.status = Some(status);
                    (204, String::new())
                }
                Err(e) => (400, error_body(e)),
            },
            _ => (404, error_body("not found".into())),
        }
    }

    /// What the app last said, if it said anything.
    pub fn status(&self) -> Option<AppStatus> {
        lock(&self.shared).status
    }
}

/// A [`LinkError`] as JSON.
fn error_body(error: String) -> String {
    serde_json::to_string(&LinkError { error }).unwrap_or_default()
}

fn read_status(reader: &mut dyn Read) -> Result<AppStatus, String> {
    let mut body = Vec::new();
    reader
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| format!("body unreadable: {e}"))?;
    if body.len() > MAX_BODY {
        return Err(format!("body larger than {MAX_BODY} bytes"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("body is not a status: {e}"))
}

/// Compares secrets without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{CheckId, Finding};
    use std::io::Write;
    use std::net::TcpStream;

    fn report() -> ReportBody<'static> {
        report_body(
            &"ab".repeat(32),
            &Report {
                findings: vec![
                    Finding {
                        check: CheckId::Displays,
                        found: false,
                        verdict: Verdict::Allow,
                        detail: "1 écran".into(),
                    },
                    Finding {
                        check: CheckId::VirtualMachine,
                        found: true,
                        verdict: Verdict::Warn,
                        detail: "sys_vendor = QEMU".into(),
                    },
                ],
            },
        )
    }

    /// One raw HTTP/1.1 exchange; returns the status code and the body.
    fn call(port: u16, method: &str, path: &str, body: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://exam.example\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let code = out[9..12].parse().unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (code, head.to_string(), body.to_string())
    }

    #[test]
    fn the_app_reads_the_report_and_posts_its_status() {
        let link = Link::start("https://exam.example", report()).unwrap();
        let (port, secret) = link
            .fragment_value()
            .split_once('.')
            .map(|(p, s)| (p.parse().unwrap(), s.to_string()))
            .unwrap();
        assert_eq!(secret.len(), 32);
        assert_eq!(link.origin(), format!("http://127.0.0.1:{port}"));

        let (code, head, body) = call(port, "GET", &format!("/{secret}/report"), "");
        assert_eq!(code, 200);
        assert!(
            head.contains("Access-Control-Allow-Origin: https://exam.example"),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["results"][1]["item"], "virtual_machine");
        assert_eq!(v["results"][1]["status"], "warn");
        assert_eq!(v["results"][0]["status"], "pass");
        assert!(v["launcher"].as_str().unwrap().starts_with("vigil-kiosk "));

        assert_eq!(link.status(), None);
        assert!(link.contacted(), "the report was read with the secret");
        let (code, _, _) = call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":3,"started":true,"finished":true}"#,
        );
        assert_eq!(code, 204);
        assert_eq!(
            link.status(),
            Some(AppStatus {
                pending: 3,
                started: true,
                finished: true,
                ..AppStatus::default()
            })
        );
        assert!(!link.status().unwrap().done());
        call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":0,"started":true,"finished":true}"#,
        );
        assert!(link.status().unwrap().done());
        // Claimed, not verified: an old-style status has no acknowledgements.
        assert!(link
            .record()
            .unsent(&link.status().unwrap())
            .is_some_and(|why| why.contains("accusé réception")));
        let (code, _, _) = call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":0,"started":true,"finished":true,"logged_seq":9,"acked_seq":9,"pending_media":0}"#,
        );
        assert_eq!(code, 204);
        assert_eq!(link.record().unsent(&link.status().unwrap()), None);
        assert_eq!(link.record().statuses, 3);
        assert_eq!(link.record().max_logged_seq, 9);

        // The preflight Chromium sends before a public page calls loopback.
        let (code, head, _) = call(port, "OPTIONS", &format!("/{secret}/status"), "");
        assert_eq!(code, 204);
        assert!(
            head.contains("Access-Control-Allow-Private-Network: true"),
            "{head}"
        );

        // A new report replaces the old one.
        let mut r = report();
        r.results.truncate(1);
        link.set_report(r);
        let (_, _, body) = call(port, "GET", &format!("/{secret}/report"), "");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["results"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn wrong_secrets_and_bad_bodies_change_nothing() {
        let link = Link::start("https://exam.example", report()).unwrap();
        let (port, secret) = link
            .fragment_value()
            .split_once('.')
            .map(|(p, s)| (p.parse::<u16>().unwrap(), s.to_string()))
            .unwrap();
        let wrong = "0".repeat(32);
        assert_eq!(call(port, "GET", &format!("/{wrong}/report"), "").0, 404);
        assert_eq!(
            call(
                port,
                "POST",
                &format!("/{wrong}/status"),
                r#"{"pending":0,"started":true,"finished":true}"#
            )
            .0,
            404
        );
        assert_eq!(call(port, "GET", "/report", "").0, 404);
        assert_eq!(call(port, "GET", &format!("/{secret}/other"), "").0, 404);
        let (code, _, body) = call(
            port,
            "POST",
            &format!("/{secret}/status"),
            r#"{"pending":-1}"#,
        );
        assert_eq!(code, 400);
        assert!(body.contains("not a status"), "{body}");
        let big = format!(
            r#"{{"pending":0,"finished":true,"x":"{}"}}"#,
            "y".repeat(2000)
        );
        let (code, _, body) = call(port, "POST", &format!("/{secret}/status"), &big);
        assert_eq!(code, 400);
        assert!(body.contains("larger than 1024"), "{body}");
        assert_eq!(link.status(), None);
        assert_eq!(link.record(), Record::default());
        assert!(link.contacted(), "a request with the secret arrived");
    }

    fn status(logged: u64, acked: u64, media: u64, started: bool, finished: bool) -> AppStatus {
        AppStatus::complete(logged, acked, media, started, finished)
    }

    #[test]
    fn the_record_keeps_the_highest_seqs_and_the_first_contradiction() {
        let mut r = Record::default();
        r.observe(&status(3, 0, 1, false, false));
        r.observe(&status(10, 7, 0, true, false));
        assert_eq!((r.max_logged_seq, r.max_acked_seq), (10, 7));
        assert!(r.ever_started && !r.ever_finished);
        assert_eq!(r.contradiction, None);

        // A forged "all sent" with a shorter log than the app reported.
        let forged = status(4, 4, 0, true, true);
        r.observe(&forged);
        assert!(r
            .contradiction
            .as_deref()
            .is_some_and(|c| c.contains("revenu de 10 à 4")));
        assert!(r.unsent(&forged).is_some_and(|w| w.contains("au moins 10")));
        // The maxima stay: the next honest status is still checked against 10.
        assert_eq!(r.max_logged_seq, 10);

        // A flag going back, acknowledgements beyond the log, a pending
        // count below what the seqs say: each a contradiction.
        for (first, then) in [
            (status(5, 5, 0, true, true), status(5, 5, 0, true, false)),
            (status(5, 5, 0, true, false), status(5, 5, 0, false, false)),
            (
                status(5, 5, 0, true, false),
                AppStatus {
                    acked_seq: Some(6),
                    ..status(5, 5, 0, true, false)
                },
            ),
            (
                status(5, 2, 0, true, false),
                AppStatus {
                    pending: 0,
                    ..status(5, 2, 0, true, false)
                },
            ),
        ] {
            let mut r = Record::default();
            r.observe(&first);
            assert_eq!(r.contradiction, None, "{first:?}");
            r.observe(&then);
            assert!(r.contradiction.is_some(), "{first:?} then {then:?}");
        }
    }

    #[test]
    fn only_a_complete_status_can_say_all_sent() {
        let r = Record::default();
        assert_eq!(r.unsent(&status(8, 8, 0, true, true)), None);
        assert!(r.unsent(&status(8, 6, 0, true, true)).is_some());
        assert!(r.unsent(&status(8, 8, 2, true, true)).is_some());
        let partial = AppStatus {
            pending_media: None,
            ..status(8, 8, 0, true, true)
        };
        assert!(r.unsent(&partial).is_some());
        let old: AppStatus =
            serde_json::from_str(r#"{"pending":0,"started":true,"finished":true}"#).unwrap();
        assert!(old.done() && r.unsent(&old).is_some());
        assert!(serde_json::from_str::<AppStatus>(
            r#"{"pending":0,"started":true,"finished":true,"x":1}"#
        )
        .is_err());
    }
}
