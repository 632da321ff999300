//! Convocations by mail, against a real SMTP server on loopback
//! (mailin-embedded, in a thread of the test): each candidate with an email
//! gets exactly one message with a code that opens their login; a run
//! again sends nobody twice, retries what the server refused, and leaves
//! to the operator a message an interrupted run may have sent.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use base64::Engine as _;
use mailin_embedded::{response, Handler, Response, Server};
use serde_json::json;
use vigil_server::mail::{self, Lang, MailOptions, MailSettings};

use crate::common::*;

/// A message the server took: its recipients and its raw data.
#[derive(Debug, Clone)]
struct Received {
    to: Vec<String>,
    data: String,
}

#[derive(Clone, Default)]
pub(crate) struct Inbox {
    got: Arc<Mutex<Vec<Received>>>,
    /// Recipients the server refuses (550), as a full mailbox would.
    refuse: Arc<Mutex<HashSet<String>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Inbox {
    fn rcpt(&mut self, to: &str) -> Response {
        let to = to.trim_matches(|c| c == '<' || c == '>');
        if self.refuse.lock().unwrap().contains(to) {
            response::NO_MAILBOX
        } else {
            response::OK
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.got.lock().unwrap().push(Received {
            to: self.to.clone(),
            data: String::from_utf8_lossy(&self.data).into_owned(),
        });
        response::OK
    }
}

impl Inbox {
    /// The messages to `address`, their bodies decoded.
    pub(crate) fn to(&self, address: &str) -> Vec<String> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.contains(address)))
            .map(|m| decoded(&m.data))
            .collect()
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

/// The headers, then the body decoded from its transfer encoding
/// (quoted-printable or base64, as lettre chose).
fn decoded(raw: &str) -> String {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let lower = head.to_ascii_lowercase();
    let text = if lower.contains("content-transfer-encoding: base64") {
        let joined: String = body.split_whitespace().collect();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap(),
        )
        .unwrap()
    } else if lower.contains("content-transfer-encoding: quoted-printable") {
        let soft = body.replace("=\r\n", "");
        let bytes = soft.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_owned()
    };
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let head: Vec<String> = head.lines().map(header_words).collect();
    format!("{}\n\n{}", head.join("\n"), text.replace("\r\n", "\n"))
}

/// A header line with its RFC 2047 words (`=?utf-8?b?…?=`) decoded;
/// the space between two encoded words is not part of the text.
fn header_words(line: &str) -> String {
    let mut out = String::new();
    let mut last_encoded = false;
    for (i, word) in line.split(' ').enumerate() {
        let encoded = word
            .strip_prefix("=?utf-8?b?")
            .and_then(|w| w.strip_suffix("?="));
        if i > 0 && !(last_encoded && encoded.is_some()) {
            out.push(' ');
        }
        match encoded {
            Some(b64) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .unwrap();
                out.push_str(&String::from_utf8(bytes).unwrap());
            }
            None => out.push_str(word),
        }
        last_encoded = encoded.is_some();
    }
    out
}

/// The access code a convocation carries.
pub(crate) fn code_in(message: &str) -> String {
    let line = message
        .lines()
        .find(|l| l.starts_with("Code d'accès : ") || l.starts_with("Access code: "))
        .unwrap_or_else(|| panic!("no code in {message}"));
    line.rsplit(' ').next().unwrap().trim().to_owned()
}

/// Starts an SMTP server on a free loopback port.
pub(crate) fn smtp_server() -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let inbox = Inbox::default();
    let mut server = Server::new(inbox.clone());
    server.with_name("smtp.test").with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    (format!("smtp://{addr}"), inbox)
}

fn settings(url: &str) -> MailSettings {
    MailSettings {
        smtp_url: url.to_owned(),
        credentials: None,
        from: "Concours <concours@example.fr>".parse().unwrap(),
        link: "https://examen.example.fr".into(),
    }
}

const ROSTER: &str = "candidate,person,family_name,given_name,email,extra_time\n\
                      M1,ECR-1,Martin,Léa,lea@example.fr,\n\
                      M2,ECR-2,Dupont,Hugo,hugo@example.fr,oui\n\
                      M3,ECR-3,Petit,Noé,noe@example.fr,\n\
                      M4,ECR-4,Roux,Inès,ines@example.fr,\n";

async fn login(f: &Fixture, candidate: &str, code: &str) -> StatusCode {
    send(
        f.app(),
        post_json(
            "/api/login",
            json!({"session": f.demo.session, "candidate": candidate, "code": code}),
        ),
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_candidate_gets_one_convocation_whose_code_opens_their_login() {
    let f = fixture().await;
    let s = f.demo.session.clone();
    let imported = import_roster(&f, &s, ROSTER).await.unwrap();
    let (url, inbox) = smtp_server();
    let settings = settings(&url);
    inbox.refuse.lock().unwrap().insert("noe@example.fr".into());
    // An earlier run stopped while sending M4's mail.
    f.state
        .db
        .mail_sending(&s, "M4", mail::CONVOCATION, "ines@example.fr", "x", NOW)
        .await
        .unwrap();

    let send = |options: MailOptions| {
        let (f, settings, s) = (&f, settings.clone(), s.clone());
        async move {
            mail::send_convocations(
                &f.state.db,
                &f.state.hashing,
                &settings,
                &s,
                &options,
                f.clock.as_ref(),
            )
            .await
            .unwrap()
        }
    };
    let first = send(MailOptions::default()).await;
    assert_eq!(first.sent, ["M1", "M2"]);
    assert_eq!(first.failed.len(), 1, "{first:?}");
    assert_eq!(first.failed[0].0, "M3");
    assert!(first.failed[0].1.contains("550"), "{:?}", first.failed);
    assert_eq!(first.unknown, ["M4"]);
    // The demo's candidates have no person: not mailed.
    assert_eq!(first.no_address.len(), f.demo.candidates.len());
    assert_eq!(inbox.count(), 2);

    // Léa's message: in French, her credentials, Paris times, the rules.
    let lea = inbox.to("lea@example.fr");
    assert_eq!(lea.len(), 1);
    let message = &lea[0];
    for needle in [
        "Subject: Convocation : Démo Vigil — 5 minutes — 15/01/2027 à 09:00",
        "To: Léa Martin <lea@example.fr>",
        "From: Concours <concours@example.fr>",
        "Bonjour Léa Martin,",
        "Date et heure : le 15/01/2027 à 09:00 (heure de Paris)",
        "Durée : 5 min, en 2 partie(s), sans pause, en une seule tentative.",
        "Adresse de l'épreuve : https://examen.example.fr",
        "Identifiant de candidat : M1",
        "au plus tard le 12/01/2027 à 09:00 (heure de Paris), soit 72 heures avant",
        "Interdit : Téléphone ; Toute autre personne dans la pièce",
        "EN CAS DE PANNE",
    ] {
        assert!(message.contains(needle), "lacks {needle:?}:\n{message}");
    }
    assert!(!message.contains("Tiers-temps"), "{message}");
    let hugo = &inbox.to("hugo@example.fr")[0];
    assert!(
        hugo.contains("Tiers-temps : accordé, la durée est portée à 7 min."),
        "{hugo}"
    );

    // The mailed code opens the login; the one printed at import no longer does.
    let code = code_in(message);
    assert_ne!(code, imported.registered[0].code);
    assert_eq!(
        login(&f, "M1", &imported.registered[0].code).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&f, "M1", &code).await, StatusCode::OK);

    // Again: nobody twice, the refused one retried now that it is taken.
    inbox.refuse.lock().unwrap().clear();
    let second = send(MailOptions::default()).await;
    assert_eq!(second.sent, ["M3"]);
    assert_eq!(second.already_sent, ["M1", "M2"]);
    assert_eq!(second.unknown, ["M4"], "left to the operator");
    assert_eq!(inbox.count(), 3);
    let third = send(MailOptions::default()).await;
    assert!(third.sent.is_empty(), "{third:?}");
    assert_eq!(inbox.count(), 3);

    // The operator checked: M4's did not go. In English this time.
    let resent = send(MailOptions {
        lang: Lang::En,
        resend: vec!["M4".into()],
    })
    .await;
    assert_eq!(resent.sent, ["M4"]);
    let ines = inbox.to("ines@example.fr");
    assert_eq!(ines.len(), 1);
    assert!(
        ines[0].contains("Subject: Notice to attend: Vigil demo — 5 minutes — 15/01/2027 at 09:00"),
        "{}",
        ines[0]
    );
    assert!(
        ines[0].contains("by 12/01/2027 at 09:00 (Paris time)"),
        "{}",
        ines[0]
    );
    assert_eq!(login(&f, "M4", &code_in(&ines[0])).await, StatusCode::OK);
    // Each person got exactly one message.
    for address in [
        "lea@example.fr",
        "hugo@example.fr",
        "noe@example.fr",
        "ines@example.fr",
    ] {
        assert_eq!(inbox.to(address).len(), 1, "{address}");
    }
    let stored = f.state.db.mails(&s, mail::CONVOCATION).await.unwrap();
    assert!(stored.iter().all(|m| m.state == "sent"), "{stored:?}");
    assert!(stored[0].detail.starts_with("250"), "{stored:?}");

    // A started candidate is not mailed, even asked to (their code is in
    // use); an unknown candidate to resend is an error naming them.
    let m1 = f.state.db.candidate(&s, "M1").await.unwrap().unwrap();
    assert!(f.state.db.start_attempt(&m1.attempt_id, NOW).await.unwrap());
    let started = send(MailOptions {
        lang: Lang::Fr,
        resend: vec!["M1".into()],
    })
    .await;
    assert!(started.sent.is_empty(), "{started:?}");
    assert_eq!(started.started, ["M1"]);
    assert_eq!(
        login(&f, "M1", &code).await,
        StatusCode::OK,
        "code unchanged"
    );
    let err = mail::send_convocations(
        &f.state.db,
        &f.state.hashing,
        &settings,
        &s,
        &MailOptions {
            lang: Lang::Fr,
            resend: vec!["NOPE".into()],
        },
        f.clock.as_ref(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("--resend \"NOPE\""), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_fails_each_message_and_stores_nothing_as_sent() {
    let f = fixture().await;
    let s = f.demo.session.clone();
    import_roster(&f, &s, ROSTER).await.unwrap();
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = mail::send_convocations(
        &f.state.db,
        &f.state.hashing,
        &settings(&format!("smtp://127.0.0.1:{port}")),
        &s,
        &MailOptions::default(),
        f.clock.as_ref(),
    )
    .await
    .unwrap();
    assert!(report.sent.is_empty());
    assert_eq!(report.failed.len(), 4, "{report:?}");
    let stored = f.state.db.mails(&s, mail::CONVOCATION).await.unwrap();
    assert!(stored.iter().all(|m| m.state == "failed"), "{stored:?}");
}
