//! The kiosk link from both ends: the app reading `vigil-kiosk-link` from
//! its URL fragment (any page can set a fragment), and the launcher's
//! loopback routes (any local program can call them). A link the app
//! accepts only ever points at the loopback interface; the launcher answers
//! every request with a status it documents and never takes a status
//! without the secret.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tiny_http::Method;
use vigil_contracts::kiosk::{parse_link, ReportBody};
use vigil_kiosk::link::Endpoint;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    vigil_fuzz::seeds_once("kiosk_link", || {
        let status = br#"{"pending":0,"started":true,"finished":true,"logged_seq":42,"acked_seq":42,"pending_media":0}"#;
        vec![
            (
                "fragment",
                format!("#vigil-config-key=k&vigil-kiosk-link=4100.{SECRET}").into_bytes(),
            ),
            ("report", format!("GET /{SECRET}/report").into_bytes()),
            (
                "status",
                [format!("POST /{SECRET}/status").as_bytes(), b"\0", status].concat(),
            ),
            (
                "preflight",
                format!("OPTIONS /{SECRET}/status").into_bytes(),
            ),
        ]
    });
    let (head, body) = vigil_fuzz::split(data);
    let Some(head) = vigil_fuzz::text(head) else {
        return;
    };
    if let Some(link) = parse_link(head) {
        let url = link.url("status");
        let prefix = format!("http://127.0.0.1:{}/", link.port);
        assert!(url.starts_with(&prefix), "{head:?} → {url}");
        assert!(link.secret.len() == 32 && link.secret.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let (method, url) = match head.split_once(' ') {
        Some((m, u)) => (m, u),
        None => ("POST", head),
    };
    let Ok(method) = method.parse::<Method>() else {
        return;
    };
    let endpoint = Endpoint::new(
        SECRET,
        ReportBody {
            config_key: "k".into(),
            launcher: "vigil-kiosk fuzz".into(),
            results: vec![],
        },
    );
    let (code, answer) = endpoint.answer(&method, url, &mut &body[..]);
    assert!(
        matches!(code, 200 | 204 | 400 | 404),
        "{code} to {method} {url:?}"
    );
    if code == 204 && method == Method::Post {
        assert!(
            url.starts_with(&format!("/{SECRET}/")),
            "a status taken on {url:?}"
        );
        assert!(endpoint.status().is_some());
    }
    if code != 204 {
        assert!(
            serde_json::from_str::<serde_json::Value>(&answer).is_ok(),
            "{answer:?}"
        );
    }
});
